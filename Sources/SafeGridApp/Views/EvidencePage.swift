import Foundation
import Plot
import SafeGridCore
import Vapor

/// `/e/{token}`: the responsible party's page, opened from the SMS link without an account —
/// the subject's open hazards, the photos sent for each, and an upload form per hazard. A page
/// for the party: no links into the town's internal pages.
enum EvidencePage {
    /// - Parameters:
    ///   - token: the link's token as it came in the path (forms and photos link back to it).
    ///   - expiresAt: when the link stops working.
    ///   - open: the subject's open hazards.
    ///   - photos: photos already sent, by hazard id (id and content type), oldest first.
    ///   - uploaded: the page follows an upload (`?ok=1`): thank the party.
    static func render(subject: SubjectRow, token: String, expiresAt: Date, open: [HazardDTO],
                       photos: [UUID: [(id: UUID, type: String)]], uploaded: Bool) -> Response {
        Layout.page(
            title: "整改照片上传", subtitle: "Upload rectification photos · \(subject.name)", forParty: true, nodes: [
            .if(uploaded, .p(.class("ok"), .text("已收到，谢谢！等待复查。Received, thank you."))),
            .p(.text("链接有效期至 \(Layout.time(expiresAt))。每处隐患可上传照片（JPG/PNG/HEIC，不超过10MB）并说明整改情况。")),
            .if(open.isEmpty, .p(.text("目前没有待整改的隐患。No open hazards."))),
            .forEach(open) { h in
                .div(.class("card"),
                     .h3(.text(h.item?.zh ?? h.itemCode)),
                     .p(.text("整改期限 \(h.dueOn) · 状态 \(h.stateLabel.zh)"), .if(h.overdue, .span(.class("overdue"), .text(" 已逾期")))),
                     .forEach(photos[h.id] ?? []) { e in
                         photo(src: "/e/\(token)/evidence/\(e.id.uuidString.lowercased())", type: e.type, note: nil)
                     },
                     .form(.method(.post), .action("/e/\(token)/hazards/\(h.id.uuidString.lowercased())/evidence"),
                           .enctype(.multipartData),
                           .label(.text("照片 Photo"), .input(.type(.file), .name("photo"), .attribute(named: "accept", value: "image/jpeg,image/png,image/heic,image/heif"),
                                                          .required(true))),
                           .label(.text("整改说明 Note"), .textarea(.name("note"))),
                           .button(.type(.submit), .text("上传 Upload"))))
            }])
    }

    /// A photo as shown: an image (EXIF orientation honoured by `image-orientation: from-image`),
    /// or for HEIC, which most browsers cannot show, a download link.
    static func photo(src: String, type: String, note: String?) -> Node<HTML.BodyContext> {
        if type == ImageFormat.heic.mimeType {
            return .a(.href(src), .text("HEIC 照片（浏览器无法直接显示，点击下载）"))
        }
        return .img(.class("evidence"), .src(src), .alt(note ?? "整改照片"))
    }
}

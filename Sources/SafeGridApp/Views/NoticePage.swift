import Foundation
import Plot
import SafeGridCore
import Vapor

/// `/inspections/{id}/notice`: 整改通知书, the printable notice of a signed inspection — the
/// joint team, the hazards with their legal basis and deadlines, the party's signature and the
/// record's SHA-256, and whether the record is still as it was signed.
enum NoticePage {
    /// - Parameters:
    ///   - team: the joint team of the visit, as recorded.
    ///   - intact: whether the stored record, image and seal still hash to what was signed.
    static func render(inspection: InspectionRow, subject: SubjectRow, signed: SignatureRow, hazards: [HazardDTO],
                       team: [TeamMember], intact: Bool) -> Response {
        let id = inspection.id
        return Layout.page(
            title: "整改通知书", subtitle: "Rectification notice \(signed.noticeNumber)",
            .div(.class("notice"),
                 .p(.class("number"), .text(signed.noticeNumber)),
                 .p(.text("\(subject.name)（\(subject.address)）：")),
                 .p(.text("\(Layout.time(inspection.inspectedAt)) 联合检查组（\(team.map { "\($0.name)·\($0.department.zh)" }.joined(separator: "、"))）依据“一张表”对你单位进行了综合检查，发现下列安全隐患，请在期限内整改完毕，整改后通过短信链接上传整改照片，等待复查。")),
                 .table(.tr(.th("序号"), .th("隐患 Hazard"), .th("依据 Legal basis"), .th("严重程度"), .th("整改期限 Due"), .th("状态 State"), .th("照片 Photos")),
                        .forEach(Array(hazards.enumerated())) { (i, h) in
                            .tr(.td(.text(String(i + 1))), .td(.text(h.item?.zh ?? h.itemCode)), .td(.text(h.legalBasis ?? "")),
                                .td(.text(Severity(rawValue: h.severity)?.zh ?? h.severity)), .td(.text(h.dueOn)),
                                .td(.class("state-\(h.state)"), .text(h.stateLabel.zh)),
                                .td(.forEach(h.photos.filter(PhotoFacts.isPhotoID)) { id in
                                    .img(.class("evidence"), .src("/photos/\(id)"), .alt("现场照片 photo"))
                                }))
                        }),
                 .div(.class("sign-block"),
                      .p(.text("当事人签字 Signed by \(signed.signerName)，\(Layout.time(signed.signedAt))")),
                      .img(.src("/inspections/\(id.uuidString.lowercased())/signature.png"), .alt("签名 signature"), .class("signature")),
                      .p(.class("en"), .text("记录摘要 SHA-256 \(signed.recordSha256)")),
                      .p(.class(intact ? "ok" : "overdue"),
                         .text(intact ? "记录与签字时一致 ✓ The record is as signed"
                                      : "记录在签字后被改动 ✗ The record changed after signing")))),
            .p(.class("no-print"), .a(.href("/subjects/\(subject.id.uuidString.lowercased())"), .text("返回检查对象 Back to the subject")))
        )
    }
}

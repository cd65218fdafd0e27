import Foundation
import Plot
import SafeGridCore
import Vapor

/// `/inspections/{id}/sign`: the page the inspector hands to the responsible party — the
/// record to sign and a signature pad (`/assets/sign.js`, which posts the drawing to
/// `POST /api/v1/inspections/{id}/signature`).
enum SignaturePage {
    /// The inspection is signed already: by whom and when, with a link to its notice.
    static func alreadySigned(_ signed: SignatureRow, inspection id: UUID) -> Response {
        Layout.page(title: "已签字", subtitle: "Already signed",
                    .p(.text("该检查已由 \(signed.signerName) 于 \(Layout.time(signed.signedAt)) 签字确认。")),
                    .p(.a(.href("/inspections/\(id.uuidString.lowercased())/notice"), .text("查看整改通知书 View the notice"))))
    }

    /// The visit and the hazards it found, with their deadlines, and the form to sign it. The
    /// party's registered mobile is shown masked (the signer may give another).
    static func render(inspection: InspectionRow, subject: SubjectRow, hazards: [HazardDTO]) -> Response {
        let id = inspection.id
        return Layout.page(
            title: "现场签字确认", subtitle: "On-site signature · \(subject.name)",
            .p(.text("检查时间 \(Layout.time(inspection.inspectedAt)) · 检查人 \(inspection.inspector)")),
            .h2(.text("发现的隐患"), .span(.class("en"), .text("Hazards found (\(hazards.count))"))),
            .ol(.forEach(hazards) { h in
                .li(.text("\(h.item?.zh ?? h.itemCode)"), .span(.class("en"), .text("整改期限 \(h.dueOn)")))
            }),
            .form(.id("sign-form"), .attribute(named: "data-inspection", value: id.uuidString.lowercased()),
                  .attribute(named: "data-subject-name", value: subject.name),
                  .attribute(named: "data-csrf", value: Layout.signedIn?.csrfToken ?? ""),
                  .label(.text("当事人姓名 Name"), .input(.type(.text), .name("signerName"), .value(subject.partyName), .required(true))),
                  .label(.text("手机号码 Mobile（留空则用登记号码 \(subject.phone?.masked ?? "")）"),
                         .input(.type(.tel), .name("signerPhone"), .attribute(named: "autocomplete", value: "tel"))),
                  .p(.text("请在下框内签名 Sign below")),
                  .element(named: "canvas", nodes: [.attribute(named: "id", value: "pad"), .attribute(named: "class", value: "pad")]),
                  .div(.class("actions"),
                       .button(.type(.button), .id("clear"), .text("清除 Clear")),
                       .button(.type(.submit), .id("submit"), .text("确认签字 Confirm"))),
                  .p(.id("status"), .class("status"))),
            .element(named: "script", nodes: [.attribute(named: "src", value: "/assets/sign.js")])
        )
    }
}

import Foundation
import Plot
import SafeGridCore
import Vapor

/// `/key-hazards?areaCode=`: 重点隐患企业 for officials — the listed enterprises village by
/// village with their score, and who entered and left the list.
enum KeyHazardsPage {
    /// - Parameters:
    ///   - listed: the current list, by village then rank.
    ///   - moves: who entered and left, newest first (the page shows the latest 100).
    ///   - areaCode: the area the page is about, for the subtitle.
    static func render(listed: [KeyHazards.KeyEnterpriseDTO], moves: [KeyHazards.ChangeDTO], areaCode code: String) -> Response {
        Layout.page(title: "重点隐患企业", subtitle: "Key hazard enterprises · \(code)", nodes: [
            .p(.text("每村按未整改隐患评分（一般×1、较大×3、重大×9，每处10分加逾期天数，最多30天），取最差的15%（向上取整，并列全部列入；不足5家企业的村不排名）。"),
               .span(.class("en"), .text("Per village, scored from open hazards by severity and overdue days; the worst 15% (rounded up, ties listed; villages under 5 enterprises not ranked). Inspected every 7 days."))),
            .table(.tr(.th(.text("村社 Village")), .th(.text("名次 Rank")), .th(.text("企业 Enterprise")), .th(.class("n"), .text("评分 Score")),
                       .th(.class("n"), .text("未整改 Open")), .th(.class("n"), .text("逾期 Overdue")), .th(.text("列入 Since"))),
                   .forEach(listed) { e in
                       .tr(.td(.text(e.villageCode)), .td(.text("\(e.rank) / \(e.quota)")),
                           .td(.a(.href("/subjects/\(e.subjectId.uuidString.lowercased())"), .text(e.name))),
                           .td(.class("n"), .text(String(e.points))), .td(.class("n"), .text(String(e.openHazards))),
                           .td(.class("n"), .text(String(e.overdueHazards))), .td(.text(e.since)))
                   }),
            .h2(.text("进出名单"), .span(.class("en"), .text("Entered and left"))),
            .table(.tr(.th(.text("日期 Day")), .th(.text("企业 Enterprise")), .th(.text("变化 Change")), .th(.text("原因 Why"))),
                   .forEach(moves.prefix(100)) { m in
                       .tr(.td(.text(m.asOf)), .td(.text(m.name ?? m.subjectId.uuidString)),
                           .td(.text(m.change == "entered" ? "列入 entered" : "移出 left")), .td(.text(m.why)))
                   }),
        ])
    }
}

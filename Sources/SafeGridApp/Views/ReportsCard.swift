import Foundation
import Plot
import SafeGridCore

/// The dashboard's card of residents' reports (沥家园, 社会全员参与): received, awaiting, verified,
/// dismissed, waiting beyond 24 hours, the median time to verify, and per child area.
enum ReportsCard {
    static func card(_ s: ReportsController.SummaryDTO) -> Node<HTML.BodyContext> {
        let rows = s.children.filter { $0.received > 0 }.sorted { ($0.received, $1.code) > ($1.received, $0.code) }
        return .div(.class("card"), .id("reports"),
             .h3(.text("居民上报"), .span(.class("en"), .text("Residents' reports"))),
             .div(.class("stats"),
                  Layout.stat("收到", String(s.received), "received"),
                  Layout.stat("待核实", String(s.open), "awaiting"),
                  Layout.stat("已核实", String(s.verified), "verified"),
                  Layout.stat("不予受理", String(s.dismissed), "dismissed"),
                  Layout.stat("已整改", String(s.rectified), "rectified"),
                  Layout.stat("超24小时", String(s.overdue), "over 24 h"),
                  Layout.stat("核实中位", s.medianVerifyMinutes.map(minutes) ?? "—", "to verify, median")),
             .if(!rows.isEmpty, .div(.class("scroll-x"), .table(.class("compact"),
                    .thead(.tr(.th("区域 Area"), .th("收到 Received"), .th("待核实 Awaiting"), .th("已核实 Verified"), .th("不予受理 Dismissed"))),
                    .tbody(.forEach(rows) { c in
                        .tr(.td(.text(c.name)), .td(.text(String(c.received))), .td(.text(String(c.open))),
                            .td(.text(String(c.verified))), .td(.text(String(c.dismissed))))
                    })))))
    }

    /// `45 分钟`, `3 小时 5 分`.
    static func minutes(_ m: Int) -> String { DevicesCard.age(m * 60) }
}

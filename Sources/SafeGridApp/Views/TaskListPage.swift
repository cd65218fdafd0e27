import Foundation
import Plot
import SafeGridCore
import Vapor

/// `/tasks`: a grid or micro-grid worker's phone page — today's tasks (nearest first once the
/// phone shares its position, through `/assets/tasks.js`), each with the subject's open
/// hazards, and the month's quota.
enum TaskListPage {
    /// - Parameters:
    ///   - list: the day's task list (``TaskLists/list(_:)``).
    ///   - area: the worker's grid or micro-grid, for the subtitle.
    static func render(_ list: TaskLists.TaskListDTO, area: String) -> Response {
        Layout.page(title: "今日任务", subtitle: "Today's inspection tasks · \(area) · \(list.date)", nodes: [
            .div(.class("stats"),
                 Layout.stat("待查(家)", String(list.tasks.count), "due"),
                 Layout.stat("逾期(家)", String(list.tasks.filter(\.overdue).count), "overdue"),
                 Layout.stat("本月定额", "\(list.quota.done) / \(list.quota.target)", "quota this month")),
            .if(!list.reports.isEmpty, .group(
                .h2(.text("居民上报待核实"), .span(.class("en"), .text("Residents' reports to verify (\(list.reports.count))"))),
                .ol(.class("timeline"), .forEach(list.reports) { r in
                    .li(.strong(.text(r.item)), .text(" · \(r.address ?? r.subjectName ?? "")"),
                        .p(.text("\(ReportsCard.minutes(r.ageMinutes))前上报"), .if(r.overdue, .span(.class("overdue"), .text(" 超过24小时未核实"))),
                           .unwrap(r.description) { .span(.class("en"), .text(" “\($0)”")) }),
                        .unwrap(r.subjectId) { id in .a(.href("/subjects/\(id.uuidString.lowercased())"), .text(r.subjectName ?? "检查对象")) })
                }),
                .p(.a(.href("/field/"), .text("在现场 App 中核实或驳回 · verify or dismiss in the field app"))))),
            .p(.button(.id("locate"), .type(.button), .text("按距离排序 Nearest first"))),
            .ol(.class("timeline"), .forEach(list.tasks) { t in
                .li(.strong(.a(.href("/subjects/\(t.subjectId.uuidString.lowercased())"), .text(t.name))),
                    .text(" · \(t.address)"),
                    .if(t.keyHazardEnterprise, .span(.class("overdue"), .text(" 重点隐患企业"))),
                    .p(.text("应查 \(t.dueOn)"), .if(t.overdue, .span(.class("overdue"), .text(" 逾期\(t.overdueDays)天"))),
                       .unwrap(t.distanceMetres) { .text(" · \($0) 米") },
                       .forEach(t.directed) { d in .span(.class("en"), .text(" 定向: \(d.reason)（\(d.assignedBy)）")) }),
                    .if(!t.openHazards.isEmpty, .ul(.forEach(t.openHazards) { h in
                        .li(.text("\(h.item ?? h.itemCode) · 期限 \(h.dueOn)"), .if(h.overdue, .span(.class("overdue"), .text(" 逾期"))))
                    })))
            }),
            .element(named: "script", nodes: [.attribute(named: "src", value: "/assets/tasks.js")]),
        ])
    }
}

import Foundation
import Plot
import SafeGridCore
import Vapor

/// `/performance?areaCode=&from=&to=`: 绩效 — villages (or a village's grids and their
/// workers) ranked by score and grade for a period, with a form to choose the period.
enum PerformancePage {
    /// - Parameter r: the ranking (``Performance/ranking(_:)``).
    static func render(_ r: Performance.RankingDTO) -> Response {
        Layout.page(title: "绩效排名", subtitle: "Performance ranking · \(r.areaCode) · \(r.from) – \(r.to)", nodes: [
            .form(.method(.get), .action("/performance"),
                  .input(.type(.hidden), .name("areaCode"), .value(r.areaCode)),
                  .label(.text("从 From "), .input(.type(.date), .name("from"), .value(r.from))),
                  .label(.text("到 To "), .input(.type(.date), .name("to"), .value(r.to))),
                  .button(.type(.submit), .text("查看 Show"))),
            .p(.class("en"), .text("权重 Weights: 任务按时 30 · 上报有效 20 · 定额 10 · 复查按时 20 · 整改率 20；无数据的项不计，权重按比例放大。A ≥ 90, B ≥ 75, C ≥ 60, D ≥ 40, E.")),
            .table(.tr(.th(.text("名次 Rank")), .th(.text("区域 Area")), .th(.text("网格员 Worker")), .th(.class("n"), .text("得分 Score")),
                       .th(.text("等级 Grade")), .th(.class("n"), .text("任务 Tasks")), .th(.class("n"), .text("上报 Reports")),
                       .th(.class("n"), .text("复查 Re-inspections")), .th(.class("n"), .text("整改率 Rate"))),
                   .forEach(r.rows) { row in
                       .tr(.td(.text(row.rank.map(String.init) ?? "—")),
                           .td(.a(.href("/areas/\(row.code)"), .text(row.name))), .td(.text(row.worker ?? "")),
                           .td(.class("n"), .text(row.score.map { String(format: "%.2f", $0) } ?? "—")),
                           .td(.text(row.gradeZh.map { "\(row.grade ?? "") \($0)" } ?? "—")),
                           .td(.class("n"), .text("\(row.tasksDoneOnTime)/\(row.tasksDue)")),
                           .td(.class("n"), .text("\(row.reportsConfirmed)/\(row.hazardsReported)")),
                           .td(.class("n"), .text("\(row.reinspectionsDoneOnTime)/\(row.reinspectionsDue)")),
                           .td(.class("n"), .text(row.rectificationRateText)))
                   }),
        ])
    }
}

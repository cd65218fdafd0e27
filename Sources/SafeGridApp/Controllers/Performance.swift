import Foundation
import Plot
import SQLKit
import SafeGridCore
import Vapor

/// 绩效: per village of a town, or per grid (its grid worker) of a village, a
/// ``PerformanceScore`` for a period, ranked best first; a grid or micro-grid on its own.
///
/// What each input counts, from records of the period `from…to` (Asia/Shanghai days):
/// - **tasks due / done on time**: per subject of the area, the routine due day after its last
///   visit before the period (``InspectionFrequency/defaultIntervalDays(for:)``; never visited:
///   the period's first day, or the day it was recorded if later) when it falls in the period
///   and has passed (or the task is done), plus directed tasks due in it; done on
///   time by a visit on or before that day.
/// - **hazards reported / confirmed**: hazards found in the period; confirmed when the
///   responsible party signed the visit's record (the party acknowledges them) or the hazard
///   was verified rectified. SafeGrid has no way to reject a report yet, so none is rejected and
///   reports not confirmed count in neither (``PerformanceInputs/reportsRejected``).
/// - **re-inspections due / on time**: hazards whose deadline fell in the period and has passed
///   (or that were re-inspected already); on time when a re-inspection (verified, not yet,
///   rebound) was recorded by the deadline.
/// - **rectification**: the area's 整改率 from the dashboard counters (now).
enum Performance {
    struct Row: Content {
        let rank: Int?
        let code: String
        let name: String
        let worker: String?
        let score: Double?
        let grade: String?
        let gradeZh: String?
        let tasksDue: Int
        let tasksDoneOnTime: Int
        let hazardsReported: Int
        let reportsConfirmed: Int
        let reinspectionsDue: Int
        let reinspectionsDoneOnTime: Int
        let rectificationRateText: String
        /// Component rates in percent (two decimals), by component.
        let parts: [String: Double]
    }

    struct RankingDTO: Content {
        let areaCode: String
        let from: String
        let to: String
        /// Component weights of 100 (published): tasksOnTime 30, validReports 20, reportQuota 10,
        /// reinspectionsOnTime 20, rectificationRate 20.
        let weights: [String: Int]
        let rows: [Row]
    }

    /// `GET /api/v1/performance?areaCode=&from=&to=` (default: the reader's area, this month).
    static func ranking(_ req: Request) async throws -> RankingDTO {
        let now = req.services.now()
        let today = CalendarDate(shanghai: now)
        let month = QuotaPeriod.month.bounds(containing: today)
        let from = try Input.calendarDate(req.query[String.self, at: "from"], "from") ?? month.first
        let to = try Input.calendarDate(req.query[String.self, at: "to"], "to") ?? month.last
        guard from <= to else { throw DomainError.invalid("to", "the period ends \(to), before it begins \(from)") }
        guard from.days(until: to) <= 366 else { throw DomainError.invalid("to", "a period is at most a year") }
        let code = try await Input.areaCode(req) ?? req.homeAreaCode
        guard let area = try await req.queries.area(code) else { throw DomainError(.notFound, field: "areaCode", reason: "no area with code \(code)") }
        // A grid or micro-grid (a worker's own area) is scored on its own; above, its children are ranked.
        let children = area.level >= .grid ? [area] : try await req.queries.children(of: code)
        let inputs = try await Self.inputs(req, area: area, childLevel: children.first?.level ?? .village, from: from, to: to, now: now)
        var scores: [String: PerformanceScore] = [:]
        for c in children { scores[c.code] = try PerformanceScore(inputs[c.code] ?? PerformanceInputs()) }
        let names = Dictionary(uniqueKeysWithValues: children.map { ($0.code, $0.shortName) })
        var workers: [String: String] = [:]
        if children.first?.level == .grid {
            for r in try await req.sql.select().columns("grid_code", "name").from("grid_workers")
                .where("grid_code", .in, SQLBind.group(children.map(\.code))).all() {
                workers[try r.decode(column: "grid_code", as: String.self)] = try r.decode(column: "name", as: String.self)
            }
        }
        let rows = PerformanceScore.ranked(scores).map { p -> Row in
            let i = inputs[p.key] ?? PerformanceInputs()
            return Row(rank: p.rank, code: p.key, name: names[p.key] ?? p.key, worker: workers[p.key], score: p.score.points,
                       grade: p.score.grade?.rawValue, gradeZh: p.score.grade?.zh, tasksDue: i.tasksDue, tasksDoneOnTime: i.tasksDoneOnTime,
                       hazardsReported: i.hazardsReported, reportsConfirmed: i.reportsConfirmed, reinspectionsDue: i.reinspectionsDue,
                       reinspectionsDoneOnTime: i.reinspectionsDoneOnTime, rectificationRateText: i.areaRectification.description,
                       parts: Dictionary(uniqueKeysWithValues: p.score.parts.map { ($0.component.rawValue, Double($0.basisPoints) / 100) }))
        }
        return RankingDTO(areaCode: code, from: from.description, to: to.description,
                          weights: Dictionary(uniqueKeysWithValues: PerformanceScore.Component.allCases.map { ($0.rawValue, $0.weight) }),
                          rows: rows)
    }

    /// The inputs of every child of `area` (villages or grids) for the period.
    static func inputs(_ req: Request, area: Area, childLevel: AreaLevel, from: CalendarDate, to: CalendarDate,
                       now: Date) async throws -> [String: PerformanceInputs] {
        let sql = req.sql
        let q = req.queries
        let childColumn = CampaignQueries.areaColumn(for: String(repeating: "0", count: childLevel.codeLength)) ?? "village_code"
        func inArea(_ b: SQLSelectBuilder) -> SQLSelectBuilder {
            guard let column = CampaignQueries.areaColumn(for: area.code) else { return q.scoped(b) }
            return q.scoped(b.where(SQLIdentifier(column), .equal, SQLBind(area.code)))
        }
        var out: [String: PerformanceInputs] = [:]
        // Tasks: subjects, their visits, directed tasks.
        let subjects = try await inArea(sql.select().columns("id", "kind", "closed_down_at", "created_at", childColumn).from("subjects")).all()
        var childOf: [UUID: String] = [:]
        var kindOf: [UUID: SubjectKind] = [:]
        var recorded: [UUID: CalendarDate] = [:]
        for s in subjects where try s.decode(column: "closed_down_at", as: Date?.self) == nil {
            let id = try s.decode(column: "id", as: UUID.self)
            recorded[id] = CalendarDate(shanghai: try s.decode(column: "created_at", as: Date.self))
            childOf[id] = try s.decode(column: childColumn, as: String.self)
            kindOf[id] = SubjectKind(rawValue: try s.decode(column: "kind", as: String.self)) ?? .enterprise
        }
        var visits: [UUID: [CalendarDate]] = [:]
        let subjectIDs = SQLSubquery.select { sub in
            var b = sub.column("id").from("subjects")
            if let column = CampaignQueries.areaColumn(for: area.code) { b = b.where(SQLIdentifier(column), .equal, SQLBind(area.code)) }
            return b
        }
        for r in try await sql.select().columns("subject_id", "inspected_on").from("inspections").where("subject_id", .in, subjectIDs)
            .where("inspected_on", .lessThanOrEqual, SQLBind(to.description)).all() {
            if let d = try? CalendarDate(try r.decode(column: "inspected_on", as: String.self)) {
                visits[try r.decode(column: "subject_id", as: UUID.self), default: []].append(d)
            }
        }
        let today = CalendarDate(shanghai: now)
        func count(_ outcome: TaskOutcome, _ child: String) {
            guard outcome != .notCounted else { return }
            out[child, default: PerformanceInputs()].tasksDue += 1
            if outcome == .doneOnTime { out[child, default: PerformanceInputs()].tasksDoneOnTime += 1 }
        }
        for (id, child) in childOf {
            count(TaskOutcome.routine(kind: kindOf[id]!, visits: visits[id] ?? [], recordedOn: recorded[id] ?? from, from: from,
                                      through: to, today: today), child)
        }
        for r in try await inArea(sql.select().columns("subject_id", "due_on", "created_at", childColumn).from("directed_tasks"))
            .where("due_on", .greaterThanOrEqual, SQLBind(from.description)).where("due_on", .lessThanOrEqual, SQLBind(to.description)).all() {
            count(TaskOutcome.directed(givenOn: CalendarDate(shanghai: try r.decode(column: "created_at", as: Date.self)),
                                       dueOn: try CalendarDate(try r.decode(column: "due_on", as: String.self)),
                                       visits: visits[try r.decode(column: "subject_id", as: UUID.self)] ?? [], today: today),
                  try r.decode(column: childColumn, as: String.self))
        }
        // Reports: hazards found in the period; confirmed by the party's signature or verification.
        let signed = SQLSubquery.select { $0.column("inspection_id").from("signatures") }
        for (confirmedOnly, key) in [(false, "reported"), (true, "confirmed")] {
            var b = inArea(sql.select().column(SQLIdentifier(childColumn)).column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("hazards"))
                .where("found_on", .greaterThanOrEqual, SQLBind(from.description)).where("found_on", .lessThanOrEqual, SQLBind(to.description))
            if confirmedOnly {
                b = b.where { $0.where("inspection_id", .in, signed).orWhere("state", .equal, SQLBind(HazardState.rectified.rawValue)) }
            }
            for r in try await b.groupBy(SQLIdentifier(childColumn)).all() {
                let child = try r.decode(column: childColumn, as: String.self)
                let n = try r.decode(column: "n", as: Int.self)
                if key == "reported" { out[child, default: PerformanceInputs()].hazardsReported = n } else { out[child, default: PerformanceInputs()].reportsConfirmed = n }
            }
        }
        // Re-inspections: deadlines in the period, re-inspected by the deadline.
        let reinspectionKinds = [HazardEventKind.verifyRectified, .notYetRectified, .reportRebound].map(\.rawValue)
        let start = from.startUTC, end = to.endUTC
        let due = try await inArea(sql.select().columns("id", "due_at", childColumn).from("hazards"))
            .where("due_at", .greaterThanOrEqual, SQLBind(start)).where("due_at", .lessThanOrEqual, SQLBind(end)).all()
        var dueAt: [UUID: (String, Date)] = [:]
        for r in due { dueAt[try r.decode(column: "id", as: UUID.self)] = (try r.decode(column: childColumn, as: String.self), try r.decode(column: "due_at", as: Date.self)) }
        var onTime = Set<UUID>()
        for chunk in Array(dueAt.keys).chunked(DashboardCounters.idsPerRead) {
            for r in try await sql.select().columns("hazard_id", "occurred_at").from("hazard_events").where("hazard_id", .in, SQLBind.group(chunk))
                .where("kind", .in, SQLBind.group(reinspectionKinds)).all() {
                let id = try r.decode(column: "hazard_id", as: UUID.self)
                if let d = dueAt[id], try r.decode(column: "occurred_at", as: Date.self) <= d.1 { onTime.insert(id) }
            }
        }
        for (id, d) in dueAt {
            // A deadline still ahead is not missed yet: it counts once done or passed.
            guard onTime.contains(id) || d.1 < now else { continue }
            out[d.0, default: PerformanceInputs()].reinspectionsDue += 1
            if onTime.contains(id) { out[d.0, default: PerformanceInputs()].reinspectionsDoneOnTime += 1 }
        }
        // 整改率 of each child, from the counters.
        let children = area.level == childLevel ? [area.code] : try await q.children(of: area.code).map(\.code)
        for (code, c) in try await q.counters(of: children) {
            out[code, default: PerformanceInputs()].areaRectification = RectificationRate(found: c[DashboardMetric.found.key] ?? 0, rectified: c[DashboardMetric.rectified.key] ?? 0)
        }
        return out
    }

    /// `/performance?areaCode=&from=&to=`: the ranking page, filterable by period.
    static func page(_ req: Request) async throws -> Response {
        let r = try await ranking(req)
        return Layout.page(title: "绩效排名", subtitle: "Performance ranking · \(r.areaCode) · \(r.from) – \(r.to)", nodes: [
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

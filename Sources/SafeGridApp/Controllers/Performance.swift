import Foundation
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
        // A village's grids are shown with their workers.
        let workers = try await children.first?.level == .grid
            ? PerformanceQueries(queries: req.queries).gridWorkers(children.map(\.code)) : [:]
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
        let q = req.queries
        let store = PerformanceQueries(queries: q)
        var out: [String: PerformanceInputs] = [:]
        // Tasks: subjects, their visits, directed tasks.
        let subjects = try await store.openSubjects(of: area, by: childLevel)
        let visits = try await store.visits(of: area, through: to)
        let today = CalendarDate(shanghai: now)
        func count(_ outcome: TaskOutcome, _ child: String) {
            guard outcome != .notCounted else { return }
            out[child, default: PerformanceInputs()].tasksDue += 1
            if outcome == .doneOnTime { out[child, default: PerformanceInputs()].tasksDoneOnTime += 1 }
        }
        for s in subjects {
            count(TaskOutcome.routine(kind: s.kind, visits: visits[s.id] ?? [], recordedOn: s.recordedOn, from: from,
                                      through: to, today: today), s.child)
        }
        for d in try await store.directedTasksDue(in: area, by: childLevel, from: from, through: to) {
            count(TaskOutcome.directed(givenOn: d.givenOn, dueOn: d.dueOn, visits: visits[d.subjectId] ?? [], today: today), d.child)
        }
        // Reports: hazards found in the period; confirmed by the party's signature or verification.
        for (child, n) in try await store.hazardsFound(in: area, by: childLevel, from: from, through: to, confirmedOnly: false) {
            out[child, default: PerformanceInputs()].hazardsReported = n
        }
        for (child, n) in try await store.hazardsFound(in: area, by: childLevel, from: from, through: to, confirmedOnly: true) {
            out[child, default: PerformanceInputs()].reportsConfirmed = n
        }
        // Re-inspections: deadlines in the period, re-inspected by the deadline.
        let dueAt = try await store.deadlines(in: area, by: childLevel, from: from, through: to)
        var onTime = Set<UUID>()
        for (id, at) in try await store.reinspections(of: Array(dueAt.keys)) {
            if let d = dueAt[id], at <= d.dueAt { onTime.insert(id) }
        }
        for (id, d) in dueAt {
            // A deadline still ahead is not missed yet: it counts once done or passed.
            guard onTime.contains(id) || d.dueAt < now else { continue }
            out[d.child, default: PerformanceInputs()].reinspectionsDue += 1
            if onTime.contains(id) { out[d.child, default: PerformanceInputs()].reinspectionsDoneOnTime += 1 }
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
        return PerformancePage.render(r)
    }
}

import Foundation
import SQLKit
import SafeGridCore
import Vapor

/// The one-screen dashboard (一屏归集) of an area: the figures the wall screen shows, as JSON and
/// as the HTML page. Read from the dashboard counters (``DashboardCounters``), not aggregated.
package struct DashboardFigures: Content {
    package struct KindFigures: Content {
        let kind: String
        package let zh: String
        let en: String
        /// Subjects with at least one inspection.
        package let subjectsInspected: Int
        /// Rooms (间) of the inspected rental housing; `nil` for other kinds.
        package let roomsInspected: Int?
        package let hazardsFound: Int
        package let hazardsRectified: Int
        let hazardsOpen: Int
        /// 整改率 in percent, two decimals, half up (33.99).
        let rectificationRate: Double
        /// `"33.99%"`.
        package let rectificationRateText: String
    }

    struct ColourCount: Content {
        let colour: ColourDTO
        let subjects: Int
    }

    struct ChildFigures: Content {
        let rank: Int
        let code: String
        let name: String
        let hazardsFound: Int
        let hazardsRectified: Int
        let hazardsOpen: Int
        let hazardsOverdue: Int
        let rectificationRate: Double
        let rectificationRateText: String
    }

    struct OverdueHazard: Content {
        let id: UUID
        let subjectId: UUID
        let subjectName: String
        let itemCode: String
        let severity: String
        let state: String
        let dueOn: String
        let daysOverdue: Int
    }

    struct TrendDay: Content {
        let date: String
        let found: Int
        let rectified: Int
    }

    let area: AreaDTO
    let generatedAt: String
    /// Per subject kind, keyed by kind (`enterprise`, `streetShop`, `rentalHousing`, `smallMicroPark`).
    let byKind: [String: KindFigures]
    package let kinds: [KindFigures]
    let hazardsFound: Int
    let hazardsRectified: Int
    let rectificationRate: Double
    let rectificationRateText: String
    let colours: [ColourCount]
    /// The area's children (villages of a town, grids of a village …), best rectification rate first.
    let ranking: [ChildFigures]
    let overdueCount: Int
    /// 重点隐患企业 listed in the area by the latest ranking (``KeyHazards``).
    let keyHazardEnterprises: Int
    let overdueBySeverity: [String: Int]
    let overdueOldest: [OverdueHazard]
    /// The last 30 Asia/Shanghai days, oldest first.
    let trend: [TrendDay]
}

package enum DashboardController {
    /// `GET /api/v1/dashboard?areaCode=`: the figures as JSON; the encoded body is cached with
    /// the figures, so a wall screen polling an unchanged area costs no encoding.
    static func json(_ req: Request) async throws -> Response {
        let code = req.query[String.self, at: "areaCode"] ?? req.homeAreaCode
        guard req.queries.sees(area: code) else {
            throw DomainError(.notFound, field: "areaCode", reason: "no area with code \(code)")
        }
        let now = req.services.now()
        let generation = await req.application.writeGate.generation
        let cache = req.application.dashboardCache
        let cacheOn = req.application.settings.dashboardCache
        if cacheOn, let body = await cache.json(code, generation: generation, now: now) {
            return Response.json(encoded: body)
        }
        let response = try Response.json(try await figures(for: code, req: req))
        if cacheOn, let body = response.body.data {
            await cache.store(json: body, for: code, generation: generation, at: now)
        }
        return response
    }

    /// The figures of an area, from the cache when no write has committed since they were
    /// computed and they are younger than ``DashboardCache/maxAge`` (overdue counts move with
    /// the clock, not only with writes).
    static func figures(for code: String, req: Request) async throws -> DashboardFigures {
        // Jurisdiction before the cache: cached figures are shared by everyone who may see them.
        guard req.queries.sees(area: code) else {
            throw DomainError(.notFound, field: "areaCode", reason: "no area with code \(code)")
        }
        let now = req.services.now()
        let generation = await req.application.writeGate.generation
        if req.application.settings.dashboardCache,
           let cached = await req.application.dashboardCache.figures(code, generation: generation, now: now) {
            return cached
        }
        guard let area = try await req.queries.area(code) else {
            throw DomainError(.notFound, field: "areaCode", reason: "no area with code \(code)")
        }
        let figures = try await compute(area: area, sql: req.sql, children: try await req.queries.children(of: code), now: now)
        await req.application.dashboardCache.store(figures, for: code, generation: generation, at: now)
        return figures
    }

    /// Computes the figures of `area` from the dashboard counters (``DashboardCounters``): a few
    /// indexed reads of the area's and its children's counter rows plus the ten oldest overdue
    /// hazards through a partial index — the same cost at 10,000 and at 1,000,000 hazards.
    /// "Overdue" means marked overdue by the deadline job, which runs every minute.
    package static func compute(area: Area, sql: any SQLDatabase, children: [Area], now: Date) async throws -> DashboardFigures {
        let counters = DashboardCounters(sql: sql)
        let own = try await counters.counts(of: [area.code])[area.code] ?? [:]
        func n(_ metric: DashboardMetric) -> Int { own[metric.key] ?? 0 }

        let kinds = SubjectKind.allCases.map { k in
            let rate = RectificationRate(found: n(.foundOf(k)), rectified: n(.rectifiedOf(k)))
            return DashboardFigures.KindFigures(
                kind: k.rawValue, zh: k.zh, en: k.en, subjectsInspected: n(.inspectedOf(k)),
                roomsInspected: k == .rentalHousing ? n(.roomsOf(k)) : nil,
                hazardsFound: rate.found, hazardsRectified: rate.rectified, hazardsOpen: n(.openOf(k)),
                rectificationRate: rate.percent, rectificationRateText: rate.description)
        }
        let total = RectificationRate(found: n(.found), rectified: n(.rectified))
        let colours = SubjectColour.all.map { DashboardFigures.ColourCount(colour: ColourDTO($0), subjects: n(.colour($0))) }

        // Ranking of the children.
        let perChild = try await counters.counts(of: children.map(\.code),
                                                 metrics: [DashboardMetric.found, .rectified, .open, .overdue].map(\.key))
        let rows = children.map { c -> (area: Area, entry: AreaRanking.Entry, open: Int) in
            let v = perChild[c.code] ?? [:]
            func m(_ metric: DashboardMetric) -> Int { v[metric.key] ?? 0 }
            return (c, AreaRanking.Entry(code: c.code, rate: RectificationRate(found: m(.found), rectified: m(.rectified)),
                                         overdue: m(.overdue)), m(.open))
        }.sorted { AreaRanking.ranksAbove($0.entry, $1.entry) }
        let ranking = rows.enumerated().map { (i, r) in
            DashboardFigures.ChildFigures(rank: i + 1, code: r.area.code, name: r.area.shortName, hazardsFound: r.entry.rate.found,
                                          hazardsRectified: r.entry.rate.rectified, hazardsOpen: r.open,
                                          hazardsOverdue: r.entry.overdue,
                                          rectificationRate: r.entry.rate.percent, rectificationRateText: r.entry.rate.description)
        }

        // Overdue hazards: counts from the counters, the oldest ten through the partial index.
        let overdueBySeverity = Dictionary(uniqueKeysWithValues: Severity.allCases.compactMap { s in
            n(.overdueOf(s)) == 0 ? nil : (s.rawValue, n(.overdueOf(s)))
        })
        let oldestRows = try await counters.oldestOverdue(in: area.code, limit: 10)
        let names = try await CampaignQueries(sql: sql, scope: .everything).subjects(oldestRows.map(\.subjectId))
        let today = CalendarDate(shanghai: now)
        let oldest = oldestRows.map { h in
            DashboardFigures.OverdueHazard(id: h.id, subjectId: h.subjectId, subjectName: names[h.subjectId]?.name ?? "",
                                           itemCode: h.itemCode, severity: h.severity, state: h.state,
                                           dueOn: CalendarDate(shanghai: h.dueAt).description,
                                           daysOverdue: CalendarDate(shanghai: h.dueAt).days(until: today))
        }

        // 30-day trend.
        let start = today.adding(days: -29)
        let trend = (0..<30).map { i -> DashboardFigures.TrendDay in
            let d = start.adding(days: i)
            return DashboardFigures.TrendDay(date: d.description, found: n(.foundOn(d)), rectified: n(.rectifiedOn(d)))
        }

        return DashboardFigures(
            area: AreaDTO(area), generatedAt: Timestamp.format(now),
            byKind: Dictionary(uniqueKeysWithValues: kinds.map { ($0.kind, $0) }), kinds: kinds,
            hazardsFound: total.found, hazardsRectified: total.rectified, rectificationRate: total.percent,
            rectificationRateText: total.description, colours: colours, ranking: ranking,
            overdueCount: n(.overdue), keyHazardEnterprises: try await KeyHazardStore(sql: sql).count(in: area.code),
            overdueBySeverity: overdueBySeverity,
            overdueOldest: oldest, trend: trend)
    }
}

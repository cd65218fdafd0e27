import Foundation
import SQLKit
import SafeGridCore
import Vapor

/// The one-screen dashboard (一屏归集) of an area: the figures the big screen shows, as JSON and
/// as the HTML page. Computed from the hazard and subject rows on each request.
struct DashboardFigures: Content {
    struct KindFigures: Content {
        let kind: String
        let zh: String
        let en: String
        /// Subjects with at least one inspection.
        let subjectsInspected: Int
        /// Rooms (间) of the inspected rental housing; `nil` for other kinds.
        let roomsInspected: Int?
        let hazardsFound: Int
        let hazardsRectified: Int
        let hazardsOpen: Int
        /// 整改率 in percent, two decimals, half up (33.99).
        let rectificationRate: Double
        /// `"33.99%"`.
        let rectificationRateText: String
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
    let kinds: [KindFigures]
    let hazardsFound: Int
    let hazardsRectified: Int
    let rectificationRate: Double
    let rectificationRateText: String
    let colours: [ColourCount]
    /// The area's children (villages of a town, grids of a village …), best rectification rate first.
    let ranking: [ChildFigures]
    let overdueCount: Int
    let overdueBySeverity: [String: Int]
    let overdueOldest: [OverdueHazard]
    /// The last 30 Asia/Shanghai days, oldest first.
    let trend: [TrendDay]
}

enum DashboardController {
    static func json(_ req: Request) async throws -> Response {
        let code = req.query[String.self, at: "areaCode"] ?? BundledAreas.gualiTownCode
        return try Response.json(try await figures(for: code, req: req))
    }

    /// The figures of an area, from the cache when no write has committed since they were
    /// computed and they are younger than ``DashboardCache/maxAge`` (overdue counts move with
    /// the clock, not only with writes).
    static func figures(for code: String, req: Request) async throws -> DashboardFigures {
        let now = req.services.now()
        let generation = await req.application.writeGate.generation
        if let cached = await req.application.dashboardCache.figures(code, generation: generation, now: now) {
            return cached
        }
        guard let area = try await req.queries.area(code) else {
            throw DomainError(.notFound, field: "areaCode", reason: "no area with code \(code)")
        }
        let figures = try await compute(area: area, sql: req.sql, children: try await req.queries.children(of: code), now: now)
        await req.application.dashboardCache.store(figures, for: code, generation: generation, at: now)
        return figures
    }

    static func compute(area: Area, sql: any SQLDatabase, children: [Area], now: Date) async throws -> DashboardFigures {
        let column = CampaignQueries.areaColumn(for: area.code)
        func scoped(_ q: SQLSelectBuilder) -> SQLSelectBuilder {
            guard let column else { return q }
            return q.where(SQLIdentifier(column), .equal, SQLBind(area.code))
        }
        let openList = SQLBind.group(CampaignQueries.openStates)
        let isRectified = SQLRaw("CASE WHEN state = 'rectified' THEN 1 ELSE 0 END")
        let isOpen = SQLRaw("CASE WHEN state IN ('open','rectifying','rebound') THEN 1 ELSE 0 END")

        // Hazards per kind.
        var found: [String: Int] = [:], rectified: [String: Int] = [:], open: [String: Int] = [:]
        for row in try await scoped(sql.select()
            .column("subject_kind")
            .column(SQLFunction("COUNT", args: SQLLiteral.all), as: "found")
            .column(SQLSumAsInteger(isRectified), as: "rectified")
            .column(SQLSumAsInteger(isOpen), as: "open")
            .from("hazards")).groupBy("subject_kind").all() {
            let kind = try row.decode(column: "subject_kind", as: String.self)
            found[kind] = try row.decode(column: "found", as: Int.self)
            rectified[kind] = try row.decode(column: "rectified", as: Int?.self) ?? 0
            open[kind] = try row.decode(column: "open", as: Int?.self) ?? 0
        }
        // Subjects inspected per kind (at least one inspection), with rooms.
        var inspected: [String: Int] = [:], rooms: [String: Int] = [:]
        var subjectsQuery = sql.select()
            .column(SQLColumn("kind", table: "s"))
            .column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
            .column(SQLSumAsInteger(SQLColumn("rooms", table: "s")), as: "rooms")
            .from(SQLAlias(SQLIdentifier("subjects"), as: SQLIdentifier("s")))
            .where(SQLRaw("EXISTS (SELECT 1 FROM inspections i WHERE i.subject_id = s.id)"))
        if let column { subjectsQuery = subjectsQuery.where(SQLColumn(column, table: "s"), .equal, SQLBind(area.code)) }
        for row in try await subjectsQuery.groupBy(SQLColumn("kind", table: "s")).all() {
            let kind = try row.decode(column: "kind", as: String.self)
            inspected[kind] = try row.decode(column: "n", as: Int.self)
            rooms[kind] = try row.decode(column: "rooms", as: Int?.self) ?? 0
        }
        let kinds = SubjectKind.allCases.map { k in
            let rate = RectificationRate(found: found[k.rawValue] ?? 0, rectified: rectified[k.rawValue] ?? 0)
            return DashboardFigures.KindFigures(
                kind: k.rawValue, zh: k.zh, en: k.en, subjectsInspected: inspected[k.rawValue] ?? 0,
                roomsInspected: k == .rentalHousing ? rooms[k.rawValue] ?? 0 : nil,
                hazardsFound: rate.found, hazardsRectified: rate.rectified, hazardsOpen: open[k.rawValue] ?? 0,
                rectificationRate: rate.percent, rectificationRateText: rate.description)
        }
        let total = RectificationRate(found: kinds.map(\.hazardsFound).reduce(0, +),
                                      rectified: kinds.map(\.hazardsRectified).reduce(0, +))

        // Subjects by colour.
        var colourCounts: [String: Int] = [:]
        for row in try await scoped(sql.select().column("colour")
            .column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("subjects")
            .where("colour", .isNot, SQLLiteral.null)).groupBy("colour").all() {
            colourCounts[try row.decode(column: "colour", as: String.self)] = try row.decode(column: "n", as: Int.self)
        }
        let colours = SubjectColour.all.map { DashboardFigures.ColourCount(colour: ColourDTO($0), subjects: colourCounts[$0.key] ?? 0) }

        // Ranking of the children.
        var ranking: [DashboardFigures.ChildFigures] = []
        if let first = children.first, let childColumn = CampaignQueries.areaColumn(for: first.code) {
            var perChild: [String: (Int, Int, Int, Int)] = [:]
            for row in try await scoped(sql.select()
                .column(SQLIdentifier(childColumn), as: "code")
                .column(SQLFunction("COUNT", args: SQLLiteral.all), as: "found")
                .column(SQLSumAsInteger(isRectified), as: "rectified")
                .column(SQLSumAsInteger(isOpen), as: "open")
                .from("hazards")).groupBy(SQLIdentifier(childColumn)).all() {
                perChild[try row.decode(column: "code", as: String.self)] = (
                    try row.decode(column: "found", as: Int.self), try row.decode(column: "rectified", as: Int?.self) ?? 0,
                    try row.decode(column: "open", as: Int?.self) ?? 0, 0)
            }
            for row in try await scoped(sql.select()
                .column(SQLIdentifier(childColumn), as: "code")
                .column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
                .from("hazards").where("state", .in, openList).where("due_at", .lessThan, SQLBind(now)))
                .groupBy(SQLIdentifier(childColumn)).all() {
                let code = try row.decode(column: "code", as: String.self)
                perChild[code]?.3 = try row.decode(column: "n", as: Int.self)
            }
            let rows = children.map { c -> (Area, (Int, Int, Int, Int), RectificationRate) in
                let v = perChild[c.code] ?? (0, 0, 0, 0)
                return (c, v, RectificationRate(found: v.0, rectified: v.1))
            }.sorted {
                if $0.2.basisPoints != $1.2.basisPoints { return $0.2.basisPoints > $1.2.basisPoints }
                if $0.1.3 != $1.1.3 { return $0.1.3 < $1.1.3 }
                return $0.0.code < $1.0.code
            }
            ranking = rows.enumerated().map { (i, r) in
                DashboardFigures.ChildFigures(rank: i + 1, code: r.0.code, name: r.0.shortName, hazardsFound: r.1.0,
                                              hazardsRectified: r.1.1, hazardsOpen: r.1.2, hazardsOverdue: r.1.3,
                                              rectificationRate: r.2.percent, rectificationRateText: r.2.description)
            }
        }

        // Overdue hazards.
        var overdueBySeverity: [String: Int] = [:]
        for row in try await scoped(sql.select().column("severity")
            .column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("hazards")
            .where("state", .in, openList).where("due_at", .lessThan, SQLBind(now))).groupBy("severity").all() {
            overdueBySeverity[try row.decode(column: "severity", as: String.self)] = try row.decode(column: "n", as: Int.self)
        }
        let oldestRows = try await scoped(sql.select().columns("*").from("hazards")
            .where("state", .in, openList).where("due_at", .lessThan, SQLBind(now)))
            .orderBy("due_at").orderBy("id").limit(10)
            .all(decoding: HazardRow.self, keyDecodingStrategy: .convertFromSnakeCase)
        let names = try await CampaignQueries(sql: sql).subjects(oldestRows.map(\.subjectId))
        let today = CalendarDate(shanghai: now)
        let oldest = oldestRows.map { h in
            DashboardFigures.OverdueHazard(id: h.id, subjectId: h.subjectId, subjectName: names[h.subjectId]?.name ?? "",
                                           itemCode: h.itemCode, severity: h.severity, state: h.state,
                                           dueOn: CalendarDate(shanghai: h.dueAt).description,
                                           daysOverdue: CalendarDate(shanghai: h.dueAt).days(until: today))
        }

        // 30-day trend.
        let start = today.adding(days: -29)
        var foundPerDay: [String: Int] = [:], rectifiedPerDay: [String: Int] = [:]
        for (dayColumn, into) in [("found_on", 0), ("rectified_on", 1)] {
            for row in try await scoped(sql.select().column(SQLIdentifier(dayColumn), as: "day")
                .column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("hazards")
                .where(SQLIdentifier(dayColumn), .greaterThanOrEqual, SQLBind(start.description))
                .where(SQLIdentifier(dayColumn), .lessThanOrEqual, SQLBind(today.description)))
                .groupBy(SQLIdentifier(dayColumn)).all() {
                let day = try row.decode(column: "day", as: String.self)
                let n = try row.decode(column: "n", as: Int.self)
                if into == 0 { foundPerDay[day] = n } else { rectifiedPerDay[day] = n }
            }
        }
        let trend = (0..<30).map { i -> DashboardFigures.TrendDay in
            let d = start.adding(days: i).description
            return DashboardFigures.TrendDay(date: d, found: foundPerDay[d] ?? 0, rectified: rectifiedPerDay[d] ?? 0)
        }

        return DashboardFigures(
            area: AreaDTO(area), generatedAt: Timestamp.format(now),
            byKind: Dictionary(uniqueKeysWithValues: kinds.map { ($0.kind, $0) }), kinds: kinds,
            hazardsFound: total.found, hazardsRectified: total.rectified, rectificationRate: total.percent,
            rectificationRateText: total.description, colours: colours, ranking: ranking,
            overdueCount: overdueBySeverity.values.reduce(0, +), overdueBySeverity: overdueBySeverity,
            overdueOldest: oldest, trend: trend)
    }
}

/// `CAST(SUM(x) AS BIGINT)`: PostgreSQL sums a BIGINT column as NUMERIC, SQLite as INTEGER; the
/// cast makes both decode as `Int`.
struct SQLSumAsInteger: SQLExpression {
    let expression: any SQLExpression
    init(_ expression: any SQLExpression) { self.expression = expression }

    func serialize(to serializer: inout SQLSerializer) {
        serializer.write("CAST(SUM(")
        expression.serialize(to: &serializer)
        serializer.write(") AS BIGINT)")
    }
}

/// Dashboard figures per area, kept until the next committed write or for ``maxAge``.
actor DashboardCache {
    /// Longest time figures are served without recomputing, so that hazards turning overdue
    /// as the clock passes their deadline show within this time.
    static let maxAge: TimeInterval = 30
    private var entries: [String: (generation: Int, at: Date, figures: DashboardFigures)] = [:]

    func figures(_ code: String, generation: Int, now: Date) -> DashboardFigures? {
        guard let e = entries[code], e.generation == generation, now.timeIntervalSince(e.at) < Self.maxAge,
              now >= e.at else { return nil }
        return e.figures
    }

    func store(_ figures: DashboardFigures, for code: String, generation: Int, at: Date) {
        if entries.count > 5_000 { entries.removeAll() }
        entries[code] = (generation, at, figures)
    }
}

struct DashboardCacheKey: StorageKey { typealias Value = DashboardCache }

extension Application {
    var dashboardCache: DashboardCache {
        if let c = storage[DashboardCacheKey.self] { return c }
        let c = DashboardCache()
        storage[DashboardCacheKey.self] = c
        return c
    }
}

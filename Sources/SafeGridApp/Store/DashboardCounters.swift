import Foundation
import SQLKit
import SafeGridCore
import Vapor

/// The dashboard's counters (`area_counters`: area code, metric, value), moved in the same
/// transaction as every campaign write (``CampaignStore/write(_:meta:recordedAt:)``) and read by
/// the dashboard instead of aggregating the hazard rows. Metric names and what they count:
/// ``DashboardTally``.
struct DashboardCounters {
    let sql: any SQLDatabase

    /// Rows per upsert statement (3 binds each).
    static let rowsPerStatement = 5_000
    /// Ids per `IN (…)` list when reading the state of records before a write.
    static let idsPerRead = 2_000

    // MARK: Facts of records before a write

    /// What the dashboard counts of these hazards as stored now; absent ids are new hazards.
    func hazardFacts(_ ids: [UUID]) async throws -> [UUID: HazardFacts] {
        var result: [UUID: HazardFacts] = [:]
        for chunk in ids.chunked(Self.idsPerRead) {
            let rows = try await sql.select()
                .columns("id", "subject_kind", "micro_grid_code", "state", "severity", "found_on", "rectified_on", "overdue_at")
                .from("hazards").where("id", .in, SQLBind.group(chunk)).all()
            for row in rows {
                // An unreadable row is left out here as in every read (``StoredRow``).
                guard let id = try? row.decode(column: "id", as: UUID.self), let facts = row.noted("hazards", Self.hazardFacts, sql) else { continue }
                result[id] = facts
            }
        }
        return result
    }

    /// The columns ``subjectFacts(_:)`` reads: a subject's kind, micro-grid, rooms and colour,
    /// and whether it has an inspection.
    private func subjectFactsQuery() -> SQLSelectBuilder {
        sql.select()
            .column(SQLColumn("id", table: "s")).column(SQLColumn("kind", table: "s"))
            .column(SQLColumn("micro_grid_code", table: "s")).column(SQLColumn("rooms", table: "s"))
            .column(SQLColumn("colour", table: "s"))
            .column(SQLRaw("CASE WHEN EXISTS (SELECT 1 FROM inspections i WHERE i.subject_id = s.id) THEN 1 ELSE 0 END"),
                    as: "inspected")
            .from(SQLAlias(SQLIdentifier("subjects"), as: SQLIdentifier("s")))
    }

    /// What the dashboard counts of these subjects as stored now.
    func subjectFacts(_ ids: [UUID]) async throws -> [UUID: SubjectFacts] {
        var result: [UUID: SubjectFacts] = [:]
        for chunk in ids.chunked(Self.idsPerRead) {
            let rows = try await subjectFactsQuery()
                .where(SQLColumn("id", table: "s"), .in, SQLBind.group(chunk)).all()
            for row in rows {
                guard let id = try? row.decode(column: "id", as: UUID.self), let facts = row.noted("subjects", Self.subjectFacts, sql) else { continue }
                result[id] = facts
            }
        }
        return result
    }

    static func hazardFacts(_ row: any SQLRow) throws -> HazardFacts {
        HazardFacts(kind: SubjectKind(rawValue: try row.decode(column: "subject_kind", as: String.self)) ?? .enterprise,
                    microGridCode: try row.decode(column: "micro_grid_code", as: String.self),
                    state: HazardState(rawValue: try row.decode(column: "state", as: String.self)) ?? .open,
                    severity: Severity(rawValue: try row.decode(column: "severity", as: String.self)) ?? .general,
                    foundOn: try CalendarDate(try row.decode(column: "found_on", as: String.self)),
                    rectifiedOn: try row.decode(column: "rectified_on", as: String?.self).map { try CalendarDate($0) },
                    markedOverdue: try row.decode(column: "overdue_at", as: Date?.self) != nil)
    }

    static func subjectFacts(_ row: any SQLRow) throws -> SubjectFacts {
        SubjectFacts(kind: SubjectKind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .enterprise,
                     microGridCode: try row.decode(column: "micro_grid_code", as: String.self),
                     rooms: try row.decode(column: "rooms", as: Int?.self),
                     inspected: try row.decode(column: "inspected", as: Int.self) != 0,
                     colour: try row.decode(column: "colour", as: String?.self).flatMap(SubjectColour.init(key:)))
    }

    // MARK: Writing

    /// Adds the tally's counts to the stored counters (`value = value + delta`), in the tally's
    /// fixed row order.
    func add(_ tally: DashboardTally) async throws {
        let rows = tally.rows
        var start = 0
        while start < rows.count {
            let end = min(start + Self.rowsPerStatement, rows.count)
            var query = sql.insert(into: "area_counters").columns("area_code", "metric", "value")
            for r in rows[start..<end] { query = query.values(SQLBind(r.area), SQLBind(r.metric), SQLBind(r.value)) }
            try await query.onConflict(with: ["area_code", "metric"]) {
                $0.set("value", to: SQLRaw("area_counters.value + excluded.value"))
            }.run()
            start = end
        }
    }

    /// Rebuilds every counter from the hazard and subject rows (`safegrid recount`). Run inside a
    /// write transaction.
    /// - Returns: the counters as they were before and as they are now.
    @discardableResult
    func rebuild() async throws -> (before: DashboardTally, after: DashboardTally) {
        let before = try await stored()
        let after = try await recount()
        try await sql.delete(from: "area_counters").run()
        try await add(after)
        return (before, after)
    }

    // MARK: Reading

    /// Every stored counter (zeros left out).
    func stored() async throws -> DashboardTally {
        var tally = DashboardTally()
        for row in try await sql.select().columns("area_code", "metric", "value").from("area_counters").all() {
            tally.add(try row.decode(column: "value", as: Int.self), try row.decode(column: "metric", as: String.self),
                      in: try row.decode(column: "area_code", as: String.self))
        }
        return tally
    }

    /// The counters summed afresh from every hazard and subject row, read in pages by id.
    func recount() async throws -> DashboardTally {
        var tally = DashboardTally()
        var after: UUID? = nil
        while true {
            var q = sql.select()
                .columns("id", "subject_kind", "micro_grid_code", "state", "severity", "found_on", "rectified_on", "overdue_at")
                .from("hazards")
            if let after { q = q.where("id", .greaterThan, SQLBind(after)) }
            let rows = try await q.orderBy("id").limit(20_000).all()
            for row in rows { if let facts = row.noted("hazards", Self.hazardFacts, sql) { tally.add(facts.contribution) } }
            // A short page is the last; an id that cannot be read does not stop the walk.
            guard rows.count == 20_000, let last = rows.lazy.reversed().compactMap({ try? $0.decode(column: "id", as: UUID.self) }).first,
                  last != after else { break }
            after = last
        }
        after = nil
        while true {
            var q = subjectFactsQuery()
            if let after { q = q.where(SQLColumn("id", table: "s"), .greaterThan, SQLBind(after)) }
            let rows = try await q.orderBy(SQLColumn("id", table: "s")).limit(20_000).all()
            for row in rows { if let facts = row.noted("subjects", Self.subjectFacts, sql) { tally.add(facts.contribution) } }
            // A short page is the last; an id that cannot be read does not stop the walk.
            guard rows.count == 20_000, let last = rows.lazy.reversed().compactMap({ try? $0.decode(column: "id", as: UUID.self) }).first,
                  last != after else { break }
            after = last
        }
        return tally
    }

    /// The counters of the given areas, optionally only the named metrics.
    func counts(of areas: [String], metrics: [String]? = nil) async throws -> [String: [String: Int]] {
        var result: [String: [String: Int]] = [:]
        for chunk in areas.chunked(Self.idsPerRead) {
            var q = sql.select().columns("area_code", "metric", "value").from("area_counters")
                .where("area_code", .in, SQLBind.group(chunk))
            if let metrics { q = q.where("metric", .in, SQLBind.group(metrics)) }
            for row in try await q.all() {
                result[try row.decode(column: "area_code", as: String.self), default: [:]][
                    try row.decode(column: "metric", as: String.self)] = try row.decode(column: "value", as: Int.self)
            }
        }
        return result
    }

    /// The `limit` hazards marked overdue longest ago (earliest deadline first, then id) in the
    /// area, through the partial index on the overdue mark.
    func oldestOverdue(in areaCode: String, limit: Int) async throws -> [HazardRow] {
        var query = sql.select().columns("*").from("hazards").where(SQLRaw(CreateDashboardCounters.markedOverdue))
        if let column = CampaignQueries.areaColumn(for: areaCode) {
            query = query.where(SQLIdentifier(column), .equal, SQLBind(areaCode))
        }
        return try await query.orderBy("due_at").orderBy("id").limit(limit).rows(HazardRow.self)
    }
}

extension Array {
    /// Consecutive slices of at most `size` elements.
    func chunked(_ size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}

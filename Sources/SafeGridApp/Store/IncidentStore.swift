import Foundation
import SQLKit
import SafeGridCore

/// One incident count: how many incidents of a kind an area had on a day.
package struct IncidentRecord: Sendable, Hashable {
    /// A village or community (12 digits) or a town (9 digits: the town's own count).
    package let areaCode: String
    package let day: CalendarDate
    package let kind: IncidentKind
    /// ≥ 0.
    package let count: Int

    package init(areaCode: String, day: CalendarDate, kind: IncidentKind, count: Int) {
        self.areaCode = areaCode
        self.day = day
        self.kind = kind
        self.count = count
    }

    /// The row's key: area, day and kind.
    package struct Key: Hashable, Sendable {
        let areaCode: String
        let day: CalendarDate
        let kind: IncidentKind
    }

    package var key: Key { Key(areaCode: areaCode, day: day, kind: kind) }
}

/// Reads and writes the `incidents` table (migration 013): one count per area, day and kind.
/// Writes run inside the caller's write transaction.
package struct IncidentStore {
    package let sql: any SQLDatabase

    package init(sql: any SQLDatabase) { self.sql = sql }

    /// Where a count came from (the `source` column).
    package enum Source: String, Sendable {
        /// A ledger import over HTTP (or the upload page); the rows carry the import's id.
        case ledgerImport = "import"
        /// `safegrid import` on the command line.
        case command
        /// The demo campaign.
        case demo
    }

    static let columns = ["area_code", "day", "kind", "count", "town_code", "village_code", "source", "import_id", "created_at", "updated_at"]

    /// Stores `records`, replacing the count of an area, day and kind already stored (its
    /// `created_at` is kept), in multi-row statements.
    /// - Parameters:
    ///   - importID: the ledger import writing them (``Source/ledgerImport`` only).
    ///   - at: when they are recorded (UTC).
    package func put(_ records: [IncidentRecord], source: Source, importID: UUID?, at: Date) async throws {
        guard !records.isEmpty else { return }
        let perStatement = CampaignStore.bindsPerStatement / Self.columns.count
        var start = 0
        while start < records.count {
            let end = min(start + perStatement, records.count)
            var query = sql.insert(into: "incidents").columns(Self.columns)
            for r in records[start..<end] {
                let town = String(r.areaCode.prefix(AreaLevel.town.codeLength))
                let village: String? = r.areaCode.count == AreaLevel.village.codeLength ? r.areaCode : nil
                query = query.values(SQLBind(r.areaCode), SQLBind(r.day.description), SQLBind(r.kind.rawValue), SQLBind(r.count),
                                     SQLBind(town), SQLBind(village), SQLBind(source.rawValue), SQLBind(importID), SQLBind(at), SQLBind(at))
            }
            try await query.onConflict(with: ["area_code", "day", "kind"]) {
                $0.set(excludedValueOf: "count").set(excludedValueOf: "source").set(excludedValueOf: "import_id")
                    .set(excludedValueOf: "updated_at")
            }.run()
            start = end
        }
    }

    /// The stored counts of the areas `areaCodes` from `first` through `last`, by key.
    package func stored(areaCodes: Set<String>, from first: CalendarDate, through last: CalendarDate) async throws -> [IncidentRecord.Key: Int] {
        var out: [IncidentRecord.Key: Int] = [:]
        for chunk in areaCodes.sorted().chunked(DashboardCounters.idsPerRead) {
            let rows = try await sql.select().columns("area_code", "day", "kind", "count").from("incidents")
                .where("area_code", .in, SQLBind.group(chunk))
                .where("day", .greaterThanOrEqual, SQLBind(first.description))
                .where("day", .lessThanOrEqual, SQLBind(last.description))
                .all()
            for row in rows {
                // A kind this version does not know is not one the file can name either.
                guard let kind = IncidentKind(rawValue: try row.decode(column: "kind", as: String.self)) else { continue }
                let key = IncidentRecord.Key(areaCode: try row.decode(column: "area_code", as: String.self),
                                             day: try CalendarDate(try row.decode(column: "day", as: String.self)), kind: kind)
                out[key] = try row.decode(column: "count", as: Int.self)
            }
        }
        return out
    }

    /// The sums of counts inside `area`, per part of it and kind, for each of `periods`.
    ///
    /// The parts: for the district, its towns (a town's part holds its own rows and its
    /// villages'); for a town, its villages, and `nil` for the rows the town keeps for itself;
    /// for a village, the village. One indexed read over the days from the earliest period's
    /// first to the latest's last, summed per period with `CASE` (periods may overlap).
    /// - Returns: part code (or `nil`) → kind → one sum per period, in the order of `periods`.
    ///   Parts and kinds without a row in any period are absent.
    /// - Throws: for a grid or micro-grid (incidents are counted per village and town), or when
    ///   a stored row cannot be read.
    /// The last day with any record of the town of `area` (a town or a village: the town's own
    /// records and its villages'; the district: every row), not after `notAfter`; `nil` without
    /// records. A village is dated by its town, so a quiet village's weeks count as zeros and the
    /// town and its villages show the same period.
    package func lastRecordedDay(in area: Area, notAfter: CalendarDate) async throws -> CalendarDate? {
        var q = sql.select().column(SQLFunction("MAX", args: SQLIdentifier("day")), as: "last").from("incidents")
            .where("day", .lessThanOrEqual, SQLBind(notAfter.description))
        if area.level != .district, area.code.count >= 9 { q = q.where("town_code", .equal, SQLBind(String(area.code.prefix(9)))) }
        guard let raw = try await q.first()?.decode(column: "last", as: String?.self) else { return nil }
        return try? CalendarDate(raw)
    }

    package func sums(in area: Area, periods: [ReportingPeriod]) async throws -> [String?: [IncidentKind: [Int]]] {
        guard let first = periods.map(\.first).min(), let last = periods.map(\.last).max() else { return [:] }
        let partColumn: String
        var filter: SQLQueryString = ""
        switch area.level {
        case .district:
            // Every row lies in the one district SafeGrid serves.
            partColumn = "town_code"
        case .town:
            partColumn = "village_code"
            filter = " AND town_code = \(bind: area.code)"
        case .village:
            partColumn = "village_code"
            filter = " AND village_code = \(bind: area.code)"
        case .grid, .microGrid:
            throw DomainError.invalid("areaCode", "incidents are counted per village and town, not per \(area.level.en.lowercased())")
        }
        // SQLKit has no CASE builder: the per-period sums are written out, every day bound.
        var select: SQLQueryString = "SELECT \(ident: partColumn) AS part, kind"
        for (i, p) in periods.enumerated() {
            // CAST: PostgreSQL sums a BIGINT column as NUMERIC.
            select += ", CAST(SUM(CASE WHEN day >= \(bind: p.first.description) AND day <= \(bind: p.last.description) THEN count ELSE 0 END) AS BIGINT) AS \(ident: "p\(i)")"
        }
        select += " FROM incidents WHERE day >= \(bind: first.description) AND day <= \(bind: last.description)"
        select += filter
        select += " GROUP BY \(ident: partColumn), kind"
        var out: [String?: [IncidentKind: [Int]]] = [:]
        for row in try await sql.raw(select).all() {
            guard let kind = IncidentKind(rawValue: try row.decode(column: "kind", as: String.self)) else { continue }
            let part = try row.decode(column: "part", as: String?.self)
            out[part, default: [:]][kind] = try periods.indices.map { try row.decode(column: "p\($0)", as: Int.self) }
        }
        return out
    }
}

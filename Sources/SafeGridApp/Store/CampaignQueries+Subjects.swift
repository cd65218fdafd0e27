import Foundation
import SQLKit
import SafeGridCore

/// Subjects: by id, credit code and filter, their visits, colour history and counters.
extension CampaignQueries {
    package func subject(_ id: UUID) async throws -> SubjectRow? {
        try await scoped(sql.select().columns("*").from("subjects").where("id", .equal, SQLBind(id)))
            .firstRow(SubjectRow.self)
    }

    func subjects(_ ids: [UUID]) async throws -> [UUID: SubjectRow] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await scoped(sql.select().columns("*").from("subjects").where("id", .in, SQLBind.group(Array(Set(ids)))))
            .rows(SubjectRow.self)
        return Dictionary(uniqueKeysWithValues: rows.map { ($0.id, $0) })
    }

    /// The subject with this credit code (GB 32100, 18 characters), inside the scope.
    package func subject(creditCode: String) async throws -> SubjectRow? {
        try await scoped(sql.select().columns("*").from("subjects").where("credit_code", .equal, SQLBind(creditCode)))
            .firstRow(SubjectRow.self)
    }

    /// Whether any subject of the district has this credit code (unscoped: codes are unique
    /// across the district, and a duplicate must be refused wherever the first one is).
    /// Whether any subject, in scope or not, has this id (a client-chosen id must not collide).
    func subjectExists(id: UUID) async throws -> Bool {
        try await sql.select().column("id").from("subjects").where("id", .equal, SQLBind(id)).first() != nil
    }

    func subjectExists(creditCode: String) async throws -> Bool {
        try await sql.select().column("id").from("subjects").where("credit_code", .equal, SQLBind(creditCode)).first() != nil
    }

    /// Stored subjects with these credit codes, or lying in these villages (ledger import's
    /// match by credit code, or by name and address within the village).
    func subjects(creditCodes: [String], villageCodes: [String]) async throws -> [SubjectRow] {
        var rows: [SubjectRow] = []
        var seen = Set<UUID>()
        for (column, values) in [("credit_code", creditCodes), ("village_code", villageCodes)] {
            for chunk in Array(Set(values)).sorted().chunked(DashboardCounters.idsPerRead) {
                for row in try await scoped(sql.select().columns("*").from("subjects").where(SQLIdentifier(column), .in, SQLBind.group(chunk)))
                    .rows(SubjectRow.self) where seen.insert(row.id).inserted {
                    rows.append(row)
                }
            }
        }
        return rows
    }

    /// The hazards of these subjects, oldest first (ledger import matches them by item and found day).
    func hazards(subjects ids: [UUID]) async throws -> [HazardRow] {
        var rows: [HazardRow] = []
        for chunk in Array(Set(ids)).chunked(DashboardCounters.idsPerRead) {
            rows += try await scoped(sql.select().columns("*").from("hazards").where("subject_id", .in, SQLBind.group(chunk)))
                .orderBy("found_at").orderBy("item_code").rows(HazardRow.self)
        }
        return rows
    }

    /// Subjects in pages by id (exports): at most `limit` after `cursor`.
    func subjectsPage(_ f: SubjectFilter, after cursor: UUID?, limit: Int) async throws -> [SubjectRow] {
        var q = filtered(sql.select().columns("*").from("subjects"), f)
        if let cursor { q = q.where("id", .greaterThan, SQLBind(cursor)) }
        return try await q.orderBy("id").limit(limit).rows(SubjectRow.self)
    }

    /// Hazards in pages by id (exports): at most `limit` after `cursor`, with the list's filters.
    func hazardsPage(_ f: HazardFilter, after cursor: UUID?, limit: Int) async throws -> [HazardRow] {
        var q = filtered(sql.select().columns("*").from("hazards"), f)
        if let cursor { q = q.where("id", .greaterThan, SQLBind(cursor)) }
        return try await q.orderBy("id").limit(limit).rows(HazardRow.self)
    }

    /// The events of these hazards in commit order (exports' timelines).
    func events(hazards ids: [UUID]) async throws -> [UUID: [HazardEventRow]] {
        var out: [UUID: [HazardEventRow]] = [:]
        for chunk in ids.chunked(DashboardCounters.idsPerRead) {
            for e in try await scopedBySubject(sql.select().columns("*").from("hazard_events").where("hazard_id", .in, SQLBind.group(chunk)))
                .orderBy("seq").rows(HazardEventRow.self) {
                out[e.hazardId, default: []].append(e)
            }
        }
        return out
    }

    /// Dashboard counters of these areas (``DashboardCounters``), for the village summary export.
    func counters(of areas: [String]) async throws -> [String: [String: Int]] {
        try await DashboardCounters(sql: sql).counts(of: areas.filter(sees(area:)))
    }

    /// Which of these subjects have at least one inspection.
    func inspectedSubjects(_ ids: [UUID]) async throws -> Set<UUID> {
        var out = Set<UUID>()
        for chunk in Array(Set(ids)).chunked(DashboardCounters.idsPerRead) {
            for row in try await sql.select().distinct().column("subject_id").from("inspections")
                .where("subject_id", .in, SQLBind.group(chunk)).all() {
                out.insert(try row.decode(column: "subject_id", as: UUID.self))
            }
        }
        return out
    }

    /// The latest inspection day (Asia/Shanghai) of each of these subjects that has one.
    func lastInspectionDays(_ ids: [UUID]) async throws -> [UUID: String] {
        var out: [UUID: String] = [:]
        for chunk in Array(Set(ids)).chunked(DashboardCounters.idsPerRead) {
            for row in try await scopedBySubject(sql.select().column("subject_id").column(SQLFunction("MAX", args: SQLIdentifier("inspected_on")), as: "d")
                .from("inspections").where("subject_id", .in, SQLBind.group(chunk))).groupBy("subject_id").all() {
                out[try row.decode(column: "subject_id", as: UUID.self)] = try row.decode(column: "d", as: String.self)
            }
        }
        return out
    }

    struct SubjectFilter: Sendable {
        var kind: SubjectKind?
        var areaCode: String?
        var colour: SubjectColour?
        var parentID: UUID?
        var search: String?
    }

    /// `q` on `subjects` restricted to the scope and the filter (lists, counts and export pages).
    func filtered(_ q: SQLSelectBuilder, _ f: SubjectFilter) -> SQLSelectBuilder {
        var q = scoped(q)
        if let kind = f.kind { q = q.where("kind", .equal, SQLBind(kind.rawValue)) }
        if let code = f.areaCode, let column = Self.areaColumn(for: code) { q = q.where(SQLIdentifier(column), .equal, SQLBind(code)) }
        if let colour = f.colour { q = q.where("colour", .equal, SQLBind(colour.key)) }
        if let parent = f.parentID { q = q.where("parent_id", .equal, SQLBind(parent)) }
        if let s = f.search, !s.isEmpty {
            // Credit codes are stored upper-case; a worker may type them in lower case.
            q = q.where(group: { g in
                g.where(SQLContains(column: "name", text: s)).orWhere(SQLContains(column: "address", text: s))
                    .orWhere(SQLContains(column: "credit_code", text: s.uppercased()))
            })
        }
        return q
    }

    func subjects(_ f: SubjectFilter, limit: Int, offset: Int) async throws -> (rows: [SubjectRow], total: Int) {
        let total = try await filtered(sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("subjects"), f)
            .first()?.decode(column: "n", as: Int.self) ?? 0
        let rows = try await filtered(sql.select().columns("*").from("subjects"), f).orderBy("name").limit(limit).offset(offset)
            .rows(SubjectRow.self)
        return (rows, total)
    }

    func colourHistory(subject id: UUID) async throws -> [ColourHistoryRow] {
        try await scopedBySubject(sql.select().columns("*").from("subject_colour_history").where("subject_id", .equal, SQLBind(id)))
            .orderBy("seq").rows(ColourHistoryRow.self)
    }

    /// How many subjects the database holds (all of them, whatever the scope).
    package func subjectCount() async throws -> Int {
        try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("subjects")
            .first()?.decode(column: "n", as: Int.self) ?? 0
    }
}

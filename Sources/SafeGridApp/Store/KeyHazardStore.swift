import Foundation
import SQLKit
import SafeGridCore

/// The key hazard enterprise tables (migration 007): `key_hazard_runs` (each ranking, with the
/// whole ranking as JSON), `key_hazard_enterprises` (the current list) and `key_hazard_changes`
/// (who entered and left, and why). The list and changes carry the denormalised area columns
/// (town, village, grid, micro-grid), so they filter like subjects.
struct KeyHazardStore {
    let sql: any SQLDatabase

    /// A row of the current list.
    struct Listed: Sendable {
        let subjectId: UUID
        /// Competition rank in its village, 1 = worst.
        let rank: Int
        /// The village's quota (⌈15% × its enterprises⌉) at the run.
        let quota: Int
        /// The problem score (``KeyHazardRanking``: Σ weight × (10 + overdue days ≤ 30)).
        let points: Int
        let openHazards: Int
        let overdueHazards: Int
        /// Listed since (YYYY-MM-DD, Asia/Shanghai).
        let since: String
    }

    /// A row of the list's history.
    struct Movement: Sendable {
        let subjectId: UUID
        let villageCode: String
        /// `entered` or `left`.
        let change: String
        /// ``KeyHazardRanking/Movement/Why`` raw value.
        let why: String
        /// Score and rank in the run's ranking, when the enterprise is in it.
        let points: Int?
        let rank: Int?
        /// The run's day (YYYY-MM-DD, Asia/Shanghai).
        let asOf: String
    }

    // MARK: Ranking runs (inside the run's write transaction)

    /// Whether a ranking was stored for the Asia/Shanghai day `asOf` (the daily run is due
    /// while none was).
    func hasRun(asOf: CalendarDate) async throws -> Bool {
        try await sql.select().column("id").from("key_hazard_runs").where("as_of", .equal, SQLBind(asOf.description)).first() != nil
    }

    /// Every enterprise that is not closed down, with its open hazards (closed ones are not
    /// ranked), by subject id. A subject or hazard row that cannot be read is left out (logged
    /// and counted), as in every list.
    func candidates() async throws -> [KeyHazardRanking.Candidate] {
        let rows = try await sql.select()
            .column(SQLColumn("id", table: "subjects"), as: "sid").column(SQLColumn("village_code", table: "subjects"))
            .column(SQLColumn("severity", table: "hazards")).column(SQLColumn("state", table: "hazards"))
            .column(SQLColumn("found_at", table: "hazards")).column(SQLColumn("due_at", table: "hazards"))
            .from("subjects")
            .join("hazards", method: SQLJoinMethod.left, on: SQLBinaryExpression(
                SQLBinaryExpression(SQLColumn("subject_id", table: "hazards"), .equal, SQLColumn("id", table: "subjects")), .and,
                SQLBinaryExpression(SQLColumn("state", table: "hazards"), .in, SQLBind.group(CampaignQueries.openStates))))
            .where(SQLColumn("kind", table: "subjects"), .equal, SQLBind(SubjectKind.enterprise.rawValue))
            .where(SQLColumn("closed_down_at", table: "subjects"), .is, SQLLiteral.null)
            .all()
        var villages: [UUID: String] = [:]
        var hazards: [UUID: [KeyHazardRanking.Hazard]] = [:]
        for r in rows {
            guard let (id, village) = r.noted("subjects", { (try $0.decode(column: "sid", as: UUID.self),
                                                             try $0.decode(column: "village_code", as: String.self)) }, sql)
            else { continue }
            villages[id] = village
            // No hazard (the left join's NULLs) or an unknown severity or state: the enterprise, without it.
            guard let severity = try? r.decode(column: "severity", as: String?.self).flatMap(Severity.init(rawValue:)),
                  let state = try? r.decode(column: "state", as: String?.self).flatMap(HazardState.init(rawValue:)),
                  let (foundAt, dueAt) = r.noted("hazards", { (try $0.decode(column: "found_at", as: Date.self),
                                                               try $0.decode(column: "due_at", as: Date.self)) }, sql)
            else { continue }
            hazards[id, default: []].append(.init(severity: severity, state: state, foundAt: foundAt, dueAt: dueAt))
        }
        return villages.sorted { $0.key.uuidString < $1.key.uuidString }.map {
            KeyHazardRanking.Candidate(subjectId: $0.key, villageCode: $0.value, hazards: hazards[$0.key] ?? [])
        }
    }

    /// The ranking of the latest run (by `ran_at`), or `nil` when there was none or its JSON
    /// cannot be read (the next run then counts everyone listed as entering).
    func latestRanking() async throws -> KeyHazardRanking.Ranking? {
        try await sql.select().column("ranking_json").from("key_hazard_runs")
            .orderBy("ran_at", .descending).limit(1).first()
            .flatMap { try? JSONDecoder().decode(KeyHazardRanking.Ranking.self, from: Data(try $0.decode(column: "ranking_json", as: String.self).utf8)) }
    }

    /// The day each enterprise of the current list was first listed (YYYY-MM-DD), by subject id.
    /// - Throws: when a row cannot be read.
    func listedSince() async throws -> [UUID: String] {
        var since: [UUID: String] = [:]
        for row in try await sql.select().columns("subject_id", "since").from("key_hazard_enterprises").all() {
            since[try row.decode(column: "subject_id", as: UUID.self)] = try row.decode(column: "since", as: String.self)
        }
        return since
    }

    /// Town, village, grid and micro-grid codes (lineage from index 1) of subjects, read in
    /// chunks of ``DashboardCounters/idsPerRead``; unknown ids are absent.
    func areaCodes(of ids: Set<UUID>) async throws -> [UUID: [String]] {
        var out: [UUID: [String]] = [:]
        for chunk in Array(ids).chunked(DashboardCounters.idsPerRead) {
            for r in try await sql.select().columns("id", "micro_grid_code").from("subjects").where("id", .in, SQLBind.group(chunk)).all() {
                out[try r.decode(column: "id", as: UUID.self)] = AreaCodes.lineage(of: try r.decode(column: "micro_grid_code", as: String.self))
            }
        }
        return out
    }

    /// Five area levels (district first) however short a stored code is (a corrupt one among
    /// them): the subject's, else its village's lineage, padded with empty codes.
    private static func lineage(_ subject: UUID, village: String, _ areaCodes: [UUID: [String]]) -> [String] {
        (areaCodes[subject] ?? AreaCodes.lineage(of: village)) + Array(repeating: "", count: 5)
    }

    /// Replaces the current list with the key enterprises of `ranking`, made by run `runID`.
    /// - Parameters:
    ///   - since: the day each enterprise listed before was first listed (kept for those who
    ///     stay); those who enter are listed since `asOf`.
    ///   - areaCodes: the subjects' area lineages (``areaCodes(of:)``).
    func replaceList(with ranking: KeyHazardRanking.Ranking, runID: UUID, asOf: CalendarDate, since: [UUID: String],
                     areaCodes: [UUID: [String]]) async throws {
        try await sql.delete(from: "key_hazard_enterprises").run()
        try await CampaignStore(sql: sql).insert(
            "key_hazard_enterprises", ["subject_id", "town_code", "village_code", "grid_code", "micro_grid_code", "rank",
                                       "quota", "points", "open_hazards", "overdue_hazards", "since", "run_id"],
            ranking.keyEnterprises.map { v, e in
                let c = Self.lineage(e.subjectId, village: v, areaCodes)
                return [e.subjectId, c[1], c[2], c[3], c[4], e.rank, ranking.village(v)?.quota ?? 0, e.score.points,
                        e.score.openHazards, e.score.overdueHazards, since[e.subjectId] ?? asOf.description, runID]
            })
    }

    /// Appends who entered and who left the list at run `runID` (entered first), with why.
    func insertChanges(_ change: KeyHazardRanking.Change, runID: UUID, asOf: CalendarDate, areaCodes: [UUID: [String]]) async throws {
        let movements = change.entered.map { ("entered", $0) } + change.left.map { ("left", $0) }
        try await CampaignStore(sql: sql).insert(
            "key_hazard_changes", ["run_id", "subject_id", "town_code", "village_code", "grid_code", "micro_grid_code",
                                   "change", "why", "points", "rank", "as_of"],
            movements.map { kind, m in
                let c = Self.lineage(m.subjectId, village: m.villageCode, areaCodes)
                return [runID, m.subjectId, c[1], c[2], c[3], c[4], kind, m.why.rawValue, m.score?.points, m.rank,
                        asOf.description]
            })
    }

    /// Stores run `id` of day `asOf`, made at `ranAt` by `trigger` (an account's user name, or
    /// the daily job's), with its figures and the whole ranking (as JSON, which the next run
    /// compares with).
    func insertRun(id: UUID, asOf: CalendarDate, ranAt: Date, trigger: String, villagesRanked: Int, villagesNotRanked: Int,
                   enterprisesListed: Int, entered: Int, left: Int, ranking: KeyHazardRanking.Ranking) async throws {
        let json = String(decoding: try JSONEncoder().encode(ranking), as: UTF8.self)
        try await CampaignStore(sql: sql).insert(
            "key_hazard_runs", ["id", "as_of", "ran_at", "trigger", "villages_ranked", "villages_not_ranked",
                                "enterprises_listed", "entered", "left", "ranking_json"],
            [[id, asOf.description, ranAt, trigger, villagesRanked, villagesNotRanked, enterprisesListed, entered, left, json]])
    }

    // MARK: Reads

    /// Restricts a list or changes query to the reader's jurisdiction and to `areaCode` (any level).
    private func scoped(_ q: SQLSelectBuilder, _ scope: CampaignQueries, areaCode: String?) -> SQLSelectBuilder {
        var q = scope.scoped(q)
        if let code = areaCode, let column = CampaignQueries.areaColumn(for: code) { q = q.where(SQLIdentifier(column), .equal, SQLBind(code)) }
        return q
    }

    /// The current list inside `scope` (and `areaCode`), by village code then rank, each with
    /// its subject. An entry whose subject is outside the scope or cannot be read is left out.
    /// - Throws: when a list row cannot be read.
    func list(in areaCode: String?, scope: CampaignQueries) async throws -> [(Listed, SubjectRow)] {
        let rows = try await scoped(sql.select().columns("*").from("key_hazard_enterprises"), scope, areaCode: areaCode)
            .orderBy("village_code").orderBy("rank").all()
        let ids = try rows.map { try $0.decode(column: "subject_id", as: UUID.self) }
        let subjects = try await scope.subjects(ids)
        return try rows.compactMap { r in
            let id = try r.decode(column: "subject_id", as: UUID.self)
            guard let s = subjects[id] else { return nil }
            return (Listed(subjectId: id, rank: try r.decode(column: "rank", as: Int.self), quota: try r.decode(column: "quota", as: Int.self),
                           points: try r.decode(column: "points", as: Int.self),
                           openHazards: try r.decode(column: "open_hazards", as: Int.self),
                           overdueHazards: try r.decode(column: "overdue_hazards", as: Int.self),
                           since: try r.decode(column: "since", as: String.self)), s)
        }
    }

    /// Who entered and left the list inside `scope` (and `areaCode`), newest first, at most
    /// `limit`, each with its subject when the subject is inside the scope and readable.
    /// - Throws: when a change row cannot be read.
    func changes(in areaCode: String?, scope: CampaignQueries, limit: Int) async throws -> [(Movement, SubjectRow?)] {
        let rows = try await scoped(sql.select().columns("*").from("key_hazard_changes"), scope, areaCode: areaCode)
            .orderBy("seq", .descending).limit(limit).all()
        let subjects = try await scope.subjects(try rows.map { try $0.decode(column: "subject_id", as: UUID.self) })
        return try rows.map { r in
            let id = try r.decode(column: "subject_id", as: UUID.self)
            return (Movement(subjectId: id, villageCode: try r.decode(column: "village_code", as: String.self),
                             change: try r.decode(column: "change", as: String.self), why: try r.decode(column: "why", as: String.self),
                             points: try r.decode(column: "points", as: Int?.self), rank: try r.decode(column: "rank", as: Int?.self),
                             asOf: try r.decode(column: "as_of", as: String.self)), subjects[id])
        }
    }

    /// How many enterprises are listed in the area `area` (any level; the whole table for the district).
    func count(in area: String) async throws -> Int {
        var q = sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("key_hazard_enterprises")
        if let column = CampaignQueries.areaColumn(for: area) { q = q.where(SQLIdentifier(column), .equal, SQLBind(area)) }
        return try await q.first()?.decode(column: "n", as: Int.self) ?? 0
    }

    /// The listed subjects of the area `area` (any level; all of them for the district).
    /// - Throws: when a row cannot be read.
    func subjects(listedIn area: String) async throws -> Set<UUID> {
        var q = sql.select().column("subject_id").from("key_hazard_enterprises")
        if let column = CampaignQueries.areaColumn(for: area) { q = q.where(SQLIdentifier(column), .equal, SQLBind(area)) }
        return Set(try await q.all().map { try $0.decode(column: "subject_id", as: UUID.self) })
    }

    /// Listed enterprises of `area` counted by the area column `column` (`village_code`, …) of
    /// its children.
    func listedCounts(in area: String, by column: String) async throws -> [String: Int] {
        // The list carries its subjects' area codes, so this reads the list (a few hundred
        // rows) and not the area's subjects (half a million for the district).
        var q = sql.select().column(SQLColumn(column), as: "code").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
            .from("key_hazard_enterprises")
        if let parent = CampaignQueries.areaColumn(for: area) { q = q.where(SQLColumn(parent), .equal, SQLBind(area)) }
        var out: [String: Int] = [:]
        for row in try await q.groupBy(SQLColumn(column)).all() {
            out[try row.decode(column: "code", as: String.self)] = try row.decode(column: "n", as: Int.self)
        }
        return out
    }

    /// Whether a subject is listed.
    func isListed(_ id: UUID) async throws -> Bool {
        try await sql.select().column("subject_id").from("key_hazard_enterprises").where("subject_id", .equal, SQLBind(id)).first() != nil
    }
}

import Foundation
import SQLKit
import SafeGridCore
import Vapor

/// 重点隐患企业: the district's enterprises ranked village by village with
/// ``KeyHazardRanking`` (score from open hazards weighted by severity and overdue days; the
/// worst 15%, rounded up, ties at the boundary all listed, villages under 5 enterprises not
/// ranked), stored as the current list plus the history of who entered and left it.
///
/// Runs on demand (`POST /api/v1/key-hazards/rank`, admins) and once per Asia/Shanghai day with
/// the deadline jobs. A run replaces the list in one transaction; the dashboard counts the list
/// per area, and ``InspectionFrequency`` inspects listed enterprises every 7 days.
enum KeyHazards {
    struct RunDTO: Content {
        let id: UUID
        let asOf: String
        let ranAt: String
        let trigger: String
        let villagesRanked: Int
        let villagesNotRanked: Int
        let enterprisesListed: Int
        let entered: Int
        let left: Int
    }

    /// Ranks every enterprise of the district on `asOf` and stores the list and its changes.
    /// - Parameter scheduled: the daily run: nothing happens when `asOf` was ranked already
    ///   (checked inside the write transaction, so two instances rank once).
    /// - Returns: the run, or `nil` for a scheduled run that was not due.
    @discardableResult
    static func rank(app: Application, asOf: CalendarDate, now: Date, trigger: String, scheduled: Bool = false) async throws -> RunDTO? {
        try await app.writeGate.transaction(on: app.db) { sql -> RunDTO? in
            if scheduled, try await sql.select().column("id").from("key_hazard_runs").where("as_of", .equal, SQLBind(asOf.description)).first() != nil {
                return nil
            }
            // Open hazards of every enterprise that is not closed down (closed ones are not ranked).
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
                // Rows that cannot be read are left out (logged and counted), as in every list.
                guard let (id, village) = r.noted("subjects", { (try $0.decode(column: "sid", as: UUID.self),
                                                                 try $0.decode(column: "village_code", as: String.self)) }, sql)
                else { continue }
                villages[id] = village
                guard let severity = try? r.decode(column: "severity", as: String?.self).flatMap(Severity.init(rawValue:)),
                      let state = try? r.decode(column: "state", as: String?.self).flatMap(HazardState.init(rawValue:)),
                      let (foundAt, dueAt) = r.noted("hazards", { (try $0.decode(column: "found_at", as: Date.self),
                                                                   try $0.decode(column: "due_at", as: Date.self)) }, sql)
                else { continue }
                hazards[id, default: []].append(.init(severity: severity, state: state, foundAt: foundAt, dueAt: dueAt))
            }
            let candidates = villages.sorted { $0.key.uuidString < $1.key.uuidString }.map {
                KeyHazardRanking.Candidate(subjectId: $0.key, villageCode: $0.value, hazards: hazards[$0.key] ?? [])
            }
            let ranking = try KeyHazardRanking.rank(candidates, asOf: asOf)
            let previous = try await sql.select().column("ranking_json").from("key_hazard_runs")
                .orderBy("ran_at", .descending).limit(1).first()
                .flatMap { try? JSONDecoder().decode(KeyHazardRanking.Ranking.self, from: Data(try $0.decode(column: "ranking_json", as: String.self).utf8)) }
            let empty = try KeyHazardRanking.rank([], asOf: asOf)
            let change = KeyHazardRanking.diff(from: previous ?? empty, to: ranking)
            // "Since": kept for those who stay, today for those who enter.
            var since: [UUID: String] = [:]
            for row in try await sql.select().columns("subject_id", "since").from("key_hazard_enterprises").all() {
                since[try row.decode(column: "subject_id", as: UUID.self)] = try row.decode(column: "since", as: String.self)
            }
            let key = ranking.keyEnterprises
            let areaCodes = try await Self.areaCodes(Set(key.map(\.entry.subjectId) + change.left.map(\.subjectId)), sql: sql)
            let runID = UUID()
            let store = CampaignStore(sql: sql)
            try await sql.delete(from: "key_hazard_enterprises").run()
            try await store.insert("key_hazard_enterprises", ["subject_id", "town_code", "village_code", "grid_code", "micro_grid_code", "rank",
                                                              "quota", "points", "open_hazards", "overdue_hazards", "since", "run_id"],
                                   key.map { v, e in
                                       // Five levels however short a stored code is (a corrupt one among them).
                                       let c = (areaCodes[e.subjectId] ?? AreaCodes.lineage(of: v)) + Array(repeating: "", count: 5)
                                       return [e.subjectId, c[1], c[2], c[3], c[4], e.rank, ranking.village(v)?.quota ?? 0, e.score.points,
                                               e.score.openHazards, e.score.overdueHazards, since[e.subjectId] ?? asOf.description, runID]
                                   })
            let movements = change.entered.map { ("entered", $0) } + change.left.map { ("left", $0) }
            try await store.insert("key_hazard_changes", ["run_id", "subject_id", "town_code", "village_code", "grid_code", "micro_grid_code",
                                                          "change", "why", "points", "rank", "as_of"],
                                   movements.map { kind, m in
                                       let c = (areaCodes[m.subjectId] ?? AreaCodes.lineage(of: m.villageCode)) + Array(repeating: "", count: 5)
                                       return [runID, m.subjectId, c[1], c[2], c[3], c[4], kind, m.why.rawValue, m.score?.points, m.rank,
                                               asOf.description]
                                   })
            let json = String(decoding: try JSONEncoder().encode(ranking), as: UTF8.self)
            let run = RunDTO(id: runID, asOf: asOf.description, ranAt: Timestamp.format(now), trigger: trigger,
                             villagesRanked: ranking.villages.filter { $0.status == .ranked }.count,
                             villagesNotRanked: ranking.villages.filter { $0.status != .ranked }.count,
                             enterprisesListed: key.count, entered: change.entered.count, left: change.left.count)
            try await store.insert("key_hazard_runs", ["id", "as_of", "ran_at", "trigger", "villages_ranked", "villages_not_ranked",
                                                       "enterprises_listed", "entered", "left", "ranking_json"],
                                   [[runID, run.asOf, now, trigger, run.villagesRanked, run.villagesNotRanked, run.enterprisesListed,
                                     run.entered, run.left, json]])
            return run
        }
    }

    /// Town, village, grid and micro-grid codes (lineage from index 1) of subjects.
    static func areaCodes(_ ids: Set<UUID>, sql: any SQLDatabase) async throws -> [UUID: [String]] {
        var out: [UUID: [String]] = [:]
        for chunk in Array(ids).chunked(DashboardCounters.idsPerRead) {
            for r in try await sql.select().columns("id", "micro_grid_code").from("subjects").where("id", .in, SQLBind.group(chunk)).all() {
                out[try r.decode(column: "id", as: UUID.self)] = AreaCodes.lineage(of: try r.decode(column: "micro_grid_code", as: String.self))
            }
        }
        return out
    }

    /// Whether today's (Asia/Shanghai) scheduled ranking is still to run.
    static func isDue(sql: any SQLDatabase, now: Date) async throws -> Bool {
        let today = CalendarDate(shanghai: now).description
        return try await sql.select().column("id").from("key_hazard_runs").where("as_of", .equal, SQLBind(today)).first() == nil
    }

    // MARK: HTTP

    struct KeyEnterpriseDTO: Content {
        let subjectId: UUID
        let name: String
        let villageCode: String
        let gridCode: String
        let rank: Int
        let quota: Int
        /// The problem score (``KeyHazardRanking``: Σ weight × (10 + overdue days ≤ 30)).
        let points: Int
        let openHazards: Int
        let overdueHazards: Int
        /// Listed since (YYYY-MM-DD, Asia/Shanghai).
        let since: String
    }

    /// Restricts a key-hazard table (area columns) to the reader's jurisdiction and an `areaCode`.
    static func scoped(_ q: SQLSelectBuilder, req: Request, areaCode: String?) -> SQLSelectBuilder {
        var q = req.queries.scoped(q)
        if let code = areaCode, let column = CampaignQueries.areaColumn(for: code) { q = q.where(SQLIdentifier(column), .equal, SQLBind(code)) }
        return q
    }

    /// `GET /api/v1/key-hazards?areaCode=`: the listed enterprises, village by village, worst first.
    static func list(_ req: Request) async throws -> [KeyEnterpriseDTO] {
        let area = try await Input.areaCode(req)
        let rows = try await scoped(req.sql.select().columns("*").from("key_hazard_enterprises"), req: req, areaCode: area)
            .orderBy("village_code").orderBy("rank").all()
        let ids = try rows.map { try $0.decode(column: "subject_id", as: UUID.self) }
        let subjects = try await req.queries.subjects(ids)
        return try rows.compactMap { r in
            let id = try r.decode(column: "subject_id", as: UUID.self)
            guard let s = subjects[id] else { return nil }
            return KeyEnterpriseDTO(subjectId: id, name: s.name, villageCode: s.villageCode, gridCode: s.gridCode,
                                    rank: try r.decode(column: "rank", as: Int.self), quota: try r.decode(column: "quota", as: Int.self),
                                    points: try r.decode(column: "points", as: Int.self),
                                    openHazards: try r.decode(column: "open_hazards", as: Int.self),
                                    overdueHazards: try r.decode(column: "overdue_hazards", as: Int.self),
                                    since: try r.decode(column: "since", as: String.self))
        }
    }

    struct ChangeDTO: Content {
        let subjectId: UUID
        let name: String?
        let villageCode: String
        /// `entered` or `left`.
        let change: String
        let why: String
        let points: Int?
        let rank: Int?
        let asOf: String
    }

    /// `GET /api/v1/key-hazards/changes?areaCode=&limit=`: who entered and left, newest first.
    static func changes(_ req: Request) async throws -> [ChangeDTO] {
        let area = try await Input.areaCode(req)
        let limit: Int
        switch req.query[String.self, at: "limit"] {
        case nil, "": limit = 200
        case let raw?:
            guard let n = Int(raw), (1...2_000).contains(n) else {
                throw DomainError.invalid("limit", "limit must be a whole number from 1 to 2000, got '\(raw.prefix(40))'")
            }
            limit = n
        }
        let rows = try await scoped(req.sql.select().columns("*").from("key_hazard_changes"), req: req, areaCode: area)
            .orderBy("seq", .descending).limit(limit).all()
        let subjects = try await req.queries.subjects(try rows.map { try $0.decode(column: "subject_id", as: UUID.self) })
        return try rows.map { r in
            let id = try r.decode(column: "subject_id", as: UUID.self)
            return ChangeDTO(subjectId: id, name: subjects[id]?.name, villageCode: try r.decode(column: "village_code", as: String.self),
                             change: try r.decode(column: "change", as: String.self), why: try r.decode(column: "why", as: String.self),
                             points: try r.decode(column: "points", as: Int?.self), rank: try r.decode(column: "rank", as: Int?.self),
                             asOf: try r.decode(column: "as_of", as: String.self))
        }
    }

    /// `POST /api/v1/key-hazards/rank` (admins): ranks now, for today (Asia/Shanghai).
    static func rankNow(_ req: Request) async throws -> Response {
        let now = req.services.now()
        guard let run = try await rank(app: req.application, asOf: CalendarDate(shanghai: now), now: now, trigger: try req.account().username)
        else { throw Abort(.internalServerError) }
        return try Response.json(run, status: .created)
    }

    /// Listed enterprises per area, for the dashboard: the area's own count.
    static func count(in area: String, sql: any SQLDatabase) async throws -> Int {
        var q = sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("key_hazard_enterprises")
        if let column = CampaignQueries.areaColumn(for: area) { q = q.where(SQLIdentifier(column), .equal, SQLBind(area)) }
        return try await q.first()?.decode(column: "n", as: Int.self) ?? 0
    }

    /// Whether a subject is listed.
    static func isListed(_ id: UUID, sql: any SQLDatabase) async throws -> Bool {
        try await sql.select().column("subject_id").from("key_hazard_enterprises").where("subject_id", .equal, SQLBind(id)).first() != nil
    }
}

import Plot

extension KeyHazards {
    /// `/key-hazards?areaCode=`: the list and its latest changes, for officials.
    static func page(_ req: Request) async throws -> Response {
        let listed = try await list(req)
        let moves = try await changes(req)
        let code = req.query[String.self, at: "areaCode"] ?? req.homeAreaCode
        return Layout.page(title: "重点隐患企业", subtitle: "Key hazard enterprises · \(code)", nodes: [
            .p(.text("每村按未整改隐患评分（一般×1、较大×3、重大×9，每处10分加逾期天数，最多30天），取最差的15%（向上取整，并列全部列入；不足5家企业的村不排名）。"),
               .span(.class("en"), .text("Per village, scored from open hazards by severity and overdue days; the worst 15% (rounded up, ties listed; villages under 5 enterprises not ranked). Inspected every 7 days."))),
            .table(.tr(.th(.text("村社 Village")), .th(.text("名次 Rank")), .th(.text("企业 Enterprise")), .th(.class("n"), .text("评分 Score")),
                       .th(.class("n"), .text("未整改 Open")), .th(.class("n"), .text("逾期 Overdue")), .th(.text("列入 Since"))),
                   .forEach(listed) { e in
                       .tr(.td(.text(e.villageCode)), .td(.text("\(e.rank) / \(e.quota)")),
                           .td(.a(.href("/subjects/\(e.subjectId.uuidString.lowercased())"), .text(e.name))),
                           .td(.class("n"), .text(String(e.points))), .td(.class("n"), .text(String(e.openHazards))),
                           .td(.class("n"), .text(String(e.overdueHazards))), .td(.text(e.since)))
                   }),
            .h2(.text("进出名单"), .span(.class("en"), .text("Entered and left"))),
            .table(.tr(.th(.text("日期 Day")), .th(.text("企业 Enterprise")), .th(.text("变化 Change")), .th(.text("原因 Why"))),
                   .forEach(moves.prefix(100)) { m in
                       .tr(.td(.text(m.asOf)), .td(.text(m.name ?? m.subjectId.uuidString)),
                           .td(.text(m.change == "entered" ? "列入 entered" : "移出 left")), .td(.text(m.why)))
                   }),
        ])
    }
}

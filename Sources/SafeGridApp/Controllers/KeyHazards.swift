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
            let store = KeyHazardStore(sql: sql)
            if scheduled, try await store.hasRun(asOf: asOf) {
                return nil
            }
            // Open hazards of every enterprise that is not closed down (closed ones are not ranked).
            let ranking = try KeyHazardRanking.rank(try await store.candidates(), asOf: asOf)
            let previous = try await store.latestRanking()
            let empty = try KeyHazardRanking.rank([], asOf: asOf)
            let change = KeyHazardRanking.diff(from: previous ?? empty, to: ranking)
            // "Since": kept for those who stay, today for those who enter.
            let since = try await store.listedSince()
            let key = ranking.keyEnterprises
            let areaCodes = try await store.areaCodes(of: Set(key.map(\.entry.subjectId) + change.left.map(\.subjectId)))
            let runID = UUID()
            try await store.replaceList(with: ranking, runID: runID, asOf: asOf, since: since, areaCodes: areaCodes)
            try await store.insertChanges(change, runID: runID, asOf: asOf, areaCodes: areaCodes)
            let run = RunDTO(id: runID, asOf: asOf.description, ranAt: Timestamp.format(now), trigger: trigger,
                             villagesRanked: ranking.villages.filter { $0.status == .ranked }.count,
                             villagesNotRanked: ranking.villages.filter { $0.status != .ranked }.count,
                             enterprisesListed: key.count, entered: change.entered.count, left: change.left.count)
            try await store.insertRun(id: runID, asOf: asOf, ranAt: now, trigger: trigger, villagesRanked: run.villagesRanked,
                                      villagesNotRanked: run.villagesNotRanked, enterprisesListed: run.enterprisesListed,
                                      entered: run.entered, left: run.left, ranking: ranking)
            return run
        }
    }

    /// Whether today's (Asia/Shanghai) scheduled ranking is still to run.
    static func isDue(sql: any SQLDatabase, now: Date) async throws -> Bool {
        try await !KeyHazardStore(sql: sql).hasRun(asOf: CalendarDate(shanghai: now))
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

    /// `GET /api/v1/key-hazards?areaCode=`: the listed enterprises, village by village, worst first.
    static func list(_ req: Request) async throws -> [KeyEnterpriseDTO] {
        let area = try await Input.areaCode(req)
        return try await KeyHazardStore(sql: req.sql).list(in: area, scope: req.queries).map { e, s in
            KeyEnterpriseDTO(subjectId: e.subjectId, name: s.name, villageCode: s.villageCode, gridCode: s.gridCode, rank: e.rank,
                             quota: e.quota, points: e.points, openHazards: e.openHazards, overdueHazards: e.overdueHazards, since: e.since)
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
        return try await KeyHazardStore(sql: req.sql).changes(in: area, scope: req.queries, limit: limit).map { m, s in
            ChangeDTO(subjectId: m.subjectId, name: s?.name, villageCode: m.villageCode, change: m.change, why: m.why,
                      points: m.points, rank: m.rank, asOf: m.asOf)
        }
    }

    /// `POST /api/v1/key-hazards/rank` (admins): ranks now, for today (Asia/Shanghai).
    static func rankNow(_ req: Request) async throws -> Response {
        let now = req.services.now()
        guard let run = try await rank(app: req.application, asOf: CalendarDate(shanghai: now), now: now, trigger: try req.account().username)
        else { throw Abort(.internalServerError) }
        return try Response.json(run, status: .created)
    }
}

extension KeyHazards {
    /// `/key-hazards?areaCode=`: the list and its latest changes, for officials.
    static func page(_ req: Request) async throws -> Response {
        let listed = try await list(req)
        let moves = try await changes(req)
        let code = req.query[String.self, at: "areaCode"] ?? req.homeAreaCode
        return KeyHazardsPage.render(listed: listed, moves: moves, areaCode: code)
    }
}

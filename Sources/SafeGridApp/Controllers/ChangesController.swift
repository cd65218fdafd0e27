import Foundation
import SQLKit
import SafeGridCore
import Vapor

/// The change feed for other platforms (四平台, 沥家园): `GET /api/v1/changes?after=CURSOR&limit=N`.
///
/// Every hazard event (found, rectification started, verified, not yet rectified, rebound,
/// closed down, marked overdue) in commit order. The cursor is the last event's `seq`; a
/// consumer stores `next` and asks again with `after=next`, so polling every minute misses
/// nothing and sees nothing twice. Commit order holds on both databases: SQLite admits one
/// writer at a time, and on PostgreSQL campaign writes hold one advisory lock until commit
/// (``CampaignStore/serialiseCampaignWrites(_:)``), so no lower `seq` can appear after a higher one.
enum ChangesController {
    struct Change: Content {
        /// The cursor of this change (decimal `seq`).
        let cursor: String
        let hazardId: UUID
        let subjectId: UUID
        let townCode: String
        let event: HazardEventDTO
    }

    struct Page: Content {
        let changes: [Change]
        /// Pass as `after` on the next call; equal to `after` when nothing was new.
        let next: String
        /// More changes are waiting beyond this page.
        let hasMore: Bool
    }

    static let defaultLimit = 500
    static let maxLimit = 5_000

    /// A feed's `after` (default 0) and `limit` (default ``defaultLimit``, 1…``maxLimit``).
    /// - Throws: 422 on `after` or `limit`.
    static func cursor(_ req: Request) throws(DomainError) -> (after: Int64, limit: Int) {
        let afterRaw = req.query[String.self, at: "after"] ?? ""
        let after: Int64
        if afterRaw.isEmpty { after = 0 } else {
            guard let n = Int64(afterRaw), n >= 0 else {
                throw DomainError.invalid("after", "after must be a cursor returned as `next` (a whole number ≥ 0), got '\(afterRaw.prefix(40))'")
            }
            after = n
        }
        let limitRaw = req.query[String.self, at: "limit"] ?? ""
        let limit: Int
        if limitRaw.isEmpty { limit = defaultLimit } else {
            guard let n = Int(limitRaw), (1...maxLimit).contains(n) else {
                throw DomainError.invalid("limit", "limit must be a whole number from 1 to \(maxLimit)")
            }
            limit = n
        }
        return (after, limit)
    }

    static func list(_ req: Request) async throws -> Page {
        let (after, limit) = try cursor(req)
        var town: String? = nil
        if let t = req.query[String.self, at: "townCode"], !t.isEmpty {
            guard AreaLevel(codeLength: t.count) == .town, t.allSatisfy(\.isNumber) else {
                throw DomainError.invalid("townCode", "townCode must be a 9-digit town code")
            }
            town = t
        }
        let rows = try await req.queries.events(after: after, limit: limit + 1, townCode: town)
        let page = rows.prefix(limit)
        return Page(changes: page.map(Change.init),
                    next: page.last.map { String($0.seq) } ?? String(after), hasMore: rows.count > limit)
    }
}

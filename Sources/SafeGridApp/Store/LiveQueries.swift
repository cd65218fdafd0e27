import Foundation
import SQLKit
import SafeGridCore

/// Reads of the live screen (``StreamController``, ``MapController``), within the reader's scope.
extension CampaignQueries {
    /// A hazard event as the screen's feed shows it.
    struct FeedEvent: Codable, Sendable {
        let seq: Int64
        let occurredAt: String
        let kind: String
        let toState: String
        let hazardId: UUID
        let subjectId: UUID
        let subjectName: String
        let itemCode: String
        let severity: String
        /// The village (or community) the subject lies in.
        let areaName: String
    }

    /// Hazard events of subjects in `area` (any level; the caller has checked the reader sees
    /// it), with their subject and village names:
    /// those after `cursor` oldest first (at most `limit`), or with no cursor the newest `limit`,
    /// oldest first.
    func feed(area: String, after cursor: Int64?, limit: Int) async throws -> [FeedEvent] {
        // The area is inside the reader's jurisdiction (checked by the caller), so the area
        // filter is the scope.
        var q = sql.select()
            .column(SQLColumn("seq", table: "e")).column(SQLColumn("occurred_at", table: "e")).column(SQLColumn("kind", table: "e"))
            .column(SQLColumn("to_state", table: "e")).column(SQLColumn("hazard_id", table: "e")).column(SQLColumn("subject_id", table: "e"))
            .column(SQLColumn("name", table: "s"), as: "subject_name").column(SQLColumn("item_code", table: "h"))
            .column(SQLColumn("severity", table: "h")).column(SQLColumn("name", table: "a"), as: "area_name")
            .from(SQLAlias(SQLIdentifier("hazard_events"), as: SQLIdentifier("e")))
            .join(SQLAlias(SQLIdentifier("hazards"), as: SQLIdentifier("h")), on: SQLColumn("id", table: "h"), .equal, SQLColumn("hazard_id", table: "e"))
            .join(SQLAlias(SQLIdentifier("subjects"), as: SQLIdentifier("s")), on: SQLColumn("id", table: "s"), .equal, SQLColumn("subject_id", table: "e"))
            .join(SQLAlias(SQLIdentifier("areas"), as: SQLIdentifier("a")), on: SQLColumn("code", table: "a"), .equal, SQLColumn("village_code", table: "h"))
        if let column = Self.areaColumn(for: area) { q = q.where(SQLColumn(column, table: "h"), .equal, SQLBind(area)) }
        // Events carry their town: with it the newest events of a town come from the (town, seq)
        // index instead of a backward scan of every town's events (4 s for 瓜沥 at 1M hazards).
        if let town = Self.townCode(within: area) { q = q.where(SQLColumn("town_code", table: "e"), .equal, SQLBind(town)) }
        if let cursor {
            q = q.where(SQLColumn("seq", table: "e"), .greaterThan, SQLBind(cursor)).orderBy(SQLOrderBy(expression: SQLColumn("seq", table: "e"), direction: SQLDirection.ascending))
        } else {
            q = q.orderBy(SQLOrderBy(expression: SQLColumn("seq", table: "e"), direction: SQLDirection.descending))
        }
        let rows = try await q.limit(limit).all().map { r in
            FeedEvent(seq: try r.decode(column: "seq", as: Int64.self),
                      occurredAt: Timestamp.format(try r.decode(column: "occurred_at", as: Date.self)),
                      kind: try r.decode(column: "kind", as: String.self), toState: try r.decode(column: "to_state", as: String.self),
                      hazardId: try r.decode(column: "hazard_id", as: UUID.self), subjectId: try r.decode(column: "subject_id", as: UUID.self),
                      subjectName: try r.decode(column: "subject_name", as: String.self), itemCode: try r.decode(column: "item_code", as: String.self),
                      severity: try r.decode(column: "severity", as: String.self), areaName: try r.decode(column: "area_name", as: String.self))
        }
        return cursor == nil ? rows.reversed() : rows
    }

    /// The town (9 digits) an area code of town level or below lies in; `nil` for the district.
    static func townCode(within area: String) -> String? {
        area.count >= 9 ? String(area.prefix(9)) : nil
    }

    /// The newest hazard event's `seq` of the whole campaign (0 when there is none): where a
    /// stream with nothing to show yet resumes from.
    func lastEventSeq() async throws -> Int64 {
        let row = try await sql.select().column(SQLFunction("MAX", args: SQLIdentifier("seq")), as: "m").from("hazard_events").first()
        return try row?.decode(column: "m", as: Int64?.self) ?? 0
    }
}

import Foundation
import SQLKit
import SafeGridCore

/// Webhook subscriptions and their deliveries (`webhook_subscriptions`, `webhook_deliveries`).
/// A subscription receives the events of its maker's jurisdiction (`scope_code`) and is seen
/// only by admins whose jurisdiction holds it; a removed one stays for its history.
struct WebhookStore {
    let sql: any SQLDatabase

    // MARK: Subscriptions

    /// Stores a new subscription starting after the latest event (`fromBeginning`: before the
    /// first).
    /// - Returns: its cursor (the last event `seq` it has seen; 0 from the beginning).
    func subscribe(id: UUID, url: String, secret: String, fromBeginning: Bool, scopeCode: String, at now: Date) async throws -> Int64 {
        let cursor = fromBeginning ? 0 : try await sql.select()
            .column(SQLFunction("COALESCE", args: SQLFunction("MAX", args: SQLIdentifier("seq")), SQLLiteral.numeric("0")), as: "n")
            .from("hazard_events").first()?.decode(column: "n", as: Int64.self) ?? 0
        try await sql.insert(into: "webhook_subscriptions")
            .columns("id", "url", "secret", "cursor", "active", "failures", "next_attempt_at", "created_at", "scope_code")
            .values(SQLBind(id), SQLBind(url), SQLBind(secret), SQLBind(cursor), SQLBind(true), SQLBind(0), SQLBind(now), SQLBind(now),
                    SQLBind(scopeCode))
            .run()
        return cursor
    }

    /// Subscriptions `reader` may see: inside their area and not removed.
    private func visible(_ q: SQLSelectBuilder, _ reader: CampaignQueries) -> SQLSelectBuilder {
        reader.within(q, codeColumn: "scope_code").where("removed_at", .is, SQLLiteral.null)
    }

    /// The visible subscriptions, oldest first.
    func list(visibleTo reader: CampaignQueries) async throws -> [any SQLRow] {
        try await visible(sql.select().columns("*").from("webhook_subscriptions"), reader).orderBy("created_at").all()
    }

    /// Whether `reader` may see subscription `id`.
    func isVisible(_ id: UUID, to reader: CampaignQueries) async throws -> Bool {
        try await visible(sql.select().column("id").from("webhook_subscriptions").where("id", .equal, SQLBind(id)), reader).first() != nil
    }

    /// Deactivates and marks subscription `id` removed at `now`.
    /// - Returns: its row after the change, `nil` when there is none.
    func remove(_ id: UUID, at now: Date) async throws -> (any SQLRow)? {
        try await sql.update("webhook_subscriptions").set("active", to: SQLBind(false))
            .set("removed_at", to: SQLBind(now)).where("id", .equal, SQLBind(id)).run()
        return try await subscription(id)
    }

    /// Subscription `id`'s row.
    func subscription(_ id: UUID) async throws -> (any SQLRow)? {
        try await sql.select().columns("*").from("webhook_subscriptions").where("id", .equal, SQLBind(id)).first()
    }

    /// The latest 100 deliveries of subscription `id`, newest first.
    func deliveries(of id: UUID) async throws -> [any SQLRow] {
        try await sql.select().columns("*").from("webhook_deliveries").where("subscription_id", .equal, SQLBind(id))
            .orderBy("seq", .descending).limit(100).all()
    }

    // MARK: Delivery

    /// Up to 20 active subscriptions due at `now` and not leased, earliest due first.
    func due(at now: Date) async throws -> [UUID] {
        try await sql.raw("""
            SELECT id FROM webhook_subscriptions WHERE active = \(bind: true) AND next_attempt_at <= \(bind: now)
            AND (lease_until IS NULL OR lease_until < \(bind: now)) ORDER BY next_attempt_at LIMIT 20
            """).all().map { try $0.decode(column: "id", as: UUID.self) }
    }

    /// Takes subscription `id`'s lease until `until` unless another instance holds it.
    /// - Returns: whether this caller holds it now.
    func claim(_ id: UUID, at now: Date, until: Date) async throws -> Bool {
        try await sql.raw("""
            UPDATE webhook_subscriptions SET lease_until = \(bind: until) WHERE id = \(bind: id)
            AND (lease_until IS NULL OR lease_until < \(bind: now)) RETURNING id
            """).all().count == 1
    }

    /// Records one delivery attempt: the events `firstSeq…lastSeq`, the HTTP status when there
    /// was an answer, the failure when it failed, its duration in milliseconds.
    func recordDelivery(subscription id: UUID, deliveryID: UUID, firstSeq: Int64, lastSeq: Int64, events: Int, status: Int?,
                        error: String?, at now: Date, durationMs: Int) async throws {
        try await sql.insert(into: "webhook_deliveries")
            .columns("subscription_id", "delivery_id", "first_seq", "last_seq", "events", "status", "error", "attempted_at", "duration_ms")
            .values(SQLBind(id), SQLBind(deliveryID), SQLBind(firstSeq), SQLBind(lastSeq), SQLBind(events), SQLBind(status),
                    SQLBind(error), SQLBind(now), SQLBind(durationMs))
            .run()
    }

    /// Ends the lease: the new cursor, failure count, next attempt and last error.
    func release(_ id: UUID, cursor: Int64, failures: Int, next: Date, error: String?) async throws {
        try await sql.update("webhook_subscriptions").set("cursor", to: SQLBind(cursor)).set("failures", to: SQLBind(failures))
            .set("next_attempt_at", to: SQLBind(next)).set("lease_until", to: SQLLiteral.null).set("last_error", to: SQLBind(error))
            .where("id", .equal, SQLBind(id)).run()
    }
}

import Foundation
import SQLKit

/// The sender's side of the outbox (``OutboxSender``): which `message_recipients` rows are
/// due, claiming them with a lease, and writing each outcome. Claims and outcomes run in the
/// caller's write transaction; ``hasDue(at:)`` is a plain read.
struct OutboxDelivery {
    let sql: any SQLDatabase

    /// A recipient row claimed for one attempt.
    struct ClaimedRecipient: Sendable {
        let id: UUID
        let messageID: UUID
        /// As stored (digits, as queued).
        let phone: String
        /// The attempt number this claim wrote (`attempts + 1`): the claim's token.
        let attempts: Int
    }

    /// What one attempt came to, written by ``record(_:recipient:attempts:at:)``.
    enum Outcome: Sendable {
        /// The gateway took the message: `sent`, with its id there.
        case sent(provider: String, providerMessageID: String)
        /// Not sent: back to `queued` for `nextAttemptAt`, or `failed` for good (`nextAttemptAt`
        /// nil, then the column keeps its value). `lastError` is stored as given (≤ 500 characters).
        case notSent(state: RecipientState, lastError: String, provider: String, nextAttemptAt: Date?)
    }

    /// Whether any recipient is due at `now`: `queued` with `next_attempt_at ≤ now`, or left in
    /// `sending` by a pass whose lease ran out before `now`. One row is read at most, so an idle
    /// poll takes no write transaction.
    func hasDue(at now: Date) async throws -> Bool {
        try await sql.raw("""
            SELECT id FROM message_recipients
            WHERE (state = 'queued' AND next_attempt_at <= \(bind: now)) OR (state = 'sending' AND lease_until < \(bind: now))
            LIMIT 1
            """).first() != nil
    }

    /// Fails, at `now`, the rows left in `sending` whose lease ran out and that have used
    /// `maxAttempts` attempts already (the last error says so), instead of sending them once more.
    func failAbandoned(at now: Date, maxAttempts: Int) async throws {
        try await sql.raw("""
            UPDATE message_recipients SET state = 'failed', lease_until = NULL, updated_at = \(bind: now),
              last_error = \(bind: "abandoned while sending (lease expired) after \(maxAttempts) attempts; not sent again")
            WHERE state = 'sending' AND lease_until < \(bind: now) AND attempts >= \(bind: maxAttempts)
            """).run()
    }

    /// Claims up to `limit` due rows (as in ``hasDue(at:)``), earliest `next_attempt_at` first:
    /// `sending`, leased until `leaseUntil`, `attempts + 1`. On PostgreSQL rows locked by
    /// another instance's claim are skipped (`FOR UPDATE SKIP LOCKED`); SQLite has one writer.
    /// - Returns: the claimed rows, in no particular order.
    /// - Throws: when a claimed row cannot be read (the transaction then rolls back).
    func claim(at now: Date, leaseUntil: Date, limit: Int) async throws -> [ClaimedRecipient] {
        let skipLocked: SQLQueryString = sql.dialect.name == "postgresql" ? " FOR UPDATE SKIP LOCKED" : ""
        let claimed = try await sql.raw("""
            UPDATE message_recipients
            SET state = 'sending', lease_until = \(bind: leaseUntil), attempts = attempts + 1, updated_at = \(bind: now)
            WHERE id IN (
                SELECT id FROM message_recipients
                WHERE (state = 'queued' AND next_attempt_at <= \(bind: now))
                   OR (state = 'sending' AND lease_until < \(bind: now))
                ORDER BY next_attempt_at LIMIT \(bind: limit)\(skipLocked)
            ) AND ((state = 'queued' AND next_attempt_at <= \(bind: now))
                   OR (state = 'sending' AND lease_until < \(bind: now)))
            RETURNING id, message_id, phone, attempts
            """).all()
        var rows: [ClaimedRecipient] = []
        for r in claimed {
            rows.append(ClaimedRecipient(id: try r.decode(column: "id", as: UUID.self), messageID: try r.decode(column: "message_id", as: UUID.self),
                                         phone: try r.decode(column: "phone", as: String.self), attempts: try r.decode(column: "attempts", as: Int.self)))
        }
        return rows
    }

    /// The text of each message in `ids`, by message id; a message that does not exist is absent.
    func bodies(of ids: Set<UUID>) async throws -> [UUID: String] {
        var bodies: [UUID: String] = [:]
        for r in try await sql.select().columns("id", "body").from("messages")
            .where("id", .in, SQLBind.group(ids.map { $0 as any Encodable & Sendable })).all() {
            bodies[try r.decode(column: "id", as: UUID.self)] = try r.decode(column: "body", as: String.self)
        }
        return bodies
    }

    /// Writes `outcome` at `at` into the recipient row `id` (and clears its lease), only if
    /// the claim with attempt number `attempts` still holds it (`sending`, same attempts).
    /// - Returns: whether the row was written; `false` when it was reclaimed after its lease
    ///   ran out (the other claim's outcome counts).
    func record(_ outcome: Outcome, recipient id: UUID, attempts: Int, at: Date) async throws -> Bool {
        let set: [(String, SQLBind)]
        switch outcome {
        case .sent(let provider, let providerMessageID):
            set = [("state", SQLBind(RecipientState.sent.rawValue)), ("provider", SQLBind(provider)),
                   ("provider_message_id", SQLBind(providerMessageID)), ("sent_at", SQLBind(at)), ("last_error", SQLBind(String?.none))]
        case .notSent(let state, let lastError, let provider, let nextAttemptAt):
            var s: [(String, SQLBind)] = [("state", SQLBind(state.rawValue)), ("last_error", SQLBind(lastError)), ("provider", SQLBind(provider))]
            if let nextAttemptAt { s.append(("next_attempt_at", SQLBind(nextAttemptAt))) }
            set = s
        }
        var q = sql.update("message_recipients")
        for (column, value) in set { q = q.set(SQLIdentifier(column), to: value) }
        return try await q.set("lease_until", to: SQLBind(Date?.none)).set("updated_at", to: SQLBind(at))
            .where("id", .equal, SQLBind(id))
            .where("state", .equal, SQLBind(RecipientState.sending.rawValue))
            .where("attempts", .equal, SQLBind(attempts))
            .returning("id").all().isEmpty == false
    }
}

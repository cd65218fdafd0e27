import Foundation
import Plot
import SQLKit
import SafeGridCore
import Vapor

/// A `messages` row.
struct MessageRow: Codable, Sendable {
    let id: UUID
    let kind: String
    let subjectId: UUID?
    let inspectionId: UUID?
    let hazardId: UUID?
    let body: String
    let segments: Int
    let dedupeKey: String
    let createdAt: Date
}

/// A `message_recipients` row.
struct RecipientRow: Codable, Sendable {
    let id: UUID
    let messageId: UUID
    let phone: String
    let state: String
    let attempts: Int
    let nextAttemptAt: Date
    let leaseUntil: Date?
    let lastError: String?
    let provider: String?
    let providerMessageId: String?
    let sentAt: Date?
    let deliveredAt: Date?
    let updatedAt: Date

    var recipientState: RecipientState? { RecipientState(rawValue: state) }
    var maskedPhone: String { SMSFormat.masked(phone) }

    /// Left in `sending` by a pass that did not finish (lease expired), or waiting for a retry.
    func isStuck(at now: Date) -> Bool {
        (state == RecipientState.sending.rawValue && (leaseUntil ?? .distantPast) < now)
            || (state == RecipientState.queued.rawValue && attempts > 0)
    }
}

/// Reads of the outbox.
struct OutboxQueries {
    let sql: any SQLDatabase
    /// The reader's jurisdiction: messages about subjects outside it (and, for readers below the
    /// district, messages about no subject) are left out of lists and counts.
    let campaign: CampaignQueries

    init(sql: any SQLDatabase, scope: Jurisdiction) {
        self.sql = sql
        self.campaign = CampaignQueries(sql: sql, scope: scope)
    }

    /// Restricts a query on `message_recipients` to the messages in scope.
    func scopedRecipients(_ q: SQLSelectBuilder) -> SQLSelectBuilder {
        guard let subjects = campaign.subjectsInScope else { return q }
        return q.where("message_id", .in, SQLSubquery.select { $0.column("id").from("messages").where("subject_id", .in, subjects) })
    }

    struct Filter {
        var state: RecipientState?
        var kind: MessageKind?
        var subjectID: UUID?
    }

    func messages(_ f: Filter, limit: Int, offset: Int) async throws -> (rows: [MessageRow], total: Int) {
        func apply(_ q: SQLSelectBuilder) -> SQLSelectBuilder {
            var q = campaign.scopedBySubject(q)
            if let kind = f.kind { q = q.where("kind", .equal, SQLBind(kind.rawValue)) }
            if let subject = f.subjectID { q = q.where("subject_id", .equal, SQLBind(subject)) }
            if let state = f.state {
                q = q.where("id", .in, SQLSubquery.select { $0.column("message_id").from("message_recipients")
                    .where("state", .equal, SQLBind(state.rawValue)) })
            }
            return q
        }
        let total = try await apply(sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("messages"))
            .first()?.decode(column: "n", as: Int.self) ?? 0
        let rows = try await apply(sql.select().columns("*").from("messages"))
            .orderBy("created_at", .descending).orderBy("id").limit(limit).offset(offset)
            .all(decoding: MessageRow.self, keyDecodingStrategy: .snakeCaseColumns)
        return (rows, total)
    }

    /// The recipients of `messages`, by message id, each list ordered by phone.
    func recipients(of messages: [UUID]) async throws -> [UUID: [RecipientRow]] {
        guard !messages.isEmpty else { return [:] }
        var out: [UUID: [RecipientRow]] = [:]
        // Chunks well under the bind limits.
        var start = 0
        while start < messages.count {
            let chunk = Array(messages[start..<min(start + 500, messages.count)])
            let rows = try await scopedRecipients(sql.select().columns("*").from("message_recipients")
                .where("message_id", .in, SQLBind.group(chunk.map { $0 as any Encodable & Sendable })))
                .orderBy("phone")
                .all(decoding: RecipientRow.self, keyDecodingStrategy: .snakeCaseColumns)
            for r in rows { out[r.messageId, default: []].append(r) }
            start += 500
        }
        return out
    }

    func countsByState() async throws -> [String: Int] {
        var out: [String: Int] = [:]
        for r in try await scopedRecipients(sql.select().column("state").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
            .from("message_recipients")).groupBy("state").all() {
            out[try r.decode(column: "state", as: String.self)] = try r.decode(column: "n", as: Int.self)
        }
        return out
    }

    /// Failed recipients, recipients waiting for a retry and recipients abandoned in `sending`,
    /// most recently changed first, with their message.
    func troubled(at now: Date, limit: Int) async throws -> [(RecipientRow, MessageRow?)] {
        let rows = try await scopedRecipients(sql.select().columns("*").from("message_recipients").where { w in
            w.where("state", .equal, SQLBind(RecipientState.failed.rawValue))
                .orWhere { $0.where("state", .equal, SQLBind(RecipientState.queued.rawValue)).where("attempts", .greaterThan, SQLBind(0)) }
                .orWhere { $0.where("state", .equal, SQLBind(RecipientState.sending.rawValue)).where("lease_until", .lessThan, SQLBind(now)) }
        })
            .orderBy("updated_at", .descending).limit(limit)
            .all(decoding: RecipientRow.self, keyDecodingStrategy: .snakeCaseColumns)
        let ids = Array(Set(rows.map(\.messageId)))
        var messages: [UUID: MessageRow] = [:]
        if !ids.isEmpty {
            for m in try await sql.select().columns("*").from("messages")
                .where("id", .in, SQLBind.group(ids.map { $0 as any Encodable & Sendable }))
                .all(decoding: MessageRow.self, keyDecodingStrategy: .snakeCaseColumns) {
                messages[m.id] = m
            }
        }
        return rows.map { ($0, messages[$0.messageId]) }
    }
}

import Foundation
import SafeGridCore
import Vapor

struct RecipientDTO: Content {
    /// Masked: `138****0000`.
    let phone: String
    let state: String
    let attempts: Int
    let lastError: String?
    /// When a queued recipient is (next) due.
    let nextAttemptAt: String?
    let sentAt: String?
    let deliveredAt: String?
    let provider: String?

    init(_ r: RecipientRow) {
        phone = r.maskedPhone
        state = r.state
        attempts = r.attempts
        lastError = r.lastError
        nextAttemptAt = r.state == RecipientState.queued.rawValue || r.state == RecipientState.sending.rawValue
            ? Timestamp.format(r.nextAttemptAt) : nil
        sentAt = r.sentAt.map(Timestamp.format)
        deliveredAt = r.deliveredAt.map(Timestamp.format)
        provider = r.provider
    }
}

struct MessageDTO: Content {
    let id: UUID
    let kind: String
    let subjectId: UUID?
    let inspectionId: UUID?
    let hazardId: UUID?
    let body: String
    let segments: Int
    let createdAt: String
    let recipients: [RecipientDTO]

    init(_ m: MessageRow, recipients: [RecipientRow]) {
        id = m.id
        kind = m.kind
        subjectId = m.subjectId
        inspectionId = m.inspectionId
        hazardId = m.hazardId
        body = Outbox.redactingSecrets(m.body)
        segments = m.segments
        createdAt = Timestamp.format(m.createdAt)
        self.recipients = recipients.map(RecipientDTO.init)
    }
}

/// `GET /api/v1/messages` and the `/messages` page.
enum MessagesController {
    static func list(_ req: Request) async throws -> Page<MessageDTO> {
        let (page, per, offset) = try Input.page(req)
        var f = OutboxQueries.Filter()
        f.state = try Input.optionalEnum(req.query[String.self, at: "state"], "state")
        f.kind = try Input.optionalEnum(req.query[String.self, at: "kind"], "kind")
        f.subjectID = try await Input.subjectID(req)
        let q = OutboxQueries(sql: req.sql, scope: req.jurisdiction)
        let (rows, total) = try await q.messages(f, limit: per, offset: offset)
        let recipients = try await q.recipients(of: rows.map(\.id))
        return Page(items: rows.map { MessageDTO($0, recipients: recipients[$0.id] ?? []) }, page: page, per: per, total: total)
    }

    /// `/messages`: the outbox page (``MessagesPage``) for the reader's jurisdiction.
    static func page(_ req: Request) async throws -> Response {
        let q = OutboxQueries(sql: req.sql, scope: req.jurisdiction)
        let now = req.services.now()
        let counts = try await q.countsByState()
        let troubled = try await q.troubled(at: now, limit: 200)
        let (latest, total) = try await q.messages(.init(), limit: 100, offset: 0)
        let recipients = try await q.recipients(of: latest.map(\.id))
        let provider = req.application.smsProvider.name
        return MessagesPage.render(provider: provider, counts: counts, troubled: troubled, latest: latest, total: total,
                                   recipients: recipients, now: now)
    }
}

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
        body = Outbox.redactingLinks(m.body)
        segments = m.segments
        createdAt = Timestamp.format(m.createdAt)
        self.recipients = recipients.map(RecipientDTO.init)
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

    static func page(_ req: Request) async throws -> Response {
        let q = OutboxQueries(sql: req.sql, scope: req.jurisdiction)
        let now = req.services.now()
        let counts = try await q.countsByState()
        let troubled = try await q.troubled(at: now, limit: 200)
        let (latest, total) = try await q.messages(.init(), limit: 100, offset: 0)
        let recipients = try await q.recipients(of: latest.map(\.id))
        let provider = req.application.smsProvider.name

        func kindText(_ raw: String) -> String { MessageKind(rawValue: raw)?.zh ?? raw }
        func short(_ s: String, _ n: Int = 70) -> String { s.count > n ? String(s.prefix(n)) + "…" : s }
        func stateNode(_ r: RecipientRow) -> Node<HTML.BodyContext> {
            let zh = r.recipientState?.zh ?? r.state
            let stuck = r.isStuck(at: now)
            return .span(.class(r.state == "failed" || stuck ? "overdue" : ""), .text("\(r.maskedPhone) \(zh)"))
        }
        func subjectCell(_ m: MessageRow?) -> Node<HTML.BodyContext> {
            guard let id = m?.subjectId else { return .text("—") }
            return .a(.href("/subjects/\(id.uuidString.lowercased())"), .text("对象 Subject"))
        }

        return Layout.page(
            title: "短信发送", subtitle: "SMS outbox (provider: \(provider))",
            .div(.class("card"),
                 .div(.class("stats"),
                      Layout.stat("消息", String(total), "messages"),
                      .forEach(RecipientState.allCases) { s in
                          Layout.stat(s.zh, String(counts[s.rawValue] ?? 0), s.rawValue)
                      })),
            .h2(.text("失败与待重试"), .span(.class("en"), .text("Failed, waiting for a retry, or stuck while sending (\(troubled.count))"))),
            .if(troubled.isEmpty, .p(.text("没有失败或滞留的短信。"), .span(.class("en"), .text("Nothing failed or stuck."))),
                else: .table(
                    .tr(.th("接收人 Recipient"), .th("状态 State"), .th(.class("n"), .text("次数 Attempts")),
                        .th("下次尝试 Next attempt"), .th("原因 Last error"), .th("类型 Kind"), .th("内容 Text")),
                    .forEach(troubled) { (r, m) in
                        .tr(.td(.text(r.maskedPhone)),
                            .td(.class(r.state == "failed" ? "overdue" : ""),
                                .text((r.recipientState?.zh ?? r.state) + (r.isStuck(at: now) && r.state == "sending" ? "（租约过期 lease expired）" : ""))),
                            .td(.class("n"), .text(String(r.attempts))),
                            .td(.text(r.state == "queued" ? Layout.time(r.nextAttemptAt) : "—")),
                            .td(.text(r.lastError ?? "—")),
                            .td(.text(m.map { kindText($0.kind) } ?? "—")),
                            .td(.text(m.map { short(Outbox.redactingLinks($0.body)) } ?? "—")))
                    })),
            .h2(.text("最近的短信"), .span(.class("en"), .text("Latest messages (\(latest.count) of \(total))"))),
            .if(latest.isEmpty, .p(.text("还没有短信。"), .span(.class("en"), .text("No messages yet."))),
                else: .table(
                    .tr(.th("时间 Created"), .th("类型 Kind"), .th(.class("n"), .text("条数 Segments")), .th("内容 Text"),
                        .th("接收人 Recipients"), .th("对象 Subject")),
                    .forEach(latest) { m in
                        .tr(.td(.text(Layout.time(m.createdAt))),
                            .td(.text(kindText(m.kind))),
                            .td(.class("n"), .text(String(m.segments))),
                            .td(.text(short(Outbox.redactingLinks(m.body)))),
                            .td(.forEach(recipients[m.id] ?? []) { r in .div(stateNode(r)) }),
                            .td(subjectCell(m)))
                    })),
            .p(.class("en"), .text("JSON: /api/v1/messages?state=&kind=&subjectId=&page=&per="))
        )
    }
}

import Foundation
import Plot
import SQLKit
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
        body = Outbox.redactingLinks(m.body)
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

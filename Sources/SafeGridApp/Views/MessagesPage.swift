import Foundation
import Plot
import SafeGridCore
import Vapor

/// `/messages`: the SMS outbox — recipients per state, those failed, waiting for a retry or
/// stuck while sending, and the latest messages with each recipient's state. Phone numbers are
/// masked and evidence links redacted (a link is the party's bearer credential).
enum MessagesPage {
    /// - Parameters:
    ///   - provider: the SMS gateway's name, shown in the subtitle.
    ///   - counts: recipients per state (``RecipientState`` raw values).
    ///   - troubled: failed, retrying or stuck recipients with their message.
    ///   - latest: the latest messages; `total` all messages in the reader's jurisdiction.
    ///   - recipients: the recipients of `latest`, by message id.
    ///   - now: what "stuck" is judged against.
    static func render(provider: String, counts: [String: Int], troubled: [(RecipientRow, MessageRow?)], latest: [MessageRow], total: Int,
                       recipients: [UUID: [RecipientRow]], now: Date) -> Response {
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
                            .td(.text(m.map { short(Outbox.redactingSecrets($0.body)) } ?? "—")))
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
                            .td(.text(short(Outbox.redactingSecrets(m.body)))),
                            .td(.forEach(recipients[m.id] ?? []) { r in .div(stateNode(r)) }),
                            .td(subjectCell(m)))
                    })),
            .p(.class("en"), .text("JSON: /api/v1/messages?state=&kind=&subjectId=&page=&per="))
        )
    }
}

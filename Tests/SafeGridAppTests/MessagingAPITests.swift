import Foundation
import SQLKit
import SafeGridCore
import Testing
import Vapor
import VaporTesting
@testable import SafeGridApp

@Suite("SMS outbox through HTTP")
struct MessagingAPITests {
    @Test func messagesListPerRecipientStatesWithMaskedPhones() async throws {
        try await withGateway { gw in
            try await withSafeGrid { app in
                app.useKannel(gw)
                let subject = try #require(UUID(uuidString: try await createEnterprise(app, microGrid: try await addMicroGrid(app))))
                let (a, b) = ("13800001111", "13900002222")
                await gw.script.plan(b, [.fail500])
                let notice = try await enqueue(app, phones: [a, b], body: "整改通知", subject: subject,
                                               at: testNow.addingTimeInterval(-60))
                let reminder = try await enqueue(app, phones: [a], body: "到期提醒", kind: .reminder)
                _ = try await app.outboxSender.runOnce(now: testNow)

                let r = try await app.send(.GET, "/api/v1/messages", token: app.adminToken)
                #expect(r.status == .ok, "\(r.body)")
                let messages = try r.decoded(Page<MessageDTO>.self)
                #expect(messages.total == 2)
                let items = messages.items
                #expect(items.first?.id == reminder)  // newest first
                let n = try #require(items.first { $0.id == notice })
                #expect(n.kind == "notice")
                #expect(n.body == "整改通知")
                #expect(n.segments == 1)
                #expect(n.createdAt == "2026-11-30T09:59:00+08:00")
                #expect(n.subjectId == subject)
                let recipients = n.recipients
                #expect(recipients.count == 2)
                let ra = try #require(recipients.first { $0.phone == "138****1111" })
                let rb = try #require(recipients.first { $0.phone == "139****2222" })
                #expect(ra.state == "sent")
                #expect(ra.attempts == 1)
                #expect(ra.sentAt?.hasSuffix("+08:00") == true)
                #expect(rb.state == "queued")
                #expect(rb.attempts == 1)
                #expect(rb.lastError?.contains("500") == true)
                #expect(rb.nextAttemptAt?.hasPrefix("2026-11-30T10:00:") == true)
                // Raw: the full numbers must appear nowhere in the body, in any member.
                #expect(!r.body.contains("13800001111") && !r.body.contains("13900002222"))

                let queued = try await app.send(.GET, "/api/v1/messages?state=queued", token: app.adminToken)
                #expect(try queued.decoded(Page<MessageDTO>.self).items.map(\.id) == [notice])
                let reminders = try await app.send(.GET, "/api/v1/messages?kind=reminder", token: app.adminToken)
                #expect(try reminders.decoded(Page<MessageDTO>.self).total == 1)
                let bySubject = try await app.send(.GET, "/api/v1/messages?subjectId=\(subject.uuidString)", token: app.adminToken)
                #expect(try bySubject.decoded(Page<MessageDTO>.self).total == 1)
                let paged = try await app.send(.GET, "/api/v1/messages?per=1&page=2", token: app.adminToken)
                let second = try paged.decoded(Page<MessageDTO>.self)
                #expect(second.total == 2)
                #expect(second.items.first?.id == notice)

                let bad = try await app.send(.GET, "/api/v1/messages?state=lost", token: app.adminToken)
                #expect(bad.status == .unprocessableEntity)
                #expect(try bad.problem().field == "state")
                #expect(try await app.send(.GET, "/api/v1/messages?kind=spam", token: app.adminToken).status == .unprocessableEntity)
                #expect(try await app.send(.GET, "/api/v1/messages?subjectId=\(UUID())", token: app.adminToken).status == .notFound)
            }
        }
    }

    @Test func messagesPageShowsCountsTroubleAndLatest() async throws {
        try await withGateway { gw in
            try await withSafeGrid { app in
                app.useKannel(gw)
                let (ok, bad, slow) = ("13800001111", "13900002222", "13700003333")
                await gw.script.plan(bad, [.refuse(400, "4: Invalid receiver number")])
                await gw.script.plan(slow, [.fail500])
                _ = try await enqueue(app, phones: [ok, bad, slow], body: "【瓜沥镇】整改通知 <b>", at: testNow.addingTimeInterval(-60))
                let stuck = try await enqueue(app, phones: ["13600004444"], body: "滞留", at: testNow.addingTimeInterval(-60))
                try await app.sql.update("message_recipients").set("state", to: SQLBind("sending"))
                    .set("lease_until", to: SQLBind(testNow.addingTimeInterval(-5))).set("attempts", to: SQLBind(1))
                    .where("message_id", .equal, SQLBind(stuck)).run()
                // The pass at now would reclaim the stuck row; run it just before its lease expired.
                _ = try await app.outboxSender.runOnce(now: testNow.addingTimeInterval(-10))

                let page = try await app.send(.GET, "/messages", token: app.adminToken)
                #expect(page.status == .ok)
                #expect(page.headers.contentType == .html)
                let html = page.body
                #expect(html.contains("短信发送"))
                #expect(html.contains("SMS outbox"))
                #expect(html.contains("4: Invalid receiver number"))
                #expect(html.contains("139****2222"))
                #expect(html.contains("137****3333"))
                #expect(html.contains("租约过期"))
                #expect(html.contains("136****4444"))
                #expect(html.contains("&lt;b&gt;"))
                #expect(!html.contains("13800001111"))
                #expect(html.contains("138****1111 已发送"))
            }
        }
    }

    @Test func emptyOutboxPage() async throws {
        try await withSafeGrid { app in
            let page = try await app.send(.GET, "/messages", token: app.adminToken)
            #expect(page.status == .ok)
            #expect(page.body.contains("还没有短信"))
            let api = try await app.send(.GET, "/api/v1/messages", token: app.adminToken)
            #expect(try api.decoded(Page<MessageDTO>.self).total == 0)
        }
    }
}

import Foundation
import SQLKit
import SafeGridCore
import Testing
import Vapor
import VaporTesting
@testable import SafeGridApp

/// The outbox sender against a real HTTP gateway on 127.0.0.1.
@Suite("SMS outbox delivery")
struct MessagingOutboxTests {
    @Test func oneFailingRecipientDoesNotHoldBackTheOtherAndIsRetriedAfterTheBackoff() async throws {
        try await withGateway { gw in
            try await withSafeGrid { app in
                app.useKannel(gw)
                let (a, b) = (mobile(1), mobile(2))
                await gw.script.plan(b, [.fail500])
                let body = "【瓜沥镇除险保安】您有2处隐患请于12月7日前整改 + 复查 50% & 谢谢"
                let id = try await enqueue(app, phones: [a, b], body: body)

                let first = try await app.outboxSender.runOnce(now: testNow)
                #expect(first.sent == 1 && first.retried == 1 && first.failed == 0)
                var rows = try await recipientRows(app, id)
                #expect(rows[a]?.state == "sent")
                #expect(rows[a]?.attempts == 1)
                #expect(rows[a]?.sentAt != nil)
                #expect(rows[a]?.provider == "kannel")
                #expect(rows[a]?.providerMessageId == rows[a]?.id.uuidString.lowercased())
                #expect(rows[b]?.state == "queued")
                #expect(rows[b]?.attempts == 1)
                let next = try #require(rows[b]?.nextAttemptAt)
                #expect(next >= testNow.addingTimeInterval(30) && next <= testNow.addingTimeInterval(40), "\(next)")
                #expect(rows[b]?.lastError?.contains("500") == true, "\(rows[b]?.lastError ?? "")")

                // Not yet due: nothing happens.
                let early = try await app.outboxSender.runOnce(now: testNow.addingTimeInterval(20))
                #expect(early.sent + early.retried + early.failed == 0)

                let second = try await app.outboxSender.runOnce(now: testNow.addingTimeInterval(60))
                #expect(second.sent == 1 && second.retried == 0)
                rows = try await recipientRows(app, id)
                #expect(rows[b]?.state == "sent")
                #expect(rows[b]?.attempts == 2)
                #expect(rows[b]?.lastError == nil)

                // Nothing left: later passes send nothing, the good one was sent exactly once.
                let third = try await app.outboxSender.runOnce(now: testNow.addingTimeInterval(7200))
                #expect(third.sent + third.retried + third.failed == 0)
                #expect(await gw.script.count(to: a) == 1)
                #expect(await gw.script.count(to: b) == 2)

                // What the gateway received: Kannel fields, the UTF-8 text intact.
                let received = await gw.script.received
                let p = try #require(received.first { $0.to == a }?.params)
                #expect(p["text"] == body)
                #expect(p["username"] == "safegrid")
                #expect(p["password"] == "s3cret+&=")
                #expect(p["charset"] == "UTF-8")
                #expect(p["coding"] == "2")
            }
        }
    }

    @Test func aGatewayThatHangsTimesOutAndIsRetried() async throws {
        try await withGateway { gw in
            try await withSafeGrid { app in
                app.useKannel(gw, timeout: 1)
                let a = mobile(10)
                await gw.script.plan(a, [.hang(.seconds(30))])
                let id = try await enqueue(app, phones: [a])
                let clock = ContinuousClock()
                let started = clock.now
                let first = try await app.outboxSender.runOnce(now: testNow)
                let took = clock.now - started
                #expect(first.retried == 1)
                // The gateway hangs 30 s; the 1 s client timeout must end the attempt well before.
                // The margin is wide because a loaded machine (parallel tests, a build beside
                // them) has stretched a 1 s timeout to 10 s of wall time.
                #expect(took < .seconds(20), "the client gave up after \(took)")
                let row = try #require(try await recipientRows(app, id)[a])
                #expect(row.state == "queued")
                #expect(row.attempts == 1)
                #expect(row.lastError?.contains("timeout") == true, "\(row.lastError ?? "")")

                app.useKannel(gw)
                let second = try await app.outboxSender.runOnce(now: testNow.addingTimeInterval(60))
                #expect(second.sent == 1)
                #expect(try await recipientRows(app, id)[a]?.state == "sent")
            }
        }
    }

    @Test func aGarbageAnswerIsTemporary() async throws {
        try await withGateway { gw in
            try await withSafeGrid { app in
                app.useKannel(gw)
                let a = mobile(20)
                await gw.script.plan(a, [.garbage])
                let id = try await enqueue(app, phones: [a])
                let first = try await app.outboxSender.runOnce(now: testNow)
                #expect(first.retried == 1)
                let row = try #require(try await recipientRows(app, id)[a])
                #expect(row.state == "queued")
                #expect(row.lastError?.contains("unrecognised") == true, "\(row.lastError ?? "")")
                #expect(try await app.outboxSender.runOnce(now: testNow.addingTimeInterval(60)).sent == 1)
            }
        }
    }

    @Test func aPermanentRefusalFailsAtOnceWithTheReason() async throws {
        try await withGateway { gw in
            try await withSafeGrid { app in
                app.useKannel(gw)
                let (a, ok) = (mobile(30), mobile(31))
                await gw.script.plan(a, [.refuse(400, "4: Invalid receiver number")])
                let id = try await enqueue(app, phones: [a, ok])
                // A landline slipped into the outbox is failed without asking the gateway.
                let landline = try await enqueue(app, phones: ["0571-82345678"])
                let first = try await app.outboxSender.runOnce(now: testNow)
                #expect(first.sent == 1 && first.failed == 2 && first.retried == 0)
                let rows = try await recipientRows(app, id)
                #expect(rows[a]?.state == "failed")
                #expect(rows[a]?.attempts == 1)
                #expect(rows[a]?.lastError?.contains("4: Invalid receiver number") == true, "\(rows[a]?.lastError ?? "")")
                #expect(rows[a]?.lastError?.hasPrefix("permanent") == true)
                #expect(rows[ok]?.state == "sent")
                let fixed = try await recipientRows(app, landline)["0571-82345678"]
                #expect(fixed?.state == "failed")
                #expect(fixed?.lastError?.contains("not a mobile number") == true)

                let later = try await app.outboxSender.runOnce(now: testNow.addingTimeInterval(86_400))
                #expect(later.sent + later.retried + later.failed == 0)
                #expect(await gw.script.count(to: a) == 1)
                #expect(await gw.script.count(to: "0571-82345678") == 0)
            }
        }
    }

    @Test func afterMaxAttemptsTheRecipientFails() async throws {
        try await withGateway { gw in
            try await withSafeGrid { app in
                app.useKannel(gw)
                app.outboxSettings.maxAttempts = 3
                app.outboxSettings.jitter = { _ in 0 }
                let a = mobile(40)
                await gw.script.plan(a, Array(repeating: .fail500, count: 10))
                let id = try await enqueue(app, phones: [a])
                var now = testNow
                var expectedDelays: [TimeInterval] = [30, 60]
                for attempt in 1...3 {
                    let r = try await app.outboxSender.runOnce(now: now)
                    let row = try #require(try await recipientRows(app, id)[a])
                    #expect(row.attempts == attempt)
                    if attempt < 3 {
                        #expect(r.retried == 1)
                        #expect(row.state == "queued")
                        let delay = row.nextAttemptAt.timeIntervalSince(now)
                        let want = expectedDelays.removeFirst()
                        #expect(delay >= want && delay < want + 5, "attempt \(attempt): \(delay)")
                        // (Dates read back from SQLite are rounded to microseconds.)
                        now = row.nextAttemptAt.addingTimeInterval(0.001)
                    } else {
                        #expect(r.failed == 1)
                        #expect(row.state == "failed")
                        #expect(row.lastError?.contains("gave up after 3 attempts") == true, "\(row.lastError ?? "")")
                    }
                }
                let after = try await app.outboxSender.runOnce(now: now.addingTimeInterval(86_400))
                #expect(after.sent + after.retried + after.failed == 0)
                #expect(await gw.script.count(to: a) == 3)
            }
        }
    }

    @Test func backoffDoublesAndIsCapped() {
        let s = OutboxSettings()
        #expect(s.backoff(attempts: 1) == 30)
        #expect(s.backoff(attempts: 2) == 60)
        #expect(s.backoff(attempts: 5) == 480)
        #expect(s.backoff(attempts: 8) == 3600)
        #expect(s.backoff(attempts: 50) == 3600)
        // A whole batch of timeouts fits in the lease.
        var t = OutboxSettings()
        t.batchSize = 64
        t.concurrency = 8
        t.timeout = 10
        #expect(t.effectiveLease >= 80)
        #expect(OutboxSettings().effectiveLease == 60)
    }

    @Test func aRestartBetweenQueueingAndSendingSendsEachMessageExactlyOnce() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("safegrid-outbox-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("outbox.sqlite").path
        func onFile(_ body: (Application) async throws -> Void) async throws {
            try await withApp(configure: { app in
                try await configure(app, storage: .sqliteFile(path), services: SafeGridServices(now: { testNow }))
            }, body)
        }
        let (queued, crashed, leased) = (mobile(50), mobile(51), mobile(52))
        var ids: [UUID] = []

        // Process 1: queues three messages; one was claimed by a pass that crashed (lease
        // expired), one is claimed by a pass that is still running (lease not expired).
        try await onFile { app in
            ids.append(try await enqueue(app, phones: [queued]))
            ids.append(try await enqueue(app, phones: [crashed]))
            ids.append(try await enqueue(app, phones: [leased]))
            try await app.sql.update("message_recipients").set("state", to: SQLBind("sending")).set("attempts", to: SQLBind(1))
                .set("lease_until", to: SQLBind(testNow.addingTimeInterval(-1))).where("phone", .equal, SQLBind(crashed)).run()
            try await app.sql.update("message_recipients").set("state", to: SQLBind("sending")).set("attempts", to: SQLBind(1))
                .set("lease_until", to: SQLBind(testNow.addingTimeInterval(30))).where("phone", .equal, SQLBind(leased)).run()
        }

        // Process 2, same file: sends what is due, leaves the live lease alone until it expires.
        try await withGateway { gw in
            try await onFile { app in
                app.useKannel(gw)
                let first = try await app.outboxSender.runOnce(now: testNow)
                #expect(first.sent == 2)
                #expect(try await recipientRows(app, ids[0])[queued]?.state == "sent")
                let c = try #require(try await recipientRows(app, ids[1])[crashed])
                #expect(c.state == "sent")
                #expect(c.attempts == 2)
                #expect(try await recipientRows(app, ids[2])[leased]?.state == "sending")
                #expect(await gw.script.count(to: leased) == 0)

                let second = try await app.outboxSender.runOnce(now: testNow.addingTimeInterval(31))
                #expect(second.sent == 1)
                #expect(try await recipientRows(app, ids[2])[leased]?.state == "sent")
            }
            // Process 3: nothing is sent again.
            try await onFile { app in
                app.useKannel(gw)
                let again = try await app.outboxSender.runOnce(now: testNow.addingTimeInterval(86_400))
                #expect(again.sent + again.retried + again.failed == 0)
            }
            for phone in [queued, crashed, leased] {
                #expect(await gw.script.count(to: phone) == 1, "\(phone)")
            }
        }
    }

    @Test func aRowAbandonedInSendingAfterItsLastAttemptIsFailedNotResent() async throws {
        try await withGateway { gw in
            try await withSafeGrid { app in
                app.useKannel(gw)
                let a = mobile(60)
                let id = try await enqueue(app, phones: [a])
                try await app.sql.update("message_recipients").set("state", to: SQLBind("sending")).set("attempts", to: SQLBind(6))
                    .set("lease_until", to: SQLBind(testNow.addingTimeInterval(-1))).run()
                let r = try await app.outboxSender.runOnce(now: testNow)
                #expect(r.sent == 0)
                let row = try #require(try await recipientRows(app, id)[a])
                #expect(row.state == "failed")
                #expect(row.lastError?.contains("lease expired") == true)
                #expect(await gw.script.count(to: a) == 0)
            }
        }
    }

    @Test func concurrentPassesNeverSendARowTwice() async throws {
        try await withGateway { gw in
            try await withSafeGrid { app in
                app.useKannel(gw)
                app.outboxSettings.batchSize = 10
                app.outboxSettings.concurrency = 4
                await gw.script.setAcceptDelay(.milliseconds(2))
                let n = 120
                let message = OutgoingMessage(kind: .notice, subjectID: nil, inspectionID: nil, hazardID: nil, body: "并发测试",
                                              segments: 1, recipients: [], dedupeKey: "")
                try await app.writeGate.transaction(on: app.db) { sql in
                    for i in 0..<n {
                        let m = OutgoingMessage(kind: message.kind, subjectID: nil, inspectionID: nil, hazardID: nil,
                                                body: "并发测试 \(i)", segments: 1, recipients: [mobile(1000 + i)],
                                                dedupeKey: "concurrent:\(i)")
                        try await Outbox.enqueue(m, sql: sql, at: testNow)
                    }
                }
                let sender = app.outboxSender
                let totals = try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<3 {
                        group.addTask {
                            var sent = 0
                            while true {
                                let r = try await sender.runOnce(now: testNow)
                                if r.sent + r.retried + r.failed == 0 { break }
                                sent += r.sent
                            }
                            return sent
                        }
                    }
                    var all: [Int] = []
                    for try await s in group { all.append(s) }
                    return all
                }
                #expect(totals.reduce(0, +) == n)
                #expect(try await recipientStates(app)["sent"] == n)
                let received = await gw.script.received
                #expect(received.count == n)
                #expect(Set(received.map(\.to)).count == n)
            }
        }
    }

    @Test func theBackgroundLoopDeliversAndStopsOnShutdown() async throws {
        try await withGateway { gw in
            try await withApp(configure: { app in
                var settings = OutboxSettings()
                settings.backgroundLoop = true
                settings.pollInterval = 0.05
                app.outboxSettings = settings
                try await configure(app, storage: .sqliteMemory, services: SafeGridServices(now: { testNow }))
            }) { app in
                app.useKannel(gw)
                let id = try await enqueue(app, phones: [mobile(70), mobile(71)])
                try await app.asyncBoot()
                #expect(app.outboxLoop.isRunning)
                let deadline = ContinuousClock.now + .seconds(10)
                while ContinuousClock.now < deadline {
                    if try await recipientRows(app, id).values.allSatisfy({ $0.state == "sent" }) { break }
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(try await recipientRows(app, id).values.allSatisfy { $0.state == "sent" })
                await app.outboxLoop.stop()
                #expect(!app.outboxLoop.isRunning)
            }
            #expect(await gw.script.total == 2)
        }
    }

    @Test func theLoopIsOffUnderTesting() async throws {
        try await withSafeGrid { app in
            #expect(app.outboxSettings.backgroundLoop == false)
            #expect(app.smsProvider.name == "log")
            _ = try app.testing()
            #expect(!app.outboxLoop.isRunning)
            // The log provider "delivers".
            let id = try await enqueue(app, phones: [mobile(80)])
            #expect(try await app.outboxSender.runOnce(now: testNow).sent == 1)
            #expect(try await recipientRows(app, id)[mobile(80)]?.providerMessageId?.hasPrefix("log-") == true)
        }
    }

    @Test func anIdlePassTakesNoWriteTransaction() async throws {
        try await withSafeGrid { app in
            let before = await app.writeGate.generation
            for _ in 0..<5 { _ = try await app.outboxSender.runOnce(now: testNow) }
            // Read-model caches keyed by the write generation stay valid while nothing is due.
            #expect(await app.writeGate.generation == before)
            _ = try await enqueue(app, phones: [mobile(85)], at: testNow.addingTimeInterval(60))
            let queued = await app.writeGate.generation
            #expect(try await app.outboxSender.runOnce(now: testNow).sent == 0)
            #expect(await app.writeGate.generation == queued)
        }
    }

    @Test func kannelByPOSTForm() async throws {
        try await withGateway { gw in
            try await withSafeGrid { app in
                app.useKannel(gw, post: true)
                let id = try await enqueue(app, phones: [mobile(90)], body: "表单 + & = %")
                #expect(try await app.outboxSender.runOnce(now: testNow).sent == 1)
                #expect(try await recipientRows(app, id)[mobile(90)]?.state == "sent")
                let r = try #require(await gw.script.received.first)
                #expect(r.method == "POST")
                #expect(r.text == "表单 + & = %")
            }
        }
    }

    @Test func kannelAnswersAreClassified() throws {
        #expect(try KannelSMSProvider.interpret(status: .accepted, body: "0: Accepted for delivery", messageID: "x") == "x")
        #expect(try KannelSMSProvider.interpret(status: .ok, body: "Sent.", messageID: "y") == "y")
        #expect(try KannelSMSProvider.interpret(status: .accepted, body: "3: Queued for later delivery", messageID: "z") == "z")
        func failure(_ status: HTTPResponseStatus, _ body: String) -> SMSFailure.Kind? {
            do {
                _ = try KannelSMSProvider.interpret(status: status, body: body, messageID: "")
                return nil
            } catch { return (error as? SMSFailure)?.kind }
        }
        #expect(failure(.badRequest, "4: Invalid receiver number") == .permanent)
        #expect(failure(.forbidden, "Number(s) has/have been denied by white- and/or black-lists.") == .permanent)
        #expect(failure(.forbidden, "Authorization failed for sendsms") == .temporary)
        #expect(failure(.tooManyRequests, "slow down") == .temporary)
        #expect(failure(.serviceUnavailable, "3: Sending failed") == .temporary)
        #expect(failure(.ok, "hello") == .temporary)
    }
}

import Crypto
import Foundation
import NIOConcurrencyHelpers
import SQLKit
import SafeGridCore
import Testing
import Vapor
@testable import SafeGridApp

/// A subscriber on 127.0.0.1 that records what it receives and fails while told to.
final class FakeSubscriber: Sendable {
    let app: Application
    let port: Int
    let received = NIOLockedValueBox<[(headers: HTTPHeaders, body: String)]>([])
    let failNext = NIOLockedValueBox(0)

    init(app: Application, port: Int) {
        self.app = app
        self.port = port
    }

    static func start() async throws -> FakeSubscriber {
        let app = try await Application.make(.testing)
        app.logger.logLevel = .warning
        let box = NIOLockedValueBox<FakeSubscriber?>(nil)
        app.post("hook") { req -> Response in
            guard let me = box.withLockedValue({ $0 }) else { return Response(status: .serviceUnavailable) }
            let fail = me.failNext.withLockedValue { n -> Bool in
                if n > 0 { n -= 1; return true }
                return false
            }
            if fail { return Response(status: .internalServerError) }
            me.received.withLockedValue { $0.append((req.headers, req.body.string ?? "")) }
            return Response(status: .noContent)
        }
        try await app.asyncBoot()
        try await app.server.start(address: .hostname("127.0.0.1", port: 0))
        let port = app.http.server.shared.localAddress?.port ?? 0
        let me = FakeSubscriber(app: app, port: port)
        box.withLockedValue { $0 = me }
        return me
    }

    func shutdown() async {
        await app.server.shutdown()
        try? await app.asyncShutdown()
    }
}

@Suite("Webhooks: the change feed pushed to subscribers")
struct WebhookTests {
    @Test func subscribersReceiveSignedBatchesOnceAndRetriesAfterFailures() async throws {
        let subscriber = try await FakeSubscriber.start()
        do {
            try await withSafeGrid { app in
                // The subscriber listens on loopback, which webhooks may reach only when allowed.
                app.settings.webhooks.policy = WebhookPolicy(allowed: try IPRange.list("127.0.0.1"))
                let mg = try await addMicroGrid(app)
                let subject = try await createEnterprise(app, microGrid: mg)
                // Events before the subscription are not sent (from = now).
                #expect(try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: subject), token: app.adminToken).status == .created)
                let secret = "s3cret-s3cret-s3cret"
                let made = try await app.send(.POST, "/api/v1/webhooks", object: ["url": "http://127.0.0.1:\(subscriber.port)/hook", "secret": secret], token: app.adminToken)
                #expect(made.status == .created, "\(made.body)")
                let subscription = try made.decoded(Webhooks.Subscription.self)
                let id = subscription.id.uuidString
                #expect(subscription.cursor == "2")
                #expect(try await Webhooks.pass(app: app, now: testNow).delivered == 0)

                let other = try await createEnterprise(app, microGrid: mg, serial: "MA2AB3C7")
                #expect(try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: other), token: app.adminToken).status == .created)
                #expect(try await Webhooks.pass(app: app, now: testNow) == (1, 0))
                let got = subscriber.received.withLockedValue { $0 }
                #expect(got.count == 1)
                let body = got.first?.body ?? ""
                // Raw: the delivered payload is what a subscriber reads (its type is local to Webhooks.deliver).
                let json = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
                #expect((json["changes"] as? [Any])?.count == 2)
                #expect(json["next"] as? String == "4")
                let expected = "sha256=" + Hex.encode(HMAC<SHA256>.authenticationCode(for: Data(body.utf8), using: SymmetricKey(data: Data(secret.utf8))))
                #expect(got.first?.headers.first(name: "X-SafeGrid-Signature") == expected)
                // Nothing new: nothing sent.
                #expect(try await Webhooks.pass(app: app, now: testNow) == (0, 0))

                // The subscriber fails: logged, retried later with the same events.
                subscriber.failNext.withLockedValue { $0 = 1 }
                let hazard = try await app.sql.raw("SELECT id FROM hazards WHERE subject_id = \(bind: UUID(uuidString: other)!) LIMIT 1")
                    .first()?.decode(column: "id", as: UUID.self)
                #expect(try await app.send(.POST, "/api/v1/hazards/\(hazard!.uuidString)/actions",
                                           object: ["action": "startRectification", "actor": "王建国"], token: app.adminToken).status == .ok)
                #expect(try await Webhooks.pass(app: app, now: testNow) == (0, 1))
                #expect(try await Webhooks.pass(app: app, now: testNow.addingTimeInterval(10)) == (0, 0))   // not yet due
                #expect(try await Webhooks.pass(app: app, now: testNow.addingTimeInterval(31)) == (1, 0))
                let last = subscriber.received.withLockedValue { $0 }.last?.body ?? ""
                #expect(last.contains("startRectification"))
                let deliveries = try await app.send(.GET, "/api/v1/webhooks/\(id)/deliveries", token: app.adminToken)
                #expect(try deliveries.decoded([Webhooks.Delivery].self).map(\.status) == [204, 500, 204])
                let list = try await app.send(.GET, "/api/v1/webhooks", token: app.adminToken)
                #expect(try list.decoded([Webhooks.Subscription].self).first?.cursor == "5")
                // Raw: the secret must be absent from the listing, not merely empty.
                #expect(list.array.first?["secret"] == nil)

                // Stopped: nothing more.
                #expect(try await app.send(.DELETE, "/api/v1/webhooks/\(id)", token: app.adminToken).decoded(Webhooks.Subscription.self).active == false)
                // Removed is gone: not listed, no deliveries, not removed twice.
                #expect(try await app.send(.GET, "/api/v1/webhooks/\(id)/deliveries", token: app.adminToken).status == .notFound)
                #expect(try await app.send(.DELETE, "/api/v1/webhooks/\(id)", token: app.adminToken).status == .notFound)
                #expect(!(try await app.send(.GET, "/api/v1/webhooks", token: app.adminToken).body.lowercased().contains(id.lowercased())))
                #expect(try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: other, at: "2026-11-30T09:40:00+08:00"), token: app.adminToken).status == .created)
                #expect(try await Webhooks.pass(app: app, now: testNow.addingTimeInterval(60)) == (0, 0))

                for (body, field) in [(["url": "ftp://x"], "url"), (["url": "not a url"], "url"),
                                      (["url": "http://127.0.0.1/h", "secret": "short"], "secret"),
                                      (["url": "http://127.0.0.1/h", "from": "yesterday"], "from")] {
                    let r = try await app.send(.POST, "/api/v1/webhooks", object: body, token: app.adminToken)
                    #expect(r.status == .unprocessableEntity)
                    #expect(try r.problem().field == field)
                }
                #expect(try await app.send(.DELETE, "/api/v1/webhooks/\(UUID())", token: app.adminToken).status == .notFound)
            }
        } catch {
            await subscriber.shutdown()
            throw error
        }
        await subscriber.shutdown()
    }
}

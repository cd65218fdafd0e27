import Crypto
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SQLKit
import SafeGridCore
import Vapor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Delivery of the change feed to subscribers (run by ``WebhookLoop`` every few seconds): each
/// due subscription, leased by one instance at a time, gets its next batch of events signed
/// with its secret; a failure is retried on the SMS outbox's schedule.
extension Webhooks {
    /// The signature header value of `body` under `secret`.
    static func signature(_ body: Data, secret: String) -> String {
        "sha256=" + Hex.encode(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8))))
    }

    /// One pass: every due, active subscription with new events gets one batch.
    /// - Returns: how many batches were answered 2xx and how many failed.
    @discardableResult
    static func pass(app: Application, now: Date) async throws -> (delivered: Int, failed: Int) {
        // A client of its own: no redirects, whatever the application's shared client does.
        let client = HTTPClient(eventLoopGroup: app.eventLoopGroup,
                                configuration: .init(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: timeout)))
        do {
            let result = try await pass(app: app, now: now, client: client)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private static func pass(app: Application, now: Date, client: HTTPClient) async throws -> (delivered: Int, failed: Int) {
        let candidates = try await WebhookStore(sql: app.sql).due(at: now)
        var delivered = 0, failed = 0
        for id in candidates {
            // Claim: only one instance wins the lease.
            let claimed = try await app.writeGate.transaction(on: app.db, changesCampaign: false) { sql in
                try await WebhookStore(sql: sql).claim(id, at: now, until: now.addingTimeInterval(lease))
            }
            guard claimed else { continue }
            guard let outcome = try await deliver(app: app, subscription: id, now: now, client: client) else { continue }
            if outcome { delivered += 1 } else { failed += 1 }
        }
        return (delivered, failed)
    }

    /// Sends the next batch of one claimed subscription; `nil` when there was nothing new.
    static func deliver(app: Application, subscription id: UUID, now: Date, client: HTTPClient) async throws -> Bool? {
        guard let sub = try await WebhookStore(sql: app.sql).subscription(id) else { return nil }
        let url = try sub.decode(column: "url", as: String.self)
        let secret = try sub.decode(column: "secret", as: String.self)
        let cursor = try sub.decode(column: "cursor", as: Int64.self)
        let failures = try sub.decode(column: "failures", as: Int.self)
        // Only the events of the maker's jurisdiction (subscriptions made before accounts: all).
        let scope = Jurisdiction(areaCode: try sub.decode(column: "scope_code", as: String?.self) ?? "")
        let rows = try await CampaignQueries(sql: app.sql, scope: scope).events(after: cursor, limit: batch)
        guard let last = rows.last else {
            try await release(app, id, cursor: cursor, failures: 0, next: now, error: nil)
            return nil
        }
        let deliveryID = UUID()
        struct Body: Encodable {
            let subscriptionId: UUID
            let deliveryId: UUID
            let changes: [ChangesController.Change]
            let next: String
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = try encoder.encode(Body(subscriptionId: id, deliveryId: deliveryID,
                                           changes: rows.map(ChangesController.Change.init), next: String(last.seq)))
        let started = ContinuousClock.now
        var status: Int? = nil
        var failure: String? = nil
        do {
            let target = try await WebhookTarget.resolve(url, policy: app.settings.webhooks.policy)
            var headers = HTTPHeaders()
            headers.contentType = .json
            headers.add(name: "Host", value: target.hostHeader)
            headers.add(name: "X-SafeGrid-Signature", value: signature(body, secret: secret))
            headers.add(name: "X-SafeGrid-Delivery", value: deliveryID.uuidString.lowercased())
            headers.add(name: "X-SafeGrid-Timestamp", value: Timestamp.format(now))
            let request = try HTTPClient.Request(url: target.connectURL, method: .POST, headers: headers, body: .data(body))
            let response = try await client.execute(request: request, deadline: .now() + timeout).get()
            status = Int(response.status.code)
            if !(200..<300).contains(Int(response.status.code)) { failure = "answered \(response.status.code)" }
        } catch let refused as WebhookTarget.Refused {
            failure = refused.description
        } catch let e as HTTPClientError where e == .deadlineExceeded || e == .readTimeout || e == .connectTimeout {
            failure = "timed out"
        } catch {
            // The client's error may carry the subscriber's words or our network's details.
            failure = "could not connect or send"
        }
        let ms = Int((ContinuousClock.now - started) / .milliseconds(1))
        let ok = failure == nil
        let (answered, error) = (status, failure)
        try await app.writeGate.transaction(on: app.db, changesCampaign: false) { sql in
            try await WebhookStore(sql: sql).recordDelivery(subscription: id, deliveryID: deliveryID, firstSeq: rows[0].seq, lastSeq: last.seq,
                                                           events: rows.count, status: answered, error: error, at: now, durationMs: ms)
        }
        if ok {
            try await release(app, id, cursor: last.seq, failures: 0, next: now, error: nil)
        } else {
            // The SMS outbox's retry schedule: 30 s × 2ⁿ⁻¹, at most 1 h.
            let delay = OutboxSettings().backoff(attempts: failures + 1)
            try await release(app, id, cursor: cursor, failures: failures + 1, next: now.addingTimeInterval(delay), error: error)
        }
        return ok
    }

    static func release(_ app: Application, _ id: UUID, cursor: Int64, failures: Int, next: Date, error: String?) async throws {
        try await app.writeGate.transaction(on: app.db, changesCampaign: false) { sql in
            try await WebhookStore(sql: sql).release(id, cursor: cursor, failures: failures, next: next, error: error)
        }
    }
}

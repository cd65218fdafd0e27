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

/// Outgoing webhooks: each subscriber receives the change feed (``ChangesController``) from its
/// cursor on, as `POST {url}` with a JSON body `{"subscriptionId", "deliveryId", "changes", "next"}`
/// (at most ``batch`` events), signed:
///
/// - `X-SafeGrid-Signature: sha256=<hex HMAC-SHA256 of the body with the subscription's secret>`
/// - `X-SafeGrid-Delivery: <uuid>` (also in the body), `X-SafeGrid-Timestamp: <RFC 3339>`
///
/// A 2xx answer moves the cursor to `next`; anything else (status, timeout, refused connection)
/// is logged in `webhook_deliveries` and retried after 30 s × 2ⁿ⁻¹ (at most 1 h), the same events
/// again, so a subscriber misses nothing; it may see a batch twice when its 2xx is lost, and
/// can drop repeats by `cursor`. Subscriptions are claimed with a lease, so two instances never
/// deliver the same batch at once.
///
/// Where webhooks may go (``WebhookPolicy``): the host is resolved at each delivery and every
/// address it has must be public — not loopback, private (10/8, 172.16/12, 192.168/16), shared
/// (100.64/10), link-local, unique local, unspecified, multicast or reserved, in IPv4 or IPv6,
/// v4-mapped forms judged by their IPv4 address — unless `SAFEGRID_WEBHOOK_ALLOW` lists it (an
/// intranet receiver). A plain-HTTP delivery connects to the address that was checked (the
/// `Host` header keeps the name), so a second DNS answer cannot swap it; HTTPS connects by name
/// and the certificate must match it. Redirects are not followed (a 3xx is a failed delivery).
/// A failed delivery stores a short text of ours (`answered 500`, `timed out`), never the
/// subscriber's body or the client's error.
enum Webhooks {
    static let batch = 100
    static let timeout: TimeAmount = .seconds(10)
    static let lease: TimeInterval = 60

    struct SubscriptionInput: Content {
        let url: String
        /// At least 16 characters; made for you when absent.
        let secret: String?
        /// `now` (default): changes from now on; `beginning`: every change since the first.
        let from: String?
    }

    struct Subscription: Content {
        let id: UUID
        let url: String
        /// Only in the answer to its creation.
        let secret: String?
        let cursor: String
        let active: Bool
        let failures: Int
        let nextAttemptAt: String
        let lastError: String?
    }

    struct Delivery: Content {
        let deliveryId: UUID
        let firstCursor: String
        let lastCursor: String
        let events: Int
        let status: Int?
        let error: String?
        let attemptedAt: String
        let durationMs: Int
    }

    // MARK: API

    static func create(_ req: Request) async throws -> Response {
        let input = try req.content.decode(SubscriptionInput.self)
        let url = input.url.trimmingCharacters(in: .whitespaces)
        guard url.count <= 1_000, let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = parts.host, !host.isEmpty else {
            throw DomainError.invalid("url", "url must be an http or https address")
        }
        // A literal address (or localhost) is judged now; a name is judged at each delivery.
        if let refusal = req.application.settings.webhooks.policy.refusalOfLiteral(host) {
            throw DomainError.invalid("url", "url points at \(refusal); webhooks go only to public addresses (an intranet receiver must be listed in SAFEGRID_WEBHOOK_ALLOW)")
        }
        let secret: String
        if let s = input.secret {
            guard (16...200).contains(s.count), s.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
                throw DomainError.invalid("secret", "secret must be 16 to 200 printable ASCII characters")
            }
            secret = s
        } else {
            secret = Hex.encode(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
        }
        guard input.from == nil || input.from == "now" || input.from == "beginning" else {
            throw DomainError.invalid("from", "from must be now or beginning")
        }
        let now = req.services.now()
        let id = UUID()
        let fromBeginning = input.from == "beginning"
        let scope = req.jurisdiction
        let cursor: Int64 = try await req.application.writeGate.transaction(on: req.db, changesCampaign: false) { sql in
            let cursor = fromBeginning ? 0 : try await sql.select()
                .column(SQLFunction("COALESCE", args: SQLFunction("MAX", args: SQLIdentifier("seq")), SQLLiteral.numeric("0")), as: "n")
                .from("hazard_events").first()?.decode(column: "n", as: Int64.self) ?? 0
            try await sql.insert(into: "webhook_subscriptions")
                .columns("id", "url", "secret", "cursor", "active", "failures", "next_attempt_at", "created_at", "scope_code")
                .values(SQLBind(id), SQLBind(url), SQLBind(secret), SQLBind(cursor), SQLBind(true), SQLBind(0), SQLBind(now), SQLBind(now),
                        SQLBind(scope.areaCode))
                .run()
            return cursor
        }
        let answer = Subscription(id: id, url: url, secret: secret, cursor: String(cursor), active: true, failures: 0,
                                  nextAttemptAt: Timestamp.format(now), lastError: nil)
        return try Response.json(answer, status: .created)
    }

    /// A subscription receives the events of its maker's jurisdiction (`scope_code`), and is
    /// seen only by admins whose jurisdiction holds it.
    /// Subscriptions the reader may see: inside their area and not removed.
    static func visible(_ q: SQLSelectBuilder, _ req: Request) -> SQLSelectBuilder {
        req.queries.within(q, codeColumn: "scope_code").where("removed_at", .is, SQLLiteral.null)
    }

    static func list(_ req: Request) async throws -> [Subscription] {
        try await visible(req.sql.select().columns("*").from("webhook_subscriptions"), req).orderBy("created_at").all().map(subscription)
    }

    static func remove(_ req: Request) async throws -> Subscription {
        let id = try Input.uuid(req.parameters.get("id"), "id", kind: .notFound)
        guard try await visible(req.sql.select().column("id").from("webhook_subscriptions").where("id", .equal, SQLBind(id)), req).first() != nil
        else { throw DomainError(.notFound, field: "id", reason: "no webhook subscription \(id)") }
        return try await req.application.writeGate.transaction(on: req.db, changesCampaign: false) { sql in
            try await sql.update("webhook_subscriptions").set("active", to: SQLBind(false))
                .set("removed_at", to: SQLBind(req.services.now())).where("id", .equal, SQLBind(id)).run()
            guard let row = try await sql.select().columns("*").from("webhook_subscriptions").where("id", .equal, SQLBind(id)).first() else {
                throw DomainError(.notFound, field: "id", reason: "no webhook subscription \(id)")
            }
            return try subscription(row)
        }
    }

    static func deliveries(_ req: Request) async throws -> [Delivery] {
        let id = try Input.uuid(req.parameters.get("id"), "id", kind: .notFound)
        guard try await visible(req.sql.select().column("id").from("webhook_subscriptions").where("id", .equal, SQLBind(id)), req).first() != nil else {
            throw DomainError(.notFound, field: "id", reason: "no webhook subscription \(id)")
        }
        return try await req.sql.select().columns("*").from("webhook_deliveries").where("subscription_id", .equal, SQLBind(id))
            .orderBy("seq", .descending).limit(100).all().map { row in
                Delivery(deliveryId: try row.decode(column: "delivery_id", as: UUID.self),
                         firstCursor: String(try row.decode(column: "first_seq", as: Int64.self)),
                         lastCursor: String(try row.decode(column: "last_seq", as: Int64.self)),
                         events: try row.decode(column: "events", as: Int.self), status: try row.decode(column: "status", as: Int?.self),
                         error: try row.decode(column: "error", as: String?.self),
                         attemptedAt: Timestamp.format(try row.decode(column: "attempted_at", as: Date.self)),
                         durationMs: try row.decode(column: "duration_ms", as: Int.self))
            }
    }

    static func subscription(_ row: any SQLRow) throws -> Subscription {
        Subscription(id: try row.decode(column: "id", as: UUID.self), url: try row.decode(column: "url", as: String.self), secret: nil,
                     cursor: String(try row.decode(column: "cursor", as: Int64.self)), active: try row.decode(column: "active", as: Bool.self),
                     failures: try row.decode(column: "failures", as: Int.self),
                     nextAttemptAt: Timestamp.format(try row.decode(column: "next_attempt_at", as: Date.self)),
                     lastError: try row.decode(column: "last_error", as: String?.self))
    }

    // MARK: Delivery

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
        let candidates = try await app.sql.raw("""
            SELECT id FROM webhook_subscriptions WHERE active = \(bind: true) AND next_attempt_at <= \(bind: now)
            AND (lease_until IS NULL OR lease_until < \(bind: now)) ORDER BY next_attempt_at LIMIT 20
            """).all().map { try $0.decode(column: "id", as: UUID.self) }
        var delivered = 0, failed = 0
        for id in candidates {
            // Claim: only one instance wins the lease.
            let claimed = try await app.writeGate.transaction(on: app.db, changesCampaign: false) { sql in
                try await sql.raw("""
                    UPDATE webhook_subscriptions SET lease_until = \(bind: now.addingTimeInterval(lease)) WHERE id = \(bind: id)
                    AND (lease_until IS NULL OR lease_until < \(bind: now)) RETURNING id
                    """).all().count
            }
            guard claimed == 1 else { continue }
            guard let outcome = try await deliver(app: app, subscription: id, now: now, client: client) else { continue }
            if outcome { delivered += 1 } else { failed += 1 }
        }
        return (delivered, failed)
    }

    /// Sends the next batch of one claimed subscription; `nil` when there was nothing new.
    static func deliver(app: Application, subscription id: UUID, now: Date, client: HTTPClient) async throws -> Bool? {
        guard let sub = try await app.sql.select().columns("*").from("webhook_subscriptions").where("id", .equal, SQLBind(id)).first() else { return nil }
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
            try await sql.insert(into: "webhook_deliveries")
                .columns("subscription_id", "delivery_id", "first_seq", "last_seq", "events", "status", "error", "attempted_at", "duration_ms")
                .values(SQLBind(id), SQLBind(deliveryID), SQLBind(rows[0].seq), SQLBind(last.seq), SQLBind(rows.count), SQLBind(answered),
                        SQLBind(error), SQLBind(now), SQLBind(ms))
                .run()
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
            try await sql.update("webhook_subscriptions").set("cursor", to: SQLBind(cursor)).set("failures", to: SQLBind(failures))
                .set("next_attempt_at", to: SQLBind(next)).set("lease_until", to: SQLLiteral.null).set("last_error", to: SQLBind(error))
                .where("id", .equal, SQLBind(id)).run()
        }
    }
}

extension ChangesController.Change {
    init(_ row: HazardEventRow) {
        self.init(cursor: String(row.seq), hazardId: row.hazardId, subjectId: row.subjectId, townCode: row.townCode,
                  event: HazardEventDTO(row))
    }
}

/// Where webhooks may be delivered: public addresses, and the blocks of `SAFEGRID_WEBHOOK_ALLOW`
/// (``Settings/webhooks``; addresses or CIDR blocks, e.g. `10.20.0.0/16` for an intranet receiver).
struct WebhookPolicy: Sendable {
    var allowed: [IPRange] = []

    /// Why an address may not be called (`"a loopback address (127.0.0.1)"`), or `nil`.
    func refusal(_ address: IPAddress) -> String? {
        OutboundAddressRule.refusal(address, allowed: allowed).map { "a \($0) address (\(address))" }
    }

    /// For a URL's host written as an address (any form the resolver would accept as one, such
    /// as `0x7f.1` or `2130706433`), or named `localhost`: why it is refused, or `nil`. Names
    /// are judged when delivering.
    func refusalOfLiteral(_ host: String) -> String? {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let lowered = bare.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "."))
        if lowered == "localhost" || lowered.hasSuffix(".localhost") {
            // Resolved at delivery like any name, when loopback is allowed.
            guard let loopback = IPAddress("127.0.0.1"), allowed.contains(where: { $0.contains(loopback) }) else {
                return "localhost (a loopback address)"
            }
            return nil
        }
        guard let address = IPAddress(bare) ?? WebhookTarget.numericAddress(bare) else { return nil }
        return refusal(address)
    }
}

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
            try await WebhookStore(sql: sql).subscribe(id: id, url: url, secret: secret, fromBeginning: fromBeginning,
                                                       scopeCode: scope.areaCode, at: now)
        }
        let answer = Subscription(id: id, url: url, secret: secret, cursor: String(cursor), active: true, failures: 0,
                                  nextAttemptAt: Timestamp.format(now), lastError: nil)
        return try Response.json(answer, status: .created)
    }

    /// A subscription receives the events of its maker's jurisdiction, and is seen only by
    /// admins whose jurisdiction holds it (``WebhookStore``).
    static func list(_ req: Request) async throws -> [Subscription] {
        try await WebhookStore(sql: req.sql).list(visibleTo: req.queries).map(subscription)
    }

    static func remove(_ req: Request) async throws -> Subscription {
        let id = try Input.uuid(req.parameters.get("id"), "id", kind: .notFound)
        guard try await WebhookStore(sql: req.sql).isVisible(id, to: req.queries)
        else { throw DomainError(.notFound, field: "id", reason: "no webhook subscription \(id)") }
        let now = req.services.now()
        return try await req.application.writeGate.transaction(on: req.db, changesCampaign: false) { sql in
            guard let row = try await WebhookStore(sql: sql).remove(id, at: now) else {
                throw DomainError(.notFound, field: "id", reason: "no webhook subscription \(id)")
            }
            return try subscription(row)
        }
    }

    static func deliveries(_ req: Request) async throws -> [Delivery] {
        let id = try Input.uuid(req.parameters.get("id"), "id", kind: .notFound)
        guard try await WebhookStore(sql: req.sql).isVisible(id, to: req.queries) else {
            throw DomainError(.notFound, field: "id", reason: "no webhook subscription \(id)")
        }
        return try await WebhookStore(sql: req.sql).deliveries(of: id).map { row in
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

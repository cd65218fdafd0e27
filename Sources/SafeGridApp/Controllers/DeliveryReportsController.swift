import Crypto
import Foundation
import SQLKit
import SafeGridCore
import Vapor

/// Delivery reports (DLR) from the gateway: `GET|POST /sms/dlr/{recipientId}?type=N`, the
/// Kannel `dlr-url` convention (set `SAFEGRID_SMS_DLR_URL=http://<this server>/sms/dlr/{id}?type=%d`
/// and `SAFEGRID_SMS_DLR_MASK=19`). Types (Kannel): 1 delivered, 2 undelivered, 16 rejected by
/// the SMSC; 4 buffered and 8 submitted are acknowledged and change nothing. A report moves a
/// `sent` recipient to `delivered` or `failed` (never back to `queued`: it is not sent again).
///
/// Reports are authenticated: the gateway sends the token set for its provider
/// (`SAFEGRID_SMS_DLR_TOKEN` for the configured provider, or `SAFEGRID_SMS_DLR_TOKEN_KANNEL`,
/// `…_ALIYUN`, `…_LOG` by name) as the `token` query parameter — put it in the `dlr-url`,
/// `…/sms/dlr/{id}?type=%d&token=<token>` — or the `X-SafeGrid-DLR-Token` header. Without one
/// the answer is 401, with a wrong one (or none configured) 403, and nothing changes; a report
/// for a message sent by another provider is answered as unknown (404).
enum DeliveryReports {
    /// The provider whose token `presented` is (compared in constant time), or `nil`.
    static func provider(presenting presented: String, tokens: [String: String]) -> String? {
        let given = Array(SHA256.hash(data: Data(presented.utf8)))
        var match: String? = nil
        for (name, token) in tokens.sorted(by: { $0.key < $1.key }) where !token.isEmpty {
            let expected = Array(SHA256.hash(data: Data(token.utf8)))
            // Digests of equal length, compared without an early exit.
            if zip(given, expected).reduce(UInt8(0), { $0 | ($1.0 ^ $1.1) }) == 0 { match = name }
        }
        return match
    }

    static func receive(_ req: Request) async throws -> Response {
        let tokens = req.application.settings.sms.deliveryReportTokens
        guard !tokens.isEmpty else {
            throw Abort(.forbidden, reason: "delivery reports are not accepted: no gateway token is set (SAFEGRID_SMS_DLR_TOKEN)")
        }
        guard let presented = req.query[String.self, at: "token"] ?? req.headers.first(name: "X-SafeGrid-DLR-Token"), !presented.isEmpty else {
            throw Abort(.unauthorized, reason: "a delivery report must carry the gateway's token (token=… in the dlr-url, or X-SafeGrid-DLR-Token)")
        }
        guard let provider = provider(presenting: presented, tokens: tokens) else {
            throw Abort(.forbidden, reason: "the delivery report's token is not the gateway's")
        }
        let id = try Input.uuid(req.parameters.get("id"), "id", kind: .notFound)
        guard let raw = req.query[String.self, at: "type"], let type = Int(raw) else {
            throw DomainError.invalid("type", "type must be the Kannel delivery report type (1, 2, 4, 8 or 16)")
        }
        let now = req.services.now()
        let state: String? = switch type {
        case 1: "delivered"
        case 2, 16: "failed"
        case 4, 8: nil
        default: throw DomainError.invalid("type", "unknown delivery report type \(type)")
        }
        let known = try await req.application.writeGate.transaction(on: req.db, changesCampaign: false) { sql -> Bool in
            try await DeliveryReportStore(sql: sql).record(recipient: id, provider: provider, state: state,
                                                              failure: "delivery failed (DLR type \(type))", at: now)
        }
        guard known else { throw DomainError(.notFound, field: "id", reason: "no message recipient \(id)") }
        return Response(status: .ok, body: .init(string: "ok"))
    }
}

import Foundation
import Logging
import SafeGridCore
import Vapor

/// An SMS gateway. `send` hands one text to one mobile number and answers the gateway's id for
/// it; it throws ``SMSFailure`` (temporary: retry later; permanent: never retry). Any other
/// error (a connection refused, a timeout) is treated as temporary by the sender.
package protocol SMSProvider: Sendable {
    /// Stored with each sent recipient (`message_recipients.provider`).
    var name: String { get }
    /// - Parameters:
    ///   - phone: the stored 11-digit mobile number (`13800000000`).
    ///   - text: the UTF-8 text, as queued.
    ///   - messageID: our id of this delivery (the `message_recipients` row id).
    /// - Returns: the provider's id of the message.
    func send(to phone: String, text: String, messageID: String) async throws -> String
}

/// Why a send failed and whether trying again can help.
struct SMSFailure: Error, Sendable, CustomStringConvertible, Equatable {
    enum Kind: String, Sendable { case temporary, permanent }

    let kind: Kind
    let reason: String

    /// Worth retrying later: the gateway is down, slow, overloaded, or answered nonsense.
    static func temporary(_ reason: String) -> SMSFailure { SMSFailure(kind: .temporary, reason: reason) }
    /// Retrying cannot help: the gateway refused this number or this text.
    static func permanent(_ reason: String) -> SMSFailure { SMSFailure(kind: .permanent, reason: reason) }

    var description: String { "\(kind.rawValue): \(reason)" }

    /// Classifies any error thrown by a provider: ``SMSFailure`` as it is, a client deadline as
    /// a timeout, everything else (connection refused, reset, TLS, …) as temporary.
    static func classify(_ error: any Error, timeout: TimeInterval? = nil) -> SMSFailure {
        if let f = error as? SMSFailure { return f }
        if let e = error as? HTTPClientError {
            if e == .deadlineExceeded || e == .readTimeout || e == .connectTimeout || e == .writeTimeout {
                let after = timeout.map { String(format: " after %.1f s", $0) } ?? ""
                return .temporary("gateway did not answer\(after) (timeout)")
            }
            return .temporary("HTTP client error: \(e)")
        }
        return .temporary("\(type(of: error)): \(String(describing: error).prefix(200))")
    }
}

/// The default provider (and the demo's): writes each message to the application log and
/// reports success. Nothing leaves the machine. The evidence link's token is left out of the
/// log (``SMSFormat/redactingLinks(_:)``): it is a bearer secret, and logs are read by many.
package struct LogSMSProvider: SMSProvider {
    let logger: Logger

    package init(logger: Logger) { self.logger = logger }
    package var name: String { "log" }

    package func send(to phone: String, text: String, messageID: String) async throws -> String {
        logger.info("SMS (log provider) to \(SMSFormat.masked(phone)) [\(messageID)]: \(SMSFormat.redactingLinks(text))")
        return "log-\(messageID)"
    }
}

enum SMSFormat {
    /// The text with the token of every evidence link (`…/e/<token>`) replaced by `[redacted]`:
    /// `请上传 https://x.gov.cn/e/AbC…_9 ` → `请上传 https://x.gov.cn/e/[redacted] `. The token is
    /// the run of base64url characters (`A–Z a–z 0–9 - _`) after `/e/`.
    static func redactingLinks(_ text: String) -> String {
        guard text.contains("/e/") else { return text }
        var out = ""
        var rest = Substring(text)
        while let r = rest.range(of: "/e/") {
            out += rest[..<r.upperBound]
            rest = rest[r.upperBound...]
            let token = rest.prefix { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
            if !token.isEmpty {
                out += "[redacted]"
                rest = rest.dropFirst(token.count)
            }
        }
        return out + rest
    }

    /// `138****0000` for a stored number; `****` for anything unreadable.
    static func masked(_ stored: String) -> String {
        (try? PhoneNumber(stored: stored))?.masked ?? "****"
    }

    /// RFC 3986 percent-encoding of UTF-8: everything but `A–Z a–z 0–9 - _ . ~` (so a space is
    /// `%20`, `+` is `%2B`, `*` is `%2A`). What Aliyun's signature and a CGI query both need.
    static func percentEncode(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                out += "%"
                out += String(b >> 4, radix: 16, uppercase: true)
                out += String(b & 0x0F, radix: 16, uppercase: true)
            }
        }
        return out
    }

    /// `a=1&b=2`, each key and value percent-encoded, in the given order.
    static func query(_ pairs: [(String, String)]) -> String {
        pairs.map { percentEncode($0.0) + "=" + percentEncode($0.1) }.joined(separator: "&")
    }

    /// At most `limit` characters of a gateway's answer, on one line, for `last_error`.
    static func snippet(_ s: String, limit: Int = 120) -> String {
        let line = s.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
            .trimmingCharacters(in: .whitespaces)
        return line.count > limit ? String(line.prefix(limit)) + "…" : line
    }
}

extension Client {
    /// Sends `request` to a gateway: its status and body as text, or, when the gateway could
    /// not be reached or answered too late, the failure classified (``SMSFailure/classify(_:timeout:)``).
    func gatewayExchange(_ request: ClientRequest, timeout: TimeInterval) async throws -> (status: HTTPStatus, body: String) {
        let response: ClientResponse
        do {
            response = try await send(request)
        } catch {
            throw SMSFailure.classify(error, timeout: timeout)
        }
        return (response.status, response.body.map { String(buffer: $0) } ?? "")
    }
}

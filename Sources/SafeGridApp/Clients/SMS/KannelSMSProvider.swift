import Foundation
import Vapor

/// Kannel's `sendsms` HTTP interface (also what many Chinese SMS "HTTP gateways" imitate):
/// `GET /cgi-bin/sendsms?username=…&password=…&to=…&text=…&charset=UTF-8&coding=2`
/// (or the same fields as an `application/x-www-form-urlencoded` POST body).
///
/// Answers: `202` (or `200`) with `0: Accepted for delivery`, `3: Queued for later delivery`
/// or `Sent.` is success; any other 2xx body is not understood and retried; `4xx` is a
/// refusal of this message (bad number, denied by a white/black list) and final — except an
/// authorization failure (`401`/`403` "Authorization failed": our credentials), `408` and `429`,
/// which are retried; `5xx`, a timeout or a broken connection is retried.
package struct KannelSMSProvider: SMSProvider {
    package struct Config: Sendable {
        /// Full URL of `sendsms`, e.g. `http://127.0.0.1:13013/cgi-bin/sendsms`.
        var url: String
        var username: String
        var password: String
        /// Optional sender (`from`).
        var from: String? = nil
        /// Optional delivery-report mask (`dlr-mask`, e.g. `31`) and URL (`dlr-url`; `{id}` is
        /// replaced by our message id).
        var dlrMask: Int? = nil
        var dlrURL: String? = nil
        /// POST a form instead of a GET query.
        var usePOST = false
        /// Per request, connection included.
        var timeout: TimeInterval = 10

        package init(url: String, username: String, password: String, from: String? = nil, dlrMask: Int? = nil,
                     dlrURL: String? = nil, usePOST: Bool = false, timeout: TimeInterval = 10) {
            self.url = url
            self.username = username
            self.password = password
            self.from = from
            self.dlrMask = dlrMask
            self.dlrURL = dlrURL
            self.usePOST = usePOST
            self.timeout = timeout
        }
    }

    let config: Config
    let client: any Client

    package init(config: Config, client: any Client) {
        self.config = config
        self.client = client
    }
    package var name: String { "kannel" }

    func fields(to phone: String, text: String, messageID: String) -> [(String, String)] {
        var f: [(String, String)] = [
            ("username", config.username), ("password", config.password), ("to", phone), ("text", text),
            ("charset", "UTF-8"), ("coding", "2"),
        ]
        if let from = config.from, !from.isEmpty { f.append(("from", from)) }
        if let mask = config.dlrMask { f.append(("dlr-mask", String(mask))) }
        if let dlr = config.dlrURL, !dlr.isEmpty { f.append(("dlr-url", dlr.replacingOccurrences(of: "{id}", with: messageID))) }
        return f
    }

    package func send(to phone: String, text: String, messageID: String) async throws -> String {
        let query = SMSFormat.query(fields(to: phone, text: text, messageID: messageID))
        var request = ClientRequest()
        request.timeout = .milliseconds(Int64(config.timeout * 1000))
        if config.usePOST {
            request.method = .POST
            request.url = URI(string: config.url)
            request.headers.contentType = .urlEncodedForm
            request.body = ByteBuffer(string: query)
        } else {
            request.method = .GET
            request.url = URI(string: config.url + (config.url.contains("?") ? "&" : "?") + query)
        }
        let (status, body) = try await client.gatewayExchange(request, timeout: config.timeout)
        return try Self.interpret(status: status, body: body, messageID: messageID)
    }

    /// The outcome of one `sendsms` answer.
    static func interpret(status: HTTPResponseStatus, body: String, messageID: String) throws -> String {
        let text = SMSFormat.snippet(body)
        switch status.code {
        case 200...299:
            let t = body.trimmingCharacters(in: .whitespacesAndNewlines)
            if t.hasPrefix("0:") || t.hasPrefix("3:") || t.hasPrefix("Sent.") || t.hasPrefix("0: Accepted") {
                return messageID
            }
            throw SMSFailure.temporary("gateway answered \(status.code) with an unrecognised body '\(text)'")
        case 408, 429:
            throw SMSFailure.temporary("gateway answered \(status.code) '\(text)'")
        case let code where (code == 401 || code == 403) && body.localizedCaseInsensitiveContains("auth"):
            // Our credentials, not this message: retried (and logged) until fixed or given up.
            throw SMSFailure.temporary("gateway refused our credentials: \(status.code) '\(text)'")
        case 400...499:
            throw SMSFailure.permanent("gateway refused the message: \(status.code) '\(text)'")
        default:
            throw SMSFailure.temporary("gateway answered \(status.code) '\(text)'")
        }
    }
}

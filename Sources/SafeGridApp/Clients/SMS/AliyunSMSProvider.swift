import Crypto
import Foundation
import SafeGridCore
import Vapor

/// Aliyun SMS (Dysmsapi `SendSms`, RPC style, signature version 1.0).
///
/// The text goes into an approved template as its `content` variable (`TemplateParam` =
/// `{"content":"…"}`); the template code and sign name are configured.
/// Answers: `{"Code":"OK","BizId":"…"}` is success; throttling, rate limits, an empty balance,
/// server errors and 5xx are retried; any other code (`isv.MOBILE_NUMBER_ILLEGAL`,
/// `isv.BLACK_KEY_CONTROL_LIMIT`, …) is final for this message.
struct AliyunSMSProvider: SMSProvider {
    struct Config: Sendable {
        var endpoint: String = "https://dysmsapi.aliyuncs.com/"
        var accessKeyID: String
        var accessKeySecret: String
        var signName: String
        var templateCode: String
        var regionID: String = "cn-hangzhou"
        var timeout: TimeInterval = 10
    }

    let config: Config
    let client: any Client
    /// A fresh nonce and the current time per request; tests fix them.
    var nonce: @Sendable () -> String = { UUID().uuidString.lowercased() }
    var clock: @Sendable () -> Date = { Date() }
    var name: String { "aliyun" }

    /// The request parameters without `Signature`.
    func parameters(phone: String, text: String, nonce: String, timestamp: Date) -> [String: String] {
        [
            "Action": "SendSms", "Version": "2017-05-25", "Format": "JSON", "RegionId": config.regionID,
            "PhoneNumbers": phone, "SignName": config.signName, "TemplateCode": config.templateCode,
            "TemplateParam": Self.templateParam(text),
            "AccessKeyId": config.accessKeyID, "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0",
            "SignatureNonce": nonce, "Timestamp": Timestamp.formatUTC(timestamp),
        ]
    }

    /// `{"content":"…"}` with non-ASCII characters and slashes as they are.
    static func templateParam(_ text: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(["content": text])) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// The canonical query: parameters sorted by name, `k=v` percent-encoded, joined by `&`.
    static func canonicalQuery(_ params: [String: String]) -> String {
        SMSFormat.query(params.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }.map { ($0.key, $0.value) })
    }

    /// Base64 HMAC-SHA1, keyed with `secret + "&"`, of `GET&%2F&` + percentEncode(canonical query).
    static func signature(_ params: [String: String], secret: String, method: String = "GET") -> String {
        let stringToSign = method + "&" + SMSFormat.percentEncode("/") + "&" + SMSFormat.percentEncode(canonicalQuery(params))
        let key = SymmetricKey(data: Data((secret + "&").utf8))
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Data(stringToSign.utf8), using: key)
        return Data(mac).base64EncodedString()
    }

    /// The full request URL: `endpoint?Signature=…&<canonical query>`.
    func url(phone: String, text: String, nonce: String, timestamp: Date) -> String {
        let params = parameters(phone: phone, text: text, nonce: nonce, timestamp: timestamp)
        let signature = Self.signature(params, secret: config.accessKeySecret)
        var base = config.endpoint
        if !base.contains("?") && !base.hasSuffix("/") { base += "/" }
        return base + (base.contains("?") ? "&" : "?") + "Signature=" + SMSFormat.percentEncode(signature) + "&"
            + Self.canonicalQuery(params)
    }

    func send(to phone: String, text: String, messageID: String) async throws -> String {
        var request = ClientRequest(method: .GET, url: URI(string: url(phone: phone, text: text, nonce: nonce(), timestamp: clock())))
        request.timeout = .milliseconds(Int64(config.timeout * 1000))
        let (status, body) = try await client.gatewayExchange(request, timeout: config.timeout)
        return try Self.interpret(status: status, body: body)
    }

    struct Answer: Decodable {
        let Code: String?
        let Message: String?
        let BizId: String?
        let RequestId: String?
    }

    /// Codes worth retrying: the gateway's own trouble, rate limits, an empty balance, a clock or
    /// nonce problem of this one request.
    static func isTemporary(code: String) -> Bool {
        let temporary: Set<String> = [
            "isv.BUSINESS_LIMIT_CONTROL", "isv.OUT_OF_SERVICE", "isv.AMOUNT_NOT_ENOUGH", "isv.SYSTEM_ERROR",
            "ServiceUnavailable", "InternalError", "SignatureNonceUsed", "RequestTimeTooSkewed",
        ]
        return temporary.contains(code) || code.hasPrefix("Throttling") || code.hasPrefix("isp.")
            || code.hasPrefix("InvalidTimeStamp") || code.hasPrefix("ServiceUnavailable")
    }

    static func interpret(status: HTTPResponseStatus, body: String) throws -> String {
        let answer = try? JSONDecoder().decode(Answer.self, from: Data(body.utf8))
        guard let answer, let code = answer.Code else {
            throw SMSFailure.temporary("Aliyun answered \(status.code) without a code: '\(SMSFormat.snippet(body))'")
        }
        let detail = "\(code)" + (answer.Message.map { " (\(SMSFormat.snippet($0)))" } ?? "")
        if code == "OK", (200...299).contains(status.code) {
            return answer.BizId ?? answer.RequestId ?? ""
        }
        if status.code >= 500 || isTemporary(code: code) {
            throw SMSFailure.temporary("Aliyun answered \(status.code) \(detail)")
        }
        throw SMSFailure.permanent("Aliyun refused the message: \(detail)")
    }
}

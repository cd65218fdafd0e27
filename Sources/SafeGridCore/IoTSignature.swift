import Crypto
import Foundation

/// Why an IoT platform's request was refused before its body was read. Each case's
/// ``message`` names the header to fix; the app answers 401 with it.
public enum IoTSignatureError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No `X-SafeGrid-Signature` header (or an empty one).
    case missingSignature
    /// `X-SafeGrid-Signature` is not 64 hexadecimal digits.
    case malformedSignature
    /// No `X-SafeGrid-Timestamp` header (or an empty one).
    case missingTimestamp
    /// `X-SafeGrid-Timestamp` is not Unix seconds written as 1–12 ASCII digits.
    case malformedTimestamp
    /// The timestamp is more than the replay window away from the server's clock. `skewSeconds`
    /// is timestamp − now: negative for an old (possibly replayed) request, positive for one
    /// from the future (a platform whose clock runs fast).
    case outsideReplayWindow(skewSeconds: Int64)
    /// The HMAC does not match: another key, or the body or timestamp changed on the way.
    case badSignature

    /// The header the client must fix.
    public var header: String {
        switch self {
        case .missingSignature, .malformedSignature, .badSignature: IoTSignature.signatureHeader
        case .missingTimestamp, .malformedTimestamp, .outsideReplayWindow: IoTSignature.timestampHeader
        }
    }

    /// An English sentence for the problem response, naming the header.
    public var message: String {
        let sig = IoTSignature.signatureHeader, ts = IoTSignature.timestampHeader
        switch self {
        case .missingSignature:
            return "the \(sig) header is missing: sign each request with the platform's key"
        case .malformedSignature:
            return "the \(sig) header must be 64 hexadecimal digits: HMAC-SHA256 of \"<timestamp>.<body>\" in lower-case hex"
        case .missingTimestamp:
            return "the \(ts) header is missing: send the Unix time in seconds at which the request was signed"
        case .malformedTimestamp:
            return "the \(ts) header must be Unix time in whole seconds, digits only (e.g. 1729042200)"
        case .outsideReplayWindow(let skew):
            let direction = skew < 0 ? "\(-skew) seconds old" : "\(skew) seconds in the future"
            return "the \(ts) header is \(direction), outside the allowed window; check the platform's clock and sign each request when it is sent"
        case .badSignature:
            return "the \(sig) header does not match the body and timestamp for this platform's key"
        }
    }

    public var description: String { message }
}

/// Authentication of an IoT platform's event requests.
///
/// Each platform has its own secret key. It sends two headers with every request:
///
/// - `X-SafeGrid-Timestamp`: when it signed, Unix time in whole seconds, as ASCII digits
///   (`1729042200`);
/// - `X-SafeGrid-Signature`: HMAC-SHA256 (RFC 2104, FIPS 198-1) keyed with the platform's secret
///   over the bytes `<timestamp>` `.` `<raw body>`, as 64 lower-case hexadecimal digits.
///
/// The signature covers the raw body bytes as received, before any JSON decoding, so a proxy
/// that re-encodes JSON breaks it (on purpose). Binding the timestamp into the MAC and refusing
/// timestamps outside a window (±300 s by default) limits a captured request's replay to that
/// window; within it, the endpoint's idempotency by the platform's event id does the rest.
public enum IoTSignature {
    public static let signatureHeader = "X-SafeGrid-Signature"
    public static let timestampHeader = "X-SafeGrid-Timestamp"
    /// How far (seconds) a request's timestamp may lie from the server's clock, either way: 300.
    public static let defaultReplayWindow: Int64 = 300

    /// The signature header's value for a body signed at `timestamp` (Unix seconds): 64 lower-case
    /// hex digits. For the device simulator and tests; a platform computes the same.
    public static func sign<Body: DataProtocol>(body: Body, timestamp: Int64, secret: SymmetricKey) -> String {
        Hex.encode(mac(body: body, timestamp: String(timestamp), secret: secret))
    }

    /// The timestamp header's value for the instant `date`: whole Unix seconds, rounded down.
    public static func timestampValue(_ date: Date) -> String {
        String(Int64(date.timeIntervalSince1970.rounded(.down)))
    }

    /// Checks a request's headers against its raw body.
    ///
    /// Checks in this order, the first failure thrown: the signature header present and 64 hex
    /// digits (either case: case carries no information); the timestamp header present and
    /// 1–12 ASCII digits (no sign, no spaces, no fraction); `|timestamp − now| ≤ replayWindow`
    /// with `now` rounded down to a whole second (both edges accepted: ±300 s passes, ±301 s
    /// does not); finally the HMAC, compared in constant time (no early exit on the first
    /// differing byte, so the time taken reveals nothing about how much of a forgery matched).
    /// The cheap header checks come first so a flood of junk costs no HMAC.
    ///
    /// - Parameters:
    ///   - signature, timestamp: the header values, `nil` when absent.
    ///   - replayWindow: seconds, ≥ 0.
    /// - Returns: the signed instant.
    /// - Throws: ``IoTSignatureError``.
    @discardableResult
    public static func verify<Body: DataProtocol>(body: Body, signature: String?, timestamp: String?,
                                                  secret: SymmetricKey, now: Date,
                                                  replayWindow: Int64 = defaultReplayWindow) throws(IoTSignatureError) -> Date {
        guard let signature, !signature.isEmpty else { throw .missingSignature }
        guard let given = decodeHex32(signature) else { throw .malformedSignature }
        guard let timestamp, !timestamp.isEmpty else { throw .missingTimestamp }
        guard let seconds = unixSeconds(timestamp) else { throw .malformedTimestamp }
        let nowSeconds = Int64(now.timeIntervalSince1970.rounded(.down))
        let skew = seconds - nowSeconds
        guard abs(skew) <= replayWindow else { throw .outsideReplayWindow(skewSeconds: skew) }
        let expected = Array(mac(body: body, timestamp: timestamp, secret: secret))
        var difference: UInt8 = 0
        for i in 0..<32 { difference |= expected[i] ^ given[i] }
        guard difference == 0 else { throw .badSignature }
        return Date(timeIntervalSince1970: Double(seconds))
    }

    // MARK: - Internals

    /// HMAC-SHA256(secret, timestamp ‖ "." ‖ body), fed in two parts so a large body is not copied.
    private static func mac<Body: DataProtocol>(body: Body, timestamp: String, secret: SymmetricKey)
        -> HashedAuthenticationCode<SHA256> {
        var hmac = HMAC<SHA256>(key: secret)
        hmac.update(data: Array(timestamp.utf8) + [UInt8(ascii: ".")])
        hmac.update(data: body)
        return hmac.finalize()
    }

    /// 1–12 ASCII digits → seconds. Twelve digits reach year 33658, far past any real clock, and
    /// keep the arithmetic clear of overflow.
    private static func unixSeconds(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard (1...12).contains(bytes.count) else { return nil }
        var value: Int64 = 0
        for b in bytes {
            guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(b - UInt8(ascii: "0"))
        }
        return value
    }

    /// Exactly 64 hex digits (either case) → 32 bytes.
    private static func decodeHex32(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count == 64 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(32)
        var i = 0
        while i < 64 {
            guard let hi = hexValue(chars[i]), let lo = hexValue(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

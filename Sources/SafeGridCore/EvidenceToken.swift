import Crypto
import Foundation

/// The signed, expiring token in the SMS link with which a responsible party (who has no
/// account) uploads rectification photos for one subject.
///
/// Wire form: 43 characters of base64url without padding (RFC 4648 §5) of 32 bytes:
///
/// | bytes  | content                                                             |
/// |--------|---------------------------------------------------------------------|
/// | 0–15   | the subject's UUID (RFC 9562 byte order)                            |
/// | 16–19  | expiry, whole seconds since 1970-01-01T00:00:00Z, UInt32 big-endian |
/// | 20–31  | the first 12 bytes (96 bits) of HMAC-SHA256(key, bytes 0–19)        |
///
/// HMAC per RFC 2104 / FIPS 198-1; truncating the tag to 96 bits is allowed by RFC 2104 §5 and
/// NIST SP 800-107 §5.3.3. The token is bearer authority: anyone with the link may upload until
/// it expires, so links go only to the party's own phone number.
public struct EvidenceToken: Sendable, Equatable {
    public let subjectID: UUID
    /// The instant the link stops working, whole seconds (UTC). A token is valid while
    /// `now < expiresAt`.
    public let expiresAt: Date

    /// Length of a signed token in characters.
    public static let length = 43

    /// - Parameter expiresAt: rounded down to a whole second and clamped to what 4 bytes hold
    ///   (1970-01-01T00:00:00Z … 2106-02-07T06:28:15Z).
    public init(subjectID: UUID, expiresAt: Date) {
        self.subjectID = subjectID
        let seconds = expiresAt.timeIntervalSince1970.rounded(.down)
        let clamped = seconds.isNaN ? 0 : min(max(seconds, 0), Double(UInt32.max))
        self.expiresAt = Date(timeIntervalSince1970: clamped)
    }

    /// The 43-character URL-safe token (alphabet `A–Z a–z 0–9 - _`).
    public func signed(key: SymmetricKey) -> String {
        var bytes = payload
        bytes += Self.tag(bytes, key: key)
        return Self.base64URL(bytes)
    }

    /// Checks a token taken from a link.
    ///
    /// Checks in this order, each failure with its own reason:
    /// 1. shape: exactly 43 characters of the base64url alphabet, canonical (the 2 unused low
    ///    bits of the last character are 0) → `"the link is malformed: …"`;
    /// 2. signature: the 12-byte tag is compared with the expected one in constant time →
    ///   `"the link is not valid: its signature does not match"` (tampered, or made with another key);
    /// 3. expiry: `now >= expiresAt` → `"the link expired on 2026-12-15T23:59:59+08:00"` (the
    ///   expiry in Asia/Shanghai time, ``Timestamp/format(_:)``).
    ///
    /// - Returns: the token's subject and expiry.
    /// - Throws: ``InvalidValue`` as above.
    public static func verify(_ token: String, key: SymmetricKey, now: Date) throws(InvalidValue) -> EvidenceToken {
        guard let bytes = decodeBase64URL(token), bytes.count == 32 else {
            throw InvalidValue("the link is malformed: expected a \(length)-character token of letters, digits, '-' and '_'")
        }
        let body = Array(bytes[0..<20])
        let expected = tag(body, key: key)
        var difference: UInt8 = 0
        for i in 0..<12 { difference |= expected[i] ^ bytes[20 + i] }
        guard difference == 0 else {
            throw InvalidValue("the link is not valid: its signature does not match")
        }
        let uuid = UUID(uuid: (body[0], body[1], body[2], body[3], body[4], body[5], body[6], body[7],
                               body[8], body[9], body[10], body[11], body[12], body[13], body[14], body[15]))
        let seconds = body[16..<20].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let result = EvidenceToken(subjectID: uuid, expiresAt: Date(timeIntervalSince1970: Double(seconds)))
        guard now < result.expiresAt else {
            throw InvalidValue("the link expired on \(Timestamp.format(result.expiresAt))")
        }
        return result
    }

    /// A signing key from configuration.
    ///
    /// - Parameter hex: exactly 64 hexadecimal digits (32 bytes, 256 bits: the HMAC-SHA256 output
    ///   length, the least RFC 2104 §3 recommends), either case; surrounding white space ignored.
    /// - Throws: ``InvalidValue`` for another length or a non-hex character.
    public static func makeKey(hex: String) throws(InvalidValue) -> SymmetricKey {
        let text = Array(hex.trimmingCharacters(in: .whitespacesAndNewlines).utf8)
        guard text.count == 64 else {
            throw InvalidValue("the token key must be 64 hexadecimal digits (32 bytes), found \(text.count) characters")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        var i = 0
        while i < 64 {
            guard let hi = hexValue(text[i]), let lo = hexValue(text[i + 1]) else {
                throw InvalidValue("the token key must be hexadecimal digits 0-9 and a-f")
            }
            bytes.append(hi << 4 | lo)
            i += 2
        }
        return SymmetricKey(data: bytes)
    }

    /// A new random key: 32 bytes from the system's cryptographically secure generator, as 64
    /// lowercase hexadecimal digits (accepted by ``makeKey(hex:)``).
    public static func newKeyHex() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { raw in
            Hex.encode(raw)
        }
    }

    // MARK: - Internals

    /// Bytes 0–19: UUID ‖ expiry.
    private var payload: [UInt8] {
        var bytes = withUnsafeBytes(of: subjectID.uuid) { Array($0) }
        let seconds = UInt32(expiresAt.timeIntervalSince1970)
        bytes += [UInt8(seconds >> 24), UInt8(seconds >> 16 & 0xFF), UInt8(seconds >> 8 & 0xFF), UInt8(seconds & 0xFF)]
        return bytes
    }

    /// The first 12 bytes of HMAC-SHA256(key, message).
    private static func tag(_ message: [UInt8], key: SymmetricKey) -> [UInt8] {
        Array(Array(HMAC<SHA256>.authenticationCode(for: message, using: key)).prefix(12))
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    private static func base64URL(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let b0 = bytes[i]
            let b1 = i + 1 < bytes.count ? bytes[i + 1] : 0
            let b2 = i + 2 < bytes.count ? bytes[i + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            if i + 1 < bytes.count { out.append(alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)]) }
            if i + 2 < bytes.count { out.append(alphabet[Int(b2 & 0x3F)]) }
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func sextet(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): c - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): c - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0") + 52
        case UInt8(ascii: "-"): 62
        case UInt8(ascii: "_"): 63
        default: nil
        }
    }

    /// Strict unpadded base64url of exactly `length` characters; nil unless canonical.
    private static func decodeBase64URL(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count == length else { return nil }
        var values: [UInt8] = []
        values.reserveCapacity(length)
        for c in chars {
            guard let v = sextet(c) else { return nil }
            values.append(v)
        }
        // 43 sextets = 10 groups of 4 (30 bytes) + 3 sextets (2 bytes, 2 spare bits).
        guard values[42] & 0x03 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(32)
        var i = 0
        while i + 4 <= values.count {
            out.append(values[i] << 2 | values[i + 1] >> 4)
            out.append(values[i + 1] << 4 | values[i + 2] >> 2)
            out.append(values[i + 2] << 6 | values[i + 3])
            i += 4
        }
        out.append(values[40] << 2 | values[41] >> 4)
        out.append(values[41] << 4 | values[42] >> 2)
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

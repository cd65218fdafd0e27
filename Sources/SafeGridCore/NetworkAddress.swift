import Foundation

/// An IPv4 or IPv6 address, parsed from its text form without the C library (so the rules
/// about which addresses a server may call, or trust, are plain values with tests).
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// 4 bytes (IPv4) or 16 bytes (IPv6), network byte order.
    public let bytes: [UInt8]

    public var isIPv4: Bool { bytes.count == 4 }

    /// - Parameter bytes: 4 or 16 bytes; anything else gives `nil`.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses `192.0.2.1`, `2001:db8::1`, `::ffff:192.0.2.1`, `[::1]` (brackets of a URL host)
    /// and `fe80::1%eth0` (the zone is dropped). IPv4 must be four decimal parts of 0–255
    /// without leading zeros (`0x7f.1` or `2130706433` are not addresses here).
    public init?(_ text: String) {
        var s = Substring(text)
        if s.hasPrefix("["), s.hasSuffix("]") { s = s.dropFirst().dropLast() }
        if let percent = s.firstIndex(of: "%") { s = s[..<percent] }
        if let v4 = Self.parseIPv4(s) {
            bytes = v4
        } else if let v6 = Self.parseIPv6(s) {
            bytes = v6
        } else {
            return nil
        }
    }

    static func parseIPv4(_ s: Substring) -> [UInt8]? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for p in parts {
            guard (1...3).contains(p.count), p.allSatisfy({ $0.isASCII && $0.isNumber }),
                  !(p.count > 1 && p.hasPrefix("0")), let v = Int(p), v <= 255 else { return nil }
            out.append(UInt8(v))
        }
        return out
    }

    static func parseIPv6(_ s: Substring) -> [UInt8]? {
        guard s.contains(":"), s.count <= 45 else { return nil }
        func groups(_ part: Substring, allowV4Tail: Bool) -> [UInt8]? {
            if part.isEmpty { return [] }
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            var out: [UInt8] = []
            for (i, piece) in pieces.enumerated() {
                if allowV4Tail, i == pieces.count - 1, piece.contains(".") {
                    guard let v4 = parseIPv4(piece) else { return nil }
                    out += v4
                    continue
                }
                guard (1...4).contains(piece.count), piece.allSatisfy(\.isHexDigit), let v = UInt16(piece, radix: 16) else { return nil }
                out += [UInt8(v >> 8), UInt8(v & 0xFF)]
            }
            return out
        }
        let halves = s.components(separatedBy: "::")
        switch halves.count {
        case 1:
            guard let all = groups(s, allowV4Tail: true), all.count == 16 else { return nil }
            return all
        case 2:
            guard let head = groups(Substring(halves[0]), allowV4Tail: false),
                  let tail = groups(Substring(halves[1]), allowV4Tail: true), head.count + tail.count <= 14 else { return nil }
            return head + [UInt8](repeating: 0, count: 16 - head.count - tail.count) + tail
        default:
            return nil
        }
    }

    /// The IPv4 address an IPv6 address carries, for the forms that reach an IPv4 host:
    /// v4-mapped `::ffff:a.b.c.d`, v4-compatible `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d` and
    /// 6to4 `2002:aabb:ccdd::`; `nil` otherwise (and for IPv4 itself).
    public var embeddedIPv4: IPAddress? {
        guard bytes.count == 16 else { return nil }
        let b = bytes
        if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xFF && b[11] == 0xFF { return IPAddress(bytes: Array(b[12..<16])) }
        if b[0..<12].allSatisfy({ $0 == 0 }) && !(b[12..<15].allSatisfy({ $0 == 0 }) && b[15] <= 1) {
            return IPAddress(bytes: Array(b[12..<16]))
        }
        if b[0..<12] == [0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0][...] { return IPAddress(bytes: Array(b[12..<16])) }
        if b[0] == 0x20 && b[1] == 0x02 { return IPAddress(bytes: Array(b[2..<6])) }
        return nil
    }

    public var description: String {
        if isIPv4 { return bytes.map(String.init).joined(separator: ".") }
        // RFC 5952 §5: a v4-mapped address keeps its IPv4 part dotted.
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
            return "::ffff:" + bytes[12...].map(String.init).joined(separator: ".")
        }
        var groups: [UInt16] = []
        for i in stride(from: 0, to: 16, by: 2) { groups.append(UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1])) }
        // RFC 5952: the longest run (of two or more) of zero groups becomes "::".
        var best = (start: -1, length: 0), i = 0
        while i < 8 {
            if groups[i] == 0 {
                var j = i
                while j < 8 && groups[j] == 0 { j += 1 }
                if j - i > best.length && j - i >= 2 { best = (i, j - i) }
                i = j
            } else {
                i += 1
            }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard best.start >= 0 else { return hex.joined(separator: ":") }
        return hex[..<best.start].joined(separator: ":") + "::" + hex[(best.start + best.length)...].joined(separator: ":")
    }
}

/// A CIDR block (`10.0.0.0/8`, `fc00::/7`, or one address as `/32` or `/128`).
public struct IPRange: Hashable, Sendable, CustomStringConvertible {
    public let network: IPAddress
    public let prefixLength: Int

    public init?(_ text: String) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let address = IPAddress(String(parts[0])) else { return nil }
        let bits = address.bytes.count * 8
        if parts.count == 2 {
            guard parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(parts[1]), (0...bits).contains(n) else { return nil }
            prefixLength = n
        } else {
            prefixLength = bits
        }
        network = address
    }

    /// Whether `address` lies in the block. An IPv4 block also holds the IPv6 forms that carry
    /// an IPv4 address of it (``IPAddress/embeddedIPv4``).
    public func contains(_ address: IPAddress) -> Bool {
        if address.bytes.count != network.bytes.count {
            guard network.isIPv4, let v4 = address.embeddedIPv4 else { return false }
            return contains(v4)
        }
        var left = prefixLength
        for (a, b) in zip(address.bytes, network.bytes) {
            guard left > 0 else { return true }
            let mask: UInt8 = left >= 8 ? 0xFF : ~(0xFF >> UInt8(left))
            if a & mask != b & mask { return false }
            left -= 8
        }
        return true
    }

    public var description: String { "\(network)/\(prefixLength)" }

    /// Parses a comma- or space-separated list (`10.1.0.0/16, 192.168.3.4`).
    /// - Throws: ``InvalidValue`` naming the first entry that is not an address or CIDR block.
    public static func list(_ text: String) throws(InvalidValue) -> [IPRange] {
        var out: [IPRange] = []
        for raw in text.split(whereSeparator: { $0 == "," || $0 == " " }) where !raw.isEmpty {
            guard let r = IPRange(String(raw)) else { throw InvalidValue("'\(raw)' is not an IP address or CIDR block (e.g. 10.1.0.0/16)") }
            out.append(r)
        }
        return out
    }
}

/// Which addresses the server may call on behalf of a user (webhooks): not itself, not the
/// networks behind it. The ranges are those of RFC 6890's special-purpose registries that are
/// not globally reachable, for IPv4 and IPv6.
public enum OutboundAddressRule {
    /// Refused blocks and what they are.
    public static let refused: [(range: IPRange, name: String)] = [
        ("0.0.0.0/8", "unspecified"), ("10.0.0.0/8", "private"), ("100.64.0.0/10", "shared (carrier-grade NAT)"),
        ("127.0.0.0/8", "loopback"), ("169.254.0.0/16", "link-local"), ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "IETF protocol assignments"), ("192.168.0.0/16", "private"), ("198.18.0.0/15", "benchmarking"),
        ("224.0.0.0/4", "multicast"), ("240.0.0.0/4", "reserved"),
        ("::/128", "unspecified"), ("::1/128", "loopback"), ("fe80::/10", "link-local"), ("fec0::/10", "site-local"),
        ("fc00::/7", "unique local"), ("ff00::/8", "multicast"),
    ].compactMap { pair in IPRange(pair.0).map { ($0, pair.1) } }

    /// Why `address` may not be called (`"loopback"`, `"private"`…), or `nil` when it may: a
    /// public address, or one inside `allowed` (an operator's intranet targets). IPv6 forms that
    /// carry an IPv4 address (v4-mapped, NAT64, 6to4) are judged by that address.
    public static func refusal(_ address: IPAddress, allowed: [IPRange] = []) -> String? {
        if allowed.contains(where: { $0.contains(address) }) { return nil }
        if let v4 = address.embeddedIPv4 { return refusal(v4, allowed: allowed) }
        return refused.first { $0.range.contains(address) }?.name
    }
}

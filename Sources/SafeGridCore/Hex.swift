/// Lower-case hexadecimal text of bytes: how SafeGrid writes SHA-256 digests (64 digits),
/// HMAC keys and image hashes.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// `[0x0f, 0xa0]` → `"0fa0"`. Two digits per byte, no separators.
    public static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

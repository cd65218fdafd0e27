import Foundation
#if canImport(CoreFoundation)
import CoreFoundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decoding the bytes of a text ledger.
public enum TextDecoding {
    /// The result of ``decode(_:)``.
    public struct Decoded: Sendable {
        public let text: String
        public let encoding: TextEncoding
        /// The bytes ended in the middle of a character (1–3 bytes were dropped): the file was cut.
        public let endsInsideCharacter: Bool
    }

    /// Detects the encoding and decodes, in this order: a UTF-8 byte order mark (`EF BB BF`,
    /// dropped); a UTF-16 byte order mark (`FF FE` little-endian, `FE FF` big-endian; Excel's
    /// "Unicode Text"); valid UTF-8; GB18030 (what Chinese Excel and WPS write for plain "CSV";
    /// it includes GBK and GB 2312). GB18030 is decoded by Foundation
    /// (`CFStringConvertEncodingToNSStringEncoding(kCFStringEncodingGB_18030_2000)`) and, where
    /// Foundation cannot, by the C library's `iconv`.
    ///
    /// A file cut in the middle of a multi-byte character is decoded without the incomplete
    /// character and flagged (``Decoded/endsInsideCharacter``).
    ///
    /// - Throws: ``LedgerFileError`` `.unreadableText` when the bytes are neither.
    public static func decode(_ data: Data) throws(LedgerFileError) -> Decoded {
        let bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            if let (s, cut) = utf8(bytes[3...]) { return Decoded(text: s, encoding: .utf8BOM, endsInsideCharacter: cut) }
            throw LedgerFileError(.unreadableText, found: "invalid UTF-8",
                                  reason: "the file starts with a UTF-8 byte order mark but is not valid UTF-8")
        }
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
            let little = bytes[0] == 0xFF
            var body = Array(bytes[2...])
            let cut = body.count % 2 == 1
            if cut { body.removeLast() }
            var units: [UInt16] = []
            units.reserveCapacity(body.count / 2)
            var i = 0
            while i + 1 < body.count {
                units.append(little ? UInt16(body[i]) | UInt16(body[i + 1]) << 8 : UInt16(body[i]) << 8 | UInt16(body[i + 1]))
                i += 2
            }
            var truncated = cut
            if let last = units.last, (0xD800...0xDBFF).contains(last) { units.removeLast(); truncated = true }
            var out = String.UnicodeScalarView()
            var invalid = false
            let ok = transcode(units.makeIterator(), from: UTF16.self, to: UTF32.self, stoppingOnError: true) {
                if let u = Unicode.Scalar($0) { out.append(u) } else { invalid = true }
            }
            guard !ok, !invalid else {
                throw LedgerFileError(.unreadableText, found: "invalid UTF-16", reason: "the file starts with a UTF-16 byte order mark but is not valid UTF-16")
            }
            return Decoded(text: String(out), encoding: little ? .utf16LE : .utf16BE, endsInsideCharacter: truncated)
        }
        if let (s, cut) = utf8(bytes[...]) { return Decoded(text: s, encoding: .utf8, endsInsideCharacter: cut) }
        // Not UTF-8: GB18030 (a GB18030 character is at most 4 bytes).
        for drop in 0...3 where drop < bytes.count {
            if let s = gb18030(Array(bytes.dropLast(drop))) {
                return Decoded(text: s, encoding: .gb18030, endsInsideCharacter: drop > 0)
            }
        }
        throw LedgerFileError(.unreadableText, found: "text in an unknown encoding",
                              reason: "the file is neither UTF-8 nor GB18030 text; save it from Excel as \"CSV UTF-8\" or as .xlsx")
    }

    /// Valid UTF-8, allowing 1–3 bytes of an incomplete last character (reported as cut).
    private static func utf8(_ bytes: ArraySlice<UInt8>) -> (String, Bool)? {
        if let s = String(validating: bytes, as: UTF8.self) { return (s, false) }
        // A cut multi-byte sequence at the very end: a lead byte followed by fewer
        // continuation bytes than it announces.
        var k = bytes.endIndex
        var continuation = 0
        while k > bytes.startIndex, continuation < 3, bytes[k - 1] & 0xC0 == 0x80 { k -= 1; continuation += 1 }
        guard k > bytes.startIndex else { return nil }
        let lead = bytes[k - 1]
        let need: Int
        switch lead {
        case 0xC2...0xDF: need = 1
        case 0xE0...0xEF: need = 2
        case 0xF0...0xF4: need = 3
        default: return nil
        }
        guard continuation < need, let s = String(validating: bytes[..<(k - 1)], as: UTF8.self) else { return nil }
        return (s, true)
    }

    /// GB18030 → String, or `nil` when the bytes are not valid GB18030.
    public static func gb18030(_ bytes: [UInt8]) -> String? {
        if let s = gb18030ByFoundation(bytes) { return s }
        return gb18030ByIconv(bytes)
    }

    /// Foundation's decoder (available on Darwin, and on Linux in swift-corelibs-foundation).
    static func gb18030ByFoundation(_ bytes: [UInt8]) -> String? {
        #if canImport(CoreFoundation)
        let encoding = String.Encoding(rawValue: CFStringConvertEncodingToNSStringEncoding(CFStringEncoding(0x0632)))
        return String(data: Data(bytes), encoding: encoding)
        #else
        return nil
        #endif
    }

    /// The C library's `iconv(3)` ("GB18030" → "UTF-8"); `nil` on an invalid or incomplete sequence.
    static func gb18030ByIconv(_ bytes: [UInt8]) -> String? {
        let cd = iconv_open("UTF-8", "GB18030")
        guard let cd, cd != iconv_t(bitPattern: -1) else { return nil }
        defer { iconv_close(cd) }
        if bytes.isEmpty { return "" }
        var input = bytes
        var output = [UInt8](repeating: 0, count: bytes.count * 2 + 16)
        var produced = 0
        let ok: Bool = input.withUnsafeMutableBufferPointer { ib in
            output.withUnsafeMutableBufferPointer { ob in
                var inPtr: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(ib.baseAddress!).assumingMemoryBound(to: CChar.self)
                var inLeft = ib.count
                var outPtr: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(ob.baseAddress!).assumingMemoryBound(to: CChar.self)
                var outLeft = ob.count
                let r = iconv(cd, &inPtr, &inLeft, &outPtr, &outLeft)
                produced = ob.count - outLeft
                return r != -1 && inLeft == 0
            }
        }
        guard ok else { return nil }
        return String(validating: output[..<produced], as: UTF8.self)
    }
}

import Crypto
import Foundation

/// An accepted photo format, recognised by the file's content.
public enum ImageFormat: String, Sendable {
    case jpeg, png, heic

    /// `image/jpeg`, `image/png`, `image/heic` (IANA media types; RFC 2046, W3C PNG, ISO/IEC 23008-12 Annex C).
    public var mimeType: String {
        switch self {
        case .jpeg: "image/jpeg"
        case .png: "image/png"
        case .heic: "image/heic"
        }
    }
}

/// What ``ImageContent/inspect(_:maxBytes:)`` found out about an upload.
public struct ImageInfo: Sendable, Equatable {
    public let format: ImageFormat
    /// Size of the file in bytes.
    public let byteCount: Int
    /// The EXIF orientation (TIFF tag 0x0112, values 1…8: 1 = upright, 3 = rotated 180°,
    /// 6 = rotate 90° clockwise to view, 8 = rotate 90° counter-clockwise), read from a JPEG's
    /// IFD0; `nil` when absent, out of range or unreadable, and always for PNG and HEIC.
    public let orientation: Int?
    /// SHA-256 of the whole file, 64 lowercase hex digits (for de-duplication and the evidence trail).
    public let sha256: String

    public init(format: ImageFormat, byteCount: Int, orientation: Int?, sha256: String) {
        self.format = format
        self.byteCount = byteCount
        self.orientation = orientation
        self.sha256 = sha256
    }
}

/// Checks uploads by their content (magic numbers), never by file name or declared type: a PDF,
/// GIF or text file renamed `.jpg` is refused.
///
/// Signatures:
/// - JPEG: `FF D8 FF` (SOI marker and the next marker's `FF`; ITU-T T.81 / ISO/IEC 10918-1 B.1.1.3).
/// - PNG: `89 50 4E 47 0D 0A 1A 0A` (ISO/IEC 15948 / W3C PNG §5.2).
/// - HEIC/HEIF: an ISO base media file (ISO/IEC 14496-12 §4.3) whose first box is `ftyp` (bytes 4–7)
///   with a major or compatible brand among `heic heix hevc heim heis hevm` (HEVC-coded images and
///   sequences, ISO/IEC 23008-12 Annex B) or `mif1 msf1` (the HEIF structural brands, ISO/IEC
///   23008-12 §10.2). A file whose brands name AVIF (`avif`, `avis`) and no HEVC brand is refused:
///   it is AV1-coded, not HEIC.
public enum ImageContent {
    /// 10 MB (10 × 1024 × 1024 bytes).
    public static let maxBytes = 10 * 1024 * 1024

    /// A whole PNG file: the 8-byte signature, an IHDR chunk first and an IEND chunk last
    /// (PNG specification, ISO/IEC 15948 §5.2–5.6). Catches a file that only starts like a PNG.
    public static func isCompletePNG(_ b: [UInt8]) -> Bool {
        b.count >= 45 && b.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
            && Array(b[12..<16]) == Array("IHDR".utf8) && Array(b[(b.count - 8)..<(b.count - 4)]) == Array("IEND".utf8)
    }

    /// Recognises an upload.
    ///
    /// - Parameters:
    ///   - data: the whole file.
    ///   - maxBytes: the largest size accepted, in bytes.
    /// - Throws: ``InvalidValue``: `"the file is empty"`; `"the file is 12.5 MB; at most 10 MB"`
    ///   (sizes in MB of 1024 × 1024 bytes, the file's rounded up and the limit down to 0.1 MB;
    ///   KB or bytes below 1 MB); `"the file is not a JPEG, PNG or HEIC image"`.
    public static func inspect(_ data: [UInt8], maxBytes: Int = maxBytes) throws(InvalidValue) -> ImageInfo {
        try checkSize(data.count, maxBytes: maxBytes)
        let format = try recognise(data)
        let orientation = format == .jpeg ? JPEGReader(data).orientation() : nil
        let digest = Hex.encode(SHA256.hash(data: data))
        return ImageInfo(format: format, byteCount: data.count, orientation: orientation, sha256: digest)
    }

    /// The same as the `[UInt8]` overload, for `Data`; the size is checked before the bytes are copied.
    public static func inspect(_ data: Data, maxBytes: Int = maxBytes) throws(InvalidValue) -> ImageInfo {
        try checkSize(data.count, maxBytes: maxBytes)
        return try inspect([UInt8](data), maxBytes: maxBytes)
    }

    private static func checkSize(_ count: Int, maxBytes: Int) throws(InvalidValue) {
        if count == 0 { throw InvalidValue("the file is empty") }
        if count > maxBytes {
            throw InvalidValue("the file is \(size(count, roundUp: true)); at most \(size(maxBytes, roundUp: false))")
        }
    }

    /// `"10 MB"`, `"12.5 MB"`, `"300 KB"`, `"11 bytes"`: one decimal at most, `.0` left out.
    private static func size(_ bytes: Int, roundUp: Bool) -> String {
        let (unit, name): (Int, String) = bytes >= 1024 * 1024 ? (1024 * 1024, "MB") : bytes >= 1024 ? (1024, "KB") : (1, "bytes")
        if unit == 1 { return "\(bytes) \(name)" }
        let tenths = roundUp ? (bytes * 10 + unit - 1) / unit : bytes * 10 / unit
        let text = tenths % 10 == 0 ? "\(tenths / 10)" : "\(tenths / 10).\(tenths % 10)"
        return "\(text) \(name)"
    }

    private static func recognise(_ d: [UInt8]) throws(InvalidValue) -> ImageFormat {
        if d.count >= 3, d[0] == 0xFF, d[1] == 0xD8, d[2] == 0xFF { return .jpeg }
        if d.count >= 8, Array(d[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] { return .png }
        if isHEIF(d) { return .heic }
        throw InvalidValue("the file is not a JPEG, PNG or HEIC image")
    }

    private static let hevcBrands: Set<[UInt8]> = Set(["heic", "heix", "hevc", "heim", "heis", "hevm"].map { Array($0.utf8) })
    private static let structuralBrands: Set<[UInt8]> = Set(["mif1", "msf1"].map { Array($0.utf8) })
    private static let avifBrands: Set<[UInt8]> = Set(["avif", "avis"].map { Array($0.utf8) })

    /// The leading `ftyp` box: size (UInt32 BE; 1 = a UInt64 size follows the type; 0 = to the end
    /// of the file), `ftyp`, major brand, minor version, compatible brands (4 bytes each).
    private static func isHEIF(_ d: [UInt8]) -> Bool {
        guard d.count >= 16, Array(d[4..<8]) == Array("ftyp".utf8) else { return false }
        let size32 = d[0..<4].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        var start = 8
        var boxEnd: UInt64
        switch size32 {
        case 0: boxEnd = UInt64(d.count)
        case 1:
            guard d.count >= 24 else { return false }
            boxEnd = d[8..<16].reduce(UInt64(0)) { ($0 << 8) | UInt64($1) }
            start = 16
        default: boxEnd = size32
        }
        let end = Int(min(boxEnd, UInt64(d.count)))
        guard end >= start + 8 else { return false }
        var brands = [Array(d[start..<start + 4])]
        var i = start + 8
        while i + 4 <= end {
            brands.append(Array(d[i..<i + 4]))
            i += 4
        }
        let hevc = brands.contains(where: hevcBrands.contains)
        if hevc { return true }
        if brands.contains(where: avifBrands.contains) { return false }
        return brands.contains(where: structuralBrands.contains)
    }
}

/// Bounds-checked reading of a JPEG's EXIF orientation. Every read is checked against the array
/// (or the segment) bounds and every loop advances, so malformed input yields `nil`, never a trap.
private struct JPEGReader {
    let d: [UInt8]
    init(_ d: [UInt8]) { self.d = d }

    /// Walks the marker segments (ITU-T T.81 B.1.1) up to the start of scan; for each APP1 that
    /// starts with `Exif\0\0` (JEITA CP-3451 EXIF 2.3 §4.5.4) reads IFD0's tag 0x0112.
    func orientation() -> Int? {
        var i = 2 // after SOI
        var segments = 0
        while i + 4 <= d.count, segments < 1_000 {
            segments += 1
            guard d[i] == 0xFF else { return nil }
            let marker = d[i + 1]
            if marker == 0xFF { i += 1; continue } // fill byte
            if marker == 0x01 || marker == 0xD8 || (0xD0...0xD7).contains(marker) { i += 2; continue } // no length
            if marker == 0xDA || marker == 0xD9 { return nil } // start of scan / end of image
            let length = Int(d[i + 2]) << 8 | Int(d[i + 3])
            guard length >= 2 else { return nil }
            let dataStart = i + 4
            let segmentEnd = i + 2 + length
            guard segmentEnd <= d.count else { return nil } // truncated
            let exifHeader: [UInt8] = [0x45, 0x78, 0x69, 0x66, 0x00, 0x00] // "Exif\0\0"
            if marker == 0xE1, segmentEnd - dataStart >= 6, Array(d[dataStart..<dataStart + 6]) == exifHeader {
                if let value = tiffOrientation(from: dataStart + 6, to: segmentEnd) { return value }
            }
            i = segmentEnd
        }
        return nil
    }

    /// TIFF 6.0 §2: header `II*\0` (little-endian) or `MM\0*` (big-endian) + UInt32 offset of IFD0
    /// (from the header); IFD: UInt16 entry count, 12-byte entries (tag, type, count, value).
    /// Orientation is type 3 (SHORT), count 1, the value in the first 2 bytes of the value field.
    private func tiffOrientation(from base: Int, to end: Int) -> Int? {
        guard end - base >= 8 else { return nil }
        let little: Bool
        switch (d[base], d[base + 1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        func u16(_ at: Int) -> Int? {
            guard at >= base, at + 2 <= end else { return nil }
            return little ? Int(d[at]) | Int(d[at + 1]) << 8 : Int(d[at]) << 8 | Int(d[at + 1])
        }
        func u32(_ at: Int) -> Int? {
            guard let a = u16(at), let b = u16(at + 2) else { return nil }
            return little ? a | b << 16 : a << 16 | b
        }
        guard u16(base + 2) == 42, let ifdOffset = u32(base + 4), ifdOffset >= 8, ifdOffset < end - base,
              let count = u16(base + ifdOffset) else { return nil }
        var entry = base + ifdOffset + 2
        for _ in 0..<count {
            guard let tag = u16(entry), let type = u16(entry + 2), let n = u32(entry + 4) else { return nil }
            if tag == 0x0112 {
                guard type == 3, n >= 1, let value = u16(entry + 8), (1...8).contains(value) else { return nil }
                return value
            }
            entry += 12
        }
        return nil
    }
}

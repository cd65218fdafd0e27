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
    /// When the photo was taken, from a JPEG's EXIF `DateTimeOriginal` (tag 0x9003, else IFD0's
    /// `DateTime` 0x0132), at the offset of `OffsetTimeOriginal` (0x9011, EXIF 2.31) or, when the
    /// camera wrote none, at UTC+08:00 (China Standard Time: the cameras this serves are in 萧山).
    /// `nil` when absent or unreadable, and always for PNG and HEIC.
    public let takenAt: Date?
    /// Where the photo was taken, from a JPEG's EXIF GPS IFD (tags 1–4: `GPSLatitudeRef`,
    /// `GPSLatitude`, `GPSLongitudeRef`, `GPSLongitude`, three RATIONALs of degrees, minutes and
    /// seconds), WGS-84 as GPS receivers report it. `nil` when absent or unreadable.
    public let position: GeoPoint?

    public init(format: ImageFormat, byteCount: Int, orientation: Int?, sha256: String, takenAt: Date? = nil, position: GeoPoint? = nil) {
        self.format = format
        self.byteCount = byteCount
        self.orientation = orientation
        self.sha256 = sha256
        self.takenAt = takenAt
        self.position = position
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

    /// Whether an upload recognised as `format` is a whole file, not only its first bytes:
    /// - JPEG: marker segments in order from SOI to a start of scan (SOS), and an end of image
    ///   (EOI, `FF D9`) after it (ITU-T T.81 B.2); bytes after the EOI (maker trailers) are allowed.
    /// - PNG: ``isCompletePNG(_:)``.
    /// - HEIC: top-level boxes that tile the file exactly (ISO/IEC 14496-12 §4.2) and include
    ///   `meta` and `mdat` (ISO/IEC 23008-12 §6, §9).
    public static func isComplete(_ b: [UInt8], format: ImageFormat) -> Bool {
        switch format {
        case .png: return isCompletePNG(b)
        case .jpeg: return JPEGReader(b).isComplete()
        case .heic: return isCompleteHEIF(b)
        }
    }

    private static func isCompleteHEIF(_ d: [UInt8]) -> Bool {
        var i = 0
        var types = Set<String>()
        var boxes = 0
        while i < d.count, boxes < 10_000 {
            boxes += 1
            guard i + 8 <= d.count else { return false }
            var size = Int(d[i..<i + 4].reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
            let type = String(decoding: d[i + 4..<i + 8], as: UTF8.self)
            if size == 1 {
                guard i + 16 <= d.count else { return false }
                let large = d[i + 8..<i + 16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                guard large <= UInt64(d.count) else { return false }
                size = Int(large)
            } else if size == 0 {
                size = d.count - i
            }
            guard size >= 8, i + size <= d.count else { return false }
            types.insert(type)
            i += size
        }
        return i == d.count && types.contains("meta") && types.contains("mdat")
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
        let exif = format == .jpeg ? JPEGReader(data).exif() : nil
        let digest = Hex.encode(SHA256.hash(data: data))
        return ImageInfo(format: format, byteCount: data.count, orientation: exif?.orientation, sha256: digest,
                         takenAt: exif?.takenAt, position: exif?.position)
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

/// What a field photo's metadata may be trusted for, whoever reports it (the photo's EXIF or the
/// phone that shrank it).
public enum PhotoFacts {
    /// Times before this are a camera's unset clock (2000-01-01T00:00:00Z).
    public static let earliestPlausible = Date(timeIntervalSince1970: 946_684_800)

    /// A time a photo can have been taken at: from 2000 to `now` plus the clock allowance
    /// (``InspectionRules/clockSkewAllowance``). A camera with a wrong clock says nothing true
    /// about when, so callers leave such a time out rather than refuse the photo.
    public static func plausibleTime(_ t: Date, now: Date) -> Bool {
        t >= earliestPlausible && t <= now.addingTimeInterval(InspectionRules.clockSkewAllowance)
    }

    /// A position a photo can have been taken at: anything but 0°, 0° (what a receiver without
    /// a fix writes).
    public static func plausiblePosition(_ p: GeoPoint) -> Bool { !(p.latitude == 0 && p.longitude == 0) }

    /// Whether a record's photo reference is the id of an uploaded photo (its SHA-256, 64
    /// lowercase hex digits) rather than the file name of a photo held elsewhere (ledger imports).
    public static func isPhotoID(_ s: String) -> Bool {
        s.utf8.count == 64 && s.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}

/// What a JPEG's EXIF says, each part `nil` when absent or unreadable.
struct EXIFFacts: Equatable {
    var orientation: Int?
    var takenAt: Date?
    var position: GeoPoint?
}

/// Bounds-checked reading of a JPEG's EXIF. Every read is checked against the array (or the
/// segment) bounds and every loop advances, so malformed input yields `nil`, never a trap.
struct JPEGReader {
    let d: [UInt8]
    init(_ d: [UInt8]) { self.d = d }

    /// How a walk of the segments before the scan ended.
    enum Walk: Equatable {
        /// The start-of-scan marker (`FF DA`) is at this index, its segment within the file.
        case scan(at: Int)
        /// The visitor stopped the walk.
        case stopped
        /// A byte that is not a marker, a second SOI or an EOI, a bad length, a segment past the
        /// end, or more than 1,000 segments.
        case malformed
    }

    /// Walks the marker segments after SOI up to the start of scan (ITU-T T.81 B.1.1), calling
    /// `visit(marker, start, end)` for each segment with a length (`start` at its `FF`, `end`
    /// just past it); `visit` returns `false` to stop. Fill bytes and the markers without a
    /// length (TEM, RST0–7) are stepped over. Every read is bounds-checked and every step
    /// advances.
    func walk(_ visit: (_ marker: UInt8, _ start: Int, _ end: Int) -> Bool) -> Walk {
        var i = 2
        var segments = 0
        while i + 4 <= d.count, segments < 1_000 {
            segments += 1
            guard d[i] == 0xFF else { return .malformed }
            let marker = d[i + 1]
            if marker == 0xFF { i += 1; continue }
            if marker == 0x01 || (0xD0...0xD7).contains(marker) { i += 2; continue }
            if marker == 0xD8 || marker == 0xD9 { return .malformed }
            let length = Int(d[i + 2]) << 8 | Int(d[i + 3])
            guard length >= 2, i + 2 + length <= d.count else { return .malformed }
            if marker == 0xDA { return .scan(at: i) }
            guard visit(marker, i, i + 2 + length) else { return .stopped }
            i += 2 + length
        }
        return .malformed
    }

    /// Segments from SOI to SOS each within the file, then `FF D9` somewhere after the SOS.
    func isComplete() -> Bool {
        guard case .scan(let i) = walk({ _, _, _ in true }) else { return false }
        var j = i + 2 + (Int(d[i + 2]) << 8 | Int(d[i + 3]))
        while j + 1 < d.count {
            if d[j] == 0xFF && d[j + 1] == 0xD9 { return true }
            j += 1
        }
        return false
    }

    /// The orientation only (see ``exif()``).
    func orientation() -> Int? { exif()?.orientation }

    /// Walks the marker segments (ITU-T T.81 B.1.1) up to the start of scan; reads the first APP1
    /// that starts with `Exif\0\0` (JEITA CP-3451 EXIF 2.3 §4.5.4). `nil` when there is none.
    func exif() -> EXIFFacts? {
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
                if let tiff = TIFFReader(d, base: dataStart + 6, end: segmentEnd) { return tiff.facts() }
            }
            i = segmentEnd
        }
        return nil
    }
}

/// The TIFF structure inside an EXIF segment (TIFF 6.0 §2): header `II*\0` (little-endian) or
/// `MM\0*` (big-endian) + UInt32 offset of IFD0, offsets counted from the header; an IFD is a
/// UInt16 entry count and 12-byte entries (tag, type, count, value or offset of the value).
private struct TIFFReader {
    let d: [UInt8]
    let base: Int
    let end: Int
    let little: Bool

    init?(_ d: [UInt8], base: Int, end: Int) {
        guard end - base >= 8 else { return nil }
        switch (d[base], d[base + 1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        self.d = d
        self.base = base
        self.end = end
    }

    func u16(_ at: Int) -> Int? {
        guard at >= base, at + 2 <= end else { return nil }
        return little ? Int(d[at]) | Int(d[at + 1]) << 8 : Int(d[at]) << 8 | Int(d[at + 1])
    }

    func u32(_ at: Int) -> Int? {
        guard let a = u16(at), let b = u16(at + 2) else { return nil }
        return little ? a | b << 16 : a << 16 | b
    }

    /// An IFD's entries by tag: (type, count, the absolute position of the 4-byte value field).
    /// At most 1,000 entries are read.
    func entries(ifd offset: Int) -> [Int: (type: Int, count: Int, field: Int)] {
        guard offset >= 8, offset < end - base, let n = u16(base + offset) else { return [:] }
        var out: [Int: (type: Int, count: Int, field: Int)] = [:]
        var entry = base + offset + 2
        for _ in 0..<min(n, 1_000) {
            guard let tag = u16(entry), let type = u16(entry + 2), let count = u32(entry + 4), entry + 12 <= end else { break }
            if out[tag] == nil { out[tag] = (type, count, entry + 8) }
            entry += 12
        }
        return out
    }

    /// Where a value of `bytes` bytes is: in the field itself when it fits in 4 bytes, else at
    /// the offset the field holds.
    func valueStart(field: Int, bytes: Int) -> Int? {
        if bytes <= 4 { return field }
        guard let offset = u32(field), base + offset + bytes <= end else { return nil }
        return base + offset
    }

    /// An ASCII value (type 2), without its NUL.
    func ascii(_ e: (type: Int, count: Int, field: Int)?) -> String? {
        guard let e, e.type == 2, e.count > 0, e.count < 256, let start = valueStart(field: e.field, bytes: e.count) else { return nil }
        let bytes = d[start..<start + e.count].prefix { $0 != 0 }
        return String(bytes: bytes, encoding: .ascii)
    }

    /// Three RATIONALs (type 5) of degrees, minutes, seconds as degrees.
    func degrees(_ e: (type: Int, count: Int, field: Int)?) -> Double? {
        guard let e, e.type == 5, e.count == 3, let start = valueStart(field: e.field, bytes: 24) else { return nil }
        var parts: [Double] = []
        for k in 0..<3 {
            guard let num = u32(start + 8 * k), let den = u32(start + 8 * k + 4), den != 0 else { return nil }
            parts.append(Double(num) / Double(den))
        }
        return parts[0] + parts[1] / 60 + parts[2] / 3600
    }

    func facts() -> EXIFFacts? {
        guard u16(base + 2) == 42, let ifd0 = u32(base + 4) else { return nil }
        let main = entries(ifd: ifd0)
        var facts = EXIFFacts()
        if let o = main[0x0112], o.type == 3, o.count >= 1, let value = u16(o.field), (1...8).contains(value) {
            facts.orientation = value
        }
        var exifIFD: [Int: (type: Int, count: Int, field: Int)] = [:]
        if let p = main[0x8769], let offset = u32(p.field) { exifIFD = entries(ifd: offset) }
        if let text = ascii(exifIFD[0x9003]) ?? ascii(main[0x0132]) {
            facts.takenAt = Self.exifTime(text, offset: ascii(exifIFD[0x9011]))
        }
        if let p = main[0x8825], let offset = u32(p.field) {
            let gps = entries(ifd: offset)
            if let lat = degrees(gps[2]), let lon = degrees(gps[4]),
               let latRef = ascii(gps[1]), let lonRef = ascii(gps[3]), ["N", "S"].contains(latRef), ["E", "W"].contains(lonRef) {
                facts.position = try? GeoPoint(latitude: latRef == "S" ? -lat : lat, longitude: lonRef == "W" ? -lon : lon, datum: .wgs84)
            }
        }
        return facts
    }

    /// `YYYY:MM:DD HH:MM:SS` (EXIF 2.3 §4.6.5) at `±HH:MM`, default +08:00. Blank or zero dates
    /// (`0000:00:00 00:00:00`, written by cameras without a clock) are none.
    static func exifTime(_ text: String, offset: String?) -> Date? {
        let t = Array(text.utf8)
        guard t.count >= 19, t[4] == 0x3A, t[7] == 0x3A, t[10] == 0x20, t[13] == 0x3A, t[16] == 0x3A else { return nil }
        func number(_ r: Range<Int>) -> Int? { Int(String(decoding: t[r], as: UTF8.self)) }
        guard let y = number(0..<4), let mo = number(5..<7), let day = number(8..<10), let h = number(11..<13),
              let mi = number(14..<16), let s = number(17..<19), (1900...2999).contains(y), (1...12).contains(mo),
              (1...31).contains(day), h < 24, mi < 60, s < 61 else { return nil }
        var seconds = 8 * 3600
        if let offset {
            let o = Array(offset.utf8)
            if o.count == 6, o[0] == 0x2B || o[0] == 0x2D, o[3] == 0x3A,
               let oh = Int(String(decoding: o[1..<3], as: UTF8.self)), let om = Int(String(decoding: o[4..<6], as: UTF8.self)),
               oh <= 14, om < 60 {
                seconds = (oh * 3600 + om * 60) * (o[0] == 0x2D ? -1 : 1)
            }
        }
        var calendar = Calendar(identifier: .gregorian)
        guard let zone = TimeZone(secondsFromGMT: seconds) else { return nil }
        calendar.timeZone = zone
        let components = DateComponents(year: y, month: mo, day: day, hour: h, minute: mi, second: s)
        guard calendar.date(from: components).map({ calendar.component(.day, from: $0) == day }) == true else { return nil }
        return calendar.date(from: components)
    }
}

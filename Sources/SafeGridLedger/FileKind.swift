import Foundation

/// What a file is, from its first bytes (its "magic number"), before anything is parsed.
public enum FileKind: Hashable, Sendable {
    /// A ZIP archive (`PK\u{3}\u{4}`, or an empty archive `PK\u{5}\u{6}`): maybe an XLSX.
    case zip
    /// Text: maybe CSV or TSV.
    case text
    /// Something that is not a spreadsheet we read; the string names it for people
    /// (`"a PDF document"`, `"a legacy Excel 97–2003 workbook (.xls) or another OLE2 Office file"`).
    case other(String)
    /// Zero bytes.
    case empty

    /// Detects the kind from the first bytes.
    ///
    /// Recognised non-spreadsheets: PDF, PNG, JPEG, GIF, BMP, WebP, TIFF, HEIC/MP4, OLE2 compound
    /// files (.xls, .doc, and password-protected .xlsx), RTF, gzip, RAR, 7-Zip, HTML pages
    /// (some "Excel" exports are HTML tables), SpreadsheetML 2003 XML. Text with NUL bytes (and no
    /// UTF-16 byte order mark) is binary data.
    public static func detect(_ data: Data) -> FileKind {
        if data.isEmpty { return .empty }
        let head = [UInt8](data.prefix(512))
        func starts(_ bytes: [UInt8], at offset: Int = 0) -> Bool {
            head.count >= offset + bytes.count && Array(head[offset..<offset + bytes.count]) == bytes
        }
        if starts([0x50, 0x4B, 0x03, 0x04]) || starts([0x50, 0x4B, 0x05, 0x06]) { return .zip }
        if starts(Array("%PDF".utf8)) { return .other("a PDF document") }
        if starts([0x89, 0x50, 0x4E, 0x47]) { return .other("a PNG image") }
        if starts([0xFF, 0xD8, 0xFF]) { return .other("a JPEG image") }
        if starts(Array("GIF8".utf8)) { return .other("a GIF image") }
        if starts(Array("BM".utf8)) && head.count > 14 && head[6...9].allSatisfy({ $0 == 0 }) { return .other("a BMP image") }
        if starts(Array("RIFF".utf8)) && starts(Array("WEBP".utf8), at: 8) { return .other("a WebP image") }
        if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A]) { return .other("a TIFF image") }
        if starts(Array("ftyp".utf8), at: 4) { return .other("a HEIC/MP4 media file") }
        if starts([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
            return .other("a legacy Excel 97–2003 workbook (.xls), a password-protected workbook or another OLE2 Office file")
        }
        if starts(Array("{\\rtf".utf8)) { return .other("an RTF document") }
        if starts([0x1F, 0x8B]) { return .other("a gzip archive") }
        if starts(Array("Rar!".utf8)) { return .other("a RAR archive") }
        if starts([0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C]) { return .other("a 7-Zip archive") }
        // UTF-16 text has NULs by design; anything else with NULs is binary.
        if starts([0xFF, 0xFE]) || starts([0xFE, 0xFF]) { return .text }
        if head.contains(0) { return .other("binary data (it contains NUL bytes), not text") }
        let lower = String(decoding: head.prefix(256), as: UTF8.self).lowercased()
            .trimmingCharacters(in: .whitespacesAndNewlines.union(CharacterSet(charactersIn: "\u{FEFF}")))
        if lower.hasPrefix("<!doctype html") || lower.hasPrefix("<html") || lower.hasPrefix("<table") {
            return .other("an HTML page (some systems export HTML tables with an .xls name)")
        }
        if lower.hasPrefix("<?xml") {
            if lower.contains("urn:schemas-microsoft-com:office:spreadsheet") || lower.contains("<workbook") {
                return .other("an Excel 2003 XML spreadsheet")
            }
            return .other("an XML document")
        }
        return .text
    }
}

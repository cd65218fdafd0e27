import Foundation
import XMLCoder
import ZIPFoundation

// The parts of an Office Open XML workbook (ECMA-376 Part 1, SpreadsheetML) that the reader
// needs. The small parts (package and workbook relationships, workbook.xml, styles.xml) are
// Decodable structs for XMLCoder; worksheets and shared strings, which can be large, stream
// through `SheetEvents`. Unknown elements and attributes are ignored. Both use namespace
// processing, so `x:row` (OpenXML SDK style prefixes) and `row` are the same, and attribute
// keys are matched on their local name (`r:id` → `id`).

/// A CodingKey for any name.
struct AnyKey: CodingKey {
    let stringValue: String
    let intValue: Int? = nil
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
    /// The name without its namespace prefix.
    var localName: Substring {
        if let colon = stringValue.lastIndex(of: ":") { return stringValue[stringValue.index(after: colon)...] }
        return stringValue[...]
    }
}

extension KeyedDecodingContainer where Key == AnyKey {
    /// The value of the first key whose local name is `name` (so `r:id`, `id` and `ns1:id` all match).
    func string(local name: String) -> String? {
        for key in allKeys where key.localName == name {
            if let s = try? decode(String.self, forKey: key) { return s }
        }
        return nil
    }
}

struct XRelationships: Decodable {
    struct Relationship: Decodable {
        let id: String
        let target: String
        let type: String
        let external: Bool
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: AnyKey.self)
            id = c.string(local: "Id") ?? ""
            target = c.string(local: "Target") ?? ""
            type = c.string(local: "Type") ?? ""
            external = c.string(local: "TargetMode") == "External"
        }
    }
    let relationships: [Relationship]
    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        var out: [Relationship] = []
        for key in c.allKeys where key.localName == "Relationship" {
            if let many = try? c.decode([Relationship].self, forKey: key) { out += many }
            else if let one = try? c.decode(Relationship.self, forKey: key) { out.append(one) }
        }
        relationships = out
    }
}

struct XWorkbook: Decodable {
    struct WorkbookPr: Decodable {
        let date1904: String?
    }
    struct Sheets: Decodable {
        let sheet: [Sheet]?
    }
    struct Sheet: Decodable {
        let name: String
        let relationshipID: String?
        let state: String?
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: AnyKey.self)
            name = c.string(local: "name") ?? ""
            relationshipID = c.string(local: "id")
            state = c.string(local: "state")
        }
    }
    let workbookPr: WorkbookPr?
    let sheets: Sheets?
}

struct XStyleSheet: Decodable {
    struct NumFmts: Decodable { let numFmt: [NumFmt]? }
    struct NumFmt: Decodable {
        let numFmtId: Int
        let formatCode: String
    }
    struct CellXfs: Decodable { let xf: [Xf]? }
    struct Xf: Decodable { let numFmtId: Int? }
    let numFmts: NumFmts?
    let cellXfs: CellXfs?
}

/// A cell as the worksheet XML gives it, before typing.
struct RawCell {
    var ref: String?
    var type: String?
    var style: Int?
    var value: String?
    var hasFormula = false
    /// The text of an inline string (`<is>`), already unescaped.
    var inlineText: String?
}

#if canImport(FoundationXML)
import FoundationXML
#endif

/// Streams a worksheet or shared-strings part through Foundation's `XMLParser` (libxml2's
/// push parser, fed from an `InputStream`).
///
/// Why not XMLCoder here: XMLCoder (and SWXMLHash) hand the whole part to
/// `XMLParser(data:)`, which on Linux fails on documents over 10,000,000 bytes (libxml2's
/// `XML_MAX_LOOKUP_LIMIT` without `XML_PARSE_HUGE`; measured: a 9.68 MB sharedStrings.xml
/// parses, a 10.03 MB one fails with NSXMLParserErrorDomain 1), which a 35,000-row sheet
/// reaches. Fed from a stream, the same parser reads parts of any size, and the events go
/// straight into cells instead of a tree.
final class SheetEvents: NSObject, XMLParserDelegate {
    enum Mode { case worksheet, sharedStrings }
    let mode: Mode
    /// Worksheet: rows in document order, with their `r` (nil when absent).
    var rows: [(number: Int?, cells: [RawCell])] = []
    var merges: [String] = []
    /// Shared strings.
    var strings: [String] = []

    private var cells: [RawCell] = []
    private var rowNumber: Int? = nil
    private var cell = RawCell()
    private var inCell = false
    private var capture = false
    private var buffer = ""
    private var inlineBuffer = ""
    private var inInline = false
    private var inPhonetic = false
    private var inItem = false

    init(_ mode: Mode) { self.mode = mode }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        switch name {
        case "row" where mode == .worksheet:
            rowNumber = attributes["r"].flatMap { Int($0) }
            cells = []
        case "c" where mode == .worksheet:
            cell = RawCell(ref: attributes["r"], type: attributes["t"], style: attributes["s"].flatMap { Int($0) })
            inCell = true
        case "v" where inCell:
            capture = true
            buffer = ""
        case "f" where inCell:
            cell.hasFormula = true
        case "is" where inCell:
            inInline = true
            inlineBuffer = ""
        case "si" where mode == .sharedStrings:
            inItem = true
            inlineBuffer = ""
        case "rPh":
            inPhonetic = true
        case "t" where (inInline || inItem) && !inPhonetic:
            capture = true
            buffer = ""
        case "mergeCell" where mode == .worksheet:
            if let ref = attributes["ref"] { merges.append(ref) }
        default:
            break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if capture { buffer += string }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        switch name {
        case "v" where inCell:
            cell.value = buffer
            capture = false
        case "t" where capture:
            inlineBuffer += buffer
            capture = false
        case "rPh":
            inPhonetic = false
        case "is" where inCell:
            cell.inlineText = XLSXText.unescape(inlineBuffer)
            inInline = false
        case "c" where inCell:
            cells.append(cell)
            inCell = false
        case "row" where mode == .worksheet:
            rows.append((rowNumber, cells))
            cells = []
        case "si" where inItem:
            strings.append(XLSXText.unescape(inlineBuffer))
            inItem = false
        default:
            break
        }
    }

    /// Parses `data`.
    /// - Throws: ``LedgerFileError`` `.corruptWorkbook` naming the part, line and column.
    static func parse(_ data: Data, mode: Mode, part: String) throws(LedgerFileError) -> SheetEvents {
        let events = SheetEvents(mode)
        let parser = XMLParser(stream: InputStream(data: data))
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        parser.delegate = events
        guard parser.parse() else {
            throw LedgerFileError(.corruptWorkbook, found: "a damaged XLSX workbook",
                                  reason: "the workbook part \(part) is not well-formed XML (line \(parser.lineNumber), column \(parser.columnNumber))")
        }
        return events
    }
}

/// SpreadsheetML's escaping of characters XML cannot hold (ECMA-376 Part 1 §22.9.2.19,
/// ST_Xstring): `_xHHHH_` stands for the UTF-16 code unit HHHH, and `_x005F_` escapes a
/// literal underscore that would otherwise start such a sequence.
public enum XLSXText {
    /// `"a_x000D_b"` → `"a\rb"`, `"_x005F_x0041_"` → `"_x0041_"`.
    public static func unescape(_ s: String) -> String {
        guard s.contains("_x") else { return s }
        var units: [UInt16] = []
        let u = Array(s.utf16)
        units.reserveCapacity(u.count)
        var i = 0
        while i < u.count {
            if u[i] == 0x5F, i + 6 < u.count, u[i + 1] == 0x78, u[i + 6] == 0x5F,
               let v = hex(u[(i + 2)...(i + 5)]) {
                units.append(v)
                i += 7
            } else {
                units.append(u[i])
                i += 1
            }
        }
        return String(decoding: units, as: UTF16.self)
    }

    /// Escapes what XML 1.0 cannot carry or would change: control characters other than tab and
    /// line feed (CR is normalised away by XML parsers), U+FFFE/U+FFFF, and an underscore that
    /// starts a `_xHHHH_` look-alike.
    public static func escape(_ s: String) -> String {
        var needs = false
        for v in s.unicodeScalars where v.value < 0x20 && v != "\t" && v != "\n" || v.value == 0xFFFE || v.value == 0xFFFF || v == "_" {
            needs = true
            break
        }
        guard needs else { return s }
        var out = ""
        let scalars = Array(s.unicodeScalars)
        var i = 0
        while i < scalars.count {
            let v = scalars[i]
            if v.value < 0x20 && v != "\t" && v != "\n" || v.value == 0xFFFE || v.value == 0xFFFF {
                out += "_x" + hex4(v.value) + "_"
            } else if v == "_", looksEscaped(scalars, i) {
                out += "_x005F_"
            } else {
                out.unicodeScalars.append(v)
            }
            i += 1
        }
        return out
    }

    private static func looksEscaped(_ s: [Unicode.Scalar], _ i: Int) -> Bool {
        guard i + 6 < s.count, s[i + 1] == "x", s[i + 6] == "_" else { return false }
        return s[(i + 2)...(i + 5)].allSatisfy { $0.properties.isASCIIHexDigit }
    }

    private static func hex(_ units: ArraySlice<UInt16>) -> UInt16? {
        var v: UInt16 = 0
        for c in units {
            let d: UInt16
            switch c {
            case 0x30...0x39: d = c - 0x30
            case 0x41...0x46: d = c - 0x41 + 10
            case 0x61...0x66: d = c - 0x61 + 10
            default: return nil
            }
            v = v << 4 | d
        }
        return v
    }

    private static func hex4(_ v: UInt32) -> String {
        let s = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }
}

/// Reading the parts of a ZIP package with limits (a small ZIP can inflate to gigabytes).
struct Package {
    let archive: Archive
    /// Largest part inflated, in bytes.
    let maxPartBytes: Int

    init(data: Data, maxPartBytes: Int) throws(LedgerFileError) {
        do {
            archive = try Archive(data: data, accessMode: .read)
        } catch {
            throw LedgerFileError(.corruptWorkbook, found: "a damaged ZIP archive",
                                  reason: "the file starts like a ZIP archive (XLSX) but cannot be opened as one: it is damaged or cut")
        }
        self.maxPartBytes = maxPartBytes
    }

    func has(_ path: String) -> Bool { archive[path] != nil }

    var paths: [String] { archive.map(\.path) }

    /// The bytes of a part, or `nil` when it is absent.
    func part(_ path: String) throws(LedgerFileError) -> Data? {
        let normalized = path.hasPrefix("/") ? String(path.dropFirst()) : path
        guard let entry = archive[normalized] ?? archive.first(where: { $0.path.lowercased() == normalized.lowercased() }) else {
            return nil
        }
        if entry.uncompressedSize > UInt64(maxPartBytes) {
            throw LedgerFileError(.tooLarge, reason: "the workbook part \(normalized) is \(entry.uncompressedSize / 1_048_576) MiB uncompressed; at most \(maxPartBytes / 1_048_576) MiB are read")
        }
        var out = Data()
        out.reserveCapacity(Int(entry.uncompressedSize))
        let limit = maxPartBytes
        do {
            _ = try archive.extract(entry, skipCRC32: false) { chunk in
                if out.count + chunk.count > limit { throw LedgerFileError(.tooLarge, reason: "the workbook part \(normalized) inflates beyond \(limit / 1_048_576) MiB") }
                out.append(chunk)
            }
        } catch let e as LedgerFileError {
            throw e
        } catch {
            throw LedgerFileError(.corruptWorkbook, found: "a damaged XLSX workbook", reason: "the workbook part \(normalized) cannot be unpacked: \(error)")
        }
        return out
    }

    /// Decodes a part with XMLCoder.
    func decode<T: Decodable>(_ type: T.Type, _ path: String) throws(LedgerFileError) -> T? {
        guard let data = try part(path) else { return nil }
        return try Self.decodeXML(type, data, path)
    }

    static func decodeXML<T: Decodable>(_ type: T.Type, _ data: Data, _ path: String) throws(LedgerFileError) -> T {
        let decoder = XMLDecoder()
        decoder.shouldProcessNamespaces = true
        decoder.trimValueWhitespaces = false
        decoder.removeWhitespaceElements = true
        do {
            return try decoder.decode(T.self, from: data)
        } catch {
            throw LedgerFileError(.corruptWorkbook, found: "a damaged XLSX workbook", reason: "the workbook part \(path) is not valid SpreadsheetML: \(error)")
        }
    }

    /// Resolves a relationship target against the folder of the part that holds the relationship.
    static func resolve(_ target: String, from base: String) -> String {
        if target.hasPrefix("/") { return String(target.dropFirst()) }
        var parts = base.split(separator: "/").map(String.init)
        if !parts.isEmpty { parts.removeLast() }    // the part's own file name
        for p in target.split(separator: "/") {
            if p == ".." { if !parts.isEmpty { parts.removeLast() } } else if p != "." { parts.append(String(p)) }
        }
        return parts.joined(separator: "/")
    }

    /// `xl/workbook.xml` → `xl/_rels/workbook.xml.rels`.
    static func relsPath(of part: String) -> String {
        var parts = part.split(separator: "/").map(String.init)
        let name = parts.popLast() ?? ""
        return (parts + ["_rels", name + ".rels"]).joined(separator: "/")
    }
}

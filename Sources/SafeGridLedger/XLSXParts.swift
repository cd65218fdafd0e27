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
    /// The cell's column (0 = A), from `ref` or, when it has none, one after the previous cell's.
    var column = 0
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
///
/// Limits are enforced while streaming, before anything is built from the part: a few
/// kilobytes of deflated XML can describe millions of rows that each reach column XFD, which
/// padded into a table would take many gigabytes. Cells without a value are dropped as they
/// are read (Excel writes them for formatting alone), so only cells that hold something count
/// towards the used width.
final class SheetEvents: NSObject, XMLParserDelegate {
    enum Mode { case worksheet, sharedStrings }

    /// What one part may hold.
    struct Limits: Sendable {
        /// Used columns per sheet: a cell holding a value beyond this column refuses the sheet.
        var maxColumns: Int
        /// Cells of the table once each row is padded to its last used column (worksheet), or
        /// shared strings (sharedStrings).
        var maxCells: Int
        /// Merged ranges (`<mergeCell>`) per sheet.
        var maxMerges: Int
    }

    let mode: Mode
    let limits: Limits
    /// Worksheet: the rows that hold at least one cell with content, in document order, with
    /// their row number (from `r`, or one after the previous row's).
    var rows: [(number: Int, cells: [RawCell])] = []
    var merges: [String] = []
    /// Shared strings.
    var strings: [String] = []
    /// Why the parse was stopped early (a limit was passed).
    private(set) var failure: LedgerFileError?
    /// Cells counted so far: per row, its last used column + 1.
    private(set) var paddedCells = 0

    private var cells: [RawCell] = []
    private var rowNumber = 0
    private var column = -1
    private var rowWidth = 0
    private var cell = RawCell()
    private var inCell = false
    private var capture = false
    private var buffer = ""
    private var inlineBuffer = ""
    private var inInline = false
    private var inPhonetic = false
    private var inItem = false

    init(_ mode: Mode, limits: Limits) {
        self.mode = mode
        self.limits = limits
    }

    /// `16384` → `16,384` (the same in every locale).
    static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// Stops the parse with `error` (the first one is kept).
    private func fail(_ parser: XMLParser, _ error: LedgerFileError) {
        if failure == nil { failure = error }
        parser.abortParsing()
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        switch name {
        case "row" where mode == .worksheet:
            rowNumber = attributes["r"].flatMap { Int($0) } ?? rowNumber + 1
            cells = []
            column = -1
            rowWidth = 0
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
            guard merges.count < limits.maxMerges else {
                fail(parser, LedgerFileError(.tooLarge, found: "a sheet with too many merged cells",
                                             reason: "the sheet has more than \(SheetEvents.grouped(limits.maxMerges)) merged cell ranges; unmerge them or copy the values to a new sheet"))
                return
            }
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
            inCell = false
            if let ref = cell.ref, let (_, col) = Grid.parseRef(ref) { column = col } else { column += 1 }
            guard column >= 0, column <= 16_383 else { break }
            // A cell with nothing in it (formatting only) takes no room.
            guard cell.hasFormula || !(cell.value ?? "").isEmpty || !(cell.inlineText ?? "").isEmpty else { break }
            guard column < limits.maxColumns else {
                let at = "\(LedgerTable.columnLetters(column))\(rowNumber)"
                fail(parser, LedgerFileError(.tooLarge, found: "a sheet wider than \(limits.maxColumns) columns",
                                             reason: "cell \(at) holds a value in column \(SheetEvents.grouped(column + 1)); a ledger sheet may use at most \(limits.maxColumns) columns (A to \(LedgerTable.columnLetters(limits.maxColumns - 1))). Delete the columns beyond them or copy the ledger's columns to a new sheet"))
                return
            }
            cell.column = column
            rowWidth = max(rowWidth, column + 1)
            cells.append(cell)
        case "row" where mode == .worksheet:
            let number = rowNumber
            defer { cells = [] }
            guard number >= 1, number <= 1_048_576, !cells.isEmpty else { break }
            paddedCells += rowWidth
            guard paddedCells <= limits.maxCells else {
                fail(parser, LedgerFileError(.tooLarge, found: "a sheet with too many cells",
                                             reason: "the sheet holds more than \(SheetEvents.grouped(limits.maxCells)) cells (rows × used columns, reached at row \(SheetEvents.grouped(number))); split it into smaller files"))
                return
            }
            rows.append((number, cells))
        case "si" where inItem:
            inItem = false
            guard strings.count < limits.maxCells else {
                fail(parser, LedgerFileError(.tooLarge, found: "a workbook with too many shared strings",
                                             reason: "the workbook's shared strings hold more than \(SheetEvents.grouped(limits.maxCells)) texts; split it into smaller files"))
                return
            }
            strings.append(XLSXText.unescape(inlineBuffer))
        default:
            break
        }
    }

    /// Parses `data`.
    /// - Throws: ``LedgerFileError`` `.corruptWorkbook` naming the part, line and column;
    ///   `.tooLarge` when the part passes one of `limits` (the parse stops there).
    static func parse(_ data: Data, mode: Mode, part: String, limits: Limits) throws(LedgerFileError) -> SheetEvents {
        let events = SheetEvents(mode, limits: limits)
        let parser = XMLParser(stream: InputStream(data: data))
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        parser.delegate = events
        let parsed = parser.parse()
        if let failure = events.failure { throw failure }
        guard parsed else {
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
        // The sizes in a ZIP's headers are what its maker claims: reserve at most 16 MiB on
        // their word, and count the bytes as they inflate.
        out.reserveCapacity(Int(min(entry.uncompressedSize, 16 * 1_048_576)))
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

import CSV
import Foundation
import SafeGridCore
import XMLCoder
import ZIPFoundation

/// Writes XLSX workbooks: a minimal valid SpreadsheetML package (`[Content_Types].xml`,
/// `_rels/.rels`, `xl/workbook.xml` and its relationships, one worksheet per sheet,
/// `xl/styles.xml`, `xl/sharedStrings.xml`), each part encoded by XMLCoder from Codable structs
/// and zipped (deflate) by ZIPFoundation.
///
/// Cells: text as shared strings (bold header row, frozen, with an auto-filter); numbers as
/// number cells; `.date(serial:)` as date cells with the `yyyy-mm-dd` format (or
/// `yyyy-mm-dd hh:mm` when the serial has a time of day); booleans and error values as such.
/// Text that begins with `=`, `+`, `-`, `@`, tab or CR (``FormulaGuard``) is stored unchanged
/// in a text cell with Excel's quote-prefix style (`quotePrefix="1"`, what Excel itself does when
/// one types `'=…`): a text cell is never evaluated, and the style keeps it text when someone
/// edits the cell. Characters XML cannot carry are escaped as `_xHHHH_`.
public enum XLSXWriter {
    /// - Throws: ``LedgerFileError`` `.tooLarge` over 1,048,575 rows or 16,384 columns per sheet,
    ///   or when encoding or zipping fails.
    public static func write(_ sheets: [LedgerSheet]) throws(LedgerFileError) -> Data {
        let sheets = sheets.isEmpty ? [LedgerSheet(name: "Sheet1", header: [], rows: [])] : sheets
        for s in sheets {
            if s.rows.count + 1 > 1_048_576 {
                throw LedgerFileError(.tooLarge, reason: "sheet '\(s.name)' has \(s.rows.count) rows; an XLSX sheet holds at most 1,048,575 below its header")
            }
            if max(s.header.count, s.rows.map(\.count).max() ?? 0) > 16_384 {
                throw LedgerFileError(.tooLarge, reason: "sheet '\(s.name)' has more than 16,384 columns")
            }
        }
        var strings = SharedStrings()
        let names = sheetNames(sheets.map(\.name))
        var parts: [(String, Data)] = []
        do {
            var worksheets: [Data] = []
            for s in sheets {
                worksheets.append(try encode(worksheet(s, strings: &strings), root: "worksheet",
                                             attributes: ["xmlns": ns.main, "xmlns:r": ns.relationships], escaping: .none))
            }
            parts.append(("[Content_Types].xml", try encode(contentTypes(sheetCount: sheets.count), root: "Types", attributes: ["xmlns": ns.contentTypes])))
            parts.append(("_rels/.rels", try encode(Relationships(relationship: [
                .init(id: "rId1", type: ns.officeDocument, target: "xl/workbook.xml"),
            ]), root: "Relationships", attributes: ["xmlns": ns.packageRelationships])))
            parts.append(("xl/workbook.xml", try encode(WorkbookXML(sheets: .init(sheet: names.enumerated().map {
                .init(name: $0.element, sheetId: $0.offset + 1, rid: "rId\($0.offset + 1)")
            })), root: "workbook", attributes: ["xmlns": ns.main, "xmlns:r": ns.relationships])))
            var rels = (1...sheets.count).map { Relationships.Relationship(id: "rId\($0)", type: ns.worksheet, target: "worksheets/sheet\($0).xml") }
            rels.append(.init(id: "rId\(sheets.count + 1)", type: ns.styles, target: "styles.xml"))
            rels.append(.init(id: "rId\(sheets.count + 2)", type: ns.sharedStrings, target: "sharedStrings.xml"))
            parts.append(("xl/_rels/workbook.xml.rels", try encode(Relationships(relationship: rels), root: "Relationships", attributes: ["xmlns": ns.packageRelationships])))
            parts.append(("xl/styles.xml", try encode(StyleSheet.standard, root: "styleSheet", attributes: ["xmlns": ns.main])))
            for (i, w) in worksheets.enumerated() { parts.append(("xl/worksheets/sheet\(i + 1).xml", w)) }
            parts.append(("xl/sharedStrings.xml", try encode(strings.xml, root: "sst", attributes: ["xmlns": ns.main], escaping: .text)))
        } catch {
            throw LedgerFileError(.tooLarge, reason: "the workbook could not be encoded: \(error)")
        }
        do {
            let archive = try Archive(data: Data(), accessMode: .create)
            for (path, data) in parts {
                try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { position, size in
                    data.subdata(in: Int(position)..<Int(position) + size)
                }
            }
            guard let out = archive.data else { throw LedgerFileError(.tooLarge, reason: "the ZIP archive is empty") }
            return out
        } catch let e as LedgerFileError {
            throw e
        } catch {
            throw LedgerFileError(.tooLarge, reason: "the workbook could not be zipped: \(error)")
        }
    }

    // MARK: - Parts

    enum ns {
        static let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
        static let relationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        static let packageRelationships = "http://schemas.openxmlformats.org/package/2006/relationships"
        static let contentTypes = "http://schemas.openxmlformats.org/package/2006/content-types"
        static let officeDocument = relationships + "/officeDocument"
        static let worksheet = relationships + "/worksheet"
        static let styles = relationships + "/styles"
        static let sharedStrings = relationships + "/sharedStrings"
    }

    /// Style indices in `cellXfs` of ``StyleSheet/standard``.
    enum Style: Int {
        case plain = 0, date = 1, dateTime = 2, header = 3, quotePrefix = 4
    }

    /// How much XMLCoder escapes. `.full` (its default: `& < > ' "` everywhere) for parts with
    /// free text in attributes (sheet names in workbook.xml); `.text` (`& < >` in element text,
    /// nothing in attributes) for shared strings; `.none` for worksheets, whose attributes and
    /// values are only cell references, style and type codes, numbers and error codes. Each
    /// escaped character costs XMLCoder a `replacingOccurrences` pass over every string, which
    /// made a 100,000-row sheet take 20 s.
    enum Escaping { case full, text, none }

    static func encode<T: Encodable>(_ value: T, root: String, attributes: [String: String], escaping: Escaping = .full) throws -> Data {
        let encoder = XMLEncoder()
        switch escaping {
        case .full: break
        case .text:
            encoder.charactersEscapedInElements = [("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")]
            encoder.charactersEscapedInAttributes = []
        case .none:
            encoder.charactersEscapedInElements = []
            encoder.charactersEscapedInAttributes = []
        }
        return try encoder.encode(value, withRootKey: root, rootAttributes: attributes,
                                  header: XMLHeader(version: 1.0, encoding: "UTF-8", standalone: "yes"))
    }

    /// Unique, valid sheet names (≤ 31 characters, no `: \ / ? * [ ]`, not empty, not `History`).
    static func sheetNames(_ names: [String]) -> [String] {
        var used = Set<String>()
        var out: [String] = []
        for (i, raw) in names.enumerated() {
            var n = String(raw.map { ":\\/?*[]".contains($0) ? "_" : $0 }).trimmingCharacters(in: CharacterSet(charactersIn: "' "))
            if n.isEmpty || n.lowercased() == "history" { n = "Sheet\(i + 1)" }
            n = String(n.prefix(31))
            var candidate = n
            var k = 2
            while used.contains(candidate.lowercased()) {
                let suffix = " (\(k))"
                candidate = String(n.prefix(31 - suffix.count)) + suffix
                k += 1
            }
            used.insert(candidate.lowercased())
            out.append(candidate)
        }
        return out
    }

    struct SharedStrings {
        var index: [String: Int] = [:]
        var items: [String] = []
        var count = 0
        mutating func add(_ s: String) -> Int {
            count += 1
            if let i = index[s] { return i }
            index[s] = items.count
            items.append(s)
            return items.count - 1
        }
        var xml: SST {
            SST(count: count, uniqueCount: items.count, si: items.map { SST.Item(t: TextNode(XLSXText.escape($0))) })
        }
    }

    static func worksheet(_ sheet: LedgerSheet, strings: inout SharedStrings) -> WorksheetXML {
        var rows: [WorksheetXML.Row] = []
        rows.reserveCapacity(sheet.rows.count + 1)
        let width = max(sheet.header.count, sheet.rows.map(\.count).max() ?? 0)
        let letters = (0..<max(width, 1)).map(LedgerTable.columnLetters)
        var widths = sheet.header.map { displayWidth($0) + 2 }
        if width > widths.count { widths += Array(repeating: 8, count: width - widths.count) }
        if !sheet.header.isEmpty {
            rows.append(.init(r: 1, c: sheet.header.map { h in
                .init(r: nil, s: Style.header.rawValue, t: "s", v: String(strings.add(h)))
            }))
        }
        for (k, values) in sheet.rows.enumerated() {
            let number = k + (sheet.header.isEmpty ? 1 : 2)
            var cells: [WorksheetXML.Cell] = []
            cells.reserveCapacity(values.count)
            var previous = -1
            for (i, value) in values.enumerated() {
                // A cell right after the previous one needs no reference (ECMA-376 §18.3.1.4:
                // `r` is optional; a cell without it is in the next column).
                if value == .empty || value == .text("") { continue }
                let ref: String? = i == previous + 1 ? nil : letters[i] + String(number)
                previous = i
                switch value {
                case .empty: continue
                case .text(let s):
                    let style: Style = FormulaGuard.isRisky(s) ? .quotePrefix : .plain
                    cells.append(.init(r: ref, s: style == .plain ? nil : style.rawValue, t: "s", v: String(strings.add(s))))
                    if k < 1000 { widths[i] = max(widths[i], displayWidth(s) + 2) }
                case .number(let d):
                    guard d.isFinite else { cells.append(.init(r: ref, t: "e", v: "#NUM!")); continue }
                    cells.append(.init(r: ref, v: LedgerValue.format(number: d)))
                    if k < 1000 { widths[i] = max(widths[i], Double(LedgerValue.format(number: d).count) + 2) }
                case .date(let serial):
                    guard serial.isFinite, serial >= 1 else {
                        cells.append(.init(r: ref, t: "s", v: String(strings.add(value.displayText()))))
                        continue
                    }
                    let withTime = serial != serial.rounded(.down)
                    cells.append(.init(r: ref, s: (withTime ? Style.dateTime : .date).rawValue, v: LedgerValue.format(number: serial)))
                    widths[i] = max(widths[i], withTime ? 18 : 12)
                case .bool(let b):
                    cells.append(.init(r: ref, t: "b", v: b ? "1" : "0"))
                case .error(let e):
                    // Only Excel's own codes are error cells (the sheet is written unescaped).
                    if Self.errorCodes.contains(e) { cells.append(.init(r: ref, t: "e", v: e)) }
                    else { cells.append(.init(r: ref, t: "s", v: String(strings.add(e)))) }
                }
            }
            rows.append(.init(r: number, c: cells))
        }
        let cols = (sheet.columnWidths ?? widths).enumerated().map { i, w in
            WorksheetXML.Col(min: i + 1, max: i + 1, width: min(max(w, 6), 60), customWidth: 1)
        }
        let lastRow = sheet.rows.count + (sheet.header.isEmpty ? 0 : 1)
        let frozen = !sheet.header.isEmpty
        return WorksheetXML(
            sheetViews: .init(sheetView: .init(workbookViewId: 0, pane: frozen ? .init(ySplit: 1, topLeftCell: "A2", activePane: "bottomLeft", state: "frozen") : nil)),
            cols: cols.isEmpty ? nil : .init(col: cols),
            sheetData: .init(row: rows),
            autoFilter: frozen && width > 0 ? .init(ref: "A1:\(letters[width - 1])\(max(lastRow, 1))") : nil)
    }

    static let errorCodes: Set<String> = ["#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA"]

    /// Characters, with CJK counted twice (they are about two Latin characters wide).
    static func displayWidth(_ s: String) -> Double {
        var w = 0.0
        for u in s.unicodeScalars.prefix(80) { w += u.value >= 0x1100 ? 2 : 1 }
        return w
    }

    static func contentTypes(sheetCount: Int) -> ContentTypes {
        var overrides: [ContentTypes.OverrideType] = [
            .init(partName: "/xl/workbook.xml", contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
            .init(partName: "/xl/styles.xml", contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"),
            .init(partName: "/xl/sharedStrings.xml", contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"),
        ]
        for i in 1...max(sheetCount, 1) {
            overrides.append(.init(partName: "/xl/worksheets/sheet\(i).xml", contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"))
        }
        return ContentTypes(defaults: [
            .init(extension: "rels", contentType: "application/vnd.openxmlformats-package.relationships+xml"),
            .init(extension: "xml", contentType: "application/xml"),
        ], overrides: overrides)
    }
}

import Foundation
import SafeGridCore
import ZIPFoundation

/// Reads XLSX workbooks (Office Open XML SpreadsheetML, ECMA-376): ZIPFoundation unpacks,
/// XMLCoder decodes workbook.xml, the relationships and styles.xml, and Foundation's streaming
/// `XMLParser` reads worksheets and shared strings of any size (see `SheetEvents`).
///
/// - Sheet: the first visible sheet, in workbook.xml order, that holds a value (an empty first
///   sheet is passed over with a warning), or the sheet named by `sheet`. Hidden sheets are read
///   only when named.
/// - Cells: shared strings (plain and rich text), inline strings, numbers, booleans, errors,
///   ISO dates (`t="d"`); a formula's cached value (`<v>`) with ``LedgerCell/isFormula`` set (a
///   formula that was never calculated gives `.empty` and a warning); numbers whose number
///   format is a date format (``NumberFormats``) become `.date(serial:)`. `_xHHHH_` escapes are
///   decoded.
/// - Header: the first row with at least two filled cells (a one-cell title row above it is
///   skipped); when one of its cells is merged downwards (`<mergeCells>`), the header spans
///   those rows and each column takes the lowest text (`坐标` over `经度 | 纬度` gives `经度`,
///   `纬度`; ``LedgerTable/headerGroups`` keeps `坐标`).
/// - Merged cells: every cell of a merged range takes the value of the range's first cell,
///   in the header and in the data (a village name merged down over its subjects).
/// - Dates: the workbook's date system (`<workbookPr date1904="1">`) is returned in
///   ``LedgerTable/dateSystem``.
public enum XLSXReader {
    /// Largest workbook part inflated (sheet XML, shared strings): 256 MiB, counted as the part
    /// inflates (whatever size the ZIP's headers claim).
    public static let maxPartBytes = 256 * 1_048_576
    /// Most columns a sheet may use (A to IV): a ledger has about 30, and a cell holding a value
    /// further right refuses the sheet. Empty cells further right (formatting) are ignored.
    public static let maxColumns = 256
    /// Most cells of a sheet once each row is padded to its last used column (5,000,000: e.g.
    /// 200,000 rows of 25 columns), and most shared strings of a workbook.
    public static let maxCells = 5_000_000
    /// Most merged ranges of a sheet.
    public static let maxMerges = 100_000

    static let limits = SheetEvents.Limits(maxColumns: maxColumns, maxCells: maxCells, maxMerges: maxMerges)

    /// Reads one sheet as a ``LedgerTable``.
    ///
    /// - Parameter sheet: a sheet name (exact), or `nil` for the first non-empty visible sheet.
    /// - Throws: ``LedgerFileError``: `.notASpreadsheet` for a ZIP that is not a workbook (a
    ///   Word or PowerPoint file, an OpenDocument spreadsheet, another archive), `.corruptWorkbook`
    ///   for missing or malformed parts or an unknown sheet name, `.noData` when every sheet is
    ///   empty, `.tooLarge` over ``maxPartBytes``, or for a sheet with a value beyond
    ///   ``maxColumns``, more than ``maxCells`` cells or ``maxMerges`` merged ranges (found while
    ///   streaming, before the table is built).
    public static func read(_ data: Data, sheet: String? = nil) throws(LedgerFileError) -> LedgerTable {
        try read(data, sheet: sheet, maxPartBytes: maxPartBytes)
    }

    static func read(_ data: Data, sheet: String?, maxPartBytes: Int,
                     limits: SheetEvents.Limits = XLSXReader.limits) throws(LedgerFileError) -> LedgerTable {
        let pkg = try Package(data: data, maxPartBytes: maxPartBytes)
        let book = try Workbook(pkg, limits: limits)
        var notes: [LedgerProblem] = []
        let candidates: [Workbook.SheetRef]
        if let sheet {
            guard let s = book.sheets.first(where: { $0.name == sheet }) else {
                throw LedgerFileError(.corruptWorkbook, reason: "the workbook has no sheet named '\(sheet)'; its sheets are \(book.sheets.map { "'\($0.name)'" }.joined(separator: ", "))")
            }
            candidates = [s]
        } else {
            candidates = book.sheets.filter { !$0.hidden }
        }
        for ref in candidates {
            guard let path = ref.path, let xml = try pkg.part(path) else {
                notes.append(LedgerProblem(row: nil, reason: "sheet '\(ref.name)' is not a worksheet (a chart sheet?) and was passed over", severity: .warning))
                continue
            }
            let grid = Grid(try SheetEvents.parse(xml, mode: .worksheet, part: path, limits: limits), book: book)
            if grid.rows.isEmpty {
                if sheet == nil {
                    notes.append(LedgerProblem(row: nil, reason: "sheet '\(ref.name)' is empty and was passed over", severity: .warning))
                    continue
                }
                throw LedgerFileError(.noData, reason: "sheet '\(ref.name)' is empty")
            }
            return grid.table(sheet: ref.name, dateSystem: book.dateSystem, notes: notes)
        }
        throw LedgerFileError(.noData, found: "an XLSX workbook without data",
                              reason: book.sheets.isEmpty ? "the workbook has no sheets" : "every sheet of the workbook is empty (\(book.sheets.map { "'\($0.name)'" }.joined(separator: ", ")))")
    }

    /// The names of the workbook's sheets in workbook order (hidden ones included).
    public static func sheetNames(_ data: Data) throws(LedgerFileError) -> [String] {
        try Workbook(Package(data: data, maxPartBytes: maxPartBytes), limits: limits).sheets.map(\.name)
    }

    /// What a ZIP that is not a workbook is, for the error message.
    static func identifyNonWorkbook(_ pkg: Package) -> String {
        if pkg.has("word/document.xml") { return "a Word document (.docx)" }
        if pkg.has("ppt/presentation.xml") { return "a PowerPoint presentation (.pptx)" }
        if let mime = try? pkg.part("mimetype"), let s = String(data: mime, encoding: .utf8) {
            if s.contains("opendocument.spreadsheet") { return "an OpenDocument spreadsheet (.ods)" }
            if s.contains("opendocument") { return "an OpenDocument file" }
        }
        if pkg.has("xl/workbook.bin") { return "a binary Excel workbook (.xlsb)" }
        return "a ZIP archive that is not an XLSX workbook"
    }
}

/// workbook.xml, its relationships, shared strings and styles.
struct Workbook {
    struct SheetRef {
        let name: String
        let path: String?
        let hidden: Bool
    }
    let sheets: [SheetRef]
    let dateSystem: ExcelDateSystem
    let sharedStrings: [String]
    /// Per cellXfs index: whether its number format is a date format.
    let dateStyles: [Bool]

    init(_ pkg: Package, limits: SheetEvents.Limits) throws(LedgerFileError) {
        // The main part from the package relationships (normally xl/workbook.xml).
        var workbookPath = "xl/workbook.xml"
        if let rels = try pkg.decode(XRelationships.self, "_rels/.rels"),
           let main = rels.relationships.first(where: { $0.type.hasSuffix("/officeDocument") }) {
            workbookPath = Package.resolve(main.target, from: "")
        }
        guard let wb = try pkg.decode(XWorkbook.self, workbookPath) else {
            let what = XLSXReader.identifyNonWorkbook(pkg)
            if what == "a binary Excel workbook (.xlsb)" || !pkg.has("[Content_Types].xml") || what != "a ZIP archive that is not an XLSX workbook" {
                throw LedgerFileError(.notASpreadsheet, found: what, reason: "the file is \(what), not an XLSX workbook or CSV file")
            }
            throw LedgerFileError(.corruptWorkbook, found: what, reason: "the file is \(what): it has no \(workbookPath)")
        }
        let rels = try pkg.decode(XRelationships.self, Package.relsPath(of: workbookPath))?.relationships ?? []
        var byID: [String: XRelationships.Relationship] = [:]
        for r in rels { byID[r.id] = r }
        sheets = (wb.sheets?.sheet ?? []).map { s in
            let rel = s.relationshipID.flatMap { byID[$0] }
            let path = rel.flatMap { r in
                r.external || !r.type.hasSuffix("/worksheet") ? nil : Package.resolve(r.target, from: workbookPath)
            }
            return SheetRef(name: s.name, path: path, hidden: s.state == "hidden" || s.state == "veryHidden")
        }
        let flag = wb.workbookPr?.date1904?.lowercased()
        dateSystem = flag == "1" || flag == "true" ? .from1904 : .from1900

        let sstPath = rels.first(where: { $0.type.hasSuffix("/sharedStrings") }).map { Package.resolve($0.target, from: workbookPath) }
            ?? "xl/sharedStrings.xml"
        if let xml = try pkg.part(sstPath) {
            sharedStrings = try SheetEvents.parse(xml, mode: .sharedStrings, part: sstPath, limits: limits).strings
        } else {
            sharedStrings = []
        }

        let stylesPath = rels.first(where: { $0.type.hasSuffix("/styles") }).map { Package.resolve($0.target, from: workbookPath) } ?? "xl/styles.xml"
        if let styles = try pkg.decode(XStyleSheet.self, stylesPath) {
            var codes: [Int: String] = [:]
            for f in styles.numFmts?.numFmt ?? [] { codes[f.numFmtId] = f.formatCode }
            dateStyles = (styles.cellXfs?.xf ?? []).map { xf in
                let id = xf.numFmtId ?? 0
                return NumberFormats.isDate(id: id, code: codes[id])
            }
        } else {
            dateStyles = []
        }
    }
}

/// A sheet's cells as rows of values, merged ranges filled.
struct Grid {
    struct Merge { let top: Int, left: Int, bottom: Int, right: Int }
    /// (row number, cells), ascending, blank rows left out.
    var rows: [(number: Int, cells: [LedgerCell])]
    var merges: [Merge]
    var notes: [LedgerProblem]
    var formulaColumns: [Int: (count: Int, firstRow: Int)]
    var uncalculated: [(row: Int, column: Int)]

    init(_ ws: SheetEvents, book: Workbook) {
        var rows: [(number: Int, cells: [LedgerCell])] = []
        var notes: [LedgerProblem] = []
        var formulaColumns: [Int: (count: Int, firstRow: Int)] = [:]
        var uncalculated: [(row: Int, column: Int)] = []
        // Row numbers and columns were resolved, and empty cells dropped, while streaming.
        for xr in ws.rows {
            let number = xr.number
            var cells: [LedgerCell] = []
            for xc in xr.cells {
                let column = xc.column
                let cell = Grid.cell(xc, book: book, row: number, column: column, notes: &notes)
                if cell.isFormula {
                    if let f = formulaColumns[column] { formulaColumns[column] = (f.count + 1, f.firstRow) }
                    else { formulaColumns[column] = (1, number) }
                    if cell.value == .empty { uncalculated.append((number, column)) }
                }
                if cell.value == .empty { continue }
                if column >= cells.count {
                    if column > cells.count { cells.append(contentsOf: repeatElement(LedgerCell.empty, count: column - cells.count)) }
                    cells.append(cell)
                } else {
                    cells[column] = cell
                }
            }
            while let last = cells.last, last.value.isBlank { cells.removeLast() }
            if !cells.isEmpty { rows.append((number, cells)) }
        }
        if !rows.indices.dropFirst().allSatisfy({ rows[$0 - 1].number < rows[$0].number }) {
            rows.sort { $0.number < $1.number }
        }
        self.rows = rows
        self.notes = notes
        self.formulaColumns = formulaColumns
        self.uncalculated = uncalculated
        merges = ws.merges.compactMap { ref in
            let parts = ref.split(separator: ":")
            guard let a = parts.first.flatMap({ Grid.parseRef(String($0)) }) else { return nil }
            let b = parts.count > 1 ? Grid.parseRef(String(parts[1])) ?? a : a
            return Merge(top: min(a.0, b.0), left: min(a.1, b.1), bottom: max(a.0, b.0), right: max(a.1, b.1))
        }
    }

    /// `"AB12"` (or `"$AB$12"`) → (row 12, column 27); `nil` for anything else.
    static func parseRef(_ ref: String) -> (Int, Int)? {
        var letters = 0, digits = 0, column = 0, row = 0
        for b in ref.utf8 {
            switch b {
            case 0x24: continue
            case 65...90, 97...122:
                guard digits == 0 else { return nil }
                column = column * 26 + Int(b >= 97 ? b - 96 : b - 64)
                letters += 1
            case 48...57:
                row = row * 10 + Int(b - 48)
                digits += 1
            default: return nil
            }
            if letters > 3 || digits > 7 { return nil }
        }
        guard letters > 0, digits > 0, column - 1 <= 16_383 else { return nil }
        return (row, column - 1)
    }

    static func cell(_ xc: RawCell, book: Workbook, row: Int, column: Int, notes: inout [LedgerProblem]) -> LedgerCell {
        let isFormula = xc.hasFormula
        let v = xc.value
        let value: LedgerValue
        switch xc.type ?? "n" {
        case "s":
            if let v, let i = Int(v.trimmingCharacters(in: .whitespaces)), i >= 0, i < book.sharedStrings.count {
                value = book.sharedStrings[i].isEmpty ? .empty : .text(book.sharedStrings[i])
            } else if v == nil {
                value = .empty
            } else {
                notes.append(LedgerProblem(row: row, columnIndex: column, reason: "cell \(LedgerTable.columnLetters(column))\(row) refers to shared string \(v ?? "") that does not exist", severity: .warning))
                value = .empty
            }
        case "inlineStr":
            let s = xc.inlineText ?? ""
            value = s.isEmpty ? .empty : .text(s)
        case "str":
            let s = XLSXText.unescape(v ?? "")
            value = s.isEmpty ? .empty : .text(s)
        case "b":
            value = v.map { .bool($0.trimmingCharacters(in: .whitespaces) == "1" || $0.lowercased() == "true") } ?? .empty
        case "e":
            value = v.map { .error($0) } ?? .empty
        case "d":
            if let v, let serial = Grid.isoSerial(v, system: book.dateSystem) { value = .date(serial: serial) }
            else { value = v.map { .text($0) } ?? .empty }
        default:
            if let v, let d = Double(v.trimmingCharacters(in: .whitespaces)) {
                let isDate = xc.style.map { $0 >= 0 && $0 < book.dateStyles.count && book.dateStyles[$0] } ?? false
                value = isDate ? .date(serial: d) : .number(d)
            } else if let v, !v.isEmpty {
                value = .text(v)
            } else {
                value = .empty
            }
        }
        return LedgerCell(value, isFormula: isFormula)
    }

    /// `t="d"` cells hold ISO 8601 (`2024-10-16` or `2024-10-16T09:30:00`), a wall-clock time.
    static func isoSerial(_ s: String, system: ExcelDateSystem) -> Double? {
        let parts = s.split(separator: "T", maxSplits: 1)
        guard let first = parts.first, let day = try? CalendarDate(String(first)) else { return nil }
        var seconds = 0.0
        if parts.count == 2 {
            let hms = parts[1].prefix(8).split(separator: ":").compactMap { Double($0) }
            if hms.count >= 2 { seconds = hms[0] * 3600 + hms[1] * 60 + (hms.count > 2 ? hms[2] : 0) }
        }
        return ExcelDate.serial(for: day, system: system) + seconds / 86_400
    }

    /// The table: header row(s) found, merged ranges filled, notes gathered.
    func table(sheet: String, dateSystem: ExcelDateSystem, notes outer: [LedgerProblem]) -> LedgerTable {
        var problems = outer + notes
        var rows = self.rows
        // Header: the first row with at least two filled cells.
        var headerIndex = rows.firstIndex { r in r.cells.filter { !$0.value.isBlank }.count >= 2 } ?? 0
        if rows[headerIndex].cells.filter({ !$0.value.isBlank }).count < 2 { headerIndex = 0 }
        let headerNumber = rows[headerIndex].number
        for r in rows[..<headerIndex] {
            problems.append(LedgerProblem(row: r.number, reason: "row \(r.number) above the header has a single filled cell and was skipped as a title", severity: .warning))
        }
        // Header depth: merges that start on the header row and reach down.
        var lastHeaderNumber = headerNumber
        for m in merges where m.top == headerNumber && m.bottom > m.top {
            lastHeaderNumber = max(lastHeaderNumber, min(m.bottom, headerNumber + 2))
        }
        let width = rows.map(\.cells.count).max() ?? 0

        // Fill merged ranges with their first cell's value.
        var position: [Int: Int] = [:]
        for (i, r) in rows.enumerated() { position[r.number] = i }
        var filledData = 0
        var budget = XLSXReader.maxCells
        for m in merges {
            guard let topIndex = position[m.top], m.left < rows[topIndex].cells.count else { continue }
            let source = rows[topIndex].cells[m.left]
            if source.value.isBlank { continue }
            let right = min(m.right, max(width - 1, m.left))
            var touchedData = false
            // The rows of the range that exist.
            var i = topIndex
            while i < rows.count, rows[i].number <= m.bottom, budget > 0 {
                for c in m.left...right where !(rows[i].number == m.top && c == m.left) {
                    budget -= 1
                    if c >= rows[i].cells.count {
                        rows[i].cells.append(contentsOf: repeatElement(LedgerCell.empty, count: c - rows[i].cells.count + 1))
                    }
                    if rows[i].cells[c].value.isBlank {
                        rows[i].cells[c] = LedgerCell(source.value, isFormula: source.isFormula)
                        if rows[i].number > lastHeaderNumber { touchedData = true }
                    }
                }
                i += 1
            }
            if touchedData { filledData += 1 }
        }
        if filledData > 0 {
            problems.append(LedgerProblem(row: nil, reason: "\(filledData) merged cell range\(filledData == 1 ? "" : "s") in the data: each cell took the value of its range's first cell", severity: .warning))
        }
        if budget <= 0 {
            problems.append(LedgerProblem(row: nil, reason: "merged ranges cover too many cells; some were not filled", severity: .warning))
        }

        // Header texts: per column the lowest non-empty header cell; the one above it as group.
        let headerRows = rows.filter { $0.number >= headerNumber && $0.number <= lastHeaderNumber }
        var header: [String] = []
        var groups: [String] = []
        for c in 0..<width {
            let texts = headerRows.map { c < $0.cells.count ? CSVTableReader.trimmedHeader($0.cells[c].value.displayText(system: dateSystem)) : "" }
                .filter { !$0.isEmpty }
            let text = texts.last ?? ""
            header.append(text)
            groups.append(texts.dropLast().last(where: { $0 != text }) ?? "")
        }

        let data = rows.filter { $0.number > lastHeaderNumber }
            .map { LedgerRow(number: $0.number, cells: $0.cells) }
            .filter { !$0.isBlank }

        for (column, f) in formulaColumns.sorted(by: { $0.key < $1.key }) {
            let name = column < header.count ? header[column] : ""
            problems.append(LedgerProblem(row: nil, column: name.isEmpty ? nil : name, columnIndex: column,
                                          reason: "\(f.count) cell\(f.count == 1 ? "" : "s") hold\(f.count == 1 ? "s" : "") a formula (first in row \(f.firstRow)); the values Excel last calculated were used",
                                          severity: .warning))
        }
        for u in uncalculated.prefix(100) {
            let name = u.column < header.count ? header[u.column] : ""
            problems.append(LedgerProblem(row: u.row, column: name.isEmpty ? nil : name, columnIndex: u.column,
                                          reason: "the formula in \(LedgerTable.columnLetters(u.column))\(u.row) has no calculated value (the file was not saved by Excel); open and save it in Excel",
                                          severity: .warning))
        }
        return LedgerTable(format: .xlsx(sheet: sheet), header: header, headerGroups: groups, headerRowNumber: lastHeaderNumber,
                           rows: data, dateSystem: dateSystem, problems: problems)
    }
}

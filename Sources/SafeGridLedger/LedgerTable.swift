import Foundation
import SafeGridCore

// The file layer of ledger (台账) import and export: a spreadsheet read from bytes becomes a
// `LedgerTable` (header, numbered rows, typed cells); the pure functions of `LedgerValues`,
// `ExcelDate`, `VillageNames` and `LedgerHeaders` turn cells into domain values; and
// `SubjectImporter` turns a table into import candidates with per-row problems. Nothing here
// touches a database or the network.

/// The value of one spreadsheet cell, as the file holds it.
///
/// A CSV file only has text: every non-empty CSV field is `.text` (numbers and dates are parsed
/// later, by the column's meaning, so that `0571…` and `00123` keep their leading zeros). XLSX
/// cells keep their type: shared or inline strings are `.text`, numbers `.number`, numbers whose
/// number format is a date format `.date(serial:)`, booleans `.bool`, error values (`#N/A`)
/// `.error`.
public enum LedgerValue: Hashable, Sendable {
    case empty
    case text(String)
    case number(Double)
    /// An Excel date serial (days, fraction = time of day, local time without zone) in the
    /// table's ``ExcelDateSystem``: the cell is a number whose number format is a date format.
    /// Convert with ``ExcelDate/calendarDate(serial:system:)``.
    case date(serial: Double)
    case bool(Bool)
    /// An Excel error value such as `#N/A`, `#DIV/0!`, `#REF!`.
    case error(String)

    /// A date cell for writing (1900 date system, what ``XLSXWriter`` writes).
    public static func date(_ day: CalendarDate) -> LedgerValue {
        .date(serial: ExcelDate.serial(for: day, system: .from1900))
    }

    /// A date-time cell for writing: the instant's wall-clock time in Asia/Shanghai, 1900 system.
    public static func dateTime(_ instant: Date) -> LedgerValue {
        .date(serial: ExcelDate.serial(forShanghai: instant, system: .from1900))
    }

    /// Whether the cell holds nothing: `.empty`, or text that is only whitespace.
    public var isBlank: Bool {
        switch self {
        case .empty: true
        case .text(let s): s.allSatisfy { $0.isWhitespace }
        default: false
        }
    }

    /// The text a person would see, without formatting: text as is; a number in its shortest
    /// form, integers without a fraction (`13800000000`, not `1.38e10`); a date serial as
    /// `YYYY-MM-DD` (or `YYYY-MM-DD hh:mm` with a time part) when `system` is given, else the
    /// serial; `TRUE`/`FALSE`; the error code; `""` for empty.
    public func displayText(system: ExcelDateSystem? = .from1900) -> String {
        switch self {
        case .empty: return ""
        case .text(let s): return s
        case .number(let d): return LedgerValue.format(number: d)
        case .date(let serial):
            guard let system else { return LedgerValue.format(number: serial) }
            return ExcelDate.displayText(serial: serial, system: system) ?? LedgerValue.format(number: serial)
        case .bool(let b): return b ? "TRUE" : "FALSE"
        case .error(let e): return e
        }
    }

    /// `42` for 42.0, `0.1` for 0.1, `13800000000` for 1.38e10, `913301090000000000` for
    /// 9.1330109e17 (whole numbers below 10¹⁸ without exponent; beyond 15 digits they are
    /// not exact, which is why a credit code typed as a number is refused).
    public static func format(number d: Double) -> String {
        if d.isFinite, d == d.rounded(), abs(d) < 1e18 { return String(Int64(d)) }
        return "\(d)"
    }
}

/// One cell: its value and whether it came from a formula.
public struct LedgerCell: Hashable, Sendable {
    public var value: LedgerValue
    /// The XLSX cell held a formula (`<f>`); `value` is the result Excel cached when it last
    /// calculated (`<v>`), which is what a person saw. Always `false` for CSV.
    public var isFormula: Bool

    public init(_ value: LedgerValue, isFormula: Bool = false) {
        self.value = value
        self.isFormula = isFormula
    }

    public static let empty = LedgerCell(.empty)
}

/// A data row of a ledger.
public struct LedgerRow: Hashable, Sendable {
    /// 1-based row number as Excel shows it: the XLSX row (`<row r>`), or for CSV the record's
    /// position in the file counting the header record and blank lines (what Excel shows when it
    /// opens the CSV). Problems are reported with this number.
    public let number: Int
    /// 1-based line of the text file where the record starts (what a text editor shows); it
    /// differs from ``number`` after a cell with a line break inside quotes. Equals ``number``
    /// for XLSX.
    public let line: Int
    /// The cells from column A on, as many as the file gave (a short row has fewer than the
    /// header; use ``subscript(_:)`` for a column that may be missing).
    public let cells: [LedgerCell]

    public init(number: Int, line: Int? = nil, cells: [LedgerCell]) {
        self.number = number
        self.line = line ?? number
        self.cells = cells
    }

    /// The cell in 0-based column `index`, `.empty` beyond the end of the row.
    public subscript(_ index: Int) -> LedgerCell {
        index >= 0 && index < cells.count ? cells[index] : .empty
    }

    public var isBlank: Bool { cells.allSatisfy { $0.value.isBlank } }
}

/// How Excel counts days (workbook.xml `<workbookPr date1904="1"/>`).
public enum ExcelDateSystem: String, Hashable, Sendable, Codable {
    /// Serial 1 = 1900-01-01 (Windows Excel's default; keeps Lotus 1-2-3's fictitious 1900-02-29 as 60).
    case from1900
    /// Serial 0 = 1904-01-01 (old Mac Excel).
    case from1904
}

/// The CSV delimiter found (or used).
public enum CSVDelimiter: String, Hashable, Sendable, CaseIterable {
    case comma = ","
    case semicolon = ";"
    case tab = "\t"

    public var scalar: Unicode.Scalar { rawValue.unicodeScalars.first! }
}

/// The text encoding a CSV file was read in.
public enum TextEncoding: String, Hashable, Sendable {
    /// UTF-8 with a byte order mark (`EF BB BF`), what Excel writes for "CSV UTF-8".
    case utf8BOM
    case utf8
    /// UTF-16 with a byte order mark, what Excel writes for "Unicode Text" (tab-separated).
    case utf16LE, utf16BE
    /// GB 18030 (a superset of GBK and GB 2312), what Chinese Excel writes for plain "CSV".
    case gb18030
}

/// The kind of file a table was read from.
public enum LedgerFormat: Hashable, Sendable {
    case csv(encoding: TextEncoding, delimiter: CSVDelimiter)
    /// `sheet` is the sheet's name as workbook.xml gives it.
    case xlsx(sheet: String)
}

/// A problem with one row (or with the file when `row` is `nil`), found while reading or
/// validating. `column` is the header text as the file spells it (`"联系电话"`), or `nil`.
public struct LedgerProblem: Hashable, Sendable, CustomStringConvertible {
    public enum Severity: String, Hashable, Sendable, Codable {
        /// The row cannot be imported (or the file, when `row` is nil).
        case error
        /// Imported, but somebody should look (swapped axes corrected, formula value used…).
        case warning
    }

    /// 1-based row number (``LedgerRow/number``); `nil` for the file or the header as a whole.
    public let row: Int?
    /// The header of the column, as written in the file.
    public let column: String?
    /// 0-based column index, when the problem is about one column.
    public let columnIndex: Int?
    public let reason: String
    public let severity: Severity

    public init(row: Int?, column: String? = nil, columnIndex: Int? = nil, reason: String, severity: Severity = .error) {
        self.row = row
        self.column = column
        self.columnIndex = columnIndex
        self.reason = reason
        self.severity = severity
    }

    /// The spreadsheet column letters of ``columnIndex`` (`A`, `Z`, `AA`), or `nil`.
    public var columnLetters: String? { columnIndex.map(LedgerTable.columnLetters) }

    /// `row 12, 联系电话 (F): too few digits…` — for logs and the rejected-rows file.
    public var description: String {
        var where_ = row.map { "row \($0)" } ?? "file"
        if let column { where_ += ", \(column)" }
        if let letters = columnLetters { where_ += " (\(letters))" }
        return "\(where_): \(severity == .warning ? "warning: " : "")\(reason)"
    }
}

/// A spreadsheet read from bytes: the header row, the data rows with their numbers, and what
/// the reader noticed (a cut last line, short rows, formulas, merged header cells).
public struct LedgerTable: Hashable, Sendable {
    public let format: LedgerFormat
    /// Header texts, trimmed, one per column (a merged header cell's text is repeated over its
    /// span; a header over two rows joins them, see ``XLSXReader``). Columns without a header are `""`.
    public let header: [String]
    /// For a header over two or three rows (a merged group cell above its columns), the group's
    /// text per column (`坐标` above `经度`, `纬度`); `""` where there is none. Same count as ``header``.
    public let headerGroups: [String]
    /// 1-based row number of the (last) header row.
    public let headerRowNumber: Int
    /// Data rows after the header, blank rows left out, in file order.
    public let rows: [LedgerRow]
    public let dateSystem: ExcelDateSystem
    /// Problems found while reading: rows with more or fewer fields than the header, a cut last
    /// line, formulas whose cached values were used. Row validation adds its own.
    public let problems: [LedgerProblem]

    public init(format: LedgerFormat, header: [String], headerGroups: [String]? = nil, headerRowNumber: Int,
                rows: [LedgerRow], dateSystem: ExcelDateSystem = .from1900, problems: [LedgerProblem] = []) {
        self.format = format
        self.header = header
        self.headerGroups = headerGroups ?? Array(repeating: "", count: header.count)
        self.headerRowNumber = headerRowNumber
        self.rows = rows
        self.dateSystem = dateSystem
        self.problems = problems
    }

    /// The rows numbered `numbers` as a sheet to give back to people: the original header and
    /// cell values (types kept), plus a last column `导入问题` with each row's problems
    /// (`联系电话 (I): too few digits…; 纬度 (J): …`). Fixed and uploaded again, it imports like
    /// the original (the `导入问题` column is recognised and ignored).
    ///
    /// - Parameters:
    ///   - numbers: row numbers (``LedgerRow/number``), e.g. ``SubjectImport/rejectedRows``.
    ///   - problems: the problems to list (those of other rows, warnings included, are ignored
    ///     unless their row is in `numbers`).
    public func rejectedRows(_ numbers: [Int], problems: [LedgerProblem], sheetName: String = "未导入") -> LedgerSheet {
        let wanted = Set(numbers)
        var reasons: [Int: [String]] = [:]
        for p in problems {
            guard let r = p.row, wanted.contains(r) else { continue }
            var text = p.column ?? ""
            if let letters = p.columnLetters { text += text.isEmpty ? letters : " (\(letters))" }
            reasons[r, default: []].append((text.isEmpty ? "" : text + ": ") + p.reason)
        }
        let width = header.count
        let out: [[LedgerValue]] = rows.filter { wanted.contains($0.number) }.map { row in
            var values = (0..<max(width, row.cells.count)).map { row[$0].value }
            if values.count < width { values += Array(repeating: .empty, count: width - values.count) }
            values.append(.text((reasons[row.number] ?? []).joined(separator: "; ")))
            return values
        }
        return LedgerSheet(name: sheetName, header: header + [LedgerField.importProblems.zh], rows: out)
    }

    /// `0 → "A"`, `25 → "Z"`, `26 → "AA"`, `16383 → "XFD"`.
    public static func columnLetters(_ index: Int) -> String {
        var n = index + 1
        var out: [Character] = []
        while n > 0 {
            let r = (n - 1) % 26
            out.append(Character(Unicode.Scalar(UInt8(65 + r))))
            n = (n - 1) / 26
        }
        return String(out.reversed())
    }

    /// `"A" → 0`, `"AA" → 26`, `"XFD" → 16383`; `nil` for anything else (or beyond XFD).
    public static func columnIndex(letters: Substring) -> Int? {
        var n = 0
        guard !letters.isEmpty, letters.count <= 3 else { return nil }
        for u in letters.unicodeScalars {
            let v = Int(u.value)
            let d: Int
            if v >= 65 && v <= 90 { d = v - 64 } else if v >= 97 && v <= 122 { d = v - 96 } else { return nil }
            n = n * 26 + d
        }
        return n - 1 <= 16383 ? n - 1 : nil
    }
}

/// Why a file could not be read as a table at all. Row-level trouble is a ``LedgerProblem``
/// instead; this is for the file as a whole.
public struct LedgerFileError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable {
        /// Zero bytes, or only whitespace / only blank rows.
        case empty
        /// Not a spreadsheet: PDF, image, Word, a legacy .xls, an archive, binary data…
        case notASpreadsheet
        /// Text in an encoding we cannot read (not UTF-8, UTF-16 with BOM or GB18030).
        case unreadableText
        /// An XLSX whose parts are missing or malformed.
        case corruptWorkbook
        /// An XLSX whose sheets are all empty.
        case noData
        /// Over the size limits (a ZIP bomb, a sheet larger than allowed).
        case tooLarge
    }

    public let kind: Kind
    /// What was found, for people: `"a PDF document"`, `"a PNG image"`.
    public let found: String?
    public let reason: String

    public init(_ kind: Kind, found: String? = nil, reason: String) {
        self.kind = kind
        self.found = found
        self.reason = reason
    }

    public var description: String { reason }
}

import CSV
import Foundation

/// Reads CSV and TSV ledgers with `yaslab/CSV.swift` (RFC 4180: quoted fields may hold
/// delimiters, doubled quotes and line breaks; CRLF, LF or CR line ends).
///
/// What this layer adds around the library: the encoding (``TextDecoding``), the delimiter
/// (``detectDelimiter(_:)``), the header row, row and line numbers, and the checks the library
/// does not make — rows with more or fewer fields than the header, and a cut last line (the
/// file ends inside a quoted field, or without a final line break on a short row, or in the
/// middle of a character).
public enum CSVTableReader {
    /// Reads a CSV/TSV file.
    ///
    /// - Parameters:
    ///   - data: the file's bytes.
    ///   - delimiter: `nil` to detect (comma, semicolon or tab).
    ///   - restoreNeutralisedFormulas: a field written by ``CSVTableWriter`` as `'=…` (a leading
    ///     apostrophe before `=`, `+`, `-`, `@`, tab or CR) is read back without the apostrophe,
    ///     so an exported ledger re-imports to the same values.
    /// - Returns: a table whose cells are `.text` (or `.empty` for an empty field); see
    ///   ``LedgerTable`` for the header and row numbering.
    /// - Throws: ``LedgerFileError`` `.unreadableText` for an unknown encoding, `.empty` for a
    ///   file with no non-blank line.
    public static func read(_ data: Data, delimiter: CSVDelimiter? = nil,
                            restoreNeutralisedFormulas: Bool = true) throws(LedgerFileError) -> LedgerTable {
        let decoded = try TextDecoding.decode(data)
        return try read(text: decoded.text, encoding: decoded.encoding, delimiter: delimiter,
                        endsInsideCharacter: decoded.endsInsideCharacter,
                        restoreNeutralisedFormulas: restoreNeutralisedFormulas)
    }

    /// Reads already decoded text (see ``read(_:delimiter:restoreNeutralisedFormulas:)``).
    public static func read(text: String, encoding: TextEncoding = .utf8, delimiter: CSVDelimiter? = nil,
                            endsInsideCharacter: Bool = false,
                            restoreNeutralisedFormulas: Bool = true) throws(LedgerFileError) -> LedgerTable {
        let delimiter = delimiter ?? detectDelimiter(text)
        try checkWidth(text, delimiter: delimiter)
        let reader: CSVReader
        do {
            reader = try CSVReader(string: text, hasHeaderRow: false, trimFields: false, delimiter: delimiter.scalar)
        } catch {
            throw LedgerFileError(.unreadableText, reason: "the CSV reader could not start: \(error)")
        }

        var header: [String]? = nil
        var headerRowNumber = 0
        var skippedTitles: [Int] = []
        var rows: [LedgerRow] = []
        var problems: [LedgerProblem] = []
        var recordNumber = 0
        var line = 1
        var lastFields: [String] = []
        var lastRecordNumber = 0
        while let fields = reader.next() {
            recordNumber += 1
            let startLine = line
            line += 1 + lineBreaks(in: fields)
            lastFields = fields
            lastRecordNumber = recordNumber
            if header == nil {
                let filled = fields.filter { !$0.allSatisfy(\.isWhitespace) }.count
                if filled == 0 { continue }
                if filled == 1 && fields.count > 1 {
                    // A title line above the header ("瓜沥镇企业台账,,,,").
                    skippedTitles.append(recordNumber)
                    continue
                }
                header = fields.map { trimmedHeader($0) }
                headerRowNumber = recordNumber
                continue
            }
            var cells: [LedgerCell] = []
            cells.reserveCapacity(fields.count)
            var blank = true
            for f in fields {
                if f.isEmpty {
                    cells.append(.empty)
                } else {
                    if blank, !f.allSatisfy(\.isWhitespace) { blank = false }
                    cells.append(LedgerCell(.text(restoreNeutralisedFormulas ? restoreNeutralised(f) : f)))
                }
            }
            if blank { continue }
            rows.append(LedgerRow(number: recordNumber, line: startLine, cells: cells))
        }
        if let error = reader.error {
            throw LedgerFileError(.unreadableText, reason: "the CSV text could not be read: \(error)")
        }
        if header == nil, !skippedTitles.isEmpty {
            // Every line had one filled field: a one-column file. Read it again without skipping titles.
            return try oneColumn(text: text, encoding: encoding, delimiter: delimiter)
        }
        guard let header else {
            throw LedgerFileError(.empty, found: "an empty text file", reason: "the file has no header row: it is empty or holds only blank lines")
        }
        for r in skippedTitles where r < headerRowNumber {
            problems.append(LedgerProblem(row: r, reason: "row \(r) has a single filled cell above the header and was skipped as a title", severity: .warning))
        }

        // Field counts against the header.
        let width = header.count
        for row in rows where row.cells.count != width {
            if row.cells.count < width {
                problems.append(LedgerProblem(row: row.number, reason: "the row has \(row.cells.count) fields, the header has \(width): a field is missing (or a separator)"))
            } else if row.cells[width...].contains(where: { !$0.value.isBlank }) {
                problems.append(LedgerProblem(row: row.number, reason: "the row has \(row.cells.count) fields, the header has \(width): a value holds an unquoted separator '\(delimiter == .tab ? "\\t" : delimiter.rawValue)'?"))
            }
        }

        // A cut last line.
        let endsWithBreak = text.utf8.last.map { $0 == 10 || $0 == 13 } ?? false
        var quotes = 0
        for b in text.utf8 where b == 0x22 { quotes += 1 }
        var cutReasons: [String] = []
        if quotes % 2 == 1 {
            cutReasons.append("the file ends inside a quoted field (an opening \" has no closing \")")
        }
        if endsInsideCharacter {
            cutReasons.append("the file ends in the middle of a character")
        }
        if !endsWithBreak, lastRecordNumber > headerRowNumber, lastFields.count < width, quotes % 2 == 0 {
            cutReasons.append("the last line has \(lastFields.count) of \(width) fields and no line break at the end")
        }
        if !cutReasons.isEmpty {
            let row = lastRecordNumber > headerRowNumber ? lastRecordNumber : nil
            problems.removeAll { $0.row == row && row != nil && $0.reason.hasPrefix("the row has") }
            problems.append(LedgerProblem(row: row, reason: "the last line is cut: " + cutReasons.joined(separator: "; ") + "; the file may be incomplete"))
        }
        return LedgerTable(format: .csv(encoding: encoding, delimiter: delimiter), header: header,
                           headerRowNumber: headerRowNumber, rows: rows, problems: problems)
    }

    /// A file whose every line has one field: the first line is the header.
    private static func oneColumn(text: String, encoding: TextEncoding, delimiter: CSVDelimiter) throws(LedgerFileError) -> LedgerTable {
        let reader: CSVReader
        do { reader = try CSVReader(string: text, delimiter: delimiter.scalar) } catch {
            throw LedgerFileError(.unreadableText, reason: "the CSV reader could not start: \(error)")
        }
        var header: [String]? = nil
        var headerRow = 0
        var rows: [LedgerRow] = []
        var number = 0
        var line = 1
        while let fields = reader.next() {
            number += 1
            let start = line
            line += 1 + lineBreaks(in: fields)
            if fields.allSatisfy({ $0.allSatisfy(\.isWhitespace) }) { continue }
            if header == nil {
                header = fields.map { trimmedHeader($0) }
                headerRow = number
            } else {
                rows.append(LedgerRow(number: number, line: start, cells: fields.map { $0.isEmpty ? .empty : LedgerCell(.text($0)) }))
            }
        }
        guard let header else { throw LedgerFileError(.empty, reason: "the file has no header row") }
        return LedgerTable(format: .csv(encoding: encoding, delimiter: delimiter), header: header, headerRowNumber: headerRow, rows: rows)
    }

    /// Line breaks inside the fields of one record (CRLF counts once).
    @inline(__always)
    static func lineBreaks(in fields: [String]) -> Int {
        var n = 0
        for f in fields {
            var previousCR = false
            for b in f.utf8 {
                if b == 10 {
                    if !previousCR { n += 1 }
                    previousCR = false
                } else if b == 13 {
                    n += 1
                    previousCR = true
                } else {
                    previousCR = false
                }
            }
        }
        return n
    }

    static func trimmedHeader(_ s: String) -> String {
        s.trimmingCharacters(in: .whitespacesAndNewlines.union(CharacterSet(charactersIn: "\u{FEFF}\u{3000}")))
    }

    /// `'=1+2` → `=1+2`: undoes ``CSVTableWriter``'s neutralisation (apostrophe before `=`, `+`,
    /// `-`, `@`, tab or CR). Anything else is returned unchanged.
    public static func restoreNeutralised(_ s: String) -> String {
        guard s.utf8.first == 0x27 else { return s }
        let rest = s.utf8.dropFirst()
        guard let next = rest.first, FormulaGuard.triggers.contains(next) else { return s }
        return String(s.dropFirst())
    }

    /// The most fields a record may have: a ledger has a few dozen columns; XLSX sheets are held
    /// to the same 256 (A to IV).
    public static let maxFields = 256

    /// Refuses a text with a record of more than ``maxFields`` fields before the CSV library
    /// builds it: a 60 MB line of commas would otherwise become 60 million strings. Counts
    /// delimiters outside quotes, one pass over the bytes.
    /// - Throws: ``LedgerFileError`` `.tooLarge` naming the line.
    static func checkWidth(_ text: String, delimiter: CSVDelimiter) throws(LedgerFileError) {
        guard let d = delimiter.rawValue.utf8.first else { return }
        var fields = 1, line = 1, quoted = false
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): quoted.toggle()
            case UInt8(ascii: "\n") where !quoted: fields = 1; line += 1
            case d where !quoted:
                fields += 1
                if fields > maxFields {
                    throw LedgerFileError(.tooLarge, found: "a line of more than \(maxFields) fields",
                                          reason: "line \(line) has more than \(maxFields) fields; a ledger may have at most \(maxFields) columns. Check the separator, or delete the columns beyond them")
                }
            default: break
            }
        }
    }

    /// Chooses the delimiter of a CSV/TSV text by counting commas, semicolons and tabs outside
    /// quotes on the first records (at most 20 lines, 64 KiB): the delimiter that appears the
    /// same non-zero number of times on most lines wins, then the one with more fields on the
    /// first line; comma when nothing is found (a one-column file).
    public static func detectDelimiter(_ text: String) -> CSVDelimiter {
        var counts: [[Int]] = []            // per line: comma, semicolon, tab
        var current = [0, 0, 0]
        var inQuotes = false
        var scanned = 0
        var previousCR = false
        var lineHasContent = false
        for u in text.unicodeScalars {
            scanned += 1
            if scanned > 65_536 || counts.count >= 20 { break }
            if u == "\"" { inQuotes.toggle(); lineHasContent = true; previousCR = false; continue }
            if inQuotes { continue }
            switch u {
            case ",": current[0] += 1
            case ";": current[1] += 1
            case "\t": current[2] += 1
            case "\n", "\r":
                if u == "\n" && previousCR { previousCR = false; continue }
                if lineHasContent { counts.append(current) }
                current = [0, 0, 0]
                lineHasContent = false
                previousCR = u == "\r"
                continue
            default: break
            }
            previousCR = false
            if u != " " { lineHasContent = true }
        }
        if lineHasContent && counts.count < 20 { counts.append(current) }
        guard let first = counts.first else { return .comma }
        let candidates: [CSVDelimiter] = [.comma, .semicolon, .tab]
        var best: (CSVDelimiter, Int, Int)? = nil   // delimiter, consistent lines, first-line count
        for (i, d) in candidates.enumerated() where first[i] > 0 {
            let consistent = counts.filter { $0[i] == first[i] }.count
            if best == nil || consistent > best!.1 || (consistent == best!.1 && first[i] > best!.2) {
                best = (d, consistent, first[i])
            }
        }
        return best?.0 ?? .comma
    }
}

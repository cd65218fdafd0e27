import Foundation

/// Reads a ledger file of either format, chosen by its content (never by its name).
public enum LedgerReader {
    /// Reads an XLSX workbook (a ZIP archive) or a CSV/TSV text file.
    ///
    /// - Parameters:
    ///   - data: the file's bytes.
    ///   - sheet: XLSX only: the sheet to read (default: the first non-empty visible sheet).
    ///   - delimiter: CSV only: the delimiter (default: detected).
    /// - Returns: the table; see ``XLSXReader`` and ``CSVTableReader`` for what each format gives.
    /// - Throws: ``LedgerFileError``: `.empty` for zero bytes or no header; `.notASpreadsheet`
    ///   naming what the file is (a PDF document, a PNG image, a legacy .xls, a Word document,
    ///   binary data…); `.unreadableText` for text that is neither UTF-8 nor GB18030;
    ///   `.corruptWorkbook`, `.noData`, `.tooLarge` for XLSX trouble.
    public static func read(_ data: Data, sheet: String? = nil, delimiter: CSVDelimiter? = nil) throws(LedgerFileError) -> LedgerTable {
        switch FileKind.detect(data) {
        case .empty:
            throw LedgerFileError(.empty, found: "an empty file", reason: "the file is empty (0 bytes)")
        case .other(let what):
            throw LedgerFileError(.notASpreadsheet, found: what,
                                  reason: "the file is \(what), not a spreadsheet; upload an .xlsx workbook or a .csv file")
        case .zip:
            return try XLSXReader.read(data, sheet: sheet)
        case .text:
            return try CSVTableReader.read(data, delimiter: delimiter)
        }
    }
}

import CSV
import Foundation
import SafeGridCore
import XMLCoder
import ZIPFoundation

/// A table to write: one sheet of an export.
public struct LedgerSheet: Sendable {
    /// Sheet name (XLSX): at most 31 characters, without `: \ / ? * [ ]` (replaced by `_`).
    public var name: String
    public var header: [String]
    /// Rows of values; `.date(serial:)` in the 1900 system (use ``LedgerValue/date(_:)`` and
    /// ``LedgerValue/dateTime(_:)``).
    public var rows: [[LedgerValue]]
    /// Column widths in characters (XLSX), or `nil` to estimate from the contents.
    public var columnWidths: [Double]?

    public init(name: String, header: [String], rows: [[LedgerValue]], columnWidths: [Double]? = nil) {
        self.name = name
        self.header = header
        self.rows = rows
        self.columnWidths = columnWidths
    }
}

/// Formula injection (CSV injection, OWASP): a spreadsheet treats a cell that begins with `=`,
/// `+`, `-` or `@` as a formula (`=HYPERLINK(…)`, `=cmd|' /C calc'!A0`), and tab or CR at the
/// start can smuggle one past a check.
public enum FormulaGuard {
    /// `=`, `+`, `-`, `@`, tab, CR (as UTF-8 bytes).
    static let triggers: Set<UInt8> = [0x3D, 0x2B, 0x2D, 0x40, 0x09, 0x0D]

    /// Whether `text` starts with a trigger character.
    public static func isRisky(_ text: String) -> Bool {
        guard let b = text.utf8.first else { return false }
        return triggers.contains(b)
    }

    /// OWASP's neutralisation: a leading apostrophe, so that the cell is text (`=1+2` → `'=1+2`);
    /// other text unchanged. ``CSVTableReader`` removes it again on import.
    public static func neutralise(_ text: String) -> String {
        isRisky(text) ? "'" + text : text
    }
}

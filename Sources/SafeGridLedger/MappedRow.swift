import Foundation

/// One data row read through a header mapping: its cells by ``LedgerField`` and the problems
/// found in it, each naming the row and the column as the file spells it. Both importers
/// (``SubjectImporter``, ``HazardImporter``) read rows through it.
struct MappedRow {
    let row: LedgerRow
    let header: [String]
    let mapping: HeaderMapping
    let system: ExcelDateSystem
    private(set) var problems: [LedgerProblem] = []

    init(_ row: LedgerRow, table: LedgerTable, mapping: HeaderMapping) {
        self.row = row
        self.header = table.header
        self.mapping = mapping
        self.system = table.dateSystem
    }

    /// Records a problem of the row, in `field`'s column (or the row as a whole).
    mutating func problem(_ field: LedgerField?, _ reason: String, _ severity: LedgerProblem.Severity = .error) {
        let index = field.flatMap { mapping[$0] }
        problems.append(LedgerProblem(row: row.number, column: index.map { header[$0] } ?? field?.zh,
                                      columnIndex: index, reason: reason, severity: severity))
    }

    /// The cell of `field`, or empty when the file has no such column.
    func value(_ field: LedgerField) -> LedgerValue {
        guard let i = mapping[field] else { return .empty }
        return row[i].value
    }

    /// The cleaned text of `field` (full-width folded), `nil` when blank.
    func text(_ field: LedgerField) -> String? { LedgerValues.text(value(field), system: system) }

    /// The cleaned text of `field` keeping full-width characters as written (names, addresses,
    /// people: the match key folds them), `nil` when blank.
    func writtenText(_ field: LedgerField) -> String? { LedgerValues.text(value(field), system: system, foldWidth: false) }
}

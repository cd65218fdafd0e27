import Foundation
import SQLKit
import SafeGridCore
import SafeGridLedger
import Vapor

/// Incident ledgers: each valid row's counts stored per area, day and kind, all in one write
/// transaction; a count already stored for the same area, day and kind is replaced (the row is
/// `updated`, with a warning naming the count it replaced), an equal one left `unchanged`.
extension LedgerImport {
    static func incidents(_ table: LedgerTable, areas: [Area], options: Options, app: Application) async throws -> Outcome {
        let now = app.services.now()
        let validated = IncidentImporter.validate(table, areas: areas, options: IncidentImportOptions(today: CalendarDate(shanghai: now)))
        if let e = fileErrors(validated.problems) { throw e }
        var (report, rows) = startReport(table, kind: .incidents, dryRun: options.dryRun, problems: validated.problems,
                                         rejected: validated.rejectedRows)
        let candidates = validated.candidates
        let source: IncidentStore.Source = options.importID == nil ? .command : .ledgerImport

        /// The report rows and the records to write, against what `sql` holds now.
        @Sendable func plan(_ sql: any SQLDatabase) async throws -> (rows: [Int: ImportReport.Row], writes: [IncidentRecord]) {
            guard let first = candidates.map(\.day).min(), let last = candidates.map(\.day).max() else { return ([:], []) }
            let stored = try await IncidentStore(sql: sql).stored(areaCodes: Set(candidates.map(\.areaCode)), from: first, through: last)
            var out: [Int: ImportReport.Row] = [:]
            var writes: [IncidentRecord] = []
            for c in candidates {
                var row = ImportReport.Row(row: c.row, action: "unchanged", subjectId: nil, changed: [], problems: [], areaCode: c.areaCode)
                var created = 0
                for n in c.counts {
                    let record = IncidentRecord(areaCode: c.areaCode, day: c.day, kind: n.kind, count: n.count)
                    switch stored[record.key] {
                    case nil:
                        created += 1
                        writes.append(record)
                    case let old? where old != n.count:
                        row.changed.append(n.kind.zh)
                        row.problems.append(.init(column: nil, reason: "replaces the stored count \(old) of \(n.kind.zh) on \(c.day) in \(c.areaName) with \(n.count)",
                                                  severity: "warning"))
                        writes.append(record)
                    default:
                        break
                    }
                }
                // A row of several kinds that adds one and replaces another is an update.
                if !row.changed.isEmpty { row.action = "updated" } else if created > 0 { row.action = "created" }
                out[c.row] = row
            }
            return (out, writes)
        }

        var planned: [Int: ImportReport.Row] = [:]
        do {
            if options.dryRun {
                planned = try await plan(app.sql).rows
            } else {
                let importID = options.importID
                planned = try await app.writeGate.transaction(on: app.db) { sql in
                    let (rows, writes) = try await plan(sql)
                    try await IncidentStore(sql: sql).put(writes, source: source, importID: importID, at: now)
                    return rows
                }
            }
        } catch {
            // Nothing of the file was written: the transaction rolled back whole.
            let numbers = candidates.map(\.row)
            if let firstRow = numbers.first, let lastRow = numbers.last {
                let reason = "rows \(firstRow)–\(lastRow) were not written (the whole import was rolled back): \(String(describing: error))"
                report.failedBatches.append(reason)
                for c in candidates {
                    planned[c.row] = .init(row: c.row, action: "rejected", subjectId: nil, changed: [],
                                           problems: [.init(column: nil, reason: reason)], areaCode: c.areaCode)
                }
            }
        }
        merge(planned, into: &rows)
        let rejected = finish(&report, rows: rows, table: table)
        return Outcome(report: report, rejected: rejected)
    }
}

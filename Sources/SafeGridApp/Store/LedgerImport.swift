import Crypto
import Foundation
import SQLKit
import SafeGridCore
import SafeGridLedger
import Vapor

/// What a ledger file holds.
enum ImportKind: String, Codable, Sendable, CaseIterable {
    /// 主体台账: enterprises, street shops, rental housing, parks.
    case subjects
    /// 隐患台账: hazards of stored subjects with their found, deadline, rectified days and state.
    case hazards
    /// 警情台账: counts of valid police incidents, fire alarms and traffic accidents per village
    /// or town and day (``IncidentImporter``); a day imported again replaces its counts.
    case incidents
    /// 设备台账: smart fire devices on IoT platforms, bound to subjects (``DeviceImporter``); a
    /// device already registered is matched by platform and serial.
    case devices

    var zh: String {
        switch self {
        case .subjects: "主体台账"
        case .hazards: "隐患台账"
        case .incidents: "警情台账"
        case .devices: "设备台账"
        }
    }
}

/// The answer to an import (dry run or real): per row what happened and why, and the totals.
struct ImportReport: Content {
    struct Problem: Content {
        let column: String?
        /// `"F"`: the spreadsheet column.
        let columnLetters: String?
        let reason: String
        /// `error` (the row is rejected) or `warning`.
        let severity: String

        init(_ p: LedgerProblem) {
            column = p.column
            columnLetters = p.columnLetters
            reason = p.reason
            severity = p.severity.rawValue
        }

        init(column: String?, reason: String, severity: String = "error") {
            self.column = column
            self.columnLetters = nil
            self.reason = reason
            self.severity = severity
        }
    }

    struct Row: Content {
        let row: Int
        /// `created`, `updated`, `unchanged` or `rejected`.
        var action: String
        var subjectId: UUID?
        /// Columns an update changes.
        var changed: [String]
        var problems: [Problem]
        /// The village or town an incident row counts for (incident imports).
        var areaCode: String? = nil
        /// The device a row registered or matched (device imports; `nil` for a new device in a dry run).
        var deviceId: UUID? = nil
    }

    struct Totals: Content {
        var rows = 0
        var created = 0
        var updated = 0
        var unchanged = 0
        var rejected = 0
    }

    /// Stored imports (``ImportsController``) have an id; the rejected rows are downloaded under it.
    var id: UUID?
    let kind: String
    let dryRun: Bool
    /// `xlsx`, or `csv (gb18030, ;)`.
    let format: String
    var totals = Totals()
    /// Problems of the file as a whole (header warnings, unknown columns).
    var fileProblems: [Problem] = []
    var rows: [Row] = []
    /// Batches that failed to write (nothing of them was written); their rows are `rejected`.
    var failedBatches: [String] = []
    var seconds: Double = 0
    var rowsPerSecond: Double = 0
}

/// The write path of ledger (台账) import: from the validated rows of ``SubjectImporter`` and
/// ``HazardImporter`` to stored subjects and hazards, through ``CampaignStore`` in write-gate
/// transactions of ``batchSize`` rows.
///
/// - Subjects are matched by ``SubjectMatchKey`` (credit code, else normalised name + address in
///   the village) against the stored ones: no match → created; a match with other values →
///   updated (name, address, credit code when the stored one is empty, party, phone, location,
///   规上, rooms; the kind and micro-grid are never changed by an import — a different kind
///   rejects the row, a different micro-grid is a warning); equal → unchanged.
///   The micro-grid of a new subject: ``MicroGridChoice``.
/// - Hazards go through ``SubjectLedger`` as the demo's do (inspection per subject and found
///   day, then the actions that bring each hazard to the row's state), so colours, events, hash
///   chain and counters follow the same rules. A hazard is matched by subject, checklist item
///   and found day; a stored one is moved forward to the row's state when it lags behind, else
///   left unchanged. The inspection's client id and the hazards' ids are derived from the
///   rows' content (SHA-256 of subject id, found day and item codes), so a re-import creates
///   nothing new.
/// - Incidents and devices (``DeviceImporter``, checked per row by ``DeviceRegistration``) are
///   written in one transaction each: see `LedgerImport+Incidents.swift`, `LedgerImport+Devices.swift`.
/// - A batch that fails rolls back whole; its rows are reported rejected with the reason and
///   the next batches still run. Re-importing the same file answers every row `unchanged`.
enum LedgerImport {
    /// Rows per write transaction.
    static let batchSize = 1_000
    /// Who the imported events name as actor.
    static let actor = "台账导入"

    struct Options: Sendable {
        var kind: ImportKind
        var dryRun: Bool
        /// Limits village resolution to one town (`--town`); `nil` = all villages in the database.
        var townCode: String?
        /// The importer's jurisdiction: rows naming a village outside it are rejected as unknown,
        /// and only subjects inside it are matched (the command line imports into everything).
        var scope: Jurisdiction = .everything
        /// The id the run's report is stored under (``ImportsController``), kept with the
        /// incident counts it writes; `nil` for the command line, which stores no report.
        var importID: UUID? = nil
    }

    /// The outcome of a run: the report and, when rows were rejected, their sheet.
    struct Outcome: Sendable {
        var report: ImportReport
        var rejected: LedgerSheet?
    }

    /// Reads `data` and imports it.
    /// - Throws: ``DomainError`` `.invalid` on `file` when the file is no spreadsheet, empty, or
    ///   its header lacks a required column (nothing is written then).
    static func run(_ data: Data, options: Options, app: Application) async throws -> Outcome {
        let started = Date()
        let table: LedgerTable
        do throws(LedgerFileError) { table = try LedgerReader.read(data) } catch {
            throw DomainError(.invalid, field: "file", reason: error.reason, extra: ["problem": error.kind.rawValue])
        }
        guard !table.rows.isEmpty else {
            throw DomainError(.invalid, field: "file", reason: "the file has a header (row \(table.headerRowNumber)) but no data rows", extra: ["problem": "noRows"])
        }
        let q = CampaignQueries(sql: app.sql, scope: options.scope)
        var villages = try await q.areas(level: .village)
        if let town = options.townCode {
            villages = villages.filter { $0.code.hasPrefix(town) }
            // An incident ledger may count for a town that has no villages recorded.
            guard !villages.isEmpty || options.kind == .incidents else {
                throw DomainError.invalid("town", "no villages under town code \(town)")
            }
        }
        var outcome: Outcome
        switch options.kind {
        case .subjects: outcome = try await subjects(table, villages: villages, options: options, app: app)
        case .hazards: outcome = try await hazards(table, villages: villages, options: options, app: app)
        case .devices: outcome = try await devices(table, villages: villages, options: options, app: app)
        case .incidents:
            var towns = try await q.areas(level: .town)
            if let town = options.townCode {
                towns = towns.filter { $0.code == town }
                guard !towns.isEmpty else { throw DomainError.invalid("town", "no town with code \(town)") }
            }
            outcome = try await incidents(table, areas: towns + villages, options: options, app: app)
        }
        outcome.report.seconds = Date().timeIntervalSince(started)
        outcome.report.rowsPerSecond = outcome.report.seconds > 0 ? Double(table.rows.count) / outcome.report.seconds : 0
        return outcome
    }

    /// `csv (gb18030, ;)`, `csv (utf8BOM, tab)` or `xlsx (Sheet1)`.
    static func formatText(_ f: LedgerFormat) -> String {
        switch f {
        case .csv(let encoding, let delimiter):
            "csv (\(encoding.rawValue), \(delimiter == .tab ? "tab" : delimiter.rawValue))"
        case .xlsx(let sheet):
            "xlsx (\(sheet))"
        }
    }

    // MARK: Report assembly

    /// Starts a report: every row rejected by validation, with its problems; file problems apart.
    static func startReport(_ table: LedgerTable, kind: ImportKind, dryRun: Bool, problems: [LedgerProblem],
                       rejected: [Int]) -> (ImportReport, [Int: ImportReport.Row]) {
        var r = ImportReport(kind: kind.rawValue, dryRun: dryRun, format: formatText(table.format))
        r.totals.rows = table.rows.count
        var rows: [Int: ImportReport.Row] = [:]
        let rejectedSet = Set(rejected)
        for p in problems {
            guard let n = p.row, n != table.headerRowNumber else { r.fileProblems.append(.init(p)); continue }
            rows[n, default: .init(row: n, action: rejectedSet.contains(n) ? "rejected" : "unchanged", subjectId: nil,
                                   changed: [], problems: [])].problems.append(.init(p))
        }
        for n in rejected where rows[n] == nil {
            rows[n] = .init(row: n, action: "rejected", subjectId: nil, changed: [], problems: [])
        }
        return (r, rows)
    }

    /// The planned rows over the checked ones: each planned row's action, with the problems the
    /// check already found for its row kept ahead of the plan's.
    static func merge(_ planned: [Int: ImportReport.Row], into rows: inout [Int: ImportReport.Row]) {
        for (n, r) in planned {
            var merged = r
            merged.problems = (rows[n]?.problems ?? []) + r.problems
            rows[n] = merged
        }
    }

    static func finish(_ report: inout ImportReport, rows: [Int: ImportReport.Row], table: LedgerTable) -> LedgerSheet? {
        report.rows = rows.values.sorted { $0.row < $1.row }
        var t = ImportReport.Totals()
        t.rows = table.rows.count
        for r in report.rows {
            switch r.action {
            case "created": t.created += 1
            case "updated": t.updated += 1
            case "rejected": t.rejected += 1
            default: t.unchanged += 1
            }
        }
        report.totals = t
        let rejected = report.rows.filter { $0.action == "rejected" }
        guard !rejected.isEmpty else { return nil }
        var problems: [LedgerProblem] = []
        for r in rejected {
            for p in r.problems where p.severity == "error" {
                problems.append(LedgerProblem(row: r.row, column: p.column,
                                              columnIndex: p.columnLetters.flatMap { LedgerTable.columnIndex(letters: Substring($0)) },
                                              reason: p.reason))
            }
        }
        return table.rejectedRows(rejected.map(\.row), problems: problems)
    }

    static func fileErrors(_ problems: [LedgerProblem]) -> DomainError? {
        let errors = problems.filter { $0.row == nil && $0.severity == .error }
        guard !errors.isEmpty else { return nil }
        return DomainError(.invalid, field: "file", reason: errors.map(\.reason).joined(separator: "; "))
    }
}

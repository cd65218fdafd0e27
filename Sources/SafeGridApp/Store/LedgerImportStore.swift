import Foundation
import SQLKit
import SafeGridCore

/// A stored import (a row of `ledger_imports`) as the import pages and API read it.
struct StoredImport: Sendable {
    let report: ImportReport
    let kind: ImportKind
    let dryRun: Bool
    let fileName: String?
    /// Whether the dry run's file is still stored, waiting to be applied.
    let hasFile: Bool
    /// The dry run's `--town`/`town` restriction, applied again when it is applied.
    let townCode: String?
}

/// Writes the `ledger_imports` table: each run's report, its rejected rows and, for a dry run,
/// the file until it is applied.
struct LedgerImportStore {
    let sql: any SQLDatabase

    /// Stores a run's report under `id`, made at `at`; run inside the caller's write transaction.
    /// - Parameters:
    ///   - options: kind, dry run, town and the importer's jurisdiction (kept as `scope_code`,
    ///     `""` for the whole district, which decides who sees the import).
    ///   - appliedFrom: the dry run this run applied; its stored file is dropped first, so a dry
    ///     run is applied once.
    ///   - reportJSON: the ``ImportReport`` as JSON.
    ///   - rejectedCSV, rejectedXLSX: the rejected rows to download, `nil` when none was rejected.
    ///   - file: the uploaded file, kept for a dry run only (`nil` otherwise).
    func save(id: UUID, options: LedgerImport.Options, fileName: String?, appliedFrom: UUID?, at: Date, reportJSON: String,
              rejectedCSV: Data?, rejectedXLSX: Data?, file: Data?) async throws {
        if let appliedFrom {
            try await sql.update("ledger_imports").set("file", to: SQLLiteral.null).where("id", .equal, SQLBind(appliedFrom)).run()
        }
        try await sql.insert(into: "ledger_imports")
            .columns("id", "kind", "dry_run", "file_name", "applied_from", "created_at", "report_json", "rejected_csv", "rejected_xlsx", "file",
                     "scope_code", "town_code")
            .values(SQLBind(id), SQLBind(options.kind.rawValue), SQLBind(options.dryRun), SQLBind(fileName), SQLBind(appliedFrom),
                    SQLBind(at), SQLBind(reportJSON), SQLBind(rejectedCSV), SQLBind(rejectedXLSX), SQLBind(file), SQLBind(options.scope.areaCode),
                    SQLBind(options.townCode))
            .run()
    }
}

/// Stored imports are seen by the accounts whose jurisdiction holds the importer's
/// (`scope_code`: the importer's area; `""` for the command line, seen by district-wide accounts).
extension CampaignQueries {
    /// The import `id` with its report, if inside the scope.
    /// - Throws: when the row or its stored report cannot be read.
    func ledgerImport(_ id: UUID) async throws -> StoredImport? {
        guard let row = try await within(sql.select().columns("kind", "dry_run", "file_name", "report_json", "town_code")
            .column(SQLRaw("CASE WHEN file IS NULL THEN 0 ELSE 1 END"), as: "has_file")
            .from("ledger_imports").where("id", .equal, SQLBind(id)), codeColumn: "scope_code").first()
        else { return nil }
        let report = try JSONDecoder().decode(ImportReport.self, from: Data(try row.decode(column: "report_json", as: String.self).utf8))
        return .init(report: report, kind: ImportKind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .subjects,
                     dryRun: try row.decode(column: "dry_run", as: Bool.self), fileName: try row.decode(column: "file_name", as: String?.self),
                     hasFile: try row.decode(column: "has_file", as: Int.self) != 0,
                     townCode: try row.decode(column: "town_code", as: String?.self))
    }

    /// The file a dry run stored (the bytes uploaded), if inside the scope and not applied yet.
    func ledgerImportFile(_ id: UUID) async throws -> Data? {
        try await within(sql.select().column("file").from("ledger_imports").where("id", .equal, SQLBind(id)), codeColumn: "scope_code")
            .first()?
            .decode(column: "file", as: Data?.self)
    }

    /// The rejected rows of an import as CSV (`csv`) or XLSX, if inside the scope and any row
    /// was rejected.
    func ledgerImportRejected(_ id: UUID, csv: Bool) async throws -> Data? {
        let column = csv ? "rejected_csv" : "rejected_xlsx"
        return try await within(sql.select().column(SQLIdentifier(column)).from("ledger_imports").where("id", .equal, SQLBind(id)),
                                codeColumn: "scope_code").first()?
            .decode(column: column, as: Data?.self)
    }
}

import Fluent
import SQLKit

/// 005: ledger imports (``LedgerImport``): each run's report (JSON), its rejected rows as CSV and
/// XLSX to download, fix and upload again, and — for a dry run — the uploaded file, so that the
/// upload page can apply what it showed without a second upload.
struct CreateLedgerImports: AsyncMigration {
    var name: String { "005_CreateLedgerImports" }

    func prepare(on database: any Database) async throws {
        try await database.schema("ledger_imports")
            .id()
            .field("kind", .string, .required)
            .field("dry_run", .bool, .required)
            .field("file_name", .string)
            // The dry run this run applied, if any.
            .field("applied_from", .uuid)
            .field("created_at", .datetime, .required)
            .field("report_json", .string, .required)
            .field("rejected_csv", .data)
            .field("rejected_xlsx", .data)
            // Dry runs only; cleared when applied.
            .field("file", .data)
            // The importer's jurisdiction (area code; "" for the command line).
            .field("scope_code", .string, .required)
            // The run's town restriction (`town`), kept for applying a dry run.
            .field("town_code", .string)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("ledger_imports").delete()
    }
}

import Foundation
import SafeGridCore
import SafeGridLedger
import Vapor

/// `safegrid import FILE [--kind subjects|hazards|incidents|devices] [--dry-run] [--rejected OUT.csv|OUT.xlsx] [--town CODE]`:
/// imports a ledger (``LedgerImport``) into the configured database and prints the totals,
/// rows per second and each row's problems (row, column, reason).
struct ImportCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "file", help: "the .xlsx or .csv ledger")
        var file: String
        @Option(name: "kind", help: "subjects (default), hazards, incidents or devices")
        var kind: String?
        @Flag(name: "dry-run", help: "report what would happen, write nothing")
        var dryRun: Bool
        @Option(name: "rejected", help: "write the rejected rows (with a 导入问题 column) to this .csv or .xlsx file")
        var rejected: String?
        @Option(name: "town", help: "resolve village names within this town code only (e.g. 330109113)")
        var town: String?
        init() {}
    }

    var help: String { "Import a subject, hazard, incident or device ledger (XLSX/CSV); prints created/updated/unchanged/rejected and each row's problems" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let kind = ImportKind(rawValue: signature.kind ?? "subjects")
        guard let kind else { throw Abort(.badRequest, reason: "--kind must be subjects, hazards, incidents or devices, not \(signature.kind ?? "")") }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: signature.file)) } catch {
            throw Abort(.badRequest, reason: "cannot read \(signature.file): \(error.localizedDescription)")
        }
        let outcome: LedgerImport.Outcome
        do {
            outcome = try await LedgerImport.run(data, options: .init(kind: kind, dryRun: signature.dryRun, townCode: signature.town), app: app)
        } catch let e as DomainError {
            context.console.error("\(signature.file): \(e.reason)")
            throw e
        }
        let r = outcome.report
        for p in r.fileProblems { context.console.print("file: \(p.column.map { "\($0): " } ?? "")\(p.reason)") }
        for row in r.rows {
            for p in row.problems {
                let where_ = p.column.map { c in "\(c)\(p.columnLetters.map { " (\($0))" } ?? "")" } ?? "-"
                context.console.print("row \(row.row) \(row.action) \(p.severity) \(where_): \(p.reason)")
            }
        }
        for f in r.failedBatches { context.console.error(f) }
        let t = r.totals
        context.console.print(String(format: "%@%@ %@: %d rows — %d created, %d updated, %d unchanged, %d rejected in %.2f s (%.0f rows/s)",
                                     signature.dryRun ? "dry run, nothing written: " : "", kind.zh, kind.rawValue, t.rows, t.created, t.updated,
                                     t.unchanged, t.rejected, r.seconds, r.rowsPerSecond))
        if let out = signature.rejected {
            guard let sheet = outcome.rejected else {
                context.console.print("no rejected rows; \(out) not written")
                return
            }
            let bytes = out.lowercased().hasSuffix(".xlsx") ? try XLSXWriter.write([sheet]) : try CSVTableWriter.write(sheet)
            try bytes.write(to: URL(fileURLWithPath: out))
            context.console.print("rejected rows written to \(out)")
        }
    }
}

import Foundation
import SafeGridCore
import SafeGridLedger
import Vapor

/// `/api/v1/imports`: ledger (台账) import over HTTP. The file is the raw request body (up to
/// 64 MB); `kind=subjects|hazards|incidents|devices`, `dryRun=true|false` (default false), `fileName` (shown in
/// the report). The answer is the ``ImportReport`` — per row its number, action and problems
/// (column and reason) and the totals — stored in `ledger_imports` (migration 005) under its
/// `id`, with the rejected rows downloadable as CSV or XLSX to fix and upload again.
/// A file that cannot be read or lacks a required column answers 422 naming the reason, and
/// nothing is written.
enum ImportsController {
    /// The largest file taken, as the request body (here and on the `/imports` page).
    static let maxSize: ByteCount = "64mb"

    static func options(_ req: Request) throws -> LedgerImport.Options {
        let kind: ImportKind = try Input.enumValue(req.query[String.self, at: "kind"] ?? "subjects", "kind")
        let dryRun: Bool
        switch req.query[String.self, at: "dryRun"] {
        case nil, "", "false": dryRun = false
        case "true": dryRun = true
        case let other?: throw DomainError.invalid("dryRun", "dryRun must be true or false, got \(other)")
        }
        let town = req.query[String.self, at: "town"].flatMap { $0.isEmpty ? nil : $0 }
        return LedgerImport.Options(kind: kind, dryRun: dryRun, townCode: town, scope: req.jurisdiction)
    }

    static func create(_ req: Request) async throws -> Response {
        let options = try options(req)
        guard let buffer = req.body.data, buffer.readableBytes > 0 else {
            throw DomainError.invalid("file", "the request body is empty; send the .xlsx or .csv file as the body")
        }
        let data = Data(buffer: buffer)
        let report = try await runAndStore(data, options: options, fileName: req.query[String.self, at: "fileName"], app: req.application)
        return try Response.json(report, status: options.dryRun ? .ok : .created)
    }

    /// Runs an import and stores its report (and, for a dry run, the file).
    static func runAndStore(_ data: Data, options: LedgerImport.Options, fileName: String?, appliedFrom: UUID? = nil,
                            app: Application) async throws -> ImportReport {
        let id = UUID()
        var withID = options
        withID.importID = id
        let options = withID
        let outcome = try await LedgerImport.run(data, options: options, app: app)
        var report = outcome.report
        report.id = id
        let json = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
        let csv = try outcome.rejected.map { try CSVTableWriter.write($0) }
        let xlsx = try outcome.rejected.map { try XLSXWriter.write([$0]) }
        let now = app.services.now()
        let file = options.dryRun ? data : nil
        try await app.writeGate.transaction(on: app.db, changesCampaign: false) { sql in
            try await LedgerImportStore(sql: sql).save(id: id, options: options, fileName: fileName, appliedFrom: appliedFrom, at: now,
                                                       reportJSON: json, rejectedCSV: csv, rejectedXLSX: xlsx, file: file)
        }
        return report
    }

    static func load(_ req: Request) async throws -> (UUID, StoredImport) {
        let id = try Input.uuid(req.parameters.get("id"), "id", kind: .notFound)
        guard let row = try await req.queries.ledgerImport(id) else {
            throw DomainError(.notFound, field: "id", reason: "no import \(id)")
        }
        return (id, row)
    }

    static func show(_ req: Request) async throws -> Response {
        try Response.json(try await load(req).1.report)
    }

    /// `POST /api/v1/imports/{id}/apply`: applies the file of a stored dry run (once).
    static func apply(_ req: Request) async throws -> Response {
        let report = try await applyStored(req)
        return try Response.json(report, status: .created)
    }

    static func applyStored(_ req: Request) async throws -> ImportReport {
        let (id, stored) = try await load(req)
        guard stored.dryRun, let file = try await req.queries.ledgerImportFile(id) else {
            throw DomainError(.conflict, field: "id", reason: "import \(id) is not a dry run waiting to be applied (already applied, or a real run)")
        }
        // Applied by the person applying it, inside their jurisdiction (which holds the dry run's,
        // or they could not see it), and with the dry run's town.
        return try await runAndStore(file, options: .init(kind: stored.kind, dryRun: false, townCode: stored.townCode, scope: req.jurisdiction),
                                     fileName: stored.fileName, appliedFrom: id, app: req.application)
    }

    static func rejected(_ req: Request, csv: Bool) async throws -> Response {
        let (id, _) = try await load(req)
        guard let data = try await req.queries.ledgerImportRejected(id, csv: csv) else {
            throw DomainError(.notFound, field: "id", reason: "import \(id) rejected no rows")
        }
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .contentType, value: csv ? "text/csv; charset=utf-8"
                                                            : "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        let ext = csv ? "csv" : "xlsx"
        headers.replaceOrAdd(name: .contentDisposition, value: ExportsController.contentDisposition(
            ("未导入-\(id.uuidString.lowercased().prefix(8)).\(ext)", "rejected-\(id.uuidString.lowercased().prefix(8)).\(ext)")))
        return Response(status: .ok, headers: headers, body: .init(data: data))
    }
}

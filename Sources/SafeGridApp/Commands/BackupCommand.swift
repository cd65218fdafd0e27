import Foundation
import Synchronization
import SQLKit
import Vapor

/// The SQLite file this process serves, when it serves one (for `/readyz`).
struct SQLiteFileKey: StorageKey { typealias Value = String }

/// Health checks, request ids and backups.
enum Operations {
    /// `GET /healthz`: the process answers.
    static func health(_ req: Request) -> Response {
        (try? Response.json(["status": "ok"])) ?? Response(status: .ok)
    }

    /// `GET /readyz`: the database answers and is migrated (a checklist is published); 503 otherwise.
    static func ready(_ req: Request) async -> Response {
        if let path = req.application.storage[SQLiteFileKey.self], !FileManager.default.fileExists(atPath: path) {
            return (try? Response.json(["status": "database file missing: \(path)"], status: .serviceUnavailable)) ?? Response(status: .serviceUnavailable)
        }
        do {
            let n = try await OperationsStore(sql: req.sql).publishedChecklists()
            guard n > 0 else { return (try? Response.json(["status": "not migrated"], status: .serviceUnavailable)) ?? Response(status: .serviceUnavailable) }
            return (try? Response.json(["status": "ready"])) ?? Response(status: .ok)
        } catch {
            req.logger.report(error: error)
            return (try? Response.json(["status": "database unavailable"], status: .serviceUnavailable)) ?? Response(status: .serviceUnavailable)
        }
    }
}

/// `safegrid backup PATH`: a consistent copy of the SQLite database while the server runs
/// (`VACUUM INTO`, SQLite ≥ 3.27). For PostgreSQL use `pg_dump --format=custom` (see README).
struct BackupCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "path", help: "Where to write the copy (must not exist)")
        var path: String
        init() {}
    }

    var help: String { "Write a consistent online copy of the SQLite database" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let sql = context.application.sql
        guard sql.dialect.name == "sqlite" else {
            throw Abort(.badRequest, reason: "backup copies SQLite files; for PostgreSQL run pg_dump --format=custom")
        }
        guard !signature.path.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw Abort(.badRequest, reason: "give the path of the copy, e.g. safegrid backup data/backup-2026-11-30.sqlite")
        }
        guard !FileManager.default.fileExists(atPath: signature.path) else {
            throw Abort(.conflict, reason: "\(signature.path) exists; choose a new file")
        }
        let started = Date()
        try await OperationsStore(sql: sql).copySQLite(to: signature.path)
        let size = (try? FileManager.default.attributesOfItem(atPath: signature.path)[.size] as? Int) ?? 0
        context.console.print(String(format: "backup written to %@ (%.1f MB) in %.1f s", signature.path,
                                     Double(size) / 1_048_576, Date().timeIntervalSince(started)))
    }
}

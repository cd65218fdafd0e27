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
            let n = try await req.sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("checklists")
                .first()?.decode(column: "n", as: Int.self) ?? 0
            guard n > 0 else { return (try? Response.json(["status": "not migrated"], status: .serviceUnavailable)) ?? Response(status: .serviceUnavailable) }
            return (try? Response.json(["status": "ready"])) ?? Response(status: .ok)
        } catch {
            req.logger.report(error: error)
            return (try? Response.json(["status": "database unavailable"], status: .serviceUnavailable)) ?? Response(status: .serviceUnavailable)
        }
    }
}

/// Echoes the request id (Vapor's, or the caller's `X-Request-Id`) in the response, so a user's
/// report can be matched with the log lines, which carry it as `request-id`.
struct RequestIDMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        // A caller's id is kept when it is a sane token (≤ 128 printable ASCII characters);
        // anything else is replaced, so logs and answers never carry pasted junk.
        var id = request.id
        if id.count > 128 || !id.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 32 && $0.value < 127 }) {
            id = UUID().uuidString
            request.logger[metadataKey: "request-id"] = .string(id)
        }
        InFlight.shared.enter()
        defer { InFlight.shared.leave() }
        let response = try await next.respond(to: request)
        response.headers.replaceOrAdd(name: "X-Request-Id", value: id)
        return response
    }
}

/// Requests being handled in this process: on SIGTERM the server stops accepting, and the
/// process waits for these to finish before it closes the database (a handler that touched the
/// database after it closed would crash the process).
final class InFlight: Sendable {
    static let shared = InFlight()
    private let count = Atomic<Int>(0)

    func enter() { count.add(1, ordering: .relaxed) }
    func leave() { count.subtract(1, ordering: .relaxed) }
    var current: Int { count.load(ordering: .relaxed) }

    /// Waits until no request is in flight, at most `timeout` seconds.
    func drain(timeout: Double) async {
        let deadline = ContinuousClock.now + .milliseconds(Int64(timeout * 1000))
        while current > 0, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
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
        try await sql.raw("VACUUM INTO \(bind: signature.path)").run()
        let size = (try? FileManager.default.attributesOfItem(atPath: signature.path)[.size] as? Int) ?? 0
        context.console.print(String(format: "backup written to %@ (%.1f MB) in %.1f s", signature.path,
                                     Double(size) / 1_048_576, Date().timeIntervalSince(started)))
    }
}

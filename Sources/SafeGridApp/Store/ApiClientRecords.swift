import Foundation
import SQLKit

/// The keys of other platforms as the command line lists and revokes them, and the log of
/// permit checks (`clearance_calls`) made with them.
extension ApiClients {
    /// An `api_clients` row as `safegrid apikey list` shows it (never the key's hash).
    struct Listed: Sendable {
        let name: String
        /// Comma-separated, as stored: `open311,clearance`.
        let scopes: String
        let createdAt: Date
        let revokedAt: Date?
    }

    /// Every client, revoked ones included, oldest first.
    /// - Throws: when a row cannot be read (the command stops; nothing is skipped).
    static func all(sql: any SQLDatabase) async throws -> [Listed] {
        try await sql.select().columns("name", "scopes", "created_at", "revoked_at").from("api_clients").orderBy("created_at").all()
            .map { r in
                Listed(name: try r.decode(column: "name", as: String.self), scopes: try r.decode(column: "scopes", as: String.self),
                       createdAt: try r.decode(column: "created_at", as: Date.self),
                       revokedAt: try r.decode(column: "revoked_at", as: Date?.self))
            }
    }

    /// Revokes at `at` every live (not yet revoked) client called `name`; run inside the
    /// caller's write transaction so the read and the update see the same rows.
    /// - Returns: how many keys were revoked (0 when none was live).
    static func revoke(named name: String, sql: any SQLDatabase, at: Date) async throws -> Int {
        let ids = try await sql.select().column("id").from("api_clients").where("name", .equal, SQLBind(name))
            .where("revoked_at", .is, SQLLiteral.null).all().map { try $0.decode(column: "id", as: UUID.self) }
        guard !ids.isEmpty else { return 0 }
        try await sql.update("api_clients").set("revoked_at", to: SQLBind(at)).where("id", .in, SQLBind.group(ids)).run()
        return ids.count
    }

    /// Logs one permit check (a row of `clearance_calls`).
    /// - Parameters:
    ///   - client: the `api_clients` id of the key that asked.
    ///   - query: what was asked, as shown in the log (`creditCode=…`, `subjectId=…` or `-`).
    ///   - subject: the subject found, `nil` when none was (bad or unknown code).
    ///   - result: `passed`, `blocked`, `invalid` or `unknown`.
    ///   - openHazards: the blocking hazards counted (0 without a subject).
    static func logClearanceCall(sql: any SQLDatabase, client: UUID, query: String, subject: UUID?, result: String,
                                 openHazards: Int, at: Date) async throws {
        try await sql.insert(into: "clearance_calls")
            .columns("api_client_id", "query", "subject_id", "result", "open_hazards", "called_at")
            .values(SQLBind(client), SQLBind(query), SQLBind(subject), SQLBind(result), SQLBind(openHazards), SQLBind(at)).run()
    }
}

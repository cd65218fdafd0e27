import Foundation
import SQLKit

/// The `auth_sessions` table: bearer tokens and web sessions, stored only as the SHA-256 of
/// their token (``AuthSessions/digest(_:)``), so a copy of the database signs nobody in.
extension AccountStore {
    /// Stores `session` under the SHA-256 of its token, made at `now`.
    func insertSession(_ session: SignedIn, tokenSHA256: String, at now: Date) async throws {
        try await sql.insert(into: "auth_sessions")
            .columns("id", "token_sha256", "user_id", "kind", "csrf_token", "created_at", "expires_at")
            .values(SQLBind(session.sessionID), SQLBind(tokenSHA256), SQLBind(session.account.id), SQLBind(session.kind),
                    SQLBind(session.csrfToken), SQLBind(now), SQLBind(session.expiresAt))
            .run()
    }

    /// The session stored under `tokenSHA256` with its account, if it is live at `now`: not
    /// revoked, not expired, and its account active; `nil` otherwise.
    /// - Throws: when the row (session or account) cannot be read.
    func liveSession(tokenSHA256: String, now: Date) async throws -> SignedIn? {
        guard let row = try await sql.select()
            .column(SQLColumn("id", table: "auth_sessions"), as: "session_id")
            .column(SQLColumn("kind", table: "auth_sessions"))
            .column(SQLColumn("csrf_token", table: "auth_sessions"))
            .column(SQLColumn("expires_at", table: "auth_sessions"))
            .column(SQLColumn("created_at", table: "auth_sessions"), as: "session_created_at")
            .columns(Self.userColumns.map { SQLColumn($0, table: "users") })
            .from("auth_sessions")
            .join("users", on: SQLColumn("user_id", table: "auth_sessions"), .equal, SQLColumn("id", table: "users"))
            .where(SQLColumn("token_sha256", table: "auth_sessions"), .equal, SQLBind(tokenSHA256))
            .where(SQLColumn("revoked_at", table: "auth_sessions"), .is, SQLLiteral.null)
            .where(SQLColumn("expires_at", table: "auth_sessions"), .greaterThan, SQLBind(now))
            .where(SQLColumn("active", table: "users"), .equal, SQLLiteral.boolean(true))
            .first()
        else { return nil }
        return SignedIn(account: try Self.account(row), sessionID: try row.decode(column: "session_id", as: UUID.self),
                        kind: try row.decode(column: "kind", as: String.self),
                        csrfToken: try row.decode(column: "csrf_token", as: String.self),
                        expiresAt: try row.decode(column: "expires_at", as: Date.self),
                        createdAt: try row.decode(column: "session_created_at", as: Date.self))
    }

    /// Moves the expiry of session `id` to `until` (a web session renewed while in use), unless
    /// it was revoked meanwhile.
    func extendSession(_ id: UUID, until: Date) async throws {
        try await sql.update("auth_sessions").set("expires_at", to: SQLBind(until))
            .where("id", .equal, SQLBind(id)).where("revoked_at", .is, SQLLiteral.null).run()
    }

    /// Marks the session `id` revoked at `now` (signing out, revoking a token); revoking it
    /// again moves the instant.
    func revokeSession(_ id: UUID, at now: Date) async throws {
        try await sql.update("auth_sessions").set("revoked_at", to: SQLBind(now)).where("id", .equal, SQLBind(id)).run()
    }
}

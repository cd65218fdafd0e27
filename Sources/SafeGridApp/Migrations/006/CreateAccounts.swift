import Fluent
import SQLKit

/// 006: people — accounts with a role and a home area, their sign-in sessions (web
/// cookies and API bearer tokens, both stored only as SHA-256), failed sign-ins per user name
/// (``LoginThrottle``), and the log of permit-system clearance queries.
struct CreateAccounts: AsyncMigration {
    var name: String { "006_CreateAccounts" }

    func prepare(on database: any Database) async throws {
        try await database.schema("users")
            .id()
            .field("username", .string, .required)
            .field("display_name", .string, .required)
            // Bcrypt (`$2b$`, cost 12; 4 in tests).
            .field("password_hash", .string, .required)
            .field("role", .string, .required)
            .field("area_code", .string, .required, .references("areas", "code"))
            .field("department", .string)
            .field("phone", .string)
            .field("active", .bool, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "username")
            .create()
        try await database.schema("auth_sessions")
            .id()
            // SHA-256 (hex) of the token or cookie value; the value itself is given out once.
            .field("token_sha256", .string, .required)
            .field("user_id", .uuid, .required, .references("users", "id"))
            // `api` (bearer token) or `web` (session cookie).
            .field("kind", .string, .required)
            // The session's anti-forgery token (forms' `_csrf`, scripts' `X-CSRF-Token`).
            .field("csrf_token", .string, .required)
            .field("created_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .field("revoked_at", .datetime)
            .unique(on: "token_sha256")
            .create()
        try await database.schema("login_failures")
            .field("username", .string, .identifier(auto: false))
            .field("failures", .int, .required)
            .field("first_failure_at", .datetime, .required)
            .field("last_failure_at", .datetime, .required)
            .create()
        try await database.schema("clearance_calls")
            .field("seq", .int64, .identifier(auto: true))
            .field("api_client_id", .uuid, .required, .references("api_clients", "id"))
            // What was asked: `creditCode=…` or `subjectId=…`.
            .field("query", .string, .required)
            .field("subject_id", .uuid)
            // `passed`, `blocked` or `unknown`.
            .field("result", .string, .required)
            .field("open_hazards", .int, .required)
            .field("called_at", .datetime, .required)
            .create()
        if let sql = database as? any SQLDatabase {
            try await sql.create(index: "auth_sessions_user").on("auth_sessions").column("user_id").run()
            try await sql.create(index: "users_area").on("users").column("area_code").run()
        }
    }

    func revert(on database: any Database) async throws {
        for table in ["clearance_calls", "login_failures", "auth_sessions", "users"] {
            try await database.schema(table).delete()
        }
    }
}

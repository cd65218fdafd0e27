import Fluent
import SQLKit

/// 004: data exchange — API clients of other platforms (四平台, 沥家园, licensing systems) with
/// hashed keys, and the service requests they report through Open311 GeoReport v2.
struct CreateExchange: AsyncMigration {
    var name: String { "004_CreateExchange" }

    func prepare(on database: any Database) async throws {
        try await database.schema("api_clients")
            .id()
            .field("name", .string, .required)
            // SHA-256 (hex) of the key; the key itself is shown once, when made.
            .field("key_sha256", .string, .required)
            // Comma-separated: `open311` (report service requests).
            .field("scopes", .string, .required)
            .field("created_at", .datetime, .required)
            .field("revoked_at", .datetime)
            .unique(on: "key_sha256")
            .create()

        try await database.schema("service_requests")
            .id()
            .field("token", .string, .required)
            .field("api_client_id", .uuid, .required, .references("api_clients", "id"))
            // SHA-256 of the client and its parameters: a repeated POST answers the first request.
            .field("request_hash", .string, .required)
            .field("service_code", .string, .required)
            .field("description", .string)
            .field("latitude", .double)
            .field("longitude", .double)
            .field("address", .string)
            .field("first_name", .string)
            .field("last_name", .string)
            .field("email", .string)
            .field("phone", .string)
            .field("device_id", .string)
            .field("account_id", .string)
            .field("media_url", .string)
            .field("status", .string, .required)
            .field("status_notes", .string)
            .field("town_code", .string)
            .field("requested_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "token")
            .unique(on: "api_client_id", "request_hash")
            .create()
        if let sql = database as? any SQLDatabase {
            try await sql.create(index: "service_requests_requested").on("service_requests").column("requested_at").run()
        }
    }

    func revert(on database: any Database) async throws {
        try await database.schema("service_requests").delete()
        try await database.schema("api_clients").delete()
    }
}

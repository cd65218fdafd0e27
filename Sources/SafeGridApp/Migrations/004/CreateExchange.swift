import Fluent
import SQLKit

/// 004: data exchange — API clients of other platforms (四平台, 沥家园, licensing systems) with
/// hashed keys, the service requests they report through Open311 GeoReport v2, and the
/// subscriptions and delivery log of outgoing webhooks (``Webhooks``).
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
        // Outgoing webhooks: each subscriber receives the change feed from its cursor on.
        try await database.schema("webhook_subscriptions")
            .id()
            .field("url", .string, .required)
            // HMAC-SHA256 key of the `X-SafeGrid-Signature` header; shown once, when made.
            .field("secret", .string, .required)
            // The last hazard event `seq` the subscriber acknowledged (2xx).
            .field("cursor", .int64, .required)
            .field("active", .bool, .required)
            .field("failures", .int, .required)
            .field("next_attempt_at", .datetime, .required)
            .field("lease_until", .datetime)
            .field("last_error", .string)
            .field("created_at", .datetime, .required)
            .create()
        try await database.schema("webhook_deliveries")
            .field("seq", .int64, .identifier(auto: true))
            .field("subscription_id", .uuid, .required, .references("webhook_subscriptions", "id"))
            .field("delivery_id", .uuid, .required)
            .field("first_seq", .int64, .required)
            .field("last_seq", .int64, .required)
            .field("events", .int, .required)
            .field("status", .int)
            .field("error", .string)
            .field("attempted_at", .datetime, .required)
            .field("duration_ms", .int, .required)
            .create()
        if let sql = database as? any SQLDatabase {
            try await sql.create(index: "service_requests_requested").on("service_requests").column("requested_at").run()
            try await sql.create(index: "webhook_deliveries_subscription").on("webhook_deliveries").column("subscription_id").column("seq").run()
        }
    }

    func revert(on database: any Database) async throws {
        try await database.schema("webhook_deliveries").delete()
        try await database.schema("webhook_subscriptions").delete()
        try await database.schema("service_requests").delete()
        try await database.schema("api_clients").delete()
    }
}

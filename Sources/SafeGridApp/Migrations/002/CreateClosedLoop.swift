import Fluent
import SQLKit

/// 002: the closed loop — on-site signatures, the SMS outbox (one row per message and per
/// recipient), rectification evidence, the grid workers (网格员, one per grid, for overdue alerts, until
/// accounts exist) and the server's secrets (token signing key).
struct CreateClosedLoop: AsyncMigration {
    var name: String { "002_CreateClosedLoop" }

    func prepare(on database: any Database) async throws {
        try await database.schema("signatures")
            .field("inspection_id", .uuid, .identifier(auto: false), .references("inspections", "id"))
            .field("notice_number", .string, .required)
            .field("signer_name", .string, .required)
            .field("signer_phone", .string, .required)
            .field("signed_at", .datetime, .required)
            .field("latitude", .double)
            .field("longitude", .double)
            .field("datum", .string)
            .field("image_png", .data, .required)
            .field("image_sha256", .string, .required)
            /// SHA-256 of the canonical inspection record signed (items, hazards, deadlines).
            .field("record_sha256", .string, .required)
            /// SHA-256 binding the record hash, the signer, the time, the position and the image.
            .field("seal_sha256", .string, .required)
            .field("recorded_at", .datetime, .required)
            .unique(on: "notice_number")
            .create()

        try await database.schema("messages")
            .id()
            .field("kind", .string, .required)
            .field("subject_id", .uuid, .references("subjects", "id"))
            .field("inspection_id", .uuid)
            .field("hazard_id", .uuid)
            .field("body", .string, .required)
            .field("segments", .int, .required)
            // One message per purpose (e.g. `notice:<inspection>`, `reminder:<hazard>:<due>`).
            .field("dedupe_key", .string, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "dedupe_key")
            .create()

        try await database.schema("message_recipients")
            .id()
            .field("message_id", .uuid, .required, .references("messages", "id"))
            .field("phone", .string, .required)
            // queued → sending → sent → delivered, or failed (with last_error); attempts counted.
            .field("state", .string, .required)
            .field("attempts", .int, .required)
            .field("next_attempt_at", .datetime, .required)
            .field("lease_until", .datetime)
            .field("last_error", .string)
            .field("provider", .string)
            .field("provider_message_id", .string)
            .field("sent_at", .datetime)
            .field("delivered_at", .datetime)
            .field("updated_at", .datetime, .required)
            .unique(on: "message_id", "phone")
            .create()

        try await database.schema("evidence")
            .id()
            .field("hazard_id", .uuid, .required, .references("hazards", "id"))
            .field("subject_id", .uuid, .required, .references("subjects", "id"))
            .field("content_type", .string, .required)
            .field("byte_count", .int, .required)
            .field("sha256", .string, .required)
            // EXIF orientation 1…8 (1 = upright) when the image carries one.
            .field("orientation", .int)
            .field("data", .data, .required)
            .field("note", .string)
            .field("uploaded_at", .datetime, .required)
            .unique(on: "hazard_id", "sha256")
            .create()

        try await database.schema("grid_workers")
            .field("grid_code", .string, .identifier(auto: false), .references("areas", "code"))
            .field("name", .string, .required)
            .field("phone", .string, .required)
            .create()

        try await database.schema("app_secrets")
            .field("name", .string, .identifier(auto: false))
            .field("value", .string, .required)
            .create()

        guard let sql = database as? any SQLDatabase else { return }
        for (name, table, columns) in [
            ("recipients_due", "message_recipients", ["state", "next_attempt_at"]),
            ("recipients_message", "message_recipients", ["message_id"]),
            ("messages_subject", "messages", ["subject_id", "created_at"]),
            ("evidence_hazard", "evidence", ["hazard_id"]),
        ] {
            var builder = sql.create(index: name).on(table)
            for column in columns { builder = builder.column(column) }
            try await builder.run()
        }
    }

    func revert(on database: any Database) async throws {
        for table in ["app_secrets", "grid_workers", "evidence", "message_recipients", "messages", "signatures"] {
            try await database.schema(table).delete()
        }
    }
}

import Fluent
import SQLKit

/// 015: residents' reports (沥家园 and Open311 clients), their photos, the hazards their
/// verification found, and the one-time codes that prove a resident's mobile
/// (``ResidentReportStore``).
///
/// A report keeps the area columns of where it was routed, as `subjects` and `hazards` do, so
/// jurisdiction and a worker's list read it by index. A report nothing could place (no
/// position near a subject, no village in its address) keeps only its town: the town's staff
/// see it, no grid worker does. Open311 reports keep their request in `service_requests` too
/// (its client, idempotency hash and GeoReport fields), under the same id; this table is where
/// their state lives.
struct CreateResidentReports: AsyncMigration {
    var name: String { "015_CreateResidentReports" }

    func prepare(on database: any Database) async throws {
        try await database.schema("resident_reports")
            .id()
            // `page` (the residents' page) or `open311`.
            .field("channel", .string, .required)
            // The resident's tracking token (Open311: the request's token).
            .field("token", .string, .required)
            .field("service_code", .string, .required)
            // The hazard category of the item (``HazardCategory`` raw value), for "is it this one?".
            .field("category", .string, .required)
            .field("description", .string)
            // WGS-84, as phones and Open311 give it.
            .field("latitude", .double)
            .field("longitude", .double)
            .field("address", .string)
            .field("town_code", .string, .required)
            .field("village_code", .string)
            .field("grid_code", .string)
            .field("micro_grid_code", .string)
            // The subject it is about, when a position lay within 30 m of one or a worker chose it.
            .field("subject_id", .uuid, .references("subjects", "id"))
            .field("reporter_name", .string)
            // The verified mobile (11 digits), NULL when anonymous.
            .field("reporter_phone", .string)
            .field("anonymous", .bool, .required)
            // The network address it came from (per-address limits); never shown.
            .field("client_address", .string)
            // ``ResidentReportState`` raw value.
            .field("state", .string, .required)
            // For `added`: the report this one was added to.
            .field("added_to", .uuid, .references("resident_reports", "id"))
            .field("received_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .field("verified_at", .datetime)
            .field("verified_by", .string)
            .field("inspection_id", .uuid, .references("inspections", "id"))
            .field("dismissed_at", .datetime)
            .field("dismissed_by", .string)
            .field("dismiss_reason", .string)
            .field("duplicate_of", .uuid, .references("resident_reports", "id"))
            .field("note", .string)
            .field("rectified_at", .datetime)
            // When the village officer was alerted that it waited more than 24 hours.
            .field("alerted_at", .datetime)
            .unique(on: "token")
            .create()
        try await database.schema("resident_report_photos")
            .field("report_id", .uuid, .required, .references("resident_reports", "id"))
            .field("position", .int, .required)
            .field("content_type", .string, .required)
            // The photo without its metadata (``ImageMetadata``); the EXIF time and position it
            // carried are kept below, for staff only.
            .field("data", .data, .required)
            .field("sha256", .string, .required)
            .field("taken_at", .datetime)
            .field("latitude", .double)
            .field("longitude", .double)
            .compositeIdentifier(over: "report_id", "position")
            .create()
        // The hazards the verifying inspection found or linked: the report is rectified with them.
        try await database.schema("resident_report_hazards")
            .field("report_id", .uuid, .required, .references("resident_reports", "id"))
            .field("hazard_id", .uuid, .required, .references("hazards", "id"))
            .compositeIdentifier(over: "report_id", "hazard_id")
            .create()
        // Every state a report reaches, in commit order: the reports' change feed for other
        // platforms (沥家园), read from a cursor like the hazards' feed.
        try await database.schema("resident_report_events")
            .field("seq", .int64, .identifier(auto: true))
            .field("report_id", .uuid, .required, .references("resident_reports", "id"))
            .field("town_code", .string, .required)
            .field("state", .string, .required)
            .field("at", .datetime, .required)
            .create()
        try await database.schema("resident_codes")
            .id()
            .field("phone", .string, .required)
            // SHA-256 of the phone and the code, hex: the code itself is only in the SMS.
            .field("code_hash", .string, .required)
            .field("client_address", .string)
            .field("created_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .field("attempts", .int, .required)
            .field("used_at", .datetime)
            .create()
        if let sql = database as? any SQLDatabase {
            for (name, columns) in [("resident_reports_micro_grid", ["micro_grid_code", "state"]),
                                    ("resident_reports_grid", ["grid_code", "state"]),
                                    ("resident_reports_village", ["village_code", "received_at"]),
                                    ("resident_reports_town", ["town_code", "received_at"]),
                                    ("resident_reports_state", ["state", "received_at"]),
                                    ("resident_reports_phone", ["reporter_phone", "received_at"]),
                                    ("resident_reports_address", ["client_address", "received_at"]),
                                    ("resident_reports_subject", ["subject_id"]),
                                    ("resident_reports_position", ["latitude", "longitude"]),
                                    ("resident_report_hazards_hazard", ["hazard_id"]),
                                    ("resident_report_events_town", ["town_code", "seq"]),
                                    ("resident_codes_phone", ["phone", "created_at"]),
                                    ("resident_codes_address", ["client_address", "created_at"])] {
                let table = ["resident_codes", "resident_report_hazards", "resident_report_events"].first { name.hasPrefix($0) } ?? "resident_reports"
                var index = sql.create(index: name).on(table)
                for c in columns { index = index.column(c) }
                try await index.run()
            }
        }
    }

    func revert(on database: any Database) async throws {
        for table in ["resident_codes", "resident_report_events", "resident_report_hazards", "resident_report_photos", "resident_reports"] {
            try await database.schema(table).delete()
        }
    }
}

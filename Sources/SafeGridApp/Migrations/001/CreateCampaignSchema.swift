import Fluent
import SQLKit

/// 001: the campaign schema. Constraints and indexes live here, in the create migration, because
/// SQLite cannot alter a column later; later migrations only add tables, columns and indexes.
/// Times are `.datetime` (REAL seconds on SQLite, timestamptz on PostgreSQL), stored UTC;
/// `*_on` columns hold the Asia/Shanghai calendar day as `YYYY-MM-DD` text for day buckets.
struct CreateCampaignSchema: AsyncMigration {
    var name: String { "001_CreateCampaignSchema" }

    func prepare(on database: any Database) async throws {
        try await database.schema("areas")
            .field("code", .string, .identifier(auto: false))
            .field("name", .string, .required)
            .field("short_name", .string, .required)
            .field("level", .string, .required)
            .field("parent_code", .string, .references("areas", "code"))
            .field("village_kind", .string)
            .create()

        try await database.schema("checklists")
            .field("version", .int, .identifier(auto: false))
            .field("title_zh", .string, .required)
            .field("title_en", .string, .required)
            .field("published_on", .string, .required)
            .create()

        try await database.schema("checklist_items")
            .field("checklist_version", .int, .required, .references("checklists", "version"))
            .field("code", .string, .required)
            .field("zh", .string, .required)
            .field("en", .string, .required)
            .field("department", .string, .required)
            .field("category", .string, .required)
            .field("default_severity", .string, .required)
            .field("default_days", .int, .required)
            .field("legal_basis", .string, .required)
            .field("subject_kinds", .string, .required)
            .field("position", .int, .required)
            .compositeIdentifier(over: "checklist_version", "code")
            .create()

        try await database.schema("subjects")
            .id()
            .field("kind", .string, .required)
            .field("name", .string, .required)
            .field("address", .string, .required)
            .field("credit_code", .string)
            .field("above_scale", .bool, .required)
            .field("rooms", .int)
            .field("parent_id", .uuid, .references("subjects", "id"))
            .field("town_code", .string, .required)
            .field("village_code", .string, .required, .references("areas", "code"))
            .field("grid_code", .string, .required)
            .field("micro_grid_code", .string, .required, .references("areas", "code"))
            .field("party_name", .string, .required)
            .field("party_phone", .string, .required)
            .field("latitude", .double)
            .field("longitude", .double)
            .field("datum", .string)
            .field("colour", .string)
            .field("closed_down_at", .datetime)
            .field("created_at", .datetime, .required)
            .unique(on: "credit_code")
            .create()

        try await database.schema("inspections")
            .id()
            .field("client_id", .string, .required)
            .field("request_hash", .string, .required)
            .field("subject_id", .uuid, .required, .references("subjects", "id"))
            .field("checklist_version", .int, .required, .references("checklists", "version"))
            .field("inspected_at", .datetime, .required)
            .field("inspected_on", .string, .required)
            .field("inspector", .string, .required)
            .field("hazard_count", .int, .required)
            .field("response_json", .string)
            .field("recorded_at", .datetime, .required)
            .unique(on: "client_id")
            .create()

        try await database.schema("inspection_team_members")
            .field("inspection_id", .uuid, .required, .references("inspections", "id"))
            .field("position", .int, .required)
            .field("name", .string, .required)
            .field("department", .string, .required)
            .compositeIdentifier(over: "inspection_id", "position")
            .create()

        try await database.schema("inspection_results")
            .field("inspection_id", .uuid, .required, .references("inspections", "id"))
            .field("item_code", .string, .required)
            .field("outcome", .string, .required)
            .field("note", .string)
            .field("photos", .string)
            // The hazard the result created or, for a repeated finding, the open one it links to.
            .field("hazard_id", .uuid)
            .compositeIdentifier(over: "inspection_id", "item_code")
            .create()

        try await database.schema("hazards")
            .id()
            .field("inspection_id", .uuid, .required, .references("inspections", "id"))
            .field("subject_id", .uuid, .required, .references("subjects", "id"))
            .field("subject_kind", .string, .required)
            .field("town_code", .string, .required)
            .field("village_code", .string, .required)
            .field("grid_code", .string, .required)
            .field("micro_grid_code", .string, .required)
            .field("checklist_version", .int, .required)
            .field("item_code", .string, .required)
            .field("department", .string, .required)
            .field("category", .string, .required)
            .field("severity", .string, .required)
            .field("mode", .string, .required)
            .field("state", .string, .required)
            .field("found_at", .datetime, .required)
            .field("found_on", .string, .required)
            .field("due_at", .datetime, .required)
            .field("rectified_at", .datetime)
            .field("rectified_on", .string)
            .field("rebound_count", .int, .required)
            .field("version", .int, .required)
            .field("last_event_at", .datetime, .required)
            // Set by the overdue job when the deadline passes while open; cleared by a new deadline.
            .field("overdue_at", .datetime)
            // The deadline a reminder was sent for (at most one reminder per deadline).
            .field("reminded_for", .datetime)
            .field("note", .string)
            .field("photos", .string)
            .field("updated_at", .datetime, .required)
            .create()

        try await database.schema("hazard_events")
            .field("seq", .int64, .identifier(auto: true))
            .field("hazard_id", .uuid, .required, .references("hazards", "id"))
            .field("subject_id", .uuid, .required)
            .field("town_code", .string, .required)
            .field("kind", .string, .required)
            .field("from_state", .string)
            .field("to_state", .string, .required)
            .field("actor", .string, .required)
            .field("reason", .string)
            .field("occurred_at", .datetime, .required)
            .field("due_at", .datetime)
            .field("recorded_at", .datetime, .required)
            // Offline-safe events: the phone's id and its per-device sequence; `late` when the
            // event arrived after an event with a later client time had been applied.
            .field("device_id", .string)
            .field("device_seq", .int64)
            .field("late", .bool, .required)
            // Tamper-evident trail: SHA-256 of the previous event of the same town, and of this one.
            .field("prev_hash", .string, .required)
            .field("hash", .string, .required)
            .unique(on: "device_id", "device_seq")
            .create()

        try await database.schema("subject_colour_history")
            .field("seq", .int64, .identifier(auto: true))
            .field("subject_id", .uuid, .required, .references("subjects", "id"))
            .field("colour", .string, .required)
            .field("previous", .string)
            .field("cause", .string, .required)
            .field("changed_at", .datetime, .required)
            .create()

        // Indexes for the dashboard, lists and pages (SQLKit: Fluent's schema builder has none).
        guard let sql = database as? any SQLDatabase else { return }
        let indexes: [(String, String, [String])] = [
            ("areas_parent", "areas", ["parent_code"]),
            ("subjects_village", "subjects", ["village_code", "kind"]),
            ("subjects_micro_grid", "subjects", ["micro_grid_code"]),
            ("subjects_kind_colour", "subjects", ["kind", "colour"]),
            ("subjects_parent", "subjects", ["parent_id"]),
            ("inspections_subject", "inspections", ["subject_id", "inspected_at"]),
            ("hazards_subject", "hazards", ["subject_id"]),
            ("hazards_kind_state", "hazards", ["subject_kind", "state"]),
            ("hazards_village_state", "hazards", ["village_code", "state", "due_at"]),
            ("hazards_grid", "hazards", ["grid_code", "state"]),
            ("hazards_state_due", "hazards", ["state", "due_at"]),
            ("hazards_found_on", "hazards", ["found_on"]),
            ("hazards_rectified_on", "hazards", ["rectified_on"]),
            ("hazard_events_hazard", "hazard_events", ["hazard_id", "seq"]),
            ("hazard_events_town", "hazard_events", ["town_code", "seq"]),
            ("hazard_events_subject", "hazard_events", ["subject_id", "seq"]),
            ("colour_history_subject", "subject_colour_history", ["subject_id", "seq"]),
        ]
        for (name, table, columns) in indexes {
            var builder = sql.create(index: name).on(table)
            for column in columns { builder = builder.column(column) }
            try await builder.run()
        }
    }

    func revert(on database: any Database) async throws {
        for table in ["subject_colour_history", "hazard_events", "hazards", "inspection_results",
                      "inspection_team_members", "inspections", "subjects", "checklist_items", "checklists", "areas"] {
            try await database.schema(table).delete()
        }
    }
}

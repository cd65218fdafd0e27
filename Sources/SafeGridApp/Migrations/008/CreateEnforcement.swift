import Fluent
import SQLKit

/// 008: joint enforcement (综合执法; source: the campaign article,
/// shared/seed/guali-campaign-article.txt): the joint teams, their actions with the subjects each
/// concerns, and the counts of towns that report their actions without recording them one by one
/// (for the district total the share is taken of). Days are `YYYY-MM-DD` Asia/Shanghai text, as
/// the `*_on` columns of 001; areas demolished in m², land freed in 亩.
struct CreateEnforcement: AsyncMigration {
    var name: String { "008_CreateEnforcement" }

    func prepare(on database: any Database) async throws {
        try await database.schema("enforcement_teams")
            .id()
            .field("name", .string, .required)
            .field("town_code", .string, .required, .references("areas", "code"))
            // The members' distinct departments, comma-separated raw values in `Department` order.
            .field("departments", .string, .required)
            // `[{"name": …, "department": …}]` (``TeamMember``).
            .field("members_json", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await database.schema("enforcement_actions")
            .id()
            .field("team_id", .uuid, .required, .references("enforcement_teams", "id"))
            .field("town_code", .string, .required)
            // `inspection`, `closureOrdered`, `demolition` or `landFreed` (``EnforcementAction/Kind``).
            .field("kind", .string, .required)
            .field("on_day", .string, .required)
            // m² demolished (demolition only).
            .field("square_metres", .double)
            // 亩 freed (landFreed only).
            .field("mu", .double)
            .field("note", .string)
            .field("recorded_at", .datetime, .required)
            .create()
        try await database.schema("enforcement_action_subjects")
            .field("action_id", .uuid, .required, .references("enforcement_actions", "id"))
            .field("subject_id", .uuid, .required, .references("subjects", "id"))
            // The subject's place in the action's `subjectIds`.
            .field("position", .int, .required)
            .compositeIdentifier(over: "action_id", "subject_id")
            .create()
        try await database.schema("enforcement_tallies")
            .field("town_code", .string, .required)
            .field("actions", .int, .required)
            .field("from_day", .string, .required)
            .field("through_day", .string, .required)
            .compositeIdentifier(over: "town_code", "from_day")
            .create()
        if let sql = database as? any SQLDatabase {
            try await sql.create(index: "enforcement_action_subjects_subject").on("enforcement_action_subjects").column("subject_id").run()
            try await sql.create(index: "enforcement_actions_town").on("enforcement_actions").column("town_code").column("kind").run()
            try await sql.create(index: "enforcement_actions_team").on("enforcement_actions").column("team_id").run()
        }
    }

    func revert(on database: any Database) async throws {
        for table in ["enforcement_tallies", "enforcement_action_subjects", "enforcement_actions", "enforcement_teams"] {
            try await database.schema(table).delete()
        }
    }
}

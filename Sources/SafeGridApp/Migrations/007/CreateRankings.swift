import Fluent
import SQLKit

/// 007: key hazard enterprises (重点隐患企业, ``KeyHazardRanking``) — the current list, the
/// history of who entered and left it, and each ranking run (its whole ranking as JSON, the
/// base of the next run's diff); the town's directed inspection tasks (定向, ``DirectedTask``).
struct CreateRankings: AsyncMigration {
    var name: String { "007_CreateRankings" }

    func prepare(on database: any Database) async throws {
        try await database.schema("key_hazard_runs")
            .id()
            // The Asia/Shanghai day ranked (YYYY-MM-DD).
            .field("as_of", .string, .required)
            .field("ran_at", .datetime, .required)
            // `schedule` (the daily job) or the user name of whoever asked.
            .field("trigger", .string, .required)
            .field("villages_ranked", .int, .required)
            .field("villages_not_ranked", .int, .required)
            .field("enterprises_listed", .int, .required)
            .field("entered", .int, .required)
            .field("left", .int, .required)
            // ``KeyHazardRanking/Ranking`` as JSON.
            .field("ranking_json", .string, .required)
            .create()
        try await database.schema("key_hazard_enterprises")
            .field("subject_id", .uuid, .identifier(auto: false), .references("subjects", "id"))
            .field("town_code", .string, .required)
            .field("village_code", .string, .required)
            .field("grid_code", .string, .required)
            .field("micro_grid_code", .string, .required)
            .field("rank", .int, .required)
            .field("quota", .int, .required)
            .field("points", .int, .required)
            .field("open_hazards", .int, .required)
            .field("overdue_hazards", .int, .required)
            // Since when it is listed without a break.
            .field("since", .string, .required)
            .field("run_id", .uuid, .required)
            .create()
        try await database.schema("key_hazard_changes")
            .field("seq", .int64, .identifier(auto: true))
            .field("run_id", .uuid, .required)
            .field("subject_id", .uuid, .required)
            .field("town_code", .string, .required)
            .field("village_code", .string, .required)
            .field("grid_code", .string, .required)
            .field("micro_grid_code", .string, .required)
            // `entered` or `left`, with the reason (``KeyHazardRanking/Movement/Why``).
            .field("change", .string, .required)
            .field("why", .string, .required)
            .field("points", .int)
            .field("rank", .int)
            .field("as_of", .string, .required)
            .create()
        try await database.schema("directed_tasks")
            .id()
            .field("subject_id", .uuid, .required, .references("subjects", "id"))
            .field("town_code", .string, .required)
            .field("village_code", .string, .required)
            .field("grid_code", .string, .required)
            .field("micro_grid_code", .string, .required)
            .field("assigned_by", .string, .required)
            .field("assigned_on", .string, .required)
            .field("due_on", .string, .required)
            .field("reason", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        // Webhooks deliver the events of their maker's jurisdiction (area code; NULL: all, as before).
        try await database.schema("webhook_subscriptions").field("scope_code", .string).update()
        if let sql = database as? any SQLDatabase {
            for (table, columns) in [("key_hazard_enterprises", ["village_code", "rank"]), ("key_hazard_changes", ["village_code", "seq"]),
                                     ("directed_tasks", ["grid_code", "due_on"]), ("directed_tasks", ["subject_id", "assigned_on"])] {
                try await sql.create(index: "\(table)_\(columns.joined(separator: "_"))").on(table).column(columns[0]).column(columns[1]).run()
            }
        }
    }

    func revert(on database: any Database) async throws {
        try await database.schema("webhook_subscriptions").deleteField("scope_code").update()
        for table in ["directed_tasks", "key_hazard_changes", "key_hazard_enterprises", "key_hazard_runs"] {
            try await database.schema(table).delete()
        }
    }
}

import Fluent
import SQLKit

/// 003: the dashboard's counters (`area_counters`, see ``DashboardCounters``) and partial indexes
/// for the oldest overdue hazards of an area; the job leases of several instances (``JobLease``). Counts the existing rows once, so that a database
/// made before this migration shows the same figures.
struct CreateDashboardCounters: AsyncMigration {
    var name: String { "003_CreateDashboardCounters" }

    /// The condition of the overdue indexes, written out as a literal: SQLite uses a partial index
    /// only when the query repeats its condition term by term, never with bound values. Only open
    /// hazards carry an overdue mark (``HazardLifecycle`` clears it on rectification, closure and
    /// every new deadline), so no state term is needed — and one would lead SQLite's planner to
    /// the state index and a sort over every open hazard of the district.
    static let markedOverdue = "overdue_at IS NOT NULL"

    func prepare(on database: any Database) async throws {
        try await database.schema("area_counters")
            .field("area_code", .string, .required)
            .field("metric", .string, .required)
            .field("value", .int64, .required)
            .compositeIdentifier(over: "area_code", "metric")
            .create()
        // Leases of periodic jobs across instances (``JobLease``).
        try await database.schema("job_leases")
            .field("name", .string, .identifier(auto: false))
            .field("holder", .string, .required)
            .field("lease_until", .datetime, .required)
            .create()
        guard let sql = database as? any SQLDatabase else { return }
        for (name, column) in [("district", nil), ("town", "town_code"), ("village", "village_code"),
                               ("grid", "grid_code"), ("micro_grid", "micro_grid_code")] as [(String, String?)] {
            let columns = [column, "due_at", "id"].compactMap { $0 }.joined(separator: ", ")
            try await sql.raw("CREATE INDEX hazards_overdue_\(unsafeRaw: name) ON hazards (\(unsafeRaw: columns)) WHERE \(unsafeRaw: Self.markedOverdue)").run()
        }
        try await DashboardCounters(sql: sql).rebuild()
    }

    func revert(on database: any Database) async throws {
        if let sql = database as? any SQLDatabase {
            for name in ["district", "town", "village", "grid", "micro_grid"] {
                try await sql.raw("DROP INDEX hazards_overdue_\(unsafeRaw: name)").run()
            }
        }
        try await database.schema("job_leases").delete()
        try await database.schema("area_counters").delete()
    }
}

import Foundation
import SQLKit

/// Queue depths for `/metrics`, read at scrape time over the whole district (no jurisdiction:
/// the scraper is the operator's).
struct MetricsQueries {
    let sql: any SQLDatabase

    /// SMS recipients per state (`message_recipients.state` → rows); states without rows are
    /// absent.
    func recipientsByState() async throws -> [String: Int] {
        try await OutboxQueries(sql: sql, scope: .everything).countsByState()
    }

    /// Open hazards whose deadline (`due_at`) is before `now`, whether or not the deadline job
    /// has marked them overdue yet.
    func overdueHazards(at now: Date) async throws -> Int {
        try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("hazards")
            .where("state", .in, SQLBind.group(CampaignQueries.openStates)).where("due_at", .lessThan, SQLBind(now))
            .first()?.decode(column: "n", as: Int.self) ?? 0
    }
}

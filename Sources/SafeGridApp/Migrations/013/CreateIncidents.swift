import Fluent
import SQLKit

/// 013: incident counts (有效警情 valid police incidents, 火警 fire alarms, 交通事故 traffic
/// accidents; source: the campaign article's results, shared/seed/guali-campaign-article.txt)
/// per area and Asia/Shanghai day, as the incident ledgers give them (``IncidentStore``).
///
/// One row per area, day and kind (the primary key): importing a day again replaces its count.
/// The area is a village or community (12 digits) or a town (9 digits: a count the town keeps
/// for itself, not attributed to a village). `town_code` and `village_code` repeat the area's
/// place in the tree, as `subjects` and `hazards` do, so that a period's sums are read by index:
/// a village's from `village_code`, a town's (its own rows and its villages') from `town_code`,
/// the district's from `day` alone.
struct CreateIncidents: AsyncMigration {
    var name: String { "013_CreateIncidents" }

    func prepare(on database: any Database) async throws {
        try await database.schema("incidents")
            .field("area_code", .string, .required, .references("areas", "code"))
            // `YYYY-MM-DD`, Asia/Shanghai, as the `*_on` columns of 001.
            .field("day", .string, .required)
            // ``IncidentKind`` raw value: policeIncident, fireAlarm or trafficAccident.
            .field("kind", .string, .required)
            .field("count", .int, .required,
                   .sql(.check(SQLBinaryExpression(SQLIdentifier("count"), .greaterThanOrEqual, SQLLiteral.numeric("0")))))
            // The area's town (9 digits) and village (12 digits; NULL for a town's own count).
            .field("town_code", .string, .required)
            .field("village_code", .string)
            // Who wrote the count last: `import` (a ledger import over HTTP, `import_id` its
            // report in ledger_imports), `command` (`safegrid import`) or `demo`.
            .field("source", .string, .required)
            .field("import_id", .uuid)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .compositeIdentifier(over: "area_code", "day", "kind")
            .create()
        if let sql = database as? any SQLDatabase {
            try await sql.create(index: "incidents_town_day").on("incidents").column("town_code").column("day").run()
            try await sql.create(index: "incidents_village_day").on("incidents").column("village_code").column("day").run()
            try await sql.create(index: "incidents_day").on("incidents").column("day").run()
        }
    }

    func revert(on database: any Database) async throws {
        try await database.schema("incidents").delete()
    }
}

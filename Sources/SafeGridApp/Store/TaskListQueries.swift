import Foundation
import SQLKit
import SafeGridCore

/// The reads behind a grid or micro-grid worker's task list (``TaskLists``), for one area: its
/// subjects, their open hazards, the town's directed tasks, and the visits that count toward
/// the quota.
struct TaskListQueries {
    /// The reader's scope (subjects and hazards outside it are left out).
    let queries: CampaignQueries
    /// The grid or micro-grid code.
    let area: String
    /// The denormalised column that holds codes of `area`'s level (`grid_code`, `micro_grid_code`).
    let column: String

    var sql: any SQLDatabase { queries.sql }

    /// - Returns: `nil` for a district code, which has no area column.
    init?(queries: CampaignQueries, area: String) {
        guard let column = CampaignQueries.areaColumn(for: area) else { return nil }
        self.queries = queries
        self.area = area
        self.column = column
    }

    /// The area's subjects inside the scope, closed down ones included; unreadable rows are
    /// skipped (``StoredRow``).
    func subjects() async throws -> [SubjectRow] {
        try await queries.scoped(sql.select().columns("*").from("subjects").where(SQLIdentifier(column), .equal, SQLBind(area)))
            .rows(SubjectRow.self)
    }

    /// The area's open hazards (open, rectifying, rebound) inside the scope, earliest deadline
    /// first; unreadable rows are skipped.
    func openHazards() async throws -> [HazardRow] {
        try await queries.scoped(sql.select().columns("*").from("hazards").where(SQLIdentifier(column), .equal, SQLBind(area))
            .where("state", .in, SQLBind.group(CampaignQueries.openStates)))
            .orderBy("due_at").rows(HazardRow.self)
    }

    /// The area's directed tasks, earliest due day first, each with the day of the subject's
    /// first inspection after it was assigned (which completes it). The subjects' visits are
    /// read once, in chunks of ``DashboardCounters/idsPerRead``. A task that cannot be read is
    /// left out (logged and counted).
    /// - Throws: when a task's subject id or a visit cannot be read.
    func directedTasks() async throws -> [DirectedTask] {
        let rows = try await sql.select().columns("*").from("directed_tasks").where(SQLIdentifier(column), .equal, SQLBind(area))
            .orderBy("due_on").all()
        // The visits of the tasks' subjects, read once (not one query per task).
        let subjects = try rows.map { try $0.decode(column: "subject_id", as: UUID.self) }
        var visits: [UUID: [(at: Date, on: String)]] = [:]
        for chunk in Array(Set(subjects)).chunked(DashboardCounters.idsPerRead) {
            for v in try await sql.select().columns("subject_id", "inspected_at", "inspected_on").from("inspections")
                .where("subject_id", .in, SQLBind.group(chunk)).all() {
                visits[try v.decode(column: "subject_id", as: UUID.self), default: []]
                    .append((try v.decode(column: "inspected_at", as: Date.self), try v.decode(column: "inspected_on", as: String.self)))
            }
        }
        var out: [DirectedTask] = []
        for r in rows {
            guard let task = r.noted("directed_tasks", { r in
                let subject = try r.decode(column: "subject_id", as: UUID.self)
                let assigned = try CalendarDate(try r.decode(column: "assigned_on", as: String.self))
                // Done by the first visit after the task was given (a visit earlier that day does not count).
                let given = try r.decode(column: "created_at", as: Date.self)
                let completed = (visits[subject] ?? []).filter { $0.at >= given }.map(\.on).min().flatMap { try? CalendarDate($0) }
                return try DirectedTask(id: try r.decode(column: "id", as: UUID.self), subjectId: subject,
                                        areaCode: try r.decode(column: "micro_grid_code", as: String.self),
                                        assignedBy: try r.decode(column: "assigned_by", as: String.self), assignedOn: assigned,
                                        dueOn: try CalendarDate(try r.decode(column: "due_on", as: String.self)),
                                        reason: try r.decode(column: "reason", as: String.self), completedOn: completed)
            }, sql) else { continue }
            out.append(task)
        }
        return out
    }

    /// The days (Asia/Shanghai) of the inspections of the area's subjects from `first` through
    /// `last`, one per inspection; a stored day that cannot be read is left out.
    func inspectionDays(from first: CalendarDate, through last: CalendarDate) async throws -> [CalendarDate] {
        try await sql.select().column("inspected_on").from("inspections")
            .where("subject_id", .in, SQLSubquery.select { $0.column("id").from("subjects").where(SQLIdentifier(column), .equal, SQLBind(area)) })
            .where("inspected_on", .greaterThanOrEqual, SQLBind(first.description))
            .where("inspected_on", .lessThanOrEqual, SQLBind(last.description)).all()
            .compactMap { try? CalendarDate(try $0.decode(column: "inspected_on", as: String.self)) }
    }
}

extension CampaignStore {
    /// Stores a directed task for `subject` (with its area codes), given at `now`; run inside a
    /// write transaction.
    func insert(directedTask task: DirectedTask, subject: SubjectRow, at now: Date) async throws {
        try await insert("directed_tasks", ["id", "subject_id", "town_code", "village_code", "grid_code",
                                            "micro_grid_code", "assigned_by", "assigned_on", "due_on", "reason", "created_at"],
                         [[task.id, task.subjectId, subject.townCode, subject.villageCode, subject.gridCode, subject.microGridCode,
                           task.assignedBy, task.assignedOn.description, task.dueOn.description, task.reason, now]])
    }
}

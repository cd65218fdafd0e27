import Foundation
import SQLKit
import SafeGridCore

/// The deadline job's SQL (reminders and overdue marks): candidate hazards fetched by an
/// index-friendly query, then judged by ``DeadlineRules`` (the rule is the domain's; SQL only
/// narrows the rows), and the record of which deadline a hazard was reminded of.
struct DeadlineQueries {
    let sql: any SQLDatabase

    /// A hazard a reminder may cover.
    struct Reminder: Sendable {
        let subject: UUID
        let hazard: UUID
        let dueAt: Date
    }

    /// Subjects with an open hazard past its deadline and no overdue mark.
    func subjectsWithOverdueCandidates(now: Date) async throws -> [UUID] {
        try await sql.select().distinct().column("subject_id").from("hazards")
            .where("state", .in, SQLBind.group(CampaignQueries.openStates)).where("due_at", .lessThan, SQLBind(now))
            .where("overdue_at", .is, SQLLiteral.null)
            .all().compactMap { $0.noted("hazards", { try $0.decode(column: "subject_id", as: UUID.self) }, sql) }
    }

    /// Open hazards (of one subject, or all) that ``DeadlineRules/needsReminder(state:dueAt:remindedFor:now:reminderDays:)``
    /// says are due a reminder at `now`.
    func reminders(subject: UUID?, now: Date, reminderDays: Int) async throws -> [Reminder] {
        var query = sql.select().columns("subject_id", "id", "state", "due_at", "reminded_for").from("hazards")
            .where("state", .in, SQLBind.group(CampaignQueries.openStates))
            .where("due_at", .greaterThanOrEqual, SQLBind(now))
            .where("due_at", .lessThanOrEqual, SQLBind(DeadlineRules.reminderHorizon(now: now, reminderDays: reminderDays)))
            .where { $0.where("reminded_for", .is, SQLLiteral.null).orWhere(SQLIdentifier("reminded_for"), .notEqual, SQLIdentifier("due_at")) }
        if let subject { query = query.where("subject_id", .equal, SQLBind(subject)) }
        return try await query.all().compactMap { row -> Reminder? in
            guard let r = row.noted("hazards", { r -> (Reminder, HazardState, Date?) in
                let stateText = try r.decode(column: "state", as: String.self)
                guard let state = HazardState(rawValue: stateText) else { throw UnreadableValue(column: "state", value: stateText) }
                return (Reminder(subject: try r.decode(column: "subject_id", as: UUID.self), hazard: try r.decode(column: "id", as: UUID.self),
                                 dueAt: try r.decode(column: "due_at", as: Date.self)),
                        state, try r.decode(column: "reminded_for", as: Date?.self))
            }, sql) else { return nil }
            return DeadlineRules.needsReminder(state: r.1, dueAt: r.0.dueAt, remindedFor: r.2, now: now, reminderDays: reminderDays) ? r.0 : nil
        }
    }

    /// Records which deadline each hazard was reminded of.
    func markReminded(_ hazards: [(UUID, Date)]) async throws {
        for (hazard, dueAt) in hazards {
            try await sql.update("hazards").set("reminded_for", to: SQLBind(dueAt)).where("id", .equal, SQLBind(hazard)).run()
        }
    }
}

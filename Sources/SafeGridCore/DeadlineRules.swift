import Foundation

/// When the deadline job reminds a party and marks a hazard overdue, and the keys that make
/// each message go out once. Deadlines are the end of an Asia/Shanghai calendar day (UTC
/// instants here); the job fetches candidate hazards and asks these rules which to act on.
public enum DeadlineRules {
    /// Days before a deadline that the reminder SMS goes out, unless the town sets another.
    public static let defaultReminderDays = 2

    /// The last deadline a reminder sent at `now` covers: the end of the Asia/Shanghai day
    /// `reminderDays` after today.
    public static func reminderHorizon(now: Date, reminderDays: Int) -> Date {
        CalendarDate(shanghai: now).adding(days: reminderDays).endUTC
    }

    /// An open hazard whose deadline lies between `now` and the horizon and has not had a
    /// reminder (a new deadline wants a new reminder: `remindedFor` names the deadline reminded).
    public static func needsReminder(state: HazardState, dueAt: Date, remindedFor: Date?, now: Date, reminderDays: Int) -> Bool {
        state.isOpen && dueAt >= now && dueAt <= reminderHorizon(now: now, reminderDays: reminderDays) && remindedFor != dueAt
    }

    /// An open hazard past its deadline that has no overdue mark yet. The same rule marks it
    /// (``HazardLifecycle/markOverdue(_:at:)``).
    public static func needsOverdueMark(state: HazardState, dueAt: Date, overdueSince: Date?, now: Date) -> Bool {
        state.isOpen && dueAt < now && overdueSince == nil
    }

    /// One reminder per subject and set of deadlines: `reminder:<subject>:<earliest day>:<hazard ids>`
    /// (lower-case UUIDs, sorted), so two runs at once queue it once.
    public static func reminderKey(subject: UUID, earliestDue: Date, hazards: [UUID]) -> String {
        "reminder:\(subject.uuidString.lowercased()):\(CalendarDate(shanghai: earliestDue)):"
            + hazards.map { $0.uuidString.lowercased() }.sorted().joined(separator: ",")
    }

    /// One overdue alert to the grid worker per subject and Asia/Shanghai day.
    public static func overdueAlertKey(subject: UUID, now: Date) -> String {
        "overdue:\(subject.uuidString.lowercased()):\(CalendarDate(shanghai: now))"
    }
}

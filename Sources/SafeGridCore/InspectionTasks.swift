import Foundation

// 网格日常管 (the article: "明确网格员、微网格员隐患排查和上报任务清单") and the "三定" incentive
// scheme's 定额 (fixed quota) and 定向 (directed tasks) ("建立起对网格员的'定额、定向、定心'的'三定'激励
// 机制"). Risk-based routine tasks come from ``InspectionFrequency``; this file adds quotas,
// directed tasks and a worker's list for the day.

/// A quota period (Asia/Shanghai calendar days).
public enum QuotaPeriod: String, Codable, CaseIterable, Sendable, Hashable {
    /// Monday through Sunday (ISO 8601 week).
    case week
    /// A calendar month.
    case month

    /// The first and last day of the period that contains `day` (2026-11-18, a Wednesday → week
    /// 2026-11-16…2026-11-22, month 2026-11-01…2026-11-30).
    public func bounds(containing day: CalendarDate) -> (first: CalendarDate, last: CalendarDate) {
        switch self {
        case .week:
            let first = day.adding(days: -(day.isoWeekday - 1))
            return (first, first.adding(days: 6))
        case .month:
            let first = day.adding(days: 1 - day.day)
            let next = first.adding(days: 31)   // always in the next month
            return (first, next.adding(days: -next.day))
        }
    }

    public var zh: String { self == .week ? "周" : "月" }
}

extension CalendarDate {
    /// ISO 8601 day of the week: 1 = Monday … 7 = Sunday (1970-01-01 was a Thursday, 4).
    public var isoWeekday: Int { ((dayNumber % 7 + 7 + 3) % 7) + 1 }
}

/// 定额: how many inspection tasks a worker is expected to complete in a period.
///
/// **Defaults** (``default(for:period:)``), derived with ``derivedTarget(subjects:workers:period:)``
/// from the routine load that ``InspectionFrequency`` puts on 瓜沥 (article figures: 2,928
/// enterprises every 60 days, 5,351 street shops every 90, 18 small-micro parks every 30, and
/// its 17,120 rental rooms as about 3,113 rental subjects at the demo's 5.5 rooms each, every
/// 30): about 6,379 routine visits per 30 days, shared by
///
/// | worker | workers | per month | per week |
/// |---|---|---|---|
/// | 网格员 grid worker | 160 | 40 (39.87) | 9 (9.30) |
/// | 微网格员 micro-grid worker | 2,283 | 3 (2.79) | 1 (0.65) |
///
/// so a grid worker meeting the quota alone would keep the whole town on its NFPA-1730-style
/// cycle. A town sets other targets with ``init(worker:period:target:)``.
///
/// **Progress** counts the worker's tasks (routine and directed alike) completed by an
/// inspection on a day of the period; more than the target counts as met, not more.
public struct TaskQuota: Codable, Hashable, Sendable {
    /// Who carries a quota (the role names of the glossary).
    public enum Worker: String, Codable, CaseIterable, Sendable, Hashable {
        case gridWorker
        case microGridWorker

        public var zh: String { self == .gridWorker ? "网格员" : "微网格员" }
    }

    public let worker: Worker
    public let period: QuotaPeriod
    /// Inspection tasks to complete in the period, ≥ 1.
    public let target: Int

    /// - Throws: ``DomainError`` `.invalid` on `target` when below 1 or above 1,000.
    public init(worker: Worker, period: QuotaPeriod, target: Int) throws(DomainError) {
        guard (1...1_000).contains(target) else {
            throw .invalid("target", "a quota is 1 to 1000 inspection tasks a \(period.rawValue), got \(target)")
        }
        self.init(checked: worker, period: period, target: target)
    }

    /// A quota whose target is already known to lie in 1…1,000.
    private init(checked worker: Worker, period: QuotaPeriod, target: Int) {
        self.worker = worker
        self.period = period
        self.target = target
    }

    /// The default quota (see the type's table): grid worker 40 a month or 9 a week, micro-grid
    /// worker 3 a month or 1 a week.
    public static func `default`(for worker: Worker, period: QuotaPeriod) -> TaskQuota {
        let target = switch (worker, period) {
        case (.gridWorker, .month): 40
        case (.gridWorker, .week): 9
        case (.microGridWorker, .month): 3
        case (.microGridWorker, .week): 1
        }
        return TaskQuota(checked: worker, period: period, target: target)
    }

    /// The routine visits per worker and period that keep `subjects` (count per kind) on their
    /// ``InspectionFrequency/defaultIntervalDays(for:)``: Σ count × days ÷ interval ÷ workers,
    /// with a month taken as 30 days and a week as 7, rounded half up, at least 1.
    /// - Precondition: `workers > 0`.
    public static func derivedTarget(subjects: [SubjectKind: Int], workers: Int, period: QuotaPeriod) -> Int {
        precondition(workers > 0, "a quota is shared by at least one worker")
        let days = period == .week ? 7.0 : 30.0
        let visits = subjects.reduce(0.0) { $0 + Double($1.value) * days / Double(InspectionFrequency.defaultIntervalDays(for: $1.key)) }
        return max(1, Int((visits / Double(workers)).rounded(.toNearestOrAwayFromZero)))
    }

    /// Progress in the period that contains `day`, counting the completion days that fall in it.
    public func progress(completedOn days: [CalendarDate], on day: CalendarDate) -> QuotaProgress {
        let (first, last) = period.bounds(containing: day)
        let done = days.filter { first <= $0 && $0 <= last }.count
        return QuotaProgress(quota: self, first: first, last: last, done: done)
    }
}

/// A worker's progress against a ``TaskQuota`` in one period.
public struct QuotaProgress: Codable, Hashable, Sendable {
    public let quota: TaskQuota
    /// The period, Asia/Shanghai days inclusive.
    public let first: CalendarDate
    public let last: CalendarDate
    /// Tasks completed in the period.
    public let done: Int

    /// Tasks still to do to meet the quota (0 once met).
    public var remaining: Int { max(0, quota.target - done) }
    public var isMet: Bool { done >= quota.target }
    /// min(done, target) ÷ target in hundredths of a percent, half up (7 of 9 → 7778 = 77.78%).
    public var basisPoints: Int { (min(done, quota.target) * 20_000 + quota.target) / (2 * quota.target) }
}

/// 定向: an inspection task the town assigns to a subject, with a due day and a reason (a
/// complaint, a key hazard enterprise to watch, a closed-down enterprise to check stays shut).
/// It shows on the list of the workers whose area holds ``areaCode`` from ``assignedOn`` until an
/// inspection completes it (``completedOn``).
public struct DirectedTask: Codable, Hashable, Sendable, Identifiable {
    public let id: UUID
    public let subjectId: UUID
    /// The subject's grid (14 digits) or micro-grid (17 digits).
    public let areaCode: String
    /// Who assigned it (a town officer's name or an office), 1…``TextRules/personName`` characters.
    public let assignedBy: String
    public let assignedOn: CalendarDate
    public let dueOn: CalendarDate
    /// Why, 1…``TextRules/note`` characters.
    public let reason: String
    /// The day an inspection completed it; `nil` while open.
    public let completedOn: CalendarDate?

    /// - Throws: ``DomainError`` `.invalid` on `areaCode` (not a 14- or 17-digit code),
    ///   `assignedBy` / `reason` (blank, too long, control character), `dueOn` (before
    ///   `assignedOn`) or `completedOn` (before `assignedOn`).
    public init(id: UUID, subjectId: UUID, areaCode: String, assignedBy: String, assignedOn: CalendarDate,
                dueOn: CalendarDate, reason: String, completedOn: CalendarDate? = nil) throws(DomainError) {
        guard AreaCodes.isGridOrMicroGrid(areaCode) else {
            throw .invalid("areaCode", "a directed task is assigned by a 14-digit grid or 17-digit micro-grid code, got '\(areaCode)'")
        }
        if assignedBy.trimming(.whitespacesAndNewlines).isEmpty { throw .invalid("assignedBy", "say who assigned the task") }
        try TextRules.check(assignedBy, "assignedBy", max: TextRules.personName)
        if reason.trimming(.whitespacesAndNewlines).isEmpty { throw .invalid("reason", "a directed task needs a reason") }
        try TextRules.check(reason, "reason", max: TextRules.note, multiline: true)
        if dueOn < assignedOn { throw .invalid("dueOn", "due \(dueOn), before it was assigned on \(assignedOn)") }
        if let completedOn, completedOn < assignedOn {
            throw .invalid("completedOn", "completed \(completedOn), before it was assigned on \(assignedOn)")
        }
        self.id = id
        self.subjectId = subjectId
        self.areaCode = areaCode
        self.assignedBy = assignedBy
        self.assignedOn = assignedOn
        self.dueOn = dueOn
        self.reason = reason
        self.completedOn = completedOn
    }
}

/// One line of a worker's list for the day: a subject to visit, with what brought it there.
public struct TodayTask: Hashable, Sendable {
    public let subjectId: UUID
    /// The subject's grid or micro-grid code.
    public let areaCode: String
    /// The earliest due day of the tasks below.
    public let dueOn: CalendarDate
    /// Due before the day of the list.
    public let isOverdue: Bool
    /// Days past due (0 when not overdue).
    public let overdueDays: Int
    /// The risk-based routine task (``InspectionFrequency/tasks(for:from:through:openTaskSubjectIds:)``), if one is due.
    public let routine: InspectionFrequency.InspectionTask?
    /// The open directed tasks of the subject, by due day then id.
    public let directed: [DirectedTask]
    public let location: GeoPoint?
    /// Distance from the worker in metres; `nil` without the worker's position or the subject's location.
    public let metres: Double?
}

/// A worker's task list for the day.
public enum InspectionTasks {
    /// The list of a grid or micro-grid worker for `day` (网格日常管 on the phone).
    ///
    /// - Which: tasks whose `areaCode` lies in `workerArea` (a grid worker's grid covers its
    ///   micro-grids): open routine tasks due on or before `day` (overdue ones too), and directed
    ///   tasks not completed and assigned on or before `day`, whatever their due day (the town's
    ///   order shows at once).
    /// - One line per subject: one inspection completes both a routine and a directed task of it;
    ///   the line's due day is the earliest of them, overdue when before `day`.
    /// - Order: nearest first from `position` (``InspectionFrequency/nearestFirst(_:from:location:)``),
    ///   subjects without a location last; equal distances, and every line when `position` is
    ///   `nil`, by due day, then area code, then subject id.
    /// - Parameters:
    ///   - routine: the worker's open routine tasks (those not yet done).
    ///   - locations: subject locations for directed tasks (a routine task carries its own;
    ///     this map wins when both are given).
    /// - Throws: ``DomainError`` `.invalid` on `workerArea` when it is not a 14-digit grid or
    ///   17-digit micro-grid code.
    public static func today(routine: [InspectionFrequency.InspectionTask], directed: [DirectedTask], workerArea: String,
                             on day: CalendarDate, from position: GeoPoint?,
                             locations: [UUID: GeoPoint] = [:]) throws(DomainError) -> [TodayTask] {
        guard AreaCodes.isGridOrMicroGrid(workerArea) else {
            throw .invalid("workerArea", "a worker's area is a 14-digit grid or 17-digit micro-grid code, got '\(workerArea)'")
        }
        var routineBySubject: [UUID: InspectionFrequency.InspectionTask] = [:]
        for task in routine where task.areaCode.hasPrefix(workerArea) && task.dueOn <= day {
            if let other = routineBySubject[task.subjectId], other.dueOn <= task.dueOn { continue }
            routineBySubject[task.subjectId] = task
        }
        var directedBySubject: [UUID: [DirectedTask]] = [:]
        for task in directed where task.areaCode.hasPrefix(workerArea) && task.completedOn == nil && task.assignedOn <= day {
            directedBySubject[task.subjectId, default: []].append(task)
        }
        let subjects = Set(routineBySubject.keys).union(directedBySubject.keys)
        let lines = subjects.map { id -> TodayTask in
            let r = routineBySubject[id]
            let d = (directedBySubject[id] ?? []).sorted { ($0.dueOn, $0.id.uuidString) < ($1.dueOn, $1.id.uuidString) }
            let due = ([r?.dueOn].compactMap { $0 } + d.map(\.dueOn)).min()!
            let late = max(0, due.days(until: day))
            return TodayTask(subjectId: id, areaCode: r?.areaCode ?? d[0].areaCode, dueOn: due, isOverdue: late > 0,
                             overdueDays: late, routine: r, directed: d, location: locations[id] ?? r?.location, metres: nil)
        }.sorted { ($0.dueOn, $0.areaCode, $0.subjectId.uuidString) < ($1.dueOn, $1.areaCode, $1.subjectId.uuidString) }
        guard let position else { return lines }
        return InspectionFrequency.nearestFirst(lines, from: position, location: \.location).map { line, metres in
            TodayTask(subjectId: line.subjectId, areaCode: line.areaCode, dueOn: line.dueOn, isOverdue: line.isOverdue,
                      overdueDays: line.overdueDays, routine: line.routine, directed: line.directed,
                      location: line.location, metres: metres)
        }
    }
}

/// How one task of a period counts for performance (绩效, ``PerformanceInputs/tasksDue``).
public enum TaskOutcome: Sendable, Hashable {
    /// Not due in the period, or its day is still ahead and it is not done yet (not missed yet).
    case notCounted
    case doneOnTime
    case missed

    /// A subject's routine task in `from…through`: due ``InspectionFrequency/defaultIntervalDays(for:)``
    /// after its last visit before the period; a subject not visited before is due on the
    /// period's first day, or on the day it was recorded if later. Done on time by a visit from
    /// the period's first day to the due day; a task due before the period counts as due on its
    /// first day (so a period still ahead counts nothing as missed).
    public static func routine(kind: SubjectKind, visits: [CalendarDate], recordedOn: CalendarDate, from: CalendarDate,
                               through: CalendarDate, today: CalendarDate) -> TaskOutcome {
        let before = visits.filter { $0 < from }.max()
        let due = before.map { $0.adding(days: InspectionFrequency.defaultIntervalDays(for: kind)) } ?? max(from, recordedOn)
        guard due <= through else { return .notCounted }
        // A task already due before the period is the period's from its first day.
        let day = max(due, from)
        return outcome(done: visits.contains { $0 >= from && $0 <= day }, due: day, today: today)
    }

    /// A directed task (定向) given on `givenOn` and due on `dueOn`: done on time by a visit
    /// between the two.
    public static func directed(givenOn: CalendarDate, dueOn: CalendarDate, visits: [CalendarDate], today: CalendarDate) -> TaskOutcome {
        outcome(done: visits.contains { $0 >= givenOn && $0 <= dueOn }, due: dueOn, today: today)
    }

    private static func outcome(done: Bool, due: CalendarDate, today: CalendarDate) -> TaskOutcome {
        done ? .doneOnTime : due < today ? .missed : .notCounted
    }
}

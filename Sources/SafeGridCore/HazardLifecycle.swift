import Foundation

/// Where a hazard stands in the closed loop.
///
/// ```
///            startRectification          verifyRectified
///   open ───────────────────▶ rectifying ───────────────▶ rectified
///    │  ▲                        │                          │
///    │  └──── notYetRectified ───┘                          │ reportRebound
///    │ verifyRectified (即查即改 / found fixed)               ▼
///    └──────────────────────────────────────▶ rectified ◀── rebound ──▶ rectifying …
///   open | rectifying | rebound ── closeDown ──▶ closedDown
/// ```
public enum HazardState: String, Codable, CaseIterable, Sendable, Hashable {
    /// 未整改: found, nothing done yet.
    case open
    /// 整改中: the responsible party reports work or evidence; awaiting re-inspection.
    case rectifying
    /// 整改到位: verified by re-inspection. Terminal unless found again.
    case rectified
    /// 隐患反弹: a rectified hazard found again.
    case rebound
    /// Closed because the subject was closed down (关停). Terminal.
    case closedDown

    /// Still needs work: counts as an open hazard for colours and overdue lists.
    public var isOpen: Bool { self == .open || self == .rectifying || self == .rebound }

    public var zh: String {
        switch self {
        case .open: "未整改"
        case .rectifying: "整改中"
        case .rectified: "整改到位"
        case .rebound: "隐患反弹"
        case .closedDown: "已关停"
        }
    }

    public var en: String {
        switch self {
        case .open: "Not rectified"
        case .rectifying: "Rectification in progress"
        case .rectified: "Rectified"
        case .rebound: "Rebound"
        case .closedDown: "Closed down"
        }
    }
}

/// What can happen to a hazard after it is found. Each applied action appends one
/// ``HazardEvent``.
public enum HazardAction: String, Codable, CaseIterable, Sendable, Hashable {
    /// The party starts work or uploads evidence.
    case startRectification
    /// A re-inspection (复查) or the inspector on the spot confirms it fixed.
    case verifyRectified
    /// A re-inspection finds it not yet fixed; may carry a new deadline. Reason required.
    case notYetRectified
    /// A rectified hazard is found again (隐患反弹).
    case reportRebound
    /// The subject is closed down (关停); its open hazards close with it.
    case closeDown

    /// Whether the event must carry a reason (why) besides who and when.
    public var requiresReason: Bool { self == .notYetRectified || self == .reportRebound || self == .closeDown }

    public var zh: String {
        switch self {
        case .startRectification: "开始整改"
        case .verifyRectified: "复查通过"
        case .notYetRectified: "复查未通过"
        case .reportRebound: "隐患反弹"
        case .closeDown: "关停"
        }
    }
}

/// The kind of a row in the hazard event log: its creation or one action.
public enum HazardEventKind: String, Codable, CaseIterable, Sendable, Hashable {
    case found
    case startRectification, verifyRectified, notYetRectified, reportRebound, closeDown
    /// The deadline passed while the hazard was open (set by the overdue job; no state change).
    case markedOverdue

    public init(_ action: HazardAction) { self = HazardEventKind(rawValue: action.rawValue)! }

    /// The action this event applied, or `nil` for `found` and `markedOverdue`.
    public var action: HazardAction? { HazardAction(rawValue: rawValue) }

    public var zh: String {
        if let action { return action.zh }
        return self == .found ? "发现隐患" : "逾期未整改"
    }
}

/// The state of one hazard that the rules need. `version` counts applied events (1 after
/// creation) and guards concurrent edits.
public struct HazardStatus: Codable, Hashable, Sendable {
    public var state: HazardState
    public var severity: Severity
    /// Deadline instant (UTC); shown as end of day in Asia/Shanghai.
    public var dueAt: Date
    public var rectifiedAt: Date?
    /// How many times the hazard has come back after being rectified.
    public var reboundCount: Int
    public var version: Int
    /// When the latest applied event happened; a new event may not be dated before it.
    public var lastEventAt: Date?
    /// Set when the overdue job found the deadline passed while open; cleared by a new
    /// deadline or by rectification. An overdue hazard counts one severity higher for colours.
    public var overdueSince: Date? = nil

    public init(state: HazardState = .open, severity: Severity, dueAt: Date, rectifiedAt: Date? = nil,
                reboundCount: Int = 0, version: Int = 1, lastEventAt: Date? = nil, overdueSince: Date? = nil) {
        self.lastEventAt = lastEventAt
        self.overdueSince = overdueSince
        self.state = state
        self.severity = severity
        self.dueAt = dueAt
        self.rectifiedAt = rectifiedAt
        self.reboundCount = reboundCount
        self.version = version
    }

    /// Open and past its deadline at `now`.
    public func isOverdue(at now: Date) -> Bool { state.isOpen && dueAt < now }
}

/// One row of the append-only hazard event log: who, when, what, why.
public struct HazardEvent: Codable, Hashable, Sendable {
    public let kind: HazardEventKind
    public let fromState: HazardState?
    public let toState: HazardState
    public let actor: String
    public let reason: String?
    /// When it happened (UTC), as the actor states it.
    public let occurredAt: Date
    /// The new deadline when the event set one.
    public let dueAt: Date?
    /// The phone that recorded it offline and its per-device sequence number, if any.
    public var deviceID: String? = nil
    public var deviceSeq: Int64? = nil
    /// Arrived after an event with a later client time had already been applied.
    public var late: Bool = false

    public init(kind: HazardEventKind, fromState: HazardState?, toState: HazardState, actor: String,
                reason: String?, occurredAt: Date, dueAt: Date?) {
        self.kind = kind
        self.fromState = fromState
        self.toState = toState
        self.actor = actor
        self.reason = reason
        self.occurredAt = occurredAt
        self.dueAt = dueAt
    }
}

/// The hazard state machine.
public enum HazardLifecycle {
    /// Days to rectify a rebound when the inspector gives no date (end of that Asia/Shanghai day).
    public static let defaultReboundDays = 7

    /// The state an action leads to from `state`, or `nil` if the action is not allowed there.
    public static func target(of action: HazardAction, from state: HazardState) -> HazardState? {
        switch (action, state) {
        case (.startRectification, .open), (.startRectification, .rebound): .rectifying
        case (.verifyRectified, .open), (.verifyRectified, .rectifying), (.verifyRectified, .rebound): .rectified
        case (.notYetRectified, .open), (.notYetRectified, .rectifying): .open
        case (.notYetRectified, .rebound): .rebound
        case (.reportRebound, .rectified): .rebound
        case (.closeDown, .open), (.closeDown, .rectifying), (.closeDown, .rebound): .closedDown
        default: nil
        }
    }

    /// Applies `action` to a hazard.
    ///
    /// - Parameters:
    ///   - newDueAt: only for `notYetRectified` (a new deadline) and `reportRebound` (the
    ///     rebound's deadline); must not be before `at`.
    ///   - expectedVersion: when given, must equal `status.version` (optimistic concurrency).
    /// - Returns: the new status (version + 1) and the event to append.
    /// - Throws: ``DomainError`` `.conflict` (field `action`, extra `currentState`) for a
    ///   transition the machine forbids, `.conflict` (field `version`) for a stale version,
    ///   `.invalid` for a missing actor or reason, a deadline in the past or over two years
    ///   ahead, or an event dated before the hazard's last event (`occurredAt`).
    public static func apply(_ action: HazardAction, to status: HazardStatus, at: Date, actor: String,
                             reason: String?, newDueAt: Date? = nil,
                             expectedVersion: Int? = nil) throws(DomainError) -> (HazardStatus, HazardEvent) {
        if let expectedVersion, expectedVersion != status.version {
            throw DomainError(.conflict, field: "version",
                              reason: "hazard is at version \(status.version), not \(expectedVersion); reload and retry",
                              extra: ["currentState": status.state.rawValue, "currentVersion": String(status.version)])
        }
        guard let to = target(of: action, from: status.state) else {
            throw DomainError(.conflict, field: "action",
                              reason: "cannot \(action.rawValue) a hazard that is \(status.state.rawValue)",
                              extra: ["currentState": status.state.rawValue, "currentVersion": String(status.version)])
        }
        if let last = status.lastEventAt, at < last {
            throw .invalid("occurredAt", "the \(action.rawValue) is dated \(Timestamp.format(at)), before the hazard's last event at \(Timestamp.format(last))")
        }
        let actor = actor.trimming(.whitespacesAndNewlines)
        guard !actor.isEmpty else { throw .invalid("actor", "who made the change is required") }
        try TextRules.check(actor, "actor", max: TextRules.personName)
        try TextRules.check(reason, "reason", max: TextRules.note, multiline: true)
        let reason = reason?.trimming(.whitespacesAndNewlines)
        if action.requiresReason, (reason ?? "").isEmpty {
            throw .invalid("reason", "\(action.rawValue) needs a reason")
        }
        var dueChange: Date? = nil
        if action == .reportRebound, newDueAt == nil {
            // A rebound gets a fresh deadline: the default rebound period, not the old, past one.
            dueChange = Deadline.due(foundAt: at, days: defaultReboundDays)
        }
        if let newDueAt {
            guard action == .notYetRectified || action == .reportRebound else {
                throw .invalid("dueOn", "a new deadline can only be set when a hazard is not yet rectified or rebounds")
            }
            guard newDueAt >= at else { throw .invalid("dueOn", "the new deadline is before the re-inspection") }
            guard newDueAt <= at.addingTimeInterval(InspectionRules.longestRectification) else {
                throw .invalid("dueOn", "a deadline more than two years ahead is not a rectification deadline")
            }
            dueChange = newDueAt
        }
        var next = status
        next.state = to
        next.version += 1
        next.lastEventAt = at
        if let dueChange { next.dueAt = dueChange }
        if dueChange != nil || to == .rectified || to == .closedDown { next.overdueSince = nil }
        switch action {
        case .verifyRectified: next.rectifiedAt = at
        case .reportRebound:
            next.rectifiedAt = nil
            next.reboundCount += 1
        default: break
        }
        let event = HazardEvent(kind: HazardEventKind(action), fromState: status.state, toState: to, actor: actor,
                                reason: (reason?.isEmpty ?? true) ? nil : reason, occurredAt: at, dueAt: dueChange)
        return (next, event)
    }
}

extension HazardLifecycle {
    /// The actions that bring a hazard from `stored` to `target`, in order (a ledger row or
    /// another platform gives only the state a hazard reached); closure is the subject's and
    /// takes none here. `nil` when `target` is not ahead of `stored`.
    public static func path(from stored: HazardState, to target: HazardState) -> [HazardAction]? {
        if stored == target { return [] }
        switch (stored, target) {
        case (.open, .rectifying), (.rebound, .rectifying): return [.startRectification]
        case (.open, .rectified), (.rectifying, .rectified), (.rebound, .rectified): return [.verifyRectified]
        case (.open, .rebound), (.rectifying, .rebound): return [.verifyRectified, .reportRebound]
        case (.rectified, .rebound): return [.reportRebound]
        case (_, .closedDown) where stored.isOpen: return []
        default: return nil
        }
    }
}

extension HazardLifecycle {
    /// Marks an open hazard overdue (the deadline has passed).
    /// - Returns: `nil` when there is nothing to mark (not open, already marked, not yet due);
    ///   else the new status and the `markedOverdue` event (actor `system`).
    public static func markOverdue(_ status: HazardStatus, at: Date) -> (HazardStatus, HazardEvent)? {
        guard DeadlineRules.needsOverdueMark(state: status.state, dueAt: status.dueAt, overdueSince: status.overdueSince, now: at) else {
            return nil
        }
        var next = status
        next.overdueSince = at
        next.version += 1
        next.lastEventAt = max(at, status.lastEventAt ?? at)
        let event = HazardEvent(kind: .markedOverdue, fromState: status.state, toState: status.state, actor: "system",
                                reason: "整改期限已过 deadline passed", occurredAt: next.lastEventAt!, dueAt: nil)
        return (next, event)
    }

    /// One event as a device recorded it, to be replayed in client order.
    public struct RecordedAction: Sendable, Equatable {
        public let action: HazardAction
        public let at: Date
        public let actor: String
        public let reason: String?
        public let newDueAt: Date?
        public init(action: HazardAction, at: Date, actor: String, reason: String?, newDueAt: Date?) {
            self.action = action
            self.at = at
            self.actor = actor
            self.reason = reason
            self.newDueAt = newDueAt
        }
    }

    /// Replays actions in the given (client) order from the status a hazard had when found.
    /// Offline phones send events late and out of order; the server keeps them all and derives
    /// the state by this fold, so the result does not depend on arrival order.
    /// - Returns: the final status and, per action, the event it produced or the error that
    ///   made it inapplicable at its place in the order (it is then skipped).
    public static func replay(from found: HazardStatus, _ actions: [RecordedAction])
        -> (status: HazardStatus, results: [Result<HazardEvent, DomainError>]) {
        var status = found
        var results: [Result<HazardEvent, DomainError>] = []
        for a in actions {
            do {
                let (next, event) = try apply(a.action, to: status, at: a.at, actor: a.actor, reason: a.reason,
                                              newDueAt: a.newDueAt)
                status = next
                results.append(.success(event))
            } catch {
                results.append(.failure(error))
            }
        }
        return (status, results)
    }
}

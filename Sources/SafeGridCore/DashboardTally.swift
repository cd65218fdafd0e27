import Foundation

/// The dashboard's figures as counters: for every area (district, town, village, grid,
/// micro-grid) a set of named integer counts, each the sum of the contributions of the hazards
/// and subjects lying in that area.
///
/// The server keeps these counters in the database and moves them in the same transaction as
/// every write, by the difference between a record's contribution before and after the write
/// (``HazardFacts/contribution``, ``SubjectFacts/contribution``). A recount sums the
/// contributions of all records afresh; the two must always agree. With counters the
/// dashboard costs a few indexed reads of at most (1 + children) × metrics rows, whatever the
/// number of hazards (p95 ≤ 20 ms at 1,000,000 hazards).
///
/// Metric names (stable; stored in `area_counters.metric`):
///
/// | metric | counts |
/// |---|---|
/// | `found`, `found.<kind>` | hazards found (all states), in total and per ``SubjectKind`` |
/// | `rectified`, `rectified.<kind>` | hazards in state ``HazardState/rectified`` |
/// | `open`, `open.<kind>` | hazards in an open state (open, rectifying, rebound) |
/// | `overdue`, `overdue.<severity>` | open hazards the deadline job has marked overdue |
/// | `foundOn.<YYYY-MM-DD>` | hazards found on that Asia/Shanghai day |
/// | `rectifiedOn.<YYYY-MM-DD>` | rectified hazards whose rectification fell on that day |
/// | `inspected.<kind>` | subjects with at least one inspection |
/// | `rooms.<kind>` | rooms (间) of inspected subjects (rental housing) |
/// | `colour.<key>` | subjects per current ``SubjectColour`` key |
public struct DashboardTally: Sendable, Equatable {
    /// Area code → metric → count. Zero counts are removed.
    public private(set) var counts: [String: [String: Int]] = [:]

    public init() {}

    public init(counts: [String: [String: Int]]) {
        for (area, metrics) in counts {
            for (metric, n) in metrics { add(n, metric, in: area) }
        }
    }

    /// Adds `n` (may be negative) to `metric` of `area`.
    public mutating func add(_ n: Int, _ metric: String, in area: String) {
        guard n != 0 else { return }
        let value = (counts[area]?[metric] ?? 0) + n
        if value == 0 {
            counts[area]?[metric] = nil
            if counts[area]?.isEmpty == true { counts[area] = nil }
        } else {
            counts[area, default: [:]][metric] = value
        }
    }

    /// Adds `sign` × the contribution of a record to every area of its lineage.
    public mutating func add(_ contribution: Contribution, sign: Int = 1) {
        for area in contribution.areas {
            for (metric, n) in contribution.metrics { add(sign * n, metric, in: area) }
        }
    }

    /// The difference `after − before` of one record: what a write must add to the counters.
    public mutating func move(from before: Contribution?, to after: Contribution?) {
        if let before { add(before, sign: -1) }
        if let after { add(after) }
    }

    /// Every non-zero count as `(area, metric, value)`, sorted by area then metric: the order
    /// in which a writer upserts them (one order for all writers, so that concurrent
    /// PostgreSQL transactions lock counter rows in the same order and cannot deadlock).
    public var rows: [(area: String, metric: String, value: Int)] {
        counts.keys.sorted().flatMap { area in
            counts[area]!.keys.sorted().map { (area, $0, counts[area]![$0]!) }
        }
    }

    /// The counts of one area.
    public subscript(area: String) -> [String: Int] { counts[area] ?? [:] }

    /// What one record adds to the counters of the areas it lies in.
    public struct Contribution: Sendable, Equatable {
        /// District, town, village, grid and micro-grid codes (``AreaCodes/lineage(of:)``).
        public let areas: [String]
        /// Metric key (``DashboardMetric/key``) → count; every count is 1 except `rooms.<kind>`.
        public let metrics: [String: Int]

        init(areas: [String], metrics: [DashboardMetric: Int]) {
            self.areas = areas
            self.metrics = Dictionary(uniqueKeysWithValues: metrics.map { ($0.key.key, $0.value) })
        }
    }
}

/// The facts about one hazard that the dashboard counts.
public struct HazardFacts: Sendable, Equatable {
    public var kind: SubjectKind
    /// The micro-grid the hazard's subject lies in (17 digits).
    public var microGridCode: String
    public var state: HazardState
    public var severity: Severity
    /// Asia/Shanghai day the hazard was found.
    public var foundOn: CalendarDate
    /// Asia/Shanghai day of the rectification, when the hazard is rectified.
    public var rectifiedOn: CalendarDate?
    /// `true` when the deadline job has marked the hazard overdue (``HazardStatus/overdueSince``).
    public var markedOverdue: Bool

    public init(kind: SubjectKind, microGridCode: String, state: HazardState, severity: Severity, foundOn: CalendarDate,
                rectifiedOn: CalendarDate?, markedOverdue: Bool) {
        self.kind = kind
        self.microGridCode = microGridCode
        self.state = state
        self.severity = severity
        self.foundOn = foundOn
        self.rectifiedOn = rectifiedOn
        self.markedOverdue = markedOverdue
    }

    /// The hazard's counts (see ``DashboardTally`` for the metric names).
    public var contribution: DashboardTally.Contribution {
        var m: [DashboardMetric: Int] = [.found: 1, .foundOf(kind): 1, .foundOn(foundOn): 1]
        if state == .rectified {
            m[.rectified] = 1
            m[.rectifiedOf(kind)] = 1
            if let day = rectifiedOn { m[.rectifiedOn(day)] = 1 }
        }
        if state.isOpen {
            m[.open] = 1
            m[.openOf(kind)] = 1
            if markedOverdue {
                m[.overdue] = 1
                m[.overdueOf(severity)] = 1
            }
        }
        return .init(areas: AreaCodes.lineage(of: microGridCode), metrics: m)
    }
}

/// The facts about one subject that the dashboard counts.
public struct SubjectFacts: Sendable, Equatable {
    public var kind: SubjectKind
    public var microGridCode: String
    /// Rooms (间) of rental housing; `nil` for other kinds.
    public var rooms: Int?
    /// `true` once the subject has at least one inspection.
    public var inspected: Bool
    /// The current colour; `nil` before the first inspection.
    public var colour: SubjectColour?

    public init(kind: SubjectKind, microGridCode: String, rooms: Int?, inspected: Bool, colour: SubjectColour?) {
        self.kind = kind
        self.microGridCode = microGridCode
        self.rooms = rooms
        self.inspected = inspected
        self.colour = colour
    }

    /// The subject's counts (see ``DashboardTally`` for the metric names).
    public var contribution: DashboardTally.Contribution {
        var m: [DashboardMetric: Int] = [:]
        if inspected {
            m[.inspectedOf(kind)] = 1
            if let rooms, rooms != 0 { m[.roomsOf(kind)] = rooms }
        }
        if let colour { m[.colour(colour)] = 1 }
        return .init(areas: AreaCodes.lineage(of: microGridCode), metrics: m)
    }
}

import Foundation

/// One counter of the dashboard (see ``DashboardTally`` for what each counts). Its ``key`` is
/// the stable name stored in `area_counters.metric`; code names metrics by case, never by text.
public enum DashboardMetric: Hashable, Sendable {
    case found
    case foundOf(SubjectKind)
    case rectified
    case rectifiedOf(SubjectKind)
    case open
    case openOf(SubjectKind)
    case overdue
    case overdueOf(Severity)
    /// Hazards found on an Asia/Shanghai day.
    case foundOn(CalendarDate)
    /// Hazards whose rectification fell on an Asia/Shanghai day.
    case rectifiedOn(CalendarDate)
    case inspectedOf(SubjectKind)
    /// Rooms (间) of inspected subjects of a kind.
    case roomsOf(SubjectKind)
    case colour(SubjectColour)

    /// The stored name: `found`, `found.enterprise`, `overdue.major`, `foundOn.2026-11-30`,
    /// `colour.serious.inProgress`, ….
    public var key: String {
        switch self {
        case .found: "found"
        case .foundOf(let k): "found.\(k.rawValue)"
        case .rectified: "rectified"
        case .rectifiedOf(let k): "rectified.\(k.rawValue)"
        case .open: "open"
        case .openOf(let k): "open.\(k.rawValue)"
        case .overdue: "overdue"
        case .overdueOf(let s): "overdue.\(s.rawValue)"
        case .foundOn(let d): "foundOn.\(d)"
        case .rectifiedOn(let d): "rectifiedOn.\(d)"
        case .inspectedOf(let k): "inspected.\(k.rawValue)"
        case .roomsOf(let k): "rooms.\(k.rawValue)"
        case .colour(let c): "colour.\(c.key)"
        }
    }
}

/// How the children of an area (the villages of a town, the towns of the district) rank on the
/// dashboard: rectification rate (basis points) descending, then fewer overdue hazards, then
/// area code — a total order, so equal figures always list the same way.
public enum AreaRanking {
    /// One child's figures to rank.
    public struct Entry: Sendable, Equatable {
        public let code: String
        public let rate: RectificationRate
        public let overdue: Int
        public init(code: String, rate: RectificationRate, overdue: Int) {
            self.code = code
            self.rate = rate
            self.overdue = overdue
        }
    }

    /// Whether `a` ranks above `b`.
    public static func ranksAbove(_ a: Entry, _ b: Entry) -> Bool {
        if a.rate.basisPoints != b.rate.basisPoints { return a.rate.basisPoints > b.rate.basisPoints }
        if a.overdue != b.overdue { return a.overdue < b.overdue }
        return a.code < b.code
    }
}

import Foundation

/// Occupancy risk class, after NFPA 1730 (Standard on Organization and Deployment of Fire
/// Prevention Inspection and Code Enforcement…), which sets the minimum inspection frequency of
/// existing occupancies by risk: high risk annually, moderate biennially, low triennially.
///
/// - high: high potential for loss of life, or occupants who depend on the building's fire
///   protection (NFPA 1730 names apartments, where people sleep, among its examples);
/// - moderate: moderate fire history and potential for loss (NFPA 1730: industrial buildings);
/// - low: little fire history and potential for loss (NFPA 1730: mercantile, business).
public enum OccupancyRisk: String, Codable, CaseIterable, Sendable, Hashable {
    case high, moderate, low

    /// The routine interval between two inspections, in days: 30, 60, 90. NFPA 1730's ratio
    /// 1 : 2 : 3 (one, two, three years) kept, scaled to the campaign's monthly patrol cycle
    /// (网格日常管) for the highest class.
    public var intervalDays: Int {
        switch self {
        case .high: 30
        case .moderate: 60
        case .low: 90
        }
    }

    public var zh: String {
        switch self {
        case .high: "高风险"
        case .moderate: "中风险"
        case .low: "低风险"
        }
    }
}

/// 网格日常管: how often grid and micro-grid workers inspect a subject, and the task list that follows.
///
/// **Default interval** by subject kind, from its ``OccupancyRisk``:
///
/// | kind | risk | days | why |
/// |---|---|---|---|
/// | 出租房 rental housing | high | 30 | people sleep there; e-bike charging indoors |
/// | 小微园区 small-micro park | high | 30 | many small firms in old plants (the article: "安全隐患较为突出") |
/// | 企业 enterprise | moderate | 60 | industrial occupancy (NFPA 1730's moderate example) |
/// | 沿街店铺 street-front shop | low | 90 | mercantile; a shop used as 三合一 premises has that hazard open and is shortened below |
///
/// **Shortened** (the shortest that applies wins):
///
/// | condition | at most every |
/// |---|---|
/// | 重点隐患企业 key hazard enterprise (``KeyHazardRanking``) | 7 days |
/// | an open extremely severe hazard (重大隐患) | 7 days |
/// | an open serious hazard (较严重) | 14 days |
///
/// "Open severity" is the worst severity among the subject's open hazards as the colour counts
/// it (``ColourRule/effectiveSeverity(_:)``: an overdue hazard one level higher), i.e. the
/// hazard category of the subject's colour.
///
/// **Due date**: the Asia/Shanghai calendar day `interval` days after the day of the last
/// inspection (inspected 2026-11-20, 14 days → due 2026-12-04); a task is done when an
/// inspection of the subject happens on or before that day.
public enum InspectionFrequency {
    /// A key hazard enterprise is inspected at least every 7 days (集中攻坚).
    public static let keyHazardEnterpriseDays = 7
    /// A subject with an open extremely severe hazard: at least every 7 days.
    public static let openExtremelySevereDays = 7
    /// A subject with an open serious hazard: at least every 14 days.
    public static let openSeriousDays = 14

    /// The risk class of a subject kind (see the type's table).
    public static func risk(of kind: SubjectKind) -> OccupancyRisk {
        switch kind {
        case .rentalHousing, .smallMicroPark: .high
        case .enterprise: .moderate
        case .streetShop: .low
        }
    }

    /// The routine interval of a subject kind, in days.
    public static func defaultIntervalDays(for kind: SubjectKind) -> Int { risk(of: kind).intervalDays }

    /// Why a subject has the interval it has.
    public enum Reason: String, Codable, CaseIterable, Sendable, Hashable {
        /// The routine interval of its kind.
        case routine
        case keyHazardEnterprise
        case openExtremelySevereHazard
        case openSeriousHazard

        public var zh: String {
            switch self {
            case .routine: "常规巡查"
            case .keyHazardEnterprise: "重点隐患企业"
            case .openExtremelySevereHazard: "存在未整改极严重隐患"
            case .openSeriousHazard: "存在未整改较严重隐患"
            }
        }
    }

    /// The interval for a subject: the shortest of its kind's default and every shortening that
    /// applies; the reason names the rule that set it (key hazard enterprise before an open
    /// extremely severe hazard when both give 7 days).
    public static func interval(kind: SubjectKind, isKeyHazardEnterprise: Bool,
                                worstOpenSeverity: Severity?) -> (days: Int, reason: Reason) {
        var best = (days: defaultIntervalDays(for: kind), reason: Reason.routine)
        var rules: [(Int, Reason)] = []
        if isKeyHazardEnterprise { rules.append((keyHazardEnterpriseDays, .keyHazardEnterprise)) }
        switch worstOpenSeverity {
        case .extremelySevere?: rules.append((openExtremelySevereDays, .openExtremelySevereHazard))
        case .serious?: rules.append((openSeriousDays, .openSeriousHazard))
        case .general?, nil: break
        }
        for (days, reason) in rules where days < best.days { best = (days, reason) }
        return best
    }

    /// The day the next inspection is due: `intervalDays` Asia/Shanghai calendar days after
    /// `lastInspectedOn`.
    public static func nextDue(lastInspectedOn: CalendarDate, intervalDays: Int) -> CalendarDate {
        lastInspectedOn.adding(days: intervalDays)
    }

    /// The same from the instant of the last inspection (its Asia/Shanghai day counts: a visit at
    /// 2026-11-30T23:30:00+08:00 is on 11-30, one at 2026-11-30T16:30:00Z is on 12-01).
    public static func nextDue(lastInspectedAt: Date, intervalDays: Int) -> CalendarDate {
        nextDue(lastInspectedOn: CalendarDate(shanghai: lastInspectedAt), intervalDays: intervalDays)
    }

    /// A subject offered to task generation.
    public struct TaskSubject: Codable, Hashable, Sendable {
        public let subjectId: UUID
        public let kind: SubjectKind
        /// The grid (14 digits) or micro-grid (17 digits) the task is assigned by.
        public let areaCode: String
        /// The Asia/Shanghai day of its latest inspection; `nil` if never inspected.
        public let lastInspectedOn: CalendarDate?
        public let isKeyHazardEnterprise: Bool
        /// Worst open severity as the colour counts it; `nil` without open hazards.
        public let worstOpenSeverity: Severity?
        /// A closed-down subject (关停) gets no tasks.
        public let closedDown: Bool
        /// For "nearest first" on the worker's phone.
        public let location: GeoPoint?

        public init(subjectId: UUID, kind: SubjectKind, areaCode: String, lastInspectedOn: CalendarDate?,
                    isKeyHazardEnterprise: Bool = false, worstOpenSeverity: Severity? = nil, closedDown: Bool = false,
                    location: GeoPoint? = nil) {
            self.subjectId = subjectId
            self.kind = kind
            self.areaCode = areaCode
            self.lastInspectedOn = lastInspectedOn
            self.isKeyHazardEnterprise = isKeyHazardEnterprise
            self.worstOpenSeverity = worstOpenSeverity
            self.closedDown = closedDown
            self.location = location
        }
    }

    /// An inspection task for a grid or micro-grid worker.
    public struct InspectionTask: Codable, Hashable, Sendable {
        public let subjectId: UUID
        public let kind: SubjectKind
        public let areaCode: String
        /// When it is due: the rule's day, or the period's first day if that was earlier.
        public let dueOn: CalendarDate
        /// The day the rule gives (last inspection + interval); `nil` for a subject never
        /// inspected. Earlier than `dueOn` when the subject was already behind at generation.
        public let scheduledOn: CalendarDate?
        public let intervalDays: Int
        public let reason: Reason
        public let location: GeoPoint?

        /// The subject was due before the period began (or was never inspected).
        public var isCatchUp: Bool { scheduledOn.map { $0 < dueOn } ?? true }
    }

    /// The tasks of the period `from`…`through` (Asia/Shanghai days, inclusive).
    ///
    /// At most one task per subject, the next inspection it needs: a subject gets a task when its
    /// next due day (``nextDue(lastInspectedOn:intervalDays:)`` with its ``interval(kind:isKeyHazardEnterprise:worstOpenSeverity:)``)
    /// is on or before `through`; a due day before `from` — the subject is behind, or its
    /// interval just shortened — becomes `from`, so no task is born overdue, and a subject never
    /// inspected is due on `from`. No task for a closed-down subject or for one that already has
    /// an open task (`openTaskSubjectIds`): the next task is generated from the inspection that
    /// closes the open one.
    ///
    /// - Returns: tasks by due day, then area code, then subject id.
    /// - Throws: ``DomainError`` `.invalid` on `through` (before `from`), `subjects[i].subjectId`
    ///   (given twice) and `subjects[i].areaCode` (not a 14-digit grid or 17-digit micro-grid code).
    public static func tasks(for subjects: [TaskSubject], from: CalendarDate, through: CalendarDate,
                             openTaskSubjectIds: Set<UUID> = []) throws(DomainError) -> [InspectionTask] {
        guard from <= through else { throw .invalid("through", "the period ends \(through), before it begins \(from)") }
        var seen = Set<UUID>()
        var tasks: [InspectionTask] = []
        for (i, s) in subjects.enumerated() {
            guard seen.insert(s.subjectId).inserted else {
                throw .invalid("subjects[\(i)].subjectId", "subject \(s.subjectId) is given twice")
            }
            let level = AreaLevel(codeLength: s.areaCode.count)
            guard level == .grid || level == .microGrid, s.areaCode.allSatisfy(\.isASCIIDigitCharacter) else {
                throw .invalid("subjects[\(i)].areaCode", "tasks are assigned by a 14-digit grid or 17-digit micro-grid code, got \(s.areaCode)")
            }
            if s.closedDown || openTaskSubjectIds.contains(s.subjectId) { continue }
            let (days, reason) = interval(kind: s.kind, isKeyHazardEnterprise: s.isKeyHazardEnterprise,
                                          worstOpenSeverity: s.worstOpenSeverity)
            let scheduled = s.lastInspectedOn.map { nextDue(lastInspectedOn: $0, intervalDays: days) }
            if let scheduled, scheduled > through { continue }
            tasks.append(InspectionTask(subjectId: s.subjectId, kind: s.kind, areaCode: s.areaCode,
                                        dueOn: max(scheduled ?? from, from), scheduledOn: scheduled,
                                        intervalDays: days, reason: reason, location: s.location))
        }
        return tasks.sorted {
            ($0.dueOn, $0.areaCode, $0.subjectId.uuidString) < ($1.dueOn, $1.areaCode, $1.subjectId.uuidString)
        }
    }

    /// Orders items nearest first from `origin` by great-circle distance
    /// (``GeoPoint/distanceMetres(to:)``); items without a location come last. Stable: equal
    /// distances keep the input order (sort tasks by due day first to break ties by it).
    public static func nearestFirst<T>(_ items: [T], from origin: GeoPoint,
                                       location: (T) -> GeoPoint?) -> [(item: T, metres: Double?)] {
        let measured = items.enumerated().map { i, item in (i, item, location(item).map { origin.distanceMetres(to: $0) }) }
        return measured.sorted { a, b in
            switch (a.2, b.2) {
            case let (x?, y?): return x != y ? x < y : a.0 < b.0
            case (_?, nil): return true
            case (nil, _?): return false
            case (nil, nil): return a.0 < b.0
            }
        }.map { ($0.1, $0.2) }
    }
}

extension GeoPoint {
    /// Great-circle distance in metres (haversine on a sphere of the IUGG mean Earth radius,
    /// 6,371,008.8 m; within about 0.5% of the ellipsoidal distance). Both points are taken to
    /// WGS-84 first, so a GCJ-02 point and a WGS-84 point of the same place are ~0 m apart.
    public func distanceMetres(to other: GeoPoint) -> Double {
        let a = converted(to: .wgs84), b = other.converted(to: .wgs84)
        let radians = Double.pi / 180
        let dLat = (b.latitude - a.latitude) * radians
        let dLon = (b.longitude - a.longitude) * radians
        let h = sin(dLat / 2) * sin(dLat / 2)
            + cos(a.latitude * radians) * cos(b.latitude * radians) * sin(dLon / 2) * sin(dLon / 2)
        return 2 * 6_371_008.8 * asin(min(1, h.squareRoot()))
    }
}

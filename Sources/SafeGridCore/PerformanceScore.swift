/// 绩效等级: the grade of a composite performance score.
///
/// | grade | score (of 100) |
/// |---|---|
/// | A | ≥ 90.00 |
/// | B | ≥ 75.00 |
/// | C | ≥ 60.00 |
/// | D | ≥ 40.00 |
/// | E | below 40.00 |
///
/// Read from the published two-decimal score (``PerformanceScore/basisPoints``), never from a
/// floating-point value: a score shown as 89.99 is B, one shown as 90.00 is A.
public enum PerformanceGrade: String, Codable, CaseIterable, Sendable, Hashable {
    case A, B, C, D, E

    /// The lowest score of the grade in hundredths of a point (A 9000 = 90.00); E 0.
    public var minimumBasisPoints: Int {
        switch self {
        case .A: 9_000
        case .B: 7_500
        case .C: 6_000
        case .D: 4_000
        case .E: 0
        }
    }

    /// The grade of a score in hundredths of a point (0…10000).
    public init(basisPoints: Int) {
        self = Self.allCases.first { basisPoints >= $0.minimumBasisPoints } ?? .E
    }

    public var zh: String {
        switch self {
        case .A: "优秀"
        case .B: "良好"
        case .C: "合格"
        case .D: "基本合格"
        case .E: "不合格"
        }
    }
}

/// What a grid worker (网格员 / 微网格员) or a village did in a period, for its performance score.
/// Counts are for the period the caller chose (a month, a quarter); all must be ≥ 0.
public struct PerformanceInputs: Codable, Hashable, Sendable {
    /// Inspection tasks (routine and directed, 定向) whose due date fell in the period.
    public var tasksDue: Int
    /// Of those, done by an inspection on or before their due date.
    public var tasksDoneOnTime: Int
    /// Hazards the worker or village reported in the period.
    public var hazardsReported: Int
    /// Of those, confirmed by an inspector or the joint team (a real hazard).
    public var reportsConfirmed: Int
    /// Of those, rejected (not a hazard, duplicate). Reports still awaiting a decision count in
    /// neither, so a report made on the last day of the period does not lower the rate.
    public var reportsRejected: Int
    /// 定额: confirmed reports expected in the period; `nil` or 0 when no quota was set.
    public var reportQuota: Int?
    /// Re-inspections (复查) whose due date fell in the period.
    public var reinspectionsDue: Int
    /// Of those, done on or before their due date.
    public var reinspectionsDoneOnTime: Int
    /// 整改率 of the area (the worker's grid or micro-grid, or the village) at the period's end.
    public var areaRectification: RectificationRate

    public init(tasksDue: Int = 0, tasksDoneOnTime: Int = 0, hazardsReported: Int = 0, reportsConfirmed: Int = 0,
                reportsRejected: Int = 0, reportQuota: Int? = nil, reinspectionsDue: Int = 0,
                reinspectionsDoneOnTime: Int = 0, areaRectification: RectificationRate = RectificationRate(found: 0, rectified: 0)) {
        self.tasksDue = tasksDue
        self.tasksDoneOnTime = tasksDoneOnTime
        self.hazardsReported = hazardsReported
        self.reportsConfirmed = reportsConfirmed
        self.reportsRejected = reportsRejected
        self.reportQuota = reportQuota
        self.reinspectionsDue = reinspectionsDue
        self.reinspectionsDoneOnTime = reinspectionsDoneOnTime
        self.areaRectification = areaRectification
    }
}

/// 绩效评分: a composite 0–100 score of a worker or a village, from published weights, and its
/// ``PerformanceGrade`` (the "三定" incentive scheme's 定额 and 定向 work measured).
///
/// Components and weights (of 100):
///
/// | component | rate | weight |
/// |---|---|---|
/// | ``Component/tasksOnTime`` 任务按时完成率 | tasks done on time ÷ tasks due | 30 |
/// | ``Component/validReports`` 上报有效率 | reports confirmed ÷ (confirmed + rejected) | 20 |
/// | ``Component/reportQuota`` 定额完成率 | min(reports confirmed, quota) ÷ quota | 10 |
/// | ``Component/reinspectionsOnTime`` 复查按时率 | re-inspections done on time ÷ due | 20 |
/// | ``Component/rectificationRate`` 整改率 | the area's ``RectificationRate`` | 20 |
///
/// The quota counts confirmed reports only, so a quota cannot be filled with reports that turn
/// out not to be hazards.
///
/// **Empty components.** A component whose denominator is 0 (no tasks due, no decided report,
/// no quota set, no re-inspection due, no hazard found in the area) is left out — no work of
/// that kind is neither merit nor fault — and the weights of the components present are
/// renormalised to 100. With no component at all there is no score and no grade.
///
/// **Rounding.** Integer arithmetic in hundredths of a point (basis points, 10000 = 100.00):
/// each component rate is rounded half up to two decimals (as ``RectificationRate`` is), then
/// `score = (Σ weightᵢ × rateᵢ) ÷ Σ weightᵢ` over the present components, rounded half up to
/// two decimals. The score is what is published and what the grade reads; anyone can recompute
/// it by hand from the published component rates.
public struct PerformanceScore: Codable, Hashable, Sendable, CustomStringConvertible {
    /// A part of the composite score.
    public enum Component: String, Codable, CaseIterable, Sendable, Hashable {
        case tasksOnTime
        case validReports
        case reportQuota
        case reinspectionsOnTime
        case rectificationRate

        /// The published weight (sum 100).
        public var weight: Int {
            switch self {
            case .tasksOnTime: 30
            case .validReports: 20
            case .reportQuota: 10
            case .reinspectionsOnTime: 20
            case .rectificationRate: 20
            }
        }

        public var zh: String {
            switch self {
            case .tasksOnTime: "任务按时完成率"
            case .validReports: "上报有效率"
            case .reportQuota: "定额完成率"
            case .reinspectionsOnTime: "复查按时率"
            case .rectificationRate: "整改率"
            }
        }

        public var en: String {
            switch self {
            case .tasksOnTime: "Tasks done on time"
            case .validReports: "Valid reports"
            case .reportQuota: "Quota met"
            case .reinspectionsOnTime: "Re-inspections on time"
            case .rectificationRate: "Rectification rate"
            }
        }
    }

    /// One present component: its fraction and rate.
    public struct Part: Codable, Hashable, Sendable {
        public let component: Component
        public let numerator: Int
        /// > 0.
        public let denominator: Int
        /// The rate in hundredths of a percent, half up (0…10000).
        public let basisPoints: Int
    }

    /// The components that had work, in ``Component`` order.
    public let parts: [Part]
    /// The components left out for want of a denominator.
    public let omitted: [Component]
    /// The score in hundredths of a point (0…10000; 8750 = 87.50), or `nil` when no component had work.
    public let basisPoints: Int?
    /// The grade of ``basisPoints``, or `nil` without a score.
    public let grade: PerformanceGrade?

    /// The score, e.g. `87.5`; `nil` without a score.
    public var points: Double? { basisPoints.map { Double($0) / 100 } }

    /// `"87.50"`, or `"—"` without a score.
    public var description: String {
        guard let bp = basisPoints else { return "—" }
        let frac = bp % 100
        return "\(bp / 100).\(frac < 10 ? "0" : "")\(frac)"
    }

    /// Scores `inputs` (see the type's documentation for weights, empty components and rounding).
    /// - Throws: ``DomainError`` `.invalid` naming the input for a negative count, more done on
    ///   time than due (`tasksDoneOnTime`, `reinspectionsDoneOnTime`), more decided reports than
    ///   reported (`reportsConfirmed`), or more rectified than found (`areaRectification.rectified`).
    public init(_ inputs: PerformanceInputs) throws(DomainError) {
        let counts: [(String, Int)] = [
            ("tasksDue", inputs.tasksDue), ("tasksDoneOnTime", inputs.tasksDoneOnTime),
            ("hazardsReported", inputs.hazardsReported), ("reportsConfirmed", inputs.reportsConfirmed),
            ("reportsRejected", inputs.reportsRejected), ("reportQuota", inputs.reportQuota ?? 0),
            ("reinspectionsDue", inputs.reinspectionsDue), ("reinspectionsDoneOnTime", inputs.reinspectionsDoneOnTime),
            ("areaRectification.found", inputs.areaRectification.found),
            ("areaRectification.rectified", inputs.areaRectification.rectified),
        ]
        for (field, n) in counts where n < 0 { throw .invalid(field, "\(field) cannot be negative, got \(n)") }
        guard inputs.tasksDoneOnTime <= inputs.tasksDue else {
            throw .invalid("tasksDoneOnTime", "\(inputs.tasksDoneOnTime) tasks done on time, but only \(inputs.tasksDue) were due")
        }
        guard inputs.reportsConfirmed + inputs.reportsRejected <= inputs.hazardsReported else {
            throw .invalid("reportsConfirmed", "\(inputs.reportsConfirmed) confirmed and \(inputs.reportsRejected) rejected, but only \(inputs.hazardsReported) reported")
        }
        guard inputs.reinspectionsDoneOnTime <= inputs.reinspectionsDue else {
            throw .invalid("reinspectionsDoneOnTime", "\(inputs.reinspectionsDoneOnTime) re-inspections done on time, but only \(inputs.reinspectionsDue) were due")
        }
        guard inputs.areaRectification.rectified <= inputs.areaRectification.found else {
            throw .invalid("areaRectification.rectified", "\(inputs.areaRectification.rectified) rectified, but only \(inputs.areaRectification.found) found")
        }
        let quota = inputs.reportQuota ?? 0
        let fractions: [(Component, Int, Int)] = [
            (.tasksOnTime, inputs.tasksDoneOnTime, inputs.tasksDue),
            (.validReports, inputs.reportsConfirmed, inputs.reportsConfirmed + inputs.reportsRejected),
            (.reportQuota, min(inputs.reportsConfirmed, quota), quota),
            (.reinspectionsOnTime, inputs.reinspectionsDoneOnTime, inputs.reinspectionsDue),
            (.rectificationRate, inputs.areaRectification.rectified, inputs.areaRectification.found),
        ]
        var parts: [Part] = []
        var omitted: [Component] = []
        for (component, numerator, denominator) in fractions {
            if denominator == 0 {
                omitted.append(component)
            } else {
                parts.append(Part(component: component, numerator: numerator, denominator: denominator,
                                  basisPoints: Self.halfUp(numerator * 10_000, denominator)))
            }
        }
        self.parts = parts
        self.omitted = omitted
        let totalWeight = parts.reduce(0) { $0 + $1.component.weight }
        if totalWeight == 0 {
            basisPoints = nil
            grade = nil
        } else {
            let bp = Self.halfUp(parts.reduce(0) { $0 + $1.component.weight * $1.basisPoints }, totalWeight)
            basisPoints = bp
            grade = PerformanceGrade(basisPoints: bp)
        }
    }

    /// `numerator ÷ denominator` rounded half up, for non-negative numerator and positive denominator.
    static func halfUp(_ numerator: Int, _ denominator: Int) -> Int {
        (2 * numerator + denominator) / (2 * denominator)
    }

    /// The weight a present component counts with after renormalisation, in hundredths of a
    /// percent of the score (half up; for display — the score itself uses the exact fraction).
    public func effectiveWeightBasisPoints(_ component: Component) -> Int {
        let total = parts.reduce(0) { $0 + $1.component.weight }
        guard total > 0, parts.contains(where: { $0.component == component }) else { return 0 }
        return Self.halfUp(component.weight * 10_000, total)
    }

    /// A place in a performance ranking.
    public struct Place: Codable, Hashable, Sendable {
        /// Who: a worker's id or a village code.
        public let key: String
        public let score: PerformanceScore
        /// Competition rank by score, 1 = best, equal scores share it; `nil` without a score.
        public let rank: Int?
    }

    /// Ranks scores best first (equal two-decimal scores share a rank, listed by key); those
    /// without a score come last, unranked, by key.
    public static func ranked(_ scores: [String: PerformanceScore]) -> [Place] {
        let scored = scores.compactMap { k, s in s.basisPoints.map { (k, s, $0) } }
            .sorted { a, b in a.2 != b.2 ? a.2 > b.2 : a.0 < b.0 }
        var places: [Place] = []
        var rank = 0
        for (i, (key, score, bp)) in scored.enumerated() {
            if i == 0 || bp != scored[i - 1].2 { rank = i + 1 }
            places.append(Place(key: key, score: score, rank: rank))
        }
        places += scores.filter { $0.value.basisPoints == nil }.keys.sorted().map { Place(key: $0, score: scores[$0]!, rank: nil) }
        return places
    }
}

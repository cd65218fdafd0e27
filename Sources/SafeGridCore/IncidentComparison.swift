import Foundation

/// A kind of incident the campaign is judged by (the article's results: 有效警情, 火警, 交通事故).
/// Raw values are the import's and the API's spelling.
public enum IncidentKind: String, Codable, CaseIterable, Sendable, Hashable {
    /// 有效警情: a valid police incident (a call to 110 that police judged a real case).
    case policeIncident
    /// 火警: a fire call (119).
    case fireAlarm
    /// 交通事故: a road traffic accident.
    case trafficAccident

    public var zh: String {
        switch self {
        case .policeIncident: "有效警情"
        case .fireAlarm: "火警"
        case .trafficAccident: "交通事故"
        }
    }

    public var en: String {
        switch self {
        case .policeIncident: "Valid police incidents"
        case .fireAlarm: "Fire alarms"
        case .trafficAccident: "Traffic accidents"
        }
    }

    /// The article's year-on-year change for the campaign period, in hundredths of a percent:
    /// −1916 (−19.16%), −3700 (−37%, which the article gives without decimals), −758 (−7.58%).
    public var articleYearOnYearHundredths: Int {
        switch self {
        case .policeIncident: -1916
        case .fireAlarm: -3700
        case .trafficAccident: -758
        }
    }

    /// ``articleYearOnYearHundredths`` as a percentage: −19.16, −37.00, −7.58.
    public var articleYearOnYear: Decimal {
        Decimal(sign: articleYearOnYearHundredths < 0 ? .minus : .plus, exponent: -2,
                significand: Decimal(abs(articleYearOnYearHundredths)))
    }
}

/// A span of Asia/Shanghai calendar days, `first` through `last` inclusive, over which incidents
/// are counted; with the two periods figures are compared against.
public struct ReportingPeriod: Codable, Hashable, Sendable, CustomStringConvertible {
    public let first: CalendarDate
    public let last: CalendarDate

    /// The longest period: ten years (3,653 days), which keeps every comparison period a real date.
    public static let maximumDays = 3_653

    /// - Throws: ``InvalidValue`` when `last` is before `first`, the period is longer than
    ///   ``maximumDays``, or it starts before 1901 (no incident record is that old).
    public init(first: CalendarDate, last: CalendarDate) throws(InvalidValue) {
        guard first <= last else { throw InvalidValue("the period ends on \(last), before it starts on \(first)") }
        let days = first.days(until: last) + 1
        guard days <= Self.maximumDays else {
            throw InvalidValue("the period has \(days) days; at most \(Self.maximumDays) (ten years) are compared")
        }
        guard first.year >= 1901 else { throw InvalidValue("the period starts in \(first.year), before 1901") }
        self.first = first
        self.last = last
    }

    /// Number of days, both ends included (1 for a single day).
    public var dayCount: Int { first.days(until: last) + 1 }

    public func contains(_ day: CalendarDate) -> Bool { first <= day && day <= last }

    /// 同比: the same calendar days one year earlier. 29 February, at either end, becomes
    /// 28 February, so 2024-02-01…2024-02-29 compares with 2023-02-01…2023-02-28 (the two may
    /// then differ in length by a day, as the calendar does; the same dates are what 同比 means).
    public var sameLastYear: ReportingPeriod {
        ReportingPeriod(unchecked: Self.yearEarlier(first), Self.yearEarlier(last))
    }

    /// 环比: the period of the same number of days just before this one: 2024-10-01…2024-10-31
    /// (31 days) compares with 2024-08-31…2024-09-30.
    public var previous: ReportingPeriod {
        ReportingPeriod(unchecked: first.adding(days: -dayCount), first.adding(days: -1))
    }

    /// `"2024-10-01…2024-10-31"`.
    public var description: String { "\(first)…\(last)" }

    // MARK: - Internals

    private init(unchecked first: CalendarDate, _ last: CalendarDate) {
        self.first = first
        self.last = last
    }

    private static func yearEarlier(_ d: CalendarDate) -> CalendarDate {
        let day = d.month == 2 && d.day == 29 ? 28 : d.day
        // The year is ≥ 1900 and the day exists in every year's month, so this does not fail; the
        // fallback keeps a crash out of it all the same.
        return (try? CalendarDate(year: d.year - 1, month: d.month, day: day)) ?? d.adding(days: -365)
    }
}

/// Year-on-year (同比) and period-on-period (环比) figures: ``Change`` for a count against its
/// base, and helpers for the demo generator that find counts reproducing a percentage exactly.
///
/// The smallest base counts that reproduce the article's figures: 100 → 63 (−37.00%),
/// 167 → 135 (−19.16%), 66 → 61 (−7.58%). Town-sized ones for the campaign period:
/// police incidents 1,002 → 810 (−19.16%), fire alarms 100 → 63 (−37.00%), traffic accidents
/// 330 → 305 (−7.58%).
public enum IncidentComparison {
    /// The change of a count against a base count (同比 or 环比), as the screens show it: a
    /// direction and a percentage with two decimals.
    ///
    /// `percent = (current − base) ÷ base × 100`, rounded to two decimals half away from zero
    /// (−19.165 → −19.17, 19.165 → 19.17), computed in integers so that the same counts give the
    /// same figure everywhere. A zero base has no percentage (``percent`` is `nil`): a rise from 0
    /// is ``Direction/new``, and 0 against 0 is ``Direction/flat``.
    public struct Change: Codable, Hashable, Sendable, CustomStringConvertible {
        public enum Direction: String, Codable, CaseIterable, Sendable, Hashable {
            /// 上升: more than the base.
            case up
            /// 下降: fewer than the base.
            case down
            /// 持平: the same count.
            case flat
            /// 新增: more than a base of zero; a rise with no percentage.
            case new

            public var zh: String {
                switch self {
                case .up: "上升"
                case .down: "下降"
                case .flat: "持平"
                case .new: "新增"
                }
            }

            public var en: String {
                switch self {
                case .up: "Up"
                case .down: "Down"
                case .flat: "Flat"
                case .new: "New"
                }
            }
        }

        public let current: Int
        public let base: Int
        /// Taken from the counts, not the rounded percentage: 100,001 against 100,000 is `up` though
        /// its percentage rounds to 0.00.
        public let direction: Direction
        /// The percentage in hundredths (−1916 for −19.16%), `nil` for a zero base.
        public let hundredths: Int?

        /// - Throws: ``InvalidValue`` for a negative count.
        public init(current: Int, base: Int) throws(InvalidValue) {
            guard current >= 0, base >= 0 else {
                throw InvalidValue("counts cannot be negative (current \(current), base \(base))")
            }
            self.current = current
            self.base = base
            if base == 0 {
                // No percentage of nothing: 0 against 0 is flat, but not "0.00%".
                direction = current == 0 ? .flat : .new
                hundredths = nil
            } else {
                direction = current > base ? .up : current < base ? .down : .flat
                hundredths = Self.roundedHundredths(current - base, base)
            }
        }

        /// `current − base`.
        public var difference: Int { current - base }

        /// The percentage with two decimals (−19.16, 5.00, 0.00), `nil` for a zero base.
        /// Exact: built from ``hundredths`` with exponent −2.
        public var percent: Decimal? {
            hundredths.map { Decimal(sign: $0 < 0 ? .minus : .plus, exponent: -2, significand: Decimal($0.magnitude)) }
        }

        /// `"−19.16%"` (U+2212 MINUS SIGN, as typeset figures use), `"+5.00%"`, `"0.00%"` for no
        /// change; `"−0.00%"` / `"+0.00%"` for a change too small to show in two decimals (the
        /// direction is still told); `"—"` (U+2014) for a zero base, which has no percentage.
        public var formatted: String {
            guard let hundredths else { return "—" }
            let sign = switch direction {
            case .up, .new: "+"
            case .down: "\u{2212}"
            case .flat: ""
            }
            let m = hundredths.magnitude
            let cents = m % 100
            return "\(sign)\(m / 100).\(cents < 10 ? "0" : "")\(cents)%"
        }

        public var description: String { "\(current) vs \(base): \(formatted)" }

        /// `round(difference × 10000 ÷ base)` half away from zero, in integers.
        static func roundedHundredths(_ difference: Int, _ base: Int) -> Int {
            IncidentComparison.roundedQuotient(difference * 10_000, base)
        }
    }

    /// The current count whose ``Change`` against `base` has exactly `targetHundredths`
    /// (e.g. −1916 for −19.16%), or `nil` when no whole count gives it (base 10 → only whole
    /// tens of percent) or the base is not positive. When several counts round to the target
    /// (bases above 10,000), the one nearest the exact ratio.
    public static func current(reproducing targetHundredths: Int, base: Int) -> Int? {
        guard base > 0, targetHundredths >= -10_000 else { return nil }
        // The exact solution of difference × 10000 ÷ base = target, rounded; the neighbours
        // cover where rounding the other way still lands on the target.
        let guess = roundedQuotient(targetHundredths * base, 10_000)
        for difference in [guess, guess - 1, guess + 1] where base + difference >= 0 {
            if Change.roundedHundredths(difference, base) == targetHundredths { return base + difference }
        }
        return nil
    }

    /// `round(numerator ÷ divisor)` half away from zero; `divisor` > 0.
    static func roundedQuotient(_ numerator: Int, _ divisor: Int) -> Int {
        let n = numerator.magnitude, d = UInt(divisor)
        let q = Int((2 * n + d) / (2 * d))
        return numerator < 0 ? -q : q
    }

    /// The smallest base ≥ `from` (and ≤ `through`) for which ``current(reproducing:base:)``
    /// finds a count, with that count; `nil` if none in range.
    public static func smallestBase(reproducing targetHundredths: Int, from: Int = 1,
                                    through: Int = 100_000) -> (base: Int, current: Int)? {
        guard from <= through else { return nil }
        for base in max(1, from)...max(1, through) {
            if let current = current(reproducing: targetHundredths, base: base) { return (base, current) }
        }
        return nil
    }
}

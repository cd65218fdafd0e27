import Foundation
import SafeGridApp
import SafeGridCore

/// Two years of daily incident counts (有效警情, 火警, 交通事故) for 瓜沥's villages, from a seed,
/// such that the campaign period's town totals against the same days a year earlier give the
/// article's results exactly (行动期间，全镇有效警情较去年同期下降19.16%，火警较去年同期下降37%，
/// 交通事故较去年同期下降7.58%): −19.16%, −37.00%, −7.58%.
///
/// The campaign period is the 72 days of the campaign's visits, `asOf − 72 … asOf − 1`
/// (``DemoCampaign``; the article gives no dates for 行动期间). The same days a year earlier
/// (``ReportingPeriod/sameLastYear``) hold ``baseCounts``; the campaign period the count
/// ``IncidentComparison/current(reproducing:base:)`` finds for the article's percentage (810,
/// 63, 305). Each of those incidents falls on a day of its period and in a village drawn at
/// random (villages weighted, so that the ranking has a shape). Every other day of the two years
/// has a Poisson-distributed count at last year's daily rate. Only non-zero counts are records.
package struct DemoIncidents: Sendable {
    /// The town's incidents in the 72 days a year before the campaign period, per kind. With
    /// these bases the article's percentages are reproduced by whole counts: police incidents
    /// 1,002 → 810 (−19.16%), fire alarms 100 → 63 (−37.00%), traffic accidents 330 → 305 (−7.58%).
    package static let baseCounts: [IncidentKind: Int] = [.policeIncident: 1_002, .fireAlarm: 100, .trafficAccident: 330]

    /// Days of the campaign, as ``DemoCampaign`` visits: the 72 days before `asOf`.
    package static let campaignDays = 72

    /// Days of records, ending the day before `asOf`: two years.
    package static let recordDays = 730

    /// `asOf − 72 … asOf − 1`: the period the demo reproduces the article's results for.
    package static func campaignPeriod(asOf: CalendarDate) -> ReportingPeriod {
        let last = asOf.adding(days: -1)
        // Cannot fail for any date the demo accepts (not in the future, so after 1901).
        guard let p = try? ReportingPeriod(first: last.adding(days: -(campaignDays - 1)), last: last) else {
            preconditionFailure("the campaign period before \(asOf) is not a period")
        }
        return p
    }

    /// The town's totals per kind: the base (same period last year) and the campaign's count.
    /// - Throws: `.invalid` if no whole count reproduces the article's percentage for a base
    ///   (a wrong constant).
    package static func targets() throws(DomainError) -> [IncidentKind: (base: Int, current: Int)] {
        var out: [IncidentKind: (base: Int, current: Int)] = [:]
        for kind in IncidentKind.allCases {
            let base = baseCounts[kind] ?? 0
            guard let current = IncidentComparison.current(reproducing: kind.articleYearOnYearHundredths, base: base) else {
                throw .invalid("baseCounts", "no count against \(base) gives \(kind.articleYearOnYear)% for \(kind.rawValue)")
            }
            out[kind] = (base, current)
        }
        return out
    }

    package let period: ReportingPeriod
    /// One per village, day and kind with at least one incident, in day, village and kind order.
    package let records: [IncidentRecord]

    /// - Parameters:
    ///   - villages: the town's villages and communities (at least one).
    /// - Throws: `.invalid` on `villages` when there is none, or as ``targets()``.
    package init(seed: UInt64, asOf: CalendarDate, villages: [Area]) throws(DomainError) {
        guard !villages.isEmpty else { throw .invalid("villages", "the demo's incidents need at least one village") }
        // A stream of its own, so that the campaign's records do not change with these.
        var rng = SeededGenerator(seed: seed ^ 0x1AC1_DE27_5EED_0001)
        let period = Self.campaignPeriod(asOf: asOf)
        let lastYear = period.sameLastYear
        let targets = try Self.targets()
        let last = period.last
        let first = last.adding(days: -(Self.recordDays - 1))
        let codes = villages.map(\.code).sorted()
        // Some villages have far more incidents than others (market towns, main roads).
        let weights = codes.map { _ in 0.3 + 2.0 * rng.unit() * rng.unit() }
        var cumulative: [Double] = []
        var sum = 0.0
        for w in weights { sum += w; cumulative.append(sum) }
        func village() -> Int {
            let r = rng.unit() * sum
            var lo = 0, hi = cumulative.count - 1
            while lo < hi {
                let mid = (lo + hi) / 2
                if cumulative[mid] > r { hi = mid } else { lo = mid + 1 }
            }
            return lo
        }
        // day offset from `first` → village index → kind → count
        var counts: [Int: [Int: [IncidentKind: Int]]] = [:]
        func add(day: CalendarDate, kind: IncidentKind) {
            counts[first.days(until: day), default: [:]][village(), default: [:]][kind, default: 0] += 1
        }
        for kind in IncidentKind.allCases {
            guard let t = targets[kind] else { continue }
            // Exact totals in the two compared periods.
            for (p, total) in [(period, t.current), (lastYear, t.base)] {
                for _ in 0..<total { add(day: p.first.adding(days: rng.int(0...(p.dayCount - 1))), kind: kind) }
            }
            // Every other day: last year's daily rate.
            let rate = Double(t.base) / Double(lastYear.dayCount)
            for offset in 0..<Self.recordDays {
                let day = first.adding(days: offset)
                if period.contains(day) || lastYear.contains(day) { continue }
                for _ in 0..<Self.poisson(rate, &rng) { add(day: day, kind: kind) }
            }
        }
        var records: [IncidentRecord] = []
        for offset in counts.keys.sorted() {
            let day = first.adding(days: offset)
            guard let byVillage = counts[offset] else { continue }
            for v in byVillage.keys.sorted() {
                for kind in IncidentKind.allCases {
                    if let n = byVillage[v]?[kind], n > 0 {
                        records.append(IncidentRecord(areaCode: codes[v], day: day, kind: kind, count: n))
                    }
                }
            }
        }
        self.period = period
        self.records = records
    }

    /// A Poisson-distributed count with mean `lambda` (Knuth's product of uniforms; the demo's
    /// daily rates are below 15).
    static func poisson(_ lambda: Double, _ rng: inout SeededGenerator) -> Int {
        let limit = exp(-lambda)
        var k = 0
        var p = rng.unit()
        while p > limit {
            k += 1
            p *= rng.unit()
        }
        return k
    }
}

import Foundation
import Testing
@testable import SafeGridCore

@Suite struct IncidentComparisonTests {
    private typealias Change = IncidentComparison.Change

    private func period(_ first: String, _ last: String) -> ReportingPeriod {
        try! ReportingPeriod(first: shanghaiDay(first), last: shanghaiDay(last))
    }

    private func change(_ current: Int, _ base: Int) -> Change { try! Change(current: current, base: base) }

    @Test func incidentKinds() {
        #expect(IncidentKind.allCases.map(\.rawValue) == ["policeIncident", "fireAlarm", "trafficAccident"])
        #expect(IncidentKind.allCases.map(\.zh) == ["有效警情", "火警", "交通事故"])
    }

    // MARK: - Periods

    @Test func periodShape() throws {
        let october = period("2024-10-01", "2024-10-31")
        #expect(october.dayCount == 31)
        #expect(october.contains(shanghaiDay("2024-10-01")) && october.contains(shanghaiDay("2024-10-31")))
        #expect(!october.contains(shanghaiDay("2024-09-30")) && !october.contains(shanghaiDay("2024-11-01")))
        #expect(october.description == "2024-10-01…2024-10-31")
        #expect(period("2024-10-16", "2024-10-16").dayCount == 1)
        #expect(throws: InvalidValue.self) { try ReportingPeriod(first: shanghaiDay("2024-10-02"), last: shanghaiDay("2024-10-01")) }
        #expect(throws: InvalidValue.self) { try ReportingPeriod(first: shanghaiDay("2000-01-01"), last: shanghaiDay("2010-01-01")) }
        #expect(throws: InvalidValue.self) { try ReportingPeriod(first: shanghaiDay("1900-12-31"), last: shanghaiDay("1901-01-01")) }
        #expect(period("2000-01-01", "2009-12-31").dayCount == ReportingPeriod.maximumDays)
    }

    @Test func sameLastYear() {
        #expect(period("2024-10-01", "2024-10-31").sameLastYear == period("2023-10-01", "2023-10-31"))
        #expect(period("2024-01-01", "2024-12-31").sameLastYear == period("2023-01-01", "2023-12-31"))
        // 29 February becomes 28 February, at either end.
        #expect(period("2024-02-29", "2024-02-29").sameLastYear == period("2023-02-28", "2023-02-28"))
        #expect(period("2024-02-01", "2024-02-29").sameLastYear == period("2023-02-01", "2023-02-28"))
        #expect(period("2024-02-29", "2024-03-31").sameLastYear == period("2023-02-28", "2023-03-31"))
        // Into a leap year the dates stay the dates: 28 February to 1 March spans 29 February then.
        #expect(period("2025-02-28", "2025-03-01").sameLastYear == period("2024-02-28", "2024-03-01"))
        #expect(period("2025-02-28", "2025-03-01").sameLastYear.dayCount == 3)
    }

    @Test func previousPeriod() {
        #expect(period("2024-10-01", "2024-10-31").previous == period("2024-08-31", "2024-09-30"))
        #expect(period("2024-03-01", "2024-03-31").previous == period("2024-01-30", "2024-02-29"))
        #expect(period("2024-01-01", "2024-01-01").previous == period("2023-12-31", "2023-12-31"))
        #expect(period("2024-01-01", "2024-12-31").previous == period("2022-12-31", "2023-12-31"))
        for p in [period("2024-10-01", "2024-10-31"), period("2024-02-10", "2024-05-03")] {
            #expect(p.previous.dayCount == p.dayCount)
            #expect(p.previous.last.adding(days: 1) == p.first)
        }
    }

    // MARK: - Change

    @Test func theArticlesFiguresFromCounts() {
        let police = change(810, 1002), fires = change(63, 100), traffic = change(305, 330)
        #expect(police.hundredths == IncidentKind.policeIncident.articleYearOnYearHundredths)
        #expect(fires.hundredths == IncidentKind.fireAlarm.articleYearOnYearHundredths)
        #expect(traffic.hundredths == IncidentKind.trafficAccident.articleYearOnYearHundredths)
        #expect(police.formatted == "\u{2212}19.16%")
        #expect(fires.formatted == "\u{2212}37.00%")
        #expect(traffic.formatted == "\u{2212}7.58%")
        #expect(police.percent == Decimal(string: "-19.16"))
        #expect(fires.percent == Decimal(-37))
        #expect(traffic.percent == Decimal(string: "-7.58"))
        #expect(IncidentKind.policeIncident.articleYearOnYear == Decimal(string: "-19.16"))
        #expect(IncidentKind.fireAlarm.articleYearOnYear == Decimal(string: "-37.00"))
        #expect(IncidentKind.trafficAccident.articleYearOnYear == Decimal(string: "-7.58"))
        for c in [police, fires, traffic] { #expect(c.direction == .down) }
        // The smallest bases.
        #expect(change(135, 167).formatted == "\u{2212}19.16%")
        #expect(change(61, 66).formatted == "\u{2212}7.58%")
    }

    @Test func roundingTwoDecimalsHalfAwayFromZero() {
        #expect(change(105, 100).formatted == "+5.00%")
        #expect(change(105, 100).direction == .up)
        #expect(change(1, 3).formatted == "\u{2212}66.67%")   // −66.666…
        #expect(change(2, 3).formatted == "\u{2212}33.33%")   // −33.333…
        #expect(change(5, 6).formatted == "\u{2212}16.67%")   // −16.666…
        #expect(change(4, 3).formatted == "+33.33%")
        // Exact ties: ±3.125% → ±3.13%, −96.875% → −96.88%.
        #expect(change(33, 32).formatted == "+3.13%")
        #expect(change(31, 32).formatted == "\u{2212}3.13%")
        #expect(change(1, 32).formatted == "\u{2212}96.88%")
        #expect(change(0, 7).formatted == "\u{2212}100.00%")
        #expect(change(3, 1).formatted == "+200.00%")
        #expect(change(3, 1).percent == Decimal(200))
        #expect(change(1, 3).percent == Decimal(string: "-66.67"))
    }

    @Test func flatAndTooSmallToShow() {
        let same = change(250, 250)
        #expect(same.direction == .flat && same.hundredths == 0 && same.formatted == "0.00%" && same.percent == 0)
        let up = change(100_001, 100_000)
        #expect(up.direction == .up && up.hundredths == 0 && up.formatted == "+0.00%")
        let down = change(99_999, 100_000)
        #expect(down.direction == .down && down.formatted == "\u{2212}0.00%")
        #expect(down.difference == -1)
    }

    @Test func zeroBase() {
        let new = change(4, 0)
        #expect(new.direction == .new)
        #expect(new.percent == nil && new.hundredths == nil)
        #expect(new.formatted == "\u{2014}")
        #expect(new.difference == 4)
        let nothing = change(0, 0)
        #expect(nothing.direction == .flat)
        #expect(nothing.percent == nil)
        #expect(nothing.formatted == "\u{2014}")
        #expect(change(0, 5).direction == .down)
        #expect(throws: InvalidValue.self) { try Change(current: -1, base: 5) }
        #expect(throws: InvalidValue.self) { try Change(current: 1, base: -5) }
    }

    @Test func codable() throws {
        let c = change(810, 1002)
        #expect(try JSONDecoder().decode(Change.self, from: JSONEncoder().encode(c)) == c)
    }

    // MARK: - Reproducing a percentage

    @Test func countsThatReproduceTheArticle() {
        #expect(IncidentComparison.current(reproducing: -3700, base: 100) == 63)
        #expect(IncidentComparison.current(reproducing: -1916, base: 1002) == 810)
        #expect(IncidentComparison.current(reproducing: -758, base: 330) == 305)
        #expect(IncidentComparison.current(reproducing: -1916, base: 100) == nil)
        #expect(IncidentComparison.current(reproducing: -758, base: 10) == nil)
        #expect(IncidentComparison.current(reproducing: 500, base: 100) == 105)
        #expect(IncidentComparison.current(reproducing: -10_000, base: 9) == 0)
        #expect(IncidentComparison.current(reproducing: -10_001, base: 9) == nil)
        #expect(IncidentComparison.current(reproducing: -1916, base: 0) == nil)
        #expect(IncidentComparison.smallestBase(reproducing: -3700)! == (100, 63))
        #expect(IncidentComparison.smallestBase(reproducing: -1916)! == (167, 135))
        #expect(IncidentComparison.smallestBase(reproducing: -758)! == (66, 61))
        #expect(IncidentComparison.smallestBase(reproducing: -1916, from: 1000)! == (1002, 810))
        #expect(IncidentComparison.smallestBase(reproducing: -758, from: 300)! == (330, 305))
        #expect(IncidentComparison.smallestBase(reproducing: -1916, from: 1, through: 166) == nil)
    }

    /// Whatever the helper returns does reproduce the target, and when it finds nothing no count does.
    @Test func helperAgreesWithChange() {
        for target in [-3700, -1916, -758, 1234, 0, -1] {
            for base in 1...300 {
                let found = IncidentComparison.current(reproducing: target, base: base)
                let any = (0...(3 * base)).first { change($0, base).hundredths == target }
                #expect((found == nil) == (any == nil), "target \(target) base \(base)")
                if let found { #expect(change(found, base).hundredths == target) }
            }
        }
        // Large bases: several counts round to the target; the nearest to the exact ratio is taken.
        #expect(IncidentComparison.current(reproducing: -1916, base: 1_000_000) == 808_400)
    }
}

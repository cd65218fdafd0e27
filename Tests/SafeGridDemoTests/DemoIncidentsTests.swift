import Foundation
import Testing
import SafeGridApp
@testable import SafeGridCore
@testable import SafeGridDemo

/// The demo's two years of incident records against the article's results.
@Suite struct DemoIncidentsTests {
    static let asOf: CalendarDate = {
        do { return try CalendarDate("2026-11-30") } catch { fatalError("a test's day literal is wrong") }
    }()

    static func villages() throws -> [Area] {
        try BundledAreas.load().filter { $0.level == .village && $0.parentCode == BundledAreas.gualiTownCode }
    }

    @Test func theCampaignPeriodGivesTheArticlesYearOnYearFromTheRecords() throws {
        let villages = try Self.villages()
        let demo = try DemoIncidents(seed: 20220725, asOf: Self.asOf, villages: villages)
        #expect(demo.period.description == "2026-09-19…2026-11-29" && demo.period.dayCount == 72)
        let lastYear = demo.period.sameLastYear
        var current: [IncidentKind: Int] = [:], base: [IncidentKind: Int] = [:]
        for r in demo.records {
            if demo.period.contains(r.day) { current[r.kind, default: 0] += r.count }
            if lastYear.contains(r.day) { base[r.kind, default: 0] += r.count }
        }
        #expect(current == [.policeIncident: 810, .fireAlarm: 63, .trafficAccident: 305])
        #expect(base == [.policeIncident: 1_002, .fireAlarm: 100, .trafficAccident: 330])
        for kind in IncidentKind.allCases {
            let change = try IncidentComparison.Change(current: current[kind] ?? 0, base: base[kind] ?? 0)
            #expect(change.hundredths == kind.articleYearOnYearHundredths, "\(kind)")
        }
        #expect(try IncidentComparison.Change(current: 810, base: 1_002).formatted == "\u{2212}19.16%")

        // Two years of days ending the day before asOf, only villages of 瓜沥, no empty record.
        let first = try #require(demo.records.map(\.day).min()), last = try #require(demo.records.map(\.day).max())
        #expect(last == Self.asOf.adding(days: -1))
        #expect(first >= Self.asOf.adding(days: -DemoIncidents.recordDays))
        #expect(first.days(until: last) > 700)
        let codes = Set(villages.map(\.code))
        #expect(demo.records.allSatisfy { codes.contains($0.areaCode) && $0.count > 0 })
        #expect(Set(demo.records.map(\.key)).count == demo.records.count)
        #expect(Set(demo.records.map(\.areaCode)).count > 60)
        // Every other day has incidents too, at about last year's daily rate.
        let others = demo.records.filter { !demo.period.contains($0.day) && !lastYear.contains($0.day) && $0.kind == .policeIncident }
        let perDay = Double(others.map(\.count).reduce(0, +)) / Double(DemoIncidents.recordDays - 72 - lastYear.dayCount)
        #expect(abs(perDay - 1_002.0 / 72) < 1.5, "\(perDay)")
    }

    @Test func theSameSeedGivesTheSameRecordsAndAnotherSeedOthers() throws {
        let villages = try Self.villages()
        let a = try DemoIncidents(seed: 7, asOf: Self.asOf, villages: villages)
        let b = try DemoIncidents(seed: 7, asOf: Self.asOf, villages: villages)
        let c = try DemoIncidents(seed: 8, asOf: Self.asOf, villages: villages)
        #expect(a.records == b.records)
        #expect(a.records != c.records)
        #expect(throws: DomainError.self) { try DemoIncidents(seed: 7, asOf: Self.asOf, villages: []) }
    }
}

import Foundation
import Testing
@testable import SafeGridCore
@testable import SafeGridDemo

private func day(_ s: String) -> CalendarDate {
    do { return try CalendarDate(s) } catch { fatalError("a test's day literal is wrong: \(s)") }
}

/// The field a ``DomainError`` thrown by `body` names; `nil` when `body` succeeds.
private func field(_ body: () throws -> Void) -> String? {
    do { try body(); return nil } catch let error as DomainError { return error.field } catch { return "not a DomainError: \(error)" }
}

/// The demo's enforcement against the article's figures.
@Suite struct DemoEnforcementTests {
    static let from = day("2022-05-15"), through = day("2022-07-24")

    /// 2,928 enterprises over 瓜沥's 74 villages, the first 77 closed on days in the window.
    private func inputs(seed: UInt64) throws -> (enterprises: [DemoEnforcement.Enterprise], closures: [UUID: CalendarDate], others: [String]) {
        let base = try BundledAreas.load()
        let villages = base.filter { $0.level == .village && $0.parentCode == BundledAreas.gualiTownCode }
        #expect(villages.count == 74)
        var rng = SeededGenerator(seed: seed)
        let span = Self.from.days(until: Self.through)
        let enterprises = (0..<2_928).map { _ in
            DemoEnforcement.Enterprise(id: rng.uuid(), villageCode: rng.pick(villages).code,
                                       inspectedOn: rng.chance(0.9) ? Self.from.adding(days: rng.int(0...span)) : nil)
        }
        var closures: [UUID: CalendarDate] = [:]
        for e in enterprises.prefix(DemoCampaign.gualiClosedDown) {
            closures[e.id] = (e.inspectedOn ?? Self.from).adding(days: 1) > Self.through ? Self.through : (e.inspectedOn ?? Self.from).adding(days: 1)
        }
        let others = base.filter { $0.level == .town && $0.code != BundledAreas.gualiTownCode }.map(\.code)
        #expect(others.count == 26)
        return (enterprises, closures, others)
    }

    private func generate(seed: UInt64) throws -> (DemoEnforcement, [DemoEnforcement.Enterprise], [UUID: CalendarDate]) {
        let (enterprises, closures, others) = try inputs(seed: 7)
        let demo = try DemoEnforcement(seed: seed, townCode: BundledAreas.gualiTownCode, townName: "瓜沥镇",
                                       enterprises: enterprises, closures: closures, otherTownCodes: others,
                                       from: Self.from, through: Self.through)
        return (demo, enterprises, closures)
    }

    private func assertArticleFigures(_ demo: DemoEnforcement, closures: [UUID: CalendarDate],
                                      sourceLocation: SourceLocation = #_sourceLocation) throws {
        let f = try demo.figures()
        #expect(f.actions == 3_012, sourceLocation: sourceLocation)
        #expect(demo.actions.count == 3_012, sourceLocation: sourceLocation)
        #expect(f.share.districtActions == 6_435, sourceLocation: sourceLocation)
        #expect(f.share.tenthsOfPercent == 468, "shown as 46.8%", sourceLocation: sourceLocation)
        #expect(f.share.isAtLeast(tenthsOfPercent: 468), "46.8%以上", sourceLocation: sourceLocation)
        #expect(f.enterprisesClosed == 77, sourceLocation: sourceLocation)
        #expect(f.enterprisesWithDemolitions == 593, sourceLocation: sourceLocation)
        #expect(f.squareMetresDemolished > 80_000, "8万多平方米", sourceLocation: sourceLocation)
        #expect(f.squareMetresDemolished < 90_000, sourceLocation: sourceLocation)
        #expect(f.muFreed > 100, "100余亩", sourceLocation: sourceLocation)
        #expect(f.muFreed < 110, sourceLocation: sourceLocation)
        #expect(f.actionsByKind[.closureOrdered] == 77, sourceLocation: sourceLocation)
        // The closures are exactly the closed enterprises, each on its own day.
        let closuresDone = demo.actions.filter { $0.kind == .closureOrdered }
        #expect(Dictionary(uniqueKeysWithValues: closuresDone.map { ($0.subjectIds[0], $0.on) }) == closures, sourceLocation: sourceLocation)
        // Other towns: one tally each, adding up to 3,423.
        #expect(demo.tallies.count == 26, sourceLocation: sourceLocation)
        #expect(demo.tallies.reduce(0) { $0 + $1.actions } == 3_423, sourceLocation: sourceLocation)
    }

    @Test func reproducesTheArticleFromRecords() throws {
        let (demo, enterprises, closures) = try generate(seed: 20220725)
        try assertArticleFigures(demo, closures: closures)

        let ids = Set(enterprises.map(\.id))
        let byId = Dictionary(uniqueKeysWithValues: enterprises.map { ($0.id, $0) })
        let teamIds = Set(demo.teams.map(\.id))
        #expect(demo.teams.count == DemoEnforcement.teamCount)
        #expect(Set(demo.teams.flatMap(\.departments)) == Set(Department.allCases), "the teams cover the 8 departments")
        #expect(demo.teams.allSatisfy { $0.departments.count >= 5 })
        #expect(Set(demo.actions.map(\.id)).count == 3_012)
        for a in demo.actions {
            #expect(teamIds.contains(a.teamId))
            #expect(a.subjectIds.allSatisfy(ids.contains))
            #expect(Self.from <= a.on && a.on <= Self.through, "\(a.on)")
            #expect(a.townCode == BundledAreas.gualiTownCode)
            switch a.kind {
            case .demolition:
                let e = byId[a.subjectIds[0]]!
                #expect(closures[e.id] == nil, "demolitions are at enterprises not closed")
                if let inspected = e.inspectedOn { #expect(a.on > inspected) }
            case .inspection:
                #expect((1...4).contains(a.subjectIds.count))
                #expect(Set(a.subjectIds.map { byId[$0]!.villageCode }).count == 1, "one village per inspection action")
                for s in a.subjectIds { if let closed = closures[s] { #expect(a.on <= closed) } }
            case .landFreed, .closureOrdered: break
            }
        }
        #expect(demo.actions.map(\.on) == demo.actions.map(\.on).sorted(), "by day")
    }

    @Test func anotherSeedSameFigures() throws {
        let (a, _, closures) = try generate(seed: 1)
        let (b, _, _) = try generate(seed: 2)
        try assertArticleFigures(a, closures: closures)
        try assertArticleFigures(b, closures: closures)
        #expect(a.actions.map(\.id) != b.actions.map(\.id))
        let (again, _, _) = try generate(seed: 1)
        #expect(again.actions == a.actions, "same seed, same records")
        #expect(again.teams == a.teams)
        #expect(again.tallies == a.tallies)
    }

    @Test func refusesInputsItCannotMeet() throws {
        let (enterprises, closures, others) = try inputs(seed: 7)
        func make(_ e: [DemoEnforcement.Enterprise] = enterprises, _ c: [UUID: CalendarDate] = closures,
                  _ o: [String] = others, from: CalendarDate = DemoEnforcementTests.from) throws {
            _ = try DemoEnforcement(seed: 1, townCode: BundledAreas.gualiTownCode, townName: "瓜沥镇", enterprises: e,
                                    closures: c, otherTownCodes: o, from: from, through: Self.through)
        }
        #expect(field { try make(Array(enterprises.prefix(600))) } == "enterprises")
        #expect(field { try make(enterprises + [enterprises[0]]) } == "enterprises[2928].id")
        #expect(field { try make(enterprises, [UUID(): Self.from]) } == "closures")
        #expect(field { try make(enterprises, closures, []) } == "otherTownCodes")
        #expect(field { try make(enterprises, closures, [BundledAreas.gualiTownCode]) } == "otherTownCodes[0]")
        #expect(field { try make(from: Self.through.adding(days: 1)) } == "through")
        #expect(field { try make(from: Self.through) } == "closures", "a closure before the window")
    }
}

/// The generator on the demo campaign itself, as `safegrid demo` will call it.
@Suite struct DemoCampaignEnforcementTests {
    @Test func onTheArticleCampaign() throws {
        let asOf = day("2026-11-30")
        let base = try BundledAreas.load()
        let campaign = try DemoCampaign(asOf: asOf, checklist: .bundledDefault(), baseAreas: base)
        let demo = try DemoEnforcement(campaign: campaign, baseAreas: base)
        #expect(demo.from == day("2026-09-19"))
        #expect(demo.through == day("2026-11-29"))
        let f = try demo.figures()
        #expect(f.actions == 3_012)
        #expect(f.share.tenthsOfPercent == 468)
        #expect(f.share.isAtLeast(tenthsOfPercent: 468))
        #expect(f.enterprisesWithDemolitions == 593)
        #expect(f.squareMetresDemolished > 80_000 && f.squareMetresDemolished < 90_000)
        #expect(f.muFreed > 100 && f.muFreed < 110)
        // Closures: exactly the ledgers the campaign closed down, on the day each closed.
        var closedByLedger: [UUID: CalendarDate] = [:]
        for l in campaign.dossiers { if let at = l.closedDownAt { closedByLedger[l.subjectID] = CalendarDate(shanghai: at) } }
        #expect(closedByLedger.count == DemoCampaign.gualiClosedDown)
        #expect(f.enterprisesClosed == 77)
        let closures = demo.actions.filter { $0.kind == .closureOrdered }
        #expect(Dictionary(uniqueKeysWithValues: closures.map { ($0.subjectIds[0], $0.on) }) == closedByLedger)
        let enterpriseIds = Set(campaign.subjects.filter { $0.kind == .enterprise }.map(\.id))
        #expect(demo.actions.allSatisfy { $0.subjectIds.allSatisfy(enterpriseIds.contains) })
        #expect(Set(demo.tallies.map(\.townCode)) ==
                Set(base.filter { $0.level == .town && $0.code != BundledAreas.gualiTownCode }.map(\.code)))
    }
}

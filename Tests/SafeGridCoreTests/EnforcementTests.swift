import Foundation
import Testing
@testable import SafeGridCore

private func day(_ s: String) -> CalendarDate { shanghaiDay(s) }
private func field(_ body: () throws -> Void) -> String? { domainErrorField(body) }

@Suite struct EnforcementRulesTests {
    private let team = UUID()
    private let guali = BundledAreas.gualiTownCode

    private func action(_ kind: EnforcementAction.Kind, _ subjects: [UUID], town: String = BundledAreas.gualiTownCode,
                        squareMetres: Double? = nil, mu: Double? = nil, id: UUID = UUID()) throws(DomainError) -> EnforcementAction {
        try EnforcementAction(id: id, teamId: team, townCode: town, subjectIds: subjects, on: day("2022-07-20"), kind: kind,
                              squareMetres: squareMetres, mu: mu)
    }

    @Test func teamNeedsTwoDepartments() throws {
        let oneDepartment = [TeamMember(name: "王伟", department: .fireRescue), TeamMember(name: "李强", department: .fireRescue)]
        #expect(field { _ = try EnforcementTeam(id: UUID(), name: "消防一组", members: oneDepartment) } == "members")
        #expect(field { _ = try EnforcementTeam(id: UUID(), name: "空组", members: []) } == "members")
        #expect(field { _ = try EnforcementTeam(id: UUID(), name: " ", members: oneDepartment) } == "name")
        #expect(field {
            _ = try EnforcementTeam(id: UUID(), name: "一组", members: [TeamMember(name: "", department: .fireRescue),
                                                                          TeamMember(name: "李强", department: .publicSecurity)])
        } == "members[0].name")
        let joint = try EnforcementTeam(id: UUID(), name: "瓜沥镇综合执法一组",
                                        members: oneDepartment + [TeamMember(name: "张敏", department: .comprehensiveEnforcement)])
        #expect(joint.departments == [.fireRescue, .comprehensiveEnforcement])
    }

    @Test func teamDecodingValidates() throws {
        let bad = #"{"id":"\#(UUID())","name":"一组","members":[{"name":"王伟","department":"fireRescue"}]}"#
        if let error = #expect(throws: (any Error).self, performing: { try JSONDecoder().decode(EnforcementTeam.self, from: Data(bad.utf8)) }) {
            if case DecodingError.dataCorrupted(let c) = error {
                #expect(c.debugDescription.contains("members"), "\(c.debugDescription)")
            } else {
                Issue.record("\(error)")
            }
        }
    }

    @Test func actionRules() throws {
        let s = UUID()
        #expect(field { _ = try action(.inspection, []) } == "subjectIds")
        #expect(field { _ = try action(.inspection, [s, UUID(), s]) } == "subjectIds[2]")
        #expect(field { _ = try action(.inspection, [s], town: "33010911") } == "townCode")
        #expect(field { _ = try action(.demolition, [s], squareMetres: -12) } == "squareMetres")
        #expect(field { _ = try action(.demolition, [s], squareMetres: 0) } == "squareMetres")
        #expect(field { _ = try action(.demolition, [s], squareMetres: .nan) } == "squareMetres")
        #expect(field { _ = try action(.demolition, [s], squareMetres: 1_000_001) } == "squareMetres")
        #expect(field { _ = try action(.demolition, [s]) } == "squareMetres")
        #expect(field { _ = try action(.inspection, [s], squareMetres: 10) } == "squareMetres")
        #expect(field { _ = try action(.demolition, [s], squareMetres: 10, mu: 1) } == "mu")
        #expect(field { _ = try action(.landFreed, [s], mu: -1) } == "mu")
        #expect(field { _ = try action(.landFreed, [s]) } == "mu")
        #expect(field { _ = try action(.landFreed, [s], mu: 1_501) } == "mu")
        #expect(field { _ = try action(.closureOrdered, [s], mu: 2) } == "mu")
        #expect(field { _ = try action(.demolition, [s], squareMetres: 1_000_000) } == nil)
        #expect(field { _ = try action(.landFreed, [s], mu: 0.01) } == nil)
    }

    @Test func actionJSONRoundTripAndValidation() throws {
        let a = try action(.demolition, [UUID()], squareMetres: 136.5)
        let data = try JSONEncoder().encode(a)
        #expect(try JSONDecoder().decode(EnforcementAction.self, from: data) == a)
        let json = try #require(String(data: data, encoding: .utf8))
        #expect(json.contains(#""kind":"demolition""#), "\(json)")
        #expect(json.contains(#""on":"2022-07-20""#), "\(json)")
        let bad = json.replacingOccurrences(of: "136.5", with: "-136.5")
        #expect(throws: (any Error).self) { try JSONDecoder().decode(EnforcementAction.self, from: Data(bad.utf8)) }
    }

    @Test func muConversion() {
        #expect(abs(LandArea.squareMetres(mu: 1) - 666.67) <= 0.005)
        #expect(abs(LandArea.squareMetres(mu: 15) - 10_000) <= 1e-9)
        #expect(abs(LandArea.mu(squareMetres: 80_000) - 120) <= 1e-9)
    }

    @Test func figuresCountDistinctSubjectsAndEveryAction() throws {
        let a = UUID(), b = UUID(), c = UUID()
        let other = "330109114"
        let actions = [
            try action(.inspection, [a, b, c]),
            try action(.closureOrdered, [a]),
            try action(.closureOrdered, [a, b]),          // a again: still 2 enterprises closed
            try action(.demolition, [b], squareMetres: 100.25),
            try action(.demolition, [b], squareMetres: 50.5),
            try action(.demolition, [c], squareMetres: 10),
            try action(.landFreed, [a], mu: 1.5),
            try action(.landFreed, [c], mu: 0.75),
            try action(.inspection, [UUID()], town: other),  // district total only
        ]
        let tally = try EnforcementTally(townCode: "330109115", actions: 11, from: day("2022-06-01"), through: day("2022-07-24"))
        let f = try EnforcementFigures(townCode: guali, actions: actions, tallies: [tally])
        #expect(f.actions == 8)
        #expect(f.actionsByKind == [.inspection: 1, .closureOrdered: 2, .demolition: 3, .landFreed: 2])
        #expect(f.share.townActions == 8)
        #expect(f.share.districtActions == 8 + 1 + 11)
        #expect(f.share.description == "40.00%")
        #expect(f.enterprisesClosed == 2)
        #expect(f.enterprisesWithDemolitions == 2)
        #expect(f.squareMetresDemolished == 160.75)
        #expect(f.muFreed == 2.25)
        // Codable, with the per-kind counts keyed by name.
        let json = String(decoding: try JSONEncoder().encode(f), as: UTF8.self)
        #expect(json.contains(#""closureOrdered":2"#), "\(json)")
        #expect(try JSONDecoder().decode(EnforcementFigures.self, from: Data(json.utf8)) == f)
    }

    @Test func figuresRefuseDuplicatesAndOtherDistricts() throws {
        let id = UUID()
        let twice = [try action(.inspection, [UUID()], id: id), try action(.inspection, [UUID()], id: id)]
        #expect(field { _ = try EnforcementFigures(townCode: guali, actions: twice) } == "actions[1].id")
        let elsewhere = [try action(.inspection, [UUID()], town: "330110001")]
        #expect(field { _ = try EnforcementFigures(townCode: guali, actions: elsewhere) } == "actions[0].townCode")
        #expect(field { _ = try EnforcementFigures(townCode: "瓜沥", actions: []) } == "townCode")
        #expect(field { _ = try EnforcementTally(townCode: guali, actions: -1, from: day("2022-06-01"), through: day("2022-06-01")) } == "actions")
        #expect(field { _ = try EnforcementTally(townCode: guali, actions: 1, from: day("2022-06-02"), through: day("2022-06-01")) } == "through")
        let empty = try EnforcementFigures(townCode: guali, actions: [])
        #expect(empty.share.basisPoints == 0)
        #expect(!empty.share.isAtLeast(tenthsOfPercent: 0))
    }

    @Test func articleShare() {
        let share = DistrictShare(townActions: 3_012, districtActions: 6_435)
        #expect(share.basisPoints == 4_681)
        #expect(share.tenthsOfPercent == 468)
        #expect(share.isAtLeast(tenthsOfPercent: 468))
        #expect(share.description == "46.81%")
        // One more district action still rounds to 46.8% but is no longer "46.8%以上".
        let short = DistrictShare(townActions: 3_012, districtActions: 6_436)
        #expect(short.tenthsOfPercent == 468)
        #expect(!short.isAtLeast(tenthsOfPercent: 468))
    }
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
        for l in campaign.ledgers { if let at = l.closedDownAt { closedByLedger[l.subjectID] = CalendarDate(shanghai: at) } }
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

import Foundation
import XCTest
@testable import SafeGridCore

private func day(_ s: String) -> CalendarDate { shanghaiDay(s) }
private func field(_ body: () throws -> Void) -> String? { domainErrorField(body) }

final class EnforcementRulesTests: XCTestCase {
    private let team = UUID()
    private let guali = BundledAreas.gualiTownCode

    private func action(_ kind: EnforcementAction.Kind, _ subjects: [UUID], town: String = BundledAreas.gualiTownCode,
                        squareMetres: Double? = nil, mu: Double? = nil, id: UUID = UUID()) throws(DomainError) -> EnforcementAction {
        try EnforcementAction(id: id, teamId: team, townCode: town, subjectIds: subjects, on: day("2022-07-20"), kind: kind,
                              squareMetres: squareMetres, mu: mu)
    }

    func testTeamNeedsTwoDepartments() throws {
        let oneDepartment = [TeamMember(name: "王伟", department: .fireRescue), TeamMember(name: "李强", department: .fireRescue)]
        XCTAssertEqual(field { _ = try EnforcementTeam(id: UUID(), name: "消防一组", members: oneDepartment) }, "members")
        XCTAssertEqual(field { _ = try EnforcementTeam(id: UUID(), name: "空组", members: []) }, "members")
        XCTAssertEqual(field { _ = try EnforcementTeam(id: UUID(), name: " ", members: oneDepartment) }, "name")
        XCTAssertEqual(field {
            _ = try EnforcementTeam(id: UUID(), name: "一组", members: [TeamMember(name: "", department: .fireRescue),
                                                                          TeamMember(name: "李强", department: .publicSecurity)])
        }, "members[0].name")
        let joint = try EnforcementTeam(id: UUID(), name: "瓜沥镇综合执法一组",
                                        members: oneDepartment + [TeamMember(name: "张敏", department: .comprehensiveEnforcement)])
        XCTAssertEqual(joint.departments, [.fireRescue, .comprehensiveEnforcement])
    }

    func testTeamDecodingValidates() throws {
        let bad = #"{"id":"\#(UUID())","name":"一组","members":[{"name":"王伟","department":"fireRescue"}]}"#
        XCTAssertThrowsError(try JSONDecoder().decode(EnforcementTeam.self, from: Data(bad.utf8))) { error in
            guard case DecodingError.dataCorrupted(let c) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(c.debugDescription.contains("members"), c.debugDescription)
        }
    }

    func testActionRules() throws {
        let s = UUID()
        XCTAssertEqual(field { _ = try action(.inspection, []) }, "subjectIds")
        XCTAssertEqual(field { _ = try action(.inspection, [s, UUID(), s]) }, "subjectIds[2]")
        XCTAssertEqual(field { _ = try action(.inspection, [s], town: "33010911") }, "townCode")
        XCTAssertEqual(field { _ = try action(.demolition, [s], squareMetres: -12) }, "squareMetres")
        XCTAssertEqual(field { _ = try action(.demolition, [s], squareMetres: 0) }, "squareMetres")
        XCTAssertEqual(field { _ = try action(.demolition, [s], squareMetres: .nan) }, "squareMetres")
        XCTAssertEqual(field { _ = try action(.demolition, [s], squareMetres: 1_000_001) }, "squareMetres")
        XCTAssertEqual(field { _ = try action(.demolition, [s]) }, "squareMetres")
        XCTAssertEqual(field { _ = try action(.inspection, [s], squareMetres: 10) }, "squareMetres")
        XCTAssertEqual(field { _ = try action(.demolition, [s], squareMetres: 10, mu: 1) }, "mu")
        XCTAssertEqual(field { _ = try action(.landFreed, [s], mu: -1) }, "mu")
        XCTAssertEqual(field { _ = try action(.landFreed, [s]) }, "mu")
        XCTAssertEqual(field { _ = try action(.landFreed, [s], mu: 1_501) }, "mu")
        XCTAssertEqual(field { _ = try action(.closureOrdered, [s], mu: 2) }, "mu")
        XCTAssertNil(field { _ = try action(.demolition, [s], squareMetres: 1_000_000) })
        XCTAssertNil(field { _ = try action(.landFreed, [s], mu: 0.01) })
    }

    func testActionJSONRoundTripAndValidation() throws {
        let a = try action(.demolition, [UUID()], squareMetres: 136.5)
        let data = try JSONEncoder().encode(a)
        XCTAssertEqual(try JSONDecoder().decode(EnforcementAction.self, from: data), a)
        let json = try XCTUnwrap(String(data: data, encoding: .utf8))
        XCTAssertTrue(json.contains(#""kind":"demolition""#), json)
        XCTAssertTrue(json.contains(#""on":"2022-07-20""#), json)
        let bad = json.replacingOccurrences(of: "136.5", with: "-136.5")
        XCTAssertThrowsError(try JSONDecoder().decode(EnforcementAction.self, from: Data(bad.utf8)))
    }

    func testMuConversion() {
        XCTAssertEqual(LandArea.squareMetres(mu: 1), 666.67, accuracy: 0.005)
        XCTAssertEqual(LandArea.squareMetres(mu: 15), 10_000, accuracy: 1e-9)
        XCTAssertEqual(LandArea.mu(squareMetres: 80_000), 120, accuracy: 1e-9)
    }

    func testFiguresCountDistinctSubjectsAndEveryAction() throws {
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
        XCTAssertEqual(f.actions, 8)
        XCTAssertEqual(f.actionsByKind, [.inspection: 1, .closureOrdered: 2, .demolition: 3, .landFreed: 2])
        XCTAssertEqual(f.share.townActions, 8)
        XCTAssertEqual(f.share.districtActions, 8 + 1 + 11)
        XCTAssertEqual(f.share.description, "40.00%")
        XCTAssertEqual(f.enterprisesClosed, 2)
        XCTAssertEqual(f.enterprisesWithDemolitions, 2)
        XCTAssertEqual(f.squareMetresDemolished, 160.75)
        XCTAssertEqual(f.muFreed, 2.25)
        // Codable, with the per-kind counts keyed by name.
        let json = String(decoding: try JSONEncoder().encode(f), as: UTF8.self)
        XCTAssertTrue(json.contains(#""closureOrdered":2"#), json)
        XCTAssertEqual(try JSONDecoder().decode(EnforcementFigures.self, from: Data(json.utf8)), f)
    }

    func testFiguresRefuseDuplicatesAndOtherDistricts() throws {
        let id = UUID()
        let twice = [try action(.inspection, [UUID()], id: id), try action(.inspection, [UUID()], id: id)]
        XCTAssertEqual(field { _ = try EnforcementFigures(townCode: guali, actions: twice) }, "actions[1].id")
        let elsewhere = [try action(.inspection, [UUID()], town: "330110001")]
        XCTAssertEqual(field { _ = try EnforcementFigures(townCode: guali, actions: elsewhere) }, "actions[0].townCode")
        XCTAssertEqual(field { _ = try EnforcementFigures(townCode: "瓜沥", actions: []) }, "townCode")
        XCTAssertEqual(field { _ = try EnforcementTally(townCode: guali, actions: -1, from: day("2022-06-01"), through: day("2022-06-01")) }, "actions")
        XCTAssertEqual(field { _ = try EnforcementTally(townCode: guali, actions: 1, from: day("2022-06-02"), through: day("2022-06-01")) }, "through")
        let empty = try EnforcementFigures(townCode: guali, actions: [])
        XCTAssertEqual(empty.share.basisPoints, 0)
        XCTAssertFalse(empty.share.isAtLeast(tenthsOfPercent: 0))
    }

    func testArticleShare() {
        let share = DistrictShare(townActions: 3_012, districtActions: 6_435)
        XCTAssertEqual(share.basisPoints, 4_681)
        XCTAssertEqual(share.tenthsOfPercent, 468)
        XCTAssertTrue(share.isAtLeast(tenthsOfPercent: 468))
        XCTAssertEqual(share.description, "46.81%")
        // One more district action still rounds to 46.8% but is no longer "46.8%以上".
        let short = DistrictShare(townActions: 3_012, districtActions: 6_436)
        XCTAssertEqual(short.tenthsOfPercent, 468)
        XCTAssertFalse(short.isAtLeast(tenthsOfPercent: 468))
    }
}

/// The demo's enforcement against the article's figures.
final class DemoEnforcementTests: XCTestCase {
    static let from = day("2022-05-15"), through = day("2022-07-24")

    /// 2,928 enterprises over 瓜沥's 74 villages, the first 77 closed on days in the window.
    private func inputs(seed: UInt64) throws -> (enterprises: [DemoEnforcement.Enterprise], closures: [UUID: CalendarDate], others: [String]) {
        let base = try BundledAreas.load()
        let villages = base.filter { $0.level == .village && $0.parentCode == BundledAreas.gualiTownCode }
        XCTAssertEqual(villages.count, 74)
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
        XCTAssertEqual(others.count, 26)
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
                                      file: StaticString = #filePath, line: UInt = #line) throws {
        let f = try demo.figures()
        XCTAssertEqual(f.actions, 3_012, file: file, line: line)
        XCTAssertEqual(demo.actions.count, 3_012, file: file, line: line)
        XCTAssertEqual(f.share.districtActions, 6_435, file: file, line: line)
        XCTAssertEqual(f.share.tenthsOfPercent, 468, "shown as 46.8%", file: file, line: line)
        XCTAssertTrue(f.share.isAtLeast(tenthsOfPercent: 468), "46.8%以上", file: file, line: line)
        XCTAssertEqual(f.enterprisesClosed, 77, file: file, line: line)
        XCTAssertEqual(f.enterprisesWithDemolitions, 593, file: file, line: line)
        XCTAssertGreaterThan(f.squareMetresDemolished, 80_000, "8万多平方米", file: file, line: line)
        XCTAssertLessThan(f.squareMetresDemolished, 90_000, file: file, line: line)
        XCTAssertGreaterThan(f.muFreed, 100, "100余亩", file: file, line: line)
        XCTAssertLessThan(f.muFreed, 110, file: file, line: line)
        XCTAssertEqual(f.actionsByKind[.closureOrdered], 77, file: file, line: line)
        // The closures are exactly the closed enterprises, each on its own day.
        let closuresDone = demo.actions.filter { $0.kind == .closureOrdered }
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: closuresDone.map { ($0.subjectIds[0], $0.on) }), closures, file: file, line: line)
        // Other towns: one tally each, adding up to 3,423.
        XCTAssertEqual(demo.tallies.count, 26, file: file, line: line)
        XCTAssertEqual(demo.tallies.reduce(0) { $0 + $1.actions }, 3_423, file: file, line: line)
    }

    func testReproducesTheArticleFromRecords() throws {
        let (demo, enterprises, closures) = try generate(seed: 20220725)
        try assertArticleFigures(demo, closures: closures)

        let ids = Set(enterprises.map(\.id))
        let byId = Dictionary(uniqueKeysWithValues: enterprises.map { ($0.id, $0) })
        let teamIds = Set(demo.teams.map(\.id))
        XCTAssertEqual(demo.teams.count, DemoEnforcement.teamCount)
        XCTAssertEqual(Set(demo.teams.flatMap(\.departments)), Set(Department.allCases), "the teams cover the 8 departments")
        XCTAssertTrue(demo.teams.allSatisfy { $0.departments.count >= 5 })
        XCTAssertEqual(Set(demo.actions.map(\.id)).count, 3_012)
        for a in demo.actions {
            XCTAssertTrue(teamIds.contains(a.teamId))
            XCTAssertTrue(a.subjectIds.allSatisfy(ids.contains))
            XCTAssertTrue(Self.from <= a.on && a.on <= Self.through, "\(a.on)")
            XCTAssertEqual(a.townCode, BundledAreas.gualiTownCode)
            switch a.kind {
            case .demolition:
                let e = byId[a.subjectIds[0]]!
                XCTAssertNil(closures[e.id], "demolitions are at enterprises not closed")
                if let inspected = e.inspectedOn { XCTAssertGreaterThan(a.on, inspected) }
            case .inspection:
                XCTAssertTrue((1...4).contains(a.subjectIds.count))
                XCTAssertEqual(Set(a.subjectIds.map { byId[$0]!.villageCode }).count, 1, "one village per inspection action")
                for s in a.subjectIds { if let closed = closures[s] { XCTAssertLessThanOrEqual(a.on, closed) } }
            case .landFreed, .closureOrdered: break
            }
        }
        XCTAssertEqual(demo.actions.map(\.on), demo.actions.map(\.on).sorted(), "by day")
    }

    func testAnotherSeedSameFigures() throws {
        let (a, _, closures) = try generate(seed: 1)
        let (b, _, _) = try generate(seed: 2)
        try assertArticleFigures(a, closures: closures)
        try assertArticleFigures(b, closures: closures)
        XCTAssertNotEqual(a.actions.map(\.id), b.actions.map(\.id))
        let (again, _, _) = try generate(seed: 1)
        XCTAssertEqual(again.actions, a.actions, "same seed, same records")
        XCTAssertEqual(again.teams, a.teams)
        XCTAssertEqual(again.tallies, a.tallies)
    }

    func testRefusesInputsItCannotMeet() throws {
        let (enterprises, closures, others) = try inputs(seed: 7)
        func make(_ e: [DemoEnforcement.Enterprise] = enterprises, _ c: [UUID: CalendarDate] = closures,
                  _ o: [String] = others, from: CalendarDate = DemoEnforcementTests.from) throws {
            _ = try DemoEnforcement(seed: 1, townCode: BundledAreas.gualiTownCode, townName: "瓜沥镇", enterprises: e,
                                    closures: c, otherTownCodes: o, from: from, through: Self.through)
        }
        XCTAssertEqual(field { try make(Array(enterprises.prefix(600))) }, "enterprises")
        XCTAssertEqual(field { try make(enterprises + [enterprises[0]]) }, "enterprises[2928].id")
        XCTAssertEqual(field { try make(enterprises, [UUID(): Self.from]) }, "closures")
        XCTAssertEqual(field { try make(enterprises, closures, []) }, "otherTownCodes")
        XCTAssertEqual(field { try make(enterprises, closures, [BundledAreas.gualiTownCode]) }, "otherTownCodes[0]")
        XCTAssertEqual(field { try make(from: Self.through.adding(days: 1)) }, "through")
        XCTAssertEqual(field { try make(from: Self.through) }, "closures", "a closure before the window")
    }
}

/// The generator on the demo campaign itself, as `safegrid demo` will call it.
final class DemoCampaignEnforcementTests: XCTestCase {
    func testOnTheArticleCampaign() throws {
        let asOf = day("2026-11-30")
        let base = try BundledAreas.load()
        let campaign = try DemoCampaign(asOf: asOf, checklist: .bundledDefault(), baseAreas: base)
        let demo = try DemoEnforcement(campaign: campaign, baseAreas: base)
        XCTAssertEqual(demo.from, day("2026-09-19"))
        XCTAssertEqual(demo.through, day("2026-11-29"))
        let f = try demo.figures()
        XCTAssertEqual(f.actions, 3_012)
        XCTAssertEqual(f.share.tenthsOfPercent, 468)
        XCTAssertTrue(f.share.isAtLeast(tenthsOfPercent: 468))
        XCTAssertEqual(f.enterprisesWithDemolitions, 593)
        XCTAssertTrue(f.squareMetresDemolished > 80_000 && f.squareMetresDemolished < 90_000)
        XCTAssertTrue(f.muFreed > 100 && f.muFreed < 110)
        // Closures: exactly the ledgers the campaign closed down, on the day each closed.
        var closedByLedger: [UUID: CalendarDate] = [:]
        for l in campaign.ledgers { if let at = l.closedDownAt { closedByLedger[l.subjectID] = CalendarDate(shanghai: at) } }
        XCTAssertEqual(closedByLedger.count, DemoCampaign.gualiClosedDown)
        XCTAssertEqual(f.enterprisesClosed, 77)
        let closures = demo.actions.filter { $0.kind == .closureOrdered }
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: closures.map { ($0.subjectIds[0], $0.on) }), closedByLedger)
        let enterpriseIds = Set(campaign.subjects.filter { $0.kind == .enterprise }.map(\.id))
        XCTAssertTrue(demo.actions.allSatisfy { $0.subjectIds.allSatisfy(enterpriseIds.contains) })
        XCTAssertEqual(Set(demo.tallies.map(\.townCode)),
                       Set(base.filter { $0.level == .town && $0.code != BundledAreas.gualiTownCode }.map(\.code)))
    }
}

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

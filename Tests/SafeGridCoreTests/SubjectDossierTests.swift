import Foundation
import Testing
@testable import SafeGridCore

@Suite struct SubjectDossierTests {
    /// 2024-10-16T09:30:00+08:00.
    private let visit = Date(timeIntervalSince1970: 1_729_042_200)
    private let team = [TeamMember(name: "王建国", department: .fireRescue)]
    private let subjectID = UUID(uuidString: "5A1E0000-0000-4000-8000-000000000001")!
    private let checklist: Checklist

    init() throws {
        checklist = try Checklist.bundledDefault()
    }

    private func day(_ n: Int) -> Date { visit.addingTimeInterval(Double(n) * 86_400) }

    private func refusal(_ body: () throws(DomainError) -> Void) -> DomainError? {
        do {
            try body()
            return nil
        } catch {
            return error
        }
    }

    /// An inspected enterprise with a serious (FIRE-04), a general (ELEC-04) and an extremely severe
    /// (BLDG-01) hazard; returns the ledger and the hazard ids in that order.
    private func inspected() throws -> (SubjectDossier, [UUID]) {
        var dossier = SubjectDossier(subjectID: subjectID, kind: .enterprise)
        var n = 0
        let plan = try dossier.inspect(checklist: checklist, inspectedAt: visit, team: team, inspector: "王建国",
                                      results: [ItemResult(itemCode: "FIRE-04", outcome: .hazard),
                                                ItemResult(itemCode: "ELEC-04", outcome: .hazard),
                                                ItemResult(itemCode: "ELEC-01", outcome: .pass),
                                                ItemResult(itemCode: "BLDG-01", outcome: .hazard)],
                                      now: visit.addingTimeInterval(60),
                                      makeID: { n += 1; return UUID(uuidString: String(format: "00000000-0000-4000-8000-%012d", n))! })
        return (dossier, plan.hazards.map(\.id))
    }

    @Test func newDossierHasNoColour() {
        let dossier = SubjectDossier(subjectID: subjectID, kind: .streetShop)
        #expect(dossier.colour == nil)
        #expect(!dossier.isClosedDown)
        #expect(dossier.hazards.isEmpty)
        #expect(dossier.changes.isEmpty)
    }

    @Test func inspectSetsColour() throws {
        let (dossier, ids) = try inspected()
        #expect(ids.count == 3)
        #expect(Set(dossier.hazards.keys) == Set(ids))
        #expect(dossier.colour?.key == "extremelySevere.notRectified")
        #expect(dossier.changes.colourChanges.count == 1)
        let change = dossier.changes.colourChanges[0]
        #expect(change.from == nil)
        #expect(change.to.key == "extremelySevere.notRectified")
        #expect(change.cause == "inspection")
        #expect(change.at == visit)
        #expect(dossier.changes.inspections.count == 1)
        #expect(dossier.changes.inspections[0].hazards.map(\.id) == ids)
        #expect(dossier.changes.events.isEmpty, "initial events travel with the plan")
    }

    @Test func cleanInspectionIsRectified() throws {
        var dossier = SubjectDossier(subjectID: subjectID, kind: .streetShop)
        try dossier.inspect(checklist: checklist, inspectedAt: visit, team: team, inspector: "王建国",
                           results: [ItemResult(itemCode: "ELEC-01", outcome: .pass)], now: visit, makeID: { UUID() })
        #expect(dossier.colour?.key == "rectified")
        #expect(dossier.changes.colourChanges.map(\.cause) == ["inspection"])
    }

    @Test func verifyAllGivesRectified() throws {
        var (dossier, ids) = try inspected()
        _ = dossier.takeChanges()
        try dossier.apply(.startRectification, hazard: ids[2], at: day(1), actor: "当事人", reason: nil)
        #expect(dossier.colour?.key == "extremelySevere.inProgress")
        try dossier.apply(.verifyRectified, hazard: ids[2], at: day(2), actor: "复查员", reason: nil)
        #expect(dossier.colour?.key == "serious.inProgress", "a rectified hazard beside open ones")
        try dossier.apply(.verifyRectified, hazard: ids[0], at: day(3), actor: "复查员", reason: nil)
        #expect(dossier.colour?.key == "general.inProgress")
        let last = try dossier.apply(.verifyRectified, hazard: ids[1], at: day(4), actor: "复查员", reason: nil,
                                    expectedVersion: 1)
        #expect(last.kind == .verifyRectified)
        #expect(dossier.colour?.key == "rectified")
        #expect(dossier.hazards.values.allSatisfy { $0.state == .rectified })
        let changes = dossier.changes
        #expect(changes.events.count == 4)
        #expect(changes.events.map(\.hazardID) == [ids[2], ids[2], ids[0], ids[1]])
        #expect(changes.updatedHazards.count == 3)
        #expect(changes.updatedHazards[ids[2]]?.version == 3)
        #expect(changes.colourChanges.map(\.to.key) ==
                ["extremelySevere.inProgress", "serious.inProgress", "general.inProgress", "rectified"])
        #expect(changes.colourChanges.map(\.cause) ==
                ["startRectification", "verifyRectified", "verifyRectified", "verifyRectified"])
        #expect(changes.colourChanges.first?.from?.key == "extremelySevere.notRectified")
        #expect(changes.colourChanges.last?.at == day(4))
    }

    @Test func reboundSituation() throws {
        var (dossier, ids) = try inspected()
        for id in ids { try dossier.apply(.verifyRectified, hazard: id, at: day(1), actor: "复查员", reason: nil) }
        #expect(dossier.colour?.key == "rectified")
        try dossier.apply(.reportRebound, hazard: ids[1], at: day(5), actor: "网格员", reason: "再次发现",
                         newDueAt: day(12))
        #expect(dossier.colour?.key == "general.rebound")
        #expect(dossier.hazards[ids[1]]?.reboundCount == 1)
        #expect(dossier.hazards[ids[1]]?.dueAt == day(12))
        #expect(dossier.changes.colourChanges.last?.cause == "reportRebound")
        try dossier.apply(.startRectification, hazard: ids[1], at: day(6), actor: "当事人", reason: nil)
        #expect(dossier.colour?.key == "general.rebound", "still a rebound while rectified again")
    }

    @Test func closeDown() throws {
        var (dossier, ids) = try inspected()
        try dossier.apply(.verifyRectified, hazard: ids[1], at: day(1), actor: "复查员", reason: nil)
        try dossier.apply(.startRectification, hazard: ids[0], at: day(1), actor: "当事人", reason: nil)
        _ = dossier.takeChanges()
        let closed = try dossier.closeDown(at: day(3), actor: "综合执法组", reason: "依法责令关停")
        #expect(Set(closed) == [ids[0], ids[2]])
        #expect(dossier.hazards[ids[0]]?.state == .closedDown)
        #expect(dossier.hazards[ids[2]]?.state == .closedDown)
        #expect(dossier.hazards[ids[1]]?.state == .rectified, "a rectified hazard stays rectified")
        #expect(dossier.colour?.key == "closedDown")
        #expect(dossier.isClosedDown)
        #expect(dossier.closedDownAt == day(3))
        let changes = dossier.changes
        #expect(changes.closedDownAt == day(3))
        #expect(changes.events.count == 2)
        #expect(changes.events.allSatisfy { $0.event.kind == .closeDown && $0.event.reason == "依法责令关停" })
        #expect(Set(changes.updatedHazards.keys) == [ids[0], ids[2]])
        #expect(changes.colourChanges.count == 1)
        #expect(changes.colourChanges[0].cause == "closeDown")
        #expect(changes.colourChanges[0].from?.key == "extremelySevere.inProgress")

        // Second closure.
        let again = refusal { () throws(DomainError) in
            _ = try dossier.closeDown(at: day(4), actor: "综合执法组", reason: "再次关停")
        }
        #expect(again?.kind == .conflict)
        #expect(again?.field == "subjectId")
        // No more work on a closed subject's hazards, and no more inspections.
        let act = refusal { () throws(DomainError) in
            _ = try dossier.apply(.reportRebound, hazard: ids[1], at: day(5), actor: "网格员", reason: "再次发现")
        }
        #expect(act?.kind == .conflict)
        #expect(act?.field == "action")
        let inspect = refusal { () throws(DomainError) in
            _ = try dossier.inspect(checklist: checklist, inspectedAt: day(5), team: team, inspector: "王建国",
                                   results: [ItemResult(itemCode: "ELEC-01", outcome: .pass)], now: day(5),
                                   makeID: { UUID() })
        }
        #expect(inspect?.kind == .conflict)
        #expect(inspect?.field == "subjectId")
        #expect(dossier.colour?.key == "closedDown")
    }

    @Test func closeDownNeedsReason() throws {
        var (dossier, _) = try inspected()
        let e = refusal { () throws(DomainError) in _ = try dossier.closeDown(at: day(1), actor: "综合执法组", reason: "  ") }
        #expect(e?.kind == .invalid)
        #expect(e?.field == "reason")
        #expect(!dossier.isClosedDown)
    }

    @Test func closeDownUninspectedSubject() throws {
        var dossier = SubjectDossier(subjectID: subjectID, kind: .enterprise)
        #expect(try dossier.closeDown(at: visit, actor: "综合执法组", reason: "无证经营") == [])
        #expect(dossier.colour?.key == "closedDown")
    }

    @Test func unknownHazardIsNotFound() throws {
        var (dossier, _) = try inspected()
        _ = dossier.takeChanges()
        let e = refusal { () throws(DomainError) in
            _ = try dossier.apply(.verifyRectified, hazard: UUID(), at: day(1), actor: "复查员", reason: nil)
        }
        #expect(e?.kind == .notFound)
        #expect(e?.field == "hazardId")
        #expect(dossier.changes.isEmpty)
    }

    @Test func refusedActionLeavesLedgerUnchanged() throws {
        var (dossier, ids) = try inspected()
        _ = dossier.takeChanges()
        let before = dossier.hazards
        let e = refusal { () throws(DomainError) in
            _ = try dossier.apply(.reportRebound, hazard: ids[0], at: day(1), actor: "网格员", reason: "x")
        }
        #expect(e?.kind == .conflict)
        #expect(e?.field == "action")
        #expect(e?.extra["currentState"] == "open")
        let stale = refusal { () throws(DomainError) in
            _ = try dossier.apply(.startRectification, hazard: ids[0], at: day(1), actor: "当事人", reason: nil,
                                 expectedVersion: 7)
        }
        #expect(stale?.field == "version")
        #expect(dossier.hazards == before)
        #expect(dossier.changes.isEmpty)
    }

    @Test func takeChangesEmpties() throws {
        var (dossier, ids) = try inspected()
        try dossier.apply(.startRectification, hazard: ids[0], at: day(1), actor: "当事人", reason: nil)
        #expect(!dossier.changes.isEmpty)
        let taken = dossier.takeChanges()
        #expect(taken.inspections.count == 1)
        #expect(taken.events.count == 1)
        #expect(taken.colourChanges.count == 2)
        #expect(dossier.changes.isEmpty)
        #expect(dossier.takeChanges().isEmpty)
        // State survives the hand-over.
        #expect(dossier.hazards[ids[0]]?.state == .rectifying)
        #expect(dossier.colour?.key == "extremelySevere.inProgress")
        // An action that does not change the colour adds no colour change.
        try dossier.apply(.startRectification, hazard: ids[1], at: day(2), actor: "当事人", reason: nil)
        #expect(dossier.changes.events.count == 1)
        #expect(dossier.changes.colourChanges.isEmpty)
    }
}

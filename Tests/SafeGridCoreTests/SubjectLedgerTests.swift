import Foundation
import XCTest
@testable import SafeGridCore

final class SubjectLedgerTests: XCTestCase {
    /// 2024-10-16T09:30:00+08:00.
    private let visit = Date(timeIntervalSince1970: 1_729_042_200)
    private let team = [TeamMember(name: "王建国", department: .fireRescue)]
    private let subjectID = UUID(uuidString: "5A1E0000-0000-4000-8000-000000000001")!
    private var checklist: Checklist!

    override func setUpWithError() throws {
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
    private func inspected() throws -> (SubjectLedger, [UUID]) {
        var ledger = SubjectLedger(subjectID: subjectID, kind: .enterprise)
        var n = 0
        let plan = try ledger.inspect(checklist: checklist, inspectedAt: visit, team: team, inspector: "王建国",
                                      results: [ItemResult(itemCode: "FIRE-04", outcome: .hazard),
                                                ItemResult(itemCode: "ELEC-04", outcome: .hazard),
                                                ItemResult(itemCode: "ELEC-01", outcome: .pass),
                                                ItemResult(itemCode: "BLDG-01", outcome: .hazard)],
                                      now: visit.addingTimeInterval(60),
                                      makeID: { n += 1; return UUID(uuidString: String(format: "00000000-0000-4000-8000-%012d", n))! })
        return (ledger, plan.hazards.map(\.id))
    }

    func testNewLedgerHasNoColour() {
        let ledger = SubjectLedger(subjectID: subjectID, kind: .streetShop)
        XCTAssertNil(ledger.colour)
        XCTAssertFalse(ledger.isClosedDown)
        XCTAssertTrue(ledger.hazards.isEmpty)
        XCTAssertTrue(ledger.changes.isEmpty)
    }

    func testInspectSetsColour() throws {
        let (ledger, ids) = try inspected()
        XCTAssertEqual(ids.count, 3)
        XCTAssertEqual(Set(ledger.hazards.keys), Set(ids))
        XCTAssertEqual(ledger.colour?.key, "extremelySevere.notRectified")
        XCTAssertEqual(ledger.changes.colourChanges.count, 1)
        let change = ledger.changes.colourChanges[0]
        XCTAssertNil(change.from)
        XCTAssertEqual(change.to.key, "extremelySevere.notRectified")
        XCTAssertEqual(change.cause, "inspection")
        XCTAssertEqual(change.at, visit)
        XCTAssertEqual(ledger.changes.inspections.count, 1)
        XCTAssertEqual(ledger.changes.inspections[0].hazards.map(\.id), ids)
        XCTAssertTrue(ledger.changes.events.isEmpty, "initial events travel with the plan")
    }

    func testCleanInspectionIsRectified() throws {
        var ledger = SubjectLedger(subjectID: subjectID, kind: .streetShop)
        try ledger.inspect(checklist: checklist, inspectedAt: visit, team: team, inspector: "王建国",
                           results: [ItemResult(itemCode: "ELEC-01", outcome: .pass)], now: visit, makeID: { UUID() })
        XCTAssertEqual(ledger.colour?.key, "rectified")
        XCTAssertEqual(ledger.changes.colourChanges.map(\.cause), ["inspection"])
    }

    func testVerifyAllGivesRectified() throws {
        var (ledger, ids) = try inspected()
        _ = ledger.takeChanges()
        try ledger.apply(.startRectification, hazard: ids[2], at: day(1), actor: "当事人", reason: nil)
        XCTAssertEqual(ledger.colour?.key, "extremelySevere.inProgress")
        try ledger.apply(.verifyRectified, hazard: ids[2], at: day(2), actor: "复查员", reason: nil)
        XCTAssertEqual(ledger.colour?.key, "serious.inProgress", "a rectified hazard beside open ones")
        try ledger.apply(.verifyRectified, hazard: ids[0], at: day(3), actor: "复查员", reason: nil)
        XCTAssertEqual(ledger.colour?.key, "general.inProgress")
        let last = try ledger.apply(.verifyRectified, hazard: ids[1], at: day(4), actor: "复查员", reason: nil,
                                    expectedVersion: 1)
        XCTAssertEqual(last.kind, .verifyRectified)
        XCTAssertEqual(ledger.colour?.key, "rectified")
        XCTAssertTrue(ledger.hazards.values.allSatisfy { $0.state == .rectified })
        let changes = ledger.changes
        XCTAssertEqual(changes.events.count, 4)
        XCTAssertEqual(changes.events.map(\.hazardID), [ids[2], ids[2], ids[0], ids[1]])
        XCTAssertEqual(changes.updatedHazards.count, 3)
        XCTAssertEqual(changes.updatedHazards[ids[2]]?.version, 3)
        XCTAssertEqual(changes.colourChanges.map(\.to.key),
                       ["extremelySevere.inProgress", "serious.inProgress", "general.inProgress", "rectified"])
        XCTAssertEqual(changes.colourChanges.map(\.cause),
                       ["startRectification", "verifyRectified", "verifyRectified", "verifyRectified"])
        XCTAssertEqual(changes.colourChanges.first?.from?.key, "extremelySevere.notRectified")
        XCTAssertEqual(changes.colourChanges.last?.at, day(4))
    }

    func testReboundSituation() throws {
        var (ledger, ids) = try inspected()
        for id in ids { try ledger.apply(.verifyRectified, hazard: id, at: day(1), actor: "复查员", reason: nil) }
        XCTAssertEqual(ledger.colour?.key, "rectified")
        try ledger.apply(.reportRebound, hazard: ids[1], at: day(5), actor: "网格员", reason: "再次发现",
                         newDueAt: day(12))
        XCTAssertEqual(ledger.colour?.key, "general.rebound")
        XCTAssertEqual(ledger.hazards[ids[1]]?.reboundCount, 1)
        XCTAssertEqual(ledger.hazards[ids[1]]?.dueAt, day(12))
        XCTAssertEqual(ledger.changes.colourChanges.last?.cause, "reportRebound")
        try ledger.apply(.startRectification, hazard: ids[1], at: day(6), actor: "当事人", reason: nil)
        XCTAssertEqual(ledger.colour?.key, "general.rebound", "still a rebound while rectified again")
    }

    func testCloseDown() throws {
        var (ledger, ids) = try inspected()
        try ledger.apply(.verifyRectified, hazard: ids[1], at: day(1), actor: "复查员", reason: nil)
        try ledger.apply(.startRectification, hazard: ids[0], at: day(1), actor: "当事人", reason: nil)
        _ = ledger.takeChanges()
        let closed = try ledger.closeDown(at: day(3), actor: "综合执法组", reason: "依法责令关停")
        XCTAssertEqual(Set(closed), [ids[0], ids[2]])
        XCTAssertEqual(ledger.hazards[ids[0]]?.state, .closedDown)
        XCTAssertEqual(ledger.hazards[ids[2]]?.state, .closedDown)
        XCTAssertEqual(ledger.hazards[ids[1]]?.state, .rectified, "a rectified hazard stays rectified")
        XCTAssertEqual(ledger.colour?.key, "closedDown")
        XCTAssertTrue(ledger.isClosedDown)
        XCTAssertEqual(ledger.closedDownAt, day(3))
        let changes = ledger.changes
        XCTAssertEqual(changes.closedDownAt, day(3))
        XCTAssertEqual(changes.events.count, 2)
        XCTAssertTrue(changes.events.allSatisfy { $0.event.kind == .closeDown && $0.event.reason == "依法责令关停" })
        XCTAssertEqual(Set(changes.updatedHazards.keys), [ids[0], ids[2]])
        XCTAssertEqual(changes.colourChanges.count, 1)
        XCTAssertEqual(changes.colourChanges[0].cause, "closeDown")
        XCTAssertEqual(changes.colourChanges[0].from?.key, "extremelySevere.inProgress")

        // Second closure.
        let again = refusal { () throws(DomainError) in
            _ = try ledger.closeDown(at: day(4), actor: "综合执法组", reason: "再次关停")
        }
        XCTAssertEqual(again?.kind, .conflict)
        XCTAssertEqual(again?.field, "subjectId")
        // No more work on a closed subject's hazards, and no more inspections.
        let act = refusal { () throws(DomainError) in
            _ = try ledger.apply(.reportRebound, hazard: ids[1], at: day(5), actor: "网格员", reason: "再次发现")
        }
        XCTAssertEqual(act?.kind, .conflict)
        XCTAssertEqual(act?.field, "action")
        let inspect = refusal { () throws(DomainError) in
            _ = try ledger.inspect(checklist: checklist, inspectedAt: day(5), team: team, inspector: "王建国",
                                   results: [ItemResult(itemCode: "ELEC-01", outcome: .pass)], now: day(5),
                                   makeID: { UUID() })
        }
        XCTAssertEqual(inspect?.kind, .conflict)
        XCTAssertEqual(inspect?.field, "subjectId")
        XCTAssertEqual(ledger.colour?.key, "closedDown")
    }

    func testCloseDownNeedsReason() throws {
        var (ledger, _) = try inspected()
        let e = refusal { () throws(DomainError) in _ = try ledger.closeDown(at: day(1), actor: "综合执法组", reason: "  ") }
        XCTAssertEqual(e?.kind, .invalid)
        XCTAssertEqual(e?.field, "reason")
        XCTAssertFalse(ledger.isClosedDown)
    }

    func testCloseDownUninspectedSubject() throws {
        var ledger = SubjectLedger(subjectID: subjectID, kind: .enterprise)
        XCTAssertEqual(try ledger.closeDown(at: visit, actor: "综合执法组", reason: "无证经营"), [])
        XCTAssertEqual(ledger.colour?.key, "closedDown")
    }

    func testUnknownHazardIsNotFound() throws {
        var (ledger, _) = try inspected()
        _ = ledger.takeChanges()
        let e = refusal { () throws(DomainError) in
            _ = try ledger.apply(.verifyRectified, hazard: UUID(), at: day(1), actor: "复查员", reason: nil)
        }
        XCTAssertEqual(e?.kind, .notFound)
        XCTAssertEqual(e?.field, "hazardId")
        XCTAssertTrue(ledger.changes.isEmpty)
    }

    func testRefusedActionLeavesLedgerUnchanged() throws {
        var (ledger, ids) = try inspected()
        _ = ledger.takeChanges()
        let before = ledger.hazards
        let e = refusal { () throws(DomainError) in
            _ = try ledger.apply(.reportRebound, hazard: ids[0], at: day(1), actor: "网格员", reason: "x")
        }
        XCTAssertEqual(e?.kind, .conflict)
        XCTAssertEqual(e?.field, "action")
        XCTAssertEqual(e?.extra["currentState"], "open")
        let stale = refusal { () throws(DomainError) in
            _ = try ledger.apply(.startRectification, hazard: ids[0], at: day(1), actor: "当事人", reason: nil,
                                 expectedVersion: 7)
        }
        XCTAssertEqual(stale?.field, "version")
        XCTAssertEqual(ledger.hazards, before)
        XCTAssertTrue(ledger.changes.isEmpty)
    }

    func testTakeChangesEmpties() throws {
        var (ledger, ids) = try inspected()
        try ledger.apply(.startRectification, hazard: ids[0], at: day(1), actor: "当事人", reason: nil)
        XCTAssertFalse(ledger.changes.isEmpty)
        let taken = ledger.takeChanges()
        XCTAssertEqual(taken.inspections.count, 1)
        XCTAssertEqual(taken.events.count, 1)
        XCTAssertEqual(taken.colourChanges.count, 2)
        XCTAssertTrue(ledger.changes.isEmpty)
        XCTAssertTrue(ledger.takeChanges().isEmpty)
        // State survives the hand-over.
        XCTAssertEqual(ledger.hazards[ids[0]]?.state, .rectifying)
        XCTAssertEqual(ledger.colour?.key, "extremelySevere.inProgress")
        // An action that does not change the colour adds no colour change.
        try ledger.apply(.startRectification, hazard: ids[1], at: day(2), actor: "当事人", reason: nil)
        XCTAssertEqual(ledger.changes.events.count, 1)
        XCTAssertTrue(ledger.changes.colourChanges.isEmpty)
    }
}

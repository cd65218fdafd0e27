import Foundation
import XCTest
@testable import SafeGridCore

final class InspectionRulesTests: XCTestCase {
    /// 2024-10-16T09:30:00+08:00.
    private let visit = Date(timeIntervalSince1970: 1_729_042_200)
    private let team = [TeamMember(name: "王建国", department: .fireRescue),
                        TeamMember(name: "李芳", department: .emergencyManagement)]
    private var checklist: Checklist!

    override func setUpWithError() throws {
        checklist = try Checklist.bundledDefault()
    }

    /// Sequential, recognisable ids: 1 is the inspection, 2… the hazards.
    private final class IDs {
        var n = 0
        func next() -> UUID {
            n += 1
            return UUID(uuidString: String(format: "00000000-0000-4000-8000-%012d", n))!
        }
    }

    private func id(_ n: Int) -> UUID { UUID(uuidString: String(format: "00000000-0000-4000-8000-%012d", n))! }

    private func plan(_ results: [ItemResult], kind: SubjectKind = .enterprise, closedDown: Bool = false,
                      at: Date? = nil, now: Date? = nil, team: [TeamMember]? = nil,
                      inspector: String = "王建国") throws(DomainError) -> InspectionPlan {
        let ids = IDs()
        let at = at ?? visit
        return try InspectionRules.plan(subjectKind: kind, subjectClosedDown: closedDown, checklist: checklist,
                                        inspectedAt: at, team: team ?? self.team, inspector: inspector,
                                        results: results, now: now ?? at.addingTimeInterval(3600),
                                        makeID: { ids.next() })
    }

    private func refusal(_ results: [ItemResult], kind: SubjectKind = .enterprise, closedDown: Bool = false,
                         at: Date? = nil, now: Date? = nil, team: [TeamMember]? = nil,
                         inspector: String = "王建国") -> DomainError? {
        do {
            _ = try plan(results, kind: kind, closedDown: closedDown, at: at, now: now, team: team, inspector: inspector)
            return nil
        } catch {
            return error
        }
    }

    private func hazard(_ code: String, severity: Severity? = nil, dueOn: String? = nil,
                        onSite: Bool = false) -> ItemResult {
        ItemResult(itemCode: code, outcome: .hazard, note: "现场发现", photos: ["p-\(code).jpg"], severity: severity,
                   dueOn: dueOn.map { try! CalendarDate($0) }, rectifiedOnSite: onSite)
    }

    func testBundledItemsUsedHere() throws {
        // Anchors for the expectations below.
        let expected: [(String, Severity, Int)] = [("ELEC-04", .general, 7), ("FIRE-04", .serious, 15),
                                                   ("ELEC-02", .general, 0), ("FIRE-01", .serious, 3),
                                                   ("BLDG-01", .extremelySevere, 90)]
        for (code, severity, days) in expected {
            let item = try XCTUnwrap(checklist.item(code), code)
            XCTAssertEqual(item.defaultSeverity, severity, code)
            XCTAssertEqual(item.defaultDays, days, code)
            XCTAssertTrue(item.applies(to: .enterprise), code)
        }
        XCTAssertFalse(try XCTUnwrap(checklist.item("MGMT-06")).applies(to: .enterprise))
        XCTAssertTrue(try XCTUnwrap(checklist.item("MGMT-06")).applies(to: .rentalHousing))
    }

    func testValidPlan() throws {
        let results = [
            hazard("ELEC-04"),
            ItemResult(itemCode: "ELEC-01", outcome: .pass),
            hazard("FIRE-04"),
            ItemResult(itemCode: "GAS-01", outcome: .notApplicable),
            hazard("BLDG-01"),
            hazard("FIRE-01"),
        ]
        let p = try plan(results)
        XCTAssertEqual(p.id, id(1))
        XCTAssertEqual(p.inspectedAt, visit)
        XCTAssertEqual(p.inspector, "王建国")
        XCTAssertEqual(p.team, team)
        XCTAssertEqual(p.checklistVersion, checklist.version)
        XCTAssertEqual(p.results, results)
        XCTAssertEqual(p.hazards.map(\.itemCode), ["ELEC-04", "FIRE-04", "BLDG-01", "FIRE-01"])
        XCTAssertEqual(p.hazards.map(\.id), [id(2), id(3), id(4), id(5)])
        XCTAssertEqual(p.hazards.map(\.status.severity), [.general, .serious, .extremelySevere, .serious])
        // 2024-10-23, 2024-10-31, 2025-01-14, 2024-10-19 at 23:59:59 +08:00.
        XCTAssertEqual(p.hazards.map(\.status.dueAt.timeIntervalSince1970),
                       [1_729_699_199, 1_730_390_399, 1_736_870_399, 1_729_353_599])
        for h in p.hazards {
            let item = try XCTUnwrap(checklist.item(h.itemCode))
            XCTAssertEqual(h.status.dueAt, Deadline.due(foundAt: visit, days: item.defaultDays), h.itemCode)
            XCTAssertEqual(h.status.severity, item.defaultSeverity, h.itemCode)
            XCTAssertEqual(h.status.state, .open)
            XCTAssertEqual(h.status.version, 1)
            XCTAssertEqual(h.status.reboundCount, 0)
            XCTAssertNil(h.status.rectifiedAt)
            XCTAssertEqual(h.department, item.department)
            XCTAssertEqual(h.category, item.category)
            XCTAssertEqual(h.mode, .byDeadline)
            XCTAssertEqual(h.inspectionID, p.id)
            XCTAssertEqual(h.foundAt, visit)
            XCTAssertEqual(h.note, "现场发现")
            XCTAssertEqual(h.photos, ["p-\(h.itemCode).jpg"])
            XCTAssertEqual(h.events.count, 1)
            XCTAssertEqual(h.events[0].kind, .found)
            XCTAssertNil(h.events[0].fromState)
            XCTAssertEqual(h.events[0].toState, .open)
            XCTAssertEqual(h.events[0].actor, "王建国")
            XCTAssertEqual(h.events[0].occurredAt, visit)
            XCTAssertEqual(h.events[0].dueAt, h.status.dueAt)
        }
    }

    func testSeverityAndDeadlineOverrides() throws {
        let p = try plan([hazard("ELEC-04", severity: .extremelySevere, dueOn: "2024-11-01"),
                          hazard("FIRE-01", dueOn: "2024-10-16")])
        XCTAssertEqual(p.hazards[0].status.severity, .extremelySevere)
        XCTAssertEqual(p.hazards[0].status.dueAt, try CalendarDate("2024-11-01").endUTC)
        XCTAssertEqual(p.hazards[0].mode, .byDeadline)
        // Due the day of the visit → fixed on the spot.
        XCTAssertEqual(p.hazards[1].status.dueAt.timeIntervalSince1970, 1_729_094_399)
        XCTAssertEqual(p.hazards[1].mode, .onSpot)
        // A zero-day item is on-the-spot by default.
        let p2 = try plan([hazard("ELEC-02")])
        XCTAssertEqual(p2.hazards[0].mode, .onSpot)
        XCTAssertEqual(p2.hazards[0].status.dueAt.timeIntervalSince1970, 1_729_094_399)
        XCTAssertEqual(p2.hazards[0].status.state, .open)
    }

    func testRectifiedOnSite() throws {
        let p = try plan([hazard("FIRE-04", onSite: true)])
        let h = try XCTUnwrap(p.hazards.first)
        XCTAssertEqual(h.status.state, .rectified)
        XCTAssertEqual(h.status.version, 2)
        XCTAssertEqual(h.status.rectifiedAt, visit)
        XCTAssertEqual(h.status.severity, .serious)
        XCTAssertEqual(h.status.dueAt.timeIntervalSince1970, 1_729_094_399, "on site means due the same day")
        XCTAssertEqual(h.mode, .onSpot)
        XCTAssertEqual(h.events.map(\.kind), [.found, .verifyRectified])
        XCTAssertEqual(h.events[1].fromState, .open)
        XCTAssertEqual(h.events[1].toState, .rectified)
        XCTAssertEqual(h.events[1].occurredAt, visit)
        XCTAssertEqual(h.events[1].actor, "王建国")
    }

    func testLateEveningVisitDeadline() throws {
        let at = try Timestamp.parse("2024-10-16T23:30:00+08:00")
        let p = try plan([hazard("ELEC-04")], at: at)
        XCTAssertEqual(p.hazards[0].status.dueAt, try Timestamp.parse("2024-10-23T23:59:59+08:00"))
        XCTAssertEqual(p.hazards[0].status.dueAt.timeIntervalSince1970, 1_729_699_199)
        XCTAssertEqual(Timestamp.format(p.hazards[0].status.dueAt), "2024-10-23T23:59:59+08:00")
    }

    func testDueOnBeforeVisitDate() {
        let e = refusal([hazard("ELEC-04", dueOn: "2024-10-15")])
        XCTAssertEqual(e?.kind, .invalid)
        XCTAssertEqual(e?.field, "results[0].dueOn")
        let e2 = refusal([ItemResult(itemCode: "ELEC-01", outcome: .pass), hazard("ELEC-04", dueOn: "2024-10-01")])
        XCTAssertEqual(e2?.field, "results[1].dueOn")
        // The visit date is the Shanghai date: 2024-10-16T16:30Z is already 10-17 in Shanghai.
        let lateUTC = Date(timeIntervalSince1970: 1_729_096_200)
        let e3 = refusal([hazard("ELEC-04", dueOn: "2024-10-16")], at: lateUTC)
        XCTAssertEqual(e3?.field, "results[0].dueOn")
        XCTAssertNil(refusal([hazard("ELEC-04", dueOn: "2024-10-17")], at: lateUTC))
    }

    func testUnknownItem() {
        let e = refusal([hazard("NOPE-01")])
        XCTAssertEqual(e?.kind, .invalid)
        XCTAssertEqual(e?.field, "results[0].itemCode")
        let e2 = refusal([hazard("ELEC-04"), ItemResult(itemCode: "elec-01", outcome: .pass)])
        XCTAssertEqual(e2?.field, "results[1].itemCode")
    }

    func testItemNotForKind() throws {
        let e = refusal([hazard("MGMT-06")], kind: .enterprise)
        XCTAssertEqual(e?.kind, .invalid)
        XCTAssertEqual(e?.field, "results[0].itemCode")
        let e2 = refusal([ItemResult(itemCode: "BLDG-01", outcome: .pass)], kind: .rentalHousing)
        XCTAssertEqual(e2?.field, "results[0].itemCode")
        // The same item is fine for its own kind.
        XCTAssertEqual(try plan([hazard("MGMT-06")], kind: .rentalHousing).hazards.count, 1)
    }

    func testDuplicateItem() {
        let e = refusal([hazard("ELEC-04"), ItemResult(itemCode: "FIRE-01", outcome: .pass),
                         ItemResult(itemCode: "ELEC-04", outcome: .pass)])
        XCTAssertEqual(e?.kind, .invalid)
        XCTAssertEqual(e?.field, "results[2].itemCode")
    }

    func testTeamAndInspector() {
        let e = refusal([hazard("ELEC-04")], team: [])
        XCTAssertEqual(e?.kind, .invalid)
        XCTAssertEqual(e?.field, "team")
        let e2 = refusal([hazard("ELEC-04")], team: [team[0], TeamMember(name: "  ", department: .publicSecurity)])
        XCTAssertEqual(e2?.kind, .invalid)
        XCTAssertEqual(e2?.field, "team[1].name")
        let e3 = refusal([hazard("ELEC-04")], inspector: " \n")
        XCTAssertEqual(e3?.kind, .invalid)
        XCTAssertEqual(e3?.field, "inspector")
    }

    func testClosedDownSubject() {
        let e = refusal([hazard("ELEC-04")], closedDown: true)
        XCTAssertEqual(e?.kind, .conflict)
        XCTAssertEqual(e?.field, "subjectId")
        // Checked before anything else.
        XCTAssertEqual(refusal([], closedDown: true, team: [])?.field, "subjectId")
    }

    func testInspectionInTheFuture() {
        let now = visit
        let e = refusal([hazard("ELEC-04")], at: now.addingTimeInterval(10 * 60 + 1), now: now)
        XCTAssertEqual(e?.kind, .invalid)
        XCTAssertEqual(e?.field, "inspectedAt")
        XCTAssertEqual(refusal([hazard("ELEC-04")], at: now.addingTimeInterval(86_400), now: now)?.field, "inspectedAt")
        // Within the clock-skew allowance.
        XCTAssertNil(refusal([hazard("ELEC-04")], at: now.addingTimeInterval(10 * 60), now: now))
        XCTAssertEqual(InspectionRules.clockSkewAllowance, 600)
    }

    func testEmptyResults() {
        let e = refusal([])
        XCTAssertEqual(e?.kind, .invalid)
        XCTAssertEqual(e?.field, "results")
    }

    func testHazardFieldsOnANonHazard() {
        let onPass = refusal([ItemResult(itemCode: "ELEC-01", outcome: .pass, severity: .serious)])
        XCTAssertEqual(onPass?.kind, .invalid)
        XCTAssertEqual(onPass?.field, "results[0].severity")
        let onNA = refusal([hazard("ELEC-04"), ItemResult(itemCode: "ELEC-01", outcome: .notApplicable,
                                                           dueOn: try! CalendarDate("2024-10-20"))])
        XCTAssertEqual(onNA?.kind, .invalid)
        XCTAssertEqual(onNA?.field, "results[1].dueOn")
        let fixedPass = refusal([ItemResult(itemCode: "ELEC-01", outcome: .pass, rectifiedOnSite: true)])
        XCTAssertEqual(fixedPass?.kind, .invalid)
        XCTAssertEqual(fixedPass?.field, "results[0].rectifiedOnSite")
    }

    func testAllPassCreatesNoHazard() throws {
        let p = try plan([ItemResult(itemCode: "ELEC-01", outcome: .pass),
                          ItemResult(itemCode: "ELEC-02", outcome: .notApplicable)])
        XCTAssertTrue(p.hazards.isEmpty)
        XCTAssertEqual(p.id, id(1))
    }
}

final class NoticeNumberAndPNGTests: XCTestCase {
    func testNoticeNumbersPerTownAndYear() {
        XCTAssertEqual(NoticeNumber.make(townName: "瓜沥镇", year: 2026, sequence: 1), "瓜沥整改〔2026〕00001号")
        XCTAssertEqual(NoticeNumber.make(townName: "城厢街道", year: 2027, sequence: 123), "城厢整改〔2027〕00123号")
        XCTAssertEqual(NoticeNumber.prefix(townName: "瓜沥镇", year: 2026), "瓜沥整改〔2026〕")
    }

    func testOnlyAWholePNGIsAPNG() {
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        let ihdr: [UInt8] = [0, 0, 0, 13] + Array("IHDR".utf8) + [UInt8](repeating: 1, count: 17)
        let iend: [UInt8] = [0, 0, 0, 0] + Array("IEND".utf8) + [0xAE, 0x42, 0x60, 0x82]
        XCTAssertTrue(ImageContent.isCompletePNG(signature + ihdr + [UInt8](repeating: 0, count: 8) + iend))
        XCTAssertFalse(ImageContent.isCompletePNG(signature + Array(String(repeating: "text ", count: 20).utf8)))
        XCTAssertFalse(ImageContent.isCompletePNG(signature + ihdr))
        XCTAssertFalse(ImageContent.isCompletePNG([]))
    }
}

import Foundation
import XCTest
@testable import SafeGridCore

final class AccountsTests: XCTestCase {
    func testJurisdictionIsTheAreaAndEverythingBelow() {
        let grid = Jurisdiction(areaCode: "33010911300101")
        XCTAssertTrue(grid.contains("33010911300101"))
        XCTAssertTrue(grid.contains("33010911300101007"))
        XCTAssertFalse(grid.contains("33010911300102001"))
        XCTAssertFalse(grid.contains("330109113001"))
        XCTAssertEqual(grid.level, .grid)
        XCTAssertFalse(grid.isEverything)
        XCTAssertTrue(Jurisdiction(areaCode: "330109").isEverything)
        XCTAssertTrue(Jurisdiction.everything.isEverything)
        XCTAssertFalse(Jurisdiction.nothing.isEverything)
        XCTAssertFalse(Jurisdiction.nothing.contains("330109113"))
    }

    func testRolesPlacementAndRights() throws {
        let town = Area(code: "330109113", name: "瓜沥镇", level: .town, parentCode: "330109")
        let village = Area(code: "330109113001", name: "村", level: .village, parentCode: "330109113")
        XCTAssertNoThrow(try AccountRules.checkPlacement(role: .townAdmin, area: town, department: nil))
        XCTAssertThrowsError(try AccountRules.checkPlacement(role: .gridWorker, area: village, department: nil))
        XCTAssertThrowsError(try AccountRules.checkPlacement(role: .departmentInspector, area: town, department: nil))
        XCTAssertThrowsError(try AccountRules.checkPlacement(role: .viewer, area: town, department: .fireRescue))
        XCTAssertNoThrow(try AccountRules.checkPlacement(role: .viewer, area: village, department: nil))
        let inspector = Account(id: UUID(), username: "x", displayName: "x", role: .departmentInspector, areaCode: town.code, department: .fireRescue)
        XCTAssertTrue(inspector.mayAct(onHazardOf: .fireRescue))
        XCTAssertFalse(inspector.mayAct(onHazardOf: .emergencyManagement))
        let viewer = Account(id: UUID(), username: "v", displayName: "v", role: .viewer, areaCode: town.code, department: nil)
        XCTAssertFalse(viewer.mayAct(onHazardOf: .fireRescue))
        let townAdmin = Account(id: UUID(), username: "t", displayName: "t", role: .townAdmin, areaCode: town.code, department: nil)
        XCTAssertTrue(AccountRules.mayManage(townAdmin, role: .gridWorker, areaCode: "33010911300101"))
        XCTAssertFalse(AccountRules.mayManage(townAdmin, role: .gridWorker, areaCode: "33010900100101"))
        XCTAssertFalse(AccountRules.mayManage(townAdmin, role: .districtAdmin, areaCode: "330109"))
        XCTAssertEqual(Role.allCases.filter(\.seesPartyPhoneNumbers), [.townAdmin, .departmentInspector, .villageOfficer, .gridWorker, .microGridWorker])
    }

    func testUserNamesAndPasswords() throws {
        XCTAssertEqual(try AccountRules.username("  Guali.Admin "), "guali.admin")
        XCTAssertThrowsError(try AccountRules.username("ab"))
        XCTAssertThrowsError(try AccountRules.username("王五"))
        XCTAssertNoThrow(try AccountRules.checkPassword("safegrid-demo", username: "guali.admin"))
        XCTAssertThrowsError(try AccountRules.checkPassword("short", username: "x"))
        XCTAssertThrowsError(try AccountRules.checkPassword("my guali.admin pw", username: "guali.admin"))
        XCTAssertThrowsError(try AccountRules.checkPassword(String(repeating: "密", count: 25), username: "x"))  // 75 bytes
    }

    func testLockoutAfterFiveFailuresForFifteenMinutes() {
        let t = LoginThrottle()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        var r: LoginThrottle.Record? = nil
        for i in 0..<4 {
            r = t.failed(r, now: start.addingTimeInterval(Double(i) * 10))
            XCTAssertNil(t.lockedUntil(r, now: start.addingTimeInterval(Double(i) * 10)))
        }
        r = t.failed(r, now: start.addingTimeInterval(40))
        XCTAssertEqual(r?.failures, 5)
        XCTAssertEqual(t.lockedUntil(r, now: start.addingTimeInterval(41)), start.addingTimeInterval(40 + 900))
        XCTAssertNil(t.lockedUntil(r, now: start.addingTimeInterval(40 + 900)))
        // After the lockout a failure starts a new count; failures spread beyond the window never lock.
        XCTAssertEqual(t.failed(r, now: start.addingTimeInterval(2000)).failures, 1)
        var slow: LoginThrottle.Record? = nil
        for i in 0..<10 { slow = t.failed(slow, now: start.addingTimeInterval(Double(i) * 16 * 60)) }
        XCTAssertEqual(slow?.failures, 1)
    }
}

final class ClearanceTests: XCTestCase {
    func testBlockedWhileClosedOpenOrNeverInspected() throws {
        let day = try CalendarDate("2026-11-20")
        XCTAssertEqual(Clearance.decide(openHazards: 0, closedDownOn: nil, inspected: true).result, .passed)
        XCTAssertEqual(Clearance.decide(openHazards: 2, closedDownOn: nil, inspected: true).reason, "2 处隐患未整改 open hazards")
        XCTAssertEqual(Clearance.decide(openHazards: 0, closedDownOn: nil, inspected: false).result, .blocked)
        // Closure is named first, even with open hazards.
        XCTAssertEqual(Clearance.decide(openHazards: 3, closedDownOn: day, inspected: true).reason, "已关停 closed down on 2026-11-20")
    }
}

final class TaskOutcomeTests: XCTestCase {
    func testRoutineAndDirectedTasksCountOnceDoneOrPast() throws {
        let d = { (s: String) in try CalendarDate(s) }
        let nov1 = try d("2026-11-01"), nov30 = try d("2026-11-30"), today = try d("2026-11-15")
        // A street shop (90 days) last visited 2026-08-10 is due 2026-11-08: visited on the 5th → on time.
        XCTAssertEqual(TaskOutcome.routine(kind: .streetShop, visits: [try d("2026-08-10"), try d("2026-11-05")], recordedOn: try d("2026-01-01"),
                                           from: nov1, through: nov30, today: today), .doneOnTime)
        // Not visited by the 8th and the 15th is today: missed.
        XCTAssertEqual(TaskOutcome.routine(kind: .streetShop, visits: [try d("2026-08-10")], recordedOn: try d("2026-01-01"),
                                           from: nov1, through: nov30, today: today), .missed)
        // Due on the 20th, still ahead: not counted yet.
        XCTAssertEqual(TaskOutcome.routine(kind: .streetShop, visits: [try d("2026-08-22")], recordedOn: try d("2026-01-01"),
                                           from: nov1, through: nov30, today: today), .notCounted)
        // Due after the period: not counted.
        XCTAssertEqual(TaskOutcome.routine(kind: .streetShop, visits: [try d("2026-10-01")], recordedOn: try d("2026-01-01"),
                                           from: nov1, through: nov30, today: today), .notCounted)
        // Overdue since before a period still ahead: nothing missed yet in that period.
        XCTAssertEqual(TaskOutcome.routine(kind: .streetShop, visits: [try d("2026-06-01")], recordedOn: try d("2026-01-01"),
                                           from: try d("2027-01-01"), through: try d("2027-01-31"), today: today), .notCounted)
        XCTAssertEqual(TaskOutcome.directed(givenOn: try d("2026-11-10"), dueOn: try d("2026-11-12"), visits: [try d("2026-11-09")], today: today), .missed)
        XCTAssertEqual(TaskOutcome.directed(givenOn: try d("2026-11-10"), dueOn: try d("2026-11-12"), visits: [try d("2026-11-11")], today: today), .doneOnTime)
    }
}

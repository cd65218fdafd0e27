import Foundation
import Testing
@testable import SafeGridCore

@Suite struct AccountsTests {
    @Test func jurisdictionIsTheAreaAndEverythingBelow() {
        let grid = Jurisdiction(areaCode: "33010911300101")
        #expect(grid.contains("33010911300101"))
        #expect(grid.contains("33010911300101007"))
        #expect(!grid.contains("33010911300102001"))
        #expect(!grid.contains("330109113001"))
        #expect(grid.level == .grid)
        #expect(!grid.isEverything)
        #expect(Jurisdiction(areaCode: "330109").isEverything)
        #expect(Jurisdiction.everything.isEverything)
        #expect(!Jurisdiction.nothing.isEverything)
        #expect(!Jurisdiction.nothing.contains("330109113"))
    }

    @Test func rolesPlacementAndRights() throws {
        let town = Area(code: "330109113", name: "瓜沥镇", level: .town, parentCode: "330109")
        let village = Area(code: "330109113001", name: "村", level: .village, parentCode: "330109113")
        #expect(throws: Never.self) { try AccountRules.checkPlacement(role: .townAdmin, area: town, department: nil) }
        #expect(throws: (any Error).self) { try AccountRules.checkPlacement(role: .gridWorker, area: village, department: nil) }
        #expect(throws: (any Error).self) { try AccountRules.checkPlacement(role: .departmentInspector, area: town, department: nil) }
        #expect(throws: (any Error).self) { try AccountRules.checkPlacement(role: .viewer, area: town, department: .fireRescue) }
        #expect(throws: Never.self) { try AccountRules.checkPlacement(role: .viewer, area: village, department: nil) }
        let inspector = Account(id: UUID(), username: "x", displayName: "x", role: .departmentInspector, areaCode: town.code, department: .fireRescue)
        #expect(inspector.mayAct(onHazardOf: .fireRescue))
        #expect(!inspector.mayAct(onHazardOf: .emergencyManagement))
        let viewer = Account(id: UUID(), username: "v", displayName: "v", role: .viewer, areaCode: town.code, department: nil)
        #expect(!viewer.mayAct(onHazardOf: .fireRescue))
        let townAdmin = Account(id: UUID(), username: "t", displayName: "t", role: .townAdmin, areaCode: town.code, department: nil)
        #expect(AccountRules.mayManage(townAdmin, role: .gridWorker, areaCode: "33010911300101"))
        #expect(!AccountRules.mayManage(townAdmin, role: .gridWorker, areaCode: "33010900100101"))
        #expect(!AccountRules.mayManage(townAdmin, role: .districtAdmin, areaCode: "330109"))
        #expect(Role.allCases.filter(\.seesPartyPhoneNumbers) == [.townAdmin, .departmentInspector, .villageOfficer, .gridWorker, .microGridWorker])
        #expect(Role.allCases.filter(\.seesReporterPhoneNumbers) == [.gridWorker, .microGridWorker])
    }

    @Test func userNamesAndPasswords() throws {
        #expect(try AccountRules.username("  Guali.Admin ") == "guali.admin")
        #expect(throws: (any Error).self) { try AccountRules.username("ab") }
        #expect(throws: (any Error).self) { try AccountRules.username("王五") }
        #expect(throws: Never.self) { try AccountRules.checkPassword("safegrid-demo", username: "guali.admin") }
        #expect(throws: (any Error).self) { try AccountRules.checkPassword("short", username: "x") }
        #expect(throws: (any Error).self) { try AccountRules.checkPassword("my guali.admin pw", username: "guali.admin") }
        #expect(throws: (any Error).self) { try AccountRules.checkPassword(String(repeating: "密", count: 25), username: "x") }  // 75 bytes
    }

    @Test func lockoutAfterFiveFailuresForFifteenMinutes() {
        let t = LoginThrottle()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        var r: LoginThrottle.Record? = nil
        for i in 0..<4 {
            r = t.failed(r, now: start.addingTimeInterval(Double(i) * 10))
            #expect(t.lockedUntil(r, now: start.addingTimeInterval(Double(i) * 10)) == nil)
        }
        r = t.failed(r, now: start.addingTimeInterval(40))
        #expect(r?.failures == 5)
        #expect(t.lockedUntil(r, now: start.addingTimeInterval(41)) == start.addingTimeInterval(40 + 900))
        #expect(t.lockedUntil(r, now: start.addingTimeInterval(40 + 900)) == nil)
        // After the lockout a failure starts a new count; failures spread beyond the window never lock.
        #expect(t.failed(r, now: start.addingTimeInterval(2000)).failures == 1)
        var slow: LoginThrottle.Record? = nil
        for i in 0..<10 { slow = t.failed(slow, now: start.addingTimeInterval(Double(i) * 16 * 60)) }
        #expect(slow?.failures == 1)
    }
}

@Suite struct ClearanceTests {
    @Test func blockedWhileClosedOpenOrNeverInspected() throws {
        let day = try CalendarDate("2026-11-20")
        #expect(Clearance.decide(openHazards: 0, closedDownOn: nil, inspected: true).result == .passed)
        #expect(Clearance.decide(openHazards: 2, closedDownOn: nil, inspected: true).reason == "2 处隐患未整改 open hazards")
        #expect(Clearance.decide(openHazards: 0, closedDownOn: nil, inspected: false).result == .blocked)
        // Closure is named first, even with open hazards.
        #expect(Clearance.decide(openHazards: 3, closedDownOn: day, inspected: true).reason == "已关停 closed down on 2026-11-20")
    }
}

@Suite struct TaskOutcomeTests {
    @Test func routineAndDirectedTasksCountOnceDoneOrPast() throws {
        let d = { (s: String) in try CalendarDate(s) }
        let nov1 = try d("2026-11-01"), nov30 = try d("2026-11-30"), today = try d("2026-11-15")
        // A street shop (90 days) last visited 2026-08-10 is due 2026-11-08: visited on the 5th → on time.
        #expect(TaskOutcome.routine(kind: .streetShop, visits: [try d("2026-08-10"), try d("2026-11-05")], recordedOn: try d("2026-01-01"),
                                    from: nov1, through: nov30, today: today) == .doneOnTime)
        // Not visited by the 8th and the 15th is today: missed.
        #expect(TaskOutcome.routine(kind: .streetShop, visits: [try d("2026-08-10")], recordedOn: try d("2026-01-01"),
                                    from: nov1, through: nov30, today: today) == .missed)
        // Due on the 20th, still ahead: not counted yet.
        #expect(TaskOutcome.routine(kind: .streetShop, visits: [try d("2026-08-22")], recordedOn: try d("2026-01-01"),
                                    from: nov1, through: nov30, today: today) == .notCounted)
        // Due after the period: not counted.
        #expect(TaskOutcome.routine(kind: .streetShop, visits: [try d("2026-10-01")], recordedOn: try d("2026-01-01"),
                                    from: nov1, through: nov30, today: today) == .notCounted)
        // Overdue since before a period still ahead: nothing missed yet in that period.
        #expect(TaskOutcome.routine(kind: .streetShop, visits: [try d("2026-06-01")], recordedOn: try d("2026-01-01"),
                                    from: try d("2027-01-01"), through: try d("2027-01-31"), today: today) == .notCounted)
        #expect(TaskOutcome.directed(givenOn: try d("2026-11-10"), dueOn: try d("2026-11-12"), visits: [try d("2026-11-09")], today: today) == .missed)
        #expect(TaskOutcome.directed(givenOn: try d("2026-11-10"), dueOn: try d("2026-11-12"), visits: [try d("2026-11-11")], today: today) == .doneOnTime)
    }
}

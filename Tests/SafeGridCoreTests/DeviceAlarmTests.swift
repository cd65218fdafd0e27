import Foundation
import Testing
@testable import SafeGridCore

@Suite struct DeviceAlarmTests {
    /// 2024-10-16T09:30:00+08:00.
    private let t0 = Date(timeIntervalSince1970: 1_729_042_200)

    private func alarm(_ kind: DeviceEventKind = .smoke) -> DeviceAlarm { try! DeviceAlarm(kind: kind, raisedAt: t0) }
    private func at(_ seconds: TimeInterval) -> Date { t0.addingTimeInterval(seconds) }

    /// The ``DomainError`` `body` throws, `nil` when it succeeds (another error fails the test).
    private func error(_ body: () throws -> DeviceAlarm) -> DomainError? {
        do {
            _ = try body()
            return nil
        } catch let error as DomainError {
            return error
        } catch {
            Issue.record("not a DomainError: \(error)")
            return nil
        }
    }

    /// The transition table, written out independently of `DeviceAlarm.target`. `nil` = forbidden.
    private let expected: [DeviceAlarmAction: [DeviceAlarmState: DeviceAlarmState?]] = [
        .acknowledge: [.raised: .acknowledged, .acknowledged: nil, .onSite: nil, .confirmed: nil, .falseAlarm: nil],
        .arriveOnSite: [.raised: .onSite, .acknowledged: .onSite, .onSite: nil, .confirmed: nil, .falseAlarm: nil],
        .confirm: [.raised: nil, .acknowledged: nil, .onSite: .confirmed, .confirmed: nil, .falseAlarm: nil],
        .declareFalseAlarm: [.raised: nil, .acknowledged: .falseAlarm, .onSite: .falseAlarm, .confirmed: nil, .falseAlarm: nil],
    ]

    @Test func targetMatchesTable() {
        #expect(Set(expected.keys) == Set(DeviceAlarmAction.allCases))
        for action in DeviceAlarmAction.allCases {
            #expect(Set(expected[action]!.keys) == Set(DeviceAlarmState.allCases))
            for state in DeviceAlarmState.allCases {
                #expect(DeviceAlarm.target(of: action, from: state) == expected[action]![state]!, "\(action) from \(state)")
            }
        }
        #expect(DeviceAlarmState.allCases.filter(\.isOpen) == [.raised, .acknowledged, .onSite])
    }

    @Test func onlyAlarmsAreAlarms() {
        for kind in DeviceEventKind.allCases {
            let made = (try? DeviceAlarm(kind: kind, raisedAt: t0)) != nil
            #expect(made == kind.isAlarm, "\(kind)")
        }
        do {
            _ = try DeviceAlarm(kind: .heartbeat, raisedAt: t0)
            Issue.record("a heartbeat became an alarm")
        } catch {
            #expect(error.field == "kind")
        }
    }

    @Test func fullPathWithResponseTimes() throws {
        let raised = alarm()
        #expect(raised.state == .raised)
        #expect(raised.acknowledgeSeconds == nil && raised.onSiteSeconds == nil)
        let acked = try raised.acknowledging(at: at(45), by: " 张伟 ")
        #expect(acked.state == .acknowledged)
        #expect(acked.acknowledgedBy == "张伟")
        #expect(acked.acknowledgeSeconds == 45)
        let there = try acked.arrivingOnSite(at: at(600), by: "李娜")
        #expect(there.state == .onSite)
        #expect(there.acknowledgedBy == "张伟" && there.onSiteBy == "李娜")
        #expect(there.acknowledgeSeconds == 45 && there.onSiteSeconds == 600)
        let confirmed = try there.confirming(at: at(900), by: "李娜", itemCode: "ELEC-05", note: "配电箱内线路过载发热")
        #expect(confirmed.state == .confirmed)
        #expect(confirmed.itemCode == "ELEC-05")
        #expect(confirmed.closedAt == at(900) && confirmed.closedBy == "李娜")
        #expect(confirmed.note == "配电箱内线路过载发热")
        #expect(confirmed.falseAlarmReason == nil)
        #expect(!confirmed.state.isOpen)
        // The original value is untouched.
        #expect(raised.state == .raised && raised.acknowledgedAt == nil)
    }

    @Test func arrivingFirstStampsTheAcknowledgement() throws {
        let there = try alarm().arrivingOnSite(at: at(300), by: "王强")
        #expect(there.state == .onSite)
        #expect(there.acknowledgedAt == at(300) && there.acknowledgedBy == "王强")
        #expect(there.acknowledgeSeconds == 300 && there.onSiteSeconds == 300)
    }

    @Test func illegalTransitionsAreConflicts() throws {
        let raised = alarm()
        let e1 = error { try raised.confirming(at: at(10), by: "张伟") }
        #expect(e1?.kind == .conflict)
        #expect(e1?.field == "action")
        #expect(e1?.extra["currentState"] == "raised")
        #expect(e1?.reason == "cannot confirm an alarm that is raised")
        #expect(error { try raised.declaringFalseAlarm(at: at(10), by: "张伟", reason: .cookingOrSteam) }?.kind == .conflict)
        let acked = try raised.acknowledging(at: at(10), by: "张伟")
        #expect(error { try acked.acknowledging(at: at(20), by: "张伟") }?.kind == .conflict)
        #expect(error { try acked.confirming(at: at(20), by: "张伟") }?.kind == .conflict)
        let closed = try acked.declaringFalseAlarm(at: at(20), by: "张伟", reason: .testOrMaintenance)
        for action: () throws -> DeviceAlarm in [
            { try closed.acknowledging(at: at(30), by: "张伟") },
            { try closed.arrivingOnSite(at: at(30), by: "张伟") },
            { try closed.confirming(at: at(30), by: "张伟", itemCode: "LANE-01") },
            { try closed.declaringFalseAlarm(at: at(30), by: "张伟", reason: .other, note: "x") },
        ] {
            let e = error(action)
            #expect(e?.kind == .conflict && e?.extra["currentState"] == "falseAlarm")
        }
    }

    @Test func timesDoNotGoBackwards() throws {
        let e = error { try alarm().acknowledging(at: at(-1), by: "张伟") }
        #expect(e?.kind == .invalid)
        #expect(e?.field == "occurredAt")
        #expect(e?.reason == "the acknowledge is dated 2024-10-16T09:29:59+08:00, before the alarm was raised at 2024-10-16T09:30:00+08:00")
        // The same instant as the alarm is allowed.
        #expect(try alarm().acknowledging(at: t0, by: "张伟").acknowledgeSeconds == 0)
        let acked = try alarm().acknowledging(at: at(100), by: "张伟")
        let e2 = error { try acked.arrivingOnSite(at: at(99), by: "张伟") }
        #expect(e2?.field == "occurredAt")
        #expect(e2?.reason.contains("before the alarm's last step") == true)
        let there = try acked.arrivingOnSite(at: at(200), by: "张伟")
        #expect(error { try there.confirming(at: at(150), by: "张伟", itemCode: "LANE-01") }?.field == "occurredAt")
        #expect(there.lastStepAt == at(200))
    }

    @Test func actorIsRequired() {
        #expect(error { try alarm().acknowledging(at: at(1), by: "  ") }?.field == "actor")
        #expect(error { try alarm().acknowledging(at: at(1), by: String(repeating: "张", count: 51)) }?.field == "actor")
        #expect(error { try alarm().acknowledging(at: at(1), by: "张\u{0}伟") }?.field == "actor")
    }

    @Test func falseAlarmReasons() throws {
        let acked = try alarm().acknowledging(at: at(30), by: "张伟")
        // Known remotely: allowed without a visit.
        for reason in [FalseAlarmReason.testOrMaintenance, .cookingOrSteam, .deviceFault] {
            let closed = try acked.declaringFalseAlarm(at: at(60), by: "张伟", reason: reason)
            #expect(closed.state == .falseAlarm && closed.falseAlarmReason == reason && closed.onSiteAt == nil)
        }
        // "No sign of fire" is seen on site.
        let e = error { try acked.declaringFalseAlarm(at: at(60), by: "张伟", reason: .noSignOfFire) }
        #expect(e?.kind == .conflict && e?.field == "reason")
        let there = try acked.arrivingOnSite(at: at(300), by: "张伟")
        #expect(try there.declaringFalseAlarm(at: at(400), by: "张伟", reason: .noSignOfFire).falseAlarmReason == .noSignOfFire)
        // "Other" needs a note.
        #expect(error { try there.declaringFalseAlarm(at: at(400), by: "张伟", reason: .other) }?.field == "note")
        #expect(error { try there.declaringFalseAlarm(at: at(400), by: "张伟", reason: .other, note: "   ") }?.field == "note")
        let other = try there.declaringFalseAlarm(at: at(400), by: "张伟", reason: .other, note: " 住户焚烧纸钱 ")
        #expect(other.note == "住户焚烧纸钱")
        #expect(FalseAlarmReason.allCases.filter(\.requiresNote) == [.other])
        #expect(FalseAlarmReason.allCases.filter(\.needsSiteVisit) == [.noSignOfFire])
    }

    @Test func confirmedAlarmsBecomeChecklistItems() throws {
        #expect(DeviceAlarmRules.hazardItemCode(for: .laneBlocked) == "LANE-01")
        #expect(DeviceAlarmRules.hazardItemCode(for: .chargingOverTemperature) == "ELEC-05")
        #expect(DeviceAlarmRules.hazardItemCode(for: .chargingOverCurrent) == "ELEC-05")
        #expect(DeviceAlarmRules.hazardItemCode(for: .smoke) == nil)
        #expect(DeviceAlarmRules.hazardItemCode(for: .firePoint) == nil)
        for kind in DeviceEventKind.allCases where !kind.isAlarm {
            #expect(DeviceAlarmRules.hazardItemCode(for: kind) == nil)
        }
        // The defaults exist in the shipped checklist and apply wherever devices are installed.
        let checklist = try Checklist.bundledDefault()
        for kind in DeviceEventKind.alarms {
            guard let code = DeviceAlarmRules.hazardItemCode(for: kind) else { continue }
            let item = try #require(checklist.item(code), "\(code)")
            for subject in [SubjectKind.enterprise, .smallMicroPark, .streetShop, .rentalHousing] {
                #expect(item.applies(to: subject), "\(code) for \(subject)")
            }
        }
        // The default is used when the worker names none; a smoke alarm needs one named.
        let lane = try alarm(.laneBlocked).arrivingOnSite(at: at(60), by: "张伟")
        #expect(try lane.confirming(at: at(120), by: "张伟").itemCode == "LANE-01")
        #expect(try lane.confirming(at: at(120), by: "张伟", itemCode: "EVAC-03").itemCode == "EVAC-03")
        let smoke = try alarm(.smoke).arrivingOnSite(at: at(60), by: "张伟")
        let e = error { try smoke.confirming(at: at(120), by: "张伟") }
        #expect(e?.kind == .invalid && e?.field == "itemCode")
        #expect(error { try smoke.confirming(at: at(120), by: "张伟", itemCode: " ") }?.field == "itemCode")
        #expect(error { try smoke.confirming(at: at(120), by: "张伟", itemCode: "fire-1") }?.field == "itemCode")
        #expect(try smoke.confirming(at: at(120), by: "张伟", itemCode: " PROD-04 ").itemCode == "PROD-04")
    }

    @Test func maintenanceAfterThreeFalseAlarmsIn30Days() {
        let day: TimeInterval = 86_400
        let now = at(40 * day)
        #expect(DeviceAlarmRules.maintenanceFalseAlarms == 3 && DeviceAlarmRules.maintenanceWindow == 30 * day)
        #expect(!DeviceAlarmRules.needsMaintenance(falseAlarms: [], now: now))
        #expect(!DeviceAlarmRules.needsMaintenance(falseAlarms: [now, now.addingTimeInterval(-day)], now: now))
        #expect(DeviceAlarmRules.needsMaintenance(falseAlarms: [now, now.addingTimeInterval(-day), now.addingTimeInterval(-29 * day)], now: now))
        // Exactly 30 days ago still counts; a second more does not.
        #expect(DeviceAlarmRules.needsMaintenance(falseAlarms: [now.addingTimeInterval(-30 * day), now, now], now: now))
        #expect(!DeviceAlarmRules.needsMaintenance(falseAlarms: [now.addingTimeInterval(-30 * day - 1), now, now], now: now))
        // Order does not matter; instants after now are not counted.
        #expect(DeviceAlarmRules.needsMaintenance(falseAlarms: [now.addingTimeInterval(-2 * day), now.addingTimeInterval(-5 * day),
                                                                now.addingTimeInterval(-1 * day)], now: now))
        #expect(!DeviceAlarmRules.needsMaintenance(falseAlarms: [now.addingTimeInterval(day), now, now], now: now))
    }

    @Test func townIsAlertedForPossibleFiresInKeyHazardEnterprises() {
        for kind in DeviceEventKind.allCases {
            #expect(DeviceAlarmRules.alertsTown(kind, inKeyHazardEnterprise: true) == (kind == .smoke || kind == .firePoint), "\(kind)")
            #expect(!DeviceAlarmRules.alertsTown(kind, inKeyHazardEnterprise: false), "\(kind)")
        }
    }

    @Test func codableRoundTrip() throws {
        let closed = try alarm().arrivingOnSite(at: at(60), by: "张伟")
            .declaringFalseAlarm(at: at(120), by: "张伟", reason: .cookingOrSteam, note: "厨房油烟")
        let back = try JSONDecoder().decode(DeviceAlarm.self, from: JSONEncoder().encode(closed))
        #expect(back == closed)
        let restored = DeviceAlarm(restoring: closed.kind, raisedAt: closed.raisedAt, state: closed.state,
                                   acknowledgedAt: closed.acknowledgedAt, acknowledgedBy: closed.acknowledgedBy,
                                   onSiteAt: closed.onSiteAt, onSiteBy: closed.onSiteBy, closedAt: closed.closedAt,
                                   closedBy: closed.closedBy, falseAlarmReason: closed.falseAlarmReason, note: closed.note,
                                   itemCode: closed.itemCode)
        #expect(restored == closed)
    }

    @Test func takingAnAlarmIsDatedByTheServerAndOtherStepsAtMostHalfAnHourBack() throws {
        let now = try Timestamp.parse("2026-11-30T10:00:00+08:00")
        let earlier = now.addingTimeInterval(-600)
        #expect(try DeviceAlarmRules.stepTime(.acknowledge, from: .raised, given: earlier, now: now) == now)
        // Arriving on an alarm nobody took takes it: dated now, whatever the phone says.
        #expect(try DeviceAlarmRules.stepTime(.arriveOnSite, from: .raised, given: earlier, now: now) == now)
        #expect(try DeviceAlarmRules.stepTime(.arriveOnSite, from: .acknowledged, given: earlier, now: now) == earlier)
        #expect(try DeviceAlarmRules.stepTime(.confirm, from: .onSite, given: nil, now: now) == now)
        #expect(try DeviceAlarmRules.stepTime(.arriveOnSite, from: .acknowledged, given: now.addingTimeInterval(-1_800), now: now) == now.addingTimeInterval(-1_800))
        for bad in [now.addingTimeInterval(-1_801), now.addingTimeInterval(61)] {
            #expect { try DeviceAlarmRules.stepTime(.declareFalseAlarm, from: .onSite, given: bad, now: now) } throws: { ($0 as? DomainError)?.field == "occurredAt" }
        }
    }
}


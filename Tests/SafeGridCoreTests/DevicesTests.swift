import Foundation
import Testing
@testable import SafeGridCore

@Suite struct DevicesTests {
    /// 2024-10-16T09:30:00+08:00.
    private let t0 = Date(timeIntervalSince1970: 1_729_042_200)

    @Test func rawValuesAreTheWireSpelling() {
        #expect(DeviceKind.allCases.map(\.rawValue) == ["smokeDetector", "lifeChannelMonitor", "chargingPile", "firePointMonitor"])
        #expect(DeviceEventKind.allCases.map(\.rawValue) == ["smoke", "firePoint", "laneBlocked", "chargingOverTemperature",
                                                             "chargingOverCurrent", "fault", "heartbeat", "lowBattery"])
    }

    @Test func labels() {
        #expect(DeviceKind.smokeDetector.zh == "智慧烟感")
        #expect(DeviceKind.smokeDetector.zhFormal == "独立式感烟火灾探测报警器")
        #expect(DeviceKind.lifeChannelMonitor.zh == "生命通道监控")
        #expect(DeviceKind.chargingPile.zh == "充电桩")
        #expect(DeviceKind.firePointMonitor.zh == "火点监测")
        #expect(DeviceKind.chargingPile.en == "E-bike charging pile")
        for kind in DeviceKind.allCases { #expect(!kind.en.isEmpty && !kind.zhFormal.isEmpty) }
        for kind in DeviceEventKind.allCases { #expect(!kind.en.isEmpty && !kind.zh.isEmpty) }
    }

    @Test func codableAsRawValue() throws {
        let data = try JSONEncoder().encode([DeviceKind.chargingPile])
        #expect(String(decoding: data, as: UTF8.self) == #"["chargingPile"]"#)
        #expect(try JSONDecoder().decode([DeviceEventKind].self, from: Data(#"["laneBlocked","heartbeat"]"#.utf8))
                == [.laneBlocked, .heartbeat])
    }

    @Test func alarmKinds() {
        #expect(DeviceEventKind.alarms == [.smoke, .firePoint, .laneBlocked, .chargingOverTemperature, .chargingOverCurrent])
        #expect(!DeviceEventKind.fault.isAlarm && !DeviceEventKind.heartbeat.isAlarm && !DeviceEventKind.lowBattery.isAlarm)
    }

    /// Which device kind may send which event, written out independently.
    @Test func whoRaisesWhat() {
        let allowed: [DeviceKind: Set<DeviceEventKind>] = [
            .smokeDetector: [.smoke, .fault, .heartbeat, .lowBattery],
            .lifeChannelMonitor: [.laneBlocked, .fault, .heartbeat, .lowBattery],
            .chargingPile: [.chargingOverTemperature, .chargingOverCurrent, .fault, .heartbeat, .lowBattery],
            .firePointMonitor: [.firePoint, .fault, .heartbeat, .lowBattery],
        ]
        for device in DeviceKind.allCases {
            for event in DeviceEventKind.allCases {
                let ok = allowed[device]!.contains(event)
                #expect(device.canReport(event) == ok, "\(device) \(event)")
                #expect((domainErrorField { try device.check(event, field: "events[0].kind") } == nil) == ok, "\(device) \(event)")
            }
        }
        // Every alarm kind is raised by exactly one device kind.
        for alarm in DeviceEventKind.alarms {
            #expect(DeviceKind.allCases.filter { $0.alarmKinds.contains(alarm) }.count == 1, "\(alarm)")
        }
    }

    @Test func impossibleEventIsA422() {
        do {
            try DeviceKind.smokeDetector.check(.laneBlocked, field: "events[2].kind")
            Issue.record("accepted")
        } catch {
            #expect(error.kind == .invalid)
            #expect(error.field == "events[2].kind")
            #expect(error.reason == "a smokeDetector cannot raise a laneBlocked alarm; it raises smoke")
            #expect(error.extra == ["deviceKind": "smokeDetector", "eventKind": "laneBlocked"])
        }
        do {
            try DeviceKind.chargingPile.check(.smoke)
            Issue.record("accepted")
        } catch {
            #expect(error.field == "kind")
            #expect(error.reason == "a chargingPile cannot raise a smoke alarm; it raises chargingOverTemperature or chargingOverCurrent")
        }
    }

    @Test func offlineMarkAfterThePeriodOnlyOnce() {
        let period: TimeInterval = 3600
        let last = t0
        // Exactly one period of silence: still online; one second more: offline.
        #expect(!DeviceConnectivity.needsOfflineMark(lastMessageAt: last, registeredAt: last.addingTimeInterval(-86_400),
                                                     offlineSince: nil, now: last.addingTimeInterval(3600), offlinePeriod: period))
        #expect(DeviceConnectivity.needsOfflineMark(lastMessageAt: last, registeredAt: last.addingTimeInterval(-86_400),
                                                    offlineSince: nil, now: last.addingTimeInterval(3601), offlinePeriod: period))
        // Already marked: the job leaves it alone, however long the silence.
        #expect(!DeviceConnectivity.needsOfflineMark(lastMessageAt: last, registeredAt: last.addingTimeInterval(-86_400),
                                                     offlineSince: last.addingTimeInterval(3601),
                                                     now: last.addingTimeInterval(7 * 86_400), offlinePeriod: period))
        // The query's cutoff is the same rule.
        #expect(DeviceConnectivity.cutoff(now: last.addingTimeInterval(3601), offlinePeriod: period) == last.addingTimeInterval(1))
    }

    @Test func neverHeardFromCountsFromRegistration() {
        let registered = t0
        #expect(!DeviceConnectivity.needsOfflineMark(lastMessageAt: nil, registeredAt: registered, offlineSince: nil,
                                                     now: registered.addingTimeInterval(86_400),
                                                     offlinePeriod: DeviceConnectivity.defaultOfflinePeriod))
        #expect(DeviceConnectivity.needsOfflineMark(lastMessageAt: nil, registeredAt: registered, offlineSince: nil,
                                                    now: registered.addingTimeInterval(86_401),
                                                    offlinePeriod: DeviceConnectivity.defaultOfflinePeriod))
        #expect(DeviceConnectivity.defaultOfflinePeriod == 86_400)
    }

    @Test func anyMessageBringsItOnline() {
        let marked = t0.addingTimeInterval(100)
        let back = DeviceConnectivity.receiving(messageAt: t0.addingTimeInterval(500), lastMessageAt: t0, offlineSince: marked)
        #expect(back.lastMessageAt == t0.addingTimeInterval(500))
        #expect(back.offlineSince == nil)
        #expect(back.cameOnline)
        // A late message does not move the last message time backwards.
        let late = DeviceConnectivity.receiving(messageAt: t0.addingTimeInterval(-60), lastMessageAt: t0, offlineSince: nil)
        #expect(late.lastMessageAt == t0)
        #expect(!late.cameOnline)
        let first = DeviceConnectivity.receiving(messageAt: t0, lastMessageAt: nil, offlineSince: nil)
        #expect(first.lastMessageAt == t0)
    }

    @Test func articlePlan() {
        #expect(DevicePlan.planned(.smokeDetector) == 6_208)
        #expect(DevicePlan.planned(.lifeChannelMonitor) == 237)
        #expect(DevicePlan.planned(.chargingPile) == 140)
        #expect(DevicePlan.planned(.firePointMonitor) == 124)
        #expect(DevicePlan.total == 6_709)
    }

    @Test func eventTimesAreTakenFromThirtyDaysBackToTenMinutesAheadAndAlarmsAreNeverRaisedAfterArrival() throws {
        let now = try Timestamp.parse("2026-11-30T10:00:00+08:00")
        #expect(throws: Never.self) { try DeviceEventTime.check(now.addingTimeInterval(600), now: now, field: "e") }
        #expect(throws: Never.self) { try DeviceEventTime.check(now.addingTimeInterval(-30 * 86_400), now: now, field: "e") }
        for bad in [now.addingTimeInterval(601), now.addingTimeInterval(-30 * 86_400 - 1)] {
            #expect { try DeviceEventTime.check(bad, now: now, field: "events[0].occurredAt") } throws: {
                ($0 as? DomainError)?.field == "events[0].occurredAt"
            }
        }
        #expect(DeviceEventTime.raisedAt(occurred: now.addingTimeInterval(540), received: now) == now)
        #expect(DeviceEventTime.raisedAt(occurred: now.addingTimeInterval(-60), received: now) == now.addingTimeInterval(-60))
    }

    @Test func requiredTextIsTrimmedAndRefusedWhenBlank() throws {
        #expect(try TextRules.required("  SD-1 ", "serial", max: 64) == "SD-1")
        for bad in [nil, "   ", String(repeating: "x", count: 65), "a\u{0}b"] as [String?] {
            #expect { try TextRules.required(bad, "serial", max: 64) } throws: { ($0 as? DomainError)?.field == "serial" }
        }
    }
}


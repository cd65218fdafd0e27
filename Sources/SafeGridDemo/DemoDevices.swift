import Foundation
import SQLKit
import SafeGridApp
import SafeGridCore
import Vapor

/// The demo's smart fire devices (智建) for 瓜沥镇: the article's plan — 6,208 smart smoke
/// detectors, 237 life-channel monitors, 140 e-bike charging piles, 124 fire-point monitors
/// (``DevicePlan``) — spread over the villages in proportion to the subjects that take each kind,
/// part of it installed by the demo's day and reporting through one IoT platform, a few devices
/// offline or faulty, 30 days of false alarms handled, and a few alarms open now.
///
/// Which subjects take which kind: smoke detectors go to rental housing (one per room, up to 6),
/// street shops and enterprises; life-channel monitors to enterprises and small-micro parks;
/// charging piles to rental housing; fire-point monitors to enterprises.
enum DemoDevices {
    static let platformID = "guali-iot"
    static let vendors = ["海曼", "泰和安", "海康威视", "大华", "尼特"]

    struct Summary {
        var planned = 0
        var installed = 0
        var offline = 0
        var openAlarms = 0
        var closedAlarms = 0
        /// The platform's HMAC key, for a simulator to sign events with.
        var platformKey = ""
    }

    /// - Parameters:
    ///   - campaign: the 瓜沥 demo campaign, already written.
    ///   - now: the demo's now (UTC).
    static func record(campaign: DemoCampaign, app: Application, now: Date) async throws -> Summary {
        var rng = SeededGenerator(seed: campaign.seed ^ 0x5AFE_D0C5)
        let open = zip(campaign.subjects, campaign.dossiers).filter { !$0.1.isClosedDown }.map(\.0)
        var byVillage: [String: [Subject]] = [:]
        for s in open { byVillage[String(s.microGridCode.prefix(12)), default: []].append(s) }
        let villages = byVillage.keys.sorted()

        // Where each kind may go, with the places on each subject (rooms for smoke detectors).
        func places(_ kind: DeviceKind, _ s: Subject) -> [String?] {
            switch (kind, s.kind) {
            case (.smokeDetector, .rentalHousing): return (1...min(6, max(1, s.rooms ?? 1))).map { "\(100 + $0)" }
            case (.smokeDetector, .streetShop), (.smokeDetector, .enterprise): return [nil]
            case (.lifeChannelMonitor, .enterprise), (.lifeChannelMonitor, .smallMicroPark): return [nil]
            case (.chargingPile, .rentalHousing): return [nil]
            case (.firePointMonitor, .enterprise): return [nil]
            default: return []
            }
        }
        // The plan per village: the kind's total in proportion to the places, largest remainder.
        var plans: [String: [DeviceKind: Int]] = [:]
        for kind in DeviceKind.allCases {
            let capacity = villages.map { v in byVillage[v, default: []].reduce(0) { $0 + places(kind, $1).count } }
            let total = capacity.reduce(0, +)
            guard total > 0 else { continue }
            let want = min(DevicePlan.planned(kind), total)
            let exact = capacity.map { Double(want) * Double($0) / Double(total) }
            var shares = exact.map { Int($0.rounded(.down)) }
            let left = want - shares.reduce(0, +)
            for i in exact.indices.sorted(by: { exact[$0] - Double(shares[$0]) > exact[$1] - Double(shares[$1]) }).prefix(left) { shares[i] += 1 }
            for (v, n) in zip(villages, shares) where n > 0 { plans[v, default: [:]][kind] = n }
        }

        // Installed: 60–95% of each village's plan, on its subjects in a seeded order.
        var devices: [NewDevice] = []
        var serial: [DeviceKind: Int] = [:]
        let prefix: [DeviceKind: String] = [.smokeDetector: "SD", .lifeChannelMonitor: "LC", .chargingPile: "CP", .firePointMonitor: "FP"]
        for v in villages {
            let subjects = byVillage[v, default: []]
            for kind in DeviceKind.allCases {
                let plan = plans[v]?[kind] ?? 0
                guard plan > 0 else { continue }
                var slots = subjects.flatMap { s in places(kind, s).map { (s, $0) } }
                rng.shuffle(&slots)
                let installed = min(slots.count, Int((Double(plan) * (0.60 + 0.35 * rng.unit())).rounded()))
                for (s, room) in slots.prefix(installed) {
                    serial[kind, default: 0] += 1
                    let installedOn = campaign.asOf.adding(days: -rng.int(10...150))
                    var last: Date? = now.addingTimeInterval(-Double(rng.int(30...3_600)))
                    var offline: Date?, fault: Date?
                    let roll = rng.unit()
                    if roll < 0.04 {
                        last = now.addingTimeInterval(-Double(rng.int(2...20)) * 86_400)
                        offline = last?.addingTimeInterval(DeviceConnectivity.defaultOfflinePeriod + 60)
                    } else if roll < 0.06 {
                        fault = now.addingTimeInterval(-Double(rng.int(1...10)) * 86_400)
                    }
                    devices.append(NewDevice(serial: (prefix[kind] ?? "D") + "-" + String(format: "%06d", serial[kind] ?? 0), kind: kind,
                                             vendor: rng.pick(vendors), subject: s, room: room, installedOn: installedOn,
                                             lastMessageAt: last, offlineSince: offline, faultSince: fault))
                }
            }
        }

        // Alarms: 30 days of false alarms handled, and a few open now.
        let online = devices.filter { $0.offlineSince == nil && $0.faultSince == nil }
        var alarms: [PastAlarm] = []
        let workers = ["陈建国", "沈晓峰", "王丽萍", "俞伟", "李海燕"]
        for _ in 0..<60 where !online.isEmpty {
            let d = rng.pick(online)
            guard let kind = d.kind.alarmKinds.first.map({ d.kind.alarmKinds.count > 1 ? rng.pick(d.kind.alarmKinds) : $0 }) else { continue }
            let raised = now.addingTimeInterval(-Double(rng.int(3_600...30 * 86_400)))
            let who = rng.pick(workers)
            var a = try DeviceAlarm(kind: kind, raisedAt: raised)
            a = try a.acknowledging(at: raised.addingTimeInterval(Double(rng.int(40...600))), by: who)
            a = try a.arrivingOnSite(at: raised.addingTimeInterval(Double(rng.int(660...1_800))), by: who)
            let reason = rng.pick([FalseAlarmReason.cookingOrSteam, .testOrMaintenance, .deviceFault, .noSignOfFire])
            a = try a.declaringFalseAlarm(at: raised.addingTimeInterval(Double(rng.int(1_900...2_700))), by: who, reason: reason)
            alarms.append(PastAlarm(serial: d.serial, alarm: a))
        }
        let openCount = min(4, online.count)
        for i in 0..<openCount {
            let d = online[(i * 997) % online.count]
            guard let kind = d.kind.alarmKinds.first else { continue }
            let raised = now.addingTimeInterval(-Double([420, 1_380, 2_700, 5_100][i]))
            var a = try DeviceAlarm(kind: kind, raisedAt: raised)
            if i >= 2 { a = try a.acknowledging(at: raised.addingTimeInterval(180), by: workers[i]) }
            if i == 3 { a = try a.arrivingOnSite(at: raised.addingTimeInterval(1_200), by: workers[i]) }
            alarms.append(PastAlarm(serial: d.serial, alarm: a))
        }

        let sortedDevices = devices
        let sortedPlans = plans
        let recorded = alarms
        let key = try await app.writeGate.transaction(on: app.db) { sql -> String in
            let store = DeviceStore(database: sql)
            let key = try await store.makePlatform(id: platformID, name: "瓜沥镇智慧消防物联网平台", area: BundledAreas.gualiTownCode, by: "demo", at: now)
            let ids = try await store.register(sortedDevices, platform: platformID, at: now)
            try await store.record(recorded, devices: ids)
            try await store.setPlans(sortedPlans)
            return key
        }
        var summary = Summary()
        summary.platformKey = key
        summary.planned = plans.values.flatMap(\.values).reduce(0, +)
        summary.installed = devices.count
        summary.offline = devices.filter { $0.offlineSince != nil }.count
        summary.openAlarms = alarms.filter { $0.alarm.state.isOpen }.count
        summary.closedAlarms = alarms.count - summary.openAlarms
        return summary
    }
}

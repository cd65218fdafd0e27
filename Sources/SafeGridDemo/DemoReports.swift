import Foundation
import SQLKit
import SafeGridApp
import SafeGridCore
import Vapor

/// The demo's residents' reports (沥家园 隐患随手拍) of the last 14 days in 瓜沥镇, replayed through
/// the same intake and handling as the API (``ReportHandling/replay(_:app:)``): most verified
/// within hours, some dismissed with a reason, a few waiting — two of them in the demo grid
/// worker's own micro-grid, so `wangge.worker` finds them at the top of Today — and two waiting
/// beyond 24 hours (the jobs escalate them to their village officers). Each village gets an
/// officer's contact for that escalation.
enum DemoReports {
    struct Summary {
        var received = 0
        var verified = 0
        var dismissed = 0
    }

    /// What residents write, by hazard category.
    static let words: [HazardCategory: [String]] = [
        .evBattery: ["楼道里有电动车在充电，电线从窗户拉出来", "电瓶车停在楼梯口充电，晚上一直插着"],
        .evacuation: ["安全出口被货物堵住了", "楼梯间堆满杂物，过不去"],
        .fireAccess: ["消防通道被私家车占了好几天", "消防车道上停满电动车"],
        .firefightingEquipment: ["灭火器是空的，压力表指针在红区", "消火栓箱里面没有水带"],
        .electrical: ["电线乱拉，外皮都破了", "插线板串着插线板，一直发热"],
        .gas: ["店里煤气罐放在灶台旁边，没有报警器", "闻到燃气味，软管老化了"],
        .threeInOne: ["一楼做仓库二楼住人", "厂房里面隔了宿舍住人"],
        .buildingFireRating: ["彩钢板搭的棚子连着住房", "楼道里用泡沫板隔了房间"],
    ]

    static func record(campaign: DemoCampaign, app: Application, now: Date) async throws -> Summary {
        var rng = SeededGenerator(seed: campaign.seed ^ 0x11A_71A)
        let checklist = try await app.checklists.current(sql: app.sql)
        let open = zip(campaign.subjects, campaign.dossiers).filter { !$0.1.isClosedDown && $0.0.location != nil }.map(\.0)
            .filter { $0.microGridCode.hasPrefix(BundledAreas.gualiTownCode) }
        guard !open.isEmpty else { return Summary() }
        let workers = Dictionary(campaign.gridWorkers.map { ($0.gridCode, $0.worker.name) }, uniquingKeysWith: { a, _ in a })
        // The demo grid worker's micro-grid: the first of the first grid (``DemoAccounts``).
        let firstMicroGrid = campaign.areas.filter { $0.level == .microGrid && $0.code.hasPrefix(BundledAreas.gualiTownCode) }
            .map(\.code).min() ?? ""
        let home = open.filter { $0.microGridCode == firstMicroGrid }

        // Verified reports name a hazard the campaign already has open: the verification links to
        // it, so the article's figures (hazards found and rectified) stay what the records give.
        let openHazards: [(Subject, String)] = zip(campaign.subjects, campaign.dossiers).flatMap { s, d -> [(Subject, String)] in
            guard !d.isClosedDown, s.location != nil, s.microGridCode.hasPrefix(BundledAreas.gualiTownCode) else { return [] }
            return d.hazards.filter { $0.value.state.isOpen }.compactMap { id, _ in
                d.itemCodes[id].flatMap { code in checklist.item(code).flatMap { words[$0.category] != nil ? (s, code) : nil } }
            }
        }
        guard !openHazards.isEmpty else { return Summary() }

        func report(at s: Subject, item code: String? = nil, received: Date, outcome: PastReport.Outcome, offsetMetres: Double = 0) -> PastReport? {
            let items = checklist.items.filter { $0.applies(to: s.kind) && words[$0.category] != nil }
            guard !items.isEmpty, let location = s.location?.converted(to: .wgs84) else { return nil }
            let item = code.flatMap(checklist.item) ?? rng.pick(items)
            let text = rng.pick(words[item.category] ?? ["有隐患"])
            let shifted = (try? GeoPoint(latitude: location.latitude + offsetMetres / 111_000, longitude: location.longitude, datum: .wgs84)) ?? location
            let phone: String? = rng.unit() < 0.25 ? nil : "139" + String(format: "%08d", rng.int(0...99_999_999))
            return PastReport(serviceCode: item.code, description: text, position: shifted, reporterPhone: phone, receivedAt: received, outcome: outcome,
                              subject: s.id)
        }
        var past: [PastReport] = []
        let reasons: [(ReportDismissalReason, String)] = [
            (.notHazard, "现场查看为正常停放，未占用通道"), (.cannotFind, "按地址和定位未找到，已电话联系上报人"),
            (.outsideArea, "位于党湾镇辖区，已转党湾镇"), (.notHazard, "灭火器压力正常，上报人误认"),
        ]
        for i in 0..<40 {
            let (s, code) = i % 5 == 4 ? (rng.pick(open), nil) : rng.pick(openHazards)
            let received = now.addingTimeInterval(-Double(rng.int(2 * 86_400...14 * 86_400)))
            let worker = workers[String(s.microGridCode.prefix(AreaLevel.grid.codeLength))] ?? "网格员"
            let outcome: PastReport.Outcome = i % 5 == 4
                ? .dismissed(after: Double(rng.int(1_800...20 * 3_600)), worker: worker, reason: reasons[i % reasons.count].0, note: reasons[i % reasons.count].1)
                : .verified(after: Double(rng.int(1_200...22 * 3_600)), worker: worker)
            if let r = report(at: s, item: code, received: received, outcome: outcome, offsetMetres: i % 5 == 4 ? 40 : 0) { past.append(r) }
        }
        // Waiting: two overdue elsewhere, three fresh, and two in the demo worker's micro-grid.
        for (i, age) in [30.0, 27.0, 5.0, 3.0, 1.5].enumerated() {
            if let r = report(at: open[(i * 7_919) % open.count], received: now.addingTimeInterval(-age * 3_600), outcome: .open) { past.append(r) }
        }
        for (i, age) in [2.5, 0.6].enumerated() where !home.isEmpty {
            if let r = report(at: home[(i * 31) % home.count], received: now.addingTimeInterval(-age * 3_600), outcome: .open) { past.append(r) }
        }
        // Each village's officer, texted when a report of the village waits beyond 24 hours.
        let villages = campaign.areas.filter { $0.level == .village && $0.parentCode == BundledAreas.gualiTownCode }
        // And the town's duty phone: reports nothing placed in a village, and fire alarms at key
        // hazard enterprises (智慧消防).
        let officers: [(gridCode: String, name: String, phone: PhoneNumber)] = villages.enumerated().map { i, v in
            (v.code, v.shortName + "村社安全员", .mobile("137" + String(format: "%08d", 10_000 + i)))
        } + [(BundledAreas.gualiTownCode, "瓜沥镇平安办值班", .mobile("13700009999"))]
        try await app.campaignWrite(scope: .everything, recordedAt: now) { tx in try await tx.insert(gridWorkers: officers) }
        let counts = try await ReportHandling.replay(past, app: app)
        return Summary(received: counts.received, verified: counts.verified, dismissed: counts.dismissed)
    }
}

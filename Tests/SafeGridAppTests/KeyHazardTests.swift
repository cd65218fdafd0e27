import Foundation
import SafeGridCore
import Testing
import Vapor
@testable import SafeGridApp

@Suite("Key hazard enterprises: ranked, listed, coloured, re-ranked with history")
struct KeyHazardTests {
    /// Six enterprises in one micro-grid; enterprise i has i hazards (0 … 5).
    func sixEnterprises(_ app: Application) async throws -> [String] {
        let mg = try await addMicroGrid(app)
        let items = ["ELEC-01", "EVAC-01", "FIRE-02", "LANE-01", "BLDG-01"]
        var ids: [String] = []
        for i in 0..<6 {
            var body = enterpriseBody(microGrid: mg, credit: creditCode("MA2AB3C\(i)"))
            body["name"] = "企业\(i)"
            let s = try await app.send(.POST, "/api/v1/subjects", object: body)
            #expect(s.status == .created, "\(s.body)")
            let id = s.json["id"] as? String ?? ""
            ids.append(id)
            let results: [[String: Any]] = items.enumerated().map { (k, code) in ["itemCode": code, "outcome": k < i ? "hazard" : "pass"] }
            let r = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: id, results: results))
            #expect(r.status == .created, "\(r.body)")
        }
        return ids
    }

    @Test func theWorstFifteenPercentAreListedAndReRankingKeepsHistory() async throws {
        try await withSafeGrid { app in
            let ids = try await sixEnterprises(app)
            let run = try await app.send(.POST, "/api/v1/key-hazards/rank")
            #expect(run.status == .created, "\(run.body)")
            // ⌈15% × 6⌉ = 1: the enterprise with five open hazards.
            #expect(run.json["enterprisesListed"] as? Int == 1)
            #expect(run.json["entered"] as? Int == 1)
            let list = try await app.send(.GET, "/api/v1/key-hazards")
            #expect(list.array.map { $0["subjectId"] as? String }.compactMap { $0?.lowercased() } == [ids[5].lowercased()])
            #expect(list.array.first?["rank"] as? Int == 1 && list.array.first?["quota"] as? Int == 1)
            // Five general hazards (ELEC-01 is serious? the score is Σ weight × 10 when nothing is overdue).
            #expect((list.array.first?["points"] as? Int ?? 0) >= 50)
            let dashboard = try await app.send(.GET, "/api/v1/dashboard?areaCode=330109113201")
            #expect(dashboard.json["keyHazardEnterprises"] as? Int == 1)
            // Another village's grid worker sees none of it.
            try await CampaignStore(sql: app.sql).insert(areas: [Area(code: "33010911320201", name: "别的网格", level: .grid, parentCode: "330109113202")])
            let elsewhere = try await makeAccount(app, "other.grid", role: .gridWorker, area: "33010911320201")
            #expect(try await app.send(.GET, "/api/v1/key-hazards", token: elsewhere).array.isEmpty)
            #expect(try await app.send(.GET, "/api/v1/key-hazards/changes", token: elsewhere).array.isEmpty)
            #expect(try await app.send(.POST, "/api/v1/key-hazards/rank", token: elsewhere).status == .forbidden)

            // The worst one closes down: it leaves the list, the next worst enters.
            let close = try await app.send(.POST, "/api/v1/subjects/\(ids[5])/close-down", object: ["actor": "综合执法组", "reason": "关停"])
            #expect(close.status == .ok, "\(close.body)")
            let again = try await app.send(.POST, "/api/v1/key-hazards/rank")
            #expect(again.json["entered"] as? Int == 1 && again.json["left"] as? Int == 1)
            let changes = try await app.send(.GET, "/api/v1/key-hazards/changes")
            let moves = changes.array.map { "\($0["change"] as? String ?? "") \(($0["subjectId"] as? String ?? "").lowercased())" }
            #expect(Set(moves.prefix(2)) == ["entered \(ids[4].lowercased())", "left \(ids[5].lowercased())"])
            #expect(moves.last == "entered \(ids[5].lowercased())")
            // The page shows the list.
            let page = try await app.send(.GET, "/key-hazards?areaCode=330109113201")
            #expect(page.status == .ok && page.body.contains("企业4"))
        }
    }

    @Test func theDailyJobRanksOncePerDay() async throws {
        try await withSafeGrid { app in
            _ = try await sixEnterprises(app)
            let first = try await DeadlineJobs.runOnce(app: app, now: testNow)
            #expect(first.keyHazardEnterprisesListed == 1)
            let second = try await DeadlineJobs.runOnce(app: app, now: testNow.addingTimeInterval(60))
            #expect(second.keyHazardEnterprisesListed == nil)
            let tomorrow = try await DeadlineJobs.runOnce(app: app, now: testNow.addingTimeInterval(86_400))
            #expect(tomorrow.keyHazardEnterprisesListed == 1)
        }
    }
}

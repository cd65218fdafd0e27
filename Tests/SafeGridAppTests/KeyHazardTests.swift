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
            let s = try await app.send(.POST, "/api/v1/subjects", object: body, token: app.adminToken)
            #expect(s.status == .created, "\(s.body)")
            let id = try s.decoded(SubjectDTO.self).id.uuidString
            ids.append(id)
            let results: [[String: Any]] = items.enumerated().map { (k, code) in ["itemCode": code, "outcome": k < i ? "hazard" : "pass"] }
            let r = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: id, results: results), token: app.adminToken)
            #expect(r.status == .created, "\(r.body)")
        }
        return ids
    }

    @Test func theWorstFifteenPercentAreListedAndReRankingKeepsHistory() async throws {
        try await withSafeGrid { app in
            let ids = try await sixEnterprises(app)
            let run = try await app.send(.POST, "/api/v1/key-hazards/rank", token: app.adminToken)
            #expect(run.status == .created, "\(run.body)")
            // ⌈15% × 6⌉ = 1: the enterprise with five open hazards.
            let ranked = try run.decoded(KeyHazards.RunDTO.self)
            #expect(ranked.enterprisesListed == 1)
            #expect(ranked.entered == 1)
            let list = try await app.send(.GET, "/api/v1/key-hazards", token: app.adminToken)
            let listed = try list.decoded([KeyHazards.KeyEnterpriseDTO].self)
            #expect(listed.map { $0.subjectId.uuidString.lowercased() } == [ids[5].lowercased()])
            #expect(listed.first?.rank == 1 && listed.first?.quota == 1)
            // Five general hazards (ELEC-01 is serious? the score is Σ weight × 10 when nothing is overdue).
            #expect((listed.first?.points ?? 0) >= 50)
            #expect(try await app.send(.GET, "/api/v1/subjects/\(ids[5])", token: app.adminToken).decoded(SubjectsController.SubjectDetailDTO.self).keyHazardEnterprise == true)
            #expect(try await app.send(.GET, "/api/v1/subjects/\(ids[4])", token: app.adminToken).decoded(SubjectsController.SubjectDetailDTO.self).keyHazardEnterprise == false)
            #expect(try await app.send(.GET, "/subjects/\(ids[5])", token: app.adminToken).body.contains("重点隐患企业"))
            let dashboard = try await app.send(.GET, "/api/v1/dashboard?areaCode=330109113201", token: app.adminToken)
            #expect(try dashboard.decoded(DashboardFigures.self).keyHazardEnterprises == 1)
            // Another village's grid worker sees none of it.
            try await CampaignStore(sql: app.sql).insert(areas: [Area(code: "33010911320201", name: "别的网格", level: .grid, parentCode: "330109113202")])
            let elsewhere = try await makeAccount(app, "other.grid", role: .gridWorker, area: "33010911320201")
            #expect(try await app.send(.GET, "/api/v1/key-hazards", token: elsewhere).decoded([KeyHazards.KeyEnterpriseDTO].self).isEmpty)
            #expect(try await app.send(.GET, "/api/v1/key-hazards/changes", token: elsewhere).decoded([KeyHazards.ChangeDTO].self).isEmpty)
            #expect(try await app.send(.POST, "/api/v1/key-hazards/rank", token: elsewhere).status == .forbidden)

            // The worst one closes down: it leaves the list, the next worst enters.
            let close = try await app.send(.POST, "/api/v1/subjects/\(ids[5])/close-down", object: ["actor": "综合执法组", "reason": "关停"], token: app.adminToken)
            #expect(close.status == .ok, "\(close.body)")
            let again = try await app.send(.POST, "/api/v1/key-hazards/rank", token: app.adminToken)
            let reranked = try again.decoded(KeyHazards.RunDTO.self)
            #expect(reranked.entered == 1 && reranked.left == 1)
            let changes = try await app.send(.GET, "/api/v1/key-hazards/changes", token: app.adminToken)
            let moves = try changes.decoded([KeyHazards.ChangeDTO].self).map { "\($0.change) \($0.subjectId.uuidString.lowercased())" }
            #expect(Set(moves.prefix(2)) == ["entered \(ids[4].lowercased())", "left \(ids[5].lowercased())"])
            #expect(moves.last == "entered \(ids[5].lowercased())")
            // The page shows the list.
            let page = try await app.send(.GET, "/key-hazards?areaCode=330109113201", token: app.adminToken)
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

@Suite("Task lists (网格日常管): routine by risk, directed by the town, quota")
struct TaskListTests {
    @Test func aGridWorkersDayHasItsDueAndDirectedTasks() async throws {
        try await withSafeGrid { app in
            let ids = try await KeyHazardTests().sixEnterprises(app)
            let worker = try await makeAccount(app, "wg.1", role: .gridWorker, area: "33010911320101")
            // Everything was inspected today: nothing routine is due yet.
            let today = try await app.send(.GET, "/api/v1/tasks", token: worker)
            #expect(today.status == .ok, "\(today.body)")
            let todayList = try today.decoded(TaskLists.TaskListDTO.self)
            #expect(todayList.tasks.isEmpty == true)
            let quota = todayList.quota
            #expect(quota.done == 6 && quota.target == 40 && quota.worker == "gridWorker")
            // The town directs one inspection: it shows today, with the subject's open hazards.
            let directed = try await app.send(.POST, "/api/v1/tasks/directed", object: ["subjectId": ids[3], "dueOn": "2026-12-02", "reason": "群众举报堵塞通道"], token: app.adminToken)
            #expect(directed.status == .created, "\(directed.body)")
            #expect(try await app.send(.POST, "/api/v1/tasks/directed", object: ["subjectId": ids[3], "dueOn": "2026-12-02", "reason": "x"],
                                       token: worker).status == .forbidden)
            let bad = try await app.send(.POST, "/api/v1/tasks/directed", object: ["subjectId": ids[3], "dueOn": "2026-11-01", "reason": "x"], token: app.adminToken)
            #expect(try bad.status == .unprocessableEntity && bad.problem().field == "dueOn")
            let withDirected = try await app.send(.GET, "/api/v1/tasks", token: worker)
            let tasks = try withDirected.decoded(TaskLists.TaskListDTO.self).tasks
            #expect(tasks.count == 1)
            #expect(tasks.first?.subjectId.uuidString.lowercased() == ids[3].lowercased())
            #expect(tasks.first?.openHazards.count == 3)
            #expect(tasks.first?.directed.first?.reason == "群众举报堵塞通道")
            // 61 days on, every enterprise is due (60 days at most; sooner with open serious hazards).
            let later = try await app.send(.GET, "/api/v1/tasks?date=2027-01-30", token: worker)
            let due = try later.decoded(TaskLists.TaskListDTO.self).tasks
            #expect(due.count == 6)
            #expect(due.filter { $0.reason == "routine" }.count == 1)  // the one without hazards
            // A village officer asks for the grid's list; outside the area it is 404; a village is not a worker's area.
            let officer = try await makeAccount(app, "v.1", role: .villageOfficer, area: "330109113201")
            #expect(try await app.send(.GET, "/api/v1/tasks?areaCode=33010911320101", token: officer).status == .ok)
            #expect(try await app.send(.GET, "/api/v1/tasks", token: officer).status == .unprocessableEntity)
            #expect(try await app.send(.GET, "/api/v1/tasks?areaCode=33010911320201", token: worker).status == .notFound)
            let badPosition = try await app.send(.GET, "/api/v1/tasks?latitude=abc&longitude=120.4", token: worker)
            #expect(try badPosition.status == .unprocessableEntity && badPosition.problem().field == "latitude")
            #expect(try await app.send(.GET, "/api/v1/tasks?latitude=30.18", token: worker).problem().field == "longitude")
            let page = try await app.send(.GET, "/tasks", token: worker)
            #expect(page.status == .ok && page.body.contains("企业3"))
        }
    }
}

@Suite("Performance ranking (绩效)")
struct PerformanceTests {
    @Test func villagesAreScoredAndGradedForAPeriod() async throws {
        try await withSafeGrid { app in
            _ = try await KeyHazardTests().sixEnterprises(app)
            let r = try await app.send(.GET, "/api/v1/performance?areaCode=330109113&from=2026-11-01&to=2026-11-30", token: app.adminToken)
            #expect(r.status == .ok, "\(r.body)")
            let rows = try r.decoded(Performance.RankingDTO.self).rows
            #expect(rows.count == 74)
            let village = try #require(rows.first { $0.code == "330109113201" })
            // Six subjects never visited before November: six tasks, all done on the 30th.
            #expect(village.tasksDue == 6 && village.tasksDoneOnTime == 6)
            // 15 hazards found, none signed or rectified yet: reports unconfirmed (the component drops out).
            #expect(village.hazardsReported == 15 && village.reportsConfirmed == 0)
            // Tasks 100% (30) and rectification 0% (20), renormalised: 30 ÷ 50 = 60.00, grade C.
            #expect(village.score == 60.0, "\(village)")
            #expect(village.grade == "C")
            #expect(village.rank == 1)
            // The other villages have no records: unranked, no grade.
            #expect(rows.filter { $0.score != nil }.count == 1)
            // A period still ahead has nothing missed yet.
            let ahead = try await app.send(.GET, "/api/v1/performance?areaCode=330109113&from=2026-12-01&to=2026-12-31", token: app.adminToken)
            let next = try ahead.decoded(Performance.RankingDTO.self).rows.first { $0.code == "330109113201" }
            #expect(next?.tasksDue == 0)
            let later = try await app.send(.GET, "/api/v1/performance?areaCode=330109113&from=2027-06-01&to=2027-06-30", token: app.adminToken)
            #expect(try later.decoded(Performance.RankingDTO.self).rows.allSatisfy { $0.tasksDue == 0 })
            // Bad periods and areas.
            #expect(try await app.send(.GET, "/api/v1/performance?from=2026-12-01&to=2026-11-01", token: app.adminToken).problem().field == "to")
            // A grid worker's own grid is scored on its own.
            let grid = try await app.send(.GET, "/api/v1/performance?areaCode=33010911320101&from=2026-11-01&to=2026-11-30", token: app.adminToken)
            #expect(try grid.decoded(Performance.RankingDTO.self).rows.map(\.score) == [60.0])
            let page = try await app.send(.GET, "/performance?areaCode=330109113&from=2026-11-01&to=2026-11-30", token: app.adminToken)
            #expect(page.status == .ok && page.body.contains("60.00"))
        }
    }
}

@Suite("Webhooks keep to their maker's jurisdiction")
struct WebhookJurisdictionTests {
    @Test func aTownAdminsWebhookSeesOnlyItsTown() async throws {
        try await withSafeGrid { app in
            app.settings.webhooks.policy = WebhookPolicy(allowed: try IPRange.list("127.0.0.1"))   // loopback allowed for the test
            let town = try await makeAccount(app, "guali.hooks", role: .townAdmin, area: BundledAreas.gualiTownCode)
            let other = try await CampaignQueries(sql: app.sql, scope: .everything).children(of: BundledAreas.districtCode)
                .map(\.code).first { $0 != BundledAreas.gualiTownCode }!
            let otherAdmin = try await makeAccount(app, "other.hooks", role: .townAdmin, area: other)
            let made = try await app.send(.POST, "/api/v1/webhooks", object: ["url": "http://127.0.0.1:9/hook", "from": "beginning"], token: town)
            #expect(made.status == .created, "\(made.body)")
            let id = try made.decoded(Webhooks.Subscription.self).id.uuidString
            #expect(try await app.send(.GET, "/api/v1/webhooks", token: town).decoded([Webhooks.Subscription].self).count == 1)
            #expect(try await app.send(.GET, "/api/v1/webhooks", token: otherAdmin).decoded([Webhooks.Subscription].self).isEmpty)
            #expect(try await app.send(.GET, "/api/v1/webhooks/\(id)/deliveries", token: otherAdmin).status == .notFound)
            #expect(try await app.send(.DELETE, "/api/v1/webhooks/\(id)", token: otherAdmin).status == .notFound)
            #expect(try await app.send(.GET, "/api/v1/webhooks", token: app.adminToken).decoded([Webhooks.Subscription].self).count == 1)  // the district admin sees it
            let scope = try await app.sql.select().column("scope_code").from("webhook_subscriptions").first()?.decode(column: "scope_code", as: String.self)
            #expect(scope == BundledAreas.gualiTownCode)
        }
    }
}

@Suite("Open311 reads are public and consistent")
struct Open311PublicReadTests {
    @Test func anAnonymousClientFindsTheRequestItListed() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app)
            let subject = try await createEnterprise(app, microGrid: mg)
            let r = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: subject), token: app.adminToken)
            let hazard = try #require(try r.decoded(InspectionDTO.self).hazards.first?.id.uuidString)
            // Open311 answers are read raw: `service_request_id` and the list shape are the GeoReport v2 spec's.
            let list = try await app.send(.GET, "/open311/v2/requests.json", token: "")
            #expect(list.array.contains { ($0["service_request_id"] as? String)?.lowercased() == hazard.lowercased() })
            let one = try await app.send(.GET, "/open311/v2/requests/\(hazard).json", token: "")
            #expect(one.status == .ok && one.array.count == 1, "\(one.body)")
            let byFilter = try await app.send(.GET, "/open311/v2/requests.json?service_request_id=\(hazard)", token: "")
            #expect(byFilter.array.count == 1)
        }
    }
}

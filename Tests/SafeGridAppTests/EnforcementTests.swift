import Foundation
import SafeGridCore
import SQLKit
import Testing
import Vapor
@testable import SafeGridApp
@testable import SafeGridDemo

/// 综合执法 (joint enforcement): the article's figures from the demo's records
/// (shared/seed/guali-campaign-article.txt: 累计开展行动3012次，占全区总量的46.8%以上 … 关停企业77家，
/// 拆除593家企业的违法建筑8万多平方米，腾出产业发展空间100余亩), and the rules of the API.
@Suite("Joint enforcement: the article's figures from records, teams and actions through the API")
struct EnforcementTests {
    static func number(_ value: Any?) -> Double? { (value as? NSNumber)?.doubleValue }

    @Test func theDemoReproducesTheArticlesEnforcementFigures() async throws {
        try await withSafeGrid { app in
            _ = try await DemoCommand.build(app: app, asOf: try CalendarDate("2026-11-30"), seed: 20220725)
            let r = try await app.send(.GET, "/api/v1/enforcement?areaCode=\(BundledAreas.gualiTownCode)", token: app.adminToken)
            #expect(r.status == .ok, "\(r.body.prefix(300))")
            let f = r.json
            #expect(f["actions"] as? Int == 3_012)
            #expect(f["shareText"] as? String == "46.8%")
            let district = f["districtActions"] as? Int ?? 0
            // "46.8%以上": the exact share is at least 46.8%, not only rounded to it.
            #expect(district > 0 && 3_012 * 1_000 >= 468 * district, "district total \(district)")
            #expect((Self.number(f["sharePercent"]) ?? 0) >= 46.8)
            #expect(f["enterprisesClosed"] as? Int == 77)
            #expect(f["enterprisesWithDemolitions"] as? Int == 593)
            let squareMetres = Self.number(f["squareMetresDemolished"]) ?? 0
            #expect(80_000 < squareMetres && squareMetres < 90_000, "\(squareMetres) m²")
            let mu = Self.number(f["muFreed"]) ?? 0
            #expect(100 < mu && mu < 110, "\(mu) 亩")
            let byKind = f["actionsByKind"] as? [String: Int] ?? [:]
            #expect(byKind.values.reduce(0, +) == 3_012)
            #expect(byKind["closureOrdered"] == 77)

            // The district: its own actions, recorded and tallied, are the whole.
            let d = try await app.send(.GET, "/api/v1/enforcement?areaCode=\(BundledAreas.districtCode)", token: app.adminToken)
            #expect(d.json["actions"] as? Int == district)
            #expect(d.json["shareText"] as? String == "100.0%")

            // A grid worker sees the slice of actions concerning the grid's subjects, and only those subjects.
            let first = try await app.sql.select().column(SQLColumn("grid_code", table: "subjects"))
                .from("enforcement_action_subjects")
                .join("subjects", on: SQLColumn("subject_id", table: "enforcement_action_subjects"), .equal, SQLColumn("id", table: "subjects"))
                .limit(1).first()
            let grid = try #require(first).decode(column: "grid_code", as: String.self)
            let token = try await makeAccount(app, "t.enforcement.grid", role: .gridWorker, area: grid)
            let slice = try await app.send(.GET, "/api/v1/enforcement", token: token)
            #expect(slice.status == .ok, "\(slice.body.prefix(300))")
            let sliceActions = slice.json["actions"] as? Int ?? 0
            #expect(sliceActions > 0 && sliceActions < 3_012)
            #expect(slice.json["districtActions"] as? Int == district)
            let list = try await app.send(.GET, "/api/v1/enforcement/actions?per=200", token: token)
            #expect(list.json["total"] as? Int == sliceActions)
            let inGrid = Set(try await app.sql.select().column("id").from("subjects").where("grid_code", .equal, SQLBind(grid)).all()
                .map { try $0.decode(column: "id", as: UUID.self) })
            for item in list.json["items"] as? [[String: Any]] ?? [] {
                let ids = (item["subjectIds"] as? [String] ?? []).compactMap(UUID.init(uuidString:))
                #expect(!ids.isEmpty && ids.allSatisfy { inGrid.contains($0) }, "\(item)")
            }
            let town = try await app.send(.GET, "/api/v1/enforcement?areaCode=\(BundledAreas.gualiTownCode)", token: token)
            #expect(town.status == .notFound)
        }
    }

    @Test func teamsAndActionsFollowTheRules() async throws {
        try await withSafeGrid { app in
            let villages = try await CampaignQueries(sql: app.sql, scope: .everything).children(of: BundledAreas.gualiTownCode).map(\.code)
            let microA = try await addMicroGrid(app, village: villages[0])
            let microB = try await addMicroGrid(app, village: villages[1])
            let a = try await createEnterprise(app, microGrid: microA, serial: "MA2AB3CD")
            let b = try await createEnterprise(app, microGrid: microB, serial: "MA2AB3CE")
            let gridWorker = try await makeAccount(app, "t.grid.a", role: .gridWorker, area: String(microA.prefix(14)))
            let viewer = try await makeAccount(app, "t.viewer.a", role: .viewer, area: villages[0])

            // A team of one department is no joint team.
            var team: [String: Any] = ["name": "瓜沥镇综合执法测试组", "townCode": BundledAreas.gualiTownCode,
                                       "members": [["name": "张伟", "department": "fireRescue"], ["name": "李娜", "department": "fireRescue"]]]
            let single = try await app.send(.POST, "/api/v1/enforcement/teams", object: team, token: app.adminToken)
            #expect(single.status == .unprocessableEntity)
            #expect(single.json["field"] as? String == "members")
            team["members"] = [["name": "张伟", "department": "comprehensiveEnforcement"], ["name": "李娜", "department": "fireRescue"]]
            let made = try await app.send(.POST, "/api/v1/enforcement/teams", object: team, token: app.adminToken)
            #expect(made.status == .created, "\(made.body)")
            #expect((made.json["departments"] as? [String])?.count == 2)
            let teamId = made.json["id"] as? String ?? ""
            let notAdmin = try await app.send(.POST, "/api/v1/enforcement/teams", object: team, token: gridWorker)
            #expect(notAdmin.status == .forbidden)

            func action(_ kind: String, _ subjects: [String], squareMetres: Double? = nil) -> [String: Any] {
                var body: [String: Any] = ["teamId": teamId, "kind": kind, "on": "2026-11-30", "subjectIds": subjects]
                if let squareMetres { body["squareMetres"] = squareMetres }
                return body
            }
            let negative = try await app.send(.POST, "/api/v1/enforcement/actions", object: action("demolition", [a], squareMetres: -5), token: app.adminToken)
            #expect(negative.status == .unprocessableEntity)
            #expect(negative.json["field"] as? String == "squareMetres")
            let outside = try await app.send(.POST, "/api/v1/enforcement/actions", object: action("demolition", [b], squareMetres: 120.5),
                                             token: gridWorker)
            #expect(outside.status == .unprocessableEntity)
            #expect(outside.json["field"] as? String == "subjectIds[0]")
            #expect(!outside.body.contains("杭州恒增纺织"))
            let byViewer = try await app.send(.POST, "/api/v1/enforcement/actions", object: action("demolition", [a], squareMetres: 120.5),
                                              token: viewer)
            #expect(byViewer.status == .forbidden)

            let demolished = try await app.send(.POST, "/api/v1/enforcement/actions", object: action("demolition", [a], squareMetres: 120.5),
                                                token: gridWorker)
            #expect(demolished.status == .created, "\(demolished.body)")
            #expect(Self.number(demolished.json["squareMetres"]) == 120.5)
            // A closure ordered closes the subject down.
            let closed = try await app.send(.POST, "/api/v1/enforcement/actions", object: action("closureOrdered", [b]), token: app.adminToken)
            #expect(closed.status == .created, "\(closed.body)")
            let subject = try await app.send(.GET, "/api/v1/subjects/\(b)", token: app.adminToken)
            #expect((subject.json["subject"] as? [String: Any])?["closedDownAt"] as? String != nil)

            let town = try await app.send(.GET, "/api/v1/enforcement?areaCode=\(BundledAreas.gualiTownCode)", token: app.adminToken)
            #expect(town.json["actions"] as? Int == 2)
            #expect(town.json["enterprisesClosed"] as? Int == 1)
            #expect(town.json["enterprisesWithDemolitions"] as? Int == 1)
            #expect(Self.number(town.json["squareMetresDemolished"]) == 120.5)
            #expect(town.json["shareText"] as? String == "100.0%")
            #expect(town.json["from"] as? String == "2026-11-30")
            // The grid worker's slice: the demolition only, half the district's two actions.
            let slice = try await app.send(.GET, "/api/v1/enforcement", token: gridWorker)
            #expect(slice.json["actions"] as? Int == 1)
            #expect(slice.json["enterprisesClosed"] as? Int == 0)
            #expect(slice.json["shareText"] as? String == "50.0%")
            let list = try await app.send(.GET, "/api/v1/enforcement/actions", token: gridWorker)
            #expect(list.json["total"] as? Int == 1)
            #expect(!list.body.lowercased().contains(b.lowercased()))
            let teams = try await app.send(.GET, "/api/v1/enforcement/teams", token: gridWorker)
            #expect(teams.array.count == 1)
        }
    }
}

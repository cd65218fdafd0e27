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
    @Test func theDemoReproducesTheArticlesEnforcementFigures() async throws {
        try await withSafeGrid { app in
            _ = try await DemoCommand.build(app: app, asOf: try CalendarDate("2026-11-30"), seed: 20220725)
            let r = try await app.send(.GET, "/api/v1/enforcement?areaCode=\(BundledAreas.gualiTownCode)", token: app.adminToken)
            #expect(r.status == .ok, "\(r.body.prefix(300))")
            let f = try r.decoded(EnforcementController.FiguresDTO.self)
            #expect(f.actions == 3_012)
            #expect(f.shareText == "46.8%")
            let district = f.districtActions
            // "46.8%以上": the exact share is at least 46.8%, not only rounded to it.
            #expect(district > 0 && 3_012 * 1_000 >= 468 * district, "district total \(district)")
            #expect(f.sharePercent >= 46.8)
            #expect(f.enterprisesClosed == 77)
            #expect(f.enterprisesWithDemolitions == 593)
            let squareMetres = f.squareMetresDemolished
            #expect(80_000 < squareMetres && squareMetres < 90_000, "\(squareMetres) m²")
            let mu = f.muFreed
            #expect(100 < mu && mu < 110, "\(mu) 亩")
            let byKind = f.actionsByKind
            #expect(byKind.values.reduce(0, +) == 3_012)
            #expect(byKind["closureOrdered"] == 77)

            // The district: its own actions, recorded and tallied, are the whole.
            let d = try await app.send(.GET, "/api/v1/enforcement?areaCode=\(BundledAreas.districtCode)", token: app.adminToken)
            let districtFigures = try d.decoded(EnforcementController.FiguresDTO.self)
            #expect(districtFigures.actions == district)
            #expect(districtFigures.shareText == "100.0%")

            // A grid worker sees the slice of actions concerning the grid's subjects, and only those subjects.
            let first = try await app.sql.select().column(SQLColumn("grid_code", table: "subjects"))
                .from("enforcement_action_subjects")
                .join("subjects", on: SQLColumn("subject_id", table: "enforcement_action_subjects"), .equal, SQLColumn("id", table: "subjects"))
                .limit(1).first()
            let grid = try #require(first).decode(column: "grid_code", as: String.self)
            let token = try await makeAccount(app, "t.enforcement.grid", role: .gridWorker, area: grid)
            let slice = try await app.send(.GET, "/api/v1/enforcement", token: token)
            #expect(slice.status == .ok, "\(slice.body.prefix(300))")
            let sliceFigures = try slice.decoded(EnforcementController.FiguresDTO.self)
            let sliceActions = sliceFigures.actions
            #expect(sliceActions > 0 && sliceActions < 3_012)
            #expect(sliceFigures.districtActions == district)
            let list = try await app.send(.GET, "/api/v1/enforcement/actions?per=200", token: token)
            let listed = try list.decoded(Page<EnforcementController.ActionDTO>.self)
            #expect(listed.total == sliceActions)
            let inGrid = Set(try await app.sql.select().column("id").from("subjects").where("grid_code", .equal, SQLBind(grid)).all()
                .map { try $0.decode(column: "id", as: UUID.self) })
            for item in listed.items {
                let ids = item.subjectIds
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
            #expect(try single.problem().field == "members")
            team["members"] = [["name": "张伟", "department": "comprehensiveEnforcement"], ["name": "李娜", "department": "fireRescue"]]
            let made = try await app.send(.POST, "/api/v1/enforcement/teams", object: team, token: app.adminToken)
            #expect(made.status == .created, "\(made.body)")
            let madeTeam = try made.decoded(EnforcementController.TeamDTO.self)
            #expect(madeTeam.departments.count == 2)
            let teamId = madeTeam.id.uuidString
            let notAdmin = try await app.send(.POST, "/api/v1/enforcement/teams", object: team, token: gridWorker)
            #expect(notAdmin.status == .forbidden)

            func action(_ kind: String, _ subjects: [String], squareMetres: Double? = nil) -> [String: Any] {
                var body: [String: Any] = ["teamId": teamId, "kind": kind, "on": "2026-11-30", "subjectIds": subjects]
                if let squareMetres { body["squareMetres"] = squareMetres }
                return body
            }
            let negative = try await app.send(.POST, "/api/v1/enforcement/actions", object: action("demolition", [a], squareMetres: -5), token: app.adminToken)
            #expect(negative.status == .unprocessableEntity)
            #expect(try negative.problem().field == "squareMetres")
            let outside = try await app.send(.POST, "/api/v1/enforcement/actions", object: action("demolition", [b], squareMetres: 120.5),
                                             token: gridWorker)
            #expect(outside.status == .unprocessableEntity)
            #expect(try outside.problem().field == "subjectIds[0]")
            #expect(!outside.body.contains("杭州恒增纺织"))
            let byViewer = try await app.send(.POST, "/api/v1/enforcement/actions", object: action("demolition", [a], squareMetres: 120.5),
                                              token: viewer)
            #expect(byViewer.status == .forbidden)

            let demolished = try await app.send(.POST, "/api/v1/enforcement/actions", object: action("demolition", [a], squareMetres: 120.5),
                                                token: gridWorker)
            #expect(demolished.status == .created, "\(demolished.body)")
            #expect(try demolished.decoded(EnforcementController.ActionDTO.self).squareMetres == 120.5)
            // A closure ordered closes the subject down.
            let closed = try await app.send(.POST, "/api/v1/enforcement/actions", object: action("closureOrdered", [b]), token: app.adminToken)
            #expect(closed.status == .created, "\(closed.body)")
            let subject = try await app.send(.GET, "/api/v1/subjects/\(b)", token: app.adminToken)
            #expect(try subject.decoded(SubjectsController.SubjectDetailDTO.self).subject.closedDownAt != nil)

            let town = try await app.send(.GET, "/api/v1/enforcement?areaCode=\(BundledAreas.gualiTownCode)", token: app.adminToken)
            let townFigures = try town.decoded(EnforcementController.FiguresDTO.self)
            #expect(townFigures.actions == 2)
            #expect(townFigures.enterprisesClosed == 1)
            #expect(townFigures.enterprisesWithDemolitions == 1)
            #expect(townFigures.squareMetresDemolished == 120.5)
            #expect(townFigures.shareText == "100.0%")
            #expect(townFigures.from == "2026-11-30")
            // The grid worker's slice: the demolition only, half the district's two actions.
            let slice = try await app.send(.GET, "/api/v1/enforcement", token: gridWorker)
            let sliceFigures = try slice.decoded(EnforcementController.FiguresDTO.self)
            #expect(sliceFigures.actions == 1)
            #expect(sliceFigures.enterprisesClosed == 0)
            #expect(sliceFigures.shareText == "50.0%")
            let list = try await app.send(.GET, "/api/v1/enforcement/actions", token: gridWorker)
            #expect(try list.decoded(Page<EnforcementController.ActionDTO>.self).total == 1)
            #expect(!list.body.lowercased().contains(b.lowercased()))
            let teams = try await app.send(.GET, "/api/v1/enforcement/teams", token: gridWorker)
            #expect(try teams.decoded([EnforcementController.TeamDTO].self).count == 1)
        }
    }
}

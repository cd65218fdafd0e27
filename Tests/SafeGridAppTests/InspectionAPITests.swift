import Foundation
import SafeGridCore
import Testing
import SQLKit
import Vapor
@testable import SafeGridApp

@Suite("Joint inspections, hazards and colours through HTTP")
struct InspectionAPITests {
    func count(_ app: Application, _ table: String) async throws -> Int {
        try await app.sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from(table)
            .first()?.decode(column: "n", as: Int.self) ?? -1
    }

    @Test func anInspectionCreatesHazardsWithDeadlinesEventsAndColour() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app)
            let subject = try await createEnterprise(app, microGrid: mg)
            // Seen before the inspection: the cached figures must not outlive the write.
            let before = try await app.send(.GET, "/api/v1/dashboard", token: app.adminToken)
            #expect(try before.decoded(DashboardFigures.self).hazardsFound == 0)
            let r = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: subject), token: app.adminToken)
            #expect(r.status == .created, "\(r.body)")
            let inspection = try r.decoded(InspectionDTO.self)
            let hazards = inspection.hazards
            #expect(hazards.count == 2)
            let elec = hazards.first { $0.itemCode == "ELEC-01" }
            #expect(elec?.severity == "serious")
            #expect(elec?.dueAt == "2026-12-15T23:59:59+08:00")   // 15 days, Asia/Shanghai calendar
            #expect(elec?.state == "open")
            let evac = hazards.first { $0.itemCode == "EVAC-01" }
            #expect(evac?.severity == "extremelySevere")
            #expect(inspection.subjectColour?.key == "extremelySevere.notRectified")
            #expect(try await count(app, "hazards") == 2)
            #expect(try await count(app, "hazard_events") == 2)
            #expect(try await count(app, "inspection_results") == 3)
            #expect(try await count(app, "inspection_team_members") == 2)
            #expect(try await count(app, "subject_colour_history") == 1)

            let dash = try await app.send(.GET, "/api/v1/dashboard", token: app.adminToken)
            let enterprise = try dash.decoded(DashboardFigures.self).byKind["enterprise"]
            #expect(enterprise?.subjectsInspected == 1)
            #expect(enterprise?.hazardsFound == 2)
            #expect(enterprise?.hazardsRectified == 0)
        }
    }

    @Test func theSameSubmissionTwiceCreatesItOnceAndAnswersTheSame() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app)
            let subject = try await createEnterprise(app, microGrid: mg)
            let body = inspectionBody(subject: subject, clientId: "phone-7f3a-0001")
            let first = try await app.send(.POST, "/api/v1/inspections", object: body, token: app.adminToken)
            let second = try await app.send(.POST, "/api/v1/inspections", object: body, token: app.adminToken)
            #expect(first.status == .created)
            #expect(second.status == .created)
            #expect(second.body == first.body)
            #expect(second.headers.first(name: "Idempotent-Replayed") == "true")
            #expect(try await count(app, "inspections") == 1)
            #expect(try await count(app, "hazards") == 2)
            // The same id with a different body is a conflict, and writes nothing.
            var other = body
            other["inspector"] = "张敏"
            let clash = try await app.send(.POST, "/api/v1/inspections", object: other, token: app.adminToken)
            #expect(clash.status == .conflict)
            #expect(try clash.problem().field == "clientId")
            #expect(try await count(app, "hazards") == 2)
        }
    }

    @Test func badInspectionsGetA4xxNamingTheFieldAndChangeNothing() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app)
            let subject = try await createEnterprise(app, microGrid: mg)
            let hazard: [String: Any] = ["itemCode": "ELEC-01", "outcome": "hazard"]
            let cases: [([String: Any], HTTPStatus, String)] = [
                (inspectionBody(subject: UUID().uuidString), .unprocessableEntity, "subjectId"),
                (inspectionBody(subject: "not-a-uuid"), .unprocessableEntity, "subjectId"),
                (inspectionBody(subject: subject, results: [["itemCode": "NOPE-99", "outcome": "hazard"]]), .unprocessableEntity, "results[0].itemCode"),
                (inspectionBody(subject: subject, results: [["itemCode": "MGMT-06", "outcome": "hazard"]]), .unprocessableEntity, "results[0].itemCode"),
                (inspectionBody(subject: subject, results: [hazard.merging(["dueOn": "2026-11-29"]) { $1 }]), .unprocessableEntity, "results[0].dueOn"),
                (inspectionBody(subject: subject, at: "2026-11-30T09:30:00"), .unprocessableEntity, "inspectedAt"),
                (inspectionBody(subject: subject, at: "30/11/2026 9:30"), .unprocessableEntity, "inspectedAt"),
                (inspectionBody(subject: subject, at: "2026-12-30T09:30:00+08:00"), .unprocessableEntity, "inspectedAt"),
                (inspectionBody(subject: subject, team: []), .unprocessableEntity, "team"),
                (inspectionBody(subject: subject, team: [["name": "李伟", "department": "police"]]), .unprocessableEntity, "team[0].department"),
                (inspectionBody(subject: subject, results: [["itemCode": "ELEC-01", "outcome": "maybe"]]), .unprocessableEntity, "results[0].outcome"),
                (inspectionBody(subject: subject, results: []), .unprocessableEntity, "results"),
            ]
            for (body, status, field) in cases {
                let r = try await app.send(.POST, "/api/v1/inspections", object: body, token: app.adminToken)
                #expect(r.status == status, "\(field): \(r.body)")
                #expect(try r.problem().field == field, "\(r.body)")
                #expect(r.headers.first(name: .contentType)?.hasPrefix("application/problem+json") == true)
            }
            var missing = inspectionBody(subject: subject)
            missing.removeValue(forKey: "inspector")
            let noInspector = try await app.send(.POST, "/api/v1/inspections", object: missing, token: app.adminToken)
            #expect(noInspector.status == .unprocessableEntity)
            #expect(try noInspector.problem().field == "inspector")

            let notJSON = try await app.send(.POST, "/api/v1/inspections", json: "{\"clientId\": ", token: app.adminToken)
            #expect(notJSON.status == .badRequest, "\(notJSON.body)")
            let text = try await app.send(.POST, "/api/v1/inspections", json: "hello", contentType: "text/plain", token: app.adminToken)
            #expect(text.status.code >= 400 && text.status.code < 500, "\(text.body)")
            #expect(try await count(app, "inspections") == 0)
            #expect(try await count(app, "hazards") == 0)
            #expect(try await count(app, "hazard_events") == 0)
        }
    }

    @Test func aRepeatedFindingLinksToTheOpenHazardInsteadOfDuplicating() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app)
            let subject = try await createEnterprise(app, microGrid: mg)
            let first = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: subject), token: app.adminToken)
            let elec = try first.decoded(InspectionDTO.self).hazards.first { $0.itemCode == "ELEC-01" }?.id
            let second = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(
                subject: subject, at: "2026-11-30T09:50:00+08:00",
                results: [["itemCode": "ELEC-01", "outcome": "hazard"],
                          ["itemCode": "EVAC-01", "outcome": "hazard", "rectifiedOnSite": true],
                          ["itemCode": "FIRE-03", "outcome": "hazard"]]), token: app.adminToken)
            #expect(second.status == .created, "\(second.body)")
            let repeated = try second.decoded(InspectionDTO.self)
            #expect(repeated.hazards.map(\.itemCode) == ["FIRE-03"])
            let linked = repeated.results.first { $0.itemCode == "ELEC-01" }
            #expect(linked?.linked == true)
            #expect(linked?.hazardId == elec)
            #expect(try await count(app, "hazards") == 3)
            // The open EVAC-01 hazard was fixed on the spot at the second visit.
            let evac = try await app.send(.GET, "/api/v1/hazards?itemCode=EVAC-01", token: app.adminToken)
            #expect(try evac.decoded(Page<HazardDTO>.self).items.first?.state == "rectified")
            let stored = try await app.send(.GET, "/api/v1/inspections/\(repeated.id.uuidString)", token: app.adminToken)
            let storedLinked = try stored.decoded(InspectionDTO.self).results.first { $0.itemCode == "ELEC-01" }
            #expect(storedLinked?.hazardId == elec)
        }
    }

    @Test func aClosedDownSubjectCannotBeInspected() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app)
            let subject = try await createEnterprise(app, microGrid: mg)
            #expect(try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: subject), token: app.adminToken).status == .created)
            let closed = try await app.send(.POST, "/api/v1/subjects/\(subject)/close-down",
                                            object: ["actor": "综合执法组", "reason": "违法生产，责令关停"], token: app.adminToken)
            #expect(closed.status == .ok, "\(closed.body)")
            let closedDown = try closed.decoded(SubjectsController.SubjectDetailDTO.self)
            #expect(closedDown.subject.colour?.key == "closedDown")
            let states = closedDown.hazards.map(\.state)
            #expect(states == ["closedDown", "closedDown"])
            let again = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: subject), token: app.adminToken)
            #expect(again.status == .conflict)
            #expect(try again.problem().field == "subjectId")
            #expect(try await count(app, "inspections") == 1)
        }
    }

    @Test func hazardTransitionsFollowTheStateMachineAndMoveTheColour() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app)
            let subject = try await createEnterprise(app, microGrid: mg)
            let body = inspectionBody(subject: subject, results: [["itemCode": "ELEC-01", "outcome": "hazard"]])
            let created = try await app.send(.POST, "/api/v1/inspections", object: body, token: app.adminToken)
            let id = try created.decoded(InspectionDTO.self).hazards.first?.id.uuidString ?? ""

            let start = try await app.send(.POST, "/api/v1/hazards/\(id)/actions",
                                           object: ["action": "startRectification", "actor": "王建国", "version": 1], token: app.adminToken)
            #expect(start.status == .ok, "\(start.body)")
            let started = try start.decoded(HazardDTO.self)
            #expect(started.state == "rectifying")
            #expect(started.version == 2)
            let colour1 = try await app.send(.GET, "/api/v1/subjects/\(subject)", token: app.adminToken)
            #expect(try colour1.decoded(SubjectsController.SubjectDetailDTO.self).subject.colour?.key == "serious.inProgress")

            // A stale version is a conflict with the current state.
            let stale = try await app.send(.POST, "/api/v1/hazards/\(id)/actions",
                                           object: ["action": "verifyRectified", "actor": "李伟", "version": 1], token: app.adminToken)
            #expect(stale.status == .conflict)
            let staleProblem = try stale.problem()
            #expect(staleProblem.field == "version")
            #expect(staleProblem.extra["currentState"] == "rectifying")

            let verify = try await app.send(.POST, "/api/v1/hazards/\(id)/actions",
                                            object: ["action": "verifyRectified", "actor": "李伟", "reason": "复查整改到位"],
                                            headers: ["If-Match": "\"2\""], token: app.adminToken)
            #expect(verify.status == .ok, "\(verify.body)")
            let verified = try verify.decoded(HazardDTO.self)
            #expect(verified.state == "rectified")
            #expect(verify.headers.first(name: .eTag) == "\"3\"")
            let events = verified.events ?? []
            #expect(events.map(\.kind) == ["found", "startRectification", "verifyRectified"])
            // The name given, and the account that recorded it.
            #expect(events.last?.actor == "李伟（test.admin）")

            // Forbidden: verifying a rectified hazard.
            let again = try await app.send(.POST, "/api/v1/hazards/\(id)/actions", object: ["action": "verifyRectified", "actor": "李伟"], token: app.adminToken)
            #expect(again.status == .conflict)
            #expect(try again.problem().extra["currentState"] == "rectified")

            let detail = try await app.send(.GET, "/api/v1/subjects/\(subject)", token: app.adminToken)
            let detailDTO = try detail.decoded(SubjectsController.SubjectDetailDTO.self)
            #expect(detailDTO.subject.colour?.key == "rectified")
            #expect(detailDTO.colourHistory.count == 3)

            // Rebound needs a reason, then moves the colour to rebound.
            let noReason = try await app.send(.POST, "/api/v1/hazards/\(id)/actions", object: ["action": "reportRebound", "actor": "李伟"], token: app.adminToken)
            #expect(noReason.status == .unprocessableEntity)
            #expect(try noReason.problem().field == "reason")
            let rebound = try await app.send(.POST, "/api/v1/hazards/\(id)/actions",
                                             object: ["action": "reportRebound", "actor": "李伟", "reason": "电线又被明敷", "dueOn": "2026-12-07"], token: app.adminToken)
            #expect(rebound.status == .ok)
            #expect(try rebound.decoded(HazardDTO.self).dueAt == "2026-12-07T23:59:59+08:00")
            let after = try await app.send(.GET, "/api/v1/subjects/\(subject)", token: app.adminToken)
            #expect(try after.decoded(SubjectsController.SubjectDetailDTO.self).subject.colour?.key == "serious.rebound")

            let unknown = try await app.send(.POST, "/api/v1/hazards/\(UUID().uuidString)/actions", object: ["action": "verifyRectified", "actor": "x"], token: app.adminToken)
            #expect(unknown.status == .notFound)
            let badAction = try await app.send(.POST, "/api/v1/hazards/\(id)/actions", object: ["action": "fly", "actor": "x"], token: app.adminToken)
            #expect(badAction.status == .unprocessableEntity)
            #expect(try badAction.problem().field == "action")
        }
    }

    @Test func hazardListFiltersAndPaginates() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app)
            let subject = try await createEnterprise(app, microGrid: mg)
            _ = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: subject), token: app.adminToken)
            let all = try await app.send(.GET, "/api/v1/hazards?areaCode=330109113201&per=1", token: app.adminToken)
            let allPage = try all.decoded(Page<HazardDTO>.self)
            #expect(allPage.total == 2)
            #expect(allPage.items.count == 1)
            let severe = try await app.send(.GET, "/api/v1/hazards?severity=extremelySevere", token: app.adminToken)
            #expect(try severe.decoded(Page<HazardDTO>.self).total == 1)
            let none = try await app.send(.GET, "/api/v1/hazards?areaCode=330109113001", token: app.adminToken)
            #expect(try none.decoded(Page<HazardDTO>.self).total == 0)
            let later = try await withSafeGridOverdue(app)
            #expect(later == 0)
            let bad = try await app.send(.GET, "/api/v1/hazards?state=lost", token: app.adminToken)
            #expect(bad.status == .unprocessableEntity)
            #expect(try bad.problem().field == "state")
            #expect(try await app.send(.GET, "/api/v1/hazards?per=1000", token: app.adminToken).status == .unprocessableEntity)
        }
    }

    func withSafeGridOverdue(_ app: Application) async throws -> Int {
        try await app.send(.GET, "/api/v1/hazards?overdue=true", token: app.adminToken).decoded(Page<HazardDTO>.self).total
    }

    @Test func pagesRenderInChinese() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app)
            let subject = try await createEnterprise(app, microGrid: mg)
            let created = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: subject), token: app.adminToken)
            let hazard = try created.decoded(InspectionDTO.self).hazards.first?.id.uuidString ?? ""
            for path in ["/", "/dashboard", "/villages/330109113201", "/grids/33010911320101", "/subjects/\(subject)", "/hazards/\(hazard)"] {
                let r = try await app.send(.GET, path, token: app.adminToken)
                #expect(r.status == .ok, "\(path)")
                #expect(r.headers.contentType == .html, "\(path)")
                #expect(r.body.contains("<html lang=\"zh\""), "\(path)")
            }
            let page = try await app.send(.GET, "/subjects/\(subject)", token: app.adminToken)
            #expect(page.body.contains("杭州恒增纺织有限公司"))
            #expect(page.body.contains("138****0000"))
            #expect(!page.body.contains("13800000000"))
            #expect(try await app.send(.GET, "/assets/app.css", token: app.adminToken).status == .ok)
            #expect(try await app.send(.GET, "/subjects/\(UUID().uuidString)", token: app.adminToken).status == .notFound)
        }
    }
}

@Suite("Change feed for other platforms")
struct ChangeFeedTests {
    @Test func aPollerSeesEveryEventOnceInCommitOrder() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app)
            let subject = try await createEnterprise(app, microGrid: mg)
            let first = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: subject), token: app.adminToken)
            #expect(first.status == .created)
            let page1 = try await app.send(.GET, "/api/v1/changes", token: app.adminToken)
            #expect(page1.status == .ok)
            let feed1 = try page1.decoded(ChangesController.Page.self)
            let changes1 = feed1.changes
            #expect(changes1.count == 2)     // two hazards found
            #expect(changes1.allSatisfy { $0.event.kind == "found" })
            let next1 = feed1.next
            #expect(feed1.hasMore == false)

            // Nothing new: the same cursor back, no changes.
            let idle = try await app.send(.GET, "/api/v1/changes?after=\(next1)", token: app.adminToken)
            let idleFeed = try idle.decoded(ChangesController.Page.self)
            #expect(idleFeed.changes.isEmpty == true)
            #expect(idleFeed.next == next1)

            // A transition and a second inspection: only those, in order, paged by limit=1.
            let hazard = try first.decoded(InspectionDTO.self).hazards.first?.id.uuidString ?? ""
            let act = try await app.send(.POST, "/api/v1/hazards/\(hazard)/actions", object: ["action": "startRectification", "actor": "王建国"], token: app.adminToken)
            #expect(act.status == .ok)
            let other = try await createEnterprise(app, microGrid: mg, serial: "MA2AB3C9")
            #expect(try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: other), token: app.adminToken).status == .created)
            var cursor = next1
            var seen: [String] = []
            for _ in 0..<10 {
                let page = try await app.send(.GET, "/api/v1/changes?after=\(cursor)&limit=1", token: app.adminToken)
                let feed = try page.decoded(ChangesController.Page.self)
                seen += feed.changes.map(\.event.kind)
                cursor = feed.next
                if feed.hasMore != true { break }
            }
            #expect(seen == ["startRectification", "found", "found"])
            let seqs = try await app.sql.raw("SELECT seq FROM hazard_events ORDER BY seq DESC LIMIT 1").first()?.decode(column: "seq", as: Int64.self)
            #expect(cursor == seqs.map(String.init))

            for bad in ["after=-1", "after=abc", "after=1e3", "limit=0", "limit=5001", "limit=x", "townCode=12"] {
                let r = try await app.send(.GET, "/api/v1/changes?\(bad)", token: app.adminToken)
                #expect(r.status == .unprocessableEntity, "\(bad)")
                #expect(try r.problem().field == String(bad.split(separator: "=")[0]), "\(bad)")
            }
        }
    }
}

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
            #expect(before.json["hazardsFound"] as? Int == 0)
            let r = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: subject), token: app.adminToken)
            #expect(r.status == .created, "\(r.body)")
            let hazards = r.json["hazards"] as? [[String: Any]] ?? []
            #expect(hazards.count == 2)
            let elec = hazards.first { $0["itemCode"] as? String == "ELEC-01" }
            #expect(elec?["severity"] as? String == "serious")
            #expect(elec?["dueAt"] as? String == "2026-12-15T23:59:59+08:00")   // 15 days, Asia/Shanghai calendar
            #expect(elec?["state"] as? String == "open")
            let evac = hazards.first { $0["itemCode"] as? String == "EVAC-01" }
            #expect(evac?["severity"] as? String == "extremelySevere")
            let colour = r.json["subjectColour"] as? [String: Any]
            #expect(colour?["key"] as? String == "extremelySevere.notRectified")
            #expect(try await count(app, "hazards") == 2)
            #expect(try await count(app, "hazard_events") == 2)
            #expect(try await count(app, "inspection_results") == 3)
            #expect(try await count(app, "inspection_team_members") == 2)
            #expect(try await count(app, "subject_colour_history") == 1)

            let dash = try await app.send(.GET, "/api/v1/dashboard", token: app.adminToken)
            let enterprise = (dash.json["byKind"] as? [String: Any])?["enterprise"] as? [String: Any]
            #expect(enterprise?["subjectsInspected"] as? Int == 1)
            #expect(enterprise?["hazardsFound"] as? Int == 2)
            #expect(enterprise?["hazardsRectified"] as? Int == 0)
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
            #expect(clash.json["field"] as? String == "clientId")
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
                #expect(r.json["field"] as? String == field, "\(r.body)")
                #expect(r.headers.first(name: .contentType)?.hasPrefix("application/problem+json") == true)
            }
            var missing = inspectionBody(subject: subject)
            missing.removeValue(forKey: "inspector")
            let noInspector = try await app.send(.POST, "/api/v1/inspections", object: missing, token: app.adminToken)
            #expect(noInspector.status == .unprocessableEntity)
            #expect(noInspector.json["field"] as? String == "inspector")

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
            let elec = (first.json["hazards"] as? [[String: Any]])?.first { $0["itemCode"] as? String == "ELEC-01" }?["id"] as? String
            let second = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(
                subject: subject, at: "2026-11-30T09:50:00+08:00",
                results: [["itemCode": "ELEC-01", "outcome": "hazard"],
                          ["itemCode": "EVAC-01", "outcome": "hazard", "rectifiedOnSite": true],
                          ["itemCode": "FIRE-03", "outcome": "hazard"]]), token: app.adminToken)
            #expect(second.status == .created, "\(second.body)")
            #expect((second.json["hazards"] as? [[String: Any]])?.map { $0["itemCode"] as? String } == ["FIRE-03"])
            let results = second.json["results"] as? [[String: Any]] ?? []
            let linked = results.first { $0["itemCode"] as? String == "ELEC-01" }
            #expect(linked?["linked"] as? Bool == true)
            #expect((linked?["hazardId"] as? String)?.lowercased() == elec?.lowercased())
            #expect(try await count(app, "hazards") == 3)
            // The open EVAC-01 hazard was fixed on the spot at the second visit.
            let evac = try await app.send(.GET, "/api/v1/hazards?itemCode=EVAC-01", token: app.adminToken)
            #expect(((evac.json["items"] as? [[String: Any]])?.first)?["state"] as? String == "rectified")
            let stored = try await app.send(.GET, "/api/v1/inspections/\(second.json["id"] as? String ?? "")", token: app.adminToken)
            let storedLinked = (stored.json["results"] as? [[String: Any]])?.first { $0["itemCode"] as? String == "ELEC-01" }
            #expect((storedLinked?["hazardId"] as? String)?.lowercased() == elec?.lowercased())
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
            let s = closed.json["subject"] as? [String: Any]
            #expect((s?["colour"] as? [String: Any])?["key"] as? String == "closedDown")
            let states = (closed.json["hazards"] as? [[String: Any]] ?? []).map { $0["state"] as? String }
            #expect(states == ["closedDown", "closedDown"])
            let again = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: subject), token: app.adminToken)
            #expect(again.status == .conflict)
            #expect(again.json["field"] as? String == "subjectId")
            #expect(try await count(app, "inspections") == 1)
        }
    }

    @Test func hazardTransitionsFollowTheStateMachineAndMoveTheColour() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app)
            let subject = try await createEnterprise(app, microGrid: mg)
            let body = inspectionBody(subject: subject, results: [["itemCode": "ELEC-01", "outcome": "hazard"]])
            let created = try await app.send(.POST, "/api/v1/inspections", object: body, token: app.adminToken)
            let id = (created.json["hazards"] as? [[String: Any]])?.first?["id"] as? String ?? ""

            let start = try await app.send(.POST, "/api/v1/hazards/\(id)/actions",
                                           object: ["action": "startRectification", "actor": "王建国", "version": 1], token: app.adminToken)
            #expect(start.status == .ok, "\(start.body)")
            #expect(start.json["state"] as? String == "rectifying")
            #expect(start.json["version"] as? Int == 2)
            let colour1 = try await app.send(.GET, "/api/v1/subjects/\(subject)", token: app.adminToken)
            #expect(((colour1.json["subject"] as? [String: Any])?["colour"] as? [String: Any])?["key"] as? String == "serious.inProgress")

            // A stale version is a conflict with the current state.
            let stale = try await app.send(.POST, "/api/v1/hazards/\(id)/actions",
                                           object: ["action": "verifyRectified", "actor": "李伟", "version": 1], token: app.adminToken)
            #expect(stale.status == .conflict)
            #expect(stale.json["field"] as? String == "version")
            #expect(stale.json["currentState"] as? String == "rectifying")

            let verify = try await app.send(.POST, "/api/v1/hazards/\(id)/actions",
                                            object: ["action": "verifyRectified", "actor": "李伟", "reason": "复查整改到位"],
                                            headers: ["If-Match": "\"2\""], token: app.adminToken)
            #expect(verify.status == .ok, "\(verify.body)")
            #expect(verify.json["state"] as? String == "rectified")
            #expect(verify.headers.first(name: .eTag) == "\"3\"")
            let events = verify.json["events"] as? [[String: Any]] ?? []
            #expect(events.map { $0["kind"] as? String } == ["found", "startRectification", "verifyRectified"])
            // The name given, and the account that recorded it.
            #expect(events.last?["actor"] as? String == "李伟（test.admin）")

            // Forbidden: verifying a rectified hazard.
            let again = try await app.send(.POST, "/api/v1/hazards/\(id)/actions", object: ["action": "verifyRectified", "actor": "李伟"], token: app.adminToken)
            #expect(again.status == .conflict)
            #expect(again.json["currentState"] as? String == "rectified")

            let detail = try await app.send(.GET, "/api/v1/subjects/\(subject)", token: app.adminToken)
            #expect(((detail.json["subject"] as? [String: Any])?["colour"] as? [String: Any])?["key"] as? String == "rectified")
            #expect((detail.json["colourHistory"] as? [[String: Any]])?.count == 3)

            // Rebound needs a reason, then moves the colour to rebound.
            let noReason = try await app.send(.POST, "/api/v1/hazards/\(id)/actions", object: ["action": "reportRebound", "actor": "李伟"], token: app.adminToken)
            #expect(noReason.status == .unprocessableEntity)
            #expect(noReason.json["field"] as? String == "reason")
            let rebound = try await app.send(.POST, "/api/v1/hazards/\(id)/actions",
                                             object: ["action": "reportRebound", "actor": "李伟", "reason": "电线又被明敷", "dueOn": "2026-12-07"], token: app.adminToken)
            #expect(rebound.status == .ok)
            #expect(rebound.json["dueAt"] as? String == "2026-12-07T23:59:59+08:00")
            let after = try await app.send(.GET, "/api/v1/subjects/\(subject)", token: app.adminToken)
            #expect(((after.json["subject"] as? [String: Any])?["colour"] as? [String: Any])?["key"] as? String == "serious.rebound")

            let unknown = try await app.send(.POST, "/api/v1/hazards/\(UUID().uuidString)/actions", object: ["action": "verifyRectified", "actor": "x"], token: app.adminToken)
            #expect(unknown.status == .notFound)
            let badAction = try await app.send(.POST, "/api/v1/hazards/\(id)/actions", object: ["action": "fly", "actor": "x"], token: app.adminToken)
            #expect(badAction.status == .unprocessableEntity)
            #expect(badAction.json["field"] as? String == "action")
        }
    }

    @Test func hazardListFiltersAndPaginates() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app)
            let subject = try await createEnterprise(app, microGrid: mg)
            _ = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: subject), token: app.adminToken)
            let all = try await app.send(.GET, "/api/v1/hazards?areaCode=330109113201&per=1", token: app.adminToken)
            #expect(all.json["total"] as? Int == 2)
            #expect((all.json["items"] as? [Any])?.count == 1)
            let severe = try await app.send(.GET, "/api/v1/hazards?severity=extremelySevere", token: app.adminToken)
            #expect(severe.json["total"] as? Int == 1)
            let none = try await app.send(.GET, "/api/v1/hazards?areaCode=330109113001", token: app.adminToken)
            #expect(none.json["total"] as? Int == 0)
            let later = try await withSafeGridOverdue(app)
            #expect(later == 0)
            let bad = try await app.send(.GET, "/api/v1/hazards?state=lost", token: app.adminToken)
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.json["field"] as? String == "state")
            #expect(try await app.send(.GET, "/api/v1/hazards?per=1000", token: app.adminToken).status == .unprocessableEntity)
        }
    }

    func withSafeGridOverdue(_ app: Application) async throws -> Int {
        try await app.send(.GET, "/api/v1/hazards?overdue=true", token: app.adminToken).json["total"] as? Int ?? -1
    }

    @Test func pagesRenderInChinese() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app)
            let subject = try await createEnterprise(app, microGrid: mg)
            let created = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: subject), token: app.adminToken)
            let hazard = (created.json["hazards"] as? [[String: Any]])?.first?["id"] as? String ?? ""
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
            let changes1 = page1.json["changes"] as? [[String: Any]] ?? []
            #expect(changes1.count == 2)     // two hazards found
            #expect(changes1.allSatisfy { ($0["event"] as? [String: Any])?["kind"] as? String == "found" })
            let next1 = page1.json["next"] as? String ?? ""
            #expect(page1.json["hasMore"] as? Bool == false)

            // Nothing new: the same cursor back, no changes.
            let idle = try await app.send(.GET, "/api/v1/changes?after=\(next1)", token: app.adminToken)
            #expect((idle.json["changes"] as? [Any])?.isEmpty == true)
            #expect(idle.json["next"] as? String == next1)

            // A transition and a second inspection: only those, in order, paged by limit=1.
            let hazard = (first.json["hazards"] as? [[String: Any]])?.first?["id"] as? String ?? ""
            let act = try await app.send(.POST, "/api/v1/hazards/\(hazard)/actions", object: ["action": "startRectification", "actor": "王建国"], token: app.adminToken)
            #expect(act.status == .ok)
            let other = try await createEnterprise(app, microGrid: mg, serial: "MA2AB3C9")
            #expect(try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: other), token: app.adminToken).status == .created)
            var cursor = next1
            var seen: [String] = []
            for _ in 0..<10 {
                let page = try await app.send(.GET, "/api/v1/changes?after=\(cursor)&limit=1", token: app.adminToken)
                let changes = page.json["changes"] as? [[String: Any]] ?? []
                seen += changes.compactMap { ($0["event"] as? [String: Any])?["kind"] as? String }
                cursor = page.json["next"] as? String ?? cursor
                if page.json["hasMore"] as? Bool != true { break }
            }
            #expect(seen == ["startRectification", "found", "found"])
            let seqs = try await app.sql.raw("SELECT seq FROM hazard_events ORDER BY seq DESC LIMIT 1").first()?.decode(column: "seq", as: Int64.self)
            #expect(cursor == seqs.map(String.init))

            for bad in ["after=-1", "after=abc", "after=1e3", "limit=0", "limit=5001", "limit=x", "townCode=12"] {
                let r = try await app.send(.GET, "/api/v1/changes?\(bad)", token: app.adminToken)
                #expect(r.status == .unprocessableEntity, "\(bad)")
                #expect(r.json["field"] as? String == String(bad.split(separator: "=")[0]), "\(bad)")
            }
        }
    }
}

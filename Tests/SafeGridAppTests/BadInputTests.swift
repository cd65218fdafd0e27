import Foundation
import SQLKit
import SafeGridCore
import Testing
import Vapor
@testable import SafeGridApp

/// Inputs a newcomer used to break the first version: each must get a clear 4xx (or a safe
/// page) and change nothing.
@Suite("Hostile and odd inputs")
struct BadInputTests {
    func hazardCount(_ app: Application) async throws -> Int {
        try await app.send(.GET, "/api/v1/hazards?per=1", token: app.adminToken).decoded(Page<HazardDTO>.self).total
    }

    @Test func markupInANameIsEscapedOnEveryPage() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app)
            var body = enterpriseBody(microGrid: mg, credit: creditCode("MA2AB3CD"))
            body["name"] = "XSS\"><img src=x onerror=\"alert(1)\">"
            let r = try await app.send(.POST, "/api/v1/subjects", object: body, token: app.adminToken)
            #expect(r.status == .created)
            let id = try r.decoded(SubjectDTO.self).id.uuidString
            let page = try await app.send(.GET, "/subjects/\(id)", token: app.adminToken)
            #expect(page.status == .ok)
            #expect(!page.body.contains("<img src=x"))
            #expect(page.body.contains("&lt;img src=x"))
        }
    }

    @Test func hugePageNumbersAndNonNumbersAreRefusedNotCrashing() async throws {
        try await withSafeGrid { app in
            for query in ["page=9223372036854775807&per=2", "page=184467440737095517&per=100", "page=abc", "per=1.5", "page=0"] {
                for path in ["/api/v1/hazards", "/api/v1/subjects"] {
                    let r = try await app.send(.GET, "\(path)?\(query)", token: app.adminToken)
                    #expect(r.status == .unprocessableEntity, "\(path)?\(query): \(r.body)")
                    #expect(try ["page", "per"].contains(r.problem().field ?? ""))
                }
            }
            #expect(try await app.send(.GET, "/api/v1/hazards?page=100000", token: app.adminToken).status == .ok)
        }
    }

    @Test func controlCharactersAndOverlongTextAreRefused() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app)
            var body = enterpriseBody(microGrid: mg, credit: creditCode("MA2AB3CD"))
            body["name"] = "前\u{0}后缀"
            let nul = try await app.send(.POST, "/api/v1/subjects", object: body, token: app.adminToken)
            #expect(nul.status == .unprocessableEntity)
            #expect(try nul.problem().field == "name")
            body["name"] = "正常名称"
            body["address"] = String(repeating: "路", count: 301)
            let long = try await app.send(.POST, "/api/v1/subjects", object: body, token: app.adminToken)
            #expect(try long.problem().field == "address")

            let subject = try await createEnterprise(app, microGrid: mg, serial: "MA2AB3CE")
            let cases: [([String: Any], String)] = [
                (inspectionBody(subject: subject, results: [["itemCode": "ELEC-01", "outcome": "hazard", "note": "电线\u{0}隐藏"]]), "results[0].note"),
                (inspectionBody(subject: subject, results: [["itemCode": "ELEC-01", "outcome": "hazard", "note": String(repeating: "长", count: 2001)]]), "results[0].note"),
                (inspectionBody(subject: subject, results: [["itemCode": "ELEC-01", "outcome": "hazard", "photos": Array(repeating: "p.jpg", count: 21)]]), "results[0].photos"),
                (inspectionBody(subject: subject, team: Array(repeating: ["name": "李伟", "department": "fireRescue"], count: 31)), "team"),
                (inspectionBody(subject: subject, at: "0001-01-01T00:00:00Z"), "inspectedAt"),
                (inspectionBody(subject: subject, results: [["itemCode": "ELEC-01", "outcome": "hazard", "dueOn": "9999-12-31"]]), "results[0].dueOn"),
                (inspectionBody(subject: subject, results: [["itemCode": "ELEC-01", "outcome": "hazard", "mode": "onSpot", "dueOn": "2027-05-01"]]), "results[0].mode"),
                (inspectionBody(subject: subject, results: [["itemCode": "ELEC-01", "outcome": "hazard", "rectifiedOnSite": true, "dueOn": "2026-12-20"]]), "results[0].dueOn"),
            ]
            for (b, field) in cases {
                let r = try await app.send(.POST, "/api/v1/inspections", object: b, token: app.adminToken)
                #expect(r.status == .unprocessableEntity, "\(field): \(r.body)")
                #expect(try r.problem().field == field, "\(r.body)")
            }
            #expect(try await hazardCount(app) == 0)
        }
    }

    @Test func bodiesOfTheWrongShapeOrTypeGetTheRightStatus() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app)
            let empty = try await app.send(.POST, "/api/v1/subjects", json: "", token: app.adminToken)
            #expect(empty.status == .badRequest, "\(empty.body)")
            for json in ["[]", "null", "\"x\""] {
                let r = try await app.send(.POST, "/api/v1/subjects", json: json, token: app.adminToken)
                #expect(r.status == .unprocessableEntity, "\(json): \(r.body)")
                #expect(try r.problem().detail == "the body must be a JSON object")
            }
            let text = try await app.send(.POST, "/api/v1/subjects", json: "kind=enterprise", contentType: "text/plain", token: app.adminToken)
            #expect(text.status == .unsupportedMediaType)
            let form = try await app.send(.POST, "/api/v1/subjects", json: "kind=enterprise", contentType: "application/x-www-form-urlencoded", token: app.adminToken)
            #expect(form.status == .unsupportedMediaType)
            var rental = enterpriseBody(microGrid: mg, credit: creditCode("MA2AB3CD"))
            rental["kind"] = "rentalHousing"
            rental["aboveScale"] = false
            for rooms: Any in [2.5, 1e30, 0] {
                rental["rooms"] = rooms
                let r = try await app.send(.POST, "/api/v1/subjects", object: rental, token: app.adminToken)
                #expect(r.status == .unprocessableEntity, "\(rooms): \(r.body)")
                #expect(try r.problem().field == "rooms")
            }
            rental["rooms"] = 4.0
            #expect(try await app.send(.POST, "/api/v1/subjects", object: rental, token: app.adminToken).status == .created)
        }
    }

    @Test func searchTreatsWildcardsLiterally() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app)
            _ = try await createEnterprise(app, microGrid: mg)
            #expect(try await app.send(.GET, "/api/v1/subjects?q=_", token: app.adminToken).decoded(Page<SubjectDTO>.self).total == 0)
            #expect(try await app.send(.GET, "/api/v1/subjects?q=%25", token: app.adminToken).decoded(Page<SubjectDTO>.self).total == 0)
            #expect(try await app.send(.GET, "/api/v1/subjects?q=%E6%81%92%E5%A2%9E", token: app.adminToken).decoded(Page<SubjectDTO>.self).total == 1)  // 恒增
        }
    }

    @Test func unknownIdsInFiltersAndPagesAreClear() async throws {
        try await withSafeGrid { app in
            let r = try await app.send(.GET, "/api/v1/inspections?subjectId=\(UUID().uuidString)", token: app.adminToken)
            #expect(r.status == .notFound)
            #expect(try r.problem().field == "subjectId")
            #expect(try await app.send(.GET, "/api/v1/areas?level=village&parentCode=nope", token: app.adminToken).status == .notFound)
            let page = try await app.send(.GET, "/villages/999", headers: ["Accept": "text/html"], token: app.adminToken)
            #expect(page.status == .notFound)
            #expect(page.headers.contentType == .html)
            #expect(page.body.contains("找不到页面"))
            // A town code is not a village.
            #expect(try await app.send(.GET, "/villages/330109001", headers: ["Accept": "text/html"], token: app.adminToken).status == .notFound)
        }
    }

    @Test func actionsAndClosuresCannotBeBackdatedOrForwardDated() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app)
            let subject = try await createEnterprise(app, microGrid: mg)
            let created = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: subject), token: app.adminToken)
            let id = try created.decoded(InspectionDTO.self).hazards.first?.id.uuidString ?? ""
            let start = try await app.send(.POST, "/api/v1/hazards/\(id)/actions", object: [
                "action": "startRectification", "actor": "王建国", "occurredAt": "2026-11-30T09:50:00+08:00"], token: app.adminToken)
            #expect(start.status == .ok)
            let back = try await app.send(.POST, "/api/v1/hazards/\(id)/actions", object: [
                "action": "verifyRectified", "actor": "李伟", "occurredAt": "2026-11-30T09:40:00+08:00"], token: app.adminToken)
            #expect(back.status == .unprocessableEntity)
            #expect(try back.problem().field == "occurredAt")
            let future = try await app.send(.POST, "/api/v1/subjects/\(subject)/close-down", object: [
                "actor": "镇长", "reason": "x", "occurredAt": "2099-12-31T00:00:00+08:00"], token: app.adminToken)
            #expect(try future.problem().field == "occurredAt")
            let early = try await app.send(.POST, "/api/v1/subjects/\(subject)/close-down", object: [
                "actor": "镇长", "reason": "x", "occurredAt": "2026-11-30T09:00:00+08:00"], token: app.adminToken)
            #expect(try early.problem().field == "occurredAt")
            let blank = try await app.send(.POST, "/api/v1/subjects/\(subject)/close-down", object: ["actor": " ", "reason": "x"], token: app.adminToken)
            #expect(try blank.problem().field == "actor")
            let detail = try await app.send(.GET, "/api/v1/subjects/\(subject)", token: app.adminToken)
            #expect(try detail.decoded(SubjectsController.SubjectDetailDTO.self).subject.closedDownAt == nil)
        }
    }
}

import Foundation
import SafeGridCore
import SQLKit
import Testing
import Vapor
import VaporTesting
@testable import SafeGridApp

/// Residents' reports through the API: a resident proves their mobile and reports; the report
/// tops the micro-grid worker's list; verify → a hazard on the normal loop and an SMS with the
/// deadline; rectified → an SMS; dismiss → an SMS with the reason; Open311 and the change feed
/// follow; limits, privacy and photos.
@Suite("Residents' reports (沥家园)")
struct ResidentReportAPITests {
    /// An enterprise at 30.18 N 120.46 E (GCJ-02) in a new micro-grid of 瓜沥's first village,
    /// its grid worker's account, and the grid's and village's contacts.
    struct Place {
        let subject: String
        let microGrid: String
        let worker: String
        /// The enterprise's position in WGS-84, as a phone gives it.
        let latitude: Double
        let longitude: Double
    }

    func place(_ app: Application) async throws -> Place {
        let mg = try await addMicroGrid(app)
        let subject = try await createEnterprise(app, microGrid: mg)
        let worker = try await makeAccount(app, "wg.report", role: .gridWorker, area: String(mg.prefix(14)))
        try await app.campaignWrite(scope: .everything, recordedAt: testNow) { tx in
            try await tx.insert(gridWorkers: [(String(mg.prefix(14)), "王网格", try PhoneNumber("13700000014")),
                                              (String(mg.prefix(12)), "李村干部", try PhoneNumber("13700000012"))])
        }
        let p = try GeoPoint(latitude: 30.18, longitude: 120.46, datum: .gcj02).converted(to: .wgs84)
        return Place(subject: subject, microGrid: mg, worker: worker, latitude: p.latitude, longitude: p.longitude)
    }

    /// Asks for a code for `phone` and reads it from the outbox, as the resident reads their SMS.
    func code(_ app: Application, _ phone: String) async throws -> String {
        let r = try await app.send(.POST, "/api/v1/resident/codes", object: ["phone": phone], token: "")
        #expect(r.status == .accepted, "\(r.body)")
        let stored = try PhoneNumber(phone).stored
        let sent = try #require(try await app.sql.select().column("message_id").from("message_recipients").where("phone", .equal, SQLBind(stored))
            .first()?.decode(column: "message_id", as: UUID.self))
        let body = try #require(try await app.sql.select().column("body").from("messages").where("id", .equal, SQLBind(sent))
            .where("kind", .equal, SQLBind("residentCode")).first()?.decode(column: "body", as: String.self))
        let digits = body.split(separator: "为").last.map { String($0.prefix(6)) } ?? ""
        #expect(ResidentCodeRules.isWellFormed(digits), "\(body)")
        return digits
    }

    func messages(_ app: Application, kind: String) async throws -> [(body: String, phones: [String])] {
        var out: [(String, [String])] = []
        for row in try await app.sql.select().columns("id", "body").from("messages").where("kind", .equal, SQLBind(kind)).orderBy("created_at").all() {
            let id = try row.decode(column: "id", as: UUID.self)
            let phones = try await app.sql.select().column("phone").from("message_recipients").where("message_id", .equal, SQLBind(id)).all()
                .map { try $0.decode(column: "phone", as: String.self) }
            out.append((try row.decode(column: "body", as: String.self), phones.sorted()))
        }
        return out
    }

    func report(_ app: Application, _ p: Place, phone: String?, description: String = "门口消防通道被电动车堵死", extra: [String: Any] = [:]) async throws -> ResidentController.Receipt {
        var body: [String: Any] = ["serviceCode": "LANE-01", "description": description, "latitude": p.latitude, "longitude": p.longitude]
        if let phone { body["phone"] = phone; body["code"] = try await code(app, phone) } else { body["anonymous"] = true }
        body.merge(extra) { _, new in new }
        let r = try await app.send(.POST, "/api/v1/resident/reports", object: body, token: "")
        #expect(r.status == .created, "\(r.body)")
        return try r.decoded(ResidentController.Receipt.self)
    }

    /// The field a problem answer names.
    func field(_ r: Reply) -> String? { try? r.problem().field }

    func open311(_ app: Application, _ id: UUID) async throws -> [String: Any] {
        let r = try await app.send(.GET, "/open311/v2/requests/\(id.uuidString.lowercased()).json", token: "")
        #expect(r.status == .ok, "\(r.body)")
        let list = try JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [[String: Any]]
        return try #require(list?.first)
    }

    @Test func reportVerifyRectifyEachAnsweredBySMSAndOpen311() async throws {
        try await withSafeGrid { app in
            let p = try await place(app)
            let receipt = try await report(app, p, phone: "138 1234 5678", description: "<script>alert(1)</script>通道被堵")
            #expect(receipt.state == "received" && receipt.trackPath == "/report/#t=\(receipt.token)")

            // The grid worker's list: the report, routed to the enterprise's micro-grid and matched to it.
            let list = try await app.send(.GET, "/api/v1/reports", token: p.worker)
            let reports = try list.decoded([ReportsController.ReportDTO].self)
            let mine = try #require(reports.first)
            #expect(reports.count == 1 && mine.id == receipt.id)
            #expect(mine.microGridCode == p.microGrid && mine.subjectId?.uuidString == p.subject)
            #expect(mine.description == "<script>alert(1)</script>通道被堵", "text kept as typed; pages escape it")
            #expect(mine.reporterPhone == "138 1234 5678", "the verifying worker sees the mobile in full")
            #expect(mine.ageMinutes == 0 && !mine.overdue && mine.verifyBy == "2026-12-01T10:00:00+08:00")
            // Others see it masked; Open311 never carries it.
            let admin = try await app.send(.GET, "/api/v1/reports/\(receipt.id.uuidString)", token: app.adminToken)
            #expect(try admin.decoded(ReportsController.ReportDTO.self).reporterPhone == "138****5678")
            var o = try await open311(app, receipt.id)
            #expect(o["status"] as? String == "open")
            #expect((o["status_notes"] as? String)?.hasPrefix("待核实 awaiting verification; 网格员将于 2026-12-01 10:00 前核实") == true)
            #expect(!String(describing: o).contains("5678"))

            // Verify: a one-item inspection of the subject, its hazard on the normal loop.
            let v = try await app.send(.POST, "/api/v1/reports/\(receipt.id.uuidString)/actions", object: ["action": "verify"], token: p.worker)
            #expect(v.status == .ok, "\(v.body)")
            let verified = try v.decoded(ReportsController.ReportDTO.self)
            #expect(verified.state == "verified" && verified.hazardIds.count == 1 && verified.inspectionId != nil)
            let hazard = try #require(verified.hazardIds.first)
            let h = try await app.send(.GET, "/api/v1/hazards/\(hazard.uuidString)", token: app.adminToken)
            let hazardDTO = try h.decoded(HazardDTO.self)
            #expect(hazardDTO.itemCode == "LANE-01" && hazardDTO.state == "open")
            let answers = try await messages(app, kind: "residentAnswer")
            #expect(answers.count == 1)
            #expect(answers.first?.body == "【瓜沥除险保安】您上报的隐患（消防车道被占用）已核实，已交办整改，整改期限\(hazardDTO.dueOn)。感谢您参与除险保安！")
            #expect(answers.first?.phones == ["13812345678"])
            o = try await open311(app, receipt.id)
            #expect(o["status"] as? String == "open" && (o["status_notes"] as? String)?.contains("整改期限 due \(hazardDTO.dueOn)") == true)
            // Verified once: a second verify or a dismissal is 409.
            let again = try await app.send(.POST, "/api/v1/reports/\(receipt.id.uuidString)/actions",
                                           object: ["action": "dismiss", "reason": "notHazard", "note": "x"], token: p.worker)
            #expect(again.status == .conflict && field(again) == "action")

            // Rectified at re-inspection: the report is rectified and the resident told; Open311 closed.
            let re = try await app.send(.POST, "/api/v1/reinspections", object: [
                "subjectId": p.subject, "inspector": "李伟", "reinspectedAt": "2026-11-30T10:00:00+08:00",
                "results": [["hazardId": hazard.uuidString, "outcome": "rectified"]]], token: p.worker)
            #expect(re.status == .ok, "\(re.body)")
            let track = try await app.send(.GET, "/api/v1/resident/reports/\(receipt.token)", token: "")
            #expect(try track.decoded(ResidentController.TrackDTO.self).state == "rectified")
            #expect(try await messages(app, kind: "residentAnswer").last?.body == "【瓜沥除险保安】您上报的隐患（消防车道被占用）已整改完毕，经复查确认。感谢您参与除险保安！")
            o = try await open311(app, receipt.id)
            #expect(o["status"] as? String == "closed" && (o["status_notes"] as? String)?.hasPrefix("已整改 rectified") == true)
            // The change feed: received, verified, rectified in commit order.
            let feed = try await app.send(.GET, "/api/v1/reports/changes", token: app.adminToken)
            #expect(try feed.decoded(ReportsController.ChangePage.self).changes.map(\.state) == ["received", "verified", "rectified"])
            // The dashboard's figures.
            let summary = try await app.send(.GET, "/api/v1/reports/summary?areaCode=\(BundledAreas.gualiTownCode)", token: app.adminToken)
            let s = try summary.decoded(ReportsController.SummaryDTO.self)
            #expect(s.received == 1 && s.verified == 1 && s.rectified == 1 && s.open == 0 && s.medianVerifyMinutes == 0)
            #expect(s.children.first { $0.code == String(p.microGrid.prefix(12)) }?.verified == 1)
        }
    }

    @Test func aSecondReportIsOfferedAsTheSameAndADuplicateNamesItsOriginal() async throws {
        try await withSafeGrid { app in
            let p = try await place(app)
            let first = try await report(app, p, phone: "13811110001")
            let nearby = try await app.send(.GET, "/api/v1/resident/nearby?latitude=\(p.latitude)&longitude=\(p.longitude + 0.0002)&serviceCode=LANE-02", token: "")
            let offered = try nearby.decoded(ResidentController.NearbyList.self).items
            #expect(offered.map(\.id) == [first.id], "same category (fire access) within 50 m")
            #expect(offered.first.map { (15...25).contains($0.distanceMetres) } == true, "\(offered)")
            #expect(!nearby.body.contains("1381111"), "no phones in what strangers read")
            // Another category at the same place: not offered.
            let other = try await app.send(.GET, "/api/v1/resident/nearby?latitude=\(p.latitude)&longitude=\(p.longitude)&serviceCode=ELEC-01", token: "")
            #expect(try other.decoded(ResidentController.NearbyList.self).items.isEmpty)
            // Added to the first: the addition is not a task of its own; its resident hears the answers too.
            let added = try await report(app, p, phone: "13811110002", extra: ["addTo": first.id.uuidString])
            #expect(added.addedTo == first.id && added.state == "added")
            let list = try await app.send(.GET, "/api/v1/reports", token: p.worker).decoded([ReportsController.ReportDTO].self)
            #expect(list.map(\.id) == [first.id] && list.first?.additions == 1)
            #expect(list.first?.addedByOthers.map(\.description) == ["门口消防通道被电动车堵死"], "the worker reads what was added")

            // A third, anonymous, dismissed as a duplicate: it must name the original.
            let third = try await report(app, p, phone: nil)
            let path = "/api/v1/reports/\(third.id.uuidString)/actions"
            let unnamed = try await app.send(.POST, path, object: ["action": "dismiss", "reason": "duplicate", "note": "同一处"], token: p.worker)
            #expect(unnamed.status == .unprocessableEntity && field(unnamed) == "duplicateOf")
            let itself = try await app.send(.POST, path, object: ["action": "dismiss", "reason": "duplicate", "duplicateOf": third.id.uuidString,
                                                                 "note": "同一处"], token: p.worker)
            #expect(itself.status == .unprocessableEntity && field(itself) == "duplicateOf")
            let noNote = try await app.send(.POST, path, object: ["action": "dismiss", "reason": "cannotFind"], token: p.worker)
            #expect(noNote.status == .unprocessableEntity && field(noNote) == "note")
            let d = try await app.send(.POST, path, object: ["action": "dismiss", "reason": "duplicate", "duplicateOf": first.id.uuidString,
                                                            "note": "与上一条同一处"], token: p.worker)
            #expect(d.status == .ok, "\(d.body)")
            #expect(try d.decoded(ReportsController.ReportDTO.self).duplicateOf == first.id)
            #expect(try await messages(app, kind: "residentAnswer").isEmpty, "an anonymous resident gets no SMS")
            let o = try await open311(app, third.id)
            #expect(o["status"] as? String == "closed" && o["status_notes"] as? String == "已并入同一上报 merged into an earlier report; 重复上报 duplicate")

            // Verify the first without a subject named: it was matched. Both residents are told.
            let v = try await app.send(.POST, "/api/v1/reports/\(first.id.uuidString)/actions", object: ["action": "verify", "severity": "serious"], token: p.worker)
            #expect(v.status == .ok, "\(v.body)")
            #expect(try await messages(app, kind: "residentAnswer").first?.phones == ["13811110001", "13811110002"])
            let track = try await app.send(.GET, "/api/v1/resident/reports/\(added.token)", token: "").decoded(ResidentController.TrackDTO.self)
            #expect(track.state == "verified" && track.addedTo == first.id)
        }
    }

    @Test func codesAndReportsAreLimitedPerNumberAndPerAddress() async throws {
        try await withSafeGrid { app in
            let p = try await place(app)
            // A wrong code is refused and counts; after five the code is spent.
            let right = try await code(app, "13922220001")
            var body: [String: Any] = ["serviceCode": "LANE-01", "latitude": p.latitude, "longitude": p.longitude, "phone": "13922220001"]
            for _ in 0..<5 {
                body["code"] = right == "000000" ? "111111" : "000000"
                let wrong = try await app.send(.POST, "/api/v1/resident/reports", object: body, token: "")
                #expect(wrong.status == .unprocessableEntity && field(wrong) == "code", "\(wrong.body)")
            }
            body["code"] = right
            let spent = try await app.send(.POST, "/api/v1/resident/reports", object: body, token: "")
            #expect(spent.status == .unprocessableEntity && field(spent) == "code")
            // A second code within the minute: 429 naming phone, with Retry-After.
            let soon = try await app.send(.POST, "/api/v1/resident/codes", object: ["phone": "13922220001"], token: "")
            #expect(soon.status == .tooManyRequests && field(soon) == "phone")
            #expect(soon.headers.first(name: .retryAfter) == "60")
            // Not a mobile: 422.
            let landline = try await app.send(.POST, "/api/v1/resident/codes", object: ["phone": "0571-82345678"], token: "")
            #expect(landline.status == .unprocessableEntity && field(landline) == "phone")
            // Ten reports an hour from one network address (anonymous included); the eleventh waits.
            for i in 0..<10 {
                _ = try await report(app, p, phone: nil, description: "第\(i)处")
            }
            let eleventh = try await app.send(.POST, "/api/v1/resident/reports", object: ["serviceCode": "LANE-01", "anonymous": true,
                                                                                         "address": "瓜沥镇某路1号"], token: "")
            #expect(eleventh.status == .tooManyRequests && field(eleventh) == "address", "\(eleventh.body)")
            let stored = try await app.sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("resident_reports").first()
            #expect(try stored?.decode(column: "n", as: Int.self) == 10)
        }
    }

    @Test func reportsSentAtOnceCannotPassTheAddressLimitTogether() async throws {
        try await withSafeGrid { app in
            let p = try await place(app)
            let body = String(decoding: try JSONSerialization.data(withJSONObject: [
                "serviceCode": "LANE-01", "anonymous": true, "latitude": p.latitude, "longitude": p.longitude]), as: UTF8.self)
            let statuses = try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                for _ in 0..<16 { group.addTask { try await app.send(.POST, "/api/v1/resident/reports", json: body, token: "").status } }
                var all: [HTTPStatus] = []
                for try await s in group { all.append(s) }
                return all
            }
            #expect(statuses.filter { $0 == .created }.count == 10 && statuses.filter { $0 == .tooManyRequests }.count == 6, "\(statuses)")
        }
    }

    @Test func aRefusedAdditionKeepsTheCodeAndAnUnplacedReportIsEscalatedToTheTown() async throws {
        try await withSafeGrid { app in
            let p = try await place(app)
            let first = try await report(app, p, phone: nil)
            _ = try await app.send(.POST, "/api/v1/reports/\(first.id.uuidString)/actions",
                                   object: ["action": "dismiss", "reason": "notHazard", "note": "正常停放"], token: p.worker)
            let code = try await code(app, "13955550001")
            let body: [String: Any] = ["serviceCode": "LANE-01", "latitude": p.latitude, "longitude": p.longitude, "phone": "13955550001", "code": code]
            let refused = try await app.send(.POST, "/api/v1/resident/reports", object: body.merging(["addTo": first.id.uuidString]) { $1 }, token: "")
            #expect(refused.status == .unprocessableEntity && field(refused) == "addTo")
            let again = try await app.send(.POST, "/api/v1/resident/reports", object: body, token: "")
            #expect(again.status == .created, "the code was not spent by the refused addition: \(again.body)")

            // Nothing places it (no position, no village in the address): the town's staff have it,
            // and after 24 hours the town's duty phone is told.
            try await app.campaignWrite(scope: .everything, recordedAt: testNow) { tx in
                try await tx.insert(gridWorkers: [(BundledAreas.gualiTownCode, "镇值班", try PhoneNumber("13700000009"))])
            }
            let lost = try await app.send(.POST, "/api/v1/resident/reports", object: ["serviceCode": "FIRE-03", "anonymous": true,
                                                                                     "address": "某个不知道的小区门口"], token: "")
            #expect(lost.status == .created)
            let id = try lost.decoded(ResidentController.Receipt.self).id
            let town = try await app.send(.GET, "/api/v1/reports?areaCode=\(BundledAreas.gualiTownCode)", token: app.adminToken)
                .decoded([ReportsController.ReportDTO].self)
            #expect(town.first { $0.id == id }.map { $0.villageCode == nil && $0.microGridCode == nil } == true)
            let late = try await DeadlineJobs.runOnce(app: app, now: testNow.addingTimeInterval(25 * 3600))
            #expect(late.reportsEscalated == 2)
            #expect(try await messages(app, kind: "reportAlert").map(\.phones).sorted { $0[0] < $1[0] } == [["13700000009"], ["13700000012"]])
        }
    }

    @Test func aDepartmentInspectorHandlesOnlyTheirDepartmentsReports() async throws {
        try await withSafeGrid { app in
            let p = try await place(app)
            let fire = try await makeAccount(app, "xf.report", role: .departmentInspector, area: BundledAreas.gualiTownCode, department: .fireRescue)
            let gas = try await report(app, p, phone: nil, extra: ["serviceCode": "GAS-02"])
            for body in [["action": "verify"], ["action": "dismiss", "reason": "notHazard", "note": "x"]] {
                let r = try await app.send(.POST, "/api/v1/reports/\(gas.id.uuidString)/actions", object: body, token: fire)
                #expect(r.status == .forbidden && field(r) == "itemCode", "\(body): \(r.body)")
            }
            let lane = try await report(app, p, phone: nil)
            let ok = try await app.send(.POST, "/api/v1/reports/\(lane.id.uuidString)/actions", object: ["action": "verify"], token: fire)
            #expect(ok.status == .ok, "\(ok.body)")
        }
    }

    @Test func aReboundReopensTheReportAndAClosureIsNotCalledRectified() async throws {
        try await withSafeGrid { app in
            let p = try await place(app)
            let r = try await report(app, p, phone: "13977770001")
            let v = try await app.send(.POST, "/api/v1/reports/\(r.id.uuidString)/actions", object: ["action": "verify"], token: p.worker)
            let hazard = try #require(try v.decoded(ReportsController.ReportDTO.self).hazardIds.first).uuidString
            func reinspect(_ result: [String: Any]) async throws {
                let re = try await app.send(.POST, "/api/v1/reinspections", object: [
                    "subjectId": p.subject, "inspector": "李伟", "reinspectedAt": "2026-11-30T10:00:00+08:00",
                    "results": [result.merging(["hazardId": hazard]) { $1 }]], token: p.worker)
                #expect(re.status == .ok, "\(re.body)")
            }
            func state() async throws -> String { try await app.send(.GET, "/api/v1/resident/reports/\(r.token)", token: "").decoded(ResidentController.TrackDTO.self).state }
            try await reinspect(["outcome": "rectified"])
            #expect(try await state() == "rectified")
            // It came back: being rectified again, the resident told the new deadline; a new report may join it again.
            try await reinspect(["outcome": "rebound", "reason": "又堵上了", "dueOn": "2026-12-10"])
            #expect(try await state() == "verified")
            #expect(try await messages(app, kind: "residentAnswer").last?.body
                == "【瓜沥除险保安】您上报的隐患（消防车道被占用）复查发现反弹，已重新交办整改，整改期限2026-12-10。")
            #expect(try await open311(app, r.id)["status"] as? String == "open")
            // Closed down with the hazard open: closed down, not rectified.
            let closed = try await app.send(.POST, "/api/v1/subjects/\(p.subject)/close-down",
                                            object: ["actor": "综合执法组", "reason": "无证经营，依法关停"], token: app.adminToken)
            #expect(closed.status == .ok, "\(closed.body)")
            #expect(try await state() == "closedDown")
            #expect(try await messages(app, kind: "residentAnswer").last?.body == "【瓜沥除险保安】您上报的隐患（消防车道被占用）所在场所已依法关停。感谢您参与除险保安！")
            let o = try await open311(app, r.id)
            #expect(o["status"] as? String == "closed" && o["status_notes"] as? String == "场所已关停 the place was closed down")
        }
    }

    @Test func onlyOpenReportsTakeAdditionsOrDuplicatesAndEveryAreaReadsItsFeed() async throws {
        try await withSafeGrid { app in
            let p = try await place(app)
            let dismissed = try await report(app, p, phone: nil)
            _ = try await app.send(.POST, "/api/v1/reports/\(dismissed.id.uuidString)/actions",
                                   object: ["action": "dismiss", "reason": "notHazard", "note": "正常停放"], token: p.worker)
            let nearby = try await app.send(.GET, "/api/v1/resident/nearby?latitude=\(p.latitude)&longitude=\(p.longitude)&serviceCode=LANE-01", token: "")
            #expect(try nearby.decoded(ResidentController.NearbyList.self).items.isEmpty, "a closed report is not offered")
            let added = try await app.send(.POST, "/api/v1/resident/reports", object: ["serviceCode": "LANE-01", "anonymous": true,
                "latitude": p.latitude, "longitude": p.longitude, "addTo": dismissed.id.uuidString], token: "")
            #expect(added.status == .unprocessableEntity && field(added) == "addTo")
            // A duplicate of a closed report, or of another kind: its resident would wait for answers that never come.
            let other = try await report(app, p, phone: nil, extra: ["serviceCode": "ELEC-01"])
            let lane = try await report(app, p, phone: nil)
            for original in [dismissed.id, other.id] {
                let d = try await app.send(.POST, "/api/v1/reports/\(lane.id.uuidString)/actions",
                                           object: ["action": "dismiss", "reason": "duplicate", "duplicateOf": original.uuidString, "note": "同一处"], token: p.worker)
                #expect(d.status == .unprocessableEntity && field(d) == "duplicateOf", "\(d.body)")
            }
            // A worker's note reaches the resident: no text-direction override.
            let rtl = try await app.send(.POST, "/api/v1/reports/\(lane.id.uuidString)/actions",
                                         object: ["action": "dismiss", "reason": "notHazard", "note": "ok \u{202E}evil"], token: p.worker)
            #expect(rtl.status == .unprocessableEntity && field(rtl) == "note")
            // The change feed of a grid's worker and of a village officer holds their reports.
            let officer = try await makeAccount(app, "cun.report", role: .villageOfficer, area: String(p.microGrid.prefix(12)))
            for token in [p.worker, officer] {
                let feed = try await app.send(.GET, "/api/v1/reports/changes", token: token).decoded(ReportsController.ChangePage.self)
                #expect(Set(feed.changes.map(\.reportId)) == [dismissed.id, other.id, lane.id], "\(feed.changes.count)")
            }
        }
    }

    @Test func aDuplicatesResidentIsToldItWasMergedAndHearsTheRectification() async throws {
        try await withSafeGrid { app in
            let p = try await place(app)
            let first = try await report(app, p, phone: nil)
            let second = try await report(app, p, phone: "13966660001")
            _ = try await app.send(.POST, "/api/v1/reports/\(second.id.uuidString)/actions",
                                   object: ["action": "dismiss", "reason": "duplicate", "duplicateOf": first.id.uuidString, "note": "同一处"], token: p.worker)
            #expect(try await messages(app, kind: "residentAnswer").map(\.body)
                == ["【瓜沥除险保安】您上报的隐患（消防车道被占用）已有他人上报，已合并处理，整改结果将短信告知您。感谢您参与除险保安！"])
            let v = try await app.send(.POST, "/api/v1/reports/\(first.id.uuidString)/actions", object: ["action": "verify"], token: p.worker)
            let hazard = try #require(try v.decoded(ReportsController.ReportDTO.self).hazardIds.first)
            _ = try await app.send(.POST, "/api/v1/reinspections", object: [
                "subjectId": p.subject, "inspector": "李伟", "reinspectedAt": "2026-11-30T10:00:00+08:00",
                "results": [["hazardId": hazard.uuidString, "outcome": "rectified"]]], token: p.worker)
            let answers = try await messages(app, kind: "residentAnswer")
            #expect(answers.count == 3 && answers.allSatisfy { $0.phones == ["13966660001"] })
            #expect(answers.last?.body.contains("已整改完毕") == true)
        }
    }

    @Test func badInputNamesItsFieldAndStoresNothing() async throws {
        try await withSafeGrid { app in
            let p = try await place(app)
            let at: [String: Any] = ["latitude": p.latitude, "longitude": p.longitude, "anonymous": true]
            func refused(_ body: [String: Any], _ named: String, _ status: HTTPStatus = .unprocessableEntity) async throws {
                let r = try await app.send(.POST, "/api/v1/resident/reports", object: body, token: "")
                #expect(r.status == status && self.field(r) == named, "\(named): \(r.status) \(r.body)")
            }
            try await refused(at, "serviceCode")
            try await refused(["serviceCode": "LANE-01", "anonymous": true], "address")
            try await refused(["serviceCode": "LANE-01", "latitude": 39.9, "longitude": 116.4, "anonymous": true], "latitude")
            try await refused(["serviceCode": "LANE-01", "latitude": p.latitude, "anonymous": true], "latitude")
            try await refused(at.merging(["serviceCode": "LANE-01", "description": String(repeating: "堵", count: 1_001)]) { $1 }, "description")
            try await refused(at.merging(["serviceCode": "LANE-01", "villageCode": "330109113999"]) { $1 }, "villageCode")
            try await refused(at.merging(["serviceCode": "LANE-01", "photos": ["data:image/gif;base64,R0lGODlhAQABAAAAACw="]]) { $1 }, "photos[0]")
            try await refused(at.merging(["serviceCode": "LANE-01", "photos": Array(repeating: "x", count: 4)]) { $1 }, "photos")
            try await refused(at.merging(["serviceCode": "LANE-01", "photos": ["data:image/jpeg;base64," + Data(framedJPEG("cut").dropLast(3)).base64EncodedString()]]) { $1 }, "photos[0]")
            try await refused(at.merging(["serviceCode": "LANE-01", "addTo": UUID().uuidString]) { $1 }, "addTo")
            // Not for residents: a management item; a text-direction override; a picture of 20,000 × 20,000 px.
            try await refused(at.merging(["serviceCode": "MGMT-01"]) { $1 }, "serviceCode")
            try await refused(at.merging(["serviceCode": "LANE-01", "description": "通道\u{202E}evil"]) { $1 }, "description")
            let huge: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13] + Array("IHDR".utf8)
                + [0, 0, 0x4E, 0x20, 0, 0, 0x4E, 0x20, 8, 2, 0, 0, 0, 0, 0, 0, 0] + [0, 0, 0, 0] + Array("IEND".utf8) + [0xAE, 0x42, 0x60, 0x82]
            try await refused(at.merging(["serviceCode": "LANE-01", "photos": ["data:image/png;base64," + Data(huge).base64EncodedString()]]) { $1 }, "photos[0]")
            try await refused(["serviceCode": "LANE-01", "latitude": p.latitude, "longitude": p.longitude, "phone": "13900000000"], "code")
            let stored = try await app.sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("resident_reports").first()
            #expect(try stored?.decode(column: "n", as: Int.self) == 0)
            // A worker's bad steps.
            let r = try await report(app, p, phone: nil)
            let path = "/api/v1/reports/\(r.id.uuidString)/actions"
            for (body, named) in [(["action": "approve"], "action"), (["action": "dismiss", "reason": "boring", "note": "x"], "reason"),
                                  (["action": "verify", "itemCode": "GAS-99"], "itemCode"), (["action": "verify", "subjectId": UUID().uuidString], "subjectId")] {
                let bad = try await app.send(.POST, path, object: body, token: p.worker)
                #expect(bad.status == .unprocessableEntity && self.field(bad) == named, "\(body): \(bad.body)")
            }
        }
    }

    @Test func photosAreStoredWithoutMetadataAndShownOnlyToStaff() async throws {
        try await withSafeGrid { app in
            let p = try await place(app)
            // A phone's JPEG: an EXIF segment (its position among it) and a comment naming the phone.
            let plain = framedJPEG("rear camera")
            let exif: [UInt8] = [0xFF, 0xE1, 0x00, 0x1A] + Array("Exif".utf8) + [0, 0] + Array("MM".utf8) + [0, 42, 0, 0, 0, 8] + Array("GPS30.18N".utf8) + [0]
            let comment: [UInt8] = [0xFF, 0xFE, 0x00, 0x0C] + Array("iPhone 15".utf8) + [0]
            let photo = Array(plain[0..<2]) + exif + comment + Array(plain[2...])
            let r = try await report(app, p, phone: nil, extra: ["photos": ["data:image/jpeg;base64," + Data(photo).base64EncodedString()]])
            let dto = try await app.send(.GET, "/api/v1/reports/\(r.id.uuidString)", token: p.worker).decoded(ReportsController.ReportDTO.self)
            #expect(dto.photos.map(\.url) == ["/api/v1/reports/\(r.id.uuidString.lowercased())/photos/0"])
            let served = try await app.send(.GET, dto.photos[0].url, token: p.worker)
            #expect(served.status == .ok && served.headers.contentType == .jpeg)
            let bytes = [UInt8](Data(served.body.utf8))
            #expect(!served.body.contains("GPS30") && !served.body.contains("iPhone"))
            #expect(bytes.count > 0 && served.body.contains("rear camera"))
            // No account, no photo.
            #expect(try await app.send(.GET, dto.photos[0].url, token: "").status == .unauthorized)
            // The messages list masks codes.
            _ = try await code(app, "13933330001")
            let list = try await app.send(.GET, "/api/v1/messages", token: app.adminToken)
            #expect(list.body.contains("验证码为******"), "\(list.body.prefix(400))")
        }
    }

    @Test func aReportWaitingADayAlertsTheVillageOfficerOnce() async throws {
        try await withSafeGrid { app in
            let p = try await place(app)
            _ = try await report(app, p, phone: nil)
            let early = try await DeadlineJobs.runOnce(app: app, now: testNow.addingTimeInterval(23 * 3600))
            #expect(early.reportsEscalated == 0)
            let late = try await DeadlineJobs.runOnce(app: app, now: testNow.addingTimeInterval(25 * 3600))
            #expect(late.reportsEscalated == 1)
            let alerts = try await messages(app, kind: "reportAlert")
            #expect(alerts.count == 1 && alerts.first?.phones == ["13700000012"])
            #expect(alerts.first?.body.hasSuffix("有1条居民上报超过24小时未核实，请督促网格员尽快核实。") == true)
            #expect(try await DeadlineJobs.runOnce(app: app, now: testNow.addingTimeInterval(26 * 3600)).reportsEscalated == 0)
            app.services.now = { testNow.addingTimeInterval(25 * 3600) }
            // The worker signs in again the next day (a session lasts 12 hours).
            let nextDay = try await makeAccount(app, "wg.nextday", role: .gridWorker, area: String(p.microGrid.prefix(14)))
            let list = try await app.send(.GET, "/api/v1/reports", token: nextDay).decoded([ReportsController.ReportDTO].self)
            #expect(list.first?.overdue == true && list.first?.ageMinutes == 25 * 60 && list.first?.alertedAt != nil)
        }
    }

    @Test func anOpen311ReportReachesTheWorkerAndFollowsTheSameStates() async throws {
        try await withSafeGrid { app in
            let p = try await place(app)
            let key = try await ApiClients.create(sql: app.sql, name: "沥家园", scopes: ["open311"], at: testNow)
            let form = "api_key=\(key)&service_code=LANE-01&lat=\(p.latitude)&long=\(p.longitude)&description=%E5%A0%B5&first_name=%E4%B8%89&last_name=%E5%BC%A0&phone=13944440001&attribute%5Bsubject_name%5D=x"
            let posted = try await app.send(.POST, "/open311/v2/requests.json", json: form, contentType: "application/x-www-form-urlencoded", token: "")
            #expect(posted.status == .created, "\(posted.body)")
            let list = try await app.send(.GET, "/api/v1/reports", token: p.worker).decoded([ReportsController.ReportDTO].self)
            #expect(list.count == 1 && list.first?.channel == "open311" && list.first?.reporterName == "张三")
            let id = try #require(list.first?.id)
            let d = try await app.send(.POST, "/api/v1/reports/\(id.uuidString)/actions",
                                       object: ["action": "dismiss", "reason": "notHazard", "note": "电动车已移走"], token: p.worker)
            #expect(d.status == .ok, "\(d.body)")
            #expect(try await messages(app, kind: "residentAnswer").map(\.body)
                == ["【瓜沥除险保安】您上报的隐患（消防车道被占用）经核查不予受理：经核查不是隐患（电动车已移走）。如有疑问请联系所在村社。"])
            let o = try await open311(app, id)
            #expect(o["status"] as? String == "closed")
            // GeoReport's own limit holds on the shared path: a description of 4,000 characters (residents' page: 1,000).
            let long = String(repeating: "堵", count: 4_000)
            let wordy = try await app.send(.POST, "/open311/v2/requests.json", object: [
                "api_key": key, "service_code": "LANE-01", "lat": String(p.latitude), "long": String(p.longitude), "description": long], token: "")
            #expect(wordy.status == .created, "\(wordy.body)")
        }
    }
}

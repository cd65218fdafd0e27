import Foundation
import SQLKit
import SafeGridCore
import Testing
import Vapor
@testable import SafeGridApp

let signaturePNG = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAPAAAABQCAAAAAACIqegAAACHElEQVR42u3ZW3LDIAwFUC3i7n+r9KszBgvQAxMnXL46bWpzQAhQpBzWhGCCCSaYYIIJJphgggkmmGCCCSaY4EsDcBwYBP86GCeBv1Kcy9JHgnES+AvF2YPHkWAcA8Z/O2kfPhOM1KreOmiSXb6NODDne8MkCW7nJxDkyxaG7SGSnOD6RQj0HovExodIdoIvYlQ/+MZNywSPBIqkJ7ieJHgTVxUn8Q3vklAeBHeH197XZjmEw/yaUDaAbwvIBdbt8GxX0ANlIbh9LpQBiCyMKgvCP26fAhcHuN1XAHv3R3HyLFib4vDCqLvvfMxELIu8t1+ZuqrGiaP3gzjpVZHXgpEE37ffwGMuK8MINrxD+8i9qwuqB72RhSVO1oH1h7nnBoFBUTC9ONkChkODFBjTIECxg+GPaL/YloK7idyZyTPg7geG4HbYEQDjfid1XrOkBGJ6CMZgn4ocPzE6ffqriBKItcGf+yKELxj6MQrm+9Gj4NID68fGxIUqWjiQQDqZgTGam0CRoHMTihVKAuD5aEAvimTuuugcONyFIQvYl2y0j3ZicXfZa3CWHlQfZq9VsirG1QKHuDwPRrPVw7RLj2s17r4vLF2LJVHAtw2o4GQ/l5XqxZwo7AtJm+LylibzPOH/VuH+X+X1YDUYgVDl5lVNHkkUL/4OVWap8cM5Zic4nVUJ/mVwOQ781kYwwQQTTDDBBBNMMMEEE2xqf9+9wL5X82SzAAAAAElFTkSuQmCC"

/// A minimal JPEG (SOI + APP0 + EOI) — content-checked as a JPEG.
let tinyJPEG: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01,
                         0x00, 0x01, 0x00, 0x00, 0xFF, 0xD9]

func multipart(_ fields: [(name: String, filename: String?, type: String?, data: [UInt8])], boundary: String = "sgBOUNDARY") -> ByteBuffer {
    var b = ByteBuffer()
    for f in fields {
        b.writeString("--\(boundary)\r\n")
        if let filename = f.filename {
            b.writeString("Content-Disposition: form-data; name=\"\(f.name)\"; filename=\"\(filename)\"\r\n")
            b.writeString("Content-Type: \(f.type ?? "application/octet-stream")\r\n\r\n")
        } else {
            b.writeString("Content-Disposition: form-data; name=\"\(f.name)\"\r\n\r\n")
        }
        b.writeBytes(f.data)
        b.writeString("\r\n")
    }
    b.writeString("--\(boundary)--\r\n")
    return b
}

extension Application {
    func upload(_ path: String, _ body: ByteBuffer) async throws -> Reply {
        let r = try await testing().sendRequest(.POST, path, headers: [
            "Content-Type": "multipart/form-data; boundary=sgBOUNDARY", "Accept": "application/json"], body: body)
        return Reply(status: r.status, headers: r.headers, body: r.body.string)
    }
}

@Suite("The closed loop: signature, SMS, evidence, re-inspection, offline sync, deadlines, audit")
struct ClosedLoopTests {
    /// A subject with a signed-for inspection of two hazards (ELEC-01 due in 15 days, EVAC-01 in 60).
    func inspected(_ app: Application) async throws -> (subject: String, inspection: String, hazards: [String]) {
        let mg = try await addMicroGrid(app)
        let subject = try await createEnterprise(app, microGrid: mg)
        let r = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: subject), token: app.adminToken)
        let dto = try r.decoded(InspectionDTO.self)
        return (subject, dto.id.uuidString, dto.hazards.map(\.id.uuidString))
    }

    func count(_ app: Application, _ table: String) async throws -> Int {
        try await app.sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from(table)
            .first()?.decode(column: "n", as: Int.self) ?? -1
    }

    @Test func signingStoresTheRecordHashAndQueuesTheNoticeOnce() async throws {
        try await withSafeGrid { app in
            let (_, inspection, _) = try await inspected(app)
            let sign = try await app.send(.POST, "/api/v1/inspections/\(inspection)/signature",
                                          object: ["signerName": "王建国", "image": signaturePNG,
                                                   "location": ["latitude": 30.1855, "longitude": 120.4553, "datum": "wgs84"]], token: app.adminToken)
            #expect(sign.status == .created, "\(sign.body)")
            let signed = try sign.decoded(SignatureService.Signed.self)
            #expect(signed.noticeNumber == "瓜沥整改〔2026〕00001号")
            #expect(signed.recordSha256.count == 64)
            #expect(signed.smsQueued == true)
            let body = signed.smsBody ?? ""
            #expect(body.hasPrefix("【瓜沥除险保安】杭州恒增纺织有限公司"))
            #expect(body.contains("2026-12-15"))          // the earliest deadline
            #expect(body.contains("/e/"))                 // the evidence link
            #expect((signed.smsSegments ?? 9) <= 3)
            let recipients = try await app.sql.select().columns("phone", "state").from("message_recipients").all()
            #expect(recipients.count == 1)
            #expect(try recipients.first?.decode(column: "phone", as: String.self) == "13800000000")

            let again = try await app.send(.POST, "/api/v1/inspections/\(inspection)/signature",
                                           object: ["signerName": "王建国", "image": signaturePNG], token: app.adminToken)
            #expect(again.status == .conflict)
            #expect(try await count(app, "messages") == 1)

            let notice = try await app.send(.GET, "/inspections/\(inspection)/notice", token: app.adminToken)
            #expect(notice.status == .ok)
            #expect(notice.body.contains("瓜沥整改〔2026〕00001号"))
            #expect(notice.body.contains("记录与签字时一致"))
            #expect(try await app.send(.GET, "/inspections/\(inspection)/signature.png", token: app.adminToken).headers.contentType == .png)

            // A later change to the signed record is detected.
            try await app.sql.update("inspection_results").set("outcome", to: SQLBind("pass"))
                .where("item_code", .equal, SQLBind("EVAC-01")).run()
            let changed = try await app.send(.GET, "/inspections/\(inspection)/notice", token: app.adminToken)
            #expect(changed.body.contains("记录在签字后被改动"))
        }
    }

    @Test func badSignaturesAreRefused() async throws {
        try await withSafeGrid { app in
            let (_, inspection, _) = try await inspected(app)
            let path = "/api/v1/inspections/\(inspection)/signature"
            let big = "data:image/png;base64," + Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + [UInt8](repeating: 7, count: 600_000)).base64EncodedString()
            let cases: [([String: Any], String)] = [
                (["signerName": "王建国", "image": ""], "image"),
                (["signerName": "王建国", "image": "data:image/png;base64,iVBORw0KGgo="], "image"),
                (["signerName": "王建国", "image": "data:image/jpeg;base64,/9j/4AAQ"], "image"),
                (["signerName": "王建国", "image": "not base64 at all!"], "image"),
                (["signerName": " ", "image": signaturePNG], "signerName"),
                (["signerName": "王建国", "signerPhone": "12345", "image": signaturePNG], "signerPhone"),
                (["signerName": "王建国", "image": signaturePNG, "signedAt": "2026-11-29T09:00:00+08:00"], "signedAt"),
            ]
            for (body, field) in cases {
                let r = try await app.send(.POST, path, object: body, token: app.adminToken)
                #expect(r.status == .unprocessableEntity, "\(field): \(r.body.prefix(200))")
                #expect(try r.problem().field == field)
            }
            let oversized = try await app.send(.POST, path, object: ["signerName": "王建国", "image": big], token: app.adminToken)
            #expect(oversized.status.code == 413 || oversized.status == .unprocessableEntity)
            #expect(try await count(app, "signatures") == 0)
            #expect(try await count(app, "messages") == 0)
            #expect(try await app.send(.POST, "/api/v1/inspections/\(UUID().uuidString)/signature",
                                       object: ["signerName": "x", "image": signaturePNG], token: app.adminToken).status == .notFound)
        }
    }

    func evidenceLink(_ app: Application, inspection: String) async throws -> String {
        let sign = try await app.send(.POST, "/api/v1/inspections/\(inspection)/signature",
                                      object: ["signerName": "王建国", "image": signaturePNG], token: app.adminToken)
        let body = try sign.decoded(SignatureService.Signed.self).smsBody ?? ""
        guard let range = body.range(of: "/e/") else { return "" }
        return "/e/" + body[range.upperBound...].prefix(EvidenceToken.length)
    }

    @Test func thePartyUploadsEvidenceThroughTheSMSLink() async throws {
        try await withSafeGrid { app in
            let (subject, inspection, hazards) = try await inspected(app)
            let link = try await evidenceLink(app, inspection: inspection)
            let page = try await app.send(.GET, link)
            #expect(page.status == .ok, "\(link)")
            #expect(page.body.contains("整改照片上传"))
            let up = try await app.upload("\(link)/hazards/\(hazards[0])/evidence",
                                          multipart([("photo", "fix.jpg", "image/jpeg", tinyJPEG), ("note", nil, nil, Array("已穿管".utf8))]))
            #expect(up.status == .created, "\(up.body)")
            let h = try await app.send(.GET, "/api/v1/hazards/\(hazards[0])", token: app.adminToken)
            let hazard = try h.decoded(HazardDTO.self)
            #expect(hazard.state == "rectifying")
            #expect(hazard.events?.last?.reason == "已穿管")
            let detail = try await app.send(.GET, "/api/v1/subjects/\(subject)", token: app.adminToken)
            #expect(try detail.decoded(SubjectsController.SubjectDetailDTO.self).subject.colour?.key == "extremelySevere.inProgress")
            #expect(try await count(app, "evidence") == 1)

            // Not an image (a PDF renamed .jpg): refused by content.
            let pdf = try await app.upload("\(link)/hazards/\(hazards[1])/evidence",
                                           multipart([("photo", "fix.jpg", "image/jpeg", Array("%PDF-1.4 fake".utf8))]))
            #expect(pdf.status == .unprocessableEntity)
            #expect(try pdf.problem().field == "photo")
            // Forged and expired links.
            var forged = Array(link)
            forged[forged.count - 5] = forged[forged.count - 5] == "A" ? "B" : "A"
            #expect(try await app.send(.GET, String(forged), token: app.adminToken).status == .forbidden)
            #expect(try await app.send(.GET, "/e/not-a-token").status == .forbidden)
            #expect(try await count(app, "evidence") == 1)
        }
        // The same link, read 200 days later, has expired.
        let later = testNow.addingTimeInterval(200 * 24 * 3600)
        try await withSafeGrid(now: testNow) { app in
            let (_, inspection, _) = try await inspected(app)
            let link = try await evidenceLink(app, inspection: inspection)
            app.services.now = { later }
            #expect(try await app.send(.GET, link, token: "").status == .gone)
        }
    }

    @Test func reinspectionVerifiesRefusesAndSetsNewDeadlines() async throws {
        try await withSafeGrid { app in
            let (subject, _, hazards) = try await inspected(app)
            let r = try await app.send(.POST, "/api/v1/reinspections", object: [
                "subjectId": subject, "inspector": "李伟", "reinspectedAt": "2026-11-30T09:45:00+08:00",
                "results": [["hazardId": hazards[0], "outcome": "rectified"],
                            ["hazardId": hazards[1], "outcome": "notYet", "reason": "通道仍堵塞", "dueOn": "2026-12-10"]]], token: app.adminToken)
            #expect(r.status == .ok, "\(r.body)")
            let states = Dictionary(uniqueKeysWithValues: try r.decoded(SubjectsController.SubjectDetailDTO.self).hazards.map {
                ($0.id.uuidString.lowercased(), $0)
            })
            #expect(states[hazards[0].lowercased()]?.state == "rectified")
            #expect(states[hazards[1].lowercased()]?.state == "open")
            #expect(states[hazards[1].lowercased()]?.dueOn == "2026-12-10")
            // A re-inspection of a hazard that is not open: 409 naming the result; nothing of the batch is written.
            let bad = try await app.send(.POST, "/api/v1/reinspections", object: [
                "subjectId": subject, "inspector": "李伟",
                "results": [["hazardId": hazards[1], "outcome": "rectified"], ["hazardId": hazards[0], "outcome": "rectified"]]], token: app.adminToken)
            #expect(bad.status == .conflict)
            let badProblem = try bad.problem()
            #expect(badProblem.field == "results[1].outcome")
            #expect(badProblem.extra["currentState"] == "rectified")
            let h1 = try await app.send(.GET, "/api/v1/hazards/\(hazards[1])", token: app.adminToken)
            #expect(try h1.decoded(HazardDTO.self).state == "open")
            let noReason = try await app.send(.POST, "/api/v1/reinspections", object: [
                "subjectId": subject, "inspector": "李伟", "results": [["hazardId": hazards[1], "outcome": "notYet"]]], token: app.adminToken)
            #expect(try noReason.problem().field == "results[0].reason")
            let stale = try await app.send(.POST, "/api/v1/reinspections", object: [
                "subjectId": subject, "inspector": "李伟", "results": [["hazardId": hazards[1], "outcome": "rectified", "version": 1]]], token: app.adminToken)
            #expect(stale.status == .conflict)
            #expect(try stale.problem().field == "results[0].version")
        }
    }

    @Test func offlineEventsApplyInClientOrderWhateverOrderTheyArrive() async throws {
        // Recorded offline at 10:00, synced at 18:00: due from 10:00.
        let evening = try Timestamp.parse("2026-11-30T18:00:00+08:00")
        try await withSafeGrid(now: evening) { app in
            let mg = try await addMicroGrid(app)
            let subject = try await createEnterprise(app, microGrid: mg)
            let created = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(
                subject: subject, at: "2026-11-30T10:00:00+08:00", results: [["itemCode": "ELEC-02", "outcome": "hazard"]]), token: app.adminToken)
            let hazard = try created.decoded(InspectionDTO.self).hazards.first
            #expect(hazard?.dueAt == "2026-11-30T23:59:59+08:00")  // 0 days: the same day as the visit
            let id = hazard?.id.uuidString ?? ""
            // The later event (verify, 11:00) arrives first, then the earlier one (start, 10:30).
            let first = try await app.send(.POST, "/api/v1/sync", object: ["deviceId": "phone-A", "events": [
                ["seq": 2, "hazardId": id, "action": "verifyRectified", "clientTime": "2026-11-30T11:00:00+08:00", "actor": "李伟"]]], token: app.adminToken)
            #expect(first.status == .ok, "\(first.body)")
            #expect(try first.decoded([OfflineSyncController.SyncResult].self).first?.status == "applied")
            let second = try await app.send(.POST, "/api/v1/sync", object: ["deviceId": "phone-A", "events": [
                ["seq": 1, "hazardId": id, "action": "startRectification", "clientTime": "2026-11-30T10:30:00+08:00", "actor": "王建国"]]], token: app.adminToken)
            let secondResults = try second.decoded([OfflineSyncController.SyncResult].self)
            #expect(secondResults.first?.status == "applied")
            #expect(secondResults.first?.late == true)
            let h = try await app.send(.GET, "/api/v1/hazards/\(id)", token: app.adminToken)
            let synced = try h.decoded(HazardDTO.self)
            #expect(synced.state == "rectified")
            let events = synced.events ?? []
            #expect(events.map(\.kind) == ["found", "verifyRectified", "startRectification"])  // arrival order kept
            #expect(events.last?.late == true)
            #expect(events.last?.deviceId == "phone-A")
            // A retry of the same events changes nothing.
            let retry = try await app.send(.POST, "/api/v1/sync", object: ["deviceId": "phone-A", "events": [
                ["seq": 1, "hazardId": id, "action": "startRectification", "clientTime": "2026-11-30T10:30:00+08:00", "actor": "王建国"]]], token: app.adminToken)
            #expect(try retry.decoded([OfflineSyncController.SyncResult].self).first?.status == "duplicate")
            #expect(try await app.send(.GET, "/api/v1/hazards/\(id)", token: app.adminToken).decoded(HazardDTO.self).events?.count == 3)
            // Not applicable at its place in client order: rejected with a reason, nothing stored.
            let rejected = try await app.send(.POST, "/api/v1/sync", object: ["deviceId": "phone-B", "events": [
                ["seq": 1, "hazardId": id, "action": "verifyRectified", "clientTime": "2026-11-30T12:00:00+08:00", "actor": "张敏"]]], token: app.adminToken)
            #expect(try rejected.decoded([OfflineSyncController.SyncResult].self).first?.status == "rejected")
            let audit = try await Audit.verify(sql: app.sql)
            #expect(audit.intact)
        }
    }

    @Test func deadlineJobsRemindMarkOverdueAndAlertOnceEvenWhenRunTwiceAtOnce() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app)
            try await CampaignStore(sql: app.sql).insert("grid_workers", ["grid_code", "name", "phone"],
                                                         [[String(mg.prefix(14)), "网格员小陈", "13912345678"]])
            let subject = try await createEnterprise(app, microGrid: mg)
            let created = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(
                subject: subject, results: [["itemCode": "ELEC-03", "outcome": "hazard"],      // general, 3 days → 12-03
                                            ["itemCode": "FIRE-02", "outcome": "hazard", "rectifiedOnSite": true]]), token: app.adminToken)
            #expect(created.status == .created)
            // Two days before the deadline: one reminder, even with two runs at once.
            let dayBefore = try Timestamp.parse("2026-12-01T09:00:00+08:00")
            async let a = DeadlineJobs.runOnce(app: app, now: dayBefore, reminderDays: 2)
            async let b = DeadlineJobs.runOnce(app: app, now: dayBefore, reminderDays: 2)
            let (ra, rb) = try await (a, b)
            #expect(ra.remindersQueued + rb.remindersQueued == 1)
            let reminders = try await app.sql.select().column("body").from("messages").where("kind", .equal, SQLBind("reminder")).all()
            #expect(reminders.count == 1)
            #expect(try reminders.first?.decode(column: "body", as: String.self).contains("2026-12-03") == true)
            // After the deadline: marked overdue once, colour up one level, alert to the grid worker.
            let after = try Timestamp.parse("2026-12-04T00:10:00+08:00")
            async let c = DeadlineJobs.runOnce(app: app, now: after)
            async let d = DeadlineJobs.runOnce(app: app, now: after)
            let (rc, rd) = try await (c, d)
            #expect(rc.hazardsMarkedOverdue + rd.hazardsMarkedOverdue == 1)
            #expect(rc.alertsQueued + rd.alertsQueued == 1)
            let detail = try await app.send(.GET, "/api/v1/subjects/\(subject)", token: app.adminToken)
            #expect(try detail.decoded(SubjectsController.SubjectDetailDTO.self).subject.colour?.key == "serious.inProgress")
            let alert = try await app.sql.select().column("body").from("messages").where("kind", .equal, SQLBind("overdueAlert")).first()
            #expect(try alert?.decode(column: "body", as: String.self).contains("逾期") == true)
            let phones = try await app.sql.select().column("phone").from("message_recipients").all().map { try $0.decode(column: "phone", as: String.self) }
            #expect(phones.contains("13912345678"))
            // A closed-down subject's hazards are never touched again.
            _ = try await app.send(.POST, "/api/v1/subjects/\(subject)/close-down", object: ["actor": "综合执法组", "reason": "关停"], token: app.adminToken)
            let later = try await DeadlineJobs.runOnce(app: app, now: after.addingTimeInterval(86_400 * 5))
            var nothing = DeadlineJobs.Report()
            nothing.keyHazardEnterprisesListed = 0  // a new day's key hazard ranking, with nothing to list
            #expect(later == nothing)
        }
    }

    @Test func auditVerifyNamesTheFirstTamperedEvent() async throws {
        try await withSafeGrid { app in
            let (_, _, hazards) = try await inspected(app)
            _ = try await app.send(.POST, "/api/v1/hazards/\(hazards[0])/actions", object: ["action": "startRectification", "actor": "王建国"], token: app.adminToken)
            _ = try await app.send(.POST, "/api/v1/hazards/\(hazards[0])/actions", object: ["action": "verifyRectified", "actor": "李伟"], token: app.adminToken)
            let intact = try await Audit.verify(sql: app.sql)
            #expect(intact.intact)
            #expect(intact.lines == ["town 330109113: 4 events, chain intact"])
            let seqs = try await app.sql.select().column("seq").from("hazard_events").orderBy("seq").all()
                .map { try $0.decode(column: "seq", as: Int64.self) }
            try await app.sql.update("hazard_events").set("actor", to: SQLBind("别人")).where("seq", .equal, SQLBind(seqs[2])).run()
            let broken = try await Audit.verify(sql: app.sql)
            #expect(!broken.intact)
            #expect(broken.broken["330109113"] == seqs[2])
        }
    }
}

@Suite("Delivery reports")
struct DeliveryReportTests {
    @Test func aDeliveryReportMovesASentRecipientToDeliveredOrFailed() async throws {
        try await withSafeGrid { app in
            // The gateway's token (the log provider's, which the test sends with).
            app.settings.sms.deliveryReportTokens = ["log": "dlr-token-0123456789"]
            try await app.writeGate.transaction(on: app.db) { sql in
                try await Outbox.enqueue(OutgoingMessage(kind: .notice, subjectID: nil, inspectionID: nil, hazardID: nil, body: "测试",
                                                         segments: 1, recipients: ["13800000000", "13900000000"], dedupeKey: "t"),
                                         sql: sql, at: testNow)
            }
            _ = try await app.outboxSender.runOnce(now: testNow)
            let ids = try await app.sql.select().columns("id", "phone").from("message_recipients").orderBy("phone").all()
                .map { try $0.decode(column: "id", as: UUID.self).uuidString.lowercased() }
            #expect(try await app.send(.GET, "/sms/dlr/\(ids[0])?type=1&token=dlr-token-0123456789", token: app.adminToken).status == .ok)
            #expect(try await app.send(.GET, "/sms/dlr/\(ids[1])?type=16&token=dlr-token-0123456789", token: app.adminToken).status == .ok)
            #expect(try await app.send(.GET, "/sms/dlr/\(ids[1])?type=1&token=dlr-token-0123456789", token: app.adminToken).status == .ok)   // too late: stays failed
            let states = try await app.sql.select().column("state").from("message_recipients").orderBy("phone").all()
                .map { try $0.decode(column: "state", as: String.self) }
            #expect(states == ["delivered", "failed"])
            #expect(try await app.send(.GET, "/sms/dlr/\(UUID().uuidString)?type=1&token=dlr-token-0123456789", token: app.adminToken).status == .notFound)
            #expect(try await app.send(.GET, "/sms/dlr/\(ids[0])?type=x&token=dlr-token-0123456789", token: app.adminToken).status == .unprocessableEntity)
        }
    }
}

@Suite("Closed loop: what a newcomer broke")
struct ClosedLoopRegressionTests {
    func inspected(_ app: Application) async throws -> (subject: String, inspection: String, hazards: [String]) {
        let mg = try await addMicroGrid(app)
        let subject = try await createEnterprise(app, microGrid: mg)
        let r = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: subject), token: app.adminToken)
        let dto = try r.decoded(InspectionDTO.self)
        return (subject, dto.id.uuidString, dto.hazards.map(\.id.uuidString))
    }

    @Test func aBrowserUploadReturnsToThePageAndTheSealCoversTheSigner() async throws {
        try await withSafeGrid { app in
            let (_, inspection, hazards) = try await inspected(app)
            let sign = try await app.send(.POST, "/api/v1/inspections/\(inspection)/signature",
                                          object: ["signerName": "王建国", "image": signaturePNG], token: app.adminToken)
            let body = try sign.decoded(SignatureService.Signed.self).smsBody ?? ""
            let link = "/e/" + body[body.range(of: "/e/")!.upperBound...].prefix(EvidenceToken.length)
            let r = try await app.testing().sendRequest(.POST, "\(link)/hazards/\(hazards[0])/evidence", headers: [
                "Content-Type": "multipart/form-data; boundary=sgBOUNDARY",
                "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"],
                body: multipart([("photo", "a.jpg", "image/jpeg", tinyJPEG)]))
            #expect(r.status == .seeOther)
            #expect(r.headers.first(name: .location)?.hasSuffix("?ok=1") == true)
            // The party's page has no links into the town's internal pages.
            let page = try await app.send(.GET, link)
            #expect(!page.body.contains("href=\"/messages\""))
            // The message list never shows the link's token.
            let list = try await app.send(.GET, "/api/v1/messages", token: app.adminToken)
            #expect(!list.body.contains(String(link.dropFirst(3))))
            #expect(list.body.contains("\\/e\\/…"))
            // Changing who signed is detected.
            try await app.sql.update("signatures").set("signer_name", to: SQLBind("王五")).run()
            #expect(try await app.send(.GET, "/inspections/\(inspection)/notice", token: app.adminToken).body.contains("记录在签字后被改动"))
        }
    }

    @Test func signaturesOutsideTheDistrictOrFakePNGsAreRefused() async throws {
        try await withSafeGrid { app in
            let (_, inspection, _) = try await inspected(app)
            let path = "/api/v1/inspections/\(inspection)/signature"
            let far = try await app.send(.POST, path, object: ["signerName": "王建国", "image": signaturePNG,
                                                               "location": ["latitude": 39.9, "longitude": 116.4]], token: app.adminToken)
            #expect(try far.problem().field == "location")
            let fake = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(String(repeating: "not a png ", count: 30).utf8))
            let r = try await app.send(.POST, path, object: ["signerName": "王建国", "image": "data:image/png;base64," + fake.base64EncodedString()], token: app.adminToken)
            #expect(try r.problem().field == "image")
            let trick = try await app.send(.POST, path, object: ["signerName": "王建国",
                                                                 "image": "data:text/plain;x=image/png;base64," + signaturePNG.split(separator: ",")[1]], token: app.adminToken)
            #expect(try trick.problem().field == "image")
        }
    }

    @Test func aLinkedFindingIsOnTheNoticeAndInTheSMS() async throws {
        try await withSafeGrid { app in
            let (subject, _, _) = try await inspected(app)
            let again = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(
                subject: subject, at: "2026-11-30T09:50:00+08:00", results: [["itemCode": "ELEC-01", "outcome": "hazard"]]), token: app.adminToken)
            let id = try again.decoded(InspectionDTO.self).id.uuidString
            let sign = try await app.send(.POST, "/api/v1/inspections/\(id)/signature", object: ["signerName": "王建国", "image": signaturePNG], token: app.adminToken)
            let signed = try sign.decoded(SignatureService.Signed.self)
            #expect(signed.smsQueued == true)
            #expect(signed.smsBody?.contains("电气线路") == true)
            let notice = try await app.send(.GET, "/inspections/\(id)/notice", token: app.adminToken)
            #expect(notice.body.contains("电气线路未穿管"))
        }
    }

    @Test func syncRefusesARepeatedSeqInOneBatch() async throws {
        try await withSafeGrid { app in
            let (_, _, hazards) = try await inspected(app)
            let r = try await app.send(.POST, "/api/v1/sync", object: ["deviceId": "phone-C", "events": [
                ["seq": 5, "hazardId": hazards[0], "action": "startRectification", "clientTime": "2026-11-30T09:40:00+08:00", "actor": "王"],
                ["seq": 5, "hazardId": hazards[1], "action": "startRectification", "clientTime": "2026-11-30T09:41:00+08:00", "actor": "王"]]], token: app.adminToken)
            #expect(r.status == .unprocessableEntity)
            #expect(try r.problem().field == "events[1].seq")
        }
    }

    @Test func aReboundWithoutADateGetsAFreshDeadline() async throws {
        try await withSafeGrid { app in
            let (subject, _, hazards) = try await inspected(app)
            _ = try await app.send(.POST, "/api/v1/hazards/\(hazards[0])/actions", object: ["action": "verifyRectified", "actor": "李伟"], token: app.adminToken)
            let r = try await app.send(.POST, "/api/v1/reinspections", object: [
                "subjectId": subject, "inspector": "李伟", "results": [["hazardId": hazards[0], "outcome": "rebound", "reason": "又明敷"]]], token: app.adminToken)
            #expect(r.status == .ok)
            let h = try await app.send(.GET, "/api/v1/hazards/\(hazards[0])", token: app.adminToken)
            #expect(try h.decoded(HazardDTO.self).dueOn == "2026-12-07")   // 7 days from the re-inspection day
            let future = try await app.send(.POST, "/api/v1/reinspections", object: [
                "subjectId": subject, "inspector": "李伟", "reinspectedAt": "2026-11-30T08:00:00+08:00",
                "results": [["hazardId": hazards[1], "outcome": "rectified"]]], token: app.adminToken)
            #expect(try future.problem().field == "reinspectedAt")
        }
    }

    @Test func aLaterHazardWithTheSameDeadlineStillGetsItsReminder() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app)
            let subject = try await createEnterprise(app, microGrid: mg)
            _ = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(
                subject: subject, results: [["itemCode": "ELEC-03", "outcome": "hazard"]]), token: app.adminToken)
            let day = try Timestamp.parse("2026-12-01T09:00:00+08:00")
            #expect(try await DeadlineJobs.runOnce(app: app, now: day).remindersQueued == 1)
            _ = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(
                subject: subject, at: "2026-11-30T09:55:00+08:00",
                results: [["itemCode": "ELEC-01", "outcome": "hazard", "dueOn": "2026-12-03"]]), token: app.adminToken)
            #expect(try await DeadlineJobs.runOnce(app: app, now: day.addingTimeInterval(60)).remindersQueued == 1)
            #expect(try await DeadlineJobs.runOnce(app: app, now: day.addingTimeInterval(120)).remindersQueued == 0)
        }
    }

    @Test func auditNoticesTheNewestEventsDeleted() async throws {
        try await withSafeGrid { app in
            let (_, _, hazards) = try await inspected(app)
            _ = try await app.send(.POST, "/api/v1/hazards/\(hazards[0])/actions", object: ["action": "verifyRectified", "actor": "李伟"], token: app.adminToken)
            #expect(try await Audit.verify(sql: app.sql).intact)
            let last = try await app.sql.select().column("seq").from("hazard_events").orderBy("seq", .descending).limit(1).first()?
                .decode(column: "seq", as: Int64.self) ?? 0
            try await app.sql.delete(from: "hazard_events").where("seq", .equal, SQLBind(last)).run()
            let r = try await Audit.verify(sql: app.sql)
            #expect(!r.intact)
            #expect(r.lines.contains { $0.contains(hazards[0].lowercased()) })
        }
    }
}

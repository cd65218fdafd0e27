import Crypto
import Foundation
import SafeGridCore
import SQLKit
import Testing
import Vapor
import VaporTesting
@testable import SafeGridApp

/// An IoT platform made through the API (its key comes once) and a device on a subject.
struct TestDevice {
    let platform: String
    let secret: String
    let serial: String
    let id: String
}

/// Makes platform `platform` for `area` (unless `secret` names an existing one's key) and
/// registers a device of `kind` on `subject`.
func makeDevice(_ app: Application, subject: String, platform: String = "plat-test", area: String = BundledAreas.gualiTownCode,
                secret: String? = nil, serial: String = "SD-0001", kind: DeviceKind = .smokeDetector, room: String? = nil) async throws -> TestDevice {
    var key = secret
    if key == nil {
        let p = try await app.send(.POST, "/api/v1/iot-platforms", object: ["id": platform, "name": "烟感平台 \(platform)", "areaCode": area],
                                   token: app.adminToken)
        #expect(p.status == .created, "\(p.body)")
        key = try p.decoded(DevicesController.PlatformDTO.self).secret
    }
    var body: [String: Any] = ["platformId": platform, "serial": serial, "kind": kind.rawValue, "vendor": "海曼", "subjectId": subject,
                               "installedOn": "2026-11-01"]
    if let room { body["room"] = room }
    let d = try await app.send(.POST, "/api/v1/devices", object: body, token: app.adminToken)
    #expect(d.status == .created, "\(d.body)")
    return TestDevice(platform: platform, secret: key ?? "", serial: serial, id: try d.decoded(DevicesController.DeviceDTO.self).id.uuidString)
}

/// Posts `events` to the platform's endpoint, signed with its key at `signedAt` (Unix seconds),
/// unless `signature` / `timestamp` say otherwise (`""` leaves the header out).
func postEvents(_ app: Application, _ device: TestDevice, _ events: [[String: Any]], signedAt: Date = testNow,
                signature: String? = nil, timestamp: String? = nil, raw: String? = nil) async throws -> Reply {
    let body = try raw ?? String(decoding: JSONSerialization.data(withJSONObject: ["events": events], options: [.sortedKeys]), as: UTF8.self)
    let ts = timestamp ?? String(Int64(signedAt.timeIntervalSince1970))
    let sig = signature ?? IoTSignature.sign(body: Data(body.utf8), timestamp: Int64(ts) ?? 0, secret: SymmetricKey(data: Data(device.secret.utf8)))
    var h: HTTPHeaders = [:]
    if !ts.isEmpty { h.add(name: IoTSignature.timestampHeader, value: ts) }
    if !sig.isEmpty { h.add(name: IoTSignature.signatureHeader, value: sig) }
    return try await app.send(.POST, "/api/v1/iot/\(device.platform)/events", json: body, headers: h)
}

func event(_ id: String, _ serial: String, _ kind: DeviceEventKind, at: String = "2026-11-30T09:55:00+08:00") -> [String: Any] {
    ["eventId": id, "serial": serial, "kind": kind.rawValue, "occurredAt": at]
}

@Suite("Smart fire devices: signed events, alarms that become work, offline marks")
struct DeviceTests {
    @Test func aPlatformsEventsAreSignedTimelyAndOnce() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app)
            let subject = try await createEnterprise(app, microGrid: mg)
            let d = try await makeDevice(app, subject: subject)
            #expect(d.secret.count >= 40)
            // The key is shown once: the list has none.
            let listed = try await app.send(.GET, "/api/v1/iot-platforms", token: app.adminToken)
            #expect(try listed.decoded([DevicesController.PlatformDTO].self).map(\.secret) == [nil])

            let beat = [event("hb-1", d.serial, .heartbeat)]
            // Signature and timestamp: missing, malformed, wrong, outside the ±300 s window.
            for (sig, ts, header) in [("", nil as String?, IoTSignature.signatureHeader), (nil, "", IoTSignature.timestampHeader),
                                      ("zz", nil, IoTSignature.signatureHeader), (String(repeating: "0", count: 64), nil, IoTSignature.signatureHeader)] {
                let r = try await postEvents(app, d, beat, signature: sig, timestamp: ts)
                #expect(r.status == .unauthorized, "\(header): \(r.body)")
                #expect(r.body.contains(header), "\(r.body)")
            }
            let late = try await postEvents(app, d, beat, signedAt: testNow.addingTimeInterval(-301))
            #expect(late.status == .unauthorized && late.body.contains(IoTSignature.timestampHeader))
            #expect(try await postEvents(app, d, beat, signedAt: testNow.addingTimeInterval(-300)).status == .ok)
            // Another platform's key, an unknown platform: the same 401.
            var other = d
            other = TestDevice(platform: "nope", secret: d.secret, serial: d.serial, id: d.id)
            #expect(try await postEvents(app, other, beat).status == .unauthorized)
            other = TestDevice(platform: d.platform, secret: "another key", serial: d.serial, id: d.id)
            #expect(try await postEvents(app, other, beat).status == .unauthorized)

            // Idempotent: the same event again is a duplicate; the same id with another body 409.
            let again = try await postEvents(app, d, beat)
            #expect(again.status == .ok)
            #expect(try again.decoded(IoTEventsController.ResultDTO.self).duplicates == 1)
            #expect(try again.decoded(IoTEventsController.ResultDTO.self).accepted == 0)
            let changed = try await postEvents(app, d, [event("hb-1", d.serial, .heartbeat, at: "2026-11-30T09:56:00+08:00")])
            #expect(try changed.status == .conflict && changed.problem().field == "events[0].eventId")
            let stored = try await app.sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("device_messages").first()
            #expect(try stored?.decode(column: "n", as: Int.self) == 1)
        }
    }

    @Test func badEventsAreRefusedWholeAndNothingIsStored() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app)
            let subject = try await createEnterprise(app, microGrid: mg)
            let d = try await makeDevice(app, subject: subject)
            let good = event("ok-1", d.serial, .heartbeat)
            for (bad, field) in [
                (event("e-2", "NO-SUCH", .heartbeat), "events[1].serial"),
                (["eventId": "e-2", "serial": d.serial, "kind": "heartbeat", "occurredAt": "2026-11-30T09:55:00"], "events[1].occurredAt"),
                (event("e-2", d.serial, .heartbeat, at: "2026-11-30T10:20:00+08:00"), "events[1].occurredAt"),  // 20 min ahead
                (event("e-2", d.serial, .laneBlocked), "events[1].kind"),  // a smoke detector sees no lane
                (["eventId": "e-2", "serial": d.serial, "kind": "explosion", "occurredAt": "2026-11-30T09:55:00+08:00"], "events[1].kind"),
                (["serial": d.serial, "kind": "heartbeat", "occurredAt": "2026-11-30T09:55:00+08:00"], "events[1].eventId"),
                (["eventId": "  ", "serial": d.serial, "kind": "heartbeat", "occurredAt": "2026-11-30T09:55:00+08:00"], "events[1].eventId"),
                (["eventId": "", "serial": d.serial, "kind": "heartbeat", "occurredAt": "2026-11-30T09:55:00+08:00"], "events[1].eventId"),
            ] as [([String: Any], String)] {
                let r = try await postEvents(app, d, [good, bad])
                #expect(r.status == .unprocessableEntity, "\(field): \(r.status) \(r.body)")
                #expect(try r.problem().field == field, "\(r.body)")
            }
            let notJSON = try await postEvents(app, d, [], raw: "not json")
            #expect(try notJSON.status == .unprocessableEntity && notJSON.problem().field == "events")
            let empty = try await postEvents(app, d, [])
            #expect(empty.status == .unprocessableEntity)
            let stored = try await app.sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("device_messages").first()
            #expect(try stored?.decode(column: "n", as: Int.self) == 0)
            // A device on a subject outside the platform's area is refused at registration.
            let otherTown = try await CampaignQueries(sql: app.sql, scope: .everything).children(of: BundledAreas.districtCode)
                .map(\.code).first { $0 != BundledAreas.gualiTownCode } ?? ""
            let p = try await app.send(.POST, "/api/v1/iot-platforms", object: ["id": "elsewhere", "name": "别处", "areaCode": otherTown],
                                       token: app.adminToken)
            #expect(p.status == .created)
            let outside = try await app.send(.POST, "/api/v1/devices", object: ["platformId": "elsewhere", "serial": "X1", "kind": "smokeDetector",
                                                                               "vendor": "海曼", "subjectId": subject], token: app.adminToken)
            #expect(try outside.status == .unprocessableEntity && outside.problem().field == "subjectId")
            let taken = try await app.send(.POST, "/api/v1/devices", object: ["platformId": d.platform, "serial": d.serial, "kind": "smokeDetector",
                                                                             "vendor": "海曼", "subjectId": subject], token: app.adminToken)
            #expect(try taken.status == .unprocessableEntity && taken.problem().field == "serial")
        }
    }

    @Test func anAlarmReachesTheWorkersAndConfirmedBecomesAHazardThroughTheLoop() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app)
            try await CampaignStore(sql: app.sql).insert("grid_workers", ["grid_code", "name", "phone"],
                                                         [[String(mg.prefix(14)), "网格员小陈", "13912345678"], [mg, "微网格员小李", "13912345679"]])
            let subject = try await createEnterprise(app, microGrid: mg)
            let d = try await makeDevice(app, subject: subject, serial: "LC-7", kind: .lifeChannelMonitor)
            let before = try await app.send(.GET, "/api/v1/dashboard?areaCode=\(BundledAreas.gualiTownCode)", token: app.adminToken).decoded(DashboardFigures.self)
            // Two lane-blocked events: one alarm, the second a repeat; one SMS to both workers.
            let r = try await postEvents(app, d, [event("a-1", d.serial, .laneBlocked, at: "2026-11-30T09:40:00+08:00"),
                                                  event("a-2", d.serial, .laneBlocked, at: "2026-11-30T09:45:00+08:00")])
            #expect(r.status == .ok, "\(r.body)")
            let result = try r.decoded(IoTEventsController.ResultDTO.self)
            #expect(result.accepted == 2 && result.alarms.map(\.repeated) == [false, true])
            let alarmID = try #require(result.alarms.first?.alarmId)
            let sms = try await app.sql.select().columns("body", "kind").from("messages").where("kind", .equal, SQLBind("deviceAlarm")).all()
            #expect(sms.count == 1)
            #expect(try sms.first?.decode(column: "body", as: String.self) == "【瓜沥除险保安】生命通道占用：杭州恒增纺织有限公司 11-30 09:40，请立即到场核查并在手机上确认。")
            let phones = try await app.sql.select().column("phone").from("message_recipients").all().map { try $0.decode(column: "phone", as: String.self) }
            #expect(Set(phones) == ["13912345678", "13912345679"])
            // Listed open, with its repeat; the summary counts it.
            let open = try await app.send(.GET, "/api/v1/alarms?areaCode=\(mg)", token: app.adminToken).decoded([AlarmsController.AlarmDTO].self)
            #expect(open.map(\.id) == [alarmID] && open[0].repeats == 1 && open[0].state == "raised")
            let summary = try await app.send(.GET, "/api/v1/devices/summary?areaCode=\(BundledAreas.gualiTownCode)", token: app.adminToken)
                .decoded(DevicesController.SummaryDTO.self)
            #expect(summary.installed == 1 && summary.alarming == 1 && summary.openAlarmCount == 1 && summary.online == 1)
            #expect(summary.openAlarms.first?.ageSeconds == 20 * 60)

            // Confirming before anyone arrived is refused; the steps then go in order.
            let early = try await app.send(.POST, "/api/v1/alarms/\(alarmID)/actions", object: ["action": "confirm"], token: app.adminToken)
            #expect(try early.status == .conflict && early.problem().field == "action")
            // Arriving on an alarm nobody took takes it, so it is dated by the server like taking
            // it (10:00, not the 09:50 the phone says): response times cannot be made up.
            let arrived = try await app.send(.POST, "/api/v1/alarms/\(alarmID)/actions",
                                             object: ["action": "arriveOnSite", "occurredAt": "2026-11-30T09:50:00+08:00"], token: app.adminToken)
            #expect(arrived.status == .ok, "\(arrived.body)")
            let onSite = try arrived.decoded(AlarmsController.AlarmDTO.self)
            #expect(onSite.acknowledgedAt == Timestamp.format(testNow) && onSite.onSiteAt == Timestamp.format(testNow))
            let again = try await app.send(.POST, "/api/v1/alarms/\(alarmID)/actions", object: ["action": "acknowledge"], token: app.adminToken)
            #expect(again.status == .conflict)
            // Later steps may be dated back 30 minutes, not 31 (and never before the last step).
            let tooEarly = try await app.send(.POST, "/api/v1/alarms/\(alarmID)/actions",
                                              object: ["action": "confirm", "occurredAt": "2026-11-30T09:29:00+08:00"], token: app.adminToken)
            #expect(try tooEarly.status == .unprocessableEntity && tooEarly.problem().field == "occurredAt")
            let confirmed = try await app.send(.POST, "/api/v1/alarms/\(alarmID)/actions",
                                               object: ["action": "confirm", "note": "货物堆放堵塞消防车道"], token: app.adminToken)
            #expect(confirmed.status == .ok, "\(confirmed.body)")
            let alarm = try confirmed.decoded(AlarmsController.AlarmDTO.self)
            #expect(alarm.state == "confirmed" && alarm.itemCode == "LANE-01" && alarm.acknowledgeSeconds == 1_200 && alarm.onSiteSeconds == 1_200)
            let hazardID = try #require(alarm.hazardId)
            // The hazard is an ordinary one: on the subject, open, in the counters and the colour.
            let hazard = try await app.send(.GET, "/api/v1/hazards/\(hazardID)", token: app.adminToken).decoded(HazardDTO.self)
            #expect(hazard.itemCode == "LANE-01" && hazard.state == "open" && hazard.subjectId.uuidString == subject)
            let after = try await app.send(.GET, "/api/v1/dashboard?areaCode=\(BundledAreas.gualiTownCode)", token: app.adminToken).decoded(DashboardFigures.self)
            #expect(after.hazardsFound == before.hazardsFound + 1)
            let s = try await app.send(.GET, "/api/v1/subjects/\(subject)", token: app.adminToken).decoded(SubjectsController.SubjectDetailDTO.self).subject
            #expect(s.colour?.key == "serious.notRectified")
            let events = try await app.sql.select().column("kind").from("hazard_events").where("hazard_id", .equal, SQLBind(hazardID)).all()
            #expect(events.count == 1)
            // Closed: no further step.
            let more = try await app.send(.POST, "/api/v1/alarms/\(alarmID)/actions", object: ["action": "acknowledge"], token: app.adminToken)
            #expect(more.status == .conflict)
        }
    }

    @Test func threeFalseAlarmsInAMonthFlagTheDeviceAndTheJobMarksSilentDevicesOfflineOnce() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app)
            let subject = try await createEnterprise(app, microGrid: mg)
            let d = try await makeDevice(app, subject: subject)
            for (i, hour) in ["07", "08", "09"].enumerated() {
                let r = try await postEvents(app, d, [event("s-\(i)", d.serial, .smoke, at: "2026-11-30T\(hour):00:00+08:00")])
                let id = try #require(try r.decoded(IoTEventsController.ResultDTO.self).alarms.first?.alarmId)
                let noReason = try await app.send(.POST, "/api/v1/alarms/\(id)/actions", object: ["action": "declareFalseAlarm"], token: app.adminToken)
                // From raised a false alarm needs someone to take it first.
                #expect(noReason.status == .unprocessableEntity || noReason.status == .conflict)
                _ = try await app.send(.POST, "/api/v1/alarms/\(id)/actions", object: ["action": "acknowledge", "occurredAt": "2026-11-30T\(hour):05:00+08:00"],
                                       token: app.adminToken)
                let other = try await app.send(.POST, "/api/v1/alarms/\(id)/actions", object: ["action": "declareFalseAlarm", "reason": "other"],
                                               token: app.adminToken)
                #expect(try other.status == .unprocessableEntity && other.problem().field == "note")
                let f = try await app.send(.POST, "/api/v1/alarms/\(id)/actions", object: ["action": "declareFalseAlarm", "reason": "cookingOrSteam"],
                                           token: app.adminToken)
                #expect(f.status == .ok, "\(f.body)")
                // Taking an alarm is dated by the server, whatever the phone says.
                #expect(try f.decoded(AlarmsController.AlarmDTO.self).acknowledgedAt == Timestamp.format(testNow))
                let device = try await app.send(.GET, "/api/v1/devices/\(d.id)", token: app.adminToken).decoded(DevicesController.DeviceDTO.self)
                #expect((device.maintenanceSince != nil) == (i == 2), "after \(i + 1) false alarms")
            }
            // Offline: the server last heard the device at 10:00 (its clock, not the device's);
            // a day later the job marks it, once.
            let dayLater = try Timestamp.parse("2026-12-01T10:01:00+08:00")
            #expect(try await DeadlineJobs.markDevicesOffline(app: app, now: dayLater) == 1)
            #expect(try await DeadlineJobs.markDevicesOffline(app: app, now: dayLater.addingTimeInterval(60)) == 0)
            let offline = try await app.send(.GET, "/api/v1/devices?areaCode=\(mg)&state=offline", token: app.adminToken)
                .decoded([DevicesController.DeviceDTO].self)
            #expect(offline.map(\.id.uuidString) == [d.id])
            // Its next message brings it back.
            _ = try await postEvents(app, d, [event("hb-late", d.serial, .heartbeat)])
            let online = try await app.send(.GET, "/api/v1/devices/\(d.id)", token: app.adminToken).decoded(DevicesController.DeviceDTO.self)
            #expect(online.connectivity == "online" && online.offlineSince == nil)
            let bad = try await app.send(.GET, "/api/v1/devices?state=asleep", token: app.adminToken)
            #expect(try bad.status == .unprocessableEntity && bad.problem().field == "state")
        }
    }

    @Test func alarmsAreSeenAndHandledOnlyInsideTheArea() async throws {
        try await withSafeGrid { app in
            let villages = try await CampaignQueries(sql: app.sql, scope: .everything).children(of: BundledAreas.gualiTownCode).map(\.code)
            let mgA = try await addMicroGrid(app, village: villages[0]), mgB = try await addMicroGrid(app, village: villages[1])
            let a = try await createEnterprise(app, microGrid: mgA, serial: "MA2AB3CD"), b = try await createEnterprise(app, microGrid: mgB, serial: "MA2AB3CE")
            let da = try await makeDevice(app, subject: a, serial: "A1")
            let db = try await makeDevice(app, subject: b, secret: da.secret, serial: "B1")
            let ra = try await postEvents(app, da, [event("x1", da.serial, .smoke)])
            let rb = try await postEvents(app, db, [event("x2", db.serial, .smoke)])
            let alarmB = try #require(try rb.decoded(IoTEventsController.ResultDTO.self).alarms.first?.alarmId)
            _ = ra
            let officer = try await makeAccount(app, "v.a", role: .villageOfficer, area: villages[0])
            let mine = try await app.send(.GET, "/api/v1/alarms", token: officer).decoded([AlarmsController.AlarmDTO].self)
            #expect(mine.map(\.subjectId.uuidString) == [a])
            #expect(try await app.send(.GET, "/api/v1/alarms/\(alarmB)", token: officer).status == .notFound)
            #expect(try await app.send(.POST, "/api/v1/alarms/\(alarmB)/actions", object: ["action": "acknowledge"], token: officer).status == .notFound)
            #expect(try await app.send(.GET, "/api/v1/devices/\(db.id)", token: officer).status == .notFound)
            #expect(try await app.send(.GET, "/api/v1/devices/summary?areaCode=\(villages[1])", token: officer).status == .notFound)
            let viewer = try await makeAccount(app, "v.view", role: .viewer, area: villages[1])
            #expect(try await app.send(.POST, "/api/v1/alarms/\(alarmB)/actions", object: ["action": "acknowledge"], token: viewer).status == .forbidden)
        }
    }
}

import Foundation
import SafeGridCore
import SQLKit
import Testing
import Vapor
import VaporTesting
@testable import SafeGridApp

/// Every route × every role × inside/outside the person's area. The routes come from
/// the router, so a route added later is walked too — and one with a path parameter this test
/// cannot fill fails it until the parameter is taught below.
@Suite("Authorization: every route, every role, inside and outside the area")
struct AuthorizationTests {
    /// One village's campaign slice: a grid, micro-grid, enterprise, inspection and hazards.
    struct Slice {
        let village: String
        let grid: String
        let microGrid: String
        let subject: String
        let subjectName: String
        let inspection: String
        /// ELEC-01 (fire rescue) first, then PROD-01 (emergency management).
        let hazards: [String]
        /// The field photo of the ELEC-01 hazard (uploaded by the district admin).
        let photo: String
        /// A smoke detector on the enterprise, and the alarm it raised.
        let device: String
        let alarm: String
        /// A resident's report at the enterprise (with a photo), routed to its micro-grid.
        let report: String
    }

    struct Person {
        let role: Role
        let token: String
        let area: String
        /// Whether slice B (another village of the same town) lies outside the person's area.
        let bOutside: Bool
    }

    static let marker = "乙村隐患企业"

    func slice(_ app: Application, village: String, name: String, serial: String, latitude: Double) async throws -> Slice {
        let mg = try await addMicroGrid(app, village: village)
        var body = enterpriseBody(microGrid: mg, credit: creditCode(serial),
                                  location: ["latitude": latitude, "longitude": 120.46, "datum": "gcj02"])
        body["name"] = name
        let s = try await app.send(.POST, "/api/v1/subjects", object: body, token: app.adminToken)
        #expect(s.status == .created, "\(s.body)")
        let subject = try s.decoded(SubjectDTO.self).id.uuidString
        let photo = try await app.send(.POST, "/api/v1/photos", bytes: plainJPEG(name), token: app.adminToken)
        let photoID = try photo.decoded(PhotosController.PhotoDTO.self).id
        let i = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: subject, results: [
            ["itemCode": "ELEC-01", "outcome": "hazard", "note": "车间电线未穿管", "photos": [photoID]],
            ["itemCode": "PROD-01", "outcome": "hazard"],
            ["itemCode": "FIRE-01", "outcome": "pass"],
        ]), token: app.adminToken)
        #expect(i.status == .created, "\(i.body)")
        let inspection = try i.decoded(InspectionDTO.self)
        let hazards = inspection.hazards.sorted { $0.itemCode < $1.itemCode }
        let signed = try await app.send(.POST, "/api/v1/inspections/\(inspection.id.uuidString)/signature",
                                        object: ["signerName": "王建国", "image": signaturePNG], token: app.adminToken)
        #expect(signed.status == .created, "\(signed.body)")
        let device = try await makeDevice(app, subject: subject, platform: "p-" + serial.lowercased(), serial: "SD-" + serial)
        let raised = try await postEvents(app, device, [event("smoke-" + serial, device.serial, .smoke)])
        let alarm = try #require(try raised.decoded(IoTEventsController.ResultDTO.self).alarms.first?.alarmId.uuidString)
        let at = try GeoPoint(latitude: latitude, longitude: 120.46, datum: .gcj02).converted(to: .wgs84)
        let reported = try await app.send(.POST, "/api/v1/resident/reports", object: [
            "serviceCode": "LANE-01", "description": "\(name)门口消防通道堵了", "latitude": at.latitude, "longitude": at.longitude,
            "anonymous": true, "photos": ["data:image/jpeg;base64," + Data(framedJPEG(name + "-report")).base64EncodedString()]], token: "")
        #expect(reported.status == .created, "\(reported.body)")
        let report = try reported.decoded(ResidentController.Receipt.self).id.uuidString
        return Slice(village: village, grid: String(mg.prefix(14)), microGrid: mg, subject: subject, subjectName: name,
                     inspection: inspection.id.uuidString, hazards: hazards.map(\.id.uuidString), photo: photoID,
                     device: device.id, alarm: alarm, report: report)
    }

    /// Two villages of 瓜沥 with one enterprise each, and one person per role whose area holds
    /// village A (and, for the town-wide and district roles, B too).
    func campaign(_ app: Application) async throws -> (a: Slice, b: Slice, people: [Person]) {
        let villages = try await CampaignQueries(sql: app.sql, scope: .everything).children(of: BundledAreas.gualiTownCode).map(\.code)
        // 2.2 km apart: a report at each is routed to its own enterprise's micro-grid.
        let a = try await slice(app, village: villages[0], name: "甲村企业", serial: "MA2AB3CD", latitude: 30.18)
        let b = try await slice(app, village: villages[1], name: Self.marker, serial: "MA2AB3CE", latitude: 30.20)
        let town = BundledAreas.gualiTownCode
        var people: [Person] = [Person(role: .districtAdmin, token: app.adminToken, area: BundledAreas.districtCode, bOutside: false)]
        for (role, area, department, outside) in [
            (Role.townAdmin, town, Department?.none, false), (.departmentInspector, town, .fireRescue, false),
            (.villageOfficer, a.village, nil, true), (.gridWorker, a.grid, nil, true), (.microGridWorker, a.microGrid, nil, true),
            (.viewer, a.village, nil, true),
        ] {
            people.append(Person(role: role, token: try await makeAccount(app, "t.\(role.rawValue.lowercased())", role: role,
                                                                           area: area, department: department), area: area, bOutside: outside))
        }
        // A town admin of another town: both villages lie outside.
        let otherTown = try await CampaignQueries(sql: app.sql, scope: .everything).children(of: BundledAreas.districtCode)
            .map(\.code).first { $0 != town }!
        people.append(Person(role: .townAdmin, token: try await makeAccount(app, "t.othertown", role: .townAdmin, area: otherTown),
                             area: otherTown, bOutside: true))
        return (a, b, people)
    }

    /// The path of `route` with its parameters filled from `slice`, or `nil` for a parameter
    /// that does not depend on an area (the test then uses a fixed value).
    static func fill(_ route: Route, _ s: Slice) -> String? {
        var out: [String] = []
        var previous = ""
        for c in route.path {
            switch c {
            case .constant(let v):
                out.append(v)
                previous = v
            case .parameter(let name):
                let value: String? = switch (previous, name) {
                case ("subjects", "id"): s.subject
                case ("hazards", "id"): s.hazards.first
                case ("inspections", "id"): s.inspection
                case ("photos", "id"): s.photo
                case ("devices", "id"): s.device
                case ("alarms", "id"): s.alarm
                case ("reports", "id"): s.report
                case ("photos", "n"): "0"
                case ("villages", "code"): s.village
                case ("grids", "code"): s.grid
                case ("areas", "code"): s.microGrid
                case ("checklists", "version"): "1"
                case ("webhooks", "id"), ("users", "id"), ("evidence", "evidence"), ("imports", "id"): UUID().uuidString
                case ("e", "token"), ("hazards", "hazard"), ("evidence", "evidence"), ("dlr", "id"): nil
                default: nil
                }
                guard let value else { return nil }
                out.append(value)
            case .anything, .catchall:
                return nil
            }
        }
        return "/" + out.joined(separator: "/")
    }

    static func isPublic(_ path: String) -> Bool {
        ["/login", "/assets/", "/field", "/e/", "/healthz", "/readyz", "/metrics", "/openapi.json", "/open311/", "/sms/"]
            .contains { path == $0 || path.hasPrefix($0) } || path == "/api/v1/auth/token"
            || path == "/api/v1/clearance"  // a licensing system's API key, not a person's token (ClearanceTests)
            || path.hasPrefix("/api/v1/iot/")  // an IoT platform's signed events, no account (DeviceTests)
            || path.hasPrefix("/api/v1/resident/") || path == "/report" // residents, no account (ResidentReportTests)
    }

    @Test func everyRouteEveryRoleInsideAndOutside() async throws {
        try await withSafeGrid { app in
            let (a, b, people) = try await campaign(app)
            var walked = 0
            for route in app.routes.all {
                let template = "/" + route.path.map(\.description).joined(separator: "/")
                guard let inside = Self.fill(route, a), let outside = Self.fill(route, b) else {
                    let parameters = route.path.compactMap { c -> String? in if case .parameter(let n) = c { return n } else { return nil } }
                    let known = ["/e/:token", "/sms/dlr/:id", "/evidence/:evidence", "/open311/", "/assets/:script", "/field/:file", "/screen/:file",
                                 "/report/:file", "/api/v1/iot/:platform", "/api/v1/resident/reports/:token"].contains { template.hasPrefix($0) }
                    #expect(known, "route \(route.method) \(template): teach AuthorizationTests.fill its parameters \(parameters)")
                    continue
                }
                if Self.isPublic(inside) { continue }
                // Signing out ends the walker's own sessions; AccountTests covers both.
                if template == "/api/v1/auth/token" || template == "/logout" { continue }
                walked += 1
                let write = route.method != .GET && route.method != .HEAD
                let json = write ? "{}" : nil

                // Nobody signed in: 401 for the API; a browser's page GET goes to /login.
                let anonymous = try await app.send(route.method, inside, json: json, token: "")
                if inside.hasPrefix("/api/") || write {
                    #expect(anonymous.status == .unauthorized, "anonymous \(route.method) \(inside): \(anonymous.status)")
                } else {
                    #expect(anonymous.status == .seeOther || anonymous.status == .found, "anonymous page \(inside): \(anonymous.status)")
                    #expect(anonymous.headers.first(name: .location)?.hasPrefix("/login?next=") == true)
                }
                // A forged token.
                let forged = try await app.send(route.method, inside, json: json, token: "forged-" + UUID().uuidString)
                #expect(forged.status == .unauthorized, "forged token \(route.method) \(inside): \(forged.status)")

                // The live stream never ends for a reader who may see the area; here only what
                // answers at once: another area is 404 like an unknown one (LiveTests reads the stream).
                if template == "/api/v1/stream" {
                    for p in people where p.bOutside {
                        let o = try await app.send(.GET, inside + "?areaCode=\(b.village)", token: p.token)
                        #expect(o.status == .notFound && !o.body.contains(Self.marker), "\(p.role) stream of B: \(o.status)")
                    }
                    continue
                }
                // Whether the route names an object of the slice (subject, hazard, inspection, area).
                let areaBound = template.contains(":") && !["checklists", "webhooks/:", "users/:", "evidence/:", "imports/:"].contains { template.contains($0) }
                let isTasks = template == "/api/v1/tasks" || template == "/tasks"
                let listQuery = template == "/api/v1/inspections" ? "?subjectId=\(a.subject)" : isTasks ? "?areaCode=\(a.microGrid)" : ""
                let listQueryB = template == "/api/v1/inspections" ? "?subjectId=\(b.subject)" : isTasks ? "?areaCode=\(b.microGrid)" : ""
                for p in people {
                    let adminOnly = (["/api/v1/users", "/api/v1/webhooks", "/api/v1/imports", "/imports", "/api/v1/key-hazards/rank",
                                      "/api/v1/tasks/directed", "/api/v1/enforcement/teams", "/api/v1/iot-platforms"].contains { template.hasPrefix($0) }
                                     && !(template == "/api/v1/enforcement/teams" && route.method == .GET))
                        || (template == "/api/v1/devices" && route.method == .POST)
                        || template.hasSuffix("/close-down")
                    // A's object lies inside the person's area when the area holds A's micro-grid
                    // and, for area routes, the area asked for lies inside the person's area.
                    let filledArea = inside.split(separator: "/").last.map(String.init) ?? ""
                    let isAreaRoute = ["villages/:", "grids/:", "areas/:"].contains { template.contains($0) }
                    let aInside = a.microGrid.hasPrefix(p.area) && (!isAreaRoute || filledArea.hasPrefix(p.area))
                    // A list about A's subject answers like a detail of it.
                    let listOfA = !listQuery.isEmpty
                    let r = try await app.send(route.method, inside + listQuery, json: json, token: p.token)
                    if adminOnly && !p.role.administers {
                        #expect(r.status == .forbidden, "\(p.role) \(route.method) \(inside): \(r.status) (admin only)")
                    } else if write && !p.role.writes {
                        #expect(r.status == .forbidden, "viewer \(route.method) \(inside): \(r.status)")
                    } else if !write && (areaBound || listOfA) {
                        #expect(r.status == (aInside ? .ok : .notFound), "\(p.role) GET \(inside): \(r.status) \(r.body.prefix(200))")
                    } else if !write && (template == "/" || template == "/dashboard") && p.area != BundledAreas.districtCode && p.area != BundledAreas.gualiTownCode {
                        #expect(r.status == .seeOther, "\(p.role) GET \(inside): \(r.status)")
                    } else if !write && template == "/api/v1/incidents" && [.gridWorker, .microGridWorker].contains(p.role) {
                        // Incidents are counted per village and town: a grid's own figures do not exist.
                        #expect(r.status == .unprocessableEntity, "\(p.role) GET \(inside): \(r.status) \(r.body.prefix(200))")
                    } else if !write && template == "/screen" {
                        // The shell lives at /screen/ (relative URLs resolve under it).
                        #expect(r.status == .movedPermanently && r.headers.first(name: .location) == "/screen/", "\(p.role) GET /screen: \(r.status)")
                    } else if !write && !adminOnly && !template.contains("evidence") && !template.contains("imports") {
                        #expect(r.status == .ok, "\(p.role) GET \(inside): \(r.status) \(r.body.prefix(200))")
                    }
                    #expect(r.status != .unauthorized && r.status != .internalServerError, "\(p.role) \(route.method) \(inside): \(r.status)")

                    // Outside: 404 for anything that names slice B; B never shows in lists or counts.
                    guard p.bOutside else { continue }
                    let o = try await app.send(route.method, outside + listQueryB, json: json, token: p.token)
                    #expect(!o.body.contains(Self.marker) && (!o.body.contains(b.subject) || (outside + listQueryB).contains(b.subject)), "\(p.role) \(route.method) \(outside) leaked B: \(o.body.prefix(300))")
                    if areaBound {
                        #expect(![.ok, .created, .noContent].contains(o.status), "\(p.role) \(route.method) \(outside): \(o.status)")
                        if !write { #expect(o.status == .notFound, "\(p.role) GET \(outside): \(o.status)") }
                    }
                    if !write, !template.contains(":"), !adminOnly {
                        // Lists asked for B's area: 404 like an unknown area, never B's rows.
                        let filtered = try await app.send(.GET, inside + (listQuery.isEmpty ? "?" : listQuery + "&") + "areaCode=\(b.village)", token: p.token)
                        #expect(!filtered.body.contains(Self.marker), "\(p.role) \(inside)?areaCode=B leaked B")
                        if inside.hasPrefix("/api/v1/dashboard") || inside.hasPrefix("/api/v1/subjects") || inside.hasPrefix("/api/v1/hazards")
                            || inside.hasPrefix("/api/v1/incidents") {
                            #expect(filtered.status == .notFound, "\(p.role) \(inside)?areaCode=B: \(filtered.status)")
                        }
                    }
                }
            }
            #expect(walked >= 30, "walked \(walked) routes")
        }
    }

    @Test func listsAndFiguresCountOnlyTheArea() async throws {
        try await withSafeGrid { app in
            let (a, _, people) = try await campaign(app)
            let grid = try #require(people.first { $0.role == .gridWorker })
            let subjects = try await app.send(.GET, "/api/v1/subjects", token: grid.token)
            #expect(try subjects.decoded(Page<SubjectDTO>.self).total == 1)
            let hazards = try await app.send(.GET, "/api/v1/hazards", token: grid.token)
            #expect(try hazards.decoded(Page<HazardDTO>.self).total == 2)
            let admin = try await app.send(.GET, "/api/v1/hazards", token: app.adminToken)
            #expect(try admin.decoded(Page<HazardDTO>.self).total == 4)
            // The grid worker's dashboard defaults to the grid and counts its 2 hazards.
            let dashboard = try await app.send(.GET, "/api/v1/dashboard", token: grid.token)
            #expect(dashboard.status == .ok)
            let figures = try dashboard.decoded(DashboardFigures.self)
            #expect(figures.area.code == a.grid)
            #expect(figures.hazardsFound == 2)
            // The town's and the village's dashboards are outside the grid: 404, as for no area.
            #expect(try await app.send(.GET, "/api/v1/dashboard?areaCode=\(BundledAreas.gualiTownCode)", token: grid.token).status == .notFound)
            #expect(try await app.send(.GET, "/api/v1/dashboard?areaCode=\(a.village)", token: grid.token).status == .notFound)
            // Areas: only the grid and what lies below.
            let areas = try await app.send(.GET, "/api/v1/areas?level=village", token: grid.token)
            #expect(try areas.decoded([AreaDTO].self).isEmpty)
            // The change feed: only the area's events.
            let feed = try await app.send(.GET, "/api/v1/changes", token: grid.token)
            let changes = try feed.decoded(ChangesController.Page.self).changes
            #expect(changes.count == 2 && changes.allSatisfy { $0.subjectId.uuidString == a.subject })
        }
    }

    @Test func phoneNumbersAreShownOnlyToRolesThatCallParties() async throws {
        try await withSafeGrid { app in
            let (a, _, people) = try await campaign(app)
            for p in people where !p.bOutside || p.role != .townAdmin {
                let r = try await app.send(.GET, "/api/v1/subjects/\(a.subject)", token: p.token)
                let phone = try r.decoded(SubjectsController.SubjectDetailDTO.self).subject.party.phone
                if p.role.seesPartyPhoneNumbers {
                    #expect(phone.replacingOccurrences(of: " ", with: "") == "13800000000", "\(p.role): \(phone)")
                } else {
                    #expect(phone == "138****0000", "\(p.role): \(phone)")
                }
            }
        }
    }

    @Test func departmentInspectorsSignOffOnlyTheirDepartmentsItems() async throws {
        try await withSafeGrid { app in
            let (a, _, people) = try await campaign(app)
            let inspector = try #require(people.first { $0.role == .departmentInspector })
            let details = try await app.send(.GET, "/api/v1/subjects/\(a.subject)", token: inspector.token)
            let hazards = try details.decoded(SubjectsController.SubjectDetailDTO.self).hazards
            let fire = try #require(hazards.first { $0.department == "fireRescue" }?.id.uuidString)
            let other = try #require(hazards.first { $0.department != "fireRescue" }?.id.uuidString)
            let body: [String: Any] = ["action": "startRectification", "actor": "李伟"]
            #expect(try await app.send(.POST, "/api/v1/hazards/\(other)/actions", object: body, token: inspector.token).status == .forbidden)
            let ok = try await app.send(.POST, "/api/v1/hazards/\(fire)/actions", object: body, token: inspector.token)
            #expect(ok.status == .ok, "\(ok.body)")
        }
    }

    @Test func aGridWorkerCannotActOnAnotherGridsHazard() async throws {
        try await withSafeGrid { app in
            let (_, b, people) = try await campaign(app)
            let grid = try #require(people.first { $0.role == .gridWorker })
            let body: [String: Any] = ["action": "startRectification", "actor": "李伟"]
            let r = try await app.send(.POST, "/api/v1/hazards/\(b.hazards[0])/actions", object: body, token: grid.token)
            #expect(r.status == .notFound)
            #expect(!r.body.contains(Self.marker))
            let inspection = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: b.subject), token: grid.token)
            #expect(inspection.status == .unprocessableEntity)
            // 关停 is not a grid worker's to order at all.
            let close = try await app.send(.POST, "/api/v1/subjects/\(b.subject)/close-down",
                                           object: ["actor": "张三", "reason": "test"], token: grid.token)
            #expect(close.status == .forbidden && !close.body.contains(Self.marker))
            // Nothing changed in B.
            let admin = try await app.send(.GET, "/api/v1/hazards/\(b.hazards[0])", token: app.adminToken)
            #expect(try admin.decoded(HazardDTO.self).state == "open")
        }
    }

    @Test func licensingSystemsAskWhetherASubjectPassed() async throws {
        try await withSafeGrid { app in
            let (a, _, _) = try await campaign(app)
            let key = try await app.writeGate.transaction(on: app.db, changesCampaign: false) { sql in
                try await ApiClients.create(sql: sql, name: "市场监管许可", scopes: ["clearance"], at: testNow)
            }
            let open311Key = try await app.writeGate.transaction(on: app.db, changesCampaign: false) { sql in
                try await ApiClients.create(sql: sql, name: "四平台", scopes: ["open311"], at: testNow)
            }
            func ask(_ query: String, key: String?) async throws -> Reply {
                try await app.send(.GET, "/api/v1/clearance?\(query)", headers: key.map { ["X-API-Key": $0] } ?? [:], token: "")
            }
            #expect(try await ask("creditCode=\(creditCode("MA2AB3CD"))", key: nil).status == .unauthorized)
            #expect(try await ask("creditCode=\(creditCode("MA2AB3CD"))", key: open311Key).status == .unauthorized)
            let blocked = try await ask("creditCode=\(creditCode("MA2AB3CD"))", key: key)
            #expect(blocked.status == .ok, "\(blocked.body)")
            let blockedDTO = try blocked.decoded(ClearanceController.ClearanceDTO.self)
            #expect(blockedDTO.result == "blocked")
            let hazards = blockedDTO.blockingHazards
            #expect(hazards.map(\.itemCode).sorted() == ["ELEC-01", "PROD-01"])
            #expect(hazards.first { $0.itemCode == "ELEC-01" }?.dueOn == "2026-12-15")
            let byId = try await ask("subjectId=\(a.subject)", key: key)
            #expect(try byId.decoded(ClearanceController.ClearanceDTO.self).result == "blocked")
            // Rectify and verify both: passed.
            for h in a.hazards {
                for action in ["startRectification", "verifyRectified"] {
                    let r = try await app.send(.POST, "/api/v1/hazards/\(h)/actions", object: ["action": action, "actor": "李伟"], token: app.adminToken)
                    #expect(r.status == .ok, "\(r.body)")
                }
            }
            let passed = try await ask("creditCode=\(creditCode("MA2AB3CD").lowercased())", key: key)
            let passedDTO = try passed.decoded(ClearanceController.ClearanceDTO.self)
            #expect(passedDTO.result == "passed", "\(passed.body)")
            #expect(passedDTO.blockingHazards.isEmpty == true)
            // Bad and unknown codes.
            let bad = try await ask("creditCode=91330109MA2AB3CDXX", key: key)
            #expect(try bad.status == .unprocessableEntity && bad.problem().field == "creditCode")
            #expect(try await ask("creditCode=\(creditCode("MA2AB3CF"))", key: key).status == .notFound)
            #expect(try await ask("", key: key).status == .unprocessableEntity)
            // Every call is logged, the refused ones too (not those without a key).
            let logged = try await app.sql.select().columns("result").from("clearance_calls").orderBy("seq").all()
                .map { try $0.decode(column: "result", as: String.self) }
            #expect(logged == ["blocked", "blocked", "passed", "invalid", "unknown", "invalid"])
        }
    }
}

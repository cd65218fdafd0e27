import Crypto
import Foundation
import SQLKit
import SafeGridCore
import Vapor

/// `/api/v1/iot-platforms` and `/api/v1/devices`: the smart fire devices (智建 / 智慧消防) the
/// article plans for 瓜沥 — 6,208 smart smoke detectors, 237 life-channel monitors, 140 e-bike
/// charging piles, 124 fire-point monitors (``DevicePlan``) — bound to subjects, and the IoT
/// platforms they report through.
///
/// Jurisdiction: devices are read and registered inside the reader's area (their subject's);
/// an area outside it is 404 like an unknown one. Platforms and devices are registered by admins.
enum DevicesController {
    // MARK: Platforms

    struct PlatformInput: Content {
        /// 2–32 characters of `a-z`, `0-9`, `-`: the platform's name in its event URL.
        let id: String?
        let name: String?
        /// The area it serves: a town or village code inside the admin's area.
        let areaCode: String?
    }

    struct PlatformDTO: Content {
        let id: String
        let name: String
        let areaCode: String
        let active: Bool
        let createdAt: String
        /// `POST /api/v1/iot/{id}/events`.
        let eventsURL: String
        /// The HMAC-SHA256 key (its UTF-8 bytes are the key), only in the answer that made it.
        let secret: String?

        init(_ p: IoTPlatformRow, secret: String? = nil) {
            id = p.id
            name = p.name
            areaCode = p.areaCode
            active = p.active
            createdAt = Timestamp.format(p.createdAt)
            eventsURL = "/api/v1/iot/\(p.id)/events"
            self.secret = secret
        }
    }

    /// `POST /api/v1/iot-platforms` (admins): makes a platform and answers its key once (201).
    /// - Throws: 422 on `id` (shape, taken), `name`, `areaCode` (unknown or outside the admin's area).
    static func createPlatform(_ req: Request) async throws -> Response {
        let input = try req.content.decode(PlatformInput.self)
        let account = try req.account()
        guard let id = input.id?.trimmingCharacters(in: .whitespaces), (2...32).contains(id.count),
              id.utf8.allSatisfy({ (97...122).contains($0) || (48...57).contains($0) || $0 == 45 }) else {
            throw DomainError.invalid("id", "id is 2 to 32 characters of a-z, 0-9 and '-' (it goes in the platform's URL)")
        }
        let name = try TextRules.required(input.name, "name", max: TextRules.subjectName)
        guard let area = input.areaCode, req.queries.sees(area: area), try await req.queries.area(area) != nil else {
            throw DomainError.invalid("areaCode", "no area \(input.areaCode ?? "") in your jurisdiction")
        }
        let secret = AuthSessions.randomToken()
        let now = req.services.now()
        let row = IoTPlatformRow(id: id, name: name, areaCode: area, secret: secret, active: true,
                                 createdBy: account.username, createdAt: now)
        try await req.application.writeGate.transaction(on: req.db, changesCampaign: false) { sql in
            let store = DeviceStore(sql: sql)
            guard try await store.platform(id) == nil else { throw DomainError.invalid("id", "a platform named '\(id)' exists") }
            try await store.insert(platform: row)
        }
        return try Response.json(PlatformDTO(row, secret: secret), status: .created)
    }

    /// `GET /api/v1/iot-platforms` (admins): the platforms serving areas the admin sees, without keys.
    static func platforms(_ req: Request) async throws -> [PlatformDTO] {
        try await DeviceStore(sql: req.sql).platforms(in: req.jurisdiction).map { PlatformDTO($0) }
    }

    // MARK: Devices

    struct DeviceInput: Content {
        let platformId: String?
        /// The platform's name for the device (its serial), 1–64 characters, unique per platform.
        let serial: String?
        let kind: String?
        let vendor: String?
        let subjectId: String?
        /// The room of a rental house (出租房), e.g. `201`.
        let room: String?
        /// `YYYY-MM-DD`, not after today.
        let installedOn: String?
        /// GCJ-02 degrees, both or neither.
        let latitude: Double?
        let longitude: Double?
    }

    struct DeviceDTO: Content {
        let id: UUID
        let platformId: String
        let serial: String
        let kind: String
        let kindName: String
        let vendor: String
        let subjectId: UUID
        let room: String?
        let installedOn: String?
        let latitude: Double?
        let longitude: Double?
        let microGridCode: String
        /// `online`, `offline`.
        let connectivity: String
        let lastMessageAt: String?
        let offlineSince: String?
        let faultSince: String?
        let batteryLowSince: String?
        /// 需维保: flagged after repeated false alarms (``DeviceAlarmRules/needsMaintenance(falseAlarms:now:)``).
        let maintenanceSince: String?
        let registeredAt: String

        init(_ d: DeviceRow) {
            id = d.id
            platformId = d.platformId
            serial = d.serial
            kind = d.kind
            kindName = d.deviceKind.zh
            vendor = d.vendor
            subjectId = d.subjectId
            room = d.room
            installedOn = d.installedOn
            latitude = d.latitude
            longitude = d.longitude
            microGridCode = d.microGridCode
            connectivity = d.offlineSince == nil ? "online" : "offline"
            lastMessageAt = d.lastMessageAt.map(Timestamp.format)
            offlineSince = d.offlineSince.map(Timestamp.format)
            faultSince = d.faultSince.map(Timestamp.format)
            batteryLowSince = d.batteryLowSince.map(Timestamp.format)
            maintenanceSince = d.maintenanceSince.map(Timestamp.format)
            registeredAt = Timestamp.format(d.registeredAt)
        }
    }

    /// `POST /api/v1/devices` (admins): registers a device bound to a subject inside both the
    /// admin's area and the platform's (201).
    /// - Throws: 422 naming `platformId`, `serial` (blank, too long, taken on the platform),
    ///   `kind`, `vendor`, `subjectId` (unknown, outside the platform's area, closed down), `room`,
    ///   `installedOn` (not a day, after today), `latitude`/`longitude`. The rules are
    ///   ``DeviceRegistration/check(_:platform:subject:subjectName:existing:updates:now:)``'s, which
    ///   the device ledger import applies to each row.
    static func register(_ req: Request) async throws -> Response {
        let input = try req.content.decode(DeviceInput.self)
        let kind: DeviceKind = try Input.enumValue(input.kind ?? "", "kind")
        // Text fields are checked by DeviceRegistration; these are the request's own shapes.
        let subjectID = try Input.uuid(input.subjectId, "subjectId")
        let installed = try Input.calendarDate(input.installedOn, "installedOn")
        let position: GeoPoint?
        switch (input.latitude, input.longitude) {
        case (nil, nil): position = nil
        case (let lat?, let lon?):
            do { position = try GeoPoint(latitude: lat, longitude: lon, datum: .gcj02) } catch { throw DomainError.invalid("latitude", error) }
        case (nil, _?): throw DomainError.invalid("latitude", "give latitude with longitude")
        case (_?, nil): throw DomainError.invalid("longitude", "give longitude with latitude")
        }
        let particulars = DeviceParticulars(platformID: input.platformId ?? "", serial: input.serial, kind: kind, vendor: input.vendor,
                                            room: input.room, installedOn: installed, position: position)
        let now = req.services.now()
        let row: DeviceRow = try await req.application.writeGate.transaction(on: req.db, changesCampaign: false) { sql in
            let store = DeviceStore(sql: sql)
            let serial = (particulars.serial ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            let outcome = try DeviceRegistration.check(
                particulars, platform: try await store.platform(particulars.platformID),
                subject: try await CampaignQueries(sql: sql, scope: req.jurisdiction).subject(subjectID), subjectName: "id \(subjectID)",
                existing: try await store.device(platform: particulars.platformID, serial: serial), updates: false, now: now)
            guard case .new(let row) = outcome else {
                throw DomainError.invalid("serial", "the platform '\(particulars.platformID)' already has a device '\(serial)'")
            }
            try await store.insert(device: row)
            return row
        }
        return try Response.json(DeviceDTO(row), status: .created)
    }

    /// `GET /api/v1/devices?areaCode=&state=&page=&per=`: the area's devices, newest first;
    /// `state` one of `online`, `offline`, `alarming`, `fault`, `maintenance`.
    static func list(_ req: Request) async throws -> [DeviceDTO] {
        let area = try await Input.areaCode(req) ?? req.homeAreaCode
        guard req.queries.sees(area: area) else { throw DomainError(.notFound, field: "areaCode", reason: "no area with code \(area)") }
        let state = req.query[String.self, at: "state"].flatMap { $0.isEmpty ? nil : $0 }
        if let state, !["online", "offline", "alarming", "fault", "maintenance"].contains(state) {
            throw DomainError.invalid("state", "state is one of online, offline, alarming, fault, maintenance")
        }
        let page = try Input.page(req)
        return try await DeviceStore(sql: req.sql).devices(area: area, state: state, limit: page.per, offset: page.offset, queries: req.queries)
            .map(DeviceDTO.init)
    }

    /// `GET /api/v1/devices/{id}`.
    static func show(_ req: Request) async throws -> DeviceDTO {
        let id = try Input.uuid(req.parameters.get("id"), "id", kind: .notFound)
        guard let d = try await DeviceStore(sql: req.sql).device(id, queries: req.queries) else {
            throw DomainError(.notFound, field: "id", reason: "no device with id \(id)")
        }
        return DeviceDTO(d)
    }

    // MARK: Summary

    struct KindFigures: Content {
        let kind: String
        let name: String
        let planned: Int
        let installed: Int
        /// installed ÷ planned in percent, two decimals; `nil` without a plan.
        let installedRate: Double?
        let online: Int
        let offline: Int
        let fault: Int
        let maintenance: Int
        let alarming: Int
    }

    struct AlarmAge: Content {
        let id: UUID
        let kind: String
        let kindName: String
        let state: String
        let subjectId: UUID
        let subjectName: String
        let raisedAt: String
        /// Seconds since it was raised.
        let ageSeconds: Int
        let townAlerted: Bool
    }

    struct SummaryDTO: Content {
        let areaCode: String
        let kinds: [KindFigures]
        let planned: Int
        let installed: Int
        let online: Int
        let offline: Int
        let alarming: Int
        /// Open alarms, oldest first (at most 20).
        let openAlarms: [AlarmAge]
        let openAlarmCount: Int
        /// Median seconds from alarm to acknowledgement / to arrival, alarms of the last 30 days.
        let medianAcknowledgeSeconds: Int?
        let medianOnSiteSeconds: Int?
        /// Devices installed per child area (village of a town, town of the district).
        let installedByChild: [String: Int]
    }

    /// `GET /api/v1/devices/summary?areaCode=`: planned vs installed per kind, online, offline,
    /// alarming, the open alarms with their age and response times, for the dashboard and the
    /// wall screen.
    static func summary(_ req: Request) async throws -> SummaryDTO {
        let area = try await Input.areaCode(req) ?? req.homeAreaCode
        guard req.queries.sees(area: area) else { throw DomainError(.notFound, field: "areaCode", reason: "no area with code \(area)") }
        return try await summary(area: area, queries: req.queries, now: req.services.now())
    }

    static func summary(area: String, queries: CampaignQueries, now: Date) async throws -> SummaryDTO {
        let store = DeviceStore(sql: queries.sql)
        let counts = try await store.counts(area: area, queries: queries)
        let planned = try await store.planned(area: area)
        let kinds = DeviceKind.allCases.map { k -> KindFigures in
            let installed = counts.installed[k] ?? 0, offline = counts.offline[k] ?? 0
            let plan = planned[k] ?? 0
            return KindFigures(kind: k.rawValue, name: k.zh, planned: plan, installed: installed,
                               installedRate: plan > 0 ? (Double(installed) * 10_000 / Double(plan)).rounded() / 100 : nil,
                               online: installed - offline, offline: offline, fault: counts.fault[k] ?? 0,
                               maintenance: counts.maintenance[k] ?? 0, alarming: counts.alarming[k] ?? 0)
        }
        let open = try await store.alarms(area: area, open: true, limit: 500, queries: queries)
        let names = try await queries.subjects(Array(Set(open.prefix(20).map(\.subjectId))))
        let ages = open.prefix(20).map { a in
            AlarmAge(id: a.id, kind: a.kind, kindName: DeviceEventKind(rawValue: a.kind)?.zh ?? a.kind, state: a.state,
                     subjectId: a.subjectId, subjectName: names[a.subjectId]?.name ?? "", raisedAt: Timestamp.format(a.raisedAt),
                     ageSeconds: max(0, Int(now.timeIntervalSince(a.raisedAt))), townAlerted: a.townAlerted)
        }
        let times = try await store.responseTimes(area: area, since: now.addingTimeInterval(-30 * 86_400), queries: queries)
        func median(_ xs: [Double]) -> Int? { Median.of(xs).map { Int($0.rounded()) } }
        var byChild: [String: Int] = [:]
        if let first = try await queries.children(of: area).first, let column = CampaignQueries.areaColumn(for: first.code) {
            byChild = try await store.installedByChild(area: area, column: column, queries: queries)
        }
        return SummaryDTO(areaCode: area, kinds: kinds, planned: kinds.map(\.planned).reduce(0, +),
                          installed: kinds.map(\.installed).reduce(0, +), online: kinds.map(\.online).reduce(0, +),
                          offline: kinds.map(\.offline).reduce(0, +), alarming: kinds.map(\.alarming).reduce(0, +),
                          openAlarms: Array(ages), openAlarmCount: open.count,
                          medianAcknowledgeSeconds: median(times.acknowledge), medianOnSiteSeconds: median(times.onSite),
                          installedByChild: byChild)
    }

}

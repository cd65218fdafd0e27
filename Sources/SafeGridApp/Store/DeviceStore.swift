import Foundation
import SQLKit
import SafeGridCore

/// An IoT platform as stored (`iot_platforms`). The key is read only to check a request's
/// signature; it is never answered again after the platform was made.
package struct IoTPlatformRow: Codable, StoredRow {
    static let table = "iot_platforms"
    let id: String
    let name: String
    let areaCode: String
    let secret: String
    let active: Bool
    let createdBy: String
    let createdAt: Date

    func validate() throws { try checkInstant(createdAt, "created_at") }
}

/// A smart fire device as stored (`devices`), with its subject's area codes.
package struct DeviceRow: Codable, StoredRow {
    static let table = "devices"
    let id: UUID
    let platformId: String
    let serial: String
    let kind: String
    let vendor: String
    let subjectId: UUID
    let room: String?
    /// `YYYY-MM-DD`, Asia/Shanghai.
    let installedOn: String?
    let latitude: Double?
    let longitude: Double?
    let townCode: String
    let villageCode: String
    let gridCode: String
    let microGridCode: String
    let registeredAt: Date
    let lastMessageAt: Date?
    let offlineSince: Date?
    let faultSince: Date?
    let batteryLowSince: Date?
    let maintenanceSince: Date?

    func validate() throws {
        try checkRaw(kind, DeviceKind.self, "kind")
        try checkMicroGrid(microGridCode, "micro_grid_code")
        try checkDay(installedOn, "installed_on")
        for (value, column) in [(registeredAt, "registered_at")] { try checkInstant(value, column) }
        for (value, column) in [(lastMessageAt, "last_message_at"), (offlineSince, "offline_since"), (faultSince, "fault_since"),
                                (batteryLowSince, "battery_low_since"), (maintenanceSince, "maintenance_since")] {
            try checkInstant(value, column)
        }
    }

    var deviceKind: DeviceKind { DeviceKind(rawValue: kind) ?? .smokeDetector }
}

/// A device alarm as stored (`device_alarms`).
package struct DeviceAlarmRow: Codable, StoredRow {
    static let table = "device_alarms"
    let id: UUID
    let deviceId: UUID
    let subjectId: UUID
    let townCode: String
    let villageCode: String
    let gridCode: String
    let microGridCode: String
    let kind: String
    let state: String
    let raisedAt: Date
    let repeats: Int
    let townAlerted: Bool
    let acknowledgedAt: Date?
    let acknowledgedBy: String?
    let onSiteAt: Date?
    let onSiteBy: String?
    let closedAt: Date?
    let closedBy: String?
    let falseAlarmReason: String?
    let note: String?
    let itemCode: String?
    let hazardId: UUID?
    let inspectionId: UUID?

    func validate() throws {
        try checkRaw(kind, DeviceEventKind.self, "kind")
        try checkRaw(state, DeviceAlarmState.self, "state")
        try checkRaw(falseAlarmReason, FalseAlarmReason.self, "false_alarm_reason")
        try checkMicroGrid(microGridCode, "micro_grid_code")
        try checkInstant(raisedAt, "raised_at")
        for (value, column) in [(acknowledgedAt, "acknowledged_at"), (onSiteAt, "on_site_at"), (closedAt, "closed_at")] {
            try checkInstant(value, column)
        }
    }

    /// The alarm as the domain sees it.
    func alarm() -> DeviceAlarm {
        DeviceAlarm(restoring: DeviceEventKind(rawValue: kind) ?? .smoke, raisedAt: raisedAt,
                        state: DeviceAlarmState(rawValue: state) ?? .raised,
                        acknowledgedAt: acknowledgedAt, acknowledgedBy: acknowledgedBy, onSiteAt: onSiteAt, onSiteBy: onSiteBy,
                        closedAt: closedAt, closedBy: closedBy, falseAlarmReason: falseAlarmReason.flatMap(FalseAlarmReason.init(rawValue:)),
                        note: note, itemCode: itemCode)
    }
}

/// The SQL of smart fire devices: platforms, devices, their messages and alarms. Reads through
/// ``CampaignQueries/scoped(_:)`` where a reader's jurisdiction applies (devices and alarms carry
/// their subject's area codes).
package struct DeviceStore: Sendable {
    let sql: any SQLDatabase

    static let deviceColumns = ["id", "platform_id", "serial", "kind", "vendor", "subject_id", "room", "installed_on", "latitude",
                                "longitude", "town_code", "village_code", "grid_code", "micro_grid_code", "registered_at",
                                "last_message_at", "offline_since", "fault_since", "battery_low_since", "maintenance_since"]

    // MARK: Platforms

    func platform(_ id: String) async throws -> IoTPlatformRow? {
        try await sql.select().columns("*").from("iot_platforms").where("id", .equal, SQLBind(id)).firstRow(IoTPlatformRow.self)
    }

    func platforms(in scope: Jurisdiction) async throws -> [IoTPlatformRow] {
        try await sql.select().columns("*").from("iot_platforms").orderBy("id").rows(IoTPlatformRow.self)
            .filter { scope.contains($0.areaCode) || scope.isEverything }
    }

    func insert(platform p: IoTPlatformRow) async throws {
        try await sql.insert(into: "iot_platforms").columns("id", "name", "area_code", "secret", "active", "created_by", "created_at")
            .values(SQLBind(p.id), SQLBind(p.name), SQLBind(p.areaCode), SQLBind(p.secret), SQLBind(p.active), SQLBind(p.createdBy),
                    SQLBind(p.createdAt)).run()
    }

    // MARK: Devices

    func insert(device d: DeviceRow) async throws { try await insert(devices: [d]) }

    /// Many devices in multi-row statements (the demo).
    func insert(devices: [DeviceRow]) async throws {
        try await CampaignStore(sql: sql).insert("devices", Self.deviceColumns, devices.map { d -> [any Encodable & Sendable] in
            [d.id, d.platformId, d.serial, d.kind, d.vendor, d.subjectId, d.room, d.installedOn, d.latitude, d.longitude, d.townCode,
             d.villageCode, d.gridCode, d.microGridCode, d.registeredAt, d.lastMessageAt, d.offlineSince, d.faultSince,
             d.batteryLowSince, d.maintenanceSince]
        })
    }

    func device(_ id: UUID, queries: CampaignQueries) async throws -> DeviceRow? {
        try await queries.scoped(sql.select().columns("*").from("devices").where("id", .equal, SQLBind(id))).firstRow(DeviceRow.self)
    }

    func device(platform: String, serial: String) async throws -> DeviceRow? {
        try await sql.select().columns("*").from("devices").where("platform_id", .equal, SQLBind(platform))
            .where("serial", .equal, SQLBind(serial)).firstRow(DeviceRow.self)
    }

    /// Devices by id (unscoped: the caller read their alarms in scope).
    func devices(ids: [UUID]) async throws -> [UUID: DeviceRow] {
        var out: [UUID: DeviceRow] = [:]
        for chunk in ids.chunked(500) {
            for d in try await sql.select().columns("*").from("devices").where("id", .in, SQLBind.group(chunk)).rows(DeviceRow.self) { out[d.id] = d }
        }
        return out
    }

    /// The platform's devices named by `serials`, by serial.
    func devices(platform: String, serials: [String]) async throws -> [String: DeviceRow] {
        var out: [String: DeviceRow] = [:]
        for chunk in Array(Set(serials)).chunked(500) {
            for d in try await sql.select().columns("*").from("devices").where("platform_id", .equal, SQLBind(platform))
                .where("serial", .in, SQLBind.group(chunk)).rows(DeviceRow.self) {
                out[d.serial] = d
            }
        }
        return out
    }

    /// Devices of `area` (any level) in the reader's scope, newest first, optionally of one
    /// state (`online`, `offline`, `alarming`, `fault`, `maintenance`).
    func devices(area: String, state: String?, limit: Int, offset: Int, queries: CampaignQueries) async throws -> [DeviceRow] {
        var q = queries.scoped(sql.select().columns("*").from("devices"))
        if let column = CampaignQueries.areaColumn(for: area) { q = q.where(SQLIdentifier(column), .equal, SQLBind(area)) }
        switch state {
        case "online": q = q.where("offline_since", .is, SQLLiteral.null)
        case "offline": q = q.where("offline_since", .isNot, SQLLiteral.null)
        case "fault": q = q.where("fault_since", .isNot, SQLLiteral.null)
        case "maintenance": q = q.where("maintenance_since", .isNot, SQLLiteral.null)
        case "alarming":
            q = q.where("id", .in, SQLSubquery.select { $0.column("device_id").from("device_alarms")
                .where("state", .in, SQLBind.group(DeviceAlarmState.allCases.filter(\.isOpen).map(\.rawValue))) })
        default: break
        }
        return try await q.orderBy("registered_at", .descending).orderBy("id").limit(limit).offset(offset).rows(DeviceRow.self)
    }

    /// Records what a batch of messages did to devices: the newest message time, online again
    /// (offline mark cleared), fault and low-battery marks set or cleared (a heartbeat after a
    /// fault does not clear it; the platform sends a fault event, and fault recovery is a
    /// heartbeat only in the sense that it keeps the device online).
    func update(device id: UUID, lastMessageAt: Date, faultSince: Date??, batteryLowSince: Date??) async throws {
        var u = sql.update("devices").set("last_message_at", to: SQLBind(lastMessageAt)).set("offline_since", to: SQLLiteral.null)
        if let faultSince { u = u.set("fault_since", to: SQLBind(faultSince)) }
        if let batteryLowSince { u = u.set("battery_low_since", to: SQLBind(batteryLowSince)) }
        try await u.where("id", .equal, SQLBind(id)).run()
    }

    func setMaintenance(device id: UUID, since: Date) async throws {
        try await sql.update("devices").set("maintenance_since", to: SQLBind(since)).where("id", .equal, SQLBind(id))
            .where("maintenance_since", .is, SQLLiteral.null).run()
    }

    /// Devices not marked offline whose last message (or registration, when they never sent
    /// one) is before `cutoff`: the ones the jobs mark (``DeviceConnectivity``).
    func silent(since cutoff: Date, limit: Int? = nil) async throws -> [(id: UUID, microGrid: String)] {
        var q = sql.select().columns("id", "micro_grid_code").from("devices").where("offline_since", .is, SQLLiteral.null)
            .where(SQLBinaryExpression(SQLFunction("COALESCE", args: SQLIdentifier("last_message_at"), SQLIdentifier("registered_at")),
                                       .lessThan, SQLBind(cutoff)))
        if let limit { q = q.limit(limit) }
        return try await q.all().compactMap { row in
            guard let id = try? row.decode(column: "id", as: UUID.self), let mg = try? row.decode(column: "micro_grid_code", as: String.self) else { return nil }
            return (id, mg)
        }
    }

    /// Marks the devices `ids` offline since `now` (those not marked meanwhile).
    func markOffline(_ ids: [UUID], at now: Date) async throws {
        for chunk in ids.chunked(500) {
            try await sql.update("devices").set("offline_since", to: SQLBind(now)).where("offline_since", .is, SQLLiteral.null)
                .where("id", .in, SQLBind.group(chunk)).run()
        }
    }

    // MARK: Messages

    /// The stored body digests of the platform's `eventIDs`, by event id.
    func messageDigests(platform: String, eventIDs: [String]) async throws -> [String: String] {
        var out: [String: String] = [:]
        for chunk in Array(Set(eventIDs)).chunked(500) {
            for row in try await sql.select().columns("event_id", "body_sha256").from("device_messages")
                .where("platform_id", .equal, SQLBind(platform)).where("event_id", .in, SQLBind.group(chunk)).all() {
                out[try row.decode(column: "event_id", as: String.self)] = try row.decode(column: "body_sha256", as: String.self)
            }
        }
        return out
    }

    struct Message: Sendable {
        let platform: String
        let eventID: String
        let digest: String
        let device: UUID
        let kind: DeviceEventKind
        let occurredAt: Date
        let alarm: UUID?
    }

    func insert(messages: [Message], at now: Date) async throws {
        try await CampaignStore(sql: sql).insert("device_messages",
            ["platform_id", "event_id", "body_sha256", "device_id", "kind", "occurred_at", "received_at", "alarm_id"],
            messages.map { m -> [any Encodable & Sendable] in
                [m.platform, m.eventID, m.digest, m.device, m.kind.rawValue, m.occurredAt, now, m.alarm]
            })
    }

    // MARK: Alarms

    static let openStates = DeviceAlarmState.allCases.filter(\.isOpen).map(\.rawValue)

    /// The open alarm of `kind` on `device`, if any (a repeat is counted on it).
    func openAlarm(device: UUID, kind: DeviceEventKind) async throws -> DeviceAlarmRow? {
        try await sql.select().columns("*").from("device_alarms").where("device_id", .equal, SQLBind(device))
            .where("kind", .equal, SQLBind(kind.rawValue)).where("state", .in, SQLBind.group(Self.openStates))
            .orderBy("raised_at", .descending).firstRow(DeviceAlarmRow.self)
    }

    func countRepeat(alarm: UUID) async throws {
        try await sql.update("device_alarms").set(SQLIdentifier("repeats"), to: SQLRaw("repeats + 1")).where("id", .equal, SQLBind(alarm)).run()
    }

    func insert(alarm a: DeviceAlarmRow) async throws {
        try await CampaignStore(sql: sql).insert("device_alarms",
            ["id", "device_id", "subject_id", "town_code", "village_code", "grid_code", "micro_grid_code", "kind", "state",
             "raised_at", "repeats", "town_alerted", "acknowledged_at", "acknowledged_by", "on_site_at", "on_site_by",
             "closed_at", "closed_by", "false_alarm_reason", "note", "item_code", "hazard_id", "inspection_id"],
            [[a.id, a.deviceId, a.subjectId, a.townCode, a.villageCode, a.gridCode, a.microGridCode, a.kind, a.state, a.raisedAt,
              a.repeats, a.townAlerted, a.acknowledgedAt, a.acknowledgedBy, a.onSiteAt, a.onSiteBy, a.closedAt, a.closedBy,
              a.falseAlarmReason, a.note, a.itemCode, a.hazardId, a.inspectionId]])
    }

    /// Writes the alarm's handling as `alarm` says, and the hazard it became.
    func update(alarm id: UUID, to alarm: DeviceAlarm, hazard: UUID?, inspection: UUID?) async throws {
        try await sql.update("device_alarms")
            .set("state", to: SQLBind(alarm.state.rawValue))
            .set("acknowledged_at", to: SQLBind(alarm.acknowledgedAt)).set("acknowledged_by", to: SQLBind(alarm.acknowledgedBy))
            .set("on_site_at", to: SQLBind(alarm.onSiteAt)).set("on_site_by", to: SQLBind(alarm.onSiteBy))
            .set("closed_at", to: SQLBind(alarm.closedAt)).set("closed_by", to: SQLBind(alarm.closedBy))
            .set("false_alarm_reason", to: SQLBind(alarm.falseAlarmReason?.rawValue)).set("note", to: SQLBind(alarm.note))
            .set("item_code", to: SQLBind(alarm.itemCode)).set("hazard_id", to: SQLBind(hazard)).set("inspection_id", to: SQLBind(inspection))
            .where("id", .equal, SQLBind(id)).run()
    }

    func alarm(_ id: UUID, queries: CampaignQueries) async throws -> DeviceAlarmRow? {
        try await queries.scoped(sql.select().columns("*").from("device_alarms").where("id", .equal, SQLBind(id))).firstRow(DeviceAlarmRow.self)
    }

    /// Alarms of `area` in the reader's scope: open ones first (oldest first), then closed (newest first).
    func alarms(area: String, open: Bool?, limit: Int, queries: CampaignQueries) async throws -> [DeviceAlarmRow] {
        var q = queries.scoped(sql.select().columns("*").from("device_alarms"))
        if let column = CampaignQueries.areaColumn(for: area) { q = q.where(SQLIdentifier(column), .equal, SQLBind(area)) }
        if let open { q = q.where("state", open ? .in : .notIn, SQLBind.group(Self.openStates)) }
        return try await q.orderBy("raised_at", open == true ? .ascending : .descending).limit(limit).rows(DeviceAlarmRow.self)
    }

    /// When the device's false alarms were raised in the maintenance window before `now`.
    func falseAlarms(device: UUID, since: Date) async throws -> [Date] {
        try await sql.select().column("raised_at").from("device_alarms").where("device_id", .equal, SQLBind(device))
            .where("state", .equal, SQLBind(DeviceAlarmState.falseAlarm.rawValue)).where("raised_at", .greaterThanOrEqual, SQLBind(since))
            .all().compactMap { try? $0.decode(column: "raised_at", as: Date.self) }
    }

    // MARK: Figures

    /// Per kind: devices registered, online, offline, faulty, due for maintenance, and with an
    /// open alarm, in `area` (any level) within the reader's scope; and open alarms with their
    /// oldest raise time.
    struct Counts: Sendable {
        var installed: [DeviceKind: Int] = [:]
        var offline: [DeviceKind: Int] = [:]
        var fault: [DeviceKind: Int] = [:]
        var maintenance: [DeviceKind: Int] = [:]
        var alarming: [DeviceKind: Int] = [:]
    }

    func counts(area: String, queries: CampaignQueries) async throws -> Counts {
        // One pass over the area's devices (the screens ask on every update): a count per mark.
        // CAST: PostgreSQL sums as NUMERIC.
        func marked(_ condition: String, _ name: String) -> any SQLExpression {
            SQLAlias(SQLRaw("CAST(SUM(CASE WHEN \(condition) THEN 1 ELSE 0 END) AS BIGINT)"), as: SQLIdentifier(name))
        }
        let open = Self.openStates.map { "'\($0)'" }.joined(separator: ", ")
        var q = queries.scoped(sql.select().column("kind").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
            .column(marked("offline_since IS NOT NULL", "offline")).column(marked("fault_since IS NOT NULL", "fault"))
            .column(marked("maintenance_since IS NOT NULL", "maintenance"))
            .column(marked("id IN (SELECT device_id FROM device_alarms WHERE state IN (\(open)))", "alarming"))
            .from("devices"))
        if let column = CampaignQueries.areaColumn(for: area) { q = q.where(SQLIdentifier(column), .equal, SQLBind(area)) }
        var out = Counts()
        for row in try await q.groupBy("kind").all() {
            guard let kind = DeviceKind(rawValue: try row.decode(column: "kind", as: String.self)) else { continue }
            out.installed[kind] = try row.decode(column: "n", as: Int.self)
            out.offline[kind] = try row.decode(column: "offline", as: Int?.self) ?? 0
            out.fault[kind] = try row.decode(column: "fault", as: Int?.self) ?? 0
            out.maintenance[kind] = try row.decode(column: "maintenance", as: Int?.self) ?? 0
            out.alarming[kind] = try row.decode(column: "alarming", as: Int?.self) ?? 0
        }
        return out
    }


    /// Planned devices per kind of `area`: its own plan rows and its descendants' (a town's
    /// plan is its villages' sum).
    func planned(area: String) async throws -> [DeviceKind: Int] {
        // CAST: PostgreSQL sums a BIGINT column as NUMERIC.
        var q = sql.select().column("kind").column(SQLFunction("CAST", args: SQLRaw("SUM(planned) AS BIGINT")), as: "n").from("device_plans")
        if area != BundledAreas.districtCode {
            q = q.where(SQLIdentifier("area_code"), .like, SQLBind(area + "%"))
        }
        var out: [DeviceKind: Int] = [:]
        for row in try await q.groupBy("kind").all() {
            guard let kind = DeviceKind(rawValue: try row.decode(column: "kind", as: String.self)) else { continue }
            out[kind] = try row.decode(column: "n", as: Int?.self) ?? 0
        }
        return out
    }

    /// Sets the plan of `area` (a village or a town) for each kind given.
    func setPlan(area: String, _ planned: [DeviceKind: Int]) async throws {
        for (kind, n) in planned {
            try await sql.delete(from: "device_plans").where("area_code", .equal, SQLBind(area)).where("kind", .equal, SQLBind(kind.rawValue)).run()
            try await sql.insert(into: "device_plans").columns("area_code", "kind", "planned")
                .values(SQLBind(area), SQLBind(kind.rawValue), SQLBind(n)).run()
        }
    }

    /// Devices registered per child area of `area` (by the child level's column), within the scope.
    func installedByChild(area: String, column: String, queries: CampaignQueries) async throws -> [String: Int] {
        var q = queries.scoped(sql.select().column(SQLIdentifier(column), as: "code").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
            .from("devices"))
        if let parent = CampaignQueries.areaColumn(for: area) { q = q.where(SQLIdentifier(parent), .equal, SQLBind(area)) }
        var out: [String: Int] = [:]
        for row in try await q.groupBy(SQLIdentifier(column)).all() {
            out[try row.decode(column: "code", as: String.self)] = try row.decode(column: "n", as: Int.self)
        }
        return out
    }

    /// Response times (seconds) of the alarms of `area` raised since `since`: raised → acknowledged
    /// and raised → on site, for the alarms that got that far.
    func responseTimes(area: String, since: Date, queries: CampaignQueries) async throws -> (acknowledge: [Double], onSite: [Double]) {
        var q = queries.scoped(sql.select().columns("raised_at", "acknowledged_at", "on_site_at").from("device_alarms")
            .where("raised_at", .greaterThanOrEqual, SQLBind(since)))
        if let column = CampaignQueries.areaColumn(for: area) { q = q.where(SQLIdentifier(column), .equal, SQLBind(area)) }
        var ack: [Double] = [], site: [Double] = []
        for row in try await q.all() {
            guard let raised = try? row.decode(column: "raised_at", as: Date.self) else { continue }
            if let a = try? row.decode(column: "acknowledged_at", as: Date?.self) { ack.append(a.timeIntervalSince(raised)) }
            if let s = try? row.decode(column: "on_site_at", as: Date?.self) { site.append(s.timeIntervalSince(raised)) }
        }
        return (ack, site)
    }
}

/// A device as the demo registers it in bulk (``DeviceStore/register(_:platform:at:)``).
package struct NewDevice: Sendable {
    package let serial: String
    package let kind: DeviceKind
    package let vendor: String
    package let subject: Subject
    package let room: String?
    package let installedOn: CalendarDate
    package let lastMessageAt: Date?
    package let offlineSince: Date?
    package let faultSince: Date?

    package init(serial: String, kind: DeviceKind, vendor: String, subject: Subject, room: String?, installedOn: CalendarDate,
                 lastMessageAt: Date?, offlineSince: Date?, faultSince: Date?) {
        self.serial = serial
        self.kind = kind
        self.vendor = vendor
        self.subject = subject
        self.room = room
        self.installedOn = installedOn
        self.lastMessageAt = lastMessageAt
        self.offlineSince = offlineSince
        self.faultSince = faultSince
    }
}

/// An alarm as the demo records it: raised, and where it got to (a false alarm with its reason,
/// or still open).
package struct PastAlarm: Sendable {
    package let serial: String
    package let alarm: DeviceAlarm

    package init(serial: String, alarm: DeviceAlarm) {
        self.serial = serial
        self.alarm = alarm
    }
}

extension DeviceStore {
    package init(database sql: any SQLDatabase) { self.init(sql: sql) }

    /// Makes a platform for `area` with a new random key; answers the key.
    @discardableResult
    package func makePlatform(id: String, name: String, area: String, by: String, at now: Date) async throws -> String {
        let key = AuthSessions.randomToken()
        try await insert(platform: IoTPlatformRow(id: id, name: name, areaCode: area, secret: key, active: true,
                                                  createdBy: by, createdAt: now))
        return key
    }

    /// Registers devices on the platform (their subjects' area codes and position copied);
    /// answers their ids by serial.
    @discardableResult
    package func register(_ devices: [NewDevice], platform: String, at now: Date) async throws -> [String: UUID] {
        var ids: [String: UUID] = [:]
        let rows = devices.map { d -> DeviceRow in
            let codes = AreaCodes.lineage(of: d.subject.microGridCode) + ["", "", "", ""]
            let id = UUID()
            ids[d.serial] = id
            let position = d.subject.location.flatMap { try? $0.converted(to: .gcj02) }
            return DeviceRow(id: id, platformId: platform, serial: d.serial, kind: d.kind.rawValue, vendor: d.vendor, subjectId: d.subject.id,
                             room: d.room, installedOn: d.installedOn.description, latitude: position?.latitude, longitude: position?.longitude,
                             townCode: codes[1], villageCode: codes[2], gridCode: codes[3], microGridCode: d.subject.microGridCode,
                             registeredAt: min(now, d.installedOn.startUTC), lastMessageAt: d.lastMessageAt, offlineSince: d.offlineSince,
                             faultSince: d.faultSince, batteryLowSince: nil, maintenanceSince: nil)
        }
        try await insert(devices: rows)
        return ids
    }

    /// Records alarms of registered devices as they stand (no SMS: they are history).
    package func record(_ alarms: [PastAlarm], devices ids: [String: UUID]) async throws {
        guard !alarms.isEmpty else { return }
        let known = try await sql.select().columns("*").from("devices").where("id", .in, SQLBind.group(Array(Set(alarms.compactMap { ids[$0.serial] }))))
            .rows(DeviceRow.self)
        let byID = Dictionary(known.map { ($0.id, $0) }) { a, _ in a }
        for p in alarms {
            guard let id = ids[p.serial], let d = byID[id] else { continue }
            let a = p.alarm
            try await insert(alarm: DeviceAlarmRow(
                id: UUID(), deviceId: d.id, subjectId: d.subjectId, townCode: d.townCode, villageCode: d.villageCode, gridCode: d.gridCode,
                microGridCode: d.microGridCode, kind: a.kind.rawValue, state: a.state.rawValue, raisedAt: a.raisedAt, repeats: 0,
                townAlerted: false, acknowledgedAt: a.acknowledgedAt, acknowledgedBy: a.acknowledgedBy, onSiteAt: a.onSiteAt,
                onSiteBy: a.onSiteBy, closedAt: a.closedAt, closedBy: a.closedBy, falseAlarmReason: a.falseAlarmReason?.rawValue,
                note: a.note, itemCode: a.itemCode, hazardId: nil, inspectionId: nil))
        }
    }

    /// Sets the plan of each area given (villages), per kind.
    package func setPlans(_ plans: [String: [DeviceKind: Int]]) async throws {
        for (area, planned) in plans.sorted(by: { $0.key < $1.key }) { try await setPlan(area: area, planned) }
    }
}

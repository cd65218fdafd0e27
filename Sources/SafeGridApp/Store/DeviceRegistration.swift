import Foundation
import SQLKit
import SafeGridCore

/// A device's particulars as a registration gives them: `POST /api/v1/devices` or a row of a
/// device ledger. Text is as given (trimmed and checked by ``DeviceRegistration/check(_:platform:subject:subjectName:existing:updates:now:)``).
struct DeviceParticulars: Sendable {
    var platformID: String
    var serial: String?
    var kind: DeviceKind
    var vendor: String?
    /// Blank or `nil`: no room.
    var room: String?
    var installedOn: CalendarDate?
    /// GCJ-02; `nil` takes the subject's position for a new device and keeps the stored one for
    /// a device already registered.
    var position: GeoPoint?
}

/// The rules of registering a smart fire device, shared by `POST /api/v1/devices` and the device
/// ledger import so that both refuse the same things with the same reasons.
enum DeviceRegistration {
    /// What a checked registration does.
    enum Outcome: Sendable {
        /// A device to insert (new id, registered now).
        case new(DeviceRow)
        /// The platform's device with this serial, already registered with these particulars.
        case unchanged(DeviceRow)
        /// The platform's device with this serial, with new particulars; `changed` names them by
        /// the API's fields: `vendor`, `room`, `installedOn`, `position`.
        case updated(DeviceRow, changed: [String])
    }

    /// Checks a registration against the stored platform, subject and device.
    ///
    /// The rules, in this order: serial 1–64 characters, vendor 1–``TextRules/subjectName``,
    /// room at most 32 (all without control characters); installed not after today
    /// (Asia/Shanghai); the platform exists and is active; the subject is known (inside the
    /// registrar's jurisdiction: the caller looks it up through a scoped query, so one outside is
    /// `nil`), lies inside the platform's area and is not closed down; the serial is not yet on
    /// the platform — or, when `updates` is set, its device is bound to the same subject and of
    /// the same kind (a device does not move or change kind: it is re-registered).
    ///
    /// - Parameters:
    ///   - platform: the stored platform named by `p.platformID`, `nil` when there is none.
    ///   - subject: the subject to bind to, `nil` when unknown or outside the jurisdiction.
    ///   - subjectName: how the request named the subject (`id 3f2…`, `统一社会信用代码 9133…`), for
    ///     the reason when it is unknown.
    ///   - existing: the platform's stored device with the serial, if any.
    ///   - updates: whether an existing device is updated (ledger import) rather than a taken serial (API).
    ///   - now: the registration time; today is its Asia/Shanghai day.
    /// - Returns: the device to insert, or the stored one unchanged or updated.
    /// - Throws: ``DomainError`` `.invalid` (422) naming the API field: `serial`, `vendor`, `room`,
    ///   `installedOn`, `platformId`, `subjectId`, `kind`.
    static func check(_ p: DeviceParticulars, platform: IoTPlatformRow?, subject: SubjectRow?, subjectName: String,
                      existing: DeviceRow?, updates: Bool, now: Date) throws(DomainError) -> Outcome {
        let serial = try TextRules.required(p.serial, "serial", max: 64)
        let vendor = try TextRules.required(p.vendor, "vendor", max: TextRules.subjectName)
        var room: String? = nil
        if let raw = p.room, !raw.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            room = try TextRules.required(raw, "room", max: 32)
        }
        let today = CalendarDate(shanghai: now)
        if let installed = p.installedOn, installed > today {
            throw .invalid("installedOn", "the device cannot be installed after today (\(today))")
        }
        guard let platform, platform.active else { throw .invalid("platformId", "no active IoT platform '\(p.platformID)'") }
        guard let subject else { throw .invalid("subjectId", "no subject with \(subjectName)") }
        guard subject.microGridCode.hasPrefix(platform.areaCode) else {
            throw .invalid("subjectId", "the subject lies outside the area \(platform.areaCode) the platform '\(platform.id)' serves")
        }
        guard subject.closedDownAt == nil else { throw .invalid("subjectId", "the subject is closed down (已关停)") }

        guard let existing else {
            let position = p.position ?? subject.location?.converted(to: .gcj02)
            return .new(DeviceRow(id: UUID(), platformId: platform.id, serial: serial, kind: p.kind.rawValue, vendor: vendor,
                                  subjectId: subject.id, room: room, installedOn: p.installedOn?.description,
                                  latitude: position?.latitude, longitude: position?.longitude,
                                  townCode: subject.townCode, villageCode: subject.villageCode, gridCode: subject.gridCode,
                                  microGridCode: subject.microGridCode, registeredAt: now, lastMessageAt: nil, offlineSince: nil,
                                  faultSince: nil, batteryLowSince: nil, maintenanceSince: nil))
        }
        guard updates else { throw .invalid("serial", "the platform '\(platform.id)' already has a device '\(serial)'") }
        guard existing.subjectId == subject.id else {
            throw .invalid("subjectId", "the platform's device '\(serial)' is bound to another subject (\(existing.subjectId)); a device does not move: re-register it")
        }
        guard existing.kind == p.kind.rawValue else {
            throw .invalid("kind", "the platform's device '\(serial)' is a \(existing.deviceKind.zh) (\(existing.kind)); a device does not change kind: re-register it")
        }
        let latitude = p.position?.latitude ?? existing.latitude, longitude = p.position?.longitude ?? existing.longitude
        var changed: [String] = []
        if existing.vendor != vendor { changed.append("vendor") }
        if existing.room != room { changed.append("room") }
        if existing.installedOn != p.installedOn?.description { changed.append("installedOn") }
        if !same(existing.latitude, latitude) || !same(existing.longitude, longitude) { changed.append("position") }
        guard !changed.isEmpty else { return .unchanged(existing) }
        return .updated(DeviceRow(id: existing.id, platformId: existing.platformId, serial: existing.serial, kind: existing.kind, vendor: vendor,
                                  subjectId: existing.subjectId, room: room, installedOn: p.installedOn?.description,
                                  latitude: latitude, longitude: longitude, townCode: existing.townCode, villageCode: existing.villageCode,
                                  gridCode: existing.gridCode, microGridCode: existing.microGridCode, registeredAt: existing.registeredAt,
                                  lastMessageAt: existing.lastMessageAt, offlineSince: existing.offlineSince, faultSince: existing.faultSince,
                                  batteryLowSince: existing.batteryLowSince, maintenanceSince: existing.maintenanceSince),
                        changed: changed)
    }

    /// Degrees equal to within 1e-6 (about 0.1 m), as stored doubles round-trip.
    private static func same(_ a: Double?, _ b: Double?) -> Bool {
        switch (a, b) {
        case (nil, nil): true
        case let (a?, b?): abs(a - b) < 1e-6
        default: false
        }
    }
}

extension DeviceStore {
    /// Writes a registered device's particulars an import changed: vendor, room, installed day, position.
    func update(particulars d: DeviceRow) async throws {
        try await sql.update("devices").set("vendor", to: SQLBind(d.vendor)).set("room", to: SQLBind(d.room))
            .set("installed_on", to: SQLBind(d.installedOn)).set("latitude", to: SQLBind(d.latitude))
            .set("longitude", to: SQLBind(d.longitude)).where("id", .equal, SQLBind(d.id)).run()
    }
}

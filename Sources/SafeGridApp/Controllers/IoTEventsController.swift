import Crypto
import Foundation
import SQLKit
import SafeGridCore
import Vapor

/// `POST /api/v1/iot/{platform}/events`: what smart fire devices report, posted by the IoT
/// platform they are connected to (no account: the platform's key signs each request).
///
/// Request: headers `X-SafeGrid-Timestamp` (Unix seconds) and `X-SafeGrid-Signature` (hex
/// HMAC-SHA256 of `"<timestamp>.<raw body>"` with the platform's key, ``IoTSignature``); body
/// JSON `{"events": [{"eventId", "serial", "kind", "occurredAt", "detail"?}, …]}` (1–1,000
/// events) or one such event alone. `kind` is a ``DeviceEventKind`` raw value; `occurredAt` an
/// RFC 3339 time with its offset (fire remote monitoring, GB/T 26875: 时间标签 with the time zone).
///
/// All or nothing: any bad event is 422 naming `events[i].<field>` and nothing is stored; a
/// reused `eventId` with another body is 409. An event already stored with the same body counts
/// as a duplicate (idempotent resends). Answer 200: accepted, duplicates, and the alarms raised or
/// repeated.
///
/// Effects: every message keeps its device online (``DeviceConnectivity``); `fault` and
/// `lowBattery` mark the device, a later `heartbeat` clears the marks; an alarm opens a
/// ``DeviceAlarm`` (or counts as a repeat of the open one of its kind on that device), queues an SMS
/// to the grid and micro-grid workers of its subject (and the town's duty phone for a possible
/// fire at a key hazard enterprise, ``DeviceAlarmRules/alertsTown(_:inKeyHazardEnterprise:)``;
/// `townAlerted` says that SMS went), and moves the live screens of its area. Events may be up to
/// 10 minutes ahead of the server's clock and up to 30 days old.
enum IoTEventsController {
    static let maxEvents = 1_000

    struct EventInput: Decodable {
        let eventId: String?
        let serial: String?
        let kind: String?
        let occurredAt: String?
        let detail: String?
    }

    struct BatchInput: Decodable {
        let events: [EventInput]?
    }

    struct AlarmOutcome: Content {
        let eventId: String
        let alarmId: UUID
        /// A repeat of an alarm already open on the device (counted on it, no new SMS).
        let repeated: Bool
    }

    struct ResultDTO: Content {
        let accepted: Int
        let duplicates: Int
        let alarms: [AlarmOutcome]
    }

    /// One checked event.
    struct Event: Sendable {
        let index: Int
        let eventID: String
        let serial: String
        let kind: DeviceEventKind
        let occurredAt: Date
        let detail: String?
        /// SHA-256 of the event's content (id, serial, kind, instant, detail): what a resend must repeat.
        let digest: String
    }

    static func receive(_ req: Request) async throws -> Response {
        let platformID = req.parameters.get("platform") ?? ""
        let now = req.services.now()
        let body = req.body.data.map { Data(buffer: $0) } ?? Data()
        let store = DeviceStore(sql: req.sql)
        // The same answer for an unknown platform and a bad signature: ids are not to be probed.
        guard let platform = try await store.platform(platformID), platform.active else {
            throw Abort(.unauthorized, reason: "unknown IoT platform '\(platformID.prefix(40))' or a bad signature")
        }
        do {
            _ = try IoTSignature.verify(body: body, signature: req.headers.first(name: IoTSignature.signatureHeader),
                                        timestamp: req.headers.first(name: IoTSignature.timestampHeader),
                                        secret: SymmetricKey(data: Data(platform.secret.utf8)), now: now)
        } catch {
            throw Abort(.unauthorized, reason: error.message)
        }
        let events = try parse(body, now: now)
        let result = try await record(events, platform: platform, app: req.application, now: now)
        return try Response.json(result)
    }

    /// The events of a body, checked.
    /// - Throws: 400 for a body that is not JSON; 422 naming `events` or `events[i].<field>`.
    static func parse(_ body: Data, now: Date) throws -> [Event] {
        let decoder = JSONDecoder()
        let inputs: [EventInput]
        if let batch = try? decoder.decode(BatchInput.self, from: body), let list = batch.events {
            inputs = list
        } else if let one = try? decoder.decode(EventInput.self, from: body), one.eventId != nil || one.serial != nil {
            inputs = [one]
        } else {
            throw DomainError.invalid("events", "send JSON {\"events\": [{\"eventId\", \"serial\", \"kind\", \"occurredAt\"}, …]}")
        }
        guard (1...maxEvents).contains(inputs.count) else {
            throw DomainError.invalid("events", "send 1 to \(maxEvents) events per request, got \(inputs.count)")
        }
        var out: [Event] = []
        for (i, e) in inputs.enumerated() {
            let at = "events[\(i)]."
            let id = try TextRules.required(e.eventId, at + "eventId", max: 128)
            let serial = try TextRules.required(e.serial, at + "serial", max: 64)
            let kind: DeviceEventKind = try Input.enumValue(e.kind ?? "", at + "kind")
            guard let raw = e.occurredAt, !raw.isEmpty else { throw DomainError.invalid(at + "occurredAt", "give occurredAt with its offset, e.g. 2026-12-06T14:05:00+08:00") }
            let occurred = try Input.timestamp(raw, at + "occurredAt")
            try DeviceEventTime.check(occurred, now: now, field: at + "occurredAt")
            let detail = try e.detail.flatMap { $0.isEmpty ? nil : try TextRules.required($0, at + "detail", max: 500) }
            let canonical = [id, serial, kind.rawValue, String(Int64(occurred.timeIntervalSince1970.rounded(.down))), detail ?? ""]
                .joined(separator: "\u{1F}")
            out.append(Event(index: i, eventID: id, serial: serial, kind: kind, occurredAt: occurred, detail: detail,
                             digest: Hex.encode(SHA256.hash(data: Data(canonical.utf8)))))
        }
        return out
    }

    /// Stores a checked batch in one transaction (a campaign write when it raises an alarm).
    static func record(_ events: [Event], platform: IoTPlatformRow, app: Application, now: Date) async throws -> ResultDTO {
        // Within the batch: one id, one body.
        var seen: [String: String] = [:]
        var fresh: [Event] = []
        var duplicates = 0
        for e in events {
            if let d = seen[e.eventID] {
                guard d == e.digest else {
                    throw DomainError(.conflict, field: "events[\(e.index)].eventId", reason: "event id '\(e.eventID)' is sent twice with different contents")
                }
                duplicates += 1
                continue
            }
            seen[e.eventID] = e.digest
            fresh.append(e)
        }
        // Read first, outside the write: the devices and what is already stored. A conflict found
        // here is answered without taking the write lock; the write checks again.
        let readStore = DeviceStore(sql: app.sql)
        let devices = try await readStore.devices(platform: platform.id, serials: fresh.map(\.serial))
        for e in fresh {
            guard let d = devices[e.serial] else {
                throw DomainError.invalid("events[\(e.index)].serial", "no device '\(e.serial)' registered on platform '\(platform.id)'")
            }
            try d.deviceKind.check(e.kind, field: "events[\(e.index)].kind")
        }
        // A write the screens must hear of (through the campaign write path, which tells every
        // instance): an alarm, or a device back online.
        let raisesAlarm = fresh.contains { $0.kind.isAlarm || devices[$0.serial]?.offlineSince != nil }
        let batch = fresh, batchDuplicates = duplicates
        let work: @Sendable (any SQLDatabase, CampaignTransaction?) async throws -> ResultDTO = { sql, tx in
            let store = DeviceStore(sql: sql)
            let stored = try await store.messageDigests(platform: platform.id, eventIDs: batch.map(\.eventID))
            var toStore: [Event] = []
            var dup = batchDuplicates
            for e in batch {
                if let d = stored[e.eventID] {
                    guard d == e.digest else {
                        throw DomainError(.conflict, field: "events[\(e.index)].eventId",
                                          reason: "event id '\(e.eventID)' was received before with different contents")
                    }
                    dup += 1
                } else {
                    toStore.append(e)
                }
            }
            var messages: [DeviceStore.Message] = []
            var outcomes: [AlarmOutcome] = []
            var opened: [String: UUID] = [:]   // device id + kind → the alarm opened in this batch
            var touched = Set<String>()
            // Oldest first, so marks and alarms follow the devices' own order.
            for e in toStore.sorted(by: { ($0.occurredAt, $0.index) < ($1.occurredAt, $1.index) }) {
                guard let device = devices[e.serial] else { continue }
                var alarmID: UUID?
                if e.kind.isAlarm {
                    let key = device.id.uuidString + e.kind.rawValue
                    if let open = opened[key] {
                        try await store.countRepeat(alarm: open)
                        alarmID = open
                        outcomes.append(AlarmOutcome(eventId: e.eventID, alarmId: open, repeated: true))
                    } else if let open = try await store.openAlarm(device: device.id, kind: e.kind) {
                        try await store.countRepeat(alarm: open.id)
                        alarmID = open.id
                        opened[key] = open.id
                        outcomes.append(AlarmOutcome(eventId: e.eventID, alarmId: open.id, repeated: true))
                    } else {
                        let id = try await raise(e, device: device, sql: sql, now: now)
                        alarmID = id
                        opened[key] = id
                        outcomes.append(AlarmOutcome(eventId: e.eventID, alarmId: id, repeated: false))
                    }
                    touched.insert(device.microGridCode)
                }
                messages.append(DeviceStore.Message(platform: platform.id, eventID: e.eventID, digest: e.digest, device: device.id,
                                                    kind: e.kind, occurredAt: e.occurredAt, alarm: alarmID))
            }
            // Per device: heard from now (reception, not the device's clock, says it is online),
            // marks set or cleared by the devices' own order.
            var byDevice: [UUID: [Event]] = [:]
            for e in toStore { if let d = devices[e.serial] { byDevice[d.id, default: []].append(e) } }
            let byID = Dictionary(devices.values.map { ($0.id, $0) }) { a, _ in a }
            for (id, list) in byDevice {
                guard let device = byID[id] else { continue }
                let last = max(now, device.lastMessageAt ?? now)
                var fault: Date?? = nil, battery: Date?? = nil
                let lastHeartbeat = list.filter { $0.kind == .heartbeat }.map(\.occurredAt).max()
                if let f = list.filter({ $0.kind == .fault }).map(\.occurredAt).max(), lastHeartbeat.map({ f >= $0 }) ?? true {
                    fault = .some(device.faultSince ?? min(f, now))
                } else if let h = lastHeartbeat, let since = device.faultSince, h > since {
                    fault = .some(nil)
                }
                if let b = list.filter({ $0.kind == .lowBattery }).map(\.occurredAt).max(), lastHeartbeat.map({ b >= $0 }) ?? true {
                    battery = .some(device.batteryLowSince ?? min(b, now))
                } else if let h = lastHeartbeat, let since = device.batteryLowSince, h > since {
                    battery = .some(nil)
                }
                try await store.update(device: id, lastMessageAt: last, faultSince: fault, batteryLowSince: battery)
                if device.offlineSince != nil { touched.insert(device.microGridCode) }
            }
            try await store.insert(messages: messages, at: now)
            tx?.touch(microGrids: touched)
            return ResultDTO(accepted: toStore.count, duplicates: dup, alarms: outcomes)
        }
        if raisesAlarm {
            return try await app.campaignWrite(scope: .everything, recordedAt: now) { tx in try await work(tx.sql, tx) }
        }
        return try await app.writeGate.transaction(on: app.db, changesCampaign: false) { sql in try await work(sql, nil) }
    }

    /// Opens an alarm and queues its SMS; answers its id.
    static func raise(_ e: Event, device: DeviceRow, sql: any SQLDatabase, now: Date) async throws -> UUID {
        let queries = CampaignQueries(sql: sql, scope: .everything)
        let subject = try await queries.subject(device.subjectId)
        let keyHazard = try await KeyHazardStore(sql: sql).isListed(device.subjectId)
        let town = DeviceAlarmRules.alertsTown(e.kind, inKeyHazardEnterprise: keyHazard)
        let id = UUID()
        // The workers of the subject's grid and micro-grid; the town's duty phone (a grid worker
        // entry under the town's code) for a possible fire at a key hazard enterprise.
        var phones: [String] = []
        var townPhone = false
        for code in [device.gridCode, device.microGridCode] + (town ? [device.townCode] : []) {
            guard let row = try await queries.gridWorker(of: code), let stored = try? row.decode(column: "phone", as: String.self),
                  let phone = try? PhoneNumber(stored: stored), phone.isSMSCapable, !phones.contains(phone.stored) else { continue }
            phones.append(phone.stored)
            if code == device.townCode { townPhone = true }
        }
        try await DeviceStore(sql: sql).insert(alarm: DeviceAlarmRow(
            id: id, deviceId: device.id, subjectId: device.subjectId, townCode: device.townCode, villageCode: device.villageCode,
            gridCode: device.gridCode, microGridCode: device.microGridCode, kind: e.kind.rawValue, state: DeviceAlarmState.raised.rawValue,
            raisedAt: DeviceEventTime.raisedAt(occurred: e.occurredAt, received: now), repeats: 0, townAlerted: townPhone, acknowledgedAt: nil, acknowledgedBy: nil, onSiteAt: nil,
            onSiteBy: nil, closedAt: nil, closedBy: nil, falseAlarmReason: nil, note: nil, itemCode: nil, hazardId: nil, inspectionId: nil))
        if !phones.isEmpty {
            let text = SMSTemplate.deviceAlarm(kindZh: e.kind.zh, subjectName: subject?.name ?? "", room: device.room,
                                               raisedAt: DeviceEventTime.raisedAt(occurred: e.occurredAt, received: now),
                                               keyHazardEnterprise: keyHazard)
            try await Outbox.enqueue(OutgoingMessage(kind: .deviceAlarm, subjectID: device.subjectId, inspectionID: nil, hazardID: nil,
                                                     body: text, segments: SMSText.segments(text).segments, recipients: phones,
                                                     dedupeKey: "alarm:\(id.uuidString.lowercased())"), sql: sql, at: now)
        }
        return id
    }
}

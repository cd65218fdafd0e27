import Foundation
import SQLKit
import SafeGridCore
import Vapor

/// `/api/v1/alarms`: device alarms and their handling on the phone — 接警 acknowledge, 到场 on
/// site, then 确认 confirm (the alarm becomes a hazard on the subject, recorded as a one-item
/// inspection through the campaign's write path: events, hash chain, colour, counters) or 误报
/// false alarm with a reason (three in 30 days flag the device for maintenance).
///
/// Jurisdiction: an alarm is read and handled by people whose area holds its subject; another
/// is 404 like an unknown one. Viewers only read.
enum AlarmsController {

    struct AlarmDTO: Content {
        let id: UUID
        let deviceId: UUID
        let subjectId: UUID
        let subjectName: String
        /// The subject's kind (which checklist items apply to it).
        let subjectKind: String
        /// The device's serial and, in rental housing, its room.
        let serial: String
        let room: String?
        let microGridCode: String
        let kind: String
        let kindName: String
        let state: String
        let stateName: String
        let raisedAt: String
        /// Further alarms of the same kind from the device while this one was open.
        let repeats: Int
        /// The town was alerted too (a possible fire at a key hazard enterprise).
        let townAlerted: Bool
        let acknowledgedAt: String?
        let acknowledgedBy: String?
        let onSiteAt: String?
        let onSiteBy: String?
        let closedAt: String?
        let closedBy: String?
        let falseAlarmReason: String?
        let note: String?
        let itemCode: String?
        /// The hazard a confirmed alarm became, and the inspection that records it.
        let hazardId: UUID?
        let inspectionId: UUID?
        /// Seconds from the alarm to its acknowledgement and to the arrival on site.
        let acknowledgeSeconds: Int?
        let onSiteSeconds: Int?

        init(_ a: DeviceAlarmRow, subject: SubjectRow?, device: DeviceRow?) {
            let alarm = a.alarm()
            id = a.id
            deviceId = a.deviceId
            subjectId = a.subjectId
            subjectName = subject?.name ?? ""
            subjectKind = subject?.kind ?? ""
            serial = device?.serial ?? ""
            room = device?.room
            microGridCode = a.microGridCode
            kind = a.kind
            kindName = alarm.kind.zh
            state = a.state
            stateName = alarm.state.zh
            raisedAt = Timestamp.format(a.raisedAt)
            repeats = a.repeats
            townAlerted = a.townAlerted
            acknowledgedAt = a.acknowledgedAt.map(Timestamp.format)
            acknowledgedBy = a.acknowledgedBy
            onSiteAt = a.onSiteAt.map(Timestamp.format)
            onSiteBy = a.onSiteBy
            closedAt = a.closedAt.map(Timestamp.format)
            closedBy = a.closedBy
            falseAlarmReason = a.falseAlarmReason
            note = a.note
            itemCode = a.itemCode
            hazardId = a.hazardId
            inspectionId = a.inspectionId
            acknowledgeSeconds = alarm.acknowledgeSeconds.map { Int($0.rounded()) }
            onSiteSeconds = alarm.onSiteSeconds.map { Int($0.rounded()) }
        }
    }

    /// `GET /api/v1/alarms?areaCode=&open=true|false`: the area's alarms, open ones oldest first
    /// (the default), or closed ones newest first; at most 200.
    static func list(_ req: Request) async throws -> [AlarmDTO] {
        let area = try await Input.areaCode(req) ?? req.homeAreaCode
        guard req.queries.sees(area: area) else { throw DomainError(.notFound, field: "areaCode", reason: "no area with code \(area)") }
        let open: Bool?
        switch req.query[String.self, at: "open"] ?? "" {
        case "", "true": open = true
        case "false": open = false
        case "all": open = nil
        case let other: throw DomainError.invalid("open", "open is true, false or all, got '\(other.prefix(20))'")
        }
        let store = DeviceStore(sql: req.sql)
        let rows = try await store.alarms(area: area, open: open, limit: 200, queries: req.queries)
        return try await dtos(rows, req)
    }

    static func dto(_ row: DeviceAlarmRow, _ req: Request) async throws -> AlarmDTO {
        let device = try await DeviceStore(sql: req.sql).devices(ids: [row.deviceId])[row.deviceId]
        return AlarmDTO(row, subject: try await req.queries.subject(row.subjectId), device: device)
    }

    /// The answers of `rows`, with their subjects and devices read once.
    static func dtos(_ rows: [DeviceAlarmRow], _ req: Request) async throws -> [AlarmDTO] {
        let subjects = try await req.queries.subjects(Array(Set(rows.map(\.subjectId))))
        let devices = try await DeviceStore(sql: req.sql).devices(ids: Array(Set(rows.map(\.deviceId))))
        return rows.map { AlarmDTO($0, subject: subjects[$0.subjectId], device: devices[$0.deviceId]) }
    }

    /// `GET /api/v1/alarms/{id}`.
    static func show(_ req: Request) async throws -> AlarmDTO {
        let id = try Input.uuid(req.parameters.get("id"), "id", kind: .notFound)
        guard let a = try await DeviceStore(sql: req.sql).alarm(id, queries: req.queries) else {
            throw DomainError(.notFound, field: "id", reason: "no alarm with id \(id)")
        }
        return try await dto(a, req)
    }

    struct ActionInput: Content {
        /// `acknowledge`, `arriveOnSite`, `confirm`, `declareFalseAlarm` (``DeviceAlarmAction``).
        let action: String?
        /// When it happened, RFC 3339 with offset; default now. `acknowledge` is always now;
        /// the others at most 30 minutes back, not before the alarm's last step, not ahead.
        let occurredAt: String?
        /// The name of who acted (the account's display name when absent).
        let actor: String?
        /// `confirm`: the checklist item found (default: the alarm kind's, ``DeviceAlarmRules/hazardItemCode(for:)``).
        let itemCode: String?
        /// `confirm`: the severity (default: the item's).
        let severity: String?
        /// `declareFalseAlarm`: ``FalseAlarmReason``.
        let reason: String?
        let note: String?
    }

    /// `POST /api/v1/alarms/{id}/actions`: one step of an alarm. Confirming records a one-item
    /// inspection of the subject by the acting worker (the item's department named on the team),
    /// whose hazard follows the normal loop (deadline, notice, re-inspection).
    /// - Throws: 404 for an alarm outside the jurisdiction; 409 on `action` for a step the state
    ///   forbids (with `currentState`); 422 naming `action`, `occurredAt`, `itemCode` (unknown, not
    ///   for the subject's kind), `reason`, `note`.
    static func act(_ req: Request) async throws -> AlarmDTO {
        let id = try Input.uuid(req.parameters.get("id"), "id", kind: .notFound)
        let input = try req.content.decode(ActionInput.self)
        let account = try req.account()
        let action: DeviceAlarmAction = try Input.enumValue(input.action ?? "", "action")
        let now = req.services.now()
        let given = try input.occurredAt.flatMap { $0.isEmpty ? nil : try Input.timestamp($0, "occurredAt") }
        let name = input.actor.map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 } ?? account.displayName
        try TextRules.check(name, "actor", max: TextRules.personName)
        let actor = "\(name)（\(account.username)）"
        let reason: FalseAlarmReason? = try Input.optionalEnum(input.reason, "reason")
        let severity: Severity? = try Input.optionalEnum(input.severity, "severity")
        let checklists = req.application.checklists
        let row: DeviceAlarmRow = try await req.campaignWrite { tx in
            let store = DeviceStore(sql: tx.sql)
            guard let row = try await store.alarm(id, queries: tx.queries) else {
                throw DomainError(.notFound, field: "id", reason: "no alarm with id \(id)")
            }
            let alarm = row.alarm()
            let at = try DeviceAlarmRules.stepTime(action, from: alarm.state, given: given, now: now)
            var next: DeviceAlarm
            var hazard: UUID?, inspection: UUID?
            switch action {
            case .acknowledge: next = try alarm.acknowledging(at: at, by: actor)
            case .arriveOnSite: next = try alarm.arrivingOnSite(at: at, by: actor)
            case .declareFalseAlarm:
                guard let reason else { throw DomainError.invalid("reason", "say why it was a false alarm: " + FalseAlarmReason.allCases.map(\.rawValue).joined(separator: ", ")) }
                next = try alarm.declaringFalseAlarm(at: at, by: actor, reason: reason, note: input.note)
            case .confirm:
                next = try alarm.confirming(at: at, by: actor, itemCode: input.itemCode, note: input.note)
                guard let subject = try await tx.queries.subject(row.subjectId) else {
                    throw DomainError(.notFound, field: "id", reason: "no alarm with id \(id)")
                }
                let checklist = try await checklists.current(sql: tx.sql)
                let code = next.itemCode ?? ""
                guard let item = checklist.item(code), item.applies(to: subject.subjectKind) else {
                    throw DomainError.invalid("itemCode", "\(code) is not an item of checklist \(checklist.version) for a \(subject.kind)")
                }
                let note = ["设备告警 \(alarm.kind.zh)", next.note].compactMap { $0 }.joined(separator: "：")
                let plan = try await tx.change(subject) { dossier throws(DomainError) in
                    try dossier.inspect(checklist: checklist, inspectedAt: at, team: [TeamMember(name: name, department: item.department)],
                                        inspector: actor, results: [ItemResult(itemCode: code, outcome: .hazard, note: note, severity: severity)],
                                        now: now, by: account, makeID: { UUID() })
                }
                inspection = plan.id
                hazard = plan.hazards.first?.id ?? plan.linkedHazards[code]
            }
            try await store.update(alarm: id, to: next, hazard: hazard, inspection: inspection)
            if next.state == .falseAlarm {
                let since = now.addingTimeInterval(-DeviceAlarmRules.maintenanceWindow)
                let falseAlarms = try await store.falseAlarms(device: row.deviceId, since: since)
                if DeviceAlarmRules.needsMaintenance(falseAlarms: falseAlarms, now: now) {
                    try await store.setMaintenance(device: row.deviceId, since: now)
                }
            }
            tx.touch(microGrids: [row.microGridCode])
            guard let updated = try await store.alarm(id, queries: tx.queries) else {
                throw DomainError(.notFound, field: "id", reason: "no alarm with id \(id)")
            }
            return updated
        }
        return try await dto(row, req)
    }
}

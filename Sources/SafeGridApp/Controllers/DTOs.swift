import Foundation
import SafeGridCore
import Vapor

// Shapes of the JSON API. Times are RFC 3339 with the Asia/Shanghai offset (+08:00); calendar
// dates are YYYY-MM-DD on the Asia/Shanghai calendar; enums are their raw values with zh/en labels.

struct LabelDTO: Content {
    let value: String
    let zh: String
    let en: String
}

struct AreaDTO: Content {
    let code: String
    let name: String
    let shortName: String
    let level: String
    let parentCode: String?
    let villageKind: String?

    init(_ a: Area) {
        code = a.code
        name = a.name
        shortName = a.shortName
        level = a.level.rawValue
        parentCode = a.parentCode
        villageKind = a.villageKind?.rawValue
    }
}

struct ColourDTO: Content {
    let key: String
    let category: String
    let situation: String?
    let zh: String
    let en: String
    let hex: String

    init(_ c: SubjectColour) {
        key = c.key
        category = c.category.rawValue
        situation = c.situation?.rawValue
        zh = c.zh
        en = c.en
        hex = c.hex
    }
}

struct LocationDTO: Content {
    let latitude: Double
    let longitude: Double
    let datum: String
}

struct PartyDTO: Content {
    let name: String
    /// Masked (`138****0000`) unless the caller's role needs the number.
    let phone: String
    let smsCapable: Bool
}

struct SubjectDTO: Content {
    let id: UUID
    let kind: String
    let name: String
    let address: String
    let creditCode: String?
    let aboveScale: Bool
    let rooms: Int?
    let parentId: UUID?
    let townCode: String
    let villageCode: String
    let gridCode: String
    let microGridCode: String
    let party: PartyDTO
    let location: LocationDTO?
    /// Both datums, for map clients: `gcj02` for AMap, `wgs84` for GPS tools.
    let locationGCJ02: LocationDTO?
    let colour: ColourDTO?
    let closedDownAt: String?
    let createdAt: String

    /// - Parameter revealPhone: the party's number in full (``Role/seesPartyPhoneNumbers``), else
    ///   masked as `138****0000`.
    init(_ r: SubjectRow, revealPhone: Bool) {
        id = r.id
        kind = r.kind
        name = r.name
        address = r.address
        creditCode = r.creditCode
        aboveScale = r.aboveScale
        rooms = r.rooms
        parentId = r.parentId
        townCode = r.townCode
        villageCode = r.villageCode
        gridCode = r.gridCode
        microGridCode = r.microGridCode
        let phone = r.phone
        party = PartyDTO(name: r.partyName, phone: (revealPhone ? phone?.display : phone?.masked) ?? "—",
                         smsCapable: phone?.isSMSCapable ?? false)
        location = r.location.map { LocationDTO(latitude: $0.latitude, longitude: $0.longitude, datum: $0.datum.rawValue) }
        locationGCJ02 = r.location.map { $0.converted(to: .gcj02) }
            .map { LocationDTO(latitude: $0.latitude, longitude: $0.longitude, datum: $0.datum.rawValue) }
        colour = r.subjectColour.map(ColourDTO.init)
        closedDownAt = r.closedDownAt.map(Timestamp.format)
        createdAt = Timestamp.format(r.createdAt)
    }
}

struct HazardEventDTO: Content {
    let seq: Int64
    let kind: String
    let label: String
    let fromState: String?
    let toState: String
    let actor: String
    let reason: String?
    let occurredAt: String
    let recordedAt: String
    let dueAt: String?
    /// The phone's id as it sent it (stored qualified by the account, see
    /// ``OfflineSyncController/deviceKey(username:device:)``).
    let deviceId: String?
    let deviceSeq: Int64?
    /// Arrived after an event with a later client time had been applied.
    let late: Bool
    let hash: String

    init(_ e: HazardEventRow) {
        deviceId = e.deviceId.map(OfflineSyncController.deviceName)
        deviceSeq = e.deviceSeq
        late = e.late
        hash = e.hash
        seq = e.seq
        kind = e.kind
        label = HazardEventKind(rawValue: e.kind)?.zh ?? e.kind
        fromState = e.fromState
        toState = e.toState
        actor = e.actor
        reason = e.reason
        occurredAt = Timestamp.format(e.occurredAt)
        recordedAt = Timestamp.format(e.recordedAt)
        dueAt = e.dueAt.map(Timestamp.format)
    }
}

struct HazardDTO: Content {
    let id: UUID
    let subjectId: UUID
    let subjectKind: String
    let inspectionId: UUID
    let villageCode: String
    let gridCode: String
    let microGridCode: String
    let checklistVersion: Int
    let itemCode: String
    let item: LocalizedText?
    let legalBasis: String?
    let department: String
    let category: String
    let severity: String
    let mode: String
    let state: String
    let stateLabel: LocalizedText
    let foundAt: String
    let dueAt: String
    let dueOn: String
    let rectifiedAt: String?
    let overdue: Bool
    let reboundCount: Int
    let version: Int
    let note: String?
    /// The inspection's photos of this hazard: ids of uploaded photos (`/photos/{id}`) or, from
    /// ledger imports, the file names of photos held elsewhere.
    let photos: [String]
    let events: [HazardEventDTO]?

    init(_ h: HazardRow, item: ChecklistItem?, now: Date, events: [HazardEventRow]? = nil) {
        id = h.id
        subjectId = h.subjectId
        subjectKind = h.subjectKind
        inspectionId = h.inspectionId
        villageCode = h.villageCode
        gridCode = h.gridCode
        microGridCode = h.microGridCode
        checklistVersion = h.checklistVersion
        itemCode = h.itemCode
        self.item = item.map { LocalizedText(zh: $0.zh, en: $0.en) }
        legalBasis = item?.legalBasis
        department = h.department
        category = h.category
        severity = h.severity
        mode = h.mode
        state = h.state
        stateLabel = LocalizedText(zh: h.hazardState.zh, en: h.hazardState.en)
        foundAt = Timestamp.format(h.foundAt)
        dueAt = Timestamp.format(h.dueAt)
        dueOn = CalendarDate(shanghai: h.dueAt).description
        rectifiedAt = h.rectifiedAt.map(Timestamp.format)
        overdue = h.status.isOverdue(at: now)
        reboundCount = h.reboundCount
        photos = h.photos.flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) } ?? []
        version = h.version
        note = h.note
        self.events = events.map { $0.map(HazardEventDTO.init) }
    }
}

struct TeamMemberDTO: Content {
    let name: String
    let department: String
}

struct ItemResultDTO: Content {
    let itemCode: String
    let outcome: String
    let note: String?
    /// For a hazard result: the hazard it created, or the open hazard of the same item it was
    /// linked to (`linked` true) instead of creating a duplicate.
    let hazardId: UUID?
    let linked: Bool?
}

struct InspectionDTO: Content {
    let id: UUID
    let clientId: String
    let subjectId: UUID
    let checklistVersion: Int
    let inspectedAt: String
    let inspector: String
    let team: [TeamMemberDTO]
    let results: [ItemResultDTO]
    let hazards: [HazardDTO]
    /// The subject's colour after this inspection.
    let subjectColour: ColourDTO?
}

struct ChecklistDTO: Content {
    let version: Int
    let title: LocalizedText
    let publishedOn: String
    let items: [ChecklistItem]
}

extension InspectionDTO {
    /// The answer to an inspection submission, built from what the rules planned (also stored
    /// with the inspection and answered again to a repeat of the same submission).
    init(plan: InspectionPlan, clientID: String, subject: SubjectRow, checklist: Checklist, colour: SubjectColour?, now: Date) {
        self.init(
            id: plan.id, clientId: clientID, subjectId: subject.id, checklistVersion: checklist.version,
            inspectedAt: Timestamp.format(plan.inspectedAt), inspector: plan.inspector,
            team: plan.team.map { TeamMemberDTO(name: $0.name, department: $0.department.rawValue) },
            results: plan.results.map { r in
                let linked = plan.linkedHazards[r.itemCode]
                return ItemResultDTO(itemCode: r.itemCode, outcome: r.outcome.rawValue, note: r.note,
                                     hazardId: linked ?? plan.hazards.first { $0.itemCode == r.itemCode }?.id,
                                     linked: r.outcome == .hazard ? linked != nil : nil)
            },
            hazards: plan.hazards.map { h in
                HazardDTO(HazardRow(planned: h, subject: subject, version: checklist.version, recordedAt: now),
                          item: checklist.item(h.itemCode), now: now)
            },
            subjectColour: colour.map(ColourDTO.init))
    }
}

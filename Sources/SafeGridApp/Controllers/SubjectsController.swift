import Foundation
import SQLKit
import SafeGridCore
import Vapor

/// `/api/v1/subjects`: subjects (enterprises, street shops, rental housing, parks).
enum SubjectsController {
    struct PartyInput: Content {
        let name: String
        /// Mobile or landline in any common form (`+86 138 0000 0000`, `138-0000-0000`, `0571-82345678`).
        let phone: String
    }

    struct LocationInput: Content {
        let latitude: Double
        let longitude: Double
        /// `wgs84` (a phone's GPS) or `gcj02` (AMap); default `wgs84`.
        let datum: String?
    }

    struct SubjectInput: Content {
        /// Chosen by the client (a phone registering offline), so a replay is idempotent.
        let id: String?
        let kind: String
        let name: String
        let address: String
        let creditCode: String?
        let aboveScale: Bool?
        let rooms: Double?
        let parentId: String?
        let microGridCode: String
        let party: PartyInput
        let location: LocationInput?
    }

    static func create(_ req: Request) async throws -> Response {
        let input = try req.content.decode(SubjectInput.self)
        let kind: SubjectKind = try Input.enumValue(input.kind, "kind")
        let creditCode: CreditCode?
        if let raw = input.creditCode, !raw.trimmingCharacters(in: .whitespaces).isEmpty {
            do { creditCode = try CreditCode(raw) } catch { throw DomainError.invalid("creditCode", error) }
        } else {
            creditCode = nil
        }
        let phone: PhoneNumber
        do { phone = try PhoneNumber(input.party.phone) } catch { throw DomainError.invalid("party.phone", error) }
        var location: GeoPoint? = nil
        if let l = input.location {
            let datum: Datum = try Input.optionalEnum(l.datum, "location.datum") ?? .wgs84
            do { location = try GeoPoint(latitude: l.latitude, longitude: l.longitude, datum: datum) } catch {
                throw DomainError.invalid("location", error)
            }
        }
        let parentID = try input.parentId.map { s throws(DomainError) in try Input.uuid(s, "parentId") }
        let chosenID = try input.id.flatMap { $0.isEmpty ? nil : $0 }.map { s throws(DomainError) in try Input.uuid(s, "id") }
        let subject = Subject(id: chosenID ?? UUID(), kind: kind, name: input.name.trimmingCharacters(in: .whitespacesAndNewlines),
                              address: input.address.trimmingCharacters(in: .whitespacesAndNewlines),
                              creditCode: creditCode, aboveScale: input.aboveScale ?? false,
                              rooms: try Input.integer(input.rooms, "rooms", in: 1...10_000),
                              parentId: parentID, microGridCode: input.microGridCode, party: ResponsibleParty(
                                  name: input.party.name.trimmingCharacters(in: .whitespacesAndNewlines), phone: phone),
                              location: location)
        try subject.validate(boundary: req.services.boundary)
        let now = req.services.now()
        let replayed = try await req.campaignWrite { tx -> Bool in
            let q = tx.queries
            if chosenID != nil, try await q.subjectExists(id: subject.id) {
                // A phone sending its offline registration again gets what it registered; any
                // other use of the id is a conflict.
                guard let stored = try await q.subject(subject.id), Self.sameRegistration(stored, subject) else {
                    throw DomainError(.conflict, field: "id", reason: "subject id \(subject.id.uuidString.lowercased()) is already taken by another subject")
                }
                return true
            }
            guard let mg = try await q.area(subject.microGridCode), mg.level == .microGrid else {
                throw DomainError.invalid("microGridCode", "no micro-grid with code \(subject.microGridCode)")
            }
            if let parentID {
                guard let parent = try await q.subject(parentID) else {
                    throw DomainError.invalid("parentId", "no subject with id \(parentID)")
                }
                if parent.closedDownAt != nil {
                    throw DomainError.invalid("parentId", "the parent subject \(parent.name) is closed down")
                }
            }
            if let code = creditCode?.value, try await q.subjectExists(creditCode: code) {
                throw DomainError(.conflict, field: "creditCode", reason: "a subject with credit code \(code) already exists")
            }
            try await tx.create([subject])
            return false
        }
        guard let row = try await req.queries.subject(subject.id) else { throw Abort(.internalServerError) }
        let response = try Response.json(SubjectDTO(row, revealPhone: req.revealsPhoneNumbers), status: replayed ? .ok : .created)
        response.headers.replaceOrAdd(name: .location, value: "/api/v1/subjects/\(subject.id.uuidString.lowercased())")
        return response
    }

    /// Whether a stored subject is the registration `s` again: same kind, name, address, credit
    /// code, micro-grid, parent, party, rooms, above-scale and position.
    static func sameRegistration(_ row: SubjectRow, _ s: Subject) -> Bool {
        row.kind == s.kind.rawValue && row.name == s.name && row.address == s.address && row.creditCode == s.creditCode?.value
            && row.microGridCode == s.microGridCode && row.parentId == s.parentId && row.partyName == s.party.name
            && row.partyPhone == s.party.phone.stored && row.rooms == s.rooms && row.aboveScale == s.aboveScale
            && row.latitude == s.location?.latitude && row.longitude == s.location?.longitude && row.datum == s.location?.datum.rawValue
    }

    /// Filters: `kind`, `areaCode`, `colour` (key such as `serious.inProgress`), `parentId`, `q`
    /// (name, address or credit code contains), `page`, `per`.
    static func list(_ req: Request) async throws -> Page<SubjectDTO> {
        let (page, per, offset) = try Input.page(req)
        var f = CampaignQueries.SubjectFilter()
        f.kind = try Input.optionalEnum(req.query[String.self, at: "kind"], "kind")
        f.areaCode = try await Input.areaCode(req)
        if let c = req.query[String.self, at: "colour"], !c.isEmpty {
            guard let colour = SubjectColour(key: c) else {
                throw DomainError.invalid("colour", "'\(c)' is not one of \(SubjectColour.all.map(\.key).joined(separator: ", "))")
            }
            f.colour = colour
        }
        if let p = req.query[String.self, at: "parentId"] { f.parentID = try Input.uuid(p, "parentId") }
        f.search = try Input.search(req)
        let (rows, total) = try await req.queries.subjects(f, limit: per, offset: offset)
        return Page(items: rows.map { SubjectDTO($0, revealPhone: req.revealsPhoneNumbers) }, page: page, per: per, total: total)
    }

    struct SubjectDetailDTO: Content {
        let subject: SubjectDTO
        /// Listed as a key hazard enterprise (重点隐患企业) by the latest ranking.
        let keyHazardEnterprise: Bool
        let hazards: [HazardDTO]
        let colourHistory: [ColourChangeDTO]
    }

    struct ColourChangeDTO: Content {
        let colour: ColourDTO?
        let previous: String?
        let cause: String
        let changedAt: String
    }

    static func show(_ req: Request) async throws -> SubjectDetailDTO {
        try await detail(try Input.uuid(req.parameters.get("id"), "id", kind: .notFound), req: req)
    }

    static func detail(_ id: UUID, req: Request) async throws -> SubjectDetailDTO {
        let q = req.queries
        guard let row = try await q.subject(id) else { throw DomainError(.notFound, field: "id", reason: "no subject \(id)") }
        let events = Dictionary(grouping: try await q.events(subject: id), by: \.hazardId)
        return SubjectDetailDTO(
            subject: SubjectDTO(row, revealPhone: req.revealsPhoneNumbers),
            keyHazardEnterprise: try await KeyHazardStore(sql: req.sql).isListed(id),
            hazards: try await req.hazardDTOs(try await q.hazards(subject: id), events: events),
            colourHistory: try await q.colourHistory(subject: id).map {
                ColourChangeDTO(colour: SubjectColour(key: $0.colour).map(ColourDTO.init), previous: $0.previous,
                                cause: $0.cause, changedAt: Timestamp.format($0.changedAt))
            })
    }

    struct CloseDownInput: Content {
        let actor: String
        let reason: String
        let occurredAt: String?
    }

    /// 关停: `POST /api/v1/subjects/{id}/close-down`; closes the subject's open hazards.
    static func closeDown(_ req: Request) async throws -> SubjectDetailDTO {
        try req.checkMayOrderClosure()
        let id = try Input.uuid(req.parameters.get("id"), "id", kind: .notFound)
        let input = try req.content.decode(CloseDownInput.self)
        let now = req.services.now()
        let at = try input.occurredAt.map { s throws(DomainError) in try Input.timestamp(s, "occurredAt") } ?? now
        try InspectionRules.checkNotInFuture(at, "occurredAt", now: now)
        try TextRules.check(input.reason, "reason", max: TextRules.note, multiline: true)
        try TextRules.check(input.actor, "actor", max: TextRules.personName)
        let actor = try req.recordedActor(input.actor)
        try await req.campaignWrite { tx in
            guard let subject = try await tx.queries.subject(id) else { throw DomainError(.notFound, field: "id", reason: "no subject \(id)") }
            if at < subject.createdAt.addingTimeInterval(-InspectionRules.oldestVisit) {
                throw DomainError.invalid("occurredAt", "the closure is dated long before the subject was recorded")
            }
            try await tx.change(subject) { try $0.closeDown(at: at, actor: actor, reason: input.reason) }
        }
        return try await show(req)
    }
}

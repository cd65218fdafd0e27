import Foundation
import SQLKit
import SafeGridCore
import Vapor

/// `/api/v1/hazards`: list with filters, detail with timeline, and state transitions.
enum HazardsController {
    /// Filters from the query string: `areaCode`, `subjectId`, `kind`, `state` (comma list),
    /// `severity`, `department`, `itemCode`, `overdue=true`, `foundFrom`, `foundTo` (dates).
    static func filter(_ req: Request) async throws -> CampaignQueries.HazardFilter {
        var f = CampaignQueries.HazardFilter()
        f.areaCode = try await Input.areaCode(req)
        f.subjectID = try await Input.subjectID(req)
        f.kind = try Input.optionalEnum(req.query[String.self, at: "kind"], "kind")
        if let states = req.query[String.self, at: "state"], !states.isEmpty {
            f.states = try states.split(separator: ",").map { s throws(DomainError) in try Input.enumValue(String(s), "state") }
        }
        f.severity = try Input.optionalEnum(req.query[String.self, at: "severity"], "severity")
        f.department = try Input.optionalEnum(req.query[String.self, at: "department"], "department")
        f.itemCode = req.query[String.self, at: "itemCode"].flatMap { $0.isEmpty ? nil : $0 }
        switch req.query[String.self, at: "overdue"] {
        case nil, "", "false": break
        case "true": f.overdueAt = req.services.now()
        case let other?: throw DomainError.invalid("overdue", "overdue must be true or false, got \(other)")
        }
        f.foundFrom = try Input.calendarDate(req.query[String.self, at: "foundFrom"], "foundFrom")
        f.foundTo = try Input.calendarDate(req.query[String.self, at: "foundTo"], "foundTo")
        return f
    }

    static func list(_ req: Request) async throws -> Page<HazardDTO> {
        let (page, per, offset) = try Input.page(req)
        let (rows, total) = try await req.queries.hazards(try await filter(req), limit: per, offset: offset)
        return Page(items: try await req.hazardDTOs(rows), page: page, per: per, total: total)
    }

    static func show(_ req: Request) async throws -> HazardDTO {
        let id = try Input.uuid(req.parameters.get("id"), "id", kind: .notFound)
        guard let row = try await req.queries.hazard(id) else { throw DomainError(.notFound, field: "id", reason: "no hazard \(id)") }
        let events = try await req.queries.events(hazard: id)
        return try await req.hazardDTOs([row], events: [id: events])[0]
    }

    /// The body of `POST /api/v1/hazards/{id}/actions`. The hazard's version may come as
    /// `version` or as an `If-Match` header; a stale one gets 409 with the current state.
    struct ActionInput: Content {
        let action: String
        let actor: String
        let reason: String?
        /// New deadline (Asia/Shanghai date) for `notYetRectified` / `reportRebound`.
        let dueOn: String?
        /// When it happened (RFC 3339 with offset); defaults to the server's time.
        let occurredAt: String?
        let version: Double?
    }

    static func act(_ req: Request) async throws -> Response {
        let id = try Input.uuid(req.parameters.get("id"), "id", kind: .notFound)
        let input = try req.content.decode(ActionInput.self)
        let action: HazardAction = try Input.enumValue(input.action, "action")
        let now = req.services.now()
        let at = try input.occurredAt.map { s throws(DomainError) in try Input.timestamp(s, "occurredAt") } ?? now
        try InspectionRules.checkNotInFuture(at, "occurredAt", now: now)
        let dueAt = try Input.calendarDate(input.dueOn, "dueOn")?.endUTC
        var version = try Input.integer(input.version, "version", in: 1...Int(Int32.max))
        if let header = req.headers.first(name: .ifMatch) {
            let digits = header.trimmingCharacters(in: CharacterSet(charactersIn: "\"W/ "))
            guard let v = Int(digits) else { throw DomainError.invalid("If-Match", "If-Match must hold the hazard's version, e.g. \"3\"") }
            version = v
        }
        if action == .closeDown {
            throw DomainError.invalid("action", "close the subject down instead: POST /api/v1/subjects/{id}/close-down")
        }
        let expected = version
        let actor = try req.recordedActor(input.actor)
        try await req.campaignWrite { tx in
            guard let hazard = try await tx.queries.hazard(id), let subject = try await tx.queries.subject(hazard.subjectId) else {
                throw DomainError(.notFound, field: "id", reason: "no hazard \(id)")
            }
            try req.checkMayAct(onHazard: hazard)
            try await tx.change(subject) { dossier in
                try dossier.apply(action, hazard: id, at: at, actor: actor, reason: input.reason, newDueAt: dueAt,
                                  expectedVersion: expected)
            }
        }
        let dto = try await show(req)
        let response = try Response.json(dto)
        response.headers.replaceOrAdd(name: .eTag, value: "\"\(dto.version)\"")
        return response
    }
}

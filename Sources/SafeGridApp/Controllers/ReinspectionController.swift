import Foundation
import SQLKit
import SafeGridCore
import Vapor

/// 复查: re-inspection of several hazards of one subject.
enum ReinspectionController {
    struct ResultInput: Content {
        let hazardId: String
        /// `rectified` (整改到位), `notYet` (stays open; may get a new deadline, reason required),
        /// `rebound` (a rectified hazard found again; reason required).
        let outcome: String
        let reason: String?
        let dueOn: String?
        let version: Double?
        /// Ids of photos uploaded first (`POST /api/v1/photos`) showing what was found.
        let photos: [String]?
    }

    struct ReinspectionInput: Content {
        let subjectId: String
        let inspector: String
        /// RFC 3339 with offset; defaults to now.
        let reinspectedAt: String?
        let results: [ResultInput]
    }

    enum Outcome: String, CaseIterable { case rectified, notYet, rebound }

    /// `POST /api/v1/reinspections`: verifies several hazards of one subject in one transaction —
    /// all or nothing.
    static func reinspect(_ req: Request) async throws -> SubjectsController.SubjectDetailDTO {
        let input = try req.content.decode(ReinspectionInput.self)
        let subjectID = try Input.uuid(input.subjectId, "subjectId")
        let now = req.services.now()
        let at = try input.reinspectedAt.map { s throws(DomainError) in try Input.timestamp(s, "reinspectedAt") } ?? now
        try InspectionRules.checkNotInFuture(at, "reinspectedAt", now: now)
        guard !input.results.isEmpty else { throw DomainError.invalid("results", "a re-inspection needs at least one result") }
        struct Step: Sendable { let id: UUID; let action: HazardAction; let reason: String?; let due: Date?; let version: Int?; let photos: [String] }
        var steps: [Step] = []
        var photoReferences: [(field: String, id: String)] = []
        for (i, r) in input.results.enumerated() {
            let id = try Input.uuid(r.hazardId, "results[\(i)].hazardId")
            guard !steps.contains(where: { $0.id == id }) else {
                throw DomainError.invalid("results[\(i)].hazardId", "hazard \(id.uuidString.lowercased()) is re-inspected twice in one re-inspection; give one result per hazard")
            }
            let photos = r.photos ?? []
            guard photos.count <= TextRules.photosPerItem else {
                throw DomainError.invalid("results[\(i)].photos", "at most \(TextRules.photosPerItem) photos per hazard")
            }
            for (k, photo) in photos.enumerated() {
                guard PhotoFacts.isPhotoID(photo) else {
                    throw DomainError.invalid("results[\(i)].photos[\(k)]", "a photo is the id of an uploaded photo (64 hex digits, POST /api/v1/photos)")
                }
                photoReferences.append(("results[\(i)].photos[\(k)]", photo))
            }
            let outcome: Outcome = try Input.enumValue(r.outcome, "results[\(i)].outcome")
            let action: HazardAction = switch outcome {
            case .rectified: .verifyRectified
            case .notYet: .notYetRectified
            case .rebound: .reportRebound
            }
            steps.append(Step(id: id, action: action, reason: r.reason,
                              due: try Input.calendarDate(r.dueOn, "results[\(i)].dueOn")?.endUTC,
                              version: try Input.integer(r.version, "results[\(i)].version", in: 1...Int(Int32.max)),
                              photos: Array(Set(photos)).sorted()))
        }
        try await PhotosController.checkUploaded(photoReferences, by: try req.account(), sql: req.sql)
        let planned = steps
        let actor = try req.recordedActor(input.inspector)
        try await req.campaignWrite { tx in
            let q = tx.queries
            guard let subject = try await q.subject(subjectID) else {
                throw DomainError.invalid("subjectId", "no subject with id \(subjectID)")
            }
            for s in planned {
                if let hazard = try await q.hazard(s.id), hazard.subjectId == subject.id { try req.checkMayAct(onHazard: hazard) }
            }
            try await tx.change(subject) { dossier in
            for (i, s) in planned.enumerated() {
                do throws(DomainError) {
                    try dossier.apply(s.action, hazard: s.id, at: at, actor: actor, reason: s.reason, newDueAt: s.due,
                                     expectedVersion: s.version)
                } catch {
                    // Name the result the error belongs to.
                    // Name the input field: the API says outcome, inspector, reinspectedAt.
                    let inputName = ["action": "outcome", "actor": "inspector", "occurredAt": "reinspectedAt"]
                    let field = error.field.map { f -> String in
                        if f == "actor" || f == "occurredAt" { return inputName[f]! }
                        return "results[\(i)].\(inputName[f] ?? f)"
                    }
                    throw DomainError(error.kind, field: field, reason: error.reason, extra: error.extra)
                }
            }
            }
            try await PhotoStore(sql: tx.sql).record(planned.flatMap { s in
                s.photos.map { PhotoStore.Use(sha256: $0, subjectID: subject.id, hazardID: s.id, source: "reinspection", sourceID: s.id) }
            }, at: now)
        }
        return try await SubjectsController.detail(subjectID, req: req)
    }
}

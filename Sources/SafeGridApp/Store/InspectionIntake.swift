import Foundation
import SQLKit
import SafeGridCore
import Vapor

/// Group commit for inspection submissions (`POST /api/v1/inspections`).
///
/// Submissions that arrive while a write transaction runs wait in a queue; the next transaction
/// takes all of them (up to ``maxBatch``): one read of their idempotency keys, subjects and open
/// dossiers, the domain rules applied to each in arrival order (two visits to one subject see
/// each other), and one bulk write through ``CampaignTransaction/changeAll(_:_:)`` — the
/// path the demo uses for thousands of dossiers. A submission the rules refuse gets its own error
/// and is left out; the others commit together. Should the bulk write itself fail, each
/// submission of the batch is retried alone, so one bad row cannot fail its neighbours.
///
/// Why: with one writer, a transaction per inspection spends most of its time waiting between
/// its ~17 statements (each a hop to SQLite's thread and back); measured at ~170 inspections/s
/// with 64 clients. A batch pays those hops once.
actor InspectionIntake {
    /// One validated submission.
    struct Submission: Sendable {
        let clientID: String
        let requestHash: String
        let subjectID: UUID
        let checklistVersion: Int?
        let inspectedAt: Date
        let team: [TeamMember]
        /// The name given followed by the signed-in account, `李伟（xiaofang.inspector）`.
        let inspector: String
        let results: [ItemResult]
        /// Who submitted it: the rules check what they may sign off (a hazard fixed on the spot).
        let account: Account
        /// The submitter's jurisdiction: a subject outside it is answered as unknown.
        let scope: Jurisdiction
    }

    /// The stored response JSON, and whether it is a replay of an earlier submission.
    typealias Outcome = (json: String, replayed: Bool)

    static let maxBatch = 128

    private var queue: [(Submission, CheckedContinuation<Outcome, any Error>)] = []
    private var draining = false

    /// Queues a submission and waits for its transaction.
    /// - Throws: the ``DomainError`` the rules raised for it (unknown subject, clientId reused
    ///   for a different body, a rule of ``InspectionRules``), or a database error.
    func submit(_ s: Submission, app: Application) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            queue.append((s, continuation))
            if !draining {
                draining = true
                Task { await self.drain(app: app) }
            }
        }
    }

    private func drain(app: Application) async {
        while !queue.isEmpty {
            let batch = Array(queue.prefix(Self.maxBatch))
            queue.removeFirst(batch.count)
            let outcomes = await Self.process(batch.map(\.0), app: app)
            for ((_, continuation), outcome) in zip(batch, outcomes) { continuation.resume(with: outcome) }
        }
        draining = false
    }

    /// Runs a batch in one transaction; on a failure of the transaction itself, each alone.
    static func process(_ batch: [Submission], app: Application) async -> [Result<Outcome, any Error>] {
        do {
            return try await transaction(batch, app: app)
        } catch {
            guard batch.count > 1 else { return [.failure(error)] }
            var outcomes: [Result<Outcome, any Error>] = []
            for s in batch {
                do { outcomes.append(try await transaction([s], app: app)[0]) } catch { outcomes.append(.failure(error)) }
            }
            return outcomes
        }
    }

    private static func transaction(_ batch: [Submission], app: Application) async throws -> [Result<Outcome, any Error>] {
        let now = app.services.now()
        let checklists = app.checklists
        // Read unscoped (the batch mixes submitters); each submission is checked against its own scope.
        return try await app.campaignWrite(scope: .everything, recordedAt: now) { tx in
            let sql = tx.sql, queries = tx.queries
            let stored = try await queries.inspections(clientIDs: batch.map(\.clientID))
            let subjects = try await queries.subjects(batch.map(\.subjectID))
            var photoUses: [PhotoStore.Use] = []
            let outcomes = try await tx.changeAll(Array(subjects.values)) { dossiers in
            var outcomes: [Result<Outcome, any Error>] = []
            var accepted: [String: (hash: String, json: String, id: UUID)] = [:]
            for s in batch {
                do {
                    if let existing = stored[s.clientID] {
                        let visible = subjects[existing.subjectId].map { s.scope.contains($0.microGridCode) } ?? false
                        guard existing.requestHash == s.requestHash, visible, let json = existing.responseJson else {
                            // Another area's inspection is not named to this submitter.
                            throw Self.reused(s.clientID, visible ? existing.id : nil)
                        }
                        outcomes.append(.success((json, true)))
                        continue
                    }
                    if let earlier = accepted[s.clientID] {
                        guard earlier.hash == s.requestHash else { throw Self.reused(s.clientID, earlier.id) }
                        outcomes.append(.success((earlier.json, true)))
                        continue
                    }
                    guard let subject = subjects[s.subjectID], s.scope.contains(subject.microGridCode), var dossier = dossiers.dossiers[s.subjectID] else {
                        throw DomainError.invalid("subjectId", "no subject with id \(s.subjectID)")
                    }
                    let checklist: Checklist
                    if let v = s.checklistVersion {
                        guard let c = try await checklists.checklist(v, sql: sql) else {
                            throw DomainError.invalid("checklistVersion", "no checklist version \(v)")
                        }
                        checklist = c
                    } else {
                        checklist = try await checklists.current(sql: sql)
                    }
                    let plan = try dossier.inspect(checklist: checklist, inspectedAt: s.inspectedAt, team: s.team,
                                                  inspector: s.inspector, results: s.results, now: now, by: s.account,
                                                  makeID: { UUID() })
                    let json = CampaignStore.json(InspectionDTO(plan: plan, clientID: s.clientID, subject: subject,
                                                                checklist: checklist, colour: dossier.colour, now: now))
                    dossiers.stage(subject.subject, &dossier,
                                   meta: [plan.id: InspectionMeta(clientID: s.clientID, requestHash: s.requestHash, responseJSON: json)])
                    accepted[s.clientID] = (s.requestHash, json, plan.id)
                    photoUses += Self.photoUses(plan, subject: subject.id)
                    outcomes.append(.success((json, false)))
                } catch {
                    outcomes.append(.failure(error))
                }
            }
            return outcomes
            }
            // After the dossiers: the uses name the inspection's new hazards.
            try await PhotoStore(sql: sql).record(photoUses, at: now)
            return outcomes
        }
    }

    /// The uploaded photos an inspection shows (ids, not file names), each on the hazard its
    /// item raised or was linked to, or on the subject alone for an item that passed.
    static func photoUses(_ plan: InspectionPlan, subject: UUID) -> [PhotoStore.Use] {
        var seen = Set<String>()
        return plan.results.flatMap { r in
            let hazard = plan.hazards.first(where: { $0.itemCode == r.itemCode })?.id ?? plan.linkedHazards[r.itemCode]
            return r.photos.filter { PhotoFacts.isPhotoID($0) && seen.insert("\($0)/\(hazard?.uuidString ?? "")").inserted }
                .map { PhotoStore.Use(sha256: $0, subjectID: subject, hazardID: hazard, source: "inspection", sourceID: plan.id) }
        }
    }

    static func reused(_ clientID: String, _ id: UUID?) -> DomainError {
        DomainError(.conflict, field: "clientId", reason: "clientId \(clientID) was already used for a different inspection",
                    extra: id.map { ["inspectionId": $0.uuidString.lowercased()] } ?? [:])
    }
}

struct InspectionIntakeKey: StorageKey { typealias Value = InspectionIntake }

extension Application {
    /// The process's one ``InspectionIntake`` (made in `configure`).
    var inspectionIntake: InspectionIntake {
        if let intake = storage[InspectionIntakeKey.self] { return intake }
        let intake = InspectionIntake()
        storage[InspectionIntakeKey.self] = intake
        return intake
    }
}

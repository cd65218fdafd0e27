import Foundation
import SQLKit
import SafeGridCore
import Vapor

/// The one write path of the campaign. Every change to a subject's hazards, inspections, colour
/// or closure goes: one write transaction (``WriteGate``; on PostgreSQL the campaign lock),
/// load the subjects' ``SubjectDossier``s, let the domain change them, write every change
/// (rows, events and their hash chain, colour history, dashboard counters), commit.
///
/// Callers get a ``CampaignTransaction`` and say what to change; they never write campaign rows
/// themselves. A throw anywhere in the body rolls everything back.
extension Application {
    /// Runs `body` in one campaign write transaction, reading within `scope`.
    /// - Parameters:
    ///   - scope: the jurisdiction reads are restricted to (a request's account; `.everything`
    ///     for jobs, imports and the demo).
    ///   - recordedAt: the instant every written row carries as its recording time (UTC).
    ///
    /// After the commit, open screens of the areas written are told (``LiveFeed``); on PostgreSQL
    /// the other instances hear of it through `NOTIFY`, sent inside the transaction so it goes
    /// out only if the write commits.
    package func campaignWrite<T: Sendable>(scope: Jurisdiction, recordedAt: Date,
                                            _ body: @escaping @Sendable (CampaignTransaction) async throws -> T) async throws -> T {
        let instance = liveInstanceID
        let (result, touched) = try await writeGate.transaction(on: db) { sql in
            let tx = CampaignTransaction(sql: sql, scope: scope, recordedAt: recordedAt)
            let result = try await body(tx)
            let touched = tx.touchedMicroGrids
            if touched.map({ !$0.isEmpty }) ?? true { try await LiveNotifications(sql: sql).notify(touched, from: instance) }
            return (result, touched)
        }
        await liveFeed.publish(microGrids: touched)
        return result
    }
}

extension Request {
    /// ``Application/campaignWrite(scope:recordedAt:_:)`` in the signed-in account's
    /// jurisdiction, recorded at the server's now.
    func campaignWrite<T: Sendable>(_ body: @escaping @Sendable (CampaignTransaction) async throws -> T) async throws -> T {
        try await application.campaignWrite(scope: jurisdiction, recordedAt: services.now(), body)
    }
}

/// One campaign write transaction: its reads (``queries``, scoped) and the three ways to change
/// the campaign — one subject (``change(_:_:)``), many at once in one bulk write
/// (``changeAll(_:_:)``), or subjects new to the database with dossiers made in memory
/// (``create(_:)``).
package final class CampaignTransaction: @unchecked Sendable {
    // Unchecked: used only inside the transaction's closure, by one task at a time.
    package let sql: any SQLDatabase
    package let queries: CampaignQueries
    /// When the rows are recorded (UTC).
    package let recordedAt: Date
    /// The micro-grids of the subjects this transaction wrote (for the live screens); `nil` once
    /// a write touched areas not known one by one (areas themselves, grid workers).
    private(set) var touchedMicroGrids: Set<String>? = []

    fileprivate func touch(_ codes: some Sequence<String>) {
        touchedMicroGrids?.formUnion(codes)
    }

    fileprivate func touchEverything() { touchedMicroGrids = nil }

    /// Tells the live screens of these micro-grids that something they show moved, for a write
    /// outside the dossiers (a device alarm, its handling).
    package func touch(microGrids codes: some Sequence<String>) { touch(codes) }

    init(sql: any SQLDatabase, scope: Jurisdiction, recordedAt: Date) {
        self.sql = sql
        self.queries = CampaignQueries(sql: sql, scope: scope)
        self.recordedAt = recordedAt
    }

    /// Loads `subject`'s dossier, lets `change` alter it and writes what it changed (nothing
    /// when it changed nothing).
    /// - Returns: what `change` returned.
    /// - Throws: what `change` throws (nothing is written), or a database error.
    @discardableResult
    package func change<T>(_ subject: SubjectRow, _ change: (inout SubjectDossier) throws -> T) async throws -> T {
        var dossier = try await queries.dossier(for: subject)
        let result = try change(&dossier)
        let changes = dossier.takeChanges()
        if !changes.isEmpty {
            try await CampaignStore(sql: sql).write([(subject.subject, changes)], recordedAt: recordedAt)
            touch([subject.microGridCode])
            try await answerResidents([changes])
        }
        return result
    }

    /// Loads the dossiers of `subjects` once; `change` alters them through the batch and stages
    /// each subject whose changes are to be written; all staged changes are written together
    /// (one multi-row statement per table), in the order staged.
    package func changeAll<T>(_ subjects: [SubjectRow], _ change: (inout DossierBatch) async throws -> T) async throws -> T {
        var batch = DossierBatch(dossiers: try await queries.dossiers(for: subjects))
        let result = try await change(&batch)
        if !batch.staged.isEmpty {
            try await CampaignStore(sql: sql).write(batch.staged, meta: batch.meta, recordedAt: recordedAt)
            touch(batch.staged.map(\.0.microGridCode))
            try await answerResidents(batch.staged.map(\.changes))
        }
        return result
    }

    /// Writes subjects new to the database and what their dossiers (made in memory, e.g. the
    /// demo's campaign or an import's clean visits) recorded. Parents are written before their
    /// tenants (the foreign key on `parent_id`).
    /// - Parameter meta: idempotency data per inspection id (see ``InspectionMeta``).
    package func create(_ subjects: [Subject], dossiers: [(Subject, DossierChanges)] = [],
                        meta: [UUID: InspectionMeta] = [:]) async throws {
        let store = CampaignStore(sql: sql)
        try await store.insert(subjects: subjects.filter { $0.parentId == nil }, at: recordedAt)
        try await store.insert(subjects: subjects.filter { $0.parentId != nil }, at: recordedAt)
        touch(subjects.map(\.microGridCode))
        try await record(dossiers, meta: meta)
    }

    /// Writes what dossiers of subjects already stored recorded (dossiers made in memory).
    package func record(_ dossiers: [(Subject, DossierChanges)], meta: [UUID: InspectionMeta] = [:]) async throws {
        if !dossiers.isEmpty {
            try await CampaignStore(sql: sql).write(dossiers, meta: meta, recordedAt: recordedAt)
            touch(dossiers.map(\.0.microGridCode))
            try await answerResidents(dossiers.map(\.1))
        }
    }

    /// Residents whose reported hazards are all closed by these changes, or came back, hear so
    /// (``ResidentAnswers``), in this transaction.
    private func answerResidents(_ changes: [DossierChanges]) async throws {
        let updated = changes.flatMap(\.updatedHazards)
        let closed = updated.filter { !$0.value.state.isOpen }.map(\.key)
        if !closed.isEmpty { try await ResidentAnswers.hazardsClosed(closed, sql: sql, at: recordedAt) }
        // A rebound opens a rectified hazard again (only a rectified report can be affected).
        let reopened = updated.filter { $0.value.state.isOpen && $0.value.reboundCount > 0 }.map(\.key)
        if !reopened.isEmpty { try await ResidentAnswers.hazardsReopened(reopened, sql: sql, at: recordedAt) }
    }
}

/// The dossiers of a ``CampaignTransaction/changeAll(_:_:)``: change them in place, then stage
/// each subject whose changes are to be written.
package struct DossierBatch {
    /// The loaded dossiers by subject id; a subject outside the transaction's scope is absent.
    package var dossiers: [UUID: SubjectDossier]
    fileprivate var staged: [(subject: Subject, changes: DossierChanges)] = []
    fileprivate var meta: [UUID: InspectionMeta] = [:]

    fileprivate init(dossiers: [UUID: SubjectDossier]) { self.dossiers = dossiers }

    /// Takes the changes `dossier` collected so far for writing, and keeps the dossier for
    /// further changes in this batch (two visits to one subject in a batch see each other).
    /// An empty set of changes is not written.
    package mutating func stage(_ subject: Subject, _ dossier: inout SubjectDossier, meta: [UUID: InspectionMeta] = [:]) {
        let changes = dossier.takeChanges()
        dossiers[subject.id] = dossier
        self.meta.merge(meta) { _, new in new }
        if !changes.isEmpty { staged.append((subject, changes)) }
    }
}

extension CampaignTransaction {
    /// Grids and micro-grids a town draws (the bundled tree holds district, towns and villages).
    package func insert(areas: [Area]) async throws {
        try await CampaignStore(sql: sql).insert(areas: areas)
        touchEverything()
    }

    /// The grid worker (网格员) of each grid: who receives the grid's overdue alerts.
    package func insert(gridWorkers: [(gridCode: String, name: String, phone: PhoneNumber)]) async throws {
        try await CampaignStore(sql: sql).insert("grid_workers", ["grid_code", "name", "phone"],
                                                 gridWorkers.map { [$0.gridCode, $0.name, $0.phone.stored] })
    }
}

extension CampaignTransaction {
    /// Writes new particulars of stored subjects (name, address, credit code, above-scale,
    /// rooms, party, position) and moves the dashboard's room counts of those whose rooms
    /// changed. The counted facts are read before the rows change, so the move is the
    /// difference between the old and the new room count.
    package func update(subjects edits: [(before: SubjectRow, after: Subject)]) async throws {
        let roomEdits = edits.filter { $0.before.rooms != $0.after.rooms }
        touch(edits.map(\.after.microGridCode))
        let counters = DashboardCounters(sql: sql)
        let facts = try await counters.subjectFacts(roomEdits.map(\.after.id))
        for (_, s) in edits {
            try await sql.update("subjects")
                .set("name", to: SQLBind(s.name)).set("address", to: SQLBind(s.address))
                .set("credit_code", to: SQLBind(s.creditCode?.value)).set("above_scale", to: SQLBind(s.aboveScale))
                .set("rooms", to: SQLBind(s.rooms)).set("party_name", to: SQLBind(s.party.name))
                .set("party_phone", to: SQLBind(s.party.phone.stored))
                .set("latitude", to: SQLBind(s.location?.latitude)).set("longitude", to: SQLBind(s.location?.longitude))
                .set("datum", to: SQLBind(s.location?.datum.rawValue))
                .where("id", .equal, SQLBind(s.id)).run()
        }
        var tally = DashboardTally()
        for (_, s) in roomEdits {
            guard var f = facts[s.id] else { continue }
            let before = f.contribution
            f.rooms = s.rooms
            tally.move(from: before, to: f.contribution)
        }
        try await counters.add(tally)
    }
}

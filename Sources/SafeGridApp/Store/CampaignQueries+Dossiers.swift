import Foundation
import SQLKit
import SafeGridCore

/// The aggregates the write path loads (``SubjectDossier``) and the change feed.
extension CampaignQueries {
    /// Hazard events after a `seq` cursor, in commit order (the change feed and webhooks).
    func events(after cursor: Int64, limit: Int, townCode: String? = nil) async throws -> [HazardEventRow] {
        var q = scopedBySubject(sql.select().columns("*").from("hazard_events").where("seq", .greaterThan, SQLBind(cursor)))
        // A reader of a town or below: its town's events through the (town, seq) index, not a
        // scan of every town's from the cursor on.
        if let town = townCode ?? (scope.isEverything ? nil : Self.townCode(within: scope.areaCode)) {
            q = q.where("town_code", .equal, SQLBind(town))
        }
        return try await q.orderBy("seq").limit(limit).rows(HazardEventRow.self)
    }

    /// The domain aggregate of a subject (``SubjectDossier``), built from its rows.
    func dossier(for s: SubjectRow) async throws -> SubjectDossier {
        try await dossiers(for: [s])[s.id] ?? SubjectDossier(subjectID: s.id, kind: s.subjectKind, closedDownAt: s.closedDownAt,
                                                           hazards: [:], itemCodes: [:], colour: s.subjectColour)
    }

    /// Subject, id, item code and status of a hazard row; throws for a value the domain cannot read.
    static func hazardStatus(_ row: any SQLRow) throws -> (subject: UUID, id: UUID, item: String, foundAt: Date, status: HazardStatus) {
        let stateText = try row.decode(column: "state", as: String.self)
        let severityText = try row.decode(column: "severity", as: String.self)
        guard let state = HazardState(rawValue: stateText) else { throw UnreadableValue(column: "state", value: stateText) }
        guard let severity = Severity(rawValue: severityText) else { throw UnreadableValue(column: "severity", value: severityText) }
        let status = HazardStatus(state: state, severity: severity, dueAt: try row.decode(column: "due_at", as: Date.self),
                                  rectifiedAt: try row.decode(column: "rectified_at", as: Date?.self),
                                  reboundCount: try row.decode(column: "rebound_count", as: Int.self),
                                  version: try row.decode(column: "version", as: Int.self),
                                  lastEventAt: try row.decode(column: "last_event_at", as: Date.self),
                                  overdueSince: try row.decode(column: "overdue_at", as: Date?.self))
        return (try row.decode(column: "subject_id", as: UUID.self), try row.decode(column: "id", as: UUID.self),
                try row.decode(column: "item_code", as: String.self), try row.decode(column: "found_at", as: Date.self), status)
    }

    /// The dossiers of several subjects: each subject's hazards with their current status, read
    /// in one query per 2,000 subjects.
    func dossiers(for subjects: [SubjectRow]) async throws -> [UUID: SubjectDossier] {
        var hazards: [UUID: [UUID: HazardStatus]] = [:]
        var items: [UUID: [UUID: String]] = [:]
        var found: [UUID: [UUID: Date]] = [:]
        for chunk in subjects.map(\.id).chunked(DashboardCounters.idsPerRead) {
            let rows = try await sql.select()
                .columns("id", "subject_id", "item_code", "state", "severity", "due_at", "rectified_at", "rebound_count", "version",
                         "last_event_at", "overdue_at", "found_at")
                .from("hazards").where("subject_id", .in, SQLBind.group(chunk)).all()
            for row in rows {
                // A hazard that cannot be read is left out of its subject's aggregate, as of every
                // list (``StoredRow``): a write never "repairs" it with a guessed state or severity.
                guard let h = row.noted("hazards", Self.hazardStatus, sql) else { continue }
                items[h.subject, default: [:]][h.id] = h.item
                found[h.subject, default: [:]][h.id] = h.foundAt
                hazards[h.subject, default: [:]][h.id] = h.status
            }
        }
        return Dictionary(uniqueKeysWithValues: subjects.map { s in
            (s.id, SubjectDossier(subjectID: s.id, kind: s.subjectKind, closedDownAt: s.closedDownAt, hazards: hazards[s.id] ?? [:],
                                 itemCodes: items[s.id] ?? [:], foundAt: found[s.id] ?? [:], colour: s.subjectColour))
        })
    }
}

import Foundation
import SQLKit
import SafeGridCore

/// Idempotency and audit data of an inspection, kept beside the domain's ``InspectionPlan``.
package struct InspectionMeta: Sendable {
    /// The client-generated submission id.
    let clientID: String
    /// SHA-256 (hex) of the canonical request body.
    let requestHash: String
    /// The JSON answered to the first submission, answered again to a repeat.
    var responseJSON: String?
}

/// Writes what the domain decided. Every write is a batched multi-row `INSERT` (or a keyed
/// `UPDATE`) through SQLKit, on SQLite and PostgreSQL alike, and runs inside the caller's
/// transaction: the hazards, their events, the subject's colour and its history land together.
struct CampaignStore {
    let sql: any SQLDatabase

    /// Bind parameters per statement, under SQLite's 32,766 and PostgreSQL's 65,535.
    static let bindsPerStatement = 30_000

    func insert(_ table: String, _ columns: [String], _ rows: [[any Encodable & Sendable]]) async throws {
        guard !rows.isEmpty else { return }
        let perStatement = max(1, Self.bindsPerStatement / columns.count)
        var start = 0
        while start < rows.count {
            let end = min(start + perStatement, rows.count)
            var query = sql.insert(into: table).columns(columns)
            for row in rows[start..<end] { query = query.values(row.map { SQLBind($0) }) }
            try await query.run()
            start = end
        }
    }

    func insert(areas: [Area]) async throws {
        try await insert("areas", ["code", "name", "short_name", "level", "parent_code", "village_kind"], areas.map {
            [$0.code, $0.name, $0.shortName, $0.level.rawValue, $0.parentCode, $0.villageKind?.rawValue]
        })
    }

    func insert(checklist: Checklist) async throws {
        try await insert("checklists", ["version", "title_zh", "title_en", "published_on"],
                         [[checklist.version, checklist.title.zh, checklist.title.en, checklist.publishedOn]])
        try await insert("checklist_items", ["checklist_version", "code", "zh", "en", "department", "category",
                                             "default_severity", "default_days", "legal_basis", "subject_kinds", "position"],
                         checklist.items.enumerated().map { (i, item) in
                             [checklist.version, item.code, item.zh, item.en, item.department.rawValue, item.category.rawValue,
                              item.defaultSeverity.rawValue, item.defaultDays, item.legalBasis,
                              item.subjectKinds.map(\.rawValue).joined(separator: ","), i]
                         })
    }

    func insert(subjects: [Subject], at: Date) async throws {
        try await insert("subjects", ["id", "kind", "name", "address", "credit_code", "above_scale", "rooms", "parent_id",
                                      "town_code", "village_code", "grid_code", "micro_grid_code", "party_name", "party_phone",
                                      "latitude", "longitude", "datum", "colour", "closed_down_at", "created_at"],
                         subjects.map { s in
                             let c = AreaCodes.lineage(of: s.microGridCode) + ["", "", "", ""]
                             return [s.id, s.kind.rawValue, s.name, s.address, s.creditCode?.value, s.aboveScale, s.rooms,
                                     s.parentId, c[1], c[2], c[3], s.microGridCode, s.party.name, s.party.phone.stored,
                                     s.location?.latitude, s.location?.longitude, s.location?.datum.rawValue,
                                     String?.none, Date?.none, at]
                         })
    }

    /// Writes the changes of many dossiers: new inspections (with team, results, hazards and
    /// their first events), events on existing hazards, hazard status updates, colour history
    /// and the subjects' current colour and closure.
    /// - Parameter meta: idempotency data per inspection id; inspections without an entry get
    ///   `client_id` = `"demo-" + id`.
    func write(_ batches: [(subject: Subject, changes: DossierChanges)], meta: [UUID: InspectionMeta] = [:],
               recordedAt: Date) async throws {
        try await Self.serialiseCampaignWrites(sql)
        var inspections: [[any Encodable & Sendable]] = []
        var team: [[any Encodable & Sendable]] = []
        var results: [[any Encodable & Sendable]] = []
        var hazards: [[any Encodable & Sendable]] = []
        var links: [EventChain.Link] = []
        var history: [[any Encodable & Sendable]] = []
        var updates: [(UUID, HazardStatus)] = []
        var subjectUpdates: [(UUID, SubjectColour?, Date?)] = []

        // The dashboard counters move by each record's contribution after minus before.
        let counters = DashboardCounters(sql: sql)
        var tally = DashboardTally()
        var hazardNow = try await counters.hazardFacts(batches.flatMap { Array($0.changes.updatedHazards.keys) })
        var subjectNow = try await counters.subjectFacts(batches.compactMap {
            $0.changes.inspections.isEmpty && $0.changes.colourChanges.isEmpty ? nil : $0.subject.id
        })

        for (subject, changes) in batches {
            // Padded: a subject read from storage has a checked code, but a short one must not trap.
            let codes = AreaCodes.lineage(of: subject.microGridCode) + ["", "", "", ""]
            var created = Set<UUID>()
            for plan in changes.inspections {
                let m = meta[plan.id]
                inspections.append([plan.id, m?.clientID ?? "demo-\(plan.id.uuidString.lowercased())", m?.requestHash ?? "",
                                    subject.id, plan.checklistVersion, plan.inspectedAt,
                                    CalendarDate(shanghai: plan.inspectedAt).description, plan.inspector,
                                    plan.hazards.count, m?.responseJSON, recordedAt])
                for (i, member) in plan.team.enumerated() {
                    team.append([plan.id, i, member.name, member.department.rawValue])
                }
                let hazardOfItem = Dictionary(uniqueKeysWithValues: plan.hazards.map { ($0.itemCode, $0.id) })
                    .merging(plan.linkedHazards) { new, _ in new }
                for r in plan.results {
                    results.append([plan.id, r.itemCode, r.outcome.rawValue, r.note, r.photos.isEmpty ? nil : Self.json(r.photos),
                                    r.outcome == .hazard ? hazardOfItem[r.itemCode] : nil])
                }
                for h in plan.hazards {
                    created.insert(h.id)
                    let s = changes.updatedHazards[h.id] ?? h.status
                    hazards.append([h.id, plan.id, subject.id, subject.kind.rawValue, codes[1], codes[2], codes[3],
                                    subject.microGridCode, plan.checklistVersion, h.itemCode, h.department.rawValue,
                                    h.category.rawValue, s.severity.rawValue, h.mode.rawValue, s.state.rawValue,
                                    h.foundAt, CalendarDate(shanghai: h.foundAt).description, s.dueAt, s.rectifiedAt,
                                    s.rectifiedAt.map { CalendarDate(shanghai: $0).description }, s.reboundCount,
                                    s.version, s.lastEventAt ?? h.foundAt, s.overdueSince, h.note, h.photos.isEmpty ? nil : Self.json(h.photos),
                                    recordedAt])
                    for e in h.events { links.append(Self.link(h.id, subject.id, codes[1], e, recordedAt)) }
                    let facts = HazardFacts(kind: subject.kind, microGridCode: subject.microGridCode, state: s.state,
                                            severity: s.severity, foundOn: CalendarDate(shanghai: h.foundAt),
                                            rectifiedOn: s.rectifiedAt.map { CalendarDate(shanghai: $0) },
                                            markedOverdue: s.overdueSince != nil)
                    tally.move(from: hazardNow[h.id]?.contribution, to: facts.contribution)
                    hazardNow[h.id] = facts
                }
            }
            for (hazardID, e) in changes.events { links.append(Self.link(hazardID, subject.id, codes[1], e, recordedAt)) }
            for (id, status) in changes.updatedHazards where !created.contains(id) {
                updates.append((id, status))
                guard var facts = hazardNow[id] else { continue }
                let before = facts.contribution
                facts.state = status.state
                facts.severity = status.severity
                facts.rectifiedOn = status.rectifiedAt.map { CalendarDate(shanghai: $0) }
                facts.markedOverdue = status.overdueSince != nil
                tally.move(from: before, to: facts.contribution)
                hazardNow[id] = facts
            }
            if var facts = subjectNow[subject.id] {
                let before = facts.contribution
                if !changes.inspections.isEmpty { facts.inspected = true }
                if let last = changes.colourChanges.last { facts.colour = last.to }
                tally.move(from: before, to: facts.contribution)
                subjectNow[subject.id] = facts
            }
            for c in changes.colourChanges {
                history.append([subject.id, c.to.key, c.from?.key, c.cause, c.at])
            }
            if let last = changes.colourChanges.last?.to ?? nil as SubjectColour? {
                subjectUpdates.append((subject.id, last, changes.closedDownAt))
            } else if changes.closedDownAt != nil {
                subjectUpdates.append((subject.id, nil, changes.closedDownAt))
            }
        }

        try await insert("inspections", ["id", "client_id", "request_hash", "subject_id", "checklist_version", "inspected_at",
                                         "inspected_on", "inspector", "hazard_count", "response_json", "recorded_at"], inspections)
        try await insert("inspection_team_members", ["inspection_id", "position", "name", "department"], team)
        try await insert("inspection_results", ["inspection_id", "item_code", "outcome", "note", "photos", "hazard_id"], results)
        try await insert("hazards", ["id", "inspection_id", "subject_id", "subject_kind", "town_code", "village_code", "grid_code",
                                     "micro_grid_code", "checklist_version", "item_code", "department", "category", "severity",
                                     "mode", "state", "found_at", "found_on", "due_at", "rectified_at", "rectified_on",
                                     "rebound_count", "version", "last_event_at", "overdue_at", "note", "photos", "updated_at"], hazards)
        try await insert("hazard_events", ["hazard_id", "subject_id", "town_code", "kind", "from_state", "to_state", "actor",
                                           "reason", "occurred_at", "due_at", "recorded_at", "device_id", "device_seq", "late",
                                           "prev_hash", "hash"], try await chained(links))
        try await insert("subject_colour_history", ["subject_id", "colour", "previous", "cause", "changed_at"], history)
        for (id, s) in updates {
            try await sql.update("hazards")
                .set("state", to: SQLBind(s.state.rawValue))
                .set("severity", to: SQLBind(s.severity.rawValue))
                .set("due_at", to: SQLBind(s.dueAt))
                .set("rectified_at", to: SQLBind(s.rectifiedAt))
                .set("rectified_on", to: SQLBind(s.rectifiedAt.map { CalendarDate(shanghai: $0).description }))
                .set("rebound_count", to: SQLBind(s.reboundCount))
                .set("version", to: SQLBind(s.version))
                .set("last_event_at", to: SQLBind(s.lastEventAt))
                .set("overdue_at", to: SQLBind(s.overdueSince))
                .set("updated_at", to: SQLBind(recordedAt))
                .where("id", .equal, SQLBind(id))
                .run()
        }
        // One statement per distinct (colour, closure), not per subject: a batch of thousands of
        // subjects takes at most eleven colours.
        // A subject written twice in one batch keeps its last colour and its closure.
        var latest: [UUID: (SubjectColour?, Date?)] = [:]
        for (id, colour, closedAt) in subjectUpdates {
            let before = latest[id]
            latest[id] = (colour ?? before?.0, closedAt ?? before?.1)
        }
        let groups = Dictionary(grouping: latest.map { ($0.key, $0.value.0, $0.value.1) }) {
            "\($0.1?.key ?? "")|\($0.2?.timeIntervalSince1970 ?? -1)"
        }
        for key in groups.keys.sorted() {
            let members = groups[key]!
            let (_, colour, closedAt) = members[0]
            for chunk in members.map(\.0).chunked(DashboardCounters.idsPerRead) {
                var q = sql.update("subjects")
                if let colour { q = q.set("colour", to: SQLBind(colour.key)) }
                if let closedAt { q = q.set("closed_down_at", to: SQLBind(closedAt)) }
                try await q.where("id", .in, SQLBind.group(chunk)).run()
            }
        }
        try await counters.add(tally)
    }

    /// PostgreSQL with several app instances: campaign write transactions take one
    /// transaction-scoped advisory lock before their first read (``WriteGate``, and again here
    /// for writes outside it), so that two instances never act on the same stale hazard version
    /// or idempotency key, never chain events from the same previous hash (``EventChain``), and
    /// events receive their `seq` in commit order (what the change feed and the audit rely on).
    /// SQLite needs nothing: `BEGIN IMMEDIATE` already admits one writer. Every campaign write
    /// moves the district's counters anyway, so no parallelism is lost.
    static let campaignWriteLock: Int64 = 330_109_113

    static func serialiseCampaignWrites(_ sql: any SQLDatabase) async throws {
        guard sql.dialect.name == "postgresql" else { return }
        try await sql.raw("SELECT pg_advisory_xact_lock(\(bind: campaignWriteLock))").run()
    }

    static func link(_ hazardID: UUID, _ subjectID: UUID, _ townCode: String, _ e: HazardEvent,
                     _ recordedAt: Date) -> EventChain.Link {
        EventChain.Link(hazardID: hazardID, subjectID: subjectID, townCode: townCode, kind: e.kind.rawValue,
                        fromState: e.fromState?.rawValue, toState: e.toState.rawValue, actor: e.actor, reason: e.reason,
                        occurredAt: e.occurredAt, dueAt: e.dueAt, recordedAt: recordedAt, deviceID: e.deviceID,
                        deviceSeq: e.deviceSeq, late: e.late)
    }

    /// Event rows with their hash chain, continuing each town's chain from its last stored event.
    /// Runs inside the write transaction (the gate keeps one writer at a time).
    func chained(_ links: [EventChain.Link]) async throws -> [[any Encodable & Sendable]] {
        var last: [String: String] = [:]
        for town in Set(links.map(\.townCode)) {
            last[town] = try await sql.select().column("hash").from("hazard_events")
                .where("town_code", .equal, SQLBind(town)).orderBy("seq", .descending).limit(1).first()?
                .decode(column: "hash", as: String.self) ?? EventChain.genesis
        }
        return links.map { l in
            let previous = last[l.townCode]!
            let hash = EventChain.hash(previous: previous, l)
            last[l.townCode] = hash
            return [l.hazardID, l.subjectID, l.townCode, l.kind, l.fromState, l.toState, l.actor, l.reason,
                    EventChain.date(millis: l.occurredAtMillis), l.dueAtMillis.map(EventChain.date(millis:)),
                    EventChain.date(millis: l.recordedAtMillis), l.deviceID, l.deviceSeq, l.late, previous, hash]
        }
    }

    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(value)) ?? Data("null".utf8), as: UTF8.self)
    }
}

import Crypto
import Foundation
import SQLKit
import SafeGridCore
import SafeGridLedger
import Vapor

/// Subject ledgers: match each row to a stored subject (credit code, else name and address in
/// the village), create or update it, and record a clean visit when the row gives one.
extension LedgerImport {
    struct SubjectIndex {
        var byKey: [SubjectMatchKey: SubjectRow] = [:]

        static func keys(of s: SubjectRow) -> [SubjectMatchKey] {
            var k: [SubjectMatchKey] = [.nameAddress(villageCode: s.villageCode, name: SubjectImporter.matchText(s.name),
                                                     address: SubjectImporter.matchText(s.address))]
            if let c = s.creditCode { k.append(.creditCode(c)) }
            return k
        }

        mutating func add(_ s: SubjectRow) { for k in Self.keys(of: s) { byKey[k] = s } }

        func match(_ key: SubjectMatchKey) -> SubjectRow? {
            if let s = byKey[key] { return s }
            // A file without a village column: the name and address alone, when they are unambiguous.
            if case .nameAddress(nil, let n, let a) = key {
                let found = byKey.filter {
                    if case .nameAddress(_, n, a) = $0.key { return true } else { return false }
                }.values
                return found.count == 1 ? found.first : nil
            }
            return nil
        }
    }

    static func loadIndex(credit: [String], villages: [String], sql: any SQLDatabase, scope: Jurisdiction) async throws -> SubjectIndex {
        var index = SubjectIndex()
        for s in try await CampaignQueries(sql: sql, scope: scope).subjects(creditCodes: credit, villageCodes: villages) { index.add(s) }
        return index
    }

    static func subjects(_ table: LedgerTable, villages: [Area], options: Options, app: Application) async throws -> Outcome {
        let validated = SubjectImporter.validate(table, villages: villages,
                                                 options: SubjectImportOptions(boundary: app.services.boundary))
        if let e = fileErrors(validated.problems) { throw e }
        var (report, rows) = startReport(table, kind: .subjects, dryRun: options.dryRun, problems: validated.problems,
                                    rejected: validated.rejectedRows)
        let q = CampaignQueries(sql: app.sql, scope: options.scope)
        let choice = MicroGridChoice(areas: try await q.areas(level: .grid) + (try await q.areas(level: .microGrid)))
        let candidates = validated.candidates
        var creditCodes: [String] = [], villageCodes = Set<String>()
        for c in candidates {
            if case .creditCode(let code) = c.matchKey { creditCodes.append(code) }
            if let v = c.villageCode { villageCodes.insert(v) }
        }
        let index = try await loadIndex(credit: creditCodes, villages: Array(villageCodes), sql: app.sql, scope: options.scope)
        let now = app.services.now()

        // 检查日期: the subject's latest inspection day; a subject without any inspection gets a
        // clean one (every applicable item passed) on that day, so that it counts as inspected.
        var inspectedOn: [Int: CalendarDate] = [:]
        if let col = validated.mapping[.inspectedOn] {
            let wanted = Set(candidates.map(\.row))
            for r in table.rows where wanted.contains(r.number) && !r[col].value.isBlank {
                do throws(InvalidValue) {
                    let d = try LedgerValues.date(r[col].value, system: table.dateSystem)
                    if d <= CalendarDate(shanghai: now) { inspectedOn[r.number] = d }
                    else { rows[r.number, default: .init(row: r.number, action: "unchanged", subjectId: nil, changed: [], problems: [])]
                        .problems.append(.init(column: table.header[col], reason: "\(d) is in the future; the inspection day is ignored", severity: "warning")) }
                } catch {
                    rows[r.number, default: .init(row: r.number, action: "unchanged", subjectId: nil, changed: [], problems: [])]
                        .problems.append(.init(column: table.header[col], reason: "\(error.reason); the inspection day is ignored", severity: "warning"))
                }
            }
        }
        let inspectedSubjects = try await q.inspectedSubjects(index.byKey.values.map(\.id))
        var cleanVisits: [UUID: CalendarDate] = [:]
        var creates: [(row: Int, subject: Subject)] = []
        var updates: [(row: Int, before: SubjectRow, after: Subject)] = []
        for c in candidates {
            func reject(_ column: LedgerField?, _ reason: String) {
                rows[c.row, default: .init(row: c.row, action: "rejected", subjectId: nil, changed: [], problems: [])].action = "rejected"
                rows[c.row]!.problems.append(.init(column: column.flatMap { validated.mapping[$0].map { table.header[$0] } } ?? column?.zh,
                                                   reason: reason))
            }
            let existing = index.match(c.matchKey)
            let mg: String
            switch choice.choose(villageCode: c.villageCode, gridCode: c.gridCode, gridName: c.gridName,
                                 microGridCode: c.microGridCode, current: existing?.microGridCode) {
            case .success(let code): mg = code
            case .failure(let e):
                reject(c.microGridCode != nil ? .microGrid : (c.gridCode ?? c.gridName) != nil ? .grid : .village, e.reason)
                continue
            }
            let subject = Subject(id: existing?.id ?? UUID(), kind: c.kind, name: c.name, address: c.address,
                                  creditCode: c.creditCode ?? existing?.creditCode.flatMap { try? CreditCode($0) },
                                  aboveScale: c.aboveScale, rooms: c.rooms, parentId: existing?.parentId,
                                  microGridCode: existing?.microGridCode ?? mg,
                                  party: ResponsibleParty(name: c.partyName, phone: c.phone), location: c.location)
            do throws(DomainError) { try subject.validate(boundary: app.services.boundary) } catch {
                reject(nil, "\(error.field.map { "\($0): " } ?? "")\(error.reason)")
                continue
            }
            guard let existing else {
                rows[c.row, default: .init(row: c.row, action: "created", subjectId: subject.id, changed: [], problems: [])].action = "created"
                rows[c.row]!.subjectId = subject.id
                creates.append((c.row, subject))
                if let d = inspectedOn[c.row] { cleanVisits[subject.id] = d }
                continue
            }
            if existing.subjectKind != c.kind {
                reject(.kind, "the stored subject \(existing.name) is a \(existing.subjectKind.zh) (\(existing.kind)); an import does not change a subject's kind")
                continue
            }
            var changed: [String] = []
            if existing.name != subject.name { changed.append(LedgerField.name.zh) }
            if existing.address != subject.address { changed.append(LedgerField.address.zh) }
            if existing.creditCode != subject.creditCode?.value { changed.append(LedgerField.creditCode.zh) }
            if existing.aboveScale != subject.aboveScale { changed.append(LedgerField.aboveScale.zh) }
            if existing.rooms != subject.rooms { changed.append(LedgerField.rooms.zh) }
            if existing.partyName != subject.party.name { changed.append(LedgerField.party.zh) }
            if existing.partyPhone != subject.party.phone.stored { changed.append(LedgerField.phone.zh) }
            if !samePlace(existing.location, subject.location) { changed.append(LedgerField.location.zh) }
            if let d = inspectedOn[c.row], !inspectedSubjects.contains(existing.id) {
                cleanVisits[existing.id] = d
                changed.append(LedgerField.inspectedOn.zh)
            }
            var row = rows[c.row] ?? .init(row: c.row, action: "unchanged", subjectId: existing.id, changed: [], problems: [])
            row.subjectId = existing.id
            if c.microGridCode != nil && c.microGridCode != existing.microGridCode {
                row.problems.append(.init(column: LedgerField.microGrid.zh, reason: "the subject stays in its micro-grid \(existing.microGridCode); an import does not move a subject", severity: "warning"))
            }
            row.action = changed.isEmpty ? "unchanged" : "updated"
            row.changed = changed
            rows[c.row] = row
            if !changed.isEmpty { updates.append((c.row, existing, subject)) }
        }

        if !options.dryRun {
            // Creates and updates in file order, in batches of `batchSize` rows.
            enum Work: Sendable { case create(Subject), update(SubjectRow, Subject) }
            let checklist = try await app.checklists.current(sql: app.sql)
            let visits = cleanVisits
            let work: [(Int, Work)] = (creates.map { ($0.row, Work.create($0.subject)) } + updates.map { ($0.row, Work.update($0.before, $0.after)) })
                .sorted { $0.0 < $1.0 }
            for batch in work.chunked(batchSize) {
                do {
                    try await app.campaignWrite(scope: .everything, recordedAt: now) { tx in
                        var inserts: [Subject] = []
                        var edits: [(before: SubjectRow, after: Subject)] = []
                        for (_, w) in batch {
                            switch w {
                            case .create(let s): inserts.append(s)
                            case .update(let before, let s): edits.append((before, s))
                            }
                        }
                        try await tx.update(subjects: edits)
                        try await tx.create(inserts)
                        var writes: [(Subject, DossierChanges)] = []
                        var meta: [UUID: InspectionMeta] = [:]
                        for (_, w) in batch {
                            let s: Subject
                            switch w { case .create(let x): s = x; case .update(_, let x): s = x }
                            guard let day = visits[s.id] else { continue }
                            var dossier = SubjectDossier(subjectID: s.id, kind: s.kind)
                            let (plan, changes) = try cleanVisit(&dossier, kind: s.kind, day: day, checklist: checklist, now: now)
                            meta[plan.id] = InspectionMeta(clientID: plan.clientID, requestHash: "", responseJSON: nil)
                            writes.append((s, changes))
                        }
                        try await tx.record(writes, meta: meta)
                    }
                } catch {
                    let first = batch.first!.0, last = batch.last!.0
                    let reason = "rows \(first)–\(last) were not written (the whole batch was rolled back): \(String(describing: error))"
                    report.failedBatches.append(reason)
                    for (n, _) in batch {
                        rows[n]?.action = "rejected"
                        rows[n]?.problems.append(.init(column: nil, reason: reason))
                    }
                }
            }
        }
        let rejected = finish(&report, rows: rows, table: table)
        return Outcome(report: report, rejected: rejected)
    }

    /// A visit on `day` that found nothing: every item of the checklist that applies to the kind passed.
    static func cleanVisit(_ dossier: inout SubjectDossier, kind: SubjectKind, day: CalendarDate, checklist: Checklist,
                           now: Date) throws -> ((id: UUID, clientID: String), DossierChanges) {
        let clientID = "ledger-" + Hex.encode(Array(SHA256.hash(data: Data("\(dossier.subjectID)|\(day)|clean".utf8))))
        let inspectedAt = min(day.startUTC.addingTimeInterval(9 * 3600), now)
        let ruleNow = inspectedAt < now.addingTimeInterval(-InspectionRules.oldestVisit + 3600) ? inspectedAt.addingTimeInterval(3600) : now
        var n = 0
        let plan = try dossier.inspect(checklist: checklist, inspectedAt: inspectedAt, team: [TeamMember(name: actor, department: .fireRescue)],
                                      inspector: actor,
                                      results: checklist.items.filter { $0.applies(to: kind) }.map { ItemResult(itemCode: $0.code, outcome: .pass) },
                                      now: ruleNow, makeID: { defer { n += 1 }; return stableID("\(clientID)|\(n)") })
        return ((plan.id, clientID), dossier.takeChanges())
    }

    static func samePlace(_ a: GeoPoint?, _ b: GeoPoint?) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case let (a?, b?):
            let c = b.converted(to: a.datum)
            return abs(a.latitude - c.latitude) < 1e-6 && abs(a.longitude - c.longitude) < 1e-6
        default: return false
        }
    }
}

extension SubjectMatchKey {
    var isCreditCode: Bool { if case .creditCode = self { true } else { false } }
}

import Crypto
import Foundation
import SQLKit
import SafeGridCore
import SafeGridLedger
import Vapor

/// Hazard ledgers: each subject's rows planned through its dossier (found, then the actions
/// that bring each hazard to the state the row gives), written in one batch per subjects.
extension LedgerImport {
    static func hazards(_ table: LedgerTable, villages: [Area], options: Options, app: Application) async throws -> Outcome {
        let now = app.services.now()
        let checklist = try await app.checklists.current(sql: app.sql)
        let validated = HazardImporter.validate(table, villages: villages, checklist: checklist,
                                                options: HazardImportOptions(today: CalendarDate(shanghai: now)))
        if let e = fileErrors(validated.problems) { throw e }
        var (report, rows) = startReport(table, kind: .hazards, dryRun: options.dryRun, problems: validated.problems,
                                    rejected: validated.rejectedRows)
        var creditCodes: [String] = [], villageCodes = Set<String>()
        for c in validated.candidates {
            switch c.subject {
            case .creditCode(let code): creditCodes.append(code)
            case .nameAddress(let v, _, _): if let v { villageCodes.insert(v) }
            }
        }
        let index = try await loadIndex(credit: creditCodes, villages: Array(villageCodes), sql: app.sql, scope: options.scope)
        var bySubject: [UUID: [HazardImportRow]] = [:]
        var subjectOrder: [UUID] = []
        for c in validated.candidates {
            guard let s = index.match(c.subject) else {
                rows[c.row] = .init(row: c.row, action: "rejected", subjectId: nil, changed: [], problems: [
                    .init(column: c.subject.isCreditCode ? LedgerField.creditCode.zh : LedgerField.name.zh,
                          reason: "no stored subject for \(c.subject); import the subject ledger first"),
                ] + (rows[c.row]?.problems ?? []))
                continue
            }
            if bySubject[s.id] == nil { subjectOrder.append(s.id) }
            bySubject[s.id, default: []].append(c)
        }
        // Batches of whole subjects, about `batchSize` rows each.
        var batches: [[UUID]] = [[]]
        var inBatch = 0
        for id in subjectOrder {
            if inBatch >= batchSize { batches.append([]); inBatch = 0 }
            batches[batches.count - 1].append(id)
            inBatch += bySubject[id]!.count
        }
        for batch in batches where !batch.isEmpty {
            let work = batch.map { ($0, bySubject[$0]!) }
            let planned: [Int: ImportReport.Row]
            do {
                if options.dryRun {
                    planned = try await plan(work, checklist: checklist, sql: app.sql, now: now).rows
                } else {
                    planned = try await app.campaignWrite(scope: .everything, recordedAt: now) { tx in
                        let (rows, writes, meta) = try await plan(work, checklist: checklist, sql: tx.sql, now: now)
                        try await tx.record(writes, meta: meta)
                        return rows
                    }
                }
            } catch {
                let numbers = work.flatMap { $0.1.map(\.row) }.sorted()
                let reason = "rows \(numbers.first!)–\(numbers.last!) were not written (the whole batch was rolled back): \(String(describing: error))"
                report.failedBatches.append(reason)
                for n in numbers {
                    rows[n, default: .init(row: n, action: "rejected", subjectId: nil, changed: [], problems: [])].action = "rejected"
                    rows[n]!.problems.append(.init(column: nil, reason: reason))
                }
                continue
            }
            merge(planned, into: &rows)
        }
        let rejected = finish(&report, rows: rows, table: table)
        return Outcome(report: report, rejected: rejected)
    }

    /// A stable UUID from text (SHA-256, version-4 layout bits set).
    static func stableID(_ text: String) -> UUID {
        var b = Array(SHA256.hash(data: Data(text.utf8)).prefix(16))
        b[6] = (b[6] & 0x0F) | 0x40
        b[8] = (b[8] & 0x3F) | 0x80
        return UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
    }

    /// Plans the hazard rows of some subjects through their dossiers (read in `sql`).
    /// - Returns: the report rows, and the dossiers' changes for ``CampaignTransaction/record(_:meta:)``
    ///   to write (the caller's transaction; a dry run writes nothing).
    static func plan(_ work: [(UUID, [HazardImportRow])], checklist: Checklist, sql: any SQLDatabase, now: Date) async throws
        -> (rows: [Int: ImportReport.Row], writes: [(Subject, DossierChanges)], meta: [UUID: InspectionMeta]) {
        // The subjects were matched inside the importer's jurisdiction already.
        let q = CampaignQueries(sql: sql, scope: .everything)
        let subjects = try await q.subjects(work.map(\.0))
        var dossiers = try await q.dossiers(for: Array(subjects.values))
        var stored: [String: HazardRow] = [:]   // subject|item|found day
        for h in try await q.hazards(subjects: work.map(\.0)) { stored["\(h.subjectId)|\(h.itemCode)|\(h.foundOn)"] = h }
        let items = Dictionary(checklist.items.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        let position = Dictionary(checklist.items.enumerated().map { ($1.code, $0) }, uniquingKeysWith: { a, _ in a })
        var out: [Int: ImportReport.Row] = [:]
        var writes: [(Subject, DossierChanges)] = []
        var meta: [UUID: InspectionMeta] = [:]

        for (subjectID, hazardRows) in work {
            guard let subject = subjects[subjectID], var dossier = dossiers[subjectID] else { continue }
            let before = dossier
            var rowsOut: [Int: ImportReport.Row] = [:]
            // Warnings of rows that are taken (added to their report rows at the end).
            var warnings: [Int: [ImportReport.Problem]] = [:]
            func done(_ r: HazardImportRow, _ action: String, _ problem: String? = nil, severity: String = "error") {
                rowsOut[r.row] = .init(row: r.row, action: action, subjectId: subjectID, changed: [],
                                       problems: problem.map { [.init(column: nil, reason: $0, severity: severity)] } ?? [])
            }
            // Each hazard's moment cursor, so that its events are in time order.
            var cursor: [UUID: Date] = [:]
            func at(_ day: CalendarDate, _ hour: Double, after id: UUID) -> Date {
                let wanted = min(day.startUTC.addingTimeInterval(hour * 3600), now)
                let t = max(wanted, (cursor[id] ?? .distantPast).addingTimeInterval(60))
                cursor[id] = t
                return t
            }
            func advance(_ id: UUID, from state: HazardState, _ r: HazardImportRow) throws(DomainError) -> Bool {
                guard var steps = HazardLifecycle.path(from: state, to: r.state) else { return false }
                // 整改中 after a rebound (a rectified day is given): verified, found again, at work again.
                if r.state == .rectifying, r.rectifiedOn != nil, state == .open { steps = [.verifyRectified, .reportRebound, .startRectification] }
                for step in steps {
                    switch step {
                    case .startRectification:
                        try dossier.apply(.startRectification, hazard: id, at: at(r.stateOn, r.rectifiedOn == nil ? 11 : 16, after: id),
                                         actor: actor, reason: "台账：整改中")
                    case .verifyRectified:
                        try dossier.apply(.verifyRectified, hazard: id, at: at(r.rectifiedOn ?? r.foundOn, 12, after: id), actor: actor,
                                         reason: "台账：整改到位")
                    case .reportRebound:
                        let when = at(r.stateOn, 15, after: id)
                        let due = r.dueOn.flatMap { $0.endUTC > when ? $0.endUTC : nil }
                        if let d = r.dueOn, due == nil {
                            // A deadline before the rebound cannot be the rebound's: it gets the default one.
                            warnings[r.row, default: []].append(.init(
                                column: LedgerField.dueOn.zh,
                                reason: "the deadline \(d) is before the rebound on \(CalendarDate(shanghai: when)); the rebound gets the default \(HazardLifecycle.defaultReboundDays)-day deadline",
                                severity: "warning"))
                        }
                        try dossier.apply(.reportRebound, hazard: id, at: when, actor: actor, reason: "台账：隐患反弹",
                                         newDueAt: due)
                    default: break
                    }
                }
                return true
            }
            do throws(DomainError) {
                // New hazards: one inspection per found day, in day order.
                let sorted = hazardRows.sorted { ($0.foundOn, $0.row) < ($1.foundOn, $1.row) }
                var newByDay: [CalendarDate: [HazardImportRow]] = [:]
                var existingRows: [(HazardImportRow, HazardRow)] = []
                for r in sorted {
                    if let h = stored["\(subjectID)|\(r.itemCode)|\(r.foundOn)"] { existingRows.append((r, h)) }
                    else { newByDay[r.foundOn, default: []].append(r) }
                }
                for (r, h) in existingRows {
                    cursor[h.id] = dossier.hazards[h.id]?.lastEventAt ?? h.lastEventAt
                    let state = dossier.hazards[h.id]?.state ?? h.hazardState
                    if r.state == .closedDown || (r.state == state) { done(r, "unchanged"); continue }
                    if dossier.isClosedDown {
                        done(r, "unchanged", "the subject is closed down; the hazard stays \(state.zh)", severity: "warning"); continue
                    }
                    if try advance(h.id, from: state, r) { rowsOut[r.row] = .init(row: r.row, action: "updated", subjectId: subjectID, changed: [LedgerField.state.zh], problems: []) }
                    else { done(r, "unchanged", "the stored hazard is \(state.zh); an import does not move it back to \(r.state.zh)", severity: "warning") }
                }
                for day in newByDay.keys.sorted() {
                    let dayRows = newByDay[day]!.sorted { (position[$0.itemCode] ?? 0) < (position[$1.itemCode] ?? 0) }
                    if dossier.isClosedDown {
                        for r in dayRows { done(r, "rejected", "the subject \(subject.name) is closed down (已关停); no new hazard can be recorded") }
                        continue
                    }
                    let clientID = "ledger-" + Hex.encode(Array(SHA256.hash(data: Data("\(subjectID)|\(day)|\(dayRows.map(\.itemCode).joined(separator: ","))".utf8))))
                    var n = 0
                    let inspectedAt = min(day.startUTC.addingTimeInterval(9 * 3600), now)
                    let department = items[dayRows[0].itemCode]?.department ?? .fireRescue
                    let ruleNow = inspectedAt < now.addingTimeInterval(-InspectionRules.oldestVisit + 3600)
                        ? inspectedAt.addingTimeInterval(3600) : now
                    // A ledger row may be older than a live visit's one-year limit: the rule is
                    // checked against the visit itself (the row's day was checked against today).
                    let plan = try dossier.inspect(
                        checklist: checklist, inspectedAt: inspectedAt, team: [TeamMember(name: actor, department: department)],
                        inspector: actor,
                        results: dayRows.map { ItemResult(itemCode: $0.itemCode, outcome: .hazard, note: $0.note, severity: $0.severity, dueOn: $0.dueOn) },
                        now: ruleNow,
                        makeID: { defer { n += 1 }; return stableID("\(clientID)|\(n)") })
                    meta[plan.id] = InspectionMeta(clientID: clientID, requestHash: "", responseJSON: nil)
                    let created = Dictionary(uniqueKeysWithValues: plan.hazards.map { ($0.itemCode, $0.id) })
                    for r in dayRows {
                        if let id = created[r.itemCode] {
                            cursor[id] = inspectedAt
                            _ = try advance(id, from: .open, r)
                            rowsOut[r.row] = .init(row: r.row, action: "created", subjectId: subjectID, changed: [], problems: [])
                        } else {
                            done(r, "unchanged", "the subject already has an open hazard of item \(r.itemCode); the finding is linked to it", severity: "warning")
                        }
                    }
                }
                // Closure: the latest day of the rows that say 已关停.
                if !dossier.isClosedDown, let day = hazardRows.filter({ $0.state == .closedDown }).map(\.stateOn).max() {
                    let latest = dossier.hazards.values.compactMap(\.lastEventAt).max() ?? .distantPast
                    let when = max(min(day.startUTC.addingTimeInterval(16 * 3600), now), latest.addingTimeInterval(60))
                    try dossier.closeDown(at: when, actor: actor, reason: "台账：已关停")
                    for r in hazardRows where r.state == .closedDown && rowsOut[r.row]?.action == "unchanged" {
                        rowsOut[r.row]?.action = "updated"
                        rowsOut[r.row]?.changed = [LedgerField.state.zh]
                    }
                }
            } catch {
                // A rule refused one of the subject's rows: none of its rows are taken.
                dossier = before
                warnings = [:]
                let reason = "\(error.field.map { "\($0): " } ?? "")\(error.reason)"
                for r in hazardRows {
                    rowsOut[r.row] = .init(row: r.row, action: "rejected", subjectId: subjectID, changed: [],
                                           problems: [.init(column: nil, reason: "the subject's hazard rows were refused: \(reason)")])
                }
            }
            for (n, w) in warnings { rowsOut[n]?.problems.append(contentsOf: w) }
            out.merge(rowsOut) { _, new in new }
            dossiers[subjectID] = dossier
            let changes = dossier.takeChanges()
            if !changes.isEmpty { writes.append((subject.subject, changes)) }
        }
        return (out, writes, meta)
    }
}

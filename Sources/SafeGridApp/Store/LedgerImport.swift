import Crypto
import Foundation
import SQLKit
import SafeGridCore
import SafeGridLedger
import Vapor

/// What a ledger file holds.
enum ImportKind: String, Codable, Sendable, CaseIterable {
    /// 主体台账: enterprises, street shops, rental housing, parks.
    case subjects
    /// 隐患台账: hazards of stored subjects with their found, deadline, rectified days and state.
    case hazards

    var zh: String { self == .subjects ? "主体台账" : "隐患台账" }
}

/// The answer to an import (dry run or real): per row what happened and why, and the totals.
struct ImportReport: Content {
    struct Problem: Content {
        let column: String?
        /// `"F"`: the spreadsheet column.
        let columnLetters: String?
        let reason: String
        /// `error` (the row is rejected) or `warning`.
        let severity: String

        init(_ p: LedgerProblem) {
            column = p.column
            columnLetters = p.columnLetters
            reason = p.reason
            severity = p.severity.rawValue
        }

        init(column: String?, reason: String, severity: String = "error") {
            self.column = column
            self.columnLetters = nil
            self.reason = reason
            self.severity = severity
        }
    }

    struct Row: Content {
        let row: Int
        /// `created`, `updated`, `unchanged` or `rejected`.
        var action: String
        var subjectId: UUID?
        /// Columns an update changes.
        var changed: [String]
        var problems: [Problem]
    }

    struct Totals: Content {
        var rows = 0
        var created = 0
        var updated = 0
        var unchanged = 0
        var rejected = 0
    }

    /// Stored imports (``ImportsController``) have an id; the rejected rows are downloaded under it.
    var id: UUID?
    let kind: String
    let dryRun: Bool
    /// `xlsx`, or `csv (gb18030, ;)`.
    let format: String
    var totals = Totals()
    /// Problems of the file as a whole (header warnings, unknown columns).
    var fileProblems: [Problem] = []
    var rows: [Row] = []
    /// Batches that failed to write (nothing of them was written); their rows are `rejected`.
    var failedBatches: [String] = []
    var seconds: Double = 0
    var rowsPerSecond: Double = 0
}

/// The write path of ledger (台账) import: from the validated rows of ``SubjectImporter`` and
/// ``HazardImporter`` to stored subjects and hazards, through ``CampaignStore`` in write-gate
/// transactions of ``batchSize`` rows.
///
/// - Subjects are matched by ``SubjectMatchKey`` (credit code, else normalised name + address in
///   the village) against the stored ones: no match → created; a match with other values →
///   updated (name, address, credit code when the stored one is empty, party, phone, location,
///   规上, rooms; the kind and micro-grid are never changed by an import — a different kind
///   rejects the row, a different micro-grid is a warning); equal → unchanged.
///   The micro-grid of a new subject: ``MicroGridChoice``.
/// - Hazards go through ``SubjectLedger`` as the demo's do (inspection per subject and found
///   day, then the actions that bring each hazard to the row's state), so colours, events, hash
///   chain and counters follow the same rules. A hazard is matched by subject, checklist item
///   and found day; a stored one is moved forward to the row's state when it lags behind, else
///   left unchanged. The inspection's client id and the hazards' ids are derived from the
///   rows' content (SHA-256 of subject id, found day and item codes), so a re-import creates
///   nothing new.
/// - A batch that fails rolls back whole; its rows are reported rejected with the reason and
///   the next batches still run. Re-importing the same file answers every row `unchanged`.
enum LedgerImport {
    /// Rows per write transaction.
    static let batchSize = 1_000
    /// Who the imported events name as actor.
    static let actor = "台账导入"

    struct Options: Sendable {
        var kind: ImportKind
        var dryRun: Bool
        /// Limits village resolution to one town (`--town`); `nil` = all villages in the database.
        var townCode: String?
        /// The importer's jurisdiction: rows naming a village outside it are rejected as unknown,
        /// and only subjects inside it are matched (the command line imports into everything).
        var scope: Jurisdiction = .everything
    }

    /// The outcome of a run: the report and, when rows were rejected, their sheet.
    struct Outcome: Sendable {
        var report: ImportReport
        var rejected: LedgerSheet?
    }

    /// Reads `data` and imports it.
    /// - Throws: ``DomainError`` `.invalid` on `file` when the file is no spreadsheet, empty, or
    ///   its header lacks a required column (nothing is written then).
    static func run(_ data: Data, options: Options, app: Application) async throws -> Outcome {
        let started = Date()
        let table: LedgerTable
        do throws(LedgerFileError) { table = try LedgerReader.read(data) } catch {
            throw DomainError(.invalid, field: "file", reason: error.reason, extra: ["problem": error.kind.rawValue])
        }
        guard !table.rows.isEmpty else {
            throw DomainError(.invalid, field: "file", reason: "the file has a header (row \(table.headerRowNumber)) but no data rows", extra: ["problem": "noRows"])
        }
        let q = CampaignQueries(sql: app.sql, scope: options.scope)
        var villages = try await q.areas(level: .village)
        if let town = options.townCode {
            villages = villages.filter { $0.code.hasPrefix(town) }
            guard !villages.isEmpty else { throw DomainError.invalid("town", "no villages under town code \(town)") }
        }
        var outcome: Outcome
        switch options.kind {
        case .subjects: outcome = try await subjects(table, villages: villages, options: options, app: app)
        case .hazards: outcome = try await hazards(table, villages: villages, options: options, app: app)
        }
        outcome.report.seconds = Date().timeIntervalSince(started)
        outcome.report.rowsPerSecond = outcome.report.seconds > 0 ? Double(table.rows.count) / outcome.report.seconds : 0
        return outcome
    }

    /// `csv (gb18030, ;)`, `csv (utf8BOM, tab)` or `xlsx (Sheet1)`.
    static func formatText(_ f: LedgerFormat) -> String {
        switch f {
        case .csv(let encoding, let delimiter):
            "csv (\(encoding.rawValue), \(delimiter == .tab ? "tab" : delimiter.rawValue))"
        case .xlsx(let sheet):
            "xlsx (\(sheet))"
        }
    }

    // MARK: Report assembly

    /// Starts a report: every row rejected by validation, with its problems; file problems apart.
    static func startReport(_ table: LedgerTable, kind: ImportKind, dryRun: Bool, problems: [LedgerProblem],
                       rejected: [Int]) -> (ImportReport, [Int: ImportReport.Row]) {
        var r = ImportReport(kind: kind.rawValue, dryRun: dryRun, format: formatText(table.format))
        r.totals.rows = table.rows.count
        var rows: [Int: ImportReport.Row] = [:]
        let rejectedSet = Set(rejected)
        for p in problems {
            guard let n = p.row, n != table.headerRowNumber else { r.fileProblems.append(.init(p)); continue }
            rows[n, default: .init(row: n, action: rejectedSet.contains(n) ? "rejected" : "unchanged", subjectId: nil,
                                   changed: [], problems: [])].problems.append(.init(p))
        }
        for n in rejected where rows[n] == nil {
            rows[n] = .init(row: n, action: "rejected", subjectId: nil, changed: [], problems: [])
        }
        return (r, rows)
    }

    static func finish(_ report: inout ImportReport, rows: [Int: ImportReport.Row], table: LedgerTable) -> LedgerSheet? {
        report.rows = rows.values.sorted { $0.row < $1.row }
        var t = ImportReport.Totals()
        t.rows = table.rows.count
        for r in report.rows {
            switch r.action {
            case "created": t.created += 1
            case "updated": t.updated += 1
            case "rejected": t.rejected += 1
            default: t.unchanged += 1
            }
        }
        report.totals = t
        let rejected = report.rows.filter { $0.action == "rejected" }
        guard !rejected.isEmpty else { return nil }
        var problems: [LedgerProblem] = []
        for r in rejected {
            for p in r.problems where p.severity == "error" {
                problems.append(LedgerProblem(row: r.row, column: p.column,
                                              columnIndex: p.columnLetters.flatMap { LedgerTable.columnIndex(letters: Substring($0)) },
                                              reason: p.reason))
            }
        }
        return table.rejectedRows(rejected.map(\.row), problems: problems)
    }

    static func fileErrors(_ problems: [LedgerProblem]) -> DomainError? {
        let errors = problems.filter { $0.row == nil && $0.severity == .error }
        guard !errors.isEmpty else { return nil }
        return DomainError(.invalid, field: "file", reason: errors.map(\.reason).joined(separator: "; "))
    }

    // MARK: Subjects

    private struct SubjectIndex {
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

    private static func loadIndex(credit: [String], villages: [String], sql: any SQLDatabase, scope: Jurisdiction) async throws -> SubjectIndex {
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
                        let sql = tx.sql
                        var inserts: [Subject] = []
                        var changedRooms: [(UUID, Int?)] = []
                        for (_, w) in batch {
                            switch w {
                            case .create(let s): inserts.append(s)
                            case .update(let before, let s):
                                try await sql.update("subjects")
                                    .set("name", to: SQLBind(s.name)).set("address", to: SQLBind(s.address))
                                    .set("credit_code", to: SQLBind(s.creditCode?.value)).set("above_scale", to: SQLBind(s.aboveScale))
                                    .set("rooms", to: SQLBind(s.rooms)).set("party_name", to: SQLBind(s.party.name))
                                    .set("party_phone", to: SQLBind(s.party.phone.stored))
                                    .set("latitude", to: SQLBind(s.location?.latitude)).set("longitude", to: SQLBind(s.location?.longitude))
                                    .set("datum", to: SQLBind(s.location?.datum.rawValue))
                                    .where("id", .equal, SQLBind(s.id)).run()
                                if before.rooms != s.rooms { changedRooms.append((s.id, s.rooms)) }
                            }
                        }
                        // Rooms of inspected rental housing are counted on the dashboard.
                        if !changedRooms.isEmpty {
                            let counters = DashboardCounters(sql: sql)
                            let facts = try await counters.subjectFacts(changedRooms.map(\.0))
                            var tally = DashboardTally()
                            for (id, rooms) in changedRooms {
                                guard var f = facts[id] else { continue }
                                let before = f.contribution
                                f.rooms = rooms
                                tally.move(from: before, to: f.contribution)
                            }
                            try await counters.add(tally)
                        }
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

    // MARK: Hazards

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
            for (n, r) in planned {
                var merged = r
                merged.problems = (rows[n]?.problems ?? []) + r.problems
                rows[n] = merged
            }
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

extension SubjectMatchKey {
    var isCreditCode: Bool { if case .creditCode = self { true } else { false } }
}

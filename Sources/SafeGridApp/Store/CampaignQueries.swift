import Foundation
import SQLKit
import SafeGridCore

/// Read queries of the campaign (SQLKit, dialect-neutral builders and binds).
///
/// **Jurisdiction lives here**: every query answers only rows inside `scope` — an
/// area outside it is `nil`, a subject, hazard or inspection outside it is `nil` (the handlers
/// answer 404, never 403, so nothing tells that it exists), and lists and their totals count
/// only what is inside. Request handlers get theirs from ``Request/queries`` (the signed-in
/// account's area); background jobs, commands and the public channels (Open311, the SMS link)
/// pass ``Jurisdiction/everything`` explicitly.
package struct CampaignQueries {
    package let sql: any SQLDatabase
    /// What the reader may see.
    package let scope: Jurisdiction

    package init(sql: any SQLDatabase, scope: Jurisdiction) {
        self.sql = sql
        self.scope = scope
    }

    /// Restricts a query on a table with the denormalised area columns (`subjects`, `hazards`)
    /// to ``scope``.
    func scoped(_ q: SQLSelectBuilder) -> SQLSelectBuilder {
        guard !scope.isEverything else { return q }
        guard let column = Self.areaColumn(for: scope.areaCode) else { return q.where(Self.noRow) }
        return q.where(SQLIdentifier(column), .equal, SQLBind(scope.areaCode))
    }

    /// Restricts a query on a table with a subject column (`inspections`, `hazard_events`,
    /// `messages`, `evidence`) to the subjects inside ``scope``; rows without a subject are out.
    func scopedBySubject(_ q: SQLSelectBuilder, column: String = "subject_id") -> SQLSelectBuilder {
        guard let subjects = subjectsInScope else { return q }
        return q.where(SQLIdentifier(column), .in, subjects)
    }

    /// `(SELECT id FROM subjects WHERE <area column> = <scope>)`, or `nil` when the scope is
    /// the whole district.
    var subjectsInScope: (any SQLExpression)? {
        guard !scope.isEverything else { return nil }
        guard let areaColumn = Self.areaColumn(for: scope.areaCode) else {
            return SQLSubquery.select { $0.column("id").from("subjects").where(Self.noRow) }
        }
        let code = scope.areaCode
        return SQLSubquery.select { sub in
            sub.column("id").from("subjects").where(SQLIdentifier(areaColumn), .equal, SQLBind(code))
        }
    }

    /// Restricts a query to rows whose area-code column (an area's code, or the code of the
    /// jurisdiction something was made in) lies inside ``scope``: `column LIKE '<scope>%'`.
    func within(_ q: SQLSelectBuilder, codeColumn column: String) -> SQLSelectBuilder {
        scope.isEverything ? q : q.where(SQLIdentifier(column), .like, SQLBind(scope.areaCode + "%"))
    }

    /// `1 = 0`: what a reader outside every area sees.
    static let noRow = SQLBinaryExpression(SQLLiteral.numeric("1"), .equal, SQLLiteral.numeric("0"))

    /// Whether the area `code` is inside ``scope``.
    func sees(area code: String) -> Bool { scope.contains(code) }

    static let openStates = HazardState.allCases.filter(\.isOpen).map(\.rawValue)

    /// The denormalised column that holds an area code of this length, or `nil` for a district
    /// (every row lies in the one district SafeGrid serves).
    static func areaColumn(for code: String) -> String? {
        switch AreaLevel(codeLength: code.count) {
        case .town: "town_code"
        case .village: "village_code"
        case .grid: "grid_code"
        case .microGrid: "micro_grid_code"
        case .district, nil: nil
        }
    }

    // MARK: Areas

    package func area(_ code: String) async throws -> Area? {
        guard sees(area: code) else { return nil }
        return try await sql.select().columns("*").from("areas").where("code", .equal, SQLBind(code))
            .firstRow(AreaRow.self)?.area
    }

    package func children(of code: String) async throws -> [Area] {
        guard sees(area: code) else { return [] }
        return try await sql.select().columns("*").from("areas").where("parent_code", .equal, SQLBind(code))
            .orderBy("code").rows(AreaRow.self).map(\.area)
    }

    package func areas(level: AreaLevel) async throws -> [Area] {
        try await within(sql.select().columns("*").from("areas").where("level", .equal, SQLBind(level.rawValue)), codeColumn: "code")
            .orderBy("code").rows(AreaRow.self).map(\.area)
    }

    /// The area and its ancestors, district first.
    func lineage(_ code: String) async throws -> [Area] {
        let codes = AreaCodes.lineage(of: code)
        let rows = try await sql.select().columns("*").from("areas").where("code", .in, SQLBind.group(codes))
            .rows(AreaRow.self)
        return rows.map(\.area).sorted { $0.code.count < $1.code.count }
    }

    // MARK: Checklist

    func checklistVersions() async throws -> [Int] {
        try await sql.select().column("version").from("checklists").orderBy("version").all()
            .map { try $0.decode(column: "version", as: Int.self) }
    }

    func checklist(version: Int) async throws -> Checklist? {
        guard let head = try await sql.select().columns("*").from("checklists").where("version", .equal, SQLBind(version)).first()
        else { return nil }
        let items = try await sql.select().columns("*").from("checklist_items")
            .where("checklist_version", .equal, SQLBind(version)).orderBy("position")
            .rows(ChecklistItemRow.self)
        return Checklist(version: version,
                         title: LocalizedText(zh: try head.decode(column: "title_zh", as: String.self),
                                              en: try head.decode(column: "title_en", as: String.self)),
                         publishedOn: try head.decode(column: "published_on", as: String.self),
                         items: items.map(\.item))
    }

    // MARK: Subjects

    package func subject(_ id: UUID) async throws -> SubjectRow? {
        try await scoped(sql.select().columns("*").from("subjects").where("id", .equal, SQLBind(id)))
            .firstRow(SubjectRow.self)
    }

    func subjects(_ ids: [UUID]) async throws -> [UUID: SubjectRow] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await scoped(sql.select().columns("*").from("subjects").where("id", .in, SQLBind.group(Array(Set(ids)))))
            .rows(SubjectRow.self)
        return Dictionary(uniqueKeysWithValues: rows.map { ($0.id, $0) })
    }

    /// The subject with this credit code (GB 32100, 18 characters), inside the scope.
    package func subject(creditCode: String) async throws -> SubjectRow? {
        try await scoped(sql.select().columns("*").from("subjects").where("credit_code", .equal, SQLBind(creditCode)))
            .firstRow(SubjectRow.self)
    }

    /// Whether any subject of the district has this credit code (unscoped: codes are unique
    /// across the district, and a duplicate must be refused wherever the first one is).
    func subjectExists(creditCode: String) async throws -> Bool {
        try await sql.select().column("id").from("subjects").where("credit_code", .equal, SQLBind(creditCode)).first() != nil
    }

    /// Stored subjects with these credit codes, or lying in these villages (ledger import's
    /// match by credit code, or by name and address within the village).
    func subjects(creditCodes: [String], villageCodes: [String]) async throws -> [SubjectRow] {
        var rows: [SubjectRow] = []
        var seen = Set<UUID>()
        for (column, values) in [("credit_code", creditCodes), ("village_code", villageCodes)] {
            for chunk in Array(Set(values)).sorted().chunked(DashboardCounters.idsPerRead) {
                for row in try await scoped(sql.select().columns("*").from("subjects").where(SQLIdentifier(column), .in, SQLBind.group(chunk)))
                    .rows(SubjectRow.self) where seen.insert(row.id).inserted {
                    rows.append(row)
                }
            }
        }
        return rows
    }

    /// The hazards of these subjects, oldest first (ledger import matches them by item and found day).
    func hazards(subjects ids: [UUID]) async throws -> [HazardRow] {
        var rows: [HazardRow] = []
        for chunk in Array(Set(ids)).chunked(DashboardCounters.idsPerRead) {
            rows += try await scoped(sql.select().columns("*").from("hazards").where("subject_id", .in, SQLBind.group(chunk)))
                .orderBy("found_at").orderBy("item_code").rows(HazardRow.self)
        }
        return rows
    }

    /// Subjects in pages by id (exports): at most `limit` after `cursor`.
    func subjectsPage(_ f: SubjectFilter, after cursor: UUID?, limit: Int) async throws -> [SubjectRow] {
        var q = filtered(sql.select().columns("*").from("subjects"), f)
        if let cursor { q = q.where("id", .greaterThan, SQLBind(cursor)) }
        return try await q.orderBy("id").limit(limit).rows(SubjectRow.self)
    }

    /// Hazards in pages by id (exports): at most `limit` after `cursor`, with the list's filters.
    func hazardsPage(_ f: HazardFilter, after cursor: UUID?, limit: Int) async throws -> [HazardRow] {
        var q = filtered(sql.select().columns("*").from("hazards"), f)
        if let cursor { q = q.where("id", .greaterThan, SQLBind(cursor)) }
        return try await q.orderBy("id").limit(limit).rows(HazardRow.self)
    }

    /// The events of these hazards in commit order (exports' timelines).
    func events(hazards ids: [UUID]) async throws -> [UUID: [HazardEventRow]] {
        var out: [UUID: [HazardEventRow]] = [:]
        for chunk in ids.chunked(DashboardCounters.idsPerRead) {
            for e in try await scopedBySubject(sql.select().columns("*").from("hazard_events").where("hazard_id", .in, SQLBind.group(chunk)))
                .orderBy("seq").rows(HazardEventRow.self) {
                out[e.hazardId, default: []].append(e)
            }
        }
        return out
    }

    /// Dashboard counters of these areas (``DashboardCounters``), for the village summary export.
    func counters(of areas: [String]) async throws -> [String: [String: Int]] {
        try await DashboardCounters(sql: sql).counts(of: areas.filter(sees(area:)))
    }

    /// Which of these subjects have at least one inspection.
    func inspectedSubjects(_ ids: [UUID]) async throws -> Set<UUID> {
        var out = Set<UUID>()
        for chunk in Array(Set(ids)).chunked(DashboardCounters.idsPerRead) {
            for row in try await sql.select().distinct().column("subject_id").from("inspections")
                .where("subject_id", .in, SQLBind.group(chunk)).all() {
                out.insert(try row.decode(column: "subject_id", as: UUID.self))
            }
        }
        return out
    }

    /// The latest inspection day (Asia/Shanghai) of each of these subjects that has one.
    func lastInspectionDays(_ ids: [UUID]) async throws -> [UUID: String] {
        var out: [UUID: String] = [:]
        for chunk in Array(Set(ids)).chunked(DashboardCounters.idsPerRead) {
            for row in try await scopedBySubject(sql.select().column("subject_id").column(SQLFunction("MAX", args: SQLIdentifier("inspected_on")), as: "d")
                .from("inspections").where("subject_id", .in, SQLBind.group(chunk))).groupBy("subject_id").all() {
                out[try row.decode(column: "subject_id", as: UUID.self)] = try row.decode(column: "d", as: String.self)
            }
        }
        return out
    }

    struct SubjectFilter: Sendable {
        var kind: SubjectKind?
        var areaCode: String?
        var colour: SubjectColour?
        var parentID: UUID?
        var search: String?
    }

    /// `q` on `subjects` restricted to the scope and the filter (lists, counts and export pages).
    func filtered(_ q: SQLSelectBuilder, _ f: SubjectFilter) -> SQLSelectBuilder {
        var q = scoped(q)
        if let kind = f.kind { q = q.where("kind", .equal, SQLBind(kind.rawValue)) }
        if let code = f.areaCode, let column = Self.areaColumn(for: code) { q = q.where(SQLIdentifier(column), .equal, SQLBind(code)) }
        if let colour = f.colour { q = q.where("colour", .equal, SQLBind(colour.key)) }
        if let parent = f.parentID { q = q.where("parent_id", .equal, SQLBind(parent)) }
        if let s = f.search, !s.isEmpty { q = q.where(SQLContains(column: "name", text: s)) }
        return q
    }

    func subjects(_ f: SubjectFilter, limit: Int, offset: Int) async throws -> (rows: [SubjectRow], total: Int) {
        let total = try await filtered(sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("subjects"), f)
            .first()?.decode(column: "n", as: Int.self) ?? 0
        let rows = try await filtered(sql.select().columns("*").from("subjects"), f).orderBy("name").limit(limit).offset(offset)
            .rows(SubjectRow.self)
        return (rows, total)
    }

    func colourHistory(subject id: UUID) async throws -> [ColourHistoryRow] {
        try await scopedBySubject(sql.select().columns("*").from("subject_colour_history").where("subject_id", .equal, SQLBind(id)))
            .orderBy("seq").rows(ColourHistoryRow.self)
    }

    // MARK: Hazards

    func hazard(_ id: UUID) async throws -> HazardRow? {
        try await scoped(sql.select().columns("*").from("hazards").where("id", .equal, SQLBind(id)))
            .firstRow(HazardRow.self)
    }

    func hazards(subject id: UUID) async throws -> [HazardRow] {
        try await scoped(sql.select().columns("*").from("hazards").where("subject_id", .equal, SQLBind(id)))
            .orderBy("found_at").orderBy("item_code")
            .rows(HazardRow.self)
    }

    func hazards(inspection id: UUID) async throws -> [HazardRow] {
        try await scoped(sql.select().columns("*").from("hazards").where("inspection_id", .equal, SQLBind(id)))
            .orderBy("item_code").rows(HazardRow.self)
    }

    /// The hazards a visit found: those it created and the open ones it linked a repeated
    /// finding to.
    func hazardsOfVisit(_ id: UUID) async throws -> [HazardRow] {
        let linked = try await sql.select().column("hazard_id").from("inspection_results")
            .where("inspection_id", .equal, SQLBind(id)).where("hazard_id", .isNot, SQLLiteral.null).all()
            .map { try $0.decode(column: "hazard_id", as: UUID.self) }
        let q = sql.select().columns("*").from("hazards").where { w in
            var w = w.where("inspection_id", .equal, SQLBind(id))
            if !linked.isEmpty { w = w.orWhere("id", .in, SQLBind.group(linked)) }
            return w
        }
        return try await scoped(q).orderBy("item_code").rows(HazardRow.self)
    }

    func events(hazard id: UUID) async throws -> [HazardEventRow] {
        try await scopedBySubject(sql.select().columns("*").from("hazard_events").where("hazard_id", .equal, SQLBind(id)))
            .orderBy("seq").rows(HazardEventRow.self)
    }

    func events(subject id: UUID) async throws -> [HazardEventRow] {
        try await scopedBySubject(sql.select().columns("*").from("hazard_events").where("subject_id", .equal, SQLBind(id)))
            .orderBy("seq").rows(HazardEventRow.self)
    }

    struct HazardFilter: Sendable {
        var areaCode: String?
        var subjectID: UUID?
        var kind: SubjectKind?
        var states: [HazardState] = []
        var severity: Severity?
        var department: Department?
        var itemCode: String?
        var overdueAt: Date?
        var foundFrom: CalendarDate?
        var foundTo: CalendarDate?
    }

    /// `q` on `hazards` restricted to the scope and the filter (lists, counts and export pages).
    func filtered(_ q: SQLSelectBuilder, _ f: HazardFilter) -> SQLSelectBuilder {
        var q = scoped(q)
        if let code = f.areaCode, let column = Self.areaColumn(for: code) { q = q.where(SQLIdentifier(column), .equal, SQLBind(code)) }
        if let id = f.subjectID { q = q.where("subject_id", .equal, SQLBind(id)) }
        if let kind = f.kind { q = q.where("subject_kind", .equal, SQLBind(kind.rawValue)) }
        if !f.states.isEmpty { q = q.where("state", .in, SQLBind.group(f.states.map(\.rawValue))) }
        if let s = f.severity { q = q.where("severity", .equal, SQLBind(s.rawValue)) }
        if let d = f.department { q = q.where("department", .equal, SQLBind(d.rawValue)) }
        if let c = f.itemCode { q = q.where("item_code", .equal, SQLBind(c)) }
        if let now = f.overdueAt {
            q = q.where("state", .in, SQLBind.group(Self.openStates)).where("due_at", .lessThan, SQLBind(now))
        }
        if let from = f.foundFrom { q = q.where("found_on", .greaterThanOrEqual, SQLBind(from.description)) }
        if let to = f.foundTo { q = q.where("found_on", .lessThanOrEqual, SQLBind(to.description)) }
        return q
    }

    func hazards(_ f: HazardFilter, limit: Int, offset: Int) async throws -> (rows: [HazardRow], total: Int) {
        let total = try await filtered(sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("hazards"), f)
            .first()?.decode(column: "n", as: Int.self) ?? 0
        let order = f.overdueAt != nil ? "due_at" : "found_at"
        let rows = try await filtered(sql.select().columns("*").from("hazards"), f)
            .orderBy(order, f.overdueAt != nil ? .ascending : .descending).orderBy("id").limit(limit).offset(offset)
            .rows(HazardRow.self)
        return (rows, total)
    }

    // MARK: Inspections

    package func inspection(_ id: UUID) async throws -> InspectionRow? {
        try await scopedBySubject(sql.select().columns("*").from("inspections").where("id", .equal, SQLBind(id)))
            .firstRow(InspectionRow.self)
    }

    package func inspection(clientID: String) async throws -> InspectionRow? {
        try await inspections(clientIDs: [clientID])[clientID]
    }

    /// Stored inspections by their client ids (the idempotency keys of submissions); unscoped,
    /// since a repeated submission must find its first answer.
    func inspections(clientIDs: [String]) async throws -> [String: InspectionRow] {
        var result: [String: InspectionRow] = [:]
        for chunk in Array(Set(clientIDs)).chunked(DashboardCounters.idsPerRead) {
            for row in try await sql.select().columns("*").from("inspections").where("client_id", .in, SQLBind.group(chunk))
                .rows(InspectionRow.self) {
                result[row.clientId] = row
            }
        }
        return result
    }

    func inspections(subject id: UUID) async throws -> [InspectionRow] {
        try await scopedBySubject(sql.select().columns("*").from("inspections").where("subject_id", .equal, SQLBind(id)))
            .orderBy("inspected_at", .descending)
            .rows(InspectionRow.self)
    }

    func team(inspection id: UUID) async throws -> [TeamMember] {
        try await sql.select().columns("name", "department").from("inspection_team_members")
            .where("inspection_id", .equal, SQLBind(id)).orderBy("position").all()
            .map { TeamMember(name: try $0.decode(column: "name", as: String.self),
                              department: Department(rawValue: try $0.decode(column: "department", as: String.self)) ?? .fireRescue) }
    }

    func results(inspection id: UUID) async throws -> [(itemCode: String, outcome: String, note: String?, hazardID: UUID?)] {
        try await sql.select().columns("item_code", "outcome", "note", "hazard_id").from("inspection_results")
            .where("inspection_id", .equal, SQLBind(id)).orderBy("item_code").all()
            .map { (try $0.decode(column: "item_code", as: String.self), try $0.decode(column: "outcome", as: String.self),
                    try $0.decode(column: "note", as: String?.self), try $0.decode(column: "hazard_id", as: UUID?.self)) }
    }

    // MARK: Ledger

    /// The domain aggregate of a subject, built from its rows.
    /// Hazard events after a `seq` cursor, in commit order (the change feed and webhooks).
    func events(after cursor: Int64, limit: Int, townCode: String? = nil) async throws -> [HazardEventRow] {
        var q = scopedBySubject(sql.select().columns("*").from("hazard_events").where("seq", .greaterThan, SQLBind(cursor)))
        if let townCode { q = q.where("town_code", .equal, SQLBind(townCode)) }
        return try await q.orderBy("seq").limit(limit).rows(HazardEventRow.self)
    }

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

/// `column LIKE '%text%' ESCAPE '\'` with `%`, `_` and `\` in `text` taken literally
/// (standard SQL; SQLite and PostgreSQL alike).
struct SQLContains: SQLExpression {
    let column: String
    let text: String

    func serialize(to serializer: inout SQLSerializer) {
        var escaped = ""
        for c in text {
            if c == "%" || c == "_" || c == "\\" { escaped.append("\\") }
            escaped.append(c)
        }
        SQLIdentifier(column).serialize(to: &serializer)
        serializer.write(" LIKE ")
        SQLBind("%\(escaped)%").serialize(to: &serializer)
        serializer.write(" ESCAPE '\\'")
    }
}

import Foundation
import SQLKit
import SafeGridCore

/// Hazards and their events.
extension CampaignQueries {
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
}

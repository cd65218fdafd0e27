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

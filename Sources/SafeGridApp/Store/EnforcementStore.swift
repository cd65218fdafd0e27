import Foundation
import SQLKit
import SafeGridCore

/// 综合执法 (joint enforcement) in SQL: writes of teams, actions with their
/// subjects and tallies (inside the caller's transaction, through ``CampaignStore``), and the
/// reads the figures are computed from.
///
/// The figures are the Core's ``EnforcementFigures`` over the records, as the article counts
/// them (shared/seed/guali-campaign-article.txt: 累计开展行动3012次，占全区总量的46.8%以上 …
/// 关停企业77家，拆除593家企业的违法建筑8万多平方米，腾出产业发展空间100余亩). A town's own
/// actions are read as records (3,012 rows for 瓜沥: the distinct subjects closed and demolished
/// need them); the rest of the district enters only as counts — the other towns' recorded actions
/// by a `COUNT` per town, passed to the Core as ``EnforcementTally`` values next to the stored
/// tallies, so the district total (the share's denominator) never loads their rows.
///
/// Units: m² demolished, 亩 freed; days `YYYY-MM-DD` Asia/Shanghai (the `on_day`, `from_day`,
/// `through_day` columns).
package enum EnforcementStore {
    // MARK: Writes

    /// Writes joint teams of the town `townCode` (9 digits).
    package static func insert(teams: [EnforcementTeam], townCode: String, at: Date, sql: any SQLDatabase) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let rows: [[any Encodable & Sendable]] = try teams.map { t in
            [t.id, t.name, townCode, t.departments.map(\.rawValue).joined(separator: ","),
             String(decoding: try encoder.encode(t.members), as: UTF8.self), at]
        }
        try await CampaignStore(sql: sql).insert("enforcement_teams",
                                                 ["id", "name", "town_code", "departments", "members_json", "created_at"], rows)
    }

    /// Writes actions and the subjects each concerns (in `subjectIds` order). The teams and
    /// subjects must exist (foreign keys).
    package static func insert(actions: [EnforcementAction], at: Date, sql: any SQLDatabase) async throws {
        let store = CampaignStore(sql: sql)
        let rows: [[any Encodable & Sendable]] = actions.map { a in
            [a.id, a.teamId, a.townCode, a.kind.rawValue, a.on.description, a.squareMetres, a.mu, a.note, at]
        }
        try await store.insert("enforcement_actions",
                               ["id", "team_id", "town_code", "kind", "on_day", "square_metres", "mu", "note", "recorded_at"], rows)
        var links: [[any Encodable & Sendable]] = []
        for a in actions {
            for (position, subject) in a.subjectIds.enumerated() { links.append([a.id, subject, position]) }
        }
        try await store.insert("enforcement_action_subjects", ["action_id", "subject_id", "position"], links)
    }

    /// Writes counts of actions not recorded one by one (district total only).
    package static func insert(tallies: [EnforcementTally], sql: any SQLDatabase) async throws {
        let rows: [[any Encodable & Sendable]] = tallies.map {
            [$0.townCode, $0.actions, $0.from.description, $0.through.description]
        }
        try await CampaignStore(sql: sql).insert("enforcement_tallies", ["town_code", "actions", "from_day", "through_day"], rows)
    }

    // MARK: Teams

    /// A stored team with its town.
    struct TeamRecord: Sendable {
        let team: EnforcementTeam
        /// 9-digit town code.
        let townCode: String
        let createdAt: Date
    }

    static func team(_ id: UUID, sql: any SQLDatabase) async throws -> TeamRecord? {
        guard let row = try await sql.select().columns("id", "name", "town_code", "members_json", "created_at")
            .from("enforcement_teams").where("id", .equal, SQLBind(id)).first()
        else { return nil }
        return try teamRecord(row)
    }

    /// The teams of the towns whose code starts with `townPrefix` (a town code, or the district
    /// code for every town), by town and name.
    static func teams(townPrefix: String, sql: any SQLDatabase) async throws -> [TeamRecord] {
        try await sql.select().columns("id", "name", "town_code", "members_json", "created_at").from("enforcement_teams")
            .where("town_code", .like, SQLBind(townPrefix + "%")).orderBy("town_code").orderBy("name").all()
            .map(teamRecord)
    }

    private static func teamRecord(_ row: any SQLRow) throws -> TeamRecord {
        let members = try JSONDecoder().decode([TeamMember].self, from: Data(try row.decode(column: "members_json", as: String.self).utf8))
        return TeamRecord(team: try EnforcementTeam(id: row.decode(column: "id", as: UUID.self),
                                                    name: row.decode(column: "name", as: String.self), members: members),
                          townCode: try row.decode(column: "town_code", as: String.self),
                          createdAt: try row.decode(column: "created_at", as: Date.self))
    }

    // MARK: Actions

    /// `(SELECT action_id FROM enforcement_action_subjects WHERE subject_id IN <subjects>)`: the
    /// actions concerning at least one of `subjects` (a subquery of subject ids, such as
    /// ``CampaignQueries/subjectsInScope``); `nil` when `subjects` is `nil` (every action).
    static func actionsConcerning(_ subjects: (any SQLExpression)?) -> (any SQLExpression)? {
        guard let subjects else { return nil }
        return SQLSubquery.select { sub in
            sub.column("action_id").from("enforcement_action_subjects").where(SQLIdentifier("subject_id"), .in, subjects)
        }
    }

    private static func selectActions(_ sql: any SQLDatabase) -> SQLSelectBuilder {
        sql.select().columns("id", "team_id", "town_code", "kind", "on_day", "square_metres", "mu", "note").from("enforcement_actions")
    }

    /// The actions of these rows with their subjects; `visible`: keep only the subjects in this
    /// subquery (an action read through a jurisdiction names no subject outside it).
    private static func actions(of rows: [any SQLRow], visible: (any SQLExpression)?, sql: any SQLDatabase) async throws -> [EnforcementAction] {
        let ids = try rows.map { try $0.decode(column: "id", as: UUID.self) }
        var subjects: [UUID: [(position: Int, id: UUID)]] = [:]
        for chunk in ids.chunked(DashboardCounters.idsPerRead) {
            var q = sql.select().columns("action_id", "subject_id", "position").from("enforcement_action_subjects")
                .where("action_id", .in, SQLBind.group(chunk))
            if let visible { q = q.where(SQLIdentifier("subject_id"), .in, visible) }
            for row in try await q.all() {
                subjects[try row.decode(column: "action_id", as: UUID.self), default: []]
                    .append((try row.decode(column: "position", as: Int.self), try row.decode(column: "subject_id", as: UUID.self)))
            }
        }
        // An action row that cannot be read is left out (logged and counted), as in every list.
        return zip(ids, rows).compactMap { id, row in
            row.noted("enforcement_actions", { row in try EnforcementAction(
                id: id, teamId: row.decode(column: "team_id", as: UUID.self), townCode: row.decode(column: "town_code", as: String.self),
                subjectIds: (subjects[id] ?? []).sorted { $0.position < $1.position }.map { $0.id },
                on: CalendarDate(row.decode(column: "on_day", as: String.self)),
                kind: EnforcementAction.Kind(rawValue: row.decode(column: "kind", as: String.self)) ?? .inspection,
                squareMetres: row.decode(column: "square_metres", as: Double?.self), mu: row.decode(column: "mu", as: Double?.self),
                note: row.decode(column: "note", as: String?.self)) }, sql)
        }
    }

    /// A page of actions, latest day first, that concern a subject of every one of `filters`
    /// (subqueries of subject ids: the reader's jurisdiction, the area asked for), each naming
    /// only its subjects inside `visible`.
    static func actions(concerningAll filters: [any SQLExpression], visible: (any SQLExpression)?, limit: Int, offset: Int,
                        sql: any SQLDatabase) async throws -> (actions: [EnforcementAction], total: Int) {
        func apply(_ q: SQLSelectBuilder) -> SQLSelectBuilder {
            var q = q
            for f in filters.compactMap({ actionsConcerning($0) }) { q = q.where(SQLIdentifier("id"), .in, f) }
            return q
        }
        let total = try await apply(sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("enforcement_actions"))
            .first()?.decode(column: "n", as: Int.self) ?? 0
        let rows = try await apply(selectActions(sql)).orderBy("on_day", .descending).orderBy("id").limit(limit).offset(offset).all()
        return (try await actions(of: rows, visible: visible, sql: sql), total)
    }

    // MARK: Figures

    /// Recorded actions per town of a district (`COUNT(*)`, first and last day), by town code.
    private static func recordedCounts(districtCode: String, sql: any SQLDatabase) async throws -> [String: (count: Int, from: CalendarDate, through: CalendarDate)] {
        var out: [String: (count: Int, from: CalendarDate, through: CalendarDate)] = [:]
        let rows = try await sql.select().column("town_code")
            .column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
            .column(SQLFunction("MIN", args: SQLIdentifier("on_day")), as: "first_day")
            .column(SQLFunction("MAX", args: SQLIdentifier("on_day")), as: "last_day")
            .from("enforcement_actions").where("town_code", .like, SQLBind(districtCode + "%")).groupBy("town_code").all()
        for row in rows {
            guard let figures = row.noted("enforcement_actions", { row in
                (town: try row.decode(column: "town_code", as: String.self), count: try row.decode(column: "n", as: Int.self),
                 from: try CalendarDate(row.decode(column: "first_day", as: String.self)),
                 through: try CalendarDate(row.decode(column: "last_day", as: String.self)))
            }, sql) else { continue }
            out[figures.town] = (figures.count, figures.from, figures.through)
        }
        return out
    }

    /// The stored tallies of a district's towns.
    private static func tallies(districtCode: String, sql: any SQLDatabase) async throws -> [EnforcementTally] {
        try await sql.select().columns("town_code", "actions", "from_day", "through_day").from("enforcement_tallies")
            .where("town_code", .like, SQLBind(districtCode + "%")).orderBy("town_code").orderBy("from_day").all()
            .compactMap { row in
                row.noted("enforcement_tallies", { row in
                    try EnforcementTally(townCode: row.decode(column: "town_code", as: String.self), actions: row.decode(column: "actions", as: Int.self),
                                         from: CalendarDate(row.decode(column: "from_day", as: String.self)),
                                         through: CalendarDate(row.decode(column: "through_day", as: String.self)))
                }, sql)
            }
    }

    /// The figures of the town `townCode` (9 digits) from all its records, with its share of the
    /// district total: every town's recorded actions (counted in SQL) plus the stored tallies.
    ///
    /// - Parameter within: a subquery of subject ids (a village's, grid's or micro-grid's, see
    ///   ``CampaignQueries/subjectsInScope``): the figures of the town's actions that concern one
    ///   of those subjects, counting only those subjects as closed or demolished; the town's other
    ///   actions still count in the district total. `nil`: the whole town.
    /// - Returns: actions (次), share (% of the district), enterprises closed and with
    ///   demolitions (家), m² demolished and 亩 freed, as ``EnforcementFigures`` computes them.
    package static func figures(townCode: String, within subjects: (any SQLExpression)? = nil, sql: any SQLDatabase) async throws -> EnforcementFigures {
        var q = selectActions(sql).where("town_code", .equal, SQLBind(townCode))
        if let concerning = actionsConcerning(subjects) { q = q.where(SQLIdentifier("id"), .in, concerning) }
        let own = try await actions(of: try await q.all(), visible: subjects, sql: sql)
        let district = String(townCode.prefix(AreaLevel.district.codeLength))
        var others = try await tallies(districtCode: district, sql: sql)
        for (town, c) in try await recordedCounts(districtCode: district, sql: sql).sorted(by: { $0.key < $1.key }) {
            // The town's own actions outside `within` count in the district total only.
            let count = town == townCode ? c.count - own.count : c.count
            if count > 0 { others.append(try EnforcementTally(townCode: town, actions: count, from: c.from, through: c.through)) }
        }
        return try EnforcementFigures(townCode: townCode, actions: own, tallies: others)
    }

    /// The district's figures: each town with recorded actions (``figures(townCode:within:sql:)``),
    /// and the district total — all towns' records plus the tallies.
    struct DistrictFigures: Sendable {
        /// 6-digit district code (萧山区 330109).
        let districtCode: String
        /// The towns with recorded actions, by code.
        let towns: [EnforcementFigures]
        /// Every action of the district, recorded or tallied (the 全区总量).
        let actions: Int
    }

    static func districtFigures(districtCode: String, sql: any SQLDatabase) async throws -> DistrictFigures {
        let counts = try await recordedCounts(districtCode: districtCode, sql: sql)
        var towns: [EnforcementFigures] = []
        for town in counts.keys.sorted() { towns.append(try await figures(townCode: town, sql: sql)) }
        let tallied = try await tallies(districtCode: districtCode, sql: sql).map { $0.actions }.reduce(0, +)
        return DistrictFigures(districtCode: districtCode, towns: towns, actions: counts.values.map { $0.count }.reduce(0, +) + tallied)
    }

    /// The first and last day of the recorded actions of the towns starting with `townPrefix`
    /// (a town or the district code), restricted like ``figures(townCode:within:sql:)``; `nil`
    /// when there is none.
    static func period(townPrefix: String, within subjects: (any SQLExpression)? = nil,
                       sql: any SQLDatabase) async throws -> (from: String, through: String)? {
        var q = sql.select().column(SQLFunction("MIN", args: SQLIdentifier("on_day")), as: "first_day")
            .column(SQLFunction("MAX", args: SQLIdentifier("on_day")), as: "last_day")
            .from("enforcement_actions").where("town_code", .like, SQLBind(townPrefix + "%"))
        if let concerning = actionsConcerning(subjects) { q = q.where(SQLIdentifier("id"), .in, concerning) }
        guard let row = try await q.first(), let from = try row.decode(column: "first_day", as: String?.self),
              let through = try row.decode(column: "last_day", as: String?.self) else { return nil }
        return (from, through)
    }
}

import Foundation
import Plot
import SQLKit
import SafeGridCore
import Vapor

/// `/api/v1/enforcement`: 综合执法 (joint enforcement). Joint teams drawn from
/// several departments record actions at subjects — inspection actions, closures ordered,
/// illegal buildings demolished (m²), land freed (亩) — and the dashboard shows the campaign's
/// figures as the article gives them (shared/seed/guali-campaign-article.txt: 累计开展行动3012次，
/// 占全区总量的46.8%以上 … 关停企业77家，拆除593家企业的违法建筑8万多平方米，腾出产业发展空间100余亩).
///
/// Jurisdiction: figures and lists count only actions concerning a subject inside the reader's
/// area (and name only those subjects); an area outside it is 404 like an unknown one. Writers
/// record actions only at subjects they can see, of the team's town; admins make teams of their town.
enum EnforcementController {
    // MARK: Figures

    /// The figures of a town (or of the slice of its actions concerning a village, grid or
    /// micro-grid), or of the district.
    struct FiguresDTO: Content {
        /// The area asked for.
        let areaCode: String
        /// The town the figures are of; `nil` for the district.
        let townCode: String?
        /// Actions (次), every kind; for the district also the tallied ones of towns that report only counts.
        let actions: Int
        /// Recorded actions per ``EnforcementAction/Kind`` raw value, every kind present.
        let actionsByKind: [String: Int]
        /// The district's actions (全区总量): every town's records plus the tallies.
        let districtActions: Int
        /// Share of the district total in percent, one decimal, half up (46.8).
        let sharePercent: Double
        /// `"46.8%"`, as the article writes it.
        let shareText: String
        /// Distinct subjects with a closure ordered (家).
        let enterprisesClosed: Int
        /// Distinct subjects with illegal buildings demolished (家).
        let enterprisesWithDemolitions: Int
        /// m² demolished.
        let squareMetresDemolished: Double
        /// 亩 freed (1 亩 = 666.67 m²).
        let muFreed: Double
        /// First and last day of the recorded actions, `YYYY-MM-DD` Asia/Shanghai; `nil` without actions.
        let from: String?
        let through: String?

        /// - Parameters:
        ///   - parts: one town's figures, or every town's for the district (summed).
        ///   - actions: the area's actions (a town's: its records; the district's: all, tallied too).
        ///   - shareTenths: the share in tenths of a percent (``DistrictShare/tenthsOfPercent``).
        init(areaCode: String, townCode: String?, parts: [EnforcementFigures], actions: Int, districtActions: Int,
             shareTenths: Int, period: (from: String, through: String)?) {
            var byKind = Dictionary(uniqueKeysWithValues: EnforcementAction.Kind.allCases.map { ($0.rawValue, 0) })
            for f in parts { for (kind, n) in f.actionsByKind { byKind[kind.rawValue, default: 0] += n } }
            self.areaCode = areaCode
            self.townCode = townCode
            self.actions = actions
            self.actionsByKind = byKind
            self.districtActions = districtActions
            self.sharePercent = Double(shareTenths) / 10
            self.shareText = EnforcementController.percentText(tenths: shareTenths)
            self.enterprisesClosed = parts.map { $0.enterprisesClosed }.reduce(0, +)
            self.enterprisesWithDemolitions = parts.map { $0.enterprisesWithDemolitions }.reduce(0, +)
            self.squareMetresDemolished = (parts.map { $0.squareMetresDemolished }.reduce(0, +) * 100).rounded() / 100
            self.muFreed = (parts.map { $0.muFreed }.reduce(0, +) * 100).rounded() / 100
            self.from = period?.from
            self.through = period?.through
        }
    }

    /// `"46.8%"` from 468 tenths of a percent.
    static func percentText(tenths: Int) -> String { "\(tenths / 10).\(tenths % 10)%" }

    /// `GET /api/v1/enforcement?areaCode=`: a town's figures (default: the reader's home area —
    /// a town; below a town, the slice of the town's actions concerning the area's subjects; the
    /// district code: the district's own, share 100%). An area outside the jurisdiction is 404.
    static func figures(_ req: Request) async throws -> FiguresDTO {
        let asked = req.query[String.self, at: "areaCode"].flatMap { $0.isEmpty ? nil : $0 }
        let code = asked ?? req.homeAreaCode
        guard let area = try await req.queries.area(code) else {
            throw DomainError(.notFound, field: "areaCode", reason: "no area with code \(code)")
        }
        return try await report(for: area, sql: req.sql)
    }

    /// The figures of `area` (district, town, or an area below a town), unscoped: check the reader sees it first.
    static func report(for area: Area, sql: any SQLDatabase) async throws -> FiguresDTO {
        guard area.level != .district else {
            let d = try await EnforcementStore.districtFigures(districtCode: area.code, sql: sql)
            return FiguresDTO(areaCode: area.code, townCode: nil, parts: d.towns, actions: d.actions, districtActions: d.actions,
                              shareTenths: d.actions > 0 ? 1_000 : 0,
                              period: try await EnforcementStore.period(townPrefix: area.code, sql: sql))
        }
        let town = String(area.code.prefix(AreaLevel.town.codeLength))
        let within: (any SQLExpression)? = area.level == .town ? nil : CampaignQueries(sql: sql, scope: Jurisdiction(areaCode: area.code)).subjectsInScope
        let f = try await EnforcementStore.figures(townCode: town, within: within, sql: sql)
        return FiguresDTO(areaCode: area.code, townCode: town, parts: [f], actions: f.actions, districtActions: f.share.districtActions,
                          shareTenths: f.share.tenthsOfPercent,
                          period: try await EnforcementStore.period(townPrefix: town, within: within, sql: sql))
    }

    // MARK: Actions

    struct ActionDTO: Content {
        let id: UUID
        let teamId: UUID
        let townCode: String
        let kind: String
        let kindZh: String
        let kindEn: String
        /// `YYYY-MM-DD` Asia/Shanghai.
        let on: String
        /// The subjects the action concerns that the reader may see.
        let subjectIds: [UUID]
        /// m² demolished (demolition only).
        let squareMetres: Double?
        /// 亩 freed (landFreed only).
        let mu: Double?
        let note: String?

        init(_ a: EnforcementAction) {
            id = a.id
            teamId = a.teamId
            townCode = a.townCode
            kind = a.kind.rawValue
            kindZh = a.kind.zh
            kindEn = a.kind.en
            on = a.on.description
            subjectIds = a.subjectIds
            squareMetres = a.squareMetres
            mu = a.mu
            note = a.note
        }
    }

    struct ActionInput: Content {
        let teamId: String
        /// `inspection`, `closureOrdered`, `demolition` or `landFreed`.
        let kind: String
        /// The day, `YYYY-MM-DD` (Asia/Shanghai); not in the future.
        let on: String
        let subjectIds: [String]
        /// m², demolition only.
        let squareMetres: Double?
        /// 亩, landFreed only.
        let mu: Double?
        let note: String?
    }

    /// `GET /api/v1/enforcement/actions?areaCode=&page=&per=`: actions concerning a subject
    /// inside the reader's area (and inside `areaCode`), latest first, naming only those subjects.
    static func list(_ req: Request) async throws -> Page<ActionDTO> {
        let (page, per, offset) = try Input.page(req)
        let q = req.queries
        var filters: [any SQLExpression] = []
        if let inScope = q.subjectsInScope { filters.append(inScope) }
        if let code = try await Input.areaCode(req),
           let inArea = CampaignQueries(sql: req.sql, scope: Jurisdiction(areaCode: code)).subjectsInScope {
            filters.append(inArea)
        }
        let (actions, total) = try await EnforcementStore.actions(concerningAll: filters, visible: q.subjectsInScope,
                                                                  limit: per, offset: offset, sql: req.sql)
        return Page(items: actions.map(ActionDTO.init), page: page, per: per, total: total)
    }

    /// Whether the reader may use a team of `townCode`: the town lies in their area, or their
    /// area in the town.
    static func reaches(town townCode: String, _ req: Request) -> Bool {
        let scope = req.jurisdiction
        return scope.isEverything || scope.contains(townCode) || scope.areaCode.hasPrefix(townCode)
    }

    /// `POST /api/v1/enforcement/actions` (writers): one action of a team of the writer's town
    /// at subjects the writer can see (`subjectIds[i]` outside the area or town: 422 naming it).
    /// A closure ordered also closes the subjects down (关停, their open hazards closed), dated
    /// now for today's action or at the end of its day. Answers 201 with the action.
    static func record(_ req: Request) async throws -> Response {
        let input = try req.content.decode(ActionInput.self)
        let account = try req.account()
        let teamID = try Input.uuid(input.teamId, "teamId")
        let kind: EnforcementAction.Kind = try Input.enumValue(input.kind, "kind")
        // A closure ordered closes its subjects down: the same right as 关停 itself.
        if kind == .closureOrdered { try req.checkMayOrderClosure() }
        let now = req.services.now()
        let today = CalendarDate(shanghai: now)
        guard let on = try Input.calendarDate(input.on, "on") else {
            throw DomainError.invalid("on", "give the day of the action, YYYY-MM-DD")
        }
        guard on <= today else { throw DomainError.invalid("on", "the action's day \(on) is after today (\(today))") }
        var subjectIDs: [UUID] = []
        for (i, raw) in input.subjectIds.enumerated() { subjectIDs.append(try Input.uuid(raw, "subjectIds[\(i)]")) }
        let ids = subjectIDs, squareMetres = input.squareMetres, mu = input.mu, note = input.note
        let action: EnforcementAction = try await req.campaignWrite { tx in
            let sql = tx.sql, q = tx.queries
            guard let team = try await EnforcementStore.team(teamID, sql: sql), EnforcementController.reaches(town: team.townCode, req) else {
                throw DomainError.invalid("teamId", "no joint enforcement team \(teamID) of your town")
            }
            let action = try EnforcementAction(id: UUID(), teamId: teamID, townCode: team.townCode, subjectIds: ids, on: on, kind: kind,
                                               squareMetres: squareMetres, mu: mu, note: note)
            var closing: [SubjectRow] = []
            for (i, id) in ids.enumerated() {
                guard let subject = try await q.subject(id), subject.townCode == team.townCode else {
                    throw DomainError.invalid("subjectIds[\(i)]", "no subject \(id) of town \(team.townCode) in your area")
                }
                guard kind == .closureOrdered, subject.closedDownAt == nil else { continue }
                closing.append(subject)
            }
            try await EnforcementStore.insert(actions: [action], at: now, sql: sql)
            try await tx.changeAll(closing) { batch in
                for subject in closing {
                    guard var dossier = batch.dossiers[subject.id] else { continue }
                    do throws(DomainError) {
                        try dossier.closeDown(at: on == today ? now : on.endUTC, actor: "\(team.team.name) · \(account.displayName)",
                                              reason: "综合执法组责令关停 closure ordered by the joint enforcement team")
                    } catch {
                        throw error.field == "occurredAt" ? DomainError.invalid("on", error.reason) : error
                    }
                    batch.stage(subject.subject, &dossier)
                }
            }
            return action
        }
        return try Response.json(ActionDTO(action), status: .created)
    }

    // MARK: Teams

    struct MemberDTO: Content {
        let name: String
        /// ``Department`` raw value (`fireRescue` …).
        let department: String
    }

    struct TeamDTO: Content {
        let id: UUID
        let name: String
        let townCode: String
        /// The members' distinct departments, raw values.
        let departments: [String]
        let members: [MemberDTO]
        let createdAt: String

        init(_ r: EnforcementStore.TeamRecord) {
            id = r.team.id
            name = r.team.name
            townCode = r.townCode
            departments = r.team.departments.map(\.rawValue)
            members = r.team.members.map { MemberDTO(name: $0.name, department: $0.department.rawValue) }
            createdAt = Timestamp.format(r.createdAt)
        }
    }

    struct TeamInput: Content {
        let name: String
        /// At least two departments among them (a joint team).
        let members: [MemberDTO]
        /// The team's town: required of district admins; a town admin's is their own.
        let townCode: String?
    }

    /// `GET /api/v1/enforcement/teams`: the teams of the reader's town (district-wide readers:
    /// every town's, or `townCode`'s).
    static func teams(_ req: Request) async throws -> [TeamDTO] {
        let scope = req.jurisdiction
        var prefix = scope.isEverything ? BundledAreas.districtCode : String(scope.areaCode.prefix(AreaLevel.town.codeLength))
        if scope.isEverything, let town = req.query[String.self, at: "townCode"], !town.isEmpty {
            guard AreaLevel(codeLength: town.count) == .town, town.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw DomainError.invalid("townCode", "a town code has 9 digits, got '\(town)'")
            }
            prefix = town
        }
        return try await EnforcementStore.teams(townPrefix: prefix, sql: req.sql).map(TeamDTO.init)
    }

    /// `POST /api/v1/enforcement/teams` (admins): a joint team of the admin's town (a district
    /// admin names `townCode`). Members from fewer than two departments: 422 naming `members`.
    static func createTeam(_ req: Request) async throws -> Response {
        let account = try req.account()
        let input = try req.content.decode(TeamInput.self)
        var members: [TeamMember] = []
        for (i, m) in input.members.enumerated() {
            let department: Department = try Input.enumValue(m.department, "members[\(i)].department")
            members.append(TeamMember(name: m.name.trimmingCharacters(in: .whitespacesAndNewlines), department: department))
        }
        let team = try EnforcementTeam(id: UUID(), name: input.name.trimmingCharacters(in: .whitespacesAndNewlines), members: members)
        let asked = input.townCode ?? (account.jurisdiction.level == .town ? account.areaCode : nil)
        guard let townCode = asked else { throw DomainError.invalid("townCode", "a district admin names the team's town (townCode)") }
        guard let town = try await req.queries.area(townCode), town.level == .town else {
            throw DomainError.invalid("townCode", "no town \(townCode) in your area")
        }
        let now = req.services.now()
        try await req.application.writeGate.transaction(on: req.db, changesCampaign: false) { sql in
            try await EnforcementStore.insert(teams: [team], townCode: town.code, at: now, sql: sql)
        }
        return try Response.json(TeamDTO(EnforcementStore.TeamRecord(team: team, townCode: town.code, createdAt: now)), status: .created)
    }
}

import Foundation

// 综合执法 (joint enforcement): the teams drawn from several departments, the actions they take,
// and the campaign figures the dashboard shows. Source: the campaign article
// (shared/seed/guali-campaign-article.txt):
//
//   依托抽调的"大综合一体化"行政执法改革相关的8个区级部门工作人员组成的"综合执法组" … 累计开展行动
//   3012次，占全区总量的46.8%以上 … 已累计关停企业77家，拆除593家企业的违法建筑8万多平方米，腾出产业
//   发展空间100余亩。
//
// Units: area demolished in square metres (m²); land freed in 亩 (mu), 1 亩 = 10000/15 m²
// ≈ 666.67 m² (市制 unit, 15 亩 = 1 公顷); days are Asia/Shanghai calendar days (``CalendarDate``).

extension AreaCodes {
    /// Checks that `code` is a 9-digit town code.
    /// - Throws: ``DomainError`` `.invalid` on `field` otherwise.
    package static func checkTown(_ code: String, field: String) throws(DomainError) {
        guard code.count == AreaLevel.town.codeLength, code.allSatisfy(\.isASCIIDigitCharacter) else {
            throw .invalid(field, "a town code has \(AreaLevel.town.codeLength) digits, got '\(code)'")
        }
    }

    /// Whether `code` is a 14-digit grid or a 17-digit micro-grid code (what tasks are assigned by).
    public static func isGridOrMicroGrid(_ code: String) -> Bool {
        let level = AreaLevel(codeLength: code.count)
        return (level == .grid || level == .microGrid) && code.allSatisfy(\.isASCIIDigitCharacter)
    }
}

/// 亩 ↔ m².
public enum LandArea {
    /// 1 亩 = 10000/15 m² = 666.666… m² (15 亩 = 1 hectare, 市制).
    public static let squareMetresPerMu = 10_000.0 / 15.0

    /// `mu` 亩 in m² (100 亩 → 66,666.67 m²).
    public static func squareMetres(mu: Double) -> Double { mu * squareMetresPerMu }

    /// `squareMetres` m² in 亩 (80,000 m² → 120 亩).
    public static func mu(squareMetres: Double) -> Double { squareMetres / squareMetresPerMu }
}

/// 综合执法组: a joint enforcement team of staff seconded from several departments (eight in the
/// article: the departments of ``Department``).
///
/// Rule: members from at least ``minimumDepartments`` (2) different departments — a team of one
/// department is that department's own squad, not a joint team (article: "多部门执法集中到一次查").
public struct EnforcementTeam: Codable, Hashable, Sendable, Identifiable {
    /// Distinct departments a joint team needs at least.
    public static let minimumDepartments = 2

    public let id: UUID
    /// e.g. `"瓜沥镇综合执法一组"`; 1…``TextRules/subjectName`` characters.
    public let name: String
    /// The team's members, each with the department that seconded them; 2…``TextRules/teamMembers``.
    public let members: [TeamMember]

    /// The distinct departments of the members, in ``Department`` order.
    public var departments: [Department] {
        let present = Set(members.map(\.department))
        return Department.allCases.filter(present.contains)
    }

    /// - Throws: ``DomainError`` `.invalid` on `name` (blank, too long, control character),
    ///   `members` (more than ``TextRules/teamMembers``; fewer than ``minimumDepartments`` distinct
    ///   departments — the reason names the departments present) or `members[i].name` (blank,
    ///   too long, control character).
    public init(id: UUID, name: String, members: [TeamMember]) throws(DomainError) {
        if name.trimming(.whitespacesAndNewlines).isEmpty { throw .invalid("name", "an enforcement team needs a name") }
        try TextRules.check(name, "name", max: TextRules.subjectName)
        if members.count > TextRules.teamMembers {
            throw .invalid("members", "a team has at most \(TextRules.teamMembers) members, got \(members.count)")
        }
        for (i, m) in members.enumerated() {
            if m.name.trimming(.whitespacesAndNewlines).isEmpty { throw .invalid("members[\(i)].name", "a team member needs a name") }
            try TextRules.check(m.name, "members[\(i)].name", max: TextRules.personName)
        }
        let departments = Set(members.map(\.department))
        if departments.count < Self.minimumDepartments {
            let present = departments.isEmpty ? "none" : departments.map(\.rawValue).sorted().joined(separator: ", ")
            throw .invalid("members", "a joint enforcement team (综合执法组) needs members from at least \(Self.minimumDepartments) departments; present: \(present)")
        }
        self.id = id
        self.name = name
        self.members = members
    }

    private enum CodingKeys: String, CodingKey { case id, name, members }

    /// Decodes and validates as ``init(id:name:members:)`` does; a rule broken is a `DecodingError.dataCorrupted`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        do {
            try self.init(id: c.decode(UUID.self, forKey: .id), name: c.decode(String.self, forKey: .name),
                          members: c.decode([TeamMember].self, forKey: .members))
        } catch let error as DomainError {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }
}

/// One enforcement action (执法行动) of a joint team, concerning one or more subjects.
///
/// JSON shape (flat, one column each in a table):
/// `{"id": UUID, "teamId": UUID, "townCode": "330109113", "subjectIds": [UUID, …], "on": "2026-10-08",
///   "kind": "inspection" | "closureOrdered" | "demolition" | "landFreed",
///   "squareMetres": 120.5 (demolition only), "mu": 3.25 (landFreed only), "note": "…" (optional)}`
public struct EnforcementAction: Codable, Hashable, Sendable, Identifiable {
    public enum Kind: String, Codable, CodingKeyRepresentable, CaseIterable, Sendable, Hashable {
        /// 检查行动: a joint inspection action (综合查一次) at the subjects.
        case inspection
        /// 责令关停: closure ordered (the subject's dossier is closed down the same day, ``SubjectDossier/closeDown(at:actor:reason:)``).
        case closureOrdered
        /// 拆除违法建筑: illegal buildings demolished, `squareMetres` m².
        case demolition
        /// 腾出空间: land freed for industry, `mu` 亩.
        case landFreed

        public var zh: String {
            switch self {
            case .inspection: "检查行动"
            case .closureOrdered: "责令关停"
            case .demolition: "拆除违法建筑"
            case .landFreed: "腾出空间"
            }
        }

        public var en: String {
            switch self {
            case .inspection: "Inspection action"
            case .closureOrdered: "Closure ordered"
            case .demolition: "Illegal buildings demolished"
            case .landFreed: "Land freed"
            }
        }
    }

    /// Largest area one demolition action may record: 1,000,000 m² (1 km²). The article's
    /// biggest planned clearance, three whole areas, is 300,000 m² (预计…可拆除30万平方米违法建筑).
    public static let maximumSquareMetres = 1_000_000.0
    /// Largest land one action may free: 1,500 亩 (= 1 km²). The article's three areas: 近600亩.
    public static let maximumMu = 1_500.0

    public let id: UUID
    /// The ``EnforcementTeam`` that acted (the app checks it exists).
    public let teamId: UUID
    /// 9-digit town code (瓜沥镇 `330109113`).
    public let townCode: String
    /// The subjects the action concerns, at least one, no repeats.
    public let subjectIds: [UUID]
    /// The Asia/Shanghai day of the action.
    public let on: CalendarDate
    public let kind: Kind
    /// m² demolished, > 0 and ≤ ``maximumSquareMetres``; only for ``Kind/demolition``, else `nil`.
    public let squareMetres: Double?
    /// 亩 freed, > 0 and ≤ ``maximumMu``; only for ``Kind/landFreed``, else `nil`.
    public let mu: Double?
    /// Free text, at most ``TextRules/note`` characters.
    public let note: String?

    /// - Throws: ``DomainError`` `.invalid` on
    ///   - `townCode`: not 9 ASCII digits;
    ///   - `subjectIds`: empty, or a subject given twice;
    ///   - `squareMetres`: missing, not finite, ≤ 0 or above ``maximumSquareMetres`` for a
    ///     demolition; present on another kind;
    ///   - `mu`: missing, not finite, ≤ 0 or above ``maximumMu`` for land freed; present on another kind;
    ///   - `note`: too long or a control character (``TextRules``).
    public init(id: UUID, teamId: UUID, townCode: String, subjectIds: [UUID], on: CalendarDate, kind: Kind,
                squareMetres: Double? = nil, mu: Double? = nil, note: String? = nil) throws(DomainError) {
        try AreaCodes.checkTown(townCode, field: "townCode")
        if subjectIds.isEmpty { throw .invalid("subjectIds", "an enforcement action concerns at least one subject") }
        var seen = Set<UUID>()
        for (i, s) in subjectIds.enumerated() where !seen.insert(s).inserted {
            throw .invalid("subjectIds[\(i)]", "subject \(s) is given twice")
        }
        try Self.check(squareMetres, "squareMetres", unit: "m²", required: kind == .demolition,
                       maximum: Self.maximumSquareMetres, kind: kind)
        try Self.check(mu, "mu", unit: "亩", required: kind == .landFreed, maximum: Self.maximumMu, kind: kind)
        try TextRules.check(note, "note", max: TextRules.note, multiline: true)
        self.id = id
        self.teamId = teamId
        self.townCode = townCode
        self.subjectIds = subjectIds
        self.on = on
        self.kind = kind
        self.squareMetres = squareMetres
        self.mu = mu
        self.note = note
    }

    private static func check(_ value: Double?, _ field: String, unit: String, required: Bool, maximum: Double,
                              kind: Kind) throws(DomainError) {
        switch (value, required) {
        case (nil, true): throw .invalid(field, "a \(kind.rawValue) action needs its area in \(unit)")
        case (_?, false): throw .invalid(field, "only a \(field == "mu" ? "landFreed" : "demolition") action has \(field), not \(kind.rawValue)")
        case (let v?, true):
            guard v.isFinite, v > 0 else { throw .invalid(field, "\(field) must be a positive number of \(unit), got \(v)") }
            guard v <= maximum else { throw .invalid(field, "\(field) is at most \(Int(maximum)) \(unit) for one action, got \(v)") }
        case (nil, false): break
        }
    }

    private enum CodingKeys: String, CodingKey { case id, teamId, townCode, subjectIds, on, kind, squareMetres, mu, note }

    /// Decodes and validates as ``init(id:teamId:townCode:subjectIds:on:kind:squareMetres:mu:note:)``
    /// does; a rule broken is a `DecodingError.dataCorrupted` whose description names the field.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        do {
            try self.init(id: c.decode(UUID.self, forKey: .id), teamId: c.decode(UUID.self, forKey: .teamId),
                          townCode: c.decode(String.self, forKey: .townCode),
                          subjectIds: c.decode([UUID].self, forKey: .subjectIds),
                          on: c.decode(CalendarDate.self, forKey: .on), kind: c.decode(Kind.self, forKey: .kind),
                          squareMetres: c.decodeIfPresent(Double.self, forKey: .squareMetres),
                          mu: c.decodeIfPresent(Double.self, forKey: .mu), note: c.decodeIfPresent(String.self, forKey: .note))
        } catch let error as DomainError {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }
}

/// The number of enforcement actions a town took in a period that are not recorded in SafeGrid
/// one by one (a town whose subjects are kept elsewhere reports its count to the district's
/// 大平安专班). Used only for the district total (全区总量) of ``EnforcementFigures``; it counts on
/// top of the recorded ``EnforcementAction``s, so a town's tally must leave out the actions it
/// also records.
public struct EnforcementTally: Codable, Hashable, Sendable {
    /// 9-digit town code.
    public let townCode: String
    /// Actions, ≥ 0.
    public let actions: Int
    /// The period counted, Asia/Shanghai days inclusive.
    public let from: CalendarDate
    public let through: CalendarDate

    /// - Throws: ``DomainError`` `.invalid` on `townCode` (not 9 digits), `actions` (negative) or
    ///   `through` (before `from`).
    public init(townCode: String, actions: Int, from: CalendarDate, through: CalendarDate) throws(DomainError) {
        try AreaCodes.checkTown(townCode, field: "townCode")
        if actions < 0 { throw .invalid("actions", "a count of actions cannot be negative, got \(actions)") }
        if through < from { throw .invalid("through", "the period ends (\(through)) before it starts (\(from))") }
        self.townCode = townCode
        self.actions = actions
        self.from = from
        self.through = through
    }
}

/// A town's share of the district's enforcement actions (占全区总量的比例).
public struct DistrictShare: Codable, Hashable, Sendable, CustomStringConvertible {
    public let townActions: Int
    public let districtActions: Int

    /// Hundredths of a percent, rounded half up in integers (3,012 of 6,435 → 4681 = 46.81%); 0
    /// when the district has no action.
    public var basisPoints: Int {
        guard districtActions > 0 else { return 0 }
        return (townActions * 20_000 + districtActions) / (2 * districtActions)
    }

    /// Tenths of a percent, rounded half up, as the article writes it (3,012 of 6,435 → 468 = 46.8%).
    public var tenthsOfPercent: Int {
        guard districtActions > 0 else { return 0 }
        return (townActions * 2_000 + districtActions) / (2 * districtActions)
    }

    /// The exact share is at least `tenths` tenths of a percent ("46.8%以上": 3,012 ÷ 6,435 =
    /// 46.806…% ≥ 46.8% → true for 468). False when the district has no action.
    public func isAtLeast(tenthsOfPercent tenths: Int) -> Bool {
        districtActions > 0 && townActions * 1_000 >= tenths * districtActions
    }

    /// The share in percent (46.806…), for charts; publish ``basisPoints`` or ``tenthsOfPercent``.
    public var percent: Double { districtActions > 0 ? Double(townActions) * 100 / Double(districtActions) : 0 }

    /// `"46.81%"`.
    public var description: String {
        let bp = basisPoints
        let frac = bp % 100
        return "\(bp / 100).\(frac < 10 ? "0" : "")\(frac)%"
    }
}

/// A town's joint-enforcement figures for the dashboard, computed from records.
///
/// | figure | how | article (瓜沥) |
/// |---|---|---|
/// | ``actions`` | every ``EnforcementAction`` of the town, whatever its kind | 累计开展行动3012次 |
/// | ``share`` | ``actions`` ÷ the district's actions (all towns' records + ``EnforcementTally`` counts) | 占全区总量的46.8%以上 |
/// | ``enterprisesClosed`` | distinct subjects of the town's ``EnforcementAction/Kind/closureOrdered`` actions | 关停企业77家 |
/// | ``enterprisesWithDemolitions`` | distinct subjects of its ``EnforcementAction/Kind/demolition`` actions | 拆除593家企业的违法建筑 |
/// | ``squareMetresDemolished`` | Σ `squareMetres` of its demolitions, m² | 8万多平方米 |
/// | ``muFreed`` | Σ `mu` of its land-freed actions, 亩 | 腾出…空间100余亩 |
///
/// **Why every action counts.** The article counts 行动 (actions) as a whole — the team's
/// inspection sorties and the closures and demolitions it carries out alike ("将多部门执法集中到
/// 一次查，累计开展行动3012次") — and compares that count with the district's; counting only
/// inspection actions would make the share depend on how each town records its closures. (A later
/// paragraph gives the same number as 3012人次; we follow the first, which carries the share.)
/// ``actionsByKind`` keeps the breakdown.
///
/// The records given are the period's: filter actions and tallies by date before computing.
public struct EnforcementFigures: Codable, Hashable, Sendable {
    /// The town the figures are for (9 digits).
    public let townCode: String
    /// The town's actions, all kinds.
    public let actions: Int
    /// The town's actions per kind (kinds without actions are absent).
    public let actionsByKind: [EnforcementAction.Kind: Int]
    /// The town's share of the district total.
    public let share: DistrictShare
    /// Distinct subjects with a closure ordered.
    public let enterprisesClosed: Int
    /// Distinct subjects with at least one demolition.
    public let enterprisesWithDemolitions: Int
    /// m² demolished: the sum of the town's demolitions, rounded to 0.01 m².
    public let squareMetresDemolished: Double
    /// 亩 freed: the sum of the town's land-freed actions, rounded to 0.01 亩.
    public let muFreed: Double

    /// - Parameters:
    ///   - townCode: the town (9 digits); its district is the code's first 6 digits.
    ///   - actions: actions of the town and of the other towns of its district (they count in the
    ///     district total only).
    ///   - tallies: counts of actions not recorded one by one, per town of the district (district total only).
    /// - Throws: ``DomainError`` `.invalid` on `townCode` (not 9 digits), `actions[i].id` (an id
    ///   given twice), `actions[i].townCode` / `tallies[i].townCode` (a town of another district).
    public init(townCode: String, actions: [EnforcementAction], tallies: [EnforcementTally] = []) throws(DomainError) {
        try AreaCodes.checkTown(townCode, field: "townCode")
        let district = townCode.prefix(AreaLevel.district.codeLength)
        var ids = Set<UUID>()
        var byKind: [EnforcementAction.Kind: Int] = [:]
        var closed = Set<UUID>(), demolished = Set<UUID>()
        var squareMetres = 0.0, mu = 0.0
        var districtActions = 0
        for (i, a) in actions.enumerated() {
            guard ids.insert(a.id).inserted else { throw .invalid("actions[\(i)].id", "action \(a.id) is given twice") }
            guard a.townCode.hasPrefix(district) else {
                throw .invalid("actions[\(i)].townCode", "town \(a.townCode) is not in district \(district)")
            }
            districtActions += 1
            guard a.townCode == townCode else { continue }
            byKind[a.kind, default: 0] += 1
            switch a.kind {
            case .inspection: break
            case .closureOrdered: closed.formUnion(a.subjectIds)
            case .demolition:
                demolished.formUnion(a.subjectIds)
                squareMetres += a.squareMetres ?? 0
            case .landFreed: mu += a.mu ?? 0
            }
        }
        for (i, t) in tallies.enumerated() {
            guard t.townCode.hasPrefix(district) else {
                throw .invalid("tallies[\(i)].townCode", "town \(t.townCode) is not in district \(district)")
            }
            districtActions += t.actions
        }
        let own = byKind.values.reduce(0, +)
        self.townCode = townCode
        self.actions = own
        self.actionsByKind = byKind
        self.share = DistrictShare(townActions: own, districtActions: districtActions)
        self.enterprisesClosed = closed.count
        self.enterprisesWithDemolitions = demolished.count
        self.squareMetresDemolished = (squareMetres * 100).rounded() / 100
        self.muFreed = (mu * 100).rounded() / 100
    }
}

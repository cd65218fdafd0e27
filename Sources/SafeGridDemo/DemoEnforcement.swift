import Foundation
import SafeGridCore

/// The demo's joint enforcement (综合执法) in 瓜沥镇: teams and actions generated from a seed so
/// that ``EnforcementFigures`` computed from the records reproduce the article exactly:
///
/// | figure | value | article |
/// |---|---|---|
/// | actions of the town | 3,012 (``gualiActions``) | 累计开展行动3012次 |
/// | district total | 6,435 (``districtActions``): 3,012 ÷ 6,435 = 46.806% ≥ 46.8%, shown 46.8% | 占全区总量的46.8%以上 |
/// | enterprises closed | the enterprises the campaign closed down (77, ``DemoCampaign/gualiClosedDown``), one closure each, on its dossier's day | 已累计关停企业77家 |
/// | enterprises with demolitions | 593 (``gualiEnterprisesWithDemolitions``) | 拆除593家企业的违法建筑 |
/// | m² demolished | a whole number drawn in 80,500…89,500 (``squareMetresRange``) | 8万多平方米 |
/// | 亩 freed | a number of 0.01 亩 drawn in 100.50…109.50 (``muRange``) | 腾出…空间100余亩 |
///
/// **Records.** Teams: ``teamCount`` (6) teams of the town, each led by a comprehensive-law-
/// enforcement officer with four more departments (rotating, so the six cover all eight of
/// ``Department``) and sometimes a fifth member. The town's actions, in this order of
/// generation: one ``EnforcementAction/Kind/closureOrdered`` per closed enterprise; one
/// ``EnforcementAction/Kind/demolition`` at each of 593 enterprises not closed, plus a second at
/// 20–60 of them; 12–18 ``EnforcementAction/Kind/landFreed`` at enterprises closed or demolished,
/// on or after that day; the rest (3,012 minus those) ``EnforcementAction/Kind/inspection``
/// actions, each at 1–4 enterprises of one village. Every demolition falls after the enterprise's
/// first inspection (at enterprises inspected before `through`), every inspection of a closed enterprise on or before its closure, and every
/// action in `from`…`through`.
///
/// **The district's other towns.** The plain demo has subjects in 瓜沥 only, and an action needs
/// at least one subject, so the other towns' 3,423 actions are ``EnforcementTally`` counts, one
/// per town (by the town's code; the areas table has all 27 towns), split at random with
/// weights 0.6–1.4. The district total is 3,012 records + 3,423 tallied.
///
/// Randomness: ``SeededGenerator`` from `seed` XOR a constant of this type, so the enforcement
/// stream does not repeat the campaign's own.
public struct DemoEnforcement: Sendable {
    /// 瓜沥's actions (article: 累计开展行动3012次).
    public static let gualiActions = 3_012
    /// The district's actions: the largest count of which 3,012 is still at least 46.8%
    /// (3,012 ÷ 0.468 = 6,435.9): 3,012 ÷ 6,435 = 46.806%, shown 46.8% (46.81% to two decimals);
    /// 3,012 ÷ 6,436 = 46.799% would also show 46.8% but fall short of "46.8%以上".
    public static let districtActions = 6_435
    /// Enterprises with illegal buildings demolished (article: 拆除593家企业的违法建筑).
    public static let gualiEnterprisesWithDemolitions = 593
    /// Total m² demolished is drawn in this range, whole m² (article: 8万多平方米, i.e. above 80,000 m²).
    public static let squareMetresRange: ClosedRange<Int> = 80_500...89_500
    /// Total 亩 freed is drawn in this range, in 0.01 亩 (article: 100余亩, i.e. a little above 100 亩).
    public static let muRange: ClosedRange<Double> = 100.5...109.5
    /// Joint teams of the town.
    public static let teamCount = 6

    /// An enterprise of the town, as the generator needs it.
    public struct Enterprise: Sendable, Hashable {
        public let id: UUID
        /// 12-digit village code (its first 9 digits are the town's).
        public let villageCode: String
        /// Asia/Shanghai day of its first inspection, if any: no demolition before the next day.
        public let inspectedOn: CalendarDate?

        public init(id: UUID, villageCode: String, inspectedOn: CalendarDate? = nil) {
            self.id = id
            self.villageCode = villageCode
            self.inspectedOn = inspectedOn
        }
    }

    public let seed: UInt64
    /// 9-digit town code (瓜沥镇 `330109113`).
    public let townCode: String
    /// The campaign window (Asia/Shanghai days, inclusive) all actions fall in.
    public let from: CalendarDate
    public let through: CalendarDate
    /// The town's joint teams.
    public let teams: [EnforcementTeam]
    /// The town's actions, by day, then kind (``EnforcementAction/Kind`` order), then id.
    public let actions: [EnforcementAction]
    /// The other towns' counts (one per town, by code), for the district total.
    public let tallies: [EnforcementTally]

    /// The figures of the town from the generated records.
    public func figures() throws(DomainError) -> EnforcementFigures {
        try EnforcementFigures(townCode: townCode, actions: actions, tallies: tallies)
    }

    /// Generates the enforcement of a town.
    /// - Parameters:
    ///   - townName: for team names (`"瓜沥镇"` → `"瓜沥镇综合执法一组"`).
    ///   - enterprises: the town's enterprises (at least 593 not closed).
    ///   - closures: the closed enterprises (ids among `enterprises`) and the Asia/Shanghai day each closed.
    ///   - otherTownCodes: the district's other towns (9 digits, at least one).
    ///   - from, through: the campaign window; every closure day must lie in it.
    /// - Throws: ``DomainError`` `.invalid` on `townCode`, `through` (before `from`),
    ///   `enterprises` (an id twice, a village outside the town, fewer than 593 not closed and
    ///   inspected before `through`),
    ///   `closures` (an id not among the enterprises, a day outside the window, too many closures
    ///   to leave room for inspection actions) or `otherTownCodes` (empty, not 9 digits, the town itself).
    public init(seed: UInt64, townCode: String, townName: String, enterprises: [Enterprise],
                closures: [UUID: CalendarDate], otherTownCodes: [String], from: CalendarDate,
                through: CalendarDate) throws(DomainError) {
        try AreaCodes.checkTown(townCode, field: "townCode")
        if through < from { throw .invalid("through", "the window ends (\(through)) before it starts (\(from))") }
        var byId: [UUID: Enterprise] = [:]
        for (i, e) in enterprises.enumerated() {
            guard byId.updateValue(e, forKey: e.id) == nil else { throw .invalid("enterprises[\(i)].id", "enterprise \(e.id) is given twice") }
            guard e.villageCode.count == AreaLevel.village.codeLength, e.villageCode.hasPrefix(townCode) else {
                throw .invalid("enterprises[\(i)].villageCode", "village \(e.villageCode) is not a village of town \(townCode)")
            }
        }
        for (id, day) in closures.sorted(by: { $0.key.uuidString < $1.key.uuidString }) {
            guard byId[id] != nil else { throw .invalid("closures", "closed enterprise \(id) is not among the enterprises") }
            guard from <= day, day <= through else {
                throw .invalid("closures", "enterprise \(id) closed on \(day), outside \(from)…\(through)")
            }
        }
        // Demolition sites: not closed, and inspected (if at all) before the window's last day.
        let open = enterprises.filter { e in closures[e.id] == nil && (e.inspectedOn.map { $0 < through } ?? true) }
        guard open.count >= Self.gualiEnterprisesWithDemolitions else {
            throw .invalid("enterprises", "\(open.count) enterprises not closed and inspected before \(through); the demo demolishes at \(Self.gualiEnterprisesWithDemolitions)")
        }
        guard !otherTownCodes.isEmpty else { throw .invalid("otherTownCodes", "the district needs other towns for its total") }
        for (i, code) in otherTownCodes.enumerated() {
            try AreaCodes.checkTown(code, field: "otherTownCodes[\(i)]")
            if code == townCode { throw .invalid("otherTownCodes[\(i)]", "\(code) is the town itself") }
        }

        var rng = SeededGenerator(seed: seed ^ 0xE4F0_4CE0_0A11_0C57)
        let names = DemoNames()
        self.seed = seed
        self.townCode = townCode
        self.from = from
        self.through = through

        // Teams: a comprehensive-law-enforcement lead and four more departments, rotating.
        let others = Department.allCases.filter { $0 != .comprehensiveEnforcement }
        var teams: [EnforcementTeam] = []
        for k in 0..<Self.teamCount {
            var members = [TeamMember(name: names.person(&rng), department: .comprehensiveEnforcement)]
            for j in 0..<4 { members.append(TeamMember(name: names.person(&rng), department: others[(4 * k + j) % others.count])) }
            if rng.chance(0.5) { members.append(TeamMember(name: names.person(&rng), department: rng.pick(others))) }
            teams.append(try EnforcementTeam(id: rng.uuid(), name: "\(townName)综合执法\(DemoNames.numeral(k + 1))组", members: members))
        }
        self.teams = teams

        func day(_ lo: CalendarDate, _ hi: CalendarDate) -> CalendarDate {
            let a = min(max(lo, from), through), b = max(a, min(hi, through))
            return a.adding(days: rng.int(0...a.days(until: b)))
        }
        var actions: [EnforcementAction] = []
        func act(_ kind: EnforcementAction.Kind, _ subjects: [UUID], on: CalendarDate, squareMetres: Double? = nil,
                 mu: Double? = nil) throws(DomainError) {
            actions.append(try EnforcementAction(id: rng.uuid(), teamId: rng.pick(teams).id, townCode: townCode,
                                                 subjectIds: subjects, on: on, kind: kind, squareMetres: squareMetres, mu: mu))
        }

        // Closures, on each dossier's day.
        for (id, closedOn) in closures.sorted(by: { $0.key.uuidString < $1.key.uuidString }) {
            try act(.closureOrdered, [id], on: closedOn)
        }
        // Demolitions: 593 enterprises not closed, some twice; whole m² adding up to the drawn total.
        var candidates = open
        rng.shuffle(&candidates)
        var demolitionSites = Array(candidates.prefix(Self.gualiEnterprisesWithDemolitions))
        var repeats = Array(demolitionSites.indices)
        rng.shuffle(&repeats)
        demolitionSites += repeats.prefix(rng.int(20...60)).map { demolitionSites[$0] }
        let minimumSquareMetres = 5
        let totalSquareMetres = rng.int(Self.squareMetresRange)
        let squareMetres = Apportion.largestRemainder(
            total: totalSquareMetres - minimumSquareMetres * demolitionSites.count,
            weights: demolitionSites.map { _ in -log(1 - rng.unit()) + 0.2 },
            caps: demolitionSites.map { _ in totalSquareMetres })
        var lastDay: [UUID: CalendarDate] = closures
        for (e, m2) in zip(demolitionSites, squareMetres) {
            let on = day(e.inspectedOn.map { $0.adding(days: 1) } ?? from, through)
            lastDay[e.id] = max(lastDay[e.id] ?? on, on)
            try act(.demolition, [e.id], on: on, squareMetres: Double(m2 + minimumSquareMetres))
        }
        // Land freed at enterprises closed or demolished, on or after that day; 0.01 亩 units.
        var freedSites = lastDay.keys.sorted { $0.uuidString < $1.uuidString }
        rng.shuffle(&freedSites)
        freedSites = Array(freedSites.prefix(rng.int(12...18)))
        let minimumHundredths = 100
        let totalHundredths = rng.int(Int(Self.muRange.lowerBound * 100)...Int(Self.muRange.upperBound * 100))
        let hundredths = Apportion.largestRemainder(
            total: totalHundredths - minimumHundredths * freedSites.count,
            weights: freedSites.map { _ in 0.5 + rng.unit() }, caps: freedSites.map { _ in totalHundredths })
        for (id, h) in zip(freedSites, hundredths) {
            try act(.landFreed, [id], on: day(lastDay[id]!, through), mu: Double(h + minimumHundredths) / 100)
        }
        // Inspection actions: the rest, each at 1–4 enterprises of one village; a closed one is
        // inspected on or before its closure.
        let inspections = Self.gualiActions - actions.count
        guard inspections > 0 else {
            throw .invalid("closures", "\(closures.count) closures leave no room for inspection actions in \(Self.gualiActions)")
        }
        let byVillage = Dictionary(grouping: enterprises, by: \.villageCode)
        for _ in 0..<inspections {
            let village = byVillage[rng.pick(enterprises).villageCode]!
            var picked = Set<UUID>()
            var subjects: [UUID] = []
            for _ in 0..<rng.int(1...4) {
                let e = rng.pick(village)
                if picked.insert(e.id).inserted { subjects.append(e.id) }
            }
            let latest = subjects.compactMap { closures[$0] }.min() ?? through
            try act(.inspection, subjects, on: day(from, latest))
        }
        self.actions = actions.sorted {
            let ka = EnforcementAction.Kind.allCases.firstIndex(of: $0.kind)!, kb = EnforcementAction.Kind.allCases.firstIndex(of: $1.kind)!
            return ($0.on, ka, $0.id.uuidString) < ($1.on, kb, $1.id.uuidString)
        }

        // The other towns' counts.
        let codes = otherTownCodes.sorted()
        let split = Apportion.largestRemainder(total: Self.districtActions - Self.gualiActions,
                                               weights: codes.map { _ in 0.6 + 0.8 * rng.unit() },
                                               caps: codes.map { _ in Self.districtActions })
        var tallies: [EnforcementTally] = []
        for (code, n) in zip(codes, split) {
            tallies.append(try EnforcementTally(townCode: code, actions: n, from: from, through: through))
        }
        self.tallies = tallies
    }

    /// The enforcement of a demo campaign (``DemoCampaign``, the 瓜沥 campaign of the article):
    /// its enterprises (village from the micro-grid code, first inspection from the dossier), the
    /// enterprises its dossiers closed down (closure day = the dossier's `closedDownAt` in
    /// Asia/Shanghai) and the district's other towns from `baseAreas`.
    /// - Parameters:
    ///   - baseAreas: the bundled tree (``BundledAreas/load()``), for the other towns and the town's name.
    ///   - from: the window's first day; by default 72 days before the campaign's `asOf`, the
    ///     earliest visit day of ``DemoCampaign``. The window ends the day before `asOf`, the
    ///     campaign's last event day.
    ///   - seed: by default the campaign's.
    /// - Throws: as ``init(seed:townCode:townName:enterprises:closures:otherTownCodes:from:through:)``
    ///   (a campaign with fewer than 593 open enterprises, e.g. a small test campaign, is refused).
    public init(campaign: DemoCampaign, baseAreas: [Area], from: CalendarDate? = nil, seed: UInt64? = nil) throws(DomainError) {
        var enterprises: [Enterprise] = []
        var closures: [UUID: CalendarDate] = [:]
        for (subject, dossier) in zip(campaign.subjects, campaign.dossiers) where subject.kind == .enterprise {
            let first = dossier.changes.inspections.map(\.inspectedAt).min().map { CalendarDate(shanghai: $0) }
            enterprises.append(Enterprise(id: subject.id, villageCode: String(subject.microGridCode.prefix(AreaLevel.village.codeLength)),
                                          inspectedOn: first))
            if let closed = dossier.closedDownAt { closures[subject.id] = CalendarDate(shanghai: closed) }
        }
        let towns = baseAreas.filter { $0.level == .town }
        let townName = towns.first { $0.code == campaign.townCode }?.name ?? "瓜沥镇"
        try self.init(seed: seed ?? campaign.seed, townCode: campaign.townCode, townName: townName,
                      enterprises: enterprises, closures: closures,
                      otherTownCodes: towns.map(\.code).filter { $0 != campaign.townCode },
                      from: from ?? campaign.asOf.adding(days: -72), through: campaign.asOf.adding(days: -1))
    }
}

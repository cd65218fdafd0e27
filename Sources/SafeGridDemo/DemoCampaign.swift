import Foundation
import SafeGridCore

/// The figures a demo campaign must reproduce for one subject kind.
public struct DemoKindTarget: Sendable, Hashable {
    public let kind: SubjectKind
    /// Subjects to inspect; for rental housing, rooms (间) to inspect.
    public let inspected: Int
    public let hazards: Int
    public let rectified: Int
}

/// A town's 除险保安 campaign — 瓜沥镇 as in the article, or a synthesised town of a larger demo
/// (``DemoScale``, ``DemoTownPlan``) — built from a seed through the same rules that serve real
/// inspections: every subject is a ``SubjectLedger``; every hazard comes from
/// ``SubjectDossier/inspect(checklist:inspectedAt:team:inspector:results:now:makeID:)``; every
/// rectification, rebound and closure from ``SubjectDossier/apply(_:hazard:at:actor:reason:newDueAt:expectedVersion:)``
/// and ``SubjectDossier/closeDown(at:actor:reason:)``. Only the choice of what happens is random.
/// A grid worker (网格员): a name and a mobile for the grid's overdue alerts.
public struct GridWorker: Sendable, Hashable {
    public let name: String
    public let phone: PhoneNumber
}

public struct DemoCampaign: Sendable {
    /// The article's figures (瓜沥镇, 2022). Rental-room rectification is not in the article; the
    /// demo uses 3,487 of 9,821 (35.51%).
    public static let gualiTargets: [DemoKindTarget] = [
        DemoKindTarget(kind: .enterprise, inspected: 2_928, hazards: 16_241, rectified: 5_521),
        DemoKindTarget(kind: .streetShop, inspected: 5_351, hazards: 16_180, rectified: 5_075),
        DemoKindTarget(kind: .rentalHousing, inspected: 17_120, hazards: 9_821, rectified: 3_487),
    ]
    public static let gualiGrids = BundledAreas.gualiGrids
    public static let gualiMicroGrids = BundledAreas.gualiMicroGrids
    /// 规上企业 in 瓜沥 (article: 现有规上企业319家).
    public static let gualiAboveScale = 319
    /// Enterprises closed down (article: 已累计关停企业77家).
    public static let gualiClosedDown = 77
    /// Small-micro parks (article: 瓜沥全镇共有此类点位18个).
    public static let gualiParks = 18

    public let seed: UInt64
    public let asOf: CalendarDate
    /// The town the campaign covers (9-digit code, e.g. 瓜沥镇 `330109113`).
    public let townCode: String
    /// District, towns, villages, grids and micro-grids, parents first. For the 瓜沥 campaign
    /// (``init(seed:asOf:checklist:baseAreas:targets:)``) `baseAreas` followed by the grids and
    /// micro-grids; for a town of a district-scale demo (``init(plan:asOf:checklist:baseAreas:)``)
    /// the district, the town, its villages, grids and micro-grids.
    public private(set) var areas: [Area] = []
    /// The areas this campaign adds to the bundled tree (``BundledAreas/load()``), parents first:
    /// the synthesised villages of a town that has none bundled, then its grids and micro-grids.
    /// These are the rows to insert; the district, the towns and 瓜沥's villages are reference data.
    public private(set) var newAreas: [Area] = []
    public private(set) var subjects: [Subject] = []
    /// One dossier per subject, in the order of `subjects`, holding all changes to write.
    public private(set) var dossiers: [SubjectDossier] = []
    /// One grid worker (网格员) per grid: who receives the overdue alerts of that grid.
    public private(set) var gridWorkers: [(gridCode: String, worker: GridWorker)] = []

    /// Hazards found in the campaign (all kinds): the sum of the dossiers' hazards.
    public var hazardCount: Int { dossiers.reduce(0) { $0 + $1.hazards.count } }

    /// Builds the 瓜沥 campaign of the article.
    /// - Parameters:
    ///   - asOf: the campaign's last day (Asia/Shanghai); visits fall 72 to 1 days before it and
    ///     no event falls after the day before it.
    ///   - baseAreas: the bundled tree (``BundledAreas/load()``); 瓜沥's villages are taken from it.
    ///   - targets: per-kind figures; by default the article's.
    /// - Throws: ``DomainError`` if a rule refuses a generated record (a bug in the generator).
    public init(seed: UInt64 = 20220725, asOf: CalendarDate, checklist: Checklist, baseAreas: [Area],
                targets: [DemoKindTarget] = DemoCampaign.gualiTargets) throws(DomainError) {
        let town = baseAreas.first { $0.code == BundledAreas.gualiTownCode }
            ?? Area(code: BundledAreas.gualiTownCode, name: "瓜沥镇", level: .town, parentCode: BundledAreas.districtCode)
        let shape = TownShape(town: town, shortName: "瓜沥",
                              villages: baseAreas.filter { $0.level == .village && $0.parentCode == BundledAreas.gualiTownCode },
                              villagesAreNew: false, grids: Self.gualiGrids, microGrids: Self.gualiMicroGrids,
                              aboveScale: Self.gualiAboveScale, closedDown: Self.gualiClosedDown, parks: Self.gualiParks,
                              article: true, serialSpace: nil, anchor: nil)
        try self.init(seed: seed, asOf: asOf, checklist: checklist, baseAreas: baseAreas, targets: targets, shape: shape)
    }

    /// Builds one town of a larger demo (``DemoScale``), from its plan: the 瓜沥 campaign of the
    /// article for an ``DemoTownPlan/Source/article`` plan, else a synthesised town with the plan's
    /// villages (``DemoTownPlan/villages(baseAreas:)``), grids, micro-grids and per-kind targets,
    /// through the same rules (every hazard from ``SubjectDossier/inspect(checklist:inspectedAt:team:inspector:results:now:makeID:)``).
    /// - Parameters:
    ///   - baseAreas: the bundled tree (``BundledAreas/load()``): the district, the plan's town and,
    ///     for 瓜沥, its villages.
    /// - Throws: ``DomainError`` if a rule refuses a generated record (a bug in the generator), or
    ///   `.invalid` on `townCode` if the plan's villages cannot be coded.
    public init(plan: DemoTownPlan, asOf: CalendarDate, checklist: Checklist, baseAreas: [Area]) throws(DomainError) {
        if plan.source == .article {
            try self.init(seed: plan.seed, asOf: asOf, checklist: checklist, baseAreas: baseAreas, targets: plan.targets)
            return
        }
        let town = baseAreas.first { $0.code == plan.townCode }
            ?? Area(code: plan.townCode, name: plan.townName, level: .town, parentCode: BundledAreas.districtCode)
        let bundled = baseAreas.contains { $0.level == .village && $0.parentCode == plan.townCode }
        let villages: [Area]
        do { villages = try plan.villages(baseAreas: baseAreas) } catch { throw .invalid("townCode", error) }
        let shape = TownShape(town: town, shortName: DemoScale.shortName(ofTown: plan.townName),
                              villages: villages, villagesAreNew: !bundled,
                              grids: plan.grids, microGrids: plan.microGrids, aboveScale: plan.aboveScale,
                              closedDown: plan.closedDown, parks: plan.parks, article: false,
                              serialSpace: plan.ordinal, anchor: DemoScale.anchor(ofTown: plan.townCode, name: plan.townName))
        let district = baseAreas.first { $0.level == .district }
            ?? Area(code: BundledAreas.districtCode, name: BundledAreas.districtName, level: .district, parentCode: nil)
        try self.init(seed: plan.seed, asOf: asOf, checklist: checklist,
                      baseAreas: [district, town] + (bundled ? villages : []), targets: plan.targets, shape: shape)
    }

    /// What differs between the towns of a demo: their place in the tree, their size and, for
    /// 瓜沥 as in the article, its particular records.
    struct TownShape {
        var town: Area
        /// The name used in shop and enterprise names (瓜沥).
        var shortName: String
        var villages: [Area]
        /// The villages are synthesised (to be inserted), not bundled.
        var villagesAreNew: Bool
        var grids: Int
        var microGrids: Int
        var aboveScale: Int
        var closedDown: Int
        var parks: Int
        /// 瓜沥 as in the article: its named parks and the site visit of 杭州恒增纺织有限公司.
        var article: Bool
        /// ``DemoNames/serialSpace``: `nil` for the article's random organisation serials.
        var serialSpace: Int?
        /// Where the town's villages lie; `nil` for 瓜沥's box of the article campaign.
        var anchor: DemoScale.TownAnchor?
    }

    private init(seed: UInt64, asOf: CalendarDate, checklist: Checklist, baseAreas: [Area], targets: [DemoKindTarget],
                 shape: TownShape) throws(DomainError) {
        self.seed = seed
        self.asOf = asOf
        self.townCode = shape.town.code
        var rng = SeededGenerator(seed: seed)
        var names = DemoNames()
        if !shape.article {
            names.place = shape.shortName
            names.serialSpace = shape.serialSpace
            names.streetNames = [shape.shortName] + DemoNames.commonStreetNames
        }
        let villages = shape.villages
        var areas = baseAreas
        if shape.villagesAreNew { areas += villages }
        let firstNew = areas.count - (shape.villagesAreNew ? villages.count : 0)
        let microGrids = Self.layGrids(villages: villages, grids: shape.grids, microGrids: shape.microGrids,
                                       into: &areas, rng: &rng)
        self.areas = areas
        self.newAreas = Array(areas[firstNew...])
        let villageByCode = Dictionary(uniqueKeysWithValues: villages.map { ($0.code, $0) })
        let microGridByCode = Dictionary(uniqueKeysWithValues: microGrids.map { ($0.code, $0) })
        let microGridsByVillage = Dictionary(grouping: microGrids) { String($0.code.prefix(12)) }
        self.gridWorkers = areas.filter { $0.level == .grid }.map { grid in
            (grid.code, GridWorker(name: names.person(&rng), phone: names.mobile(&rng)))
        }
        let centres = if let anchor = shape.anchor {
            Self.villageCentres(villages, around: anchor, rng: &rng)
        } else {
            Self.villageCentres(villages, rng: &rng)
        }
        let townName = shape.town.name

        func place(_ mg: Area, jitter: Double = 0.004) -> GeoPoint? {
            let c = centres[String(mg.code.prefix(12))]!
            return try? GeoPoint(latitude: c.latitude + (rng.unit() - 0.5) * jitter * 2,
                                 longitude: c.longitude + (rng.unit() - 0.5) * jitter * 2, datum: .gcj02)
        }
        func address(_ mg: Area) -> String {
            let v = villageByCode[String(mg.code.prefix(12))]!
            return "杭州市萧山区\(townName)\(v.shortName)\(names.street(&rng))\(rng.int(1...388))号"
        }
        func party() -> ResponsibleParty {
            ResponsibleParty(name: names.person(&rng), phone: names.mobile(&rng))
        }

        // Subjects.
        var subjects: [Subject] = []
        let parkVillages = shape.article ? ["民丰河村委会", "长联村委会", "大园村委会", "荣新村委会"] : []
        var parks: [Subject] = []
        var parksPerVillage: [String: Int] = [:]
        for i in 0..<shape.parks {
            let village = i < parkVillages.count ? villages.first { $0.name == parkVillages[i] }! : rng.pick(villages)
            let mg = rng.pick(microGridsByVillage[village.code]!)
            let earlier = parksPerVillage[village.code, default: 0]
            parksPerVillage[village.code] = earlier + 1
            let name = shape.article
                ? (i == 1 ? "长联村卓逸园区" : "\(village.shortName)小微园区" + (parks.contains { $0.name.hasPrefix(village.shortName) } ? "二期" : ""))
                : "\(village.shortName)小微园区" + (earlier == 0 ? "" : "\(DemoNames.numeral(earlier + 1))期")
            parks.append(Subject(id: rng.uuid(), kind: .smallMicroPark, name: name, address: address(mg), creditCode: nil,
                                 aboveScale: false, rooms: nil, parentId: nil, microGridCode: mg.code, party: party(),
                                 location: place(mg)))
        }
        subjects += parks
        let targetsByKind = Dictionary(uniqueKeysWithValues: targets.map { ($0.kind, $0) })
        var enterprises: [Subject] = []
        let enterpriseCount = targetsByKind[.enterprise]?.inspected ?? 0
        for i in 0..<enterpriseCount {
            var mg = rng.pick(microGrids)
            var parent: UUID? = nil
            var name = names.enterprise(&rng)
            if i == 0, shape.article {
                name = "杭州恒增纺织有限公司"   // the article's site visit in 民丰河村's park
                parent = parks[0].id
                mg = microGridByCode[parks[0].microGridCode]!
            } else if !parks.isEmpty, rng.chance(0.14) {        // tenant of a small-micro park
                let park = rng.pick(parks)
                parent = park.id
                mg = microGridByCode[park.microGridCode]!
            } else if enterprises.count > 50, rng.chance(0.05) {  // 厂中厂: tenant inside another plant
                let host = enterprises[rng.int(0...(enterprises.count - 1))]
                if host.parentId == nil {
                    parent = host.id
                    mg = microGridByCode[host.microGridCode]!
                }
            }
            let code = CreditCode.make(division: "330109", organizationSerial: names.organizationSerial(&rng))
            let e = Subject(id: rng.uuid(), kind: .enterprise, name: name, address: address(mg), creditCode: code,
                            aboveScale: shape.aboveScale > 0 && i % (enterpriseCount / shape.aboveScale + 1) == 1 && parent == nil,
                            rooms: nil, parentId: parent, microGridCode: mg.code,
                            party: rng.chance(0.04)
                                ? ResponsibleParty(name: names.person(&rng), phone: .landline("0571-8\(rng.int(1_000_000...9_999_999))"))
                                : party(),
                            location: place(mg))
            enterprises.append(e)
        }
        subjects += enterprises
        for _ in 0..<(targetsByKind[.streetShop]?.inspected ?? 0) {
            let mg = rng.pick(microGrids)
            subjects.append(Subject(id: rng.uuid(), kind: .streetShop, name: names.shop(&rng), address: address(mg),
                                    creditCode: rng.chance(0.6) ? CreditCode.make(registration: "9", type: "2", division: "330109", organizationSerial: names.organizationSerial(&rng)) : nil,
                                    aboveScale: false, rooms: nil, parentId: nil, microGridCode: mg.code, party: party(),
                                    location: place(mg)))
        }
        var rooms = targetsByKind[.rentalHousing]?.inspected ?? 0
        while rooms > 0 {
            let r = min(rooms, rng.int(2...9))
            rooms -= r
            let mg = rng.pick(microGrids)
            let v = villageByCode[String(mg.code.prefix(12))]!
            subjects.append(Subject(id: rng.uuid(), kind: .rentalHousing, name: "\(v.shortName)\(rng.int(1...499))号出租房",
                                    address: address(mg), creditCode: nil, aboveScale: false, rooms: r, parentId: nil,
                                    microGridCode: mg.code, party: party(), location: place(mg)))
        }
        self.subjects = subjects

        // Ledgers: one joint inspection per subject, then the follow-up.
        var dossiers = subjects.map { SubjectDossier(subjectID: $0.id, kind: $0.kind) }
        var closing = Set<Int>()
        let enterpriseIndices = subjects.indices.filter { subjects[$0].kind == .enterprise }
        var candidates = enterpriseIndices
        rng.shuffle(&candidates)
        for i in candidates.prefix(shape.closedDown) { closing.insert(i) }

        let lastEventDay = asOf.adding(days: -1)
        let now = asOf.endUTC
        for target in targets {
            let indices = subjects.indices.filter { subjects[$0].kind == target.kind }
            let items = checklist.items(for: target.kind)
            let itemWeights = items.map { $0.defaultSeverity == .extremelySevere ? 0.6 : $0.defaultSeverity == .serious ? 1.6 : 3.0 }
            // Hazards per subject: about 8% of subjects clean, the rest skewed; closed ones get ≥ 2.
            let weights = indices.map { i -> Double in
                if closing.contains(i) { return 3 }
                return rng.chance(0.08) ? 0 : -log(1 - rng.unit()) + 0.25
            }
            let perSubject = Apportion.largestRemainder(total: target.hazards, weights: weights,
                                                        caps: indices.map { _ in items.count })
            // Visit days: 1 to 72 days before asOf; subjects to be closed down are visited at least
            // 3 days before, so that their closure (always on a later day) ends by lastEventDay.
            let visitDays = indices.map { i -> CalendarDate in
                let day = asOf.adding(days: -rng.int(1...72))
                return closing.contains(i) ? min(day, asOf.adding(days: -3)) : day
            }
            let followUpBy = asOf.adding(days: -3)
            // Which hazards end rectified: chosen among subjects that stay open and were visited
            // early enough for a re-inspection.
            var slots: [(subject: Int, n: Int)] = []
            for (k, i) in indices.enumerated() where !closing.contains(i) && visitDays[k] <= followUpBy {
                for n in 0..<perSubject[k] { slots.append((i, n)) }
            }
            rng.shuffle(&slots)
            // Key of hazard n (< items.count) of subject i.
            func slotKey(_ i: Int, _ n: Int) -> Int { i * items.count + n }
            var rectify = Set<Int>()
            for s in slots.prefix(target.rectified) { rectify.insert(slotKey(s.subject, s.n)) }

            for (k, i) in indices.enumerated() {
                let inspectedAt = visitDays[k].startUTC.addingTimeInterval(Double(8 * 3600 + 1800 + rng.int(0...540) * 60))
                let found = Set(rng.weightedSample(itemWeights, count: perSubject[k]))
                var foundOrder: [Int: Int] = [:]
                for (n, idx) in found.sorted().enumerated() { foundOrder[idx] = n }
                let team = names.team(&rng)
                var results: [ItemResult] = []
                for (idx, item) in items.enumerated() {
                    if let n = foundOrder[idx] {
                        let fixed = rectify.contains(slotKey(i, n)) && item.defaultDays == 0
                        results.append(ItemResult(itemCode: item.code, outcome: .hazard, note: nil,
                                                  rectifiedOnSite: fixed))
                    } else {
                        results.append(ItemResult(itemCode: item.code, outcome: rng.chance(0.05) ? .notApplicable : .pass))
                    }
                }
                let plan = try dossiers[i].inspect(checklist: checklist, inspectedAt: inspectedAt, team: team,
                                                  inspector: team[0].name, results: results, now: now,
                                                  makeID: { rng.uuid() })
                // Follow-up, in time order per hazard.
                let daysLeft = max(1, inspectedAt.shanghaiDays(until: lastEventDay))
                func later(_ from: Date, maxDays: Int) -> Date {
                    let d = CalendarDate(shanghai: from).adding(days: rng.int(1...max(1, min(maxDays, from.shanghaiDays(until: lastEventDay)))))
                    return d.startUTC.addingTimeInterval(Double(9 * 3600 + rng.int(0...480) * 60))
                }
                if closing.contains(i) {
                    let at = later(inspectedAt, maxDays: 30)
                    try dossiers[i].closeDown(at: at, actor: "综合执法组", reason: "违法违规生产经营，依法责令关停")
                    continue
                }
                // Follow-up happens on later days only; a visit on the day before asOf has none yet.
                guard inspectedAt.shanghaiDays(until: lastEventDay) >= 1 else { continue }
                for (n, h) in plan.hazards.enumerated() where h.status.state == .open {
                    if rectify.contains(slotKey(i, n)) {
                        let at = later(inspectedAt, maxDays: 40)
                        if rng.chance(0.5) {
                            try dossiers[i].apply(.startRectification, hazard: h.id, at: at.addingTimeInterval(-3600),
                                                 actor: subjects[i].party.name, reason: "已整改，上传整改照片")
                        }
                        try dossiers[i].apply(.verifyRectified, hazard: h.id, at: at, actor: names.person(&rng),
                                             reason: "复查：整改到位")
                    } else if rng.chance(0.02), daysLeft > 3 {
                        // 隐患反弹: verified, then found again.
                        let fixed = later(inspectedAt, maxDays: daysLeft / 2)
                        try dossiers[i].apply(.verifyRectified, hazard: h.id, at: fixed, actor: names.person(&rng), reason: "复查：整改到位")
                        let again = later(fixed, maxDays: 20)
                        try dossiers[i].apply(.reportRebound, hazard: h.id, at: again, actor: names.person(&rng),
                                             reason: "巡查发现隐患再次出现", newDueAt: CalendarDate(shanghai: again).adding(days: 7).endUTC)
                        if rng.chance(0.4) {
                            try dossiers[i].apply(.startRectification, hazard: h.id, at: again.addingTimeInterval(3600),
                                                 actor: subjects[i].party.name, reason: "再次整改中")
                        }
                    } else if rng.chance(0.22) {
                        try dossiers[i].apply(.startRectification, hazard: h.id, at: later(inspectedAt, maxDays: 20),
                                             actor: subjects[i].party.name, reason: "已开始整改")
                    }
                }
            }
        }
        // The overdue job's last run of the day before asOf (23:59:59 Asia/Shanghai): open hazards
        // past their deadline are marked overdue, which raises their subject's colour.
        for i in dossiers.indices { dossiers[i].markOverdue(at: lastEventDay.endUTC) }
        self.dossiers = dossiers
    }

    /// `grids` grids over the villages (every village two, some three) and `microGrids`
    /// micro-grids over the grids (as even as the count allows); 瓜沥: 160 and 2,283 (14 or 15 a
    /// grid). Appends grids then micro-grids to `areas`; returns the micro-grids.
    /// - Precondition: `grids ≤ 3 × villages.count` (a third grid at most per village) and
    ///   `microGrids ≤ 999 × grids`.
    static func layGrids(villages: [Area], grids gridCount: Int, microGrids microGridCount: Int, into areas: inout [Area],
                         rng: inout SeededGenerator) -> [Area] {
        var gridsPerVillage = [Int](repeating: 2, count: villages.count)
        var extra = Array(villages.indices)
        rng.shuffle(&extra)
        for i in extra.prefix(max(0, gridCount - 2 * villages.count)) { gridsPerVillage[i] += 1 }
        var grids: [Area] = []
        for (v, village) in villages.enumerated() {
            for g in 1...gridsPerVillage[v] {
                grids.append(Area(code: AreaCodes.grid(villageCode: village.code, index: g),
                                  name: "\(village.shortName)第\(g)网格", level: .grid, parentCode: village.code))
            }
        }
        let perGrid = Apportion.largestRemainder(total: microGridCount, weights: grids.map { _ in 1 + rng.unit() * 0.1 },
                                                 caps: grids.map { _ in 999 })
        var micro: [Area] = []
        for (g, grid) in grids.enumerated() {
            for m in 0..<perGrid[g] {
                micro.append(Area(code: AreaCodes.microGrid(gridCode: grid.code, index: m + 1),
                                  name: "\(grid.name)\(m + 1)号微网格", level: .microGrid, parentCode: grid.code))
            }
        }
        areas += grids + micro
        return micro
    }

    /// A point (GCJ-02) for each village, spread over 瓜沥's part of the district and inside its outline.
    static func villageCentres(_ villages: [Area], rng: inout SeededGenerator) -> [String: GeoPoint] {
        var out: [String: GeoPoint] = [:]
        let side = Int(Double(villages.count).squareRoot().rounded(.up))
        for (i, v) in villages.enumerated() {
            let lat = 30.135 + (Double(i / side) + rng.unit() * 0.6) * (0.10 / Double(side))
            let lon = 120.405 + (Double(i % side) + rng.unit() * 0.6) * (0.12 / Double(side))
            // Always inside the bounds GeoPoint checks (30.1–30.3°N, 120.4–120.6°E).
            out[v.code] = try? GeoPoint(latitude: lat, longitude: lon, datum: .gcj02)
        }
        return out
    }
}

extension DemoCampaign {
    /// A point (GCJ-02) for each village of a synthesised town, spread over a box of
    /// `2 × anchor.radius` degrees around the town's rough position. Each point is drawn until
    /// it and a 5 × 5 lattice of points within ±0.0048° around it (the ±0.004° spread of the
    /// subjects plus a margin) lie inside 萧山区 (``DistrictBoundary/xiaoshan``), at most 64 times;
    /// then the anchor itself (checked the same way by the tests) is used.
    static func villageCentres(_ villages: [Area], around anchor: DemoScale.TownAnchor,
                               rng: inout SeededGenerator) -> [String: GeoPoint] {
        let boundary = DistrictBoundary.xiaoshan
        var out: [String: GeoPoint] = [:]
        for v in villages {
            var chosen = GeoPoint(unchecked: anchor.latitude, anchor.longitude, .gcj02)
            for _ in 0..<64 {
                let lat = anchor.latitude + (rng.unit() - 0.5) * 2 * anchor.radius
                let lon = anchor.longitude + (rng.unit() - 0.5) * 2 * anchor.radius * 1.15
                if Self.clearOfBorder(latitude: lat, longitude: lon, boundary: boundary) {
                    chosen = GeoPoint(unchecked: lat, lon, .gcj02)
                    break
                }
            }
            out[v.code] = chosen
        }
        return out
    }

    /// Whether a point and the 5 × 5 lattice within ±0.0048° around it lie inside the boundary.
    static func clearOfBorder(latitude: Double, longitude: Double, boundary: DistrictBoundary) -> Bool {
        for dy in -2...2 {
            for dx in -2...2 {
                let p = GeoPoint(unchecked: latitude + Double(dy) * 0.0024, longitude + Double(dx) * 0.0024, .gcj02)
                if !boundary.contains(p) { return false }
            }
        }
        return true
    }
}

extension Date {
    /// Whole Asia/Shanghai calendar days from this instant's day to `day` (negative if before).
    func shanghaiDays(until day: CalendarDate) -> Int { CalendarDate(shanghai: self).days(until: day) }
}

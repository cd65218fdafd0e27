import Foundation
import SafeGridCore

/// How much demo data `safegrid demo --scale` builds, and the plan of its towns.
///
/// - ``guali``: 瓜沥镇 as in the article (the default demo): 42,242 hazards, about 11,400 subjects.
/// - ``district``: 萧山区: 瓜沥镇 as in the article and the district's 26 other towns
///   (``BundledAreas``, NBS 2023) synthesised so that the district has 1,000,000 hazards and about
///   500,000 subjects.
/// - ``hazards(_:)``: exactly `n` hazards (1,000…2,000,000) and about `n / 2` subjects over as
///   few synthesised towns as keep each at most 40,000 hazards (more only above
///   27 × 40,000 = 1,080,000, when every town is used), 瓜沥镇 first (on its real villages, so that
///   the default dashboard has data), then the others in code order.
///
/// A demo is built one town at a time (``towns(seed:baseAreas:)`` →
/// ``DemoCampaign/init(plan:asOf:checklist:baseAreas:)``), so memory stays that of one town.
/// Everything follows from the seed and the as-of date.
public enum DemoScale: Sendable, Hashable, CustomStringConvertible {
    case guali
    case district
    /// About this many hazards in all (the plan gives exactly this many).
    case hazards(Int)

    /// Hazard counts accepted by ``hazards(_:)``.
    public static let hazardRange: ClosedRange<Int> = 1_000...2_000_000
    /// Hazards and (about) subjects of ``district``.
    public static let districtHazards = 1_000_000
    public static let districtSubjects = 500_000
    /// Most hazards in one synthesised town of ``hazards(_:)`` while the district has towns left.
    public static let townHazardLimit = 40_000
    /// Most hazards in one synthesised town of ``district`` (towns differ in size).
    public static let districtTownHazardLimit = 45_000
    /// Subjects per hazard of a synthesised town of ``hazards(_:)`` (hazards : subjects = 2 : 1).
    public static let subjectsPerHazard = 0.5

    /// Parses the value of `--scale`: `guali`, `district`, or a hazard count: digits with
    /// optional `_` or `,` between them (`250_000`, `1,000,000`), or a number with a `k`
    /// (thousand) or `m` (million) suffix (`10k`, `1.5m`); case and surrounding spaces are ignored.
    /// - Throws: ``InvalidValue`` naming the accepted forms, or the range for a count outside
    ///   1,000…2,000,000.
    public init(argument: String) throws(InvalidValue) {
        let s = argument.trimmingCharacters(in: .whitespaces).lowercased()
        switch s {
        case "guali", "瓜沥": self = .guali; return
        case "district", "xiaoshan", "萧山", "萧山区": self = .district; return
        default: break
        }
        guard let n = Self.count(s) else {
            throw InvalidValue("scale must be guali, district or a number of hazards such as 100000, 100_000, 100k or 1m; got \"\(argument)\"")
        }
        guard Self.hazardRange.contains(n) else {
            throw InvalidValue("scale \(argument) is \(n) hazards; the demo builds 1,000 to 2,000,000 hazards (or guali, district)")
        }
        self = .hazards(n)
    }

    /// `12_000`, `12,000`, `12k`, `1.5m` → the integer, or `nil`.
    private static func count(_ s: String) -> Int? {
        var body = Substring(s)
        var multiplier = 1
        if body.hasSuffix("k") { multiplier = 1_000; body = body.dropLast() }
        else if body.hasSuffix("m") { multiplier = 1_000_000; body = body.dropLast() }
        guard let first = body.first, let last = body.last, first.isASCIIDigitCharacter, last.isASCIIDigitCharacter else {
            return nil
        }
        var digits = ""
        var fraction: String?
        var previous: Character = "0"
        for c in body {
            if c.isASCIIDigitCharacter {
                if fraction != nil { fraction!.append(c) } else { digits.append(c) }
            } else if c == "_" || c == "," {
                // Only between digits, and not in a fraction.
                guard previous.isASCIIDigitCharacter, fraction == nil else { return nil }
            } else if c == ".", multiplier > 1, fraction == nil, previous.isASCIIDigitCharacter {
                fraction = ""
            } else {
                return nil
            }
            previous = c
        }
        guard digits.count <= 9, let whole = Int(digits) else { return nil }
        var n = whole * multiplier
        if let fraction {
            guard fraction.count <= 6 else { return nil }
            let scaled = Int(fraction)! * multiplier
            let denominator = Int(pow(10, Double(fraction.count)))
            guard scaled % denominator == 0 else { return nil }
            n += scaled / denominator
        }
        return n
    }

    public var description: String {
        switch self {
        case .guali: "guali"
        case .district: "district"
        case .hazards(let n): "\(n) hazards"
        }
    }

    /// The towns to build, in order; build and write them one at a time.
    ///
    /// - Parameters:
    ///   - seed: the demo's seed; 瓜沥 as in the article uses it as is (same campaign as
    ///     ``DemoCampaign/init(seed:asOf:checklist:baseAreas:targets:)``), every synthesised town a
    ///     seed derived from it and its code (``townSeed(_:townCode:)``).
    ///   - baseAreas: the bundled tree (``BundledAreas/load()``): its towns are the district's.
    /// - Returns: one plan per town; their ``DemoTownPlan/hazards`` add up to 1,000,000 for
    ///   ``district``, to `n` for ``hazards(_:)``.
    /// - Throws: ``InvalidValue`` if `baseAreas` has no 瓜沥镇 or, for a count beyond what the
    ///   district's towns can hold, too few towns.
    public func towns(seed: UInt64 = 20220725, baseAreas: [Area]) throws(InvalidValue) -> [DemoTownPlan] {
        let towns = baseAreas.filter { $0.level == .town }.sorted { $0.code < $1.code }
        guard let gualiIndex = towns.firstIndex(where: { $0.code == BundledAreas.gualiTownCode }) else {
            throw InvalidValue("the area tree has no 瓜沥镇 (\(BundledAreas.gualiTownCode))")
        }
        let article = DemoTownPlan.article(town: towns[gualiIndex], ordinal: gualiIndex, seed: seed)
        let others = towns.indices.filter { $0 != gualiIndex }
        switch self {
        case .guali:
            return [article]
        case .district:
            let hazards = Self.districtHazards - article.hazards
            let sigma = Double(Self.districtSubjects - article.estimatedSubjects) / Double(hazards)
            let weights = others.map { DemoTownPlan.sizeWeight(town: towns[$0], seed: Self.townSeed(seed, townCode: towns[$0].code)) }
            let caps = [Int](repeating: Self.districtTownHazardLimit, count: others.count)
            guard hazards <= caps.reduce(0, +) else { throw InvalidValue("too few towns for the district's hazards") }
            let sizes = Apportion.largestRemainder(total: hazards, weights: weights, caps: caps)
            return [article] + zip(others, sizes).map { i, h in
                DemoTownPlan.synthesised(town: towns[i], ordinal: i, seed: Self.townSeed(seed, townCode: towns[i].code),
                                         hazards: h, subjectsPerHazard: sigma, baseAreas: baseAreas)
            }
        case .hazards(let n):
            guard Self.hazardRange.contains(n) else {
                throw InvalidValue("the demo builds 1,000 to 2,000,000 hazards, not \(n)")
            }
            let count = min(towns.count, (n + Self.townHazardLimit - 1) / Self.townHazardLimit)
            let chosen = [gualiIndex] + others.prefix(count - 1)
            let weights = chosen.map { DemoTownPlan.sizeWeight(town: towns[$0], seed: Self.townSeed(seed, townCode: towns[$0].code)) }
            let cap = max(Self.townHazardLimit, (n + count - 1) / count)
            let sizes = Apportion.largestRemainder(total: n, weights: weights, caps: chosen.map { _ in cap })
            return zip(chosen, sizes).map { i, h in
                DemoTownPlan.synthesised(town: towns[i], ordinal: i, seed: Self.townSeed(seed, townCode: towns[i].code),
                                         hazards: h, subjectsPerHazard: Self.subjectsPerHazard, baseAreas: baseAreas)
            }
        }
    }

    /// The seed of a synthesised town: SplitMix64's first output from `seed` XOR the FNV-1a
    /// 64-bit hash of the town's code (stable across platforms and Swift versions).
    public static func townSeed(_ seed: UInt64, townCode: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in townCode.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        var g = SeededGenerator(seed: seed ^ hash)
        return g.next()
    }

    // MARK: Where and what the towns are

    /// What kind of place a town is, from its name: 街道 (urban subdistrict), 镇 (town), or a
    /// special zone (开发区, 商业城, 围垦区, 农场, 世纪城).
    enum TownKind: Sendable {
        case subdistrict, town, zone

        init(name: String) {
            self = name.hasSuffix("街道") ? .subdistrict : name.hasSuffix("镇") ? .town : .zone
        }

        /// Shares of the hazards among enterprises, street shops and rental housing. A town is
        /// close to 瓜沥 (38/38/23 in the article); a subdistrict has more shops and rooms.
        var mix: [Double] {
            switch self {
            case .subdistrict: [0.22, 0.48, 0.30]
            case .town: [0.40, 0.36, 0.24]
            case .zone: [0.45, 0.35, 0.20]
            }
        }

        /// Relative size in the district (a zone about 60% of a town).
        var size: Double { self == .zone ? 0.6 : 1 }

        /// Half the side of the box (degrees of latitude) its villages spread over.
        var radius: Double {
            switch self {
            case .subdistrict: 0.022
            case .town: 0.035
            case .zone: 0.025
            }
        }

        /// Villages and communities of a synthesised town: (count, communities among them).
        func villages(_ rng: inout SeededGenerator) -> (count: Int, communities: Int) {
            switch self {
            case .subdistrict:
                let n = rng.int(12...24)
                return (n, Int((Double(n) * (0.55 + 0.2 * rng.unit())).rounded()))
            case .town:
                let n = rng.int(16...30)
                return (n, rng.int(1...4))
            case .zone:
                let n = rng.int(6...12)
                return (n, n - rng.int(0...(n / 2)))
            }
        }
    }

    /// A town's rough position in 萧山区 (GCJ-02 degrees) and how far its villages spread.
    struct TownAnchor: Sendable, Hashable {
        let latitude: Double
        let longitude: Double
        /// Half the side of the box, in degrees of latitude (longitude × 1.15).
        let radius: Double
    }

    /// Rough centres (GCJ-02) of the towns of 萧山区, placed by hand from the map so that each and
    /// a ±0.006° box around it lie inside the bundled outline. Not a boundary: only where a
    /// synthesised town's villages are put.
    static let anchors: [String: (latitude: Double, longitude: Double)] = [
        "330109001": (30.160, 120.262), // 城厢街道
        "330109002": (30.185, 120.275), // 北干街道
        "330109003": (30.130, 120.255), // 蜀山街道
        "330109004": (30.175, 120.310), // 新塘街道
        "330109005": (30.225, 120.470), // 靖江街道
        "330109006": (30.300, 120.480), // 南阳街道
        "330109012": (30.125, 120.195), // 闻堰街道
        "330109013": (30.230, 120.290), // 宁围街道
        "330109014": (30.200, 120.345), // 新街街道
        "330109015": (30.215, 120.245), // 盈丰街道
        "330109100": (29.880, 120.130), // 楼塔镇
        "330109101": (29.955, 120.220), // 河上镇
        "330109102": (29.990, 120.185), // 戴村镇
        "330109103": (29.945, 120.305), // 浦阳镇
        "330109104": (29.975, 120.335), // 进化镇
        "330109105": (30.035, 120.275), // 临浦镇
        "330109106": (30.075, 120.220), // 义桥镇
        "330109107": (30.080, 120.305), // 所前镇
        "330109108": (30.172, 120.372), // 衙前镇
        "330109113": (30.185, 120.465), // 瓜沥镇
        "330109115": (30.215, 120.580), // 益农镇
        "330109120": (30.250, 120.530), // 党湾镇
        "330109401": (30.195, 120.300), // 萧山经济技术开发区
        "330109403": (30.165, 120.290), // 萧山商业城
        "330109501": (30.320, 120.600), // 围垦区
        "330109503": (30.195, 120.400), // 红山农场
        "330109505": (30.245, 120.255), // 萧山钱江世纪城
    ]

    /// The anchor of a town; a town not in the table sits at the district's centre (城厢).
    static func anchor(ofTown code: String, name: String) -> TownAnchor {
        let a = anchors[code] ?? anchors["330109001"]!
        return TownAnchor(latitude: a.latitude, longitude: a.longitude, radius: TownKind(name: name).radius)
    }

    /// The name people use in shop and enterprise names: 衙前 for 衙前镇, 城厢 for 城厢街道,
    /// 开发区 for 萧山经济技术开发区.
    static func shortName(ofTown name: String) -> String {
        switch name {
        case "萧山经济技术开发区": return "开发区"
        case "萧山商业城": return "商业城"
        case "萧山钱江世纪城": return "世纪城"
        case "围垦区": return "围垦"
        case "红山农场": return "红山"
        default:
            if name.hasSuffix("街道") { return String(name.dropLast(2)) }
            if name.hasSuffix("镇") { return String(name.dropLast()) }
            return name
        }
    }
}

/// One town of a demo: what ``DemoCampaign/init(plan:asOf:checklist:baseAreas:)`` builds.
///
/// Either 瓜沥 as in the article (``Source/article``: the article's figures, its 74 bundled
/// villages, 160 grids and 2,283 micro-grids, the demo's seed), or a synthesised town
/// (``Source/synthesised``): per-kind hazards split by the town's kind (镇, 街道 or zone) with
/// 瓜沥's rectification rates (± up to 15%), subjects per hazard of each kind in 瓜沥's
/// proportions scaled so that the town has `subjectsPerHazard` subjects a hazard, 瓜沥's shares of
/// above-scale (319 of 2,928), closed-down (77 of 2,928) enterprises and parks (18 to 2,928
/// enterprises), and villages, grids (≈ 2.16 a village) and micro-grids (≈ 14.3 a grid) of its own.
public struct DemoTownPlan: Sendable, Hashable {
    public enum Source: String, Sendable, Hashable {
        case article, synthesised
    }

    /// 9-digit NBS code and name of the town (330109113, 瓜沥镇).
    public let townCode: String
    public let townName: String
    public let source: Source
    /// The seed of the town's generator.
    public let seed: UInt64
    /// Per-kind subjects (rooms for rental housing), hazards and rectified hazards.
    public let targets: [DemoKindTarget]
    /// Villages and communities (村社), and how many of them are communities.
    public let villageCount: Int
    public let communityCount: Int
    public let grids: Int
    public let microGrids: Int
    /// 规上企业 aimed at (the generator marks about this many), enterprises closed down, parks.
    public let aboveScale: Int
    public let closedDown: Int
    public let parks: Int
    /// The town's position in the district's list of towns (by code, 0…26): keeps credit codes
    /// unique across towns.
    public let ordinal: Int

    /// Hazards the town will have (exactly).
    public var hazards: Int { targets.reduce(0) { $0 + $1.hazards } }

    /// Subjects the town will have, about: parks, enterprises, shops and one rental subject per
    /// 5.5 rooms (the generator draws 2 to 9 rooms a subject).
    public var estimatedSubjects: Int {
        var n = parks
        for t in targets {
            n += t.kind == .rentalHousing ? Int((Double(t.inspected) / 5.5).rounded()) : t.inspected
        }
        return n
    }

    static func article(town: Area, ordinal: Int, seed: UInt64) -> DemoTownPlan {
        DemoTownPlan(townCode: town.code, townName: town.name, source: .article, seed: seed,
                     targets: DemoCampaign.gualiTargets, villageCount: 74, communityCount: 11,
                     grids: DemoCampaign.gualiGrids, microGrids: DemoCampaign.gualiMicroGrids,
                     aboveScale: DemoCampaign.gualiAboveScale, closedDown: DemoCampaign.gualiClosedDown,
                     parks: DemoCampaign.gualiParks, ordinal: ordinal)
    }

    /// The generator of a town's shape (sizes, mix, villages), apart from its records' generator.
    private static func shapeGenerator(_ seed: UInt64) -> SeededGenerator { SeededGenerator(seed: seed ^ 0x5CA1_E0F7_0E45_D15C) }

    /// Relative size of a synthesised town among the others: its kind's size × 0.85…1.15.
    static func sizeWeight(town: Area, seed: UInt64) -> Double {
        var rng = shapeGenerator(seed)
        return DemoScale.TownKind(name: town.name).size * (0.85 + 0.3 * rng.unit())
    }

    static func synthesised(town: Area, ordinal: Int, seed: UInt64, hazards: Int, subjectsPerHazard sigma: Double,
                            baseAreas: [Area]) -> DemoTownPlan {
        var rng = shapeGenerator(seed)
        _ = rng.unit()   // the size weight
        let kind = DemoScale.TownKind(name: town.name)
        let article = DemoCampaign.gualiTargets
        let articleHazards = Double(article.reduce(0) { $0 + $1.hazards })
        let isGuali = town.code == BundledAreas.gualiTownCode
        var mix = isGuali ? article.map { Double($0.hazards) / articleHazards } : kind.mix
        for k in mix.indices { mix[k] *= 0.85 + 0.3 * rng.unit() }
        let perKind = Apportion.largestRemainder(total: hazards, weights: mix, caps: mix.map { _ in hazards })
        let rateFactor = 0.85 + 0.3 * rng.unit()
        // Subjects (rental: subjects, at 5.5 rooms each) per hazard of each kind in 瓜沥, and
        // parks per enterprise.
        let perHazard = article.map { t in
            Double(t.inspected) / Double(t.hazards) / (t.kind == .rentalHousing ? 5.5 : 1)
        }
        let parksPerEnterprise = Double(DemoCampaign.gualiParks) / Double(article[0].inspected)
        var weighted = 0.0
        for k in article.indices {
            weighted += Double(perKind[k]) * perHazard[k] * (article[k].kind == .enterprise ? 1 + parksPerEnterprise : 1)
        }
        let f = weighted > 0 ? sigma * Double(hazards) / weighted : 1
        let targets = article.indices.map { k -> DemoKindTarget in
            let t = article[k]
            let h = perKind[k]
            let units = t.kind == .rentalHousing ? perHazard[k] * 5.5 : perHazard[k]
            let inspected = h == 0 ? 0 : max(1, Int((Double(h) * units * f).rounded()))
            let rate = Double(t.rectified) / Double(t.hazards) * rateFactor
            return DemoKindTarget(kind: t.kind, inspected: inspected, hazards: h,
                                  rectified: min(Int((Double(h) * rate).rounded()), h * 9 / 10))
        }
        let enterprises = targets[0].inspected
        let share = { (n: Int) in Int((Double(enterprises) * Double(n) / Double(article[0].inspected)).rounded()) }
        let villages: (count: Int, communities: Int)
        if isGuali {
            let bundled = baseAreas.filter { $0.level == .village && $0.parentCode == town.code }
            villages = (bundled.count, bundled.filter { $0.villageKind == .community }.count)
        } else {
            villages = kind.villages(&rng)
        }
        let grids = isGuali ? DemoCampaign.gualiGrids
            : min(3 * villages.count, max(2 * villages.count,
                                          Int((Double(villages.count) * Double(DemoCampaign.gualiGrids) / 74).rounded())))
        let microGrids = isGuali ? DemoCampaign.gualiMicroGrids
            : Int((Double(grids) * Double(DemoCampaign.gualiMicroGrids) / Double(DemoCampaign.gualiGrids)).rounded())
        return DemoTownPlan(townCode: town.code, townName: town.name, source: .synthesised, seed: seed, targets: targets,
                            villageCount: villages.count, communityCount: villages.communities, grids: grids,
                            microGrids: microGrids, aboveScale: share(DemoCampaign.gualiAboveScale),
                            closedDown: min(share(DemoCampaign.gualiClosedDown), enterprises / 4),
                            parks: enterprises == 0 ? 0 : max(1, share(DemoCampaign.gualiParks)), ordinal: ordinal)
    }

    /// First and second characters of synthesised village names (东湾, 新桥, 永丰 …).
    static let villageHeads = Array("东西南北新联永丰长盛前后金安和民兴荣华光明凤龙梅杨湖江河塘山云石桃仁义胜利友群建红朝春益共富瑞祥")
    static let villageTails = Array("湾桥塘浦港埠坞山园林庄埭里湖江河溪岭坂圩阳星丰安兴华盛联新益")

    /// The town's villages and communities, coded by ``AreaCodes/villages(townCode:_:)``: the
    /// bundled ones for a town that has them (瓜沥), else `villageCount` synthesised names,
    /// unique within the town: `XX村委会` (short `XX村`) for a village, `XX社区` for a community.
    /// - Throws: ``InvalidValue`` from ``AreaCodes/villages(townCode:_:)``.
    public func villages(baseAreas: [Area]) throws(InvalidValue) -> [Area] {
        let bundled = baseAreas.filter { $0.level == .village && $0.parentCode == townCode }
        if !bundled.isEmpty { return bundled }
        var rng = SeededGenerator(seed: seed ^ 0x0F1E_2D3C_4B5A_6978)
        var stems = Set<String>()
        var list: [(name: String, shortName: String, kind: VillageKind)] = []
        while list.count < villageCount {
            let head = rng.pick(Self.villageHeads), tail = rng.pick(Self.villageTails)
            let stem = String([head, tail])
            guard head != tail, stems.insert(stem).inserted else { continue }
            list.append(list.count < communityCount ? (stem + "社区", stem + "社区", .community)
                                                    : (stem + "村委会", stem + "村", .village))
        }
        return try AreaCodes.villages(townCode: townCode, list)
    }
}

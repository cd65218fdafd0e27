import Foundation

/// The levels of the area tree: 区 → 镇/街道 → 村/社区 → 网格 → 微网格.
public enum AreaLevel: String, Codable, CaseIterable, Sendable, Hashable, Comparable {
    case district, town, village, grid, microGrid

    public var depth: Int { Self.allCases.firstIndex(of: self)! }
    public static func < (lhs: AreaLevel, rhs: AreaLevel) -> Bool { lhs.depth < rhs.depth }

    /// Number of characters of a code at this level (6, 9, 12, 14, 17).
    public var codeLength: Int {
        switch self {
        case .district: 6
        case .town: 9
        case .village: 12
        case .grid: 14
        case .microGrid: 17
        }
    }

    public var zh: String {
        switch self {
        case .district: "区"
        case .town: "镇街"
        case .village: "村社"
        case .grid: "网格"
        case .microGrid: "微网格"
        }
    }

    public var en: String {
        switch self {
        case .district: "District"
        case .town: "Town"
        case .village: "Village"
        case .grid: "Grid"
        case .microGrid: "Micro-grid"
        }
    }

    /// The level whose code has `length` characters, or `nil`.
    public init?(codeLength length: Int) {
        guard let level = Self.allCases.first(where: { $0.codeLength == length }) else { return nil }
        self = level
    }
}

/// 村 (administrative village, 村民委员会) or 社区 (urban community, 居民委员会).
public enum VillageKind: String, Codable, CaseIterable, Sendable, Hashable {
    case village, community
    public var zh: String { self == .village ? "村" : "社区" }
}

/// One node of the area tree. `code` is nested in `parentCode` (it starts with it).
///
/// Code shapes: district 6 digits (GB/T 2260, 萧山区 330109); town 9 digits (NBS statistical
/// division code, 瓜沥镇 330109113); village 12 digits (NBS form, derived by ``AreaCodes``);
/// grid = village + 2 digits; micro-grid = grid + 3 digits.
public struct Area: Codable, Hashable, Sendable {
    public let code: String
    /// The official name, exactly as the source lists it (东湖村委会).
    public let name: String
    /// The name people use (东湖村); equals `name` where the source gives none.
    public let shortName: String
    public let level: AreaLevel
    public let parentCode: String?
    /// Only for `.village`.
    public let villageKind: VillageKind?

    public init(code: String, name: String, shortName: String? = nil, level: AreaLevel, parentCode: String?,
                villageKind: VillageKind? = nil) {
        self.code = code
        self.name = name
        self.shortName = shortName ?? name
        self.level = level
        self.parentCode = parentCode
        self.villageKind = villageKind
    }
}

/// Rules for the codes of the area tree.
public enum AreaCodes {
    /// Derives the 12-digit codes of a town's villages and communities.
    ///
    /// Rule (stable, documented): the NBS urban-rural division code gives a 居民委员会 a 3-digit
    /// suffix in 001–199 and a 村民委员会 one in 200–399 (统计用区划代码编制规则). The official
    /// suffixes are not available offline, so SafeGrid numbers communities from 001 and villages
    /// from 201, each in ascending Unicode scalar order of the exact name. The same names always
    /// give the same codes, whatever order the source file lists them in.
    ///
    /// - Parameter villages: exact names and kinds; names must be unique.
    /// - Returns: areas in code order.
    /// - Throws: ``InvalidValue`` for a town code that is not 9 digits, a duplicate name, or more
    ///   than 199 of one kind.
    public static func villages(townCode: String, _ villages: [(name: String, shortName: String, kind: VillageKind)]) throws(InvalidValue) -> [Area] {
        guard townCode.count == 9, townCode.allSatisfy(\.isASCIIDigitCharacter) else {
            throw InvalidValue("town code must be 9 digits, got \(townCode)")
        }
        var seen = Set<String>()
        for v in villages where !seen.insert(v.name).inserted {
            throw InvalidValue("village name \(v.name) appears twice")
        }
        func ordered(_ kind: VillageKind) -> [(name: String, shortName: String, kind: VillageKind)] {
            villages.filter { $0.kind == kind }
                .sorted { $0.name.unicodeScalars.lexicographicallyPrecedes($1.name.unicodeScalars) }
        }
        var result: [Area] = []
        for (kind, first) in [(VillageKind.community, 1), (.village, 201)] {
            let names = ordered(kind)
            guard names.count <= 199 else { throw InvalidValue("more than 199 \(kind.rawValue)s in \(townCode)") }
            for (i, v) in names.enumerated() {
                result.append(Area(code: townCode + pad(first + i, 3), name: v.name, shortName: v.shortName, level: .village,
                                   parentCode: townCode, villageKind: kind))
            }
        }
        return result
    }

    /// The code of the `index`-th (1-based, ≤ 99) grid of a village: village code + 2 digits.
    public static func grid(villageCode: String, index: Int) -> String { villageCode + pad(index, 2) }

    /// The code of the `index`-th (1-based, ≤ 999) micro-grid of a grid: grid code + 3 digits.
    public static func microGrid(gridCode: String, index: Int) -> String { gridCode + pad(index, 3) }

    /// The codes of `code` and all its ancestors, from the district down: for a micro-grid
    /// `["330109", "330109113", "330109113001", "33010911300101", "33010911300101001"]`.
    public static func lineage(of code: String) -> [String] {
        AreaLevel.allCases.map(\.codeLength).filter { $0 <= code.count }.map { String(code.prefix($0)) }
    }

    static func pad(_ n: Int, _ width: Int) -> String {
        let s = String(n)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }
}

extension Character {
    package var isASCIIDigitCharacter: Bool { isASCII && isNumber }
}

/// The real structure bundled with SafeGrid: 萧山区, its 27 towns (NBS 2023) and the 74
/// villages and communities of 瓜沥镇 (resources copied from `shared/data`).
public enum BundledAreas {
    public static let districtCode = "330109"
    public static let districtName = "萧山区"
    public static let gualiTownCode = "330109113"
    /// 瓜沥's grids, one grid worker each (article: 160个网格). The bundled villages carry no
    /// grids; a town draws its own.
    public static let gualiGrids = 160
    /// 瓜沥's micro-grids, one micro-grid worker each (article: 2283个微网格).
    public static let gualiMicroGrids = 2_283

    /// District, towns and 瓜沥's villages, parents before children.
    /// - Throws: ``InvalidValue`` if a bundled file is missing or malformed.
    public static func load() throws(InvalidValue) -> [Area] {
        var areas = [Area(code: districtCode, name: districtName, level: .district, parentCode: nil)]
        for row in try rows("xiaoshan-towns-nbs2023", columns: ["code", "name"]) {
            let code = row["code"]!
            guard code.count == 9, code.hasPrefix(districtCode) else {
                throw InvalidValue("town code \(code) is not a 9-digit code under \(districtCode)")
            }
            areas.append(Area(code: code, name: row["name"]!, level: .town, parentCode: districtCode))
        }
        var villages: [(name: String, shortName: String, kind: VillageKind)] = []
        for row in try rows("guali-villages", columns: ["name", "short_name", "kind"]) {
            let kind: VillageKind
            switch row["kind"]! {
            case "村": kind = .village
            case "社区": kind = .community
            case let other: throw InvalidValue("unknown village kind \(other)")
            }
            let short = row["short_name"]!
            villages.append((row["name"]!, short.isEmpty ? row["name"]! : short, kind))
        }
        areas += try AreaCodes.villages(townCode: gualiTownCode, villages)
        return areas
    }

    /// Reads a bundled CSV file. These files are ours, comma-separated, without quoting; a
    /// ledger from outside goes through the import path instead.
    static func rows(_ resource: String, columns: [String]) throws(InvalidValue) -> [[String: String]] {
        guard let url = Bundle.module.url(forResource: resource, withExtension: "csv", subdirectory: "Resources")
                ?? Bundle.module.url(forResource: resource, withExtension: "csv"),
              let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw InvalidValue("bundled resource \(resource).csv is missing")
        }
        var lines = text.split(whereSeparator: \.isNewline).map(String.init)
        guard !lines.isEmpty else { throw InvalidValue("\(resource).csv is empty") }
        let header = lines.removeFirst().split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        for c in columns where !header.contains(c) {
            throw InvalidValue("\(resource).csv has no column \(c)")
        }
        return try lines.enumerated().map { (i, line) throws(InvalidValue) in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == header.count else {
                throw InvalidValue("\(resource).csv line \(i + 2) has \(fields.count) fields, expected \(header.count)")
            }
            return Dictionary(uniqueKeysWithValues: zip(header, fields))
        }
    }
}

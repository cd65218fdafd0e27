import Foundation
import Testing
@testable import SafeGridCore

@Suite struct AreaTreeTests {
    /// Village suffix → exact name, worked out independently (Python: sorted by code point, communities
    /// from 001, villages from 201) from Resources/guali-villages.csv.
    private let expectedSuffixes: [String: String] = [
        "001": "下街社区", "002": "东灵社区", "003": "南大房社区", "004": "城中社区", "005": "塘上社区", "006": "塘头社区", "007": "振兴社区",
        "008": "新凉亭社区", "009": "碧苑新村社区", "010": "航坞社区", "011": "芭蕉砚社区", "201": "万安村委会", "202": "三岔路村委会",
        "203": "三盈村委会", "204": "世安桥村委会", "205": "东恩村委会", "206": "东方村委会", "207": "东湖村委会", "208": "东社村委会",
        "209": "中沙村委会", "210": "众安村委会", "211": "低田畈村委会", "212": "信源村委会", "213": "党山村委会", "214": "八大村委会",
        "215": "八里桥村委会", "216": "兴围村委会", "217": "凤升村委会", "218": "前兴村委会", "219": "勇建村委会", "220": "单木桥村委会",
        "221": "友谊村委会", "222": "国庆村委会", "223": "大义村委会", "224": "大园村委会", "225": "大池娄村委会", "226": "如松村委会",
        "227": "孙家弄村委会", "228": "官一村委会", "229": "山三村委会", "230": "山北村委会", "231": "工农村委会", "232": "建盈村委会",
        "233": "开源村委会", "234": "张潭村委会", "235": "张神殿村委会", "236": "新港村委会", "237": "明朗村委会", "238": "梅仙村委会",
        "239": "梅林村委会", "240": "横埂头村委会", "241": "民丰河村委会", "242": "永福村委会", "243": "永联村委会", "244": "沙田头村委会",
        "245": "沿塘村委会", "246": "渔庄村委会", "247": "渭水桥村委会", "248": "甘露亭村委会", "249": "群力村委会", "250": "群益村委会",
        "251": "群联村委会", "252": "群谊村委会", "253": "航民村委会", "254": "荣新村委会", "255": "解放村委会", "256": "车路湾村委会",
        "257": "运东村委会", "258": "运西村委会", "259": "进化村委会", "260": "长巷村委会", "261": "长联村委会", "262": "隆兴和村委会",
        "263": "靖一村委会"
    ]

    private func areas() throws -> [Area] { try BundledAreas.load() }

    @Test func district() throws {
        let districts = try areas().filter { $0.level == .district }
        #expect(districts.count == 1)
        #expect(districts.first?.code == "330109")
        #expect(districts.first?.name == "萧山区")
        #expect(districts.first?.parentCode == nil)
    }

    @Test func towns() throws {
        let towns = try areas().filter { $0.level == .town }
        #expect(towns.count == 27)
        #expect(Set(towns.map(\.code)).count == 27)
        for t in towns {
            #expect(t.code.count == 9, "\(t.name)")
            #expect(t.code.hasPrefix("330109"), "\(t.name)")
            #expect(t.parentCode == "330109", "\(t.name)")
            #expect(t.villageKind == nil)
        }
        #expect(towns.first { $0.code == "330109113" }?.name == "瓜沥镇")
        #expect(towns.first { $0.code == "330109001" }?.name == "城厢街道")
        #expect(towns.first { $0.code == "330109505" }?.name == "萧山钱江世纪城")
    }

    @Test func parentsComeFirst() throws {
        var seen = Set<String>()
        for a in try areas() {
            if let p = a.parentCode {
                #expect(seen.contains(p), "\(a.code) before its parent \(p)")
                #expect(a.code.hasPrefix(p), "\(a.code)")
            }
            #expect(seen.insert(a.code).inserted, "duplicate \(a.code)")
        }
        #expect(seen.count == 1 + 27 + 74)
    }

    @Test func villages() throws {
        let villages = try areas().filter { $0.level == .village }
        #expect(villages.count == 74)
        #expect(villages.filter { $0.villageKind == .village }.count == 63)
        #expect(villages.filter { $0.villageKind == .community }.count == 11)
        for v in villages {
            #expect(v.parentCode == "330109113", "\(v.name)")
            #expect(v.code.count == 12, "\(v.name)")
            #expect(v.code.allSatisfy { $0.isASCII && $0.isNumber }, "\(v.code)")
            #expect(v.code.hasPrefix("330109113"), "\(v.code)")
        }
        let communityCodes = villages.filter { $0.villageKind == .community }.map(\.code).sorted()
        #expect(communityCodes == (1...11).map { String(format: "330109113%03d", $0) })
        let villageCodes = villages.filter { $0.villageKind == .village }.map(\.code).sorted()
        #expect(villageCodes == (201...263).map { String(format: "330109113%03d", $0) })
        // Exact names and the code each gets.
        #expect(expectedSuffixes.count == 74)
        let actual = Dictionary(uniqueKeysWithValues: villages.map { (String($0.code.suffix(3)), $0.name) })
        #expect(actual == expectedSuffixes)
        #expect(villages.map(\.code) == villages.map(\.code).sorted(), "villages come in code order")
    }

    @Test func namesAndShortNames() throws {
        let villages = try areas().filter { $0.level == .village }
        let donghu = try #require(villages.first { $0.name == "东湖村委会" })
        #expect(donghu.shortName == "东湖村")
        #expect(donghu.code == "330109113207")
        #expect(donghu.villageKind == .village)
        let hangwu = try #require(villages.first { $0.name == "航坞社区" })
        #expect(hangwu.shortName == "航坞社区")
        #expect(hangwu.code == "330109113010")
        for v in villages {
            switch v.villageKind {
            case .village?:
                #expect(v.name.hasSuffix("村委会"), "\(v.name)")
                #expect(v.shortName == String(v.name.dropLast(2)), "\(v.name)")
            case .community?:
                #expect(v.name.hasSuffix("社区"), "\(v.name)")
                #expect(v.shortName == v.name)
            case nil:
                Issue.record("\(v.name) has no kind")
            }
        }
    }

    @Test func codesStableUnderInputOrder() throws {
        let villages = try areas().filter { $0.level == .village }
        let input = villages.map { (name: $0.name, shortName: $0.shortName, kind: $0.villageKind!) }
        let forward = try AreaCodes.villages(townCode: "330109113", input)
        let reversed = try AreaCodes.villages(townCode: "330109113", Array(input.reversed()))
        var shuffledInput = input
        var rng = SplitMix64(state: 7)
        shuffledInput.shuffle(using: &rng)
        let shuffled = try AreaCodes.villages(townCode: "330109113", shuffledInput)
        let map = { (areas: [Area]) in Dictionary(uniqueKeysWithValues: areas.map { ($0.name, $0.code) }) }
        #expect(map(forward) == map(reversed))
        #expect(map(forward) == map(shuffled))
        #expect(map(forward) == map(villages))
        #expect(forward == reversed)
        #expect(forward == villages)
    }

    @Test func duplicateNameThrows() {
        let input: [(name: String, shortName: String, kind: VillageKind)] = [
            ("东湖村委会", "东湖村", .village), ("航坞社区", "航坞社区", .community), ("东湖村委会", "东湖", .community),
        ]
        if let error = #expect(throws: (any Error).self, performing: { try AreaCodes.villages(townCode: "330109113", input) }) {
            #expect("\(error)".contains("东湖村委会"), "\(error)")
        }
    }

    @Test func badTownCodeThrows() {
        let input: [(name: String, shortName: String, kind: VillageKind)] = [("东湖村委会", "东湖村", .village)]
        #expect(throws: (any Error).self) { try AreaCodes.villages(townCode: "33010911", input) }
        #expect(throws: (any Error).self) { try AreaCodes.villages(townCode: "33010911x", input) }
    }

    @Test func lineage() {
        #expect(AreaCodes.lineage(of: "33010911300101001") ==
                ["330109", "330109113", "330109113001", "33010911300101", "33010911300101001"])
        #expect(AreaCodes.lineage(of: "330109113207") == ["330109", "330109113", "330109113207"])
        #expect(AreaCodes.lineage(of: "330109") == ["330109"])
    }

    @Test func gridAndMicroGridCodes() {
        #expect(AreaCodes.grid(villageCode: "330109113207", index: 3) == "33010911320703")
        #expect(AreaCodes.microGrid(gridCode: "33010911320703", index: 14) == "33010911320703014")
        #expect(AreaLevel.allCases.map(\.codeLength) == [6, 9, 12, 14, 17])
        #expect(AreaLevel(codeLength: 17) == .microGrid)
        #expect(AreaLevel(codeLength: 10) == nil)
    }
}

/// A fixed-seed generator (SplitMix64) so the shuffled order is the same on every run.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

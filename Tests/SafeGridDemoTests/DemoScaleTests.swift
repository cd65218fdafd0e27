import Foundation
import Testing
@testable import SafeGridCore
@testable import SafeGridDemo

/// Shared inputs, loaded once.
private enum Fixture {
    static let asOf = try! CalendarDate("2026-11-30")
    static let base: [Area] = try! BundledAreas.load()
    static let checklist = try! Checklist.bundledDefault()
    static let towns = base.filter { $0.level == .town }.sorted { $0.code < $1.code }

    static func build(_ plan: DemoTownPlan) throws -> DemoCampaign {
        try DemoCampaign(plan: plan, asOf: asOf, checklist: checklist, baseAreas: base)
    }

    /// A small synthesised plan for any town (the tests cannot afford 40,000 hazards a town in a
    /// debug build for every case).
    static func smallPlan(_ code: String, hazards: Int = 3_000, seed: UInt64 = 20220725) -> DemoTownPlan {
        let i = towns.firstIndex { $0.code == code }!
        return DemoTownPlan.synthesised(town: towns[i], ordinal: i, seed: DemoScale.townSeed(seed, townCode: code),
                                        hazards: hazards, subjectsPerHazard: DemoScale.subjectsPerHazard, baseAreas: base)
    }

    /// `.hazards(10_000)`: one town (瓜沥 on its bundled villages), built once.
    static let tenThousand: Result<[DemoCampaign], Error> = Result {
        try DemoScale.hazards(10_000).towns(baseAreas: base).map(build)
    }
}

/// FNV-1a 64 over text, as 16 hex digits (a fingerprint stable across platforms).
private func fnv(_ lines: [String]) -> String {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for line in lines {
        for byte in line.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        hash ^= 0x0A
        hash = hash &* 0x0000_0100_0000_01B3
    }
    let hex = String(hash, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
}

/// Every value a campaign writes that the generator chooses: areas, subjects, grid workers,
/// each ledger's colour, closure, hazards (state, severity, version, deadline) and changes.
private func fingerprint(_ c: DemoCampaign) -> String {
    var lines: [String] = []
    for a in c.areas { lines.append("A \(a.code) \(a.name) \(a.shortName) \(a.parentCode ?? "-")") }
    for s in c.subjects {
        lines.append("S \(s.id) \(s.kind.rawValue) \(s.name) \(s.address) \(s.creditCode?.value ?? "-") \(s.aboveScale) "
                     + "\(s.rooms ?? 0) \(s.parentId?.uuidString ?? "-") \(s.microGridCode) \(s.party.name) \(s.party.phone.stored) "
                     + "\(s.location.map { "\($0.latitude),\($0.longitude)" } ?? "-")")
    }
    for w in c.gridWorkers { lines.append("W \(w.gridCode) \(w.worker.name) \(w.worker.phone.stored)") }
    for l in c.dossiers {
        lines.append("L \(l.subjectID) \(l.colour?.key ?? "-") \(l.closedDownAt?.timeIntervalSince1970 ?? 0)")
        for (id, h) in l.hazards.sorted(by: { $0.key.uuidString < $1.key.uuidString }) {
            lines.append("H \(id) \(h.state.rawValue) \(h.severity.rawValue) \(h.version) \(h.dueAt.timeIntervalSince1970)")
        }
        for p in l.changes.inspections {
            lines.append("I \(p.id) \(p.inspectedAt.timeIntervalSince1970) \(p.inspector) \(p.hazards.map(\.id.uuidString).joined(separator: ","))")
        }
        for e in l.changes.events {
            lines.append("E \(e.hazardID) \(e.event.kind.rawValue) \(e.event.occurredAt.timeIntervalSince1970) \(e.event.actor)")
        }
    }
    return fnv(lines)
}

@Suite struct DemoScaleTests {
    // MARK: The argument of --scale

    @Test func parsesTheDocumentedForms() throws {
        let cases: [(String, DemoScale)] = [
            ("guali", .guali), ("GUALI", .guali), ("瓜沥", .guali), (" district ", .district), ("District", .district),
            ("xiaoshan", .district),
            ("1000", .hazards(1_000)), ("10000", .hazards(10_000)), ("10_000", .hazards(10_000)), ("10,000", .hazards(10_000)),
            ("1,000,000", .hazards(1_000_000)), ("250_000", .hazards(250_000)), ("10k", .hazards(10_000)),
            ("10K", .hazards(10_000)), ("1m", .hazards(1_000_000)), ("2M", .hazards(2_000_000)), ("1.5m", .hazards(1_500_000)),
            ("2.5k", .hazards(2_500)), ("1_000k", .hazards(1_000_000)), ("2000000", .hazards(2_000_000)),
        ]
        for (text, expected) in cases {
            #expect(try DemoScale(argument: text) == expected, "\(text)")
        }
        #expect(DemoScale.hazards(10_000).description == "10000 hazards")
        #expect(DemoScale.district.description == "district")
    }

    @Test func refusesOtherForms() {
        let bad = ["", "abc", "guali2", "0", "999", "1k1", "-5", "-10000", "+10000", "2_000_001", "2000001", "3m", "1e6", "10kk",
                   "k", "_100000", "100000_", "100__000", "10,,000", "1.5", "10.k", "1.0000001m", "1.2345k", "0x10000",
                   "99999999999999999999", "100 000"]
        for text in bad {
            if let error = #expect(throws: (any Error).self, "\"\(text)\" should be refused", performing: { try DemoScale(argument: text) }) {
                let reason = (error as? InvalidValue)?.reason ?? ""
                #expect(reason.contains("guali") && reason.contains("district"), "\(text): \(reason)")
            }
        }
        #expect((try? DemoScale(argument: "500"))?.description == nil)
        do {
            _ = try DemoScale(argument: "3m")
        } catch {
            #expect(error.reason.contains("2,000,000"), "\(error.reason)")
        }
    }

    // MARK: Plans

    @Test func districtPlan() throws {
        let plans = try DemoScale.district.towns(baseAreas: Fixture.base)
        #expect(plans.count == 27)
        #expect(Set(plans.map(\.townCode)) == Set(Fixture.towns.map(\.code)), "every town of 萧山区, once")
        let guali = try #require(plans.first)
        #expect(guali.townCode == BundledAreas.gualiTownCode)
        #expect(guali.source == .article)
        #expect(guali.seed == 20220725, "瓜沥 is the default demo's campaign")
        #expect(guali.targets == DemoCampaign.gualiTargets)
        #expect(guali.hazards == 42_242)
        #expect(plans.dropFirst().allSatisfy { $0.source == .synthesised })
        #expect(plans.reduce(0) { $0 + $1.hazards } == 1_000_000)
        let subjects = plans.reduce(0) { $0 + $1.estimatedSubjects }
        #expect(abs(Double(subjects) - 500_000) <= 5_000, "≈ 500,000 subjects")
        for p in plans.dropFirst() {
            #expect(p.hazards <= DemoScale.districtTownHazardLimit, "\(p.townName)")
            #expect(p.hazards > 15_000, "\(p.townName)")
            #expect(p.targets.first { $0.kind == .enterprise }!.inspected > 0)
            #expect(p.parks > 0)
            #expect(p.closedDown > 0)
            #expect(p.aboveScale > 0)
            #expect(p.grids >= 2 * p.villageCount)
            #expect(p.grids <= 3 * p.villageCount)
            #expect(p.microGrids >= p.grids)
            for t in p.targets {
                #expect(t.rectified < t.hazards, "\(p.townName) \(t.kind)")
                let rate = Double(t.rectified) / Double(t.hazards)
                #expect((0.25...0.42).contains(rate), "\(p.townName) \(t.kind) rectified \(rate)")
            }
        }
        #expect(Set(plans.map(\.seed)).count == 27, "a seed per town")
        #expect(Set(plans.map(\.ordinal)).count == 27)
        #expect(try DemoScale.district.towns(baseAreas: Fixture.base) == plans, "the plan follows from the seed")
        let other = try DemoScale.district.towns(seed: 7, baseAreas: Fixture.base)
        #expect(other.reduce(0) { $0 + $1.hazards } == 1_000_000)
        #expect(other.map(\.seed) != plans.map(\.seed))
    }

    @Test func hazardCountPlans() throws {
        for n in [1_000, 10_000, 39_999, 40_001, 100_000, 1_000_000, 1_080_001, 2_000_000] {
            let plans = try DemoScale.hazards(n).towns(baseAreas: Fixture.base)
            let expectedTowns = min(27, (n + 39_999) / 40_000)
            #expect(plans.count == expectedTowns, "\(n)")
            #expect(plans.reduce(0) { $0 + $1.hazards } == n, "\(n)")
            let subjects = Double(plans.reduce(0) { $0 + $1.estimatedSubjects })
            #expect(abs(subjects - Double(n) / 2) <= Double(n) * 0.05, "\(n): subjects ≈ n / 2")
            #expect(plans.first?.townCode == BundledAreas.gualiTownCode, "\(n): 瓜沥 first")
            #expect(plans.allSatisfy { $0.source == .synthesised }, "\(n)")
            #expect(Set(plans.map(\.townCode)).count == plans.count)
            let limit = max(DemoScale.townHazardLimit, (n + plans.count - 1) / plans.count)
            #expect(plans.allSatisfy { $0.hazards <= limit && $0.hazards > 0 }, "\(n): \(plans.map(\.hazards))")
        }
        #expect(try DemoScale.hazards(1_000).towns(baseAreas: Fixture.base).first?.hazards == 1_000)
        #expect(throws: (any Error).self) { try DemoScale.hazards(999).towns(baseAreas: Fixture.base) }
        #expect(throws: (any Error).self) { try DemoScale.hazards(100_000).towns(baseAreas: Fixture.base.filter { $0.level != .town }) }
        let guali = try DemoScale.guali.towns(seed: 42, baseAreas: Fixture.base)
        #expect(guali.map(\.source) == [.article])
        #expect(guali.first?.seed == 42)
    }

    @Test func townSeedIsStable() {
        // FNV-1a of the code, then SplitMix64: the same on every platform and Swift version.
        #expect(DemoScale.townSeed(20220725, townCode: "330109001") == DemoScale.townSeed(20220725, townCode: "330109001"))
        #expect(DemoScale.townSeed(20220725, townCode: "330109001") != DemoScale.townSeed(20220725, townCode: "330109002"))
        #expect(DemoScale.townSeed(20220725, townCode: "330109001") != DemoScale.townSeed(20220726, townCode: "330109001"))
        #expect(DemoScale.townSeed(20220725, townCode: "330109001") == 1_321_171_659_304_648_153)
    }

    @Test func townAnchorsAndShortNames() {
        for town in Fixture.towns {
            let a = DemoScale.anchor(ofTown: town.code, name: town.name)
            #expect(DemoScale.anchors[town.code] != nil, "\(town.name)")
            #expect(DemoCampaign.clearOfBorder(latitude: a.latitude, longitude: a.longitude, boundary: .xiaoshan), "\(town.name) anchor lies well inside 萧山区")
            let short = DemoScale.shortName(ofTown: town.name)
            #expect(!short.isEmpty)
            #expect(short.count < town.name.count + 1)
        }
        #expect(DemoScale.shortName(ofTown: "衙前镇") == "衙前")
        #expect(DemoScale.shortName(ofTown: "城厢街道") == "城厢")
        #expect(DemoScale.shortName(ofTown: "萧山经济技术开发区") == "开发区")
        #expect(DemoScale.shortName(ofTown: "红山农场") == "红山")
    }

    @Test func numerals() {
        let expected = [1: "一", 2: "二", 9: "九", 10: "十", 12: "十二", 20: "二十", 21: "二十一", 100: "一百", 105: "一百零五",
                        110: "一百一十", 1_001: "一千零一", 2_030: "二千零三十"]
        for (n, text) in expected { #expect(DemoNames.numeral(n) == text, "\(n)") }
    }

    // MARK: Built towns

    /// 瓜沥 as in the article, built through the `.guali` plan, is the campaign
    /// `DemoCampaign(asOf:checklist:baseAreas:)` has always built. The fingerprint was taken when
    /// the scale work began; the SHA-256 of every record was compared with the build of the code
    /// before it and found equal.
    @Test func gualiThroughThePlanIsTheArticleCampaign() throws {
        let plan = try #require(DemoScale.guali.towns(baseAreas: Fixture.base).first)
        let c = try Fixture.build(plan)
        #expect(c.townCode == BundledAreas.gualiTownCode)
        #expect(c.hazardCount == 42_242)
        #expect(c.newAreas.count == 160 + 2_283, "瓜沥's villages are reference data")
        #expect(c.newAreas.allSatisfy { $0.level == .grid || $0.level == .microGrid })
        #expect(fingerprint(c) == "b5442e9e5385b6e2")
    }

    @Test func tenThousandHazards() throws {
        let towns = try Fixture.tenThousand.get()
        #expect(towns.count == 1)
        let c = try #require(towns.first)
        #expect(c.townCode == BundledAreas.gualiTownCode)
        #expect(abs(Double(c.hazardCount) - 10_000) <= 300, "within 3% of N")
        #expect(c.hazardCount == 10_000, "in fact exactly N")
        #expect(abs(Double(c.subjects.count) - 5_000) <= 500, "subjects ≈ N / 2")
        // 瓜沥's bundled villages are used, not synthesised ones.
        #expect(!(c.newAreas.contains { $0.level == .village }))
        #expect(c.areas.filter { $0.level == .village }.count == 74)
        #expect(c.newAreas.filter { $0.level == .grid }.count == 160)
        #expect(c.newAreas.filter { $0.level == .microGrid }.count == 2_283)
        let plan = try #require(DemoScale.hazards(10_000).towns(baseAreas: Fixture.base).first)
        for t in plan.targets {
            let hs = c.dossiers.filter { $0.kind == t.kind }.flatMap { $0.hazards.values }
            #expect(hs.count == t.hazards, "\(t.kind)")
            #expect(hs.filter { $0.state == .rectified }.count == t.rectified, "\(t.kind) rectified")
        }
        #expect(c.dossiers.filter(\.isClosedDown).count == plan.closedDown)
        #expect(c.subjects.filter { $0.kind == .smallMicroPark }.count == plan.parks)
        checkTown(c, townName: "瓜沥镇", shortName: "瓜沥")
    }

    /// Towns with synthesised villages, in three corners of the district, and 瓜沥: codes,
    /// names, places, and identities unique across towns.
    @Test func synthesisedTownsAcrossTheDistrict() throws {
        let codes = ["330109001", "330109100", "330109401", "330109501", BundledAreas.gualiTownCode]
        var areaCodes = Set<String>(), subjectIDs = Set<UUID>(), hazardIDs = Set<UUID>(), creditCodes = Set<String>()
        var inspectionIDs = Set<UUID>()
        for code in codes {
            let plan = Fixture.smallPlan(code)
            let c = try Fixture.build(plan)
            let town = Fixture.towns.first { $0.code == code }!
            #expect(c.hazardCount == 3_000, "\(town.name)")
            checkTown(c, townName: town.name, shortName: DemoScale.shortName(ofTown: town.name))
            let villages = c.areas.filter { $0.level == .village }
            if code != BundledAreas.gualiTownCode {
                #expect(villages.count == plan.villageCount, "\(town.name)")
                #expect(villages.filter { $0.villageKind == .community }.count == plan.communityCount, "\(town.name)")
                #expect(c.newAreas.filter { $0.level == .village } == villages, "\(town.name): villages are new rows")
                #expect(Set(villages.map(\.name)).count == villages.count, "\(town.name): names unique")
                #expect(Set(villages.map(\.shortName)).count == villages.count)
                for v in villages {
                    #expect(v.villageKind == .community ? v.name.hasSuffix("社区") && v.shortName == v.name
                                                        : v.name.hasSuffix("村委会") && v.shortName.hasSuffix("村"), "\(v.name)")
                }
                // NBS form: communities from 001, villages from 201, in Unicode order of the name.
                let communities = villages.filter { $0.villageKind == .community }
                #expect(communities.map { String($0.code.suffix(3)) } ==
                        (1...max(1, communities.count)).prefix(communities.count).map { AreaCodes.pad($0, 3) })
                #expect(communities.map(\.name) == communities.map(\.name).sorted {
                    $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars)
                })
                #expect(villages.filter { $0.villageKind == .village }.allSatisfy { Int($0.code.suffix(3))! >= 201 })
            }
            #expect(c.newAreas.filter { $0.level == .grid }.count == plan.grids)
            #expect(c.newAreas.filter { $0.level == .microGrid }.count == plan.microGrids)
            for a in c.newAreas {
                #expect(areaCodes.insert(a.code).inserted, "area code \(a.code) appears in two towns")
            }
            for s in c.subjects { #expect(subjectIDs.insert(s.id).inserted, "subject id \(s.id) twice") }
            for s in c.subjects { if let cc = s.creditCode { #expect(creditCodes.insert(cc.value).inserted, "\(cc.value)") } }
            for l in c.dossiers {
                for id in l.hazards.keys { #expect(hazardIDs.insert(id).inserted, "hazard id \(id) twice") }
                for p in l.changes.inspections { #expect(inspectionIDs.insert(p.id).inserted) }
            }
        }
        // Synthesised credit codes never equal one of the article's 瓜沥 (their serial ends with a letter).
        #expect(creditCodes.allSatisfy { $0[$0.index($0.startIndex, offsetBy: 15)].isLetter })
    }

    @Test func sameTownPlanSameTown() throws {
        let plan = Fixture.smallPlan("330109108", hazards: 2_000)
        let a = try Fixture.build(plan), b = try Fixture.build(plan)
        #expect(a.subjects == b.subjects)
        #expect(a.areas == b.areas)
        #expect(a.dossiers.map(\.subjectID) == b.dossiers.map(\.subjectID))
        #expect(a.dossiers.map { $0.hazards.keys.sorted { $0.uuidString < $1.uuidString } } ==
                b.dossiers.map { $0.hazards.keys.sorted { $0.uuidString < $1.uuidString } })
        #expect(fingerprint(a) == fingerprint(b))
        let other = try Fixture.build(Fixture.smallPlan("330109108", hazards: 2_000, seed: 1))
        #expect(other.subjects.map(\.id) != a.subjects.map(\.id))
        #expect(other.hazardCount == 2_000)
        // The plan itself follows from the seed.
        #expect(Fixture.smallPlan("330109108", hazards: 2_000) == plan)
    }

    /// `.hazards(100_000)`: three towns, built one at a time as the demo does.
    @Test func oneHundredThousandHazards() throws {
        let plans = try DemoScale.hazards(100_000).towns(baseAreas: Fixture.base)
        #expect(plans.map(\.townCode) == [BundledAreas.gualiTownCode, "330109001", "330109002"])
        var hazards = 0, subjects = 0
        var subjectIDs = Set<UUID>(), areaCodes = Set<String>(), creditCodes = Set<String>()
        for plan in plans {
            let c = try Fixture.build(plan)
            #expect(c.townCode == plan.townCode)
            #expect(c.hazardCount == plan.hazards)
            #expect(c.hazardCount <= DemoScale.townHazardLimit)
            hazards += c.hazardCount
            subjects += c.subjects.count
            for s in c.subjects {
                #expect(subjectIDs.insert(s.id).inserted)
                if let cc = s.creditCode { #expect(creditCodes.insert(cc.value).inserted, "\(cc.value)") }
            }
            for a in c.newAreas { #expect(areaCodes.insert(a.code).inserted, "\(a.code)") }
            let villages = Set(c.areas.filter { $0.level == .village }.map(\.code))
            #expect(c.subjects.allSatisfy { villages.contains(String($0.microGridCode.prefix(12))) })
            #expect(c.subjects.allSatisfy { $0.address.hasPrefix("杭州市萧山区\(plan.townName)") })
            // Spot-check the places (every 25th subject; the 10k test checks all).
            for s in stride(from: 0, to: c.subjects.count, by: 25).map({ c.subjects[$0] }) {
                #expect(DistrictBoundary.xiaoshan.contains(s.location!), "\(s.name) \(s.location!)")
            }
        }
        #expect(abs(Double(hazards) - 100_000) <= 3_000)
        #expect(abs(Double(subjects) - 50_000) <= 5_000)
    }

    // MARK: Helpers

    /// The rules every built town keeps: area codes valid for their level and nested in their
    /// parent, subjects valid (places strictly inside 萧山区), addresses and names of the town,
    /// credit codes valid and unique, ledgers following the colour rule, events before `asOf`.
    private func checkTown(_ c: DemoCampaign, townName: String, shortName: String,
                           sourceLocation: SourceLocation = #_sourceLocation) {
        let byCode = Dictionary(c.areas.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byCode.count == c.areas.count, "area codes unique", sourceLocation: sourceLocation)
        for a in c.areas {
            #expect(a.code.count == a.level.codeLength, "\(a.code)", sourceLocation: sourceLocation)
            #expect(a.code.allSatisfy { $0.isASCIIDigitCharacter }, "\(a.code)", sourceLocation: sourceLocation)
            if let p = a.parentCode {
                #expect(a.code.hasPrefix(p), "\(a.code)", sourceLocation: sourceLocation)
                #expect(byCode[p]?.level.depth == a.level.depth - 1, "parent of \(a.code)", sourceLocation: sourceLocation)
            }
        }
        #expect(Set(c.areas.filter { $0.level == .town }.map(\.code)) == [c.townCode], sourceLocation: sourceLocation)
        #expect(c.newAreas.allSatisfy { $0.code.hasPrefix(c.townCode) }, sourceLocation: sourceLocation)
        #expect(c.gridWorkers.count == c.areas.filter { $0.level == .grid }.count, sourceLocation: sourceLocation)
        var outside: [String] = []
        for s in c.subjects {
            #expect(throws: Never.self, "\(s.name)", sourceLocation: sourceLocation) { try s.validate(boundary: .xiaoshan) }
            #expect(byCode[s.microGridCode]?.level == .microGrid, "\(s.name)", sourceLocation: sourceLocation)
            #expect(s.address.hasPrefix("杭州市萧山区\(townName)"), "\(s.address)", sourceLocation: sourceLocation)
            if let p = s.location, !DistrictBoundary.xiaoshan.contains(p) { outside.append("\(s.name) \(p)") }
            if s.kind == .streetShop { #expect(s.name.hasPrefix(shortName), "\(s.name)", sourceLocation: sourceLocation) }
        }
        #expect(outside == [], "places outside 萧山区", sourceLocation: sourceLocation)
        let codes = c.subjects.compactMap(\.creditCode)
        #expect(Set(codes).count == codes.count, "credit codes unique", sourceLocation: sourceLocation)
        for code in codes { #expect((try? CreditCode(code.value)) == code, sourceLocation: sourceLocation) }
        let names = c.subjects.filter { $0.kind == .enterprise || $0.kind == .streetShop }.map(\.name)
        #expect(Set(names).count == names.count, "enterprise and shop names unique in the town", sourceLocation: sourceLocation)
        let limit = Fixture.asOf.startUTC
        for l in c.dossiers {
            if let colour = l.colour {
                #expect(colour == ColourRule.colour(closedDown: l.isClosedDown, hazards: Array(l.hazards.values)), sourceLocation: sourceLocation)
            } else {
                #expect(l.kind == .smallMicroPark, sourceLocation: sourceLocation)
            }
            for e in l.changes.events { #expect(e.event.occurredAt < limit, sourceLocation: sourceLocation) }
        }
    }
}

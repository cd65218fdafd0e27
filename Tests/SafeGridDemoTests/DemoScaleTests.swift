import Foundation
import XCTest
@testable import SafeGridCore

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
    for l in c.ledgers {
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

final class DemoScaleTests: XCTestCase {
    // MARK: The argument of --scale

    func testParsesTheDocumentedForms() throws {
        let cases: [(String, DemoScale)] = [
            ("guali", .guali), ("GUALI", .guali), ("瓜沥", .guali), (" district ", .district), ("District", .district),
            ("xiaoshan", .district),
            ("1000", .hazards(1_000)), ("10000", .hazards(10_000)), ("10_000", .hazards(10_000)), ("10,000", .hazards(10_000)),
            ("1,000,000", .hazards(1_000_000)), ("250_000", .hazards(250_000)), ("10k", .hazards(10_000)),
            ("10K", .hazards(10_000)), ("1m", .hazards(1_000_000)), ("2M", .hazards(2_000_000)), ("1.5m", .hazards(1_500_000)),
            ("2.5k", .hazards(2_500)), ("1_000k", .hazards(1_000_000)), ("2000000", .hazards(2_000_000)),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(try DemoScale(argument: text), expected, text)
        }
        XCTAssertEqual(DemoScale.hazards(10_000).description, "10000 hazards")
        XCTAssertEqual(DemoScale.district.description, "district")
    }

    func testRefusesOtherForms() {
        let bad = ["", "abc", "guali2", "0", "999", "1k1", "-5", "-10000", "+10000", "2_000_001", "2000001", "3m", "1e6", "10kk",
                   "k", "_100000", "100000_", "100__000", "10,,000", "1.5", "10.k", "1.0000001m", "1.2345k", "0x10000",
                   "99999999999999999999", "100 000"]
        for text in bad {
            XCTAssertThrowsError(try DemoScale(argument: text), "\"\(text)\" should be refused") { error in
                let reason = (error as? InvalidValue)?.reason ?? ""
                XCTAssertTrue(reason.contains("guali") && reason.contains("district"), "\(text): \(reason)")
            }
        }
        XCTAssertEqual((try? DemoScale(argument: "500"))?.description, nil)
        do {
            _ = try DemoScale(argument: "3m")
        } catch {
            XCTAssertTrue(error.reason.contains("2,000,000"), error.reason)
        }
    }

    // MARK: Plans

    func testDistrictPlan() throws {
        let plans = try DemoScale.district.towns(baseAreas: Fixture.base)
        XCTAssertEqual(plans.count, 27)
        XCTAssertEqual(Set(plans.map(\.townCode)), Set(Fixture.towns.map(\.code)), "every town of 萧山区, once")
        let guali = try XCTUnwrap(plans.first)
        XCTAssertEqual(guali.townCode, BundledAreas.gualiTownCode)
        XCTAssertEqual(guali.source, .article)
        XCTAssertEqual(guali.seed, 20220725, "瓜沥 is the default demo's campaign")
        XCTAssertEqual(guali.targets, DemoCampaign.gualiTargets)
        XCTAssertEqual(guali.hazards, 42_242)
        XCTAssertTrue(plans.dropFirst().allSatisfy { $0.source == .synthesised })
        XCTAssertEqual(plans.reduce(0) { $0 + $1.hazards }, 1_000_000)
        let subjects = plans.reduce(0) { $0 + $1.estimatedSubjects }
        XCTAssertEqual(Double(subjects), 500_000, accuracy: 5_000, "≈ 500,000 subjects")
        for p in plans.dropFirst() {
            XCTAssertLessThanOrEqual(p.hazards, DemoScale.districtTownHazardLimit, p.townName)
            XCTAssertGreaterThan(p.hazards, 15_000, p.townName)
            XCTAssertGreaterThan(p.targets.first { $0.kind == .enterprise }!.inspected, 0)
            XCTAssertGreaterThan(p.parks, 0)
            XCTAssertGreaterThan(p.closedDown, 0)
            XCTAssertGreaterThan(p.aboveScale, 0)
            XCTAssertGreaterThanOrEqual(p.grids, 2 * p.villageCount)
            XCTAssertLessThanOrEqual(p.grids, 3 * p.villageCount)
            XCTAssertGreaterThanOrEqual(p.microGrids, p.grids)
            for t in p.targets {
                XCTAssertLessThan(t.rectified, t.hazards, "\(p.townName) \(t.kind)")
                let rate = Double(t.rectified) / Double(t.hazards)
                XCTAssertTrue((0.25...0.42).contains(rate), "\(p.townName) \(t.kind) rectified \(rate)")
            }
        }
        XCTAssertEqual(Set(plans.map(\.seed)).count, 27, "a seed per town")
        XCTAssertEqual(Set(plans.map(\.ordinal)).count, 27)
        XCTAssertEqual(try DemoScale.district.towns(baseAreas: Fixture.base), plans, "the plan follows from the seed")
        let other = try DemoScale.district.towns(seed: 7, baseAreas: Fixture.base)
        XCTAssertEqual(other.reduce(0) { $0 + $1.hazards }, 1_000_000)
        XCTAssertNotEqual(other.map(\.seed), plans.map(\.seed))
    }

    func testHazardCountPlans() throws {
        for n in [1_000, 10_000, 39_999, 40_001, 100_000, 1_000_000, 1_080_001, 2_000_000] {
            let plans = try DemoScale.hazards(n).towns(baseAreas: Fixture.base)
            let expectedTowns = min(27, (n + 39_999) / 40_000)
            XCTAssertEqual(plans.count, expectedTowns, "\(n)")
            XCTAssertEqual(plans.reduce(0) { $0 + $1.hazards }, n, "\(n)")
            let subjects = Double(plans.reduce(0) { $0 + $1.estimatedSubjects })
            XCTAssertEqual(subjects, Double(n) / 2, accuracy: Double(n) * 0.05, "\(n): subjects ≈ n / 2")
            XCTAssertEqual(plans.first?.townCode, BundledAreas.gualiTownCode, "\(n): 瓜沥 first")
            XCTAssertTrue(plans.allSatisfy { $0.source == .synthesised }, "\(n)")
            XCTAssertEqual(Set(plans.map(\.townCode)).count, plans.count)
            let limit = max(DemoScale.townHazardLimit, (n + plans.count - 1) / plans.count)
            XCTAssertTrue(plans.allSatisfy { $0.hazards <= limit && $0.hazards > 0 }, "\(n): \(plans.map(\.hazards))")
        }
        XCTAssertEqual(try DemoScale.hazards(1_000).towns(baseAreas: Fixture.base).first?.hazards, 1_000)
        XCTAssertThrowsError(try DemoScale.hazards(999).towns(baseAreas: Fixture.base))
        XCTAssertThrowsError(try DemoScale.hazards(100_000).towns(baseAreas: Fixture.base.filter { $0.level != .town }))
        let guali = try DemoScale.guali.towns(seed: 42, baseAreas: Fixture.base)
        XCTAssertEqual(guali.map(\.source), [.article])
        XCTAssertEqual(guali.first?.seed, 42)
    }

    func testTownSeedIsStable() {
        // FNV-1a of the code, then SplitMix64: the same on every platform and Swift version.
        XCTAssertEqual(DemoScale.townSeed(20220725, townCode: "330109001"), DemoScale.townSeed(20220725, townCode: "330109001"))
        XCTAssertNotEqual(DemoScale.townSeed(20220725, townCode: "330109001"), DemoScale.townSeed(20220725, townCode: "330109002"))
        XCTAssertNotEqual(DemoScale.townSeed(20220725, townCode: "330109001"), DemoScale.townSeed(20220726, townCode: "330109001"))
        XCTAssertEqual(DemoScale.townSeed(20220725, townCode: "330109001"), 1_321_171_659_304_648_153)
    }

    func testTownAnchorsAndShortNames() {
        for town in Fixture.towns {
            let a = DemoScale.anchor(ofTown: town.code, name: town.name)
            XCTAssertNotNil(DemoScale.anchors[town.code], town.name)
            XCTAssertTrue(DemoCampaign.clearOfBorder(latitude: a.latitude, longitude: a.longitude, boundary: .xiaoshan),
                          "\(town.name) anchor lies well inside 萧山区")
            let short = DemoScale.shortName(ofTown: town.name)
            XCTAssertFalse(short.isEmpty)
            XCTAssertLessThan(short.count, town.name.count + 1)
        }
        XCTAssertEqual(DemoScale.shortName(ofTown: "衙前镇"), "衙前")
        XCTAssertEqual(DemoScale.shortName(ofTown: "城厢街道"), "城厢")
        XCTAssertEqual(DemoScale.shortName(ofTown: "萧山经济技术开发区"), "开发区")
        XCTAssertEqual(DemoScale.shortName(ofTown: "红山农场"), "红山")
    }

    func testNumerals() {
        let expected = [1: "一", 2: "二", 9: "九", 10: "十", 12: "十二", 20: "二十", 21: "二十一", 100: "一百", 105: "一百零五",
                        110: "一百一十", 1_001: "一千零一", 2_030: "二千零三十"]
        for (n, text) in expected { XCTAssertEqual(DemoNames.numeral(n), text, "\(n)") }
    }

    // MARK: Built towns

    /// 瓜沥 as in the article, built through the `.guali` plan, is the campaign
    /// `DemoCampaign(asOf:checklist:baseAreas:)` has always built. The fingerprint was taken when
    /// the scale work began; the SHA-256 of every record was compared with the build of the code
    /// before it and found equal.
    func testGualiThroughThePlanIsTheArticleCampaign() throws {
        let plan = try XCTUnwrap(DemoScale.guali.towns(baseAreas: Fixture.base).first)
        let c = try Fixture.build(plan)
        XCTAssertEqual(c.townCode, BundledAreas.gualiTownCode)
        XCTAssertEqual(c.hazardCount, 42_242)
        XCTAssertEqual(c.newAreas.count, 160 + 2_283, "瓜沥's villages are reference data")
        XCTAssertTrue(c.newAreas.allSatisfy { $0.level == .grid || $0.level == .microGrid })
        XCTAssertEqual(fingerprint(c), "b5442e9e5385b6e2")
    }

    func testTenThousandHazards() throws {
        let towns = try Fixture.tenThousand.get()
        XCTAssertEqual(towns.count, 1)
        let c = try XCTUnwrap(towns.first)
        XCTAssertEqual(c.townCode, BundledAreas.gualiTownCode)
        XCTAssertEqual(Double(c.hazardCount), 10_000, accuracy: 300, "within 3% of N")
        XCTAssertEqual(c.hazardCount, 10_000, "in fact exactly N")
        XCTAssertEqual(Double(c.subjects.count), 5_000, accuracy: 500, "subjects ≈ N / 2")
        // 瓜沥's bundled villages are used, not synthesised ones.
        XCTAssertFalse(c.newAreas.contains { $0.level == .village })
        XCTAssertEqual(c.areas.filter { $0.level == .village }.count, 74)
        XCTAssertEqual(c.newAreas.filter { $0.level == .grid }.count, 160)
        XCTAssertEqual(c.newAreas.filter { $0.level == .microGrid }.count, 2_283)
        let plan = try XCTUnwrap(DemoScale.hazards(10_000).towns(baseAreas: Fixture.base).first)
        for t in plan.targets {
            let hs = c.ledgers.filter { $0.kind == t.kind }.flatMap { $0.hazards.values }
            XCTAssertEqual(hs.count, t.hazards, "\(t.kind)")
            XCTAssertEqual(hs.filter { $0.state == .rectified }.count, t.rectified, "\(t.kind) rectified")
        }
        XCTAssertEqual(c.ledgers.filter(\.isClosedDown).count, plan.closedDown)
        XCTAssertEqual(c.subjects.filter { $0.kind == .smallMicroPark }.count, plan.parks)
        checkTown(c, townName: "瓜沥镇", shortName: "瓜沥")
    }

    /// Towns with synthesised villages, in three corners of the district, and 瓜沥: codes,
    /// names, places, and identities unique across towns.
    func testSynthesisedTownsAcrossTheDistrict() throws {
        let codes = ["330109001", "330109100", "330109401", "330109501", BundledAreas.gualiTownCode]
        var areaCodes = Set<String>(), subjectIDs = Set<UUID>(), hazardIDs = Set<UUID>(), creditCodes = Set<String>()
        var inspectionIDs = Set<UUID>()
        for code in codes {
            let plan = Fixture.smallPlan(code)
            let c = try Fixture.build(plan)
            let town = Fixture.towns.first { $0.code == code }!
            XCTAssertEqual(c.hazardCount, 3_000, town.name)
            checkTown(c, townName: town.name, shortName: DemoScale.shortName(ofTown: town.name))
            let villages = c.areas.filter { $0.level == .village }
            if code != BundledAreas.gualiTownCode {
                XCTAssertEqual(villages.count, plan.villageCount, town.name)
                XCTAssertEqual(villages.filter { $0.villageKind == .community }.count, plan.communityCount, town.name)
                XCTAssertEqual(c.newAreas.filter { $0.level == .village }, villages, "\(town.name): villages are new rows")
                XCTAssertEqual(Set(villages.map(\.name)).count, villages.count, "\(town.name): names unique")
                XCTAssertEqual(Set(villages.map(\.shortName)).count, villages.count)
                for v in villages {
                    XCTAssertTrue(v.villageKind == .community ? v.name.hasSuffix("社区") && v.shortName == v.name
                                                              : v.name.hasSuffix("村委会") && v.shortName.hasSuffix("村"), v.name)
                }
                // NBS form: communities from 001, villages from 201, in Unicode order of the name.
                let communities = villages.filter { $0.villageKind == .community }
                XCTAssertEqual(communities.map { String($0.code.suffix(3)) },
                               (1...max(1, communities.count)).prefix(communities.count).map { AreaCodes.pad($0, 3) })
                XCTAssertEqual(communities.map(\.name), communities.map(\.name).sorted {
                    $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars)
                })
                XCTAssertTrue(villages.filter { $0.villageKind == .village }.allSatisfy { Int($0.code.suffix(3))! >= 201 })
            }
            XCTAssertEqual(c.newAreas.filter { $0.level == .grid }.count, plan.grids)
            XCTAssertEqual(c.newAreas.filter { $0.level == .microGrid }.count, plan.microGrids)
            for a in c.newAreas {
                XCTAssertTrue(areaCodes.insert(a.code).inserted, "area code \(a.code) appears in two towns")
            }
            for s in c.subjects { XCTAssertTrue(subjectIDs.insert(s.id).inserted, "subject id \(s.id) twice") }
            for s in c.subjects { if let cc = s.creditCode { XCTAssertTrue(creditCodes.insert(cc.value).inserted, cc.value) } }
            for l in c.ledgers {
                for id in l.hazards.keys { XCTAssertTrue(hazardIDs.insert(id).inserted, "hazard id \(id) twice") }
                for p in l.changes.inspections { XCTAssertTrue(inspectionIDs.insert(p.id).inserted) }
            }
        }
        // Synthesised credit codes never equal one of the article's 瓜沥 (their serial ends with a letter).
        XCTAssertTrue(creditCodes.allSatisfy { $0[$0.index($0.startIndex, offsetBy: 15)].isLetter })
    }

    func testSameTownPlanSameTown() throws {
        let plan = Fixture.smallPlan("330109108", hazards: 2_000)
        let a = try Fixture.build(plan), b = try Fixture.build(plan)
        XCTAssertEqual(a.subjects, b.subjects)
        XCTAssertEqual(a.areas, b.areas)
        XCTAssertEqual(a.ledgers.map(\.subjectID), b.ledgers.map(\.subjectID))
        XCTAssertEqual(a.ledgers.map { $0.hazards.keys.sorted { $0.uuidString < $1.uuidString } },
                       b.ledgers.map { $0.hazards.keys.sorted { $0.uuidString < $1.uuidString } })
        XCTAssertEqual(fingerprint(a), fingerprint(b))
        let other = try Fixture.build(Fixture.smallPlan("330109108", hazards: 2_000, seed: 1))
        XCTAssertNotEqual(other.subjects.map(\.id), a.subjects.map(\.id))
        XCTAssertEqual(other.hazardCount, 2_000)
        // The plan itself follows from the seed.
        XCTAssertEqual(Fixture.smallPlan("330109108", hazards: 2_000), plan)
    }

    /// `.hazards(100_000)`: three towns, built one at a time as the demo does.
    func testOneHundredThousandHazards() throws {
        let plans = try DemoScale.hazards(100_000).towns(baseAreas: Fixture.base)
        XCTAssertEqual(plans.map(\.townCode), [BundledAreas.gualiTownCode, "330109001", "330109002"])
        var hazards = 0, subjects = 0
        var subjectIDs = Set<UUID>(), areaCodes = Set<String>(), creditCodes = Set<String>()
        for plan in plans {
            let c = try Fixture.build(plan)
            XCTAssertEqual(c.townCode, plan.townCode)
            XCTAssertEqual(c.hazardCount, plan.hazards)
            XCTAssertLessThanOrEqual(c.hazardCount, DemoScale.townHazardLimit)
            hazards += c.hazardCount
            subjects += c.subjects.count
            for s in c.subjects {
                XCTAssertTrue(subjectIDs.insert(s.id).inserted)
                if let cc = s.creditCode { XCTAssertTrue(creditCodes.insert(cc.value).inserted, cc.value) }
            }
            for a in c.newAreas { XCTAssertTrue(areaCodes.insert(a.code).inserted, a.code) }
            let villages = Set(c.areas.filter { $0.level == .village }.map(\.code))
            XCTAssertTrue(c.subjects.allSatisfy { villages.contains(String($0.microGridCode.prefix(12))) })
            XCTAssertTrue(c.subjects.allSatisfy { $0.address.hasPrefix("杭州市萧山区\(plan.townName)") })
            // Spot-check the places (every 25th subject; the 10k test checks all).
            for s in stride(from: 0, to: c.subjects.count, by: 25).map({ c.subjects[$0] }) {
                XCTAssertTrue(DistrictBoundary.xiaoshan.contains(s.location!), "\(s.name) \(s.location!)")
            }
        }
        XCTAssertEqual(Double(hazards), 100_000, accuracy: 3_000)
        XCTAssertEqual(Double(subjects), 50_000, accuracy: 5_000)
    }

    // MARK: Helpers

    /// The rules every built town keeps: area codes valid for their level and nested in their
    /// parent, subjects valid (places strictly inside 萧山区), addresses and names of the town,
    /// credit codes valid and unique, ledgers following the colour rule, events before `asOf`.
    private func checkTown(_ c: DemoCampaign, townName: String, shortName: String,
                           file: StaticString = #filePath, line: UInt = #line) {
        let byCode = Dictionary(c.areas.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(byCode.count, c.areas.count, "area codes unique", file: file, line: line)
        for a in c.areas {
            XCTAssertEqual(a.code.count, a.level.codeLength, a.code, file: file, line: line)
            XCTAssertTrue(a.code.allSatisfy(\.isASCIIDigitCharacter), a.code, file: file, line: line)
            if let p = a.parentCode {
                XCTAssertTrue(a.code.hasPrefix(p), a.code, file: file, line: line)
                XCTAssertEqual(byCode[p]?.level.depth, a.level.depth - 1, "parent of \(a.code)", file: file, line: line)
            }
        }
        XCTAssertEqual(Set(c.areas.filter { $0.level == .town }.map(\.code)), [c.townCode], file: file, line: line)
        XCTAssertTrue(c.newAreas.allSatisfy { $0.code.hasPrefix(c.townCode) }, file: file, line: line)
        XCTAssertEqual(c.gridWorkers.count, c.areas.filter { $0.level == .grid }.count, file: file, line: line)
        var outside: [String] = []
        for s in c.subjects {
            XCTAssertNoThrow(try s.validate(boundary: .xiaoshan), s.name, file: file, line: line)
            XCTAssertEqual(byCode[s.microGridCode]?.level, .microGrid, s.name, file: file, line: line)
            XCTAssertTrue(s.address.hasPrefix("杭州市萧山区\(townName)"), s.address, file: file, line: line)
            if let p = s.location, !DistrictBoundary.xiaoshan.contains(p) { outside.append("\(s.name) \(p)") }
            if s.kind == .streetShop { XCTAssertTrue(s.name.hasPrefix(shortName), s.name, file: file, line: line) }
        }
        XCTAssertEqual(outside, [], "places outside 萧山区", file: file, line: line)
        let codes = c.subjects.compactMap(\.creditCode)
        XCTAssertEqual(Set(codes).count, codes.count, "credit codes unique", file: file, line: line)
        for code in codes { XCTAssertEqual(try? CreditCode(code.value), code, file: file, line: line) }
        let names = c.subjects.filter { $0.kind == .enterprise || $0.kind == .streetShop }.map(\.name)
        XCTAssertEqual(Set(names).count, names.count, "enterprise and shop names unique in the town", file: file, line: line)
        let limit = Fixture.asOf.startUTC
        for l in c.ledgers {
            if let colour = l.colour {
                XCTAssertEqual(colour, ColourRule.colour(closedDown: l.isClosedDown, hazards: Array(l.hazards.values)),
                               file: file, line: line)
            } else {
                XCTAssertEqual(l.kind, .smallMicroPark, file: file, line: line)
            }
            for e in l.changes.events { XCTAssertLessThan(e.event.occurredAt, limit, file: file, line: line) }
        }
    }
}

import Foundation
import XCTest
@testable import SafeGridCore

/// The full campaign, built once for the whole class (it takes a while in a debug build).
private enum Shared {
    static let asOf = try! CalendarDate("2026-11-30")
    static let campaign: Result<DemoCampaign, Error> = Result {
        try DemoCampaign(asOf: asOf, checklist: .bundledDefault(), baseAreas: BundledAreas.load())
    }
}

final class DemoCampaignTests: XCTestCase {
    private func campaign() throws -> DemoCampaign { try Shared.campaign.get() }

    private func ledgers(_ kind: SubjectKind, in c: DemoCampaign) -> [SubjectLedger] {
        c.ledgers.filter { $0.kind == kind }
    }

    private func hazards(_ kind: SubjectKind, in c: DemoCampaign) -> [HazardStatus] {
        ledgers(kind, in: c).flatMap { $0.hazards.values }
    }

    func testLedgersMatchSubjects() throws {
        let c = try campaign()
        XCTAssertEqual(c.ledgers.count, c.subjects.count)
        XCTAssertEqual(c.ledgers.map(\.subjectID), c.subjects.map(\.id))
        XCTAssertEqual(c.ledgers.map(\.kind), c.subjects.map(\.kind))
        XCTAssertEqual(Set(c.subjects.map(\.id)).count, c.subjects.count, "subject ids are unique")
        let hazardIDs = c.ledgers.flatMap { $0.hazards.keys }
        XCTAssertEqual(Set(hazardIDs).count, hazardIDs.count, "hazard ids are unique")
    }

    func testGridsAndMicroGrids() throws {
        let c = try campaign()
        let byCode = Dictionary(uniqueKeysWithValues: c.areas.map { ($0.code, $0) })
        XCTAssertEqual(byCode.count, c.areas.count, "area codes are unique")
        let grids = c.areas.filter { $0.level == .grid }
        let micro = c.areas.filter { $0.level == .microGrid }
        XCTAssertEqual(grids.count, 160)
        XCTAssertEqual(micro.count, 2_283)
        for g in grids {
            XCTAssertEqual(g.code.count, 14, g.code)
            let parent = try XCTUnwrap(g.parentCode.flatMap { byCode[$0] }, g.code)
            XCTAssertEqual(parent.level, .village, g.code)
            XCTAssertEqual(parent.parentCode, BundledAreas.gualiTownCode, g.code)
            XCTAssertTrue(g.code.hasPrefix(parent.code), g.code)
        }
        for m in micro {
            XCTAssertEqual(m.code.count, 17, m.code)
            XCTAssertEqual(m.parentCode.flatMap { byCode[$0] }?.level, .grid, m.code)
            XCTAssertTrue(m.code.hasPrefix(m.parentCode ?? "-"), m.code)
        }
        let villages = c.areas.filter { $0.level == .village }
        XCTAssertEqual(villages.count, 74)
        let gridsPerVillage = Dictionary(grouping: grids, by: { $0.parentCode! }).mapValues(\.count)
        for v in villages {
            XCTAssertGreaterThanOrEqual(gridsPerVillage[v.code] ?? 0, 1, "\(v.name) has no grid")
        }
        let microPerGrid = Dictionary(grouping: micro, by: { $0.parentCode! }).mapValues(\.count)
        XCTAssertTrue(grids.allSatisfy { (microPerGrid[$0.code] ?? 0) >= 1 }, "every grid has micro-grids")
        // Every subject lies in an existing micro-grid.
        for s in c.subjects {
            XCTAssertEqual(byCode[s.microGridCode]?.level, .microGrid, s.name)
        }
    }

    func testSubjectCounts() throws {
        let c = try campaign()
        XCTAssertEqual(ledgers(.enterprise, in: c).count, 2_928)
        XCTAssertEqual(c.subjects.filter { $0.kind == .enterprise }.count, 2_928)
        XCTAssertEqual(ledgers(.streetShop, in: c).count, 5_351)
        let rooms = c.subjects.filter { $0.kind == .rentalHousing }.map { $0.rooms ?? 0 }
        XCTAssertEqual(rooms.reduce(0, +), 17_120)
        XCTAssertTrue(rooms.allSatisfy { $0 >= 1 })
        XCTAssertEqual(ledgers(.rentalHousing, in: c).count, rooms.count)
        XCTAssertEqual(ledgers(.smallMicroPark, in: c).count, 18)
    }

    func testHazardsAndRectifiedPerKind() throws {
        let c = try campaign()
        let expected: [(SubjectKind, Int, Int, String)] = [
            (.enterprise, 16_241, 5_521, "33.99%"),
            (.streetShop, 16_180, 5_075, "31.37%"),
            (.rentalHousing, 9_821, 3_487, "35.51%"),
        ]
        for (kind, found, rectified, rate) in expected {
            let hs = hazards(kind, in: c)
            XCTAssertEqual(hs.count, found, "\(kind) hazards")
            let done = hs.filter { $0.state == .rectified }.count
            XCTAssertEqual(done, rectified, "\(kind) rectified")
            XCTAssertEqual(RectificationRate(found: hs.count, rectified: done).description, rate, "\(kind)")
        }
        XCTAssertTrue(hazards(.smallMicroPark, in: c).isEmpty)
        // Hazards in the ledgers are exactly those the inspections planned.
        for l in c.ledgers {
            let planned = Set(l.changes.inspections.flatMap { $0.hazards.map(\.id) })
            XCTAssertEqual(planned, Set(l.hazards.keys))
        }
    }

    func testClosedDown() throws {
        let c = try campaign()
        let closed = c.ledgers.filter(\.isClosedDown)
        XCTAssertEqual(closed.count, 77)
        XCTAssertTrue(closed.allSatisfy { $0.kind == .enterprise })
        for l in closed {
            XCTAssertEqual(l.colour?.key, "closedDown")
            XCTAssertFalse(l.hazards.values.contains { $0.state.isOpen }, "a closed subject keeps no open hazard")
            XCTAssertGreaterThan(l.hazards.count, 0)
        }
    }

    func testEveryColourAppears() throws {
        let c = try campaign()
        var counts: [String: Int] = [:]
        for l in c.ledgers { if let k = l.colour?.key { counts[k, default: 0] += 1 } }
        let missing = SubjectColour.all.map(\.key).filter { counts[$0] == nil }
        XCTAssertEqual(missing, [], "colours that never appear: \(missing); counts \(counts.sorted { $0.key < $1.key })")
        print("demo colour counts:", SubjectColour.all.map { "\($0.key)=\(counts[$0.key] ?? 0)" }.joined(separator: " "))
    }

    func testLedgerColourFollowsTheRule() throws {
        let c = try campaign()
        for l in c.ledgers {
            guard let colour = l.colour else {
                // Only the parks, which the campaign never inspects, have no colour.
                XCTAssertEqual(l.kind, .smallMicroPark)
                XCTAssertTrue(l.changes.inspections.isEmpty)
                continue
            }
            XCTAssertEqual(colour, ColourRule.colour(closedDown: l.isClosedDown, hazards: Array(l.hazards.values)),
                           "\(l.subjectID)")
            // The colour history ends at the current colour and starts from none.
            XCTAssertEqual(l.changes.colourChanges.last?.to, colour)
            XCTAssertNil(l.changes.colourChanges.first?.from)
        }
        XCTAssertEqual(c.ledgers.filter { $0.colour == nil }.count, 18)
    }

    func testNoEventOnOrAfterAsOf() throws {
        let c = try campaign()
        let limit = Shared.asOf.startUTC
        var late: [String] = []
        var earliest = Date.distantFuture
        for l in c.ledgers {
            var dates: [(String, Date)] = []
            for p in l.changes.inspections {
                dates.append(("inspection", p.inspectedAt))
                earliest = min(earliest, p.inspectedAt)
                for h in p.hazards { dates += h.events.map { ("\($0.kind.rawValue)", $0.occurredAt) } }
            }
            dates += l.changes.events.map { ("\($0.event.kind.rawValue)", $0.event.occurredAt) }
            dates += l.changes.colourChanges.map { ("colour \($0.cause)", $0.at) }
            if let closed = l.closedDownAt { dates.append(("closedDownAt", closed)) }
            for (what, at) in dates where at >= limit {
                late.append("\(l.kind.rawValue) \(l.subjectID) \(what) at \(Timestamp.format(at))")
            }
            // Events of each hazard run forwards in time.
            for p in l.changes.inspections {
                for h in p.hazards {
                    let later = l.changes.events.filter { $0.hazardID == h.id }.map(\.event.occurredAt)
                    let all = h.events.map(\.occurredAt) + later
                    XCTAssertEqual(all, all.sorted(), "events of hazard \(h.id) out of order")
                }
            }
        }
        XCTAssertEqual(late.count, 0, "events on or after \(Shared.asOf): \(late.prefix(10))")
        // Visits fall 72 to 1 days before asOf (follow-up only on later days, ending the day before asOf).
        let visitDays = c.ledgers.flatMap { $0.changes.inspections.map { CalendarDate(shanghai: $0.inspectedAt) } }
        XCTAssertEqual(visitDays.min(), Shared.asOf.adding(days: -72))
        XCTAssertEqual(visitDays.max(), Shared.asOf.adding(days: -1))
        XCTAssertGreaterThanOrEqual(earliest, Shared.asOf.adding(days: -72).startUTC)
    }

    func testCreditCodes() throws {
        let c = try campaign()
        for e in c.subjects where e.kind == .enterprise {
            let code = try XCTUnwrap(e.creditCode, e.name)
            XCTAssertEqual(try CreditCode(code.value), code, e.name)
            XCTAssertEqual(code.divisionCode, "330109")
        }
        let codes = c.subjects.compactMap(\.creditCode?.value)
        XCTAssertEqual(Set(codes).count, codes.count, "credit codes are unique")
    }

    func testSubjectsValidate() throws {
        let c = try campaign()
        for s in c.subjects {
            XCTAssertNoThrow(try s.validate(boundary: nil), s.name)
        }
    }

    func testParentsFactoryInFactoryAndParks() throws {
        let c = try campaign()
        let byID = Dictionary(uniqueKeysWithValues: c.subjects.map { ($0.id, $0) })
        let enterprises = c.subjects.filter { $0.kind == .enterprise }
        let inFactory = enterprises.filter { $0.parentId.flatMap { byID[$0] }?.kind == .enterprise }
        let inPark = enterprises.filter { $0.parentId.flatMap { byID[$0] }?.kind == .smallMicroPark }
        XCTAssertGreaterThan(inFactory.count, 0, "厂中厂")
        XCTAssertGreaterThan(inPark.count, 0, "enterprises in small-micro parks")
        for e in enterprises {
            guard let pid = e.parentId else { continue }
            let parent = try XCTUnwrap(byID[pid], "parent of \(e.name) exists")
            XCTAssertNotEqual(pid, e.id)
            XCTAssertEqual(parent.microGridCode, e.microGridCode, "\(e.name) lies where its host lies")
            if parent.kind == .enterprise { XCTAssertNil(parent.parentId, "hosts are not tenants themselves") }
        }
        let first = try XCTUnwrap(enterprises.first)
        XCTAssertEqual(first.name, "杭州恒增纺织有限公司")
        XCTAssertEqual(first.parentId.flatMap { byID[$0] }?.kind, .smallMicroPark)
        XCTAssertEqual(c.subjects.filter { $0.kind == .smallMicroPark }.count, 18)
        XCTAssertTrue(c.subjects.filter { !$0.kind.isEnterprise }.allSatisfy { $0.parentId == nil })
    }

    // MARK: Determinism

    private static let smallTargets = [
        DemoKindTarget(kind: .enterprise, inspected: 200, hazards: 800, rectified: 240),
        DemoKindTarget(kind: .streetShop, inspected: 120, hazards: 300, rectified: 90),
        DemoKindTarget(kind: .rentalHousing, inspected: 300, hazards: 100, rectified: 30),
    ]

    private func small(seed: UInt64) throws -> DemoCampaign {
        try DemoCampaign(seed: seed, asOf: Shared.asOf, checklist: .bundledDefault(), baseAreas: BundledAreas.load(),
                         targets: Self.smallTargets)
    }

    private func fingerprint(_ c: DemoCampaign) -> [String] {
        c.ledgers.map { l in
            let hs = l.hazards.sorted { $0.key.uuidString < $1.key.uuidString }
                .map { "\($0.key):\($0.value.state.rawValue):\($0.value.version)" }
            return "\(l.subjectID) \(l.colour?.key ?? "-") \(hs.joined(separator: ","))"
        }
    }

    func testSameSeedSameCampaign() throws {
        let a = try small(seed: 42), b = try small(seed: 42)
        XCTAssertEqual(a.subjects.map(\.id), b.subjects.map(\.id))
        XCTAssertEqual(a.ledgers.map(\.hazards.count), b.ledgers.map(\.hazards.count))
        XCTAssertEqual(fingerprint(a), fingerprint(b))
        XCTAssertEqual(a.areas, b.areas)
        XCTAssertEqual(a.subjects, b.subjects)
        // The small targets are met too.
        for t in Self.smallTargets {
            let hs = a.ledgers.filter { $0.kind == t.kind }.flatMap { $0.hazards.values }
            XCTAssertEqual(hs.count, t.hazards, "\(t.kind)")
        }
    }

    func testDifferentSeedDifferentCampaign() throws {
        let a = try small(seed: 42), b = try small(seed: 43)
        XCTAssertNotEqual(a.subjects.map(\.id), b.subjects.map(\.id))
        XCTAssertNotEqual(a.ledgers.map(\.hazards.count), b.ledgers.map(\.hazards.count))
    }

    func testFullCampaignIsReproducible() throws {
        let c = try campaign()
        let again = try DemoCampaign(asOf: Shared.asOf, checklist: .bundledDefault(), baseAreas: BundledAreas.load())
        XCTAssertEqual(again.subjects.map(\.id), c.subjects.map(\.id))
        XCTAssertEqual(again.ledgers.map(\.hazards.count), c.ledgers.map(\.hazards.count))
        XCTAssertEqual(fingerprint(again), fingerprint(c))
    }
}

private extension SubjectKind {
    var isEnterprise: Bool { self == .enterprise }
}

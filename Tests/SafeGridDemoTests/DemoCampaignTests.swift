import Foundation
import Testing
@testable import SafeGridCore
@testable import SafeGridDemo

/// The full campaign, built once for the whole class (it takes a while in a debug build).
private enum Shared {
    static let asOf = try! CalendarDate("2026-11-30")
    static let campaign: Result<DemoCampaign, Error> = Result {
        try DemoCampaign(asOf: asOf, checklist: .bundledDefault(), baseAreas: BundledAreas.load())
    }
}

@Suite struct DemoCampaignTests {
    private func campaign() throws -> DemoCampaign { try Shared.campaign.get() }

    private func dossiers(_ kind: SubjectKind, in c: DemoCampaign) -> [SubjectDossier] {
        c.dossiers.filter { $0.kind == kind }
    }

    private func hazards(_ kind: SubjectKind, in c: DemoCampaign) -> [HazardStatus] {
        dossiers(kind, in: c).flatMap { $0.hazards.values }
    }

    @Test func ledgersMatchSubjects() throws {
        let c = try campaign()
        #expect(c.dossiers.count == c.subjects.count)
        #expect(c.dossiers.map(\.subjectID) == c.subjects.map(\.id))
        #expect(c.dossiers.map(\.kind) == c.subjects.map(\.kind))
        #expect(Set(c.subjects.map(\.id)).count == c.subjects.count, "subject ids are unique")
        let hazardIDs = c.dossiers.flatMap { $0.hazards.keys }
        #expect(Set(hazardIDs).count == hazardIDs.count, "hazard ids are unique")
    }

    @Test func gridsAndMicroGrids() throws {
        let c = try campaign()
        let byCode = Dictionary(uniqueKeysWithValues: c.areas.map { ($0.code, $0) })
        #expect(byCode.count == c.areas.count, "area codes are unique")
        let grids = c.areas.filter { $0.level == .grid }
        let micro = c.areas.filter { $0.level == .microGrid }
        #expect(grids.count == 160)
        #expect(micro.count == 2_283)
        for g in grids {
            #expect(g.code.count == 14, "\(g.code)")
            let parent = try #require(g.parentCode.flatMap { byCode[$0] }, "\(g.code)")
            #expect(parent.level == .village, "\(g.code)")
            #expect(parent.parentCode == BundledAreas.gualiTownCode, "\(g.code)")
            #expect(g.code.hasPrefix(parent.code), "\(g.code)")
        }
        for m in micro {
            #expect(m.code.count == 17, "\(m.code)")
            #expect(m.parentCode.flatMap { byCode[$0] }?.level == .grid, "\(m.code)")
            #expect(m.code.hasPrefix(m.parentCode ?? "-"), "\(m.code)")
        }
        let villages = c.areas.filter { $0.level == .village }
        #expect(villages.count == 74)
        let gridsPerVillage = Dictionary(grouping: grids, by: { $0.parentCode! }).mapValues(\.count)
        for v in villages {
            #expect(gridsPerVillage[v.code] ?? 0 >= 1, "\(v.name) has no grid")
        }
        let microPerGrid = Dictionary(grouping: micro, by: { $0.parentCode! }).mapValues(\.count)
        #expect(grids.allSatisfy { (microPerGrid[$0.code] ?? 0) >= 1 }, "every grid has micro-grids")
        // Every subject lies in an existing micro-grid.
        for s in c.subjects {
            #expect(byCode[s.microGridCode]?.level == .microGrid, "\(s.name)")
        }
    }

    @Test func subjectCounts() throws {
        let c = try campaign()
        #expect(dossiers(.enterprise, in: c).count == 2_928)
        #expect(c.subjects.filter { $0.kind == .enterprise }.count == 2_928)
        #expect(dossiers(.streetShop, in: c).count == 5_351)
        let rooms = c.subjects.filter { $0.kind == .rentalHousing }.map { $0.rooms ?? 0 }
        #expect(rooms.reduce(0, +) == 17_120)
        #expect(rooms.allSatisfy { $0 >= 1 })
        #expect(dossiers(.rentalHousing, in: c).count == rooms.count)
        #expect(dossiers(.smallMicroPark, in: c).count == 18)
    }

    @Test func hazardsAndRectifiedPerKind() throws {
        let c = try campaign()
        let expected: [(SubjectKind, Int, Int, String)] = [
            (.enterprise, 16_241, 5_521, "33.99%"),
            (.streetShop, 16_180, 5_075, "31.37%"),
            (.rentalHousing, 9_821, 3_487, "35.51%"),
        ]
        for (kind, found, rectified, rate) in expected {
            let hs = hazards(kind, in: c)
            #expect(hs.count == found, "\(kind) hazards")
            let done = hs.filter { $0.state == .rectified }.count
            #expect(done == rectified, "\(kind) rectified")
            #expect(RectificationRate(found: hs.count, rectified: done).description == rate, "\(kind)")
        }
        #expect(hazards(.smallMicroPark, in: c).isEmpty)
        // Hazards in the ledgers are exactly those the inspections planned.
        for l in c.dossiers {
            let planned = Set(l.changes.inspections.flatMap { $0.hazards.map(\.id) })
            #expect(planned == Set(l.hazards.keys))
        }
    }

    @Test func closedDown() throws {
        let c = try campaign()
        let closed = c.dossiers.filter(\.isClosedDown)
        #expect(closed.count == 77)
        #expect(closed.allSatisfy { $0.kind == .enterprise })
        for l in closed {
            #expect(l.colour?.key == "closedDown")
            #expect(!(l.hazards.values.contains { $0.state.isOpen }), "a closed subject keeps no open hazard")
            #expect(l.hazards.count > 0)
        }
    }

    @Test func everyColourAppears() throws {
        let c = try campaign()
        var counts: [String: Int] = [:]
        for l in c.dossiers { if let k = l.colour?.key { counts[k, default: 0] += 1 } }
        let missing = SubjectColour.all.map(\.key).filter { counts[$0] == nil }
        #expect(missing == [], "colours that never appear: \(missing); counts \(counts.sorted { $0.key < $1.key })")
        print("demo colour counts:", SubjectColour.all.map { "\($0.key)=\(counts[$0.key] ?? 0)" }.joined(separator: " "))
    }

    @Test func ledgerColourFollowsTheRule() throws {
        let c = try campaign()
        for l in c.dossiers {
            guard let colour = l.colour else {
                // Only the parks, which the campaign never inspects, have no colour.
                #expect(l.kind == .smallMicroPark)
                #expect(l.changes.inspections.isEmpty)
                continue
            }
            #expect(colour == ColourRule.colour(closedDown: l.isClosedDown, hazards: Array(l.hazards.values)), "\(l.subjectID)")
            // The colour history ends at the current colour and starts from none.
            #expect(l.changes.colourChanges.last?.to == colour)
            #expect(l.changes.colourChanges.first?.from == nil)
        }
        #expect(c.dossiers.filter { $0.colour == nil }.count == 18)
    }

    @Test func noEventOnOrAfterAsOf() throws {
        let c = try campaign()
        let limit = Shared.asOf.startUTC
        var late: [String] = []
        var earliest = Date.distantFuture
        for l in c.dossiers {
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
                    #expect(all == all.sorted(), "events of hazard \(h.id) out of order")
                }
            }
        }
        #expect(late.count == 0, "events on or after \(Shared.asOf): \(late.prefix(10))")
        // Visits fall 72 to 1 days before asOf (follow-up only on later days, ending the day before asOf).
        let visitDays = c.dossiers.flatMap { $0.changes.inspections.map { CalendarDate(shanghai: $0.inspectedAt) } }
        #expect(visitDays.min() == Shared.asOf.adding(days: -72))
        #expect(visitDays.max() == Shared.asOf.adding(days: -1))
        #expect(earliest >= Shared.asOf.adding(days: -72).startUTC)
    }

    @Test func creditCodes() throws {
        let c = try campaign()
        for e in c.subjects where e.kind == .enterprise {
            let code = try #require(e.creditCode, "\(e.name)")
            #expect(try CreditCode(code.value) == code, "\(e.name)")
            #expect(code.divisionCode == "330109")
        }
        let codes = c.subjects.compactMap(\.creditCode?.value)
        #expect(Set(codes).count == codes.count, "credit codes are unique")
    }

    @Test func subjectsValidate() throws {
        let c = try campaign()
        for s in c.subjects {
            #expect(throws: Never.self, "\(s.name)") { try s.validate(boundary: nil) }
        }
    }

    @Test func parentsFactoryInFactoryAndParks() throws {
        let c = try campaign()
        let byID = Dictionary(uniqueKeysWithValues: c.subjects.map { ($0.id, $0) })
        let enterprises = c.subjects.filter { $0.kind == .enterprise }
        let inFactory = enterprises.filter { $0.parentId.flatMap { byID[$0] }?.kind == .enterprise }
        let inPark = enterprises.filter { $0.parentId.flatMap { byID[$0] }?.kind == .smallMicroPark }
        #expect(inFactory.count > 0, "厂中厂")
        #expect(inPark.count > 0, "enterprises in small-micro parks")
        for e in enterprises {
            guard let pid = e.parentId else { continue }
            let parent = try #require(byID[pid], "parent of \(e.name) exists")
            #expect(pid != e.id)
            #expect(parent.microGridCode == e.microGridCode, "\(e.name) lies where its host lies")
            if parent.kind == .enterprise { #expect(parent.parentId == nil, "hosts are not tenants themselves") }
        }
        let first = try #require(enterprises.first)
        #expect(first.name == "杭州恒增纺织有限公司")
        #expect(first.parentId.flatMap { byID[$0] }?.kind == .smallMicroPark)
        #expect(c.subjects.filter { $0.kind == .smallMicroPark }.count == 18)
        #expect(c.subjects.filter { !$0.kind.isEnterprise }.allSatisfy { $0.parentId == nil })
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
        c.dossiers.map { l in
            let hs = l.hazards.sorted { $0.key.uuidString < $1.key.uuidString }
                .map { "\($0.key):\($0.value.state.rawValue):\($0.value.version)" }
            return "\(l.subjectID) \(l.colour?.key ?? "-") \(hs.joined(separator: ","))"
        }
    }

    @Test func sameSeedSameCampaign() throws {
        let a = try small(seed: 42), b = try small(seed: 42)
        #expect(a.subjects.map(\.id) == b.subjects.map(\.id))
        #expect(a.dossiers.map(\.hazards.count) == b.dossiers.map(\.hazards.count))
        #expect(fingerprint(a) == fingerprint(b))
        #expect(a.areas == b.areas)
        #expect(a.subjects == b.subjects)
        // The small targets are met too.
        for t in Self.smallTargets {
            let hs = a.dossiers.filter { $0.kind == t.kind }.flatMap { $0.hazards.values }
            #expect(hs.count == t.hazards, "\(t.kind)")
        }
    }

    @Test func differentSeedDifferentCampaign() throws {
        let a = try small(seed: 42), b = try small(seed: 43)
        #expect(a.subjects.map(\.id) != b.subjects.map(\.id))
        #expect(a.dossiers.map(\.hazards.count) != b.dossiers.map(\.hazards.count))
    }

    @Test func fullCampaignIsReproducible() throws {
        let c = try campaign()
        let again = try DemoCampaign(asOf: Shared.asOf, checklist: .bundledDefault(), baseAreas: BundledAreas.load())
        #expect(again.subjects.map(\.id) == c.subjects.map(\.id))
        #expect(again.dossiers.map(\.hazards.count) == c.dossiers.map(\.hazards.count))
        #expect(fingerprint(again) == fingerprint(c))
    }
}

private extension SubjectKind {
    var isEnterprise: Bool { self == .enterprise }
}

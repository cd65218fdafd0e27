import Foundation
import XCTest
@testable import SafeGridCore

final class KeyHazardRankingTests: XCTestCase {
    private let asOf = try! CalendarDate("2026-12-01")
    /// 瓜沥镇's first villages (NBS form): 330109113201, 202, …
    private func village(_ n: Int) -> String { "330109113\(200 + n)" }

    private func day(_ s: String) -> CalendarDate { try! CalendarDate(s) }

    /// Deterministic ids: …-000000000001 etc., so that id order is visible in the tests.
    private func id(_ n: Int) -> UUID {
        let hex = String(n, radix: 16)
        return UUID(uuidString: "00000000-0000-0000-0000-" + String(repeating: "0", count: 12 - hex.count) + hex)!
    }

    /// A hazard found at 09:00 Beijing time on `found`, due at the end of `due`.
    private func hazard(_ severity: Severity, due: String = "2026-12-31", found: String = "2026-11-01",
                        state: HazardState = .open, secondsLater: Int = 0) -> KeyHazardRanking.Hazard {
        KeyHazardRanking.Hazard(severity: severity, state: state,
                                foundAt: day(found).startUTC.addingTimeInterval(9 * 3600 + Double(secondsLater)),
                                dueAt: day(due).endUTC)
    }

    private func enterprise(_ n: Int, in v: Int = 1, _ hazards: [KeyHazardRanking.Hazard]) -> KeyHazardRanking.Candidate {
        KeyHazardRanking.Candidate(subjectId: id(n), villageCode: village(v), hazards: hazards)
    }

    private func rank(_ candidates: [KeyHazardRanking.Candidate], asOf: CalendarDate? = nil) -> KeyHazardRanking.Ranking {
        do { return try KeyHazardRanking.rank(candidates, asOf: asOf ?? self.asOf) } catch {
            XCTFail("\(error)")
            fatalError()
        }
    }

    private func keyIDs(_ v: KeyHazardRanking.VillageRanking?) -> [UUID] { v?.keyEnterprises.map(\.subjectId) ?? [] }

    // MARK: score

    func testSeverityWeights() {
        XCTAssertEqual(hazard(.general).points(asOf: asOf), 10)
        XCTAssertEqual(hazard(.serious).points(asOf: asOf), 30)
        XCTAssertEqual(hazard(.extremelySevere).points(asOf: asOf), 90)
        let s = KeyHazardRanking.score([hazard(.general), hazard(.serious), hazard(.extremelySevere), hazard(.general)], asOf: asOf)
        XCTAssertEqual(s.points, 140)
        XCTAssertEqual(s.openHazards, 4)
        XCTAssertEqual(s.overdueHazards, 0)
        XCTAssertEqual(s.overdueDays, 0)
    }

    func testOnlyOpenHazardsCount() {
        XCTAssertEqual(hazard(.serious, state: .rectifying).points(asOf: asOf), 30)
        XCTAssertEqual(hazard(.serious, state: .rebound).points(asOf: asOf), 30)
        XCTAssertEqual(hazard(.serious, state: .rectified).points(asOf: asOf), 0)
        XCTAssertEqual(hazard(.extremelySevere, due: "2026-01-01", state: .closedDown).points(asOf: asOf), 0)
        let s = KeyHazardRanking.score([hazard(.general, state: .rectified), hazard(.general, due: "2026-11-01", state: .rectified)], asOf: asOf)
        XCTAssertEqual(s.points, 0)
        XCTAssertEqual(s.openHazards, 0)
        XCTAssertEqual(s.overdueDays, 0)
        XCTAssertNil(s.oldestOpenFoundAt)
    }

    func testOverdueDaysCountInShanghaiCalendarDays() {
        // Due at the end of 11-30; on 12-01 it is one day overdue, on 11-30 not yet.
        XCTAssertEqual(hazard(.general, due: "2026-11-30").overdueDays(asOf: day("2026-12-01")), 1)
        XCTAssertEqual(hazard(.general, due: "2026-11-30").overdueDays(asOf: day("2026-11-30")), 0)
        XCTAssertEqual(hazard(.general, due: "2026-12-01").overdueDays(asOf: asOf), 0)
        XCTAssertEqual(hazard(.general, due: "2026-10-31").overdueDays(asOf: asOf), 31)
        // A deadline given as an instant late in the UTC day still counts by its Shanghai day.
        let h = KeyHazardRanking.Hazard(severity: .general, state: .open, foundAt: day("2026-11-01").startUTC,
                                        dueAt: try! Timestamp.parse("2026-11-29T16:30:00Z")) // 11-30 00:30 in Shanghai
        XCTAssertEqual(h.overdueDays(asOf: asOf), 1)
    }

    func testOverdueDaysIncreaseTheScoreUpToTheCap() {
        // general: 10 + days, capped at 30 days → 40
        XCTAssertEqual(hazard(.general, due: "2026-11-30").points(asOf: asOf), 11)
        XCTAssertEqual(hazard(.general, due: "2026-11-21").points(asOf: asOf), 20)
        XCTAssertEqual(hazard(.general, due: "2026-11-01").points(asOf: asOf), 40)   // 30 days
        XCTAssertEqual(hazard(.general, due: "2026-10-31").points(asOf: asOf), 40)   // 31 days, capped
        XCTAssertEqual(hazard(.general, due: "2025-12-01").points(asOf: asOf), 40)   // a year
        // serious: 3 × (10 + d); after 20 days as heavy as a fresh extremely severe hazard.
        XCTAssertEqual(hazard(.serious, due: "2026-11-30").points(asOf: asOf), 33)
        XCTAssertEqual(hazard(.serious, due: "2026-11-11").points(asOf: asOf), 90)
        XCTAssertEqual(hazard(.serious, due: "2025-01-01").points(asOf: asOf), 120)
        XCTAssertEqual(hazard(.extremelySevere, due: "2026-11-30").points(asOf: asOf), 99)
        XCTAssertEqual(hazard(.extremelySevere, due: "2025-01-01").points(asOf: asOf), 360)

        var previous = -1
        for d in 0...30 {
            let p = hazard(.serious, due: "2026-12-01").points(asOf: day("2026-12-01").adding(days: d))
            XCTAssertGreaterThan(p, previous, "day \(d)")
            previous = p
        }
        // The uncapped overdue days still grow (they break ties).
        let old = KeyHazardRanking.score([hazard(.general, due: "2025-12-01")], asOf: asOf)
        XCTAssertEqual(old.points, 40)
        XCTAssertEqual(old.overdueDays, 365)
        XCTAssertEqual(old.overdueHazards, 1)
    }

    func testOverdueEnterpriseRanksAboveTheSameHazardsOnTime() {
        let r = rank((1...5).map { n in enterprise(n, [hazard(.serious, due: n == 4 ? "2026-11-28" : "2026-12-31")]) })
        let v = r.village(village(1))!
        XCTAssertEqual(v.entries.first?.subjectId, id(4))
        XCTAssertEqual(v.entries.first?.score.points, 39)
        XCTAssertEqual(keyIDs(v), [id(4)])
    }

    func testHazardFromStatus() {
        let status = HazardStatus(state: .rebound, severity: .extremelySevere, dueAt: day("2026-11-29").endUTC)
        let h = KeyHazardRanking.Hazard(status, foundAt: day("2026-10-01").startUTC)
        XCTAssertEqual(h.points(asOf: asOf), 9 * 12)
    }

    // MARK: rounding

    func testQuotaIsCeilingOfFifteenPercent() {
        let cases: [(Int, Int)] = [(0, 0), (1, 1), (5, 1), (6, 1), (7, 2), (13, 2), (14, 3), (20, 3), (21, 4),
                                   (39, 6), (40, 6), (100, 15), (101, 16), (2_928, 440), (2_920, 438), (2_921, 439)]
        for (n, q) in cases { XCTAssertEqual(KeyHazardRanking.quota(enterprises: n), q, "n = \(n)") }
        // 15% of 2,928 is 439.2, not a whole number: the ceiling is 440.
        XCTAssertEqual(2_928 * 15 % 100, 20)
    }

    /// One village of 2,928 enterprises, all with the same hazard found a second apart: the score
    /// and overdue days tie, the oldest hazard breaks the tie, and exactly ⌈439.2⌉ = 440 are listed.
    func testTwoThousandNineHundredTwentyEightInOneVillage() {
        let candidates = (0..<2_928).map { n in enterprise(n + 1, [hazard(.general, due: "2026-11-20", secondsLater: n)]) }
        let v = rank(candidates.reversed()).village(village(1))!
        XCTAssertEqual(v.status, .ranked)
        XCTAssertEqual(v.enterpriseCount, 2_928)
        XCTAssertEqual(v.quota, 440)
        XCTAssertEqual(v.keyEnterprises.count, 440)
        XCTAssertNil(v.reason)
        XCTAssertEqual(keyIDs(v), (1...440).map(id))
        XCTAssertEqual(v.entries.map(\.rank), Array(1...2_928))
        XCTAssertEqual(v.entries[439].isKey, true)
        XCTAssertEqual(v.entries[440].isKey, false)
        XCTAssertEqual(v.entries[0].score.points, 21)
    }

    /// The article's 2,928 enterprises over 瓜沥镇's 74 villages and communities (42 of 40 and 32
    /// of 39): each village lists ⌈15%⌉ = 6 (6.0 and 5.85), 444 in all — rounding is per village.
    func testTwoThousandNineHundredTwentyEightAcrossSeventyFourVillages() {
        var candidates: [KeyHazardRanking.Candidate] = []
        var n = 0
        for v in 1...74 {
            for k in 0..<(v <= 42 ? 40 : 39) {
                n += 1
                // distinct scores within a village: k + 1 general hazards
                candidates.append(enterprise(n, in: v, Array(repeating: hazard(.general), count: k + 1)))
            }
        }
        XCTAssertEqual(candidates.count, 2_928)
        let r = rank(candidates)
        XCTAssertEqual(r.villages.count, 74)
        XCTAssertEqual(r.villages.map(\.quota), Array(repeating: 6, count: 74))
        XCTAssertEqual(r.keyEnterprises.count, 444)
        XCTAssertTrue(r.villages.allSatisfy { $0.status == .ranked && $0.keyEnterprises.count == 6 })
        // In a village of 39 the six worst have 39…34 hazards.
        XCTAssertEqual(r.village(village(43))!.keyEnterprises.map(\.score.points), [390, 380, 370, 360, 350, 340])
        XCTAssertEqual(r.villages.map(\.villageCode), (1...74).map(village))
    }

    // MARK: minimum

    func testVillageWithThreeEnterprisesIsNotRanked() {
        let r = rank([enterprise(1, [hazard(.extremelySevere)]), enterprise(2, [hazard(.general)]), enterprise(3, [])])
        let v = r.village(village(1))!
        XCTAssertEqual(v.status, .tooFewEnterprises)
        XCTAssertEqual(v.enterpriseCount, 3)
        XCTAssertEqual(v.quota, 0)
        XCTAssertEqual(v.entries, [])
        XCTAssertEqual(v.reason, "3 enterprises; a village needs at least 5 to be ranked")
        XCTAssertTrue(r.keyEnterprises.isEmpty)
    }

    func testVillageExactlyAtTheMinimumIsRanked() {
        let five = (1...5).map { n in enterprise(n, Array(repeating: hazard(.general), count: n)) }
        let v = rank(five).village(village(1))!
        XCTAssertEqual(v.status, .ranked)
        XCTAssertEqual(v.quota, 1)
        XCTAssertEqual(keyIDs(v), [id(5)])
        XCTAssertEqual(v.entries.map(\.score.points), [50, 40, 30, 20, 10])
        XCTAssertEqual(v.entries.map(\.rank), [1, 2, 3, 4, 5])

        let four = rank(Array(five.prefix(4))).village(village(1))!
        XCTAssertEqual(four.status, .tooFewEnterprises)
        XCTAssertEqual(four.reason, "4 enterprises; a village needs at least 5 to be ranked")
    }

    func testOnlyOpenEnterprisesAreRankedAndCounted() {
        var c = (1...4).map { n in enterprise(n, [hazard(.general)]) }
        c.append(KeyHazardRanking.Candidate(subjectId: id(5), villageCode: village(1), closedDown: true, hazards: [hazard(.extremelySevere)]))
        c += (6...8).map { n in
            KeyHazardRanking.Candidate(subjectId: id(n), villageCode: village(1), kind: .streetShop, hazards: [hazard(.extremelySevere)])
        }
        let v = rank(c).village(village(1))!
        XCTAssertEqual(v.enterpriseCount, 4)
        XCTAssertEqual(v.status, .tooFewEnterprises)
        XCTAssertEqual(v.reason, "4 enterprises; a village needs at least 5 to be ranked")
        // Only non-enterprises in a village: the village does not appear.
        let shops = rank((1...6).map { KeyHazardRanking.Candidate(subjectId: id($0), villageCode: village(2), kind: .rentalHousing, hazards: []) })
        XCTAssertTrue(shops.villages.isEmpty)
    }

    func testVillagesAreRankedSeparately() {
        // Village 1's mildest enterprise is worse than anything in village 2; each still lists its own worst.
        let c = (1...5).map { n in enterprise(n, in: 1, [hazard(.extremelySevere, secondsLater: n), hazard(.general, secondsLater: n)]) }
            + (6...10).map { n in enterprise(n, in: 2, Array(repeating: hazard(.general), count: n - 5)) }
        let r = rank(c)
        XCTAssertEqual(keyIDs(r.village(village(1))), [id(1)])
        XCTAssertEqual(keyIDs(r.village(village(2))), [id(10)])
        XCTAssertEqual(r.keyEnterprises.map(\.villageCode), [village(1), village(2)])
    }

    // MARK: ties

    func testTiesAtTheBoundaryAreAllListed() {
        // 10 enterprises → quota 2. One extremely severe; then three with identical records.
        var c = [enterprise(1, [hazard(.extremelySevere)])]
        c += (2...4).map { n in enterprise(n, [hazard(.serious)]) }
        c += (5...10).map { n in enterprise(n, [hazard(.general, secondsLater: n)]) }
        let v = rank(c).village(village(1))!
        XCTAssertEqual(v.quota, 2)
        XCTAssertEqual(v.entries.map(\.rank), [1, 2, 2, 2, 5, 6, 7, 8, 9, 10])
        XCTAssertEqual(keyIDs(v), [id(1), id(2), id(3), id(4)])
        XCTAssertEqual(v.reason, "4 listed for a quota of 2: enterprises tied at the boundary are all listed")
    }

    func testTieAboveTheBoundaryDoesNotExtendTheList() {
        // 7 enterprises → quota 2; the two worst tie with each other, the third is below.
        var c = (1...2).map { n in enterprise(n, [hazard(.serious)]) }
        c += (3...7).map { n in enterprise(n, [hazard(.general, secondsLater: n)]) }
        let v = rank(c).village(village(1))!
        XCTAssertEqual(v.entries.map(\.rank), [1, 1, 3, 4, 5, 6, 7])
        XCTAssertEqual(keyIDs(v), [id(1), id(2)])
        XCTAssertNil(v.reason)
    }

    func testEqualScoresBrokenByOverdueDaysThenOldestHazard() {
        // 7 enterprises → quota 2. Scores: 90 | 40 | 40 | 40 | 10…
        let c = [
            enterprise(1, [hazard(.extremelySevere)]),
            // 40 points, no overdue days, found 11-01
            enterprise(2, Array(repeating: hazard(.general), count: 4)),
            // 40 points, one general hazard 45 days overdue (capped at 30 in points)
            enterprise(3, [hazard(.general, due: "2026-10-17")]),
            // 40 points, 30 overdue days
            enterprise(4, [hazard(.general, due: "2026-11-01")]),
            enterprise(5, [hazard(.general)]), enterprise(6, [hazard(.general)]), enterprise(7, []),
        ]
        let v = rank(c).village(village(1))!
        XCTAssertEqual(v.entries.prefix(4).map(\.subjectId), [id(1), id(3), id(4), id(2)])
        XCTAssertEqual(v.entries.prefix(4).map(\.score.points), [90, 40, 40, 40])
        XCTAssertEqual(v.entries.prefix(4).map(\.score.overdueDays), [0, 45, 30, 0])
        XCTAssertEqual(keyIDs(v), [id(1), id(3)])

        // Same score and overdue days: the enterprise whose open hazard is older is worse.
        let d = [
            enterprise(1, [hazard(.extremelySevere)]),
            enterprise(2, [hazard(.serious, found: "2026-10-20")]),
            enterprise(3, [hazard(.serious, found: "2026-09-15"), hazard(.general, found: "2026-01-01", state: .rectified)]),
            enterprise(4, [hazard(.general)]), enterprise(5, [hazard(.general)]), enterprise(6, []), enterprise(7, []),
        ]
        let w = rank(d).village(village(1))!
        XCTAssertEqual(keyIDs(w), [id(1), id(3)])
        XCTAssertEqual(w.entries[1].score.oldestOpenFoundAt, day("2026-09-15").startUTC.addingTimeInterval(9 * 3600))
        XCTAssertEqual(w.entries.map(\.rank), [1, 2, 3, 4, 4, 6, 6])
    }

    func testOrderDoesNotDependOnInputOrder() {
        var c = (1...30).map { n in enterprise(n, Array(repeating: hazard(.general), count: n % 4)) }
        let forward = rank(c)
        c.reverse()
        XCTAssertEqual(rank(c), forward)
        c.swapAt(0, 17)
        XCTAssertEqual(rank(c), forward)
        // 30 → quota 5; seven enterprises have 3 hazards (n = 3, 7, …, 27): all tied, all listed.
        let v = forward.village(village(1))!
        XCTAssertEqual(v.quota, 5)
        XCTAssertEqual(keyIDs(v), [3, 7, 11, 15, 19, 23, 27].map(id))
    }

    // MARK: zero

    func testAllZeroScoresListNobody() {
        let c = (1...8).map { n in enterprise(n, n % 2 == 0 ? [hazard(.serious, state: .rectified)] : []) }
        let v = rank(c).village(village(1))!
        XCTAssertEqual(v.status, .ranked)
        XCTAssertEqual(v.quota, 2)
        XCTAssertEqual(v.keyEnterprises, [])
        XCTAssertEqual(Set(v.entries.map(\.rank)), [1])
        XCTAssertEqual(v.reason, "0 listed for a quota of 2: only 0 enterprises have open hazards")
    }

    func testZeroScoreNeverListedEvenBelowQuota() {
        // 20 → quota 3, but only one enterprise has an open hazard.
        let c = (1...20).map { n in enterprise(n, n == 9 ? [hazard(.general)] : []) }
        let v = rank(c).village(village(1))!
        XCTAssertEqual(v.quota, 3)
        XCTAssertEqual(keyIDs(v), [id(9)])
        XCTAssertEqual(v.entries.map(\.rank).prefix(3), [1, 2, 2])
        XCTAssertEqual(v.reason, "1 listed for a quota of 3: only 1 enterprise has open hazards")
    }

    // MARK: bad input

    func testRefusesDuplicateIdsAndBadVillageCodes() {
        XCTAssertThrowsError(try KeyHazardRanking.rank([enterprise(1, []), enterprise(2, []), enterprise(1, [])], asOf: asOf)) {
            XCTAssertEqual(($0 as? DomainError)?.field, "candidates[2].subjectId")
        }
        let bad = KeyHazardRanking.Candidate(subjectId: id(1), villageCode: "33010911320", hazards: [])
        XCTAssertThrowsError(try KeyHazardRanking.rank([bad], asOf: asOf)) {
            XCTAssertEqual(($0 as? DomainError)?.field, "candidates[0].villageCode")
            XCTAssertEqual(($0 as? DomainError)?.kind, .invalid)
        }
    }

    // MARK: history

    func testDiffNamesWhoEnteredAndLeft() {
        // Previous: village 1 (10 enterprises, quota 2) lists 1 and 2; village 2 (5) lists 20;
        // village 3 (5) lists 30.
        func v1(_ worst: [Int], closed: Set<Int> = []) -> [KeyHazardRanking.Candidate] {
            (1...10).map { n in
                KeyHazardRanking.Candidate(subjectId: id(n), villageCode: village(1), closedDown: closed.contains(n),
                                           hazards: worst.contains(n) ? [hazard(.extremelySevere, secondsLater: n)] : [hazard(.general, secondsLater: n)])
            }
        }
        func small(_ v: Int, _ ids: ClosedRange<Int>) -> [KeyHazardRanking.Candidate] {
            ids.map { n in enterprise(n, in: v, Array(repeating: hazard(.general), count: n - ids.lowerBound + 1)) }
        }
        let previous = rank(v1([1, 2]) + small(2, 16...20) + small(3, 26...30), asOf: day("2026-11-01"))
        XCTAssertEqual(previous.keyEnterprises.map(\.entry.subjectId), [id(1), id(2), id(20), id(30)])

        // Current: 2 fixed its hazards and 3 got worse; 1 stays; village 2 lost an enterprise
        // (4 left, not ranked); 30 was closed down.
        var now = v1([1, 3]) + small(2, 17...20) + small(3, 26...30)
        now[now.count - 1] = KeyHazardRanking.Candidate(subjectId: id(30), villageCode: village(3), closedDown: true, hazards: [])
        now.append(enterprise(31, in: 3, Array(repeating: hazard(.general), count: 2)))
        let current = rank(now)
        let change = KeyHazardRanking.diff(from: previous, to: current)
        XCTAssertEqual(change.previousAsOf, day("2026-11-01"))
        XCTAssertEqual(change.currentAsOf, asOf)
        XCTAssertEqual(change.stayed, 1)
        XCTAssertEqual(change.entered.map(\.subjectId), [id(3), id(29)])
        XCTAssertEqual(change.entered.map(\.why), [.rankedIn, .rankedIn])
        XCTAssertEqual(change.entered.map(\.rank), [2, 1])
        XCTAssertEqual(change.entered.map(\.villageCode), [village(1), village(3)])
        XCTAssertEqual(change.left.map(\.subjectId), [id(2), id(20), id(30)])
        XCTAssertEqual(change.left.map(\.why), [.rankedOut, .villageNotRanked, .notRanked])
        XCTAssertEqual(change.left[0].score?.points, 10)
        XCTAssertEqual(change.left[0].rank, 3)
        XCTAssertNil(change.left[1].score)

        let none = KeyHazardRanking.diff(from: current, to: current)
        XCTAssertEqual(none.entered, [])
        XCTAssertEqual(none.left, [])
        XCTAssertEqual(none.stayed, current.keyEnterprises.count)
    }

    func testRankingRoundTripsThroughJSON() throws {
        let r = rank((1...6).map { n in enterprise(n, [hazard(.serious, due: "2026-11-25", secondsLater: n)]) })
        let data = try JSONEncoder().encode(r)
        XCTAssertEqual(try JSONDecoder().decode(KeyHazardRanking.Ranking.self, from: data), r)
    }
}

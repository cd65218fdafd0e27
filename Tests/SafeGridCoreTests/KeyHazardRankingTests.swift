import Foundation
import Testing
@testable import SafeGridCore

@Suite struct KeyHazardRankingTests {
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
            Issue.record("\(error)")
            fatalError()
        }
    }

    private func keyIDs(_ v: KeyHazardRanking.VillageRanking?) -> [UUID] { v?.keyEnterprises.map(\.subjectId) ?? [] }

    // MARK: score

    @Test func severityWeights() {
        #expect(hazard(.general).points(asOf: asOf) == 10)
        #expect(hazard(.serious).points(asOf: asOf) == 30)
        #expect(hazard(.extremelySevere).points(asOf: asOf) == 90)
        let s = KeyHazardRanking.score([hazard(.general), hazard(.serious), hazard(.extremelySevere), hazard(.general)], asOf: asOf)
        #expect(s.points == 140)
        #expect(s.openHazards == 4)
        #expect(s.overdueHazards == 0)
        #expect(s.overdueDays == 0)
    }

    @Test func onlyOpenHazardsCount() {
        #expect(hazard(.serious, state: .rectifying).points(asOf: asOf) == 30)
        #expect(hazard(.serious, state: .rebound).points(asOf: asOf) == 30)
        #expect(hazard(.serious, state: .rectified).points(asOf: asOf) == 0)
        #expect(hazard(.extremelySevere, due: "2026-01-01", state: .closedDown).points(asOf: asOf) == 0)
        let s = KeyHazardRanking.score([hazard(.general, state: .rectified), hazard(.general, due: "2026-11-01", state: .rectified)], asOf: asOf)
        #expect(s.points == 0)
        #expect(s.openHazards == 0)
        #expect(s.overdueDays == 0)
        #expect(s.oldestOpenFoundAt == nil)
    }

    @Test func overdueDaysCountInShanghaiCalendarDays() {
        // Due at the end of 11-30; on 12-01 it is one day overdue, on 11-30 not yet.
        #expect(hazard(.general, due: "2026-11-30").overdueDays(asOf: day("2026-12-01")) == 1)
        #expect(hazard(.general, due: "2026-11-30").overdueDays(asOf: day("2026-11-30")) == 0)
        #expect(hazard(.general, due: "2026-12-01").overdueDays(asOf: asOf) == 0)
        #expect(hazard(.general, due: "2026-10-31").overdueDays(asOf: asOf) == 31)
        // A deadline given as an instant late in the UTC day still counts by its Shanghai day.
        let h = KeyHazardRanking.Hazard(severity: .general, state: .open, foundAt: day("2026-11-01").startUTC,
                                        dueAt: try! Timestamp.parse("2026-11-29T16:30:00Z")) // 11-30 00:30 in Shanghai
        #expect(h.overdueDays(asOf: asOf) == 1)
    }

    @Test func overdueDaysIncreaseTheScoreUpToTheCap() {
        // general: 10 + days, capped at 30 days → 40
        #expect(hazard(.general, due: "2026-11-30").points(asOf: asOf) == 11)
        #expect(hazard(.general, due: "2026-11-21").points(asOf: asOf) == 20)
        #expect(hazard(.general, due: "2026-11-01").points(asOf: asOf) == 40)   // 30 days
        #expect(hazard(.general, due: "2026-10-31").points(asOf: asOf) == 40)   // 31 days, capped
        #expect(hazard(.general, due: "2025-12-01").points(asOf: asOf) == 40)   // a year
        // serious: 3 × (10 + d); after 20 days as heavy as a fresh extremely severe hazard.
        #expect(hazard(.serious, due: "2026-11-30").points(asOf: asOf) == 33)
        #expect(hazard(.serious, due: "2026-11-11").points(asOf: asOf) == 90)
        #expect(hazard(.serious, due: "2025-01-01").points(asOf: asOf) == 120)
        #expect(hazard(.extremelySevere, due: "2026-11-30").points(asOf: asOf) == 99)
        #expect(hazard(.extremelySevere, due: "2025-01-01").points(asOf: asOf) == 360)

        var previous = -1
        for d in 0...30 {
            let p = hazard(.serious, due: "2026-12-01").points(asOf: day("2026-12-01").adding(days: d))
            #expect(p > previous, "day \(d)")
            previous = p
        }
        // The uncapped overdue days still grow (they break ties).
        let old = KeyHazardRanking.score([hazard(.general, due: "2025-12-01")], asOf: asOf)
        #expect(old.points == 40)
        #expect(old.overdueDays == 365)
        #expect(old.overdueHazards == 1)
    }

    @Test func overdueEnterpriseRanksAboveTheSameHazardsOnTime() {
        let r = rank((1...5).map { n in enterprise(n, [hazard(.serious, due: n == 4 ? "2026-11-28" : "2026-12-31")]) })
        let v = r.village(village(1))!
        #expect(v.entries.first?.subjectId == id(4))
        #expect(v.entries.first?.score.points == 39)
        #expect(keyIDs(v) == [id(4)])
    }

    @Test func hazardFromStatus() {
        let status = HazardStatus(state: .rebound, severity: .extremelySevere, dueAt: day("2026-11-29").endUTC)
        let h = KeyHazardRanking.Hazard(status, foundAt: day("2026-10-01").startUTC)
        #expect(h.points(asOf: asOf) == 9 * 12)
    }

    // MARK: rounding

    @Test func quotaIsCeilingOfFifteenPercent() {
        let cases: [(Int, Int)] = [(0, 0), (1, 1), (5, 1), (6, 1), (7, 2), (13, 2), (14, 3), (20, 3), (21, 4),
                                   (39, 6), (40, 6), (100, 15), (101, 16), (2_928, 440), (2_920, 438), (2_921, 439)]
        for (n, q) in cases { #expect(KeyHazardRanking.quota(enterprises: n) == q, "n = \(n)") }
        // 15% of 2,928 is 439.2, not a whole number: the ceiling is 440.
        #expect(2_928 * 15 % 100 == 20)
    }

    /// One village of 2,928 enterprises, all with the same hazard found a second apart: the score
    /// and overdue days tie, the oldest hazard breaks the tie, and exactly ⌈439.2⌉ = 440 are listed.
    @Test func twoThousandNineHundredTwentyEightInOneVillage() {
        let candidates = (0..<2_928).map { n in enterprise(n + 1, [hazard(.general, due: "2026-11-20", secondsLater: n)]) }
        let v = rank(candidates.reversed()).village(village(1))!
        #expect(v.status == .ranked)
        #expect(v.enterpriseCount == 2_928)
        #expect(v.quota == 440)
        #expect(v.keyEnterprises.count == 440)
        #expect(v.reason == nil)
        #expect(keyIDs(v) == (1...440).map(id))
        #expect(v.entries.map(\.rank) == Array(1...2_928))
        #expect(v.entries[439].isKey == true)
        #expect(v.entries[440].isKey == false)
        #expect(v.entries[0].score.points == 21)
    }

    /// The article's 2,928 enterprises over 瓜沥镇's 74 villages and communities (42 of 40 and 32
    /// of 39): each village lists ⌈15%⌉ = 6 (6.0 and 5.85), 444 in all — rounding is per village.
    @Test func twoThousandNineHundredTwentyEightAcrossSeventyFourVillages() {
        var candidates: [KeyHazardRanking.Candidate] = []
        var n = 0
        for v in 1...74 {
            for k in 0..<(v <= 42 ? 40 : 39) {
                n += 1
                // distinct scores within a village: k + 1 general hazards
                candidates.append(enterprise(n, in: v, Array(repeating: hazard(.general), count: k + 1)))
            }
        }
        #expect(candidates.count == 2_928)
        let r = rank(candidates)
        #expect(r.villages.count == 74)
        #expect(r.villages.map(\.quota) == Array(repeating: 6, count: 74))
        #expect(r.keyEnterprises.count == 444)
        #expect(r.villages.allSatisfy { $0.status == .ranked && $0.keyEnterprises.count == 6 })
        // In a village of 39 the six worst have 39…34 hazards.
        #expect(r.village(village(43))!.keyEnterprises.map(\.score.points) == [390, 380, 370, 360, 350, 340])
        #expect(r.villages.map(\.villageCode) == (1...74).map(village))
    }

    // MARK: minimum

    @Test func villageWithThreeEnterprisesIsNotRanked() {
        let r = rank([enterprise(1, [hazard(.extremelySevere)]), enterprise(2, [hazard(.general)]), enterprise(3, [])])
        let v = r.village(village(1))!
        #expect(v.status == .tooFewEnterprises)
        #expect(v.enterpriseCount == 3)
        #expect(v.quota == 0)
        #expect(v.entries == [])
        #expect(v.reason == "3 enterprises; a village needs at least 5 to be ranked")
        #expect(r.keyEnterprises.isEmpty)
    }

    @Test func villageExactlyAtTheMinimumIsRanked() {
        let five = (1...5).map { n in enterprise(n, Array(repeating: hazard(.general), count: n)) }
        let v = rank(five).village(village(1))!
        #expect(v.status == .ranked)
        #expect(v.quota == 1)
        #expect(keyIDs(v) == [id(5)])
        #expect(v.entries.map(\.score.points) == [50, 40, 30, 20, 10])
        #expect(v.entries.map(\.rank) == [1, 2, 3, 4, 5])

        let four = rank(Array(five.prefix(4))).village(village(1))!
        #expect(four.status == .tooFewEnterprises)
        #expect(four.reason == "4 enterprises; a village needs at least 5 to be ranked")
    }

    @Test func onlyOpenEnterprisesAreRankedAndCounted() {
        var c = (1...4).map { n in enterprise(n, [hazard(.general)]) }
        c.append(KeyHazardRanking.Candidate(subjectId: id(5), villageCode: village(1), closedDown: true, hazards: [hazard(.extremelySevere)]))
        c += (6...8).map { n in
            KeyHazardRanking.Candidate(subjectId: id(n), villageCode: village(1), kind: .streetShop, hazards: [hazard(.extremelySevere)])
        }
        let v = rank(c).village(village(1))!
        #expect(v.enterpriseCount == 4)
        #expect(v.status == .tooFewEnterprises)
        #expect(v.reason == "4 enterprises; a village needs at least 5 to be ranked")
        // Only non-enterprises in a village: the village does not appear.
        let shops = rank((1...6).map { KeyHazardRanking.Candidate(subjectId: id($0), villageCode: village(2), kind: .rentalHousing, hazards: []) })
        #expect(shops.villages.isEmpty)
    }

    @Test func villagesAreRankedSeparately() {
        // Village 1's mildest enterprise is worse than anything in village 2; each still lists its own worst.
        let c = (1...5).map { n in enterprise(n, in: 1, [hazard(.extremelySevere, secondsLater: n), hazard(.general, secondsLater: n)]) }
            + (6...10).map { n in enterprise(n, in: 2, Array(repeating: hazard(.general), count: n - 5)) }
        let r = rank(c)
        #expect(keyIDs(r.village(village(1))) == [id(1)])
        #expect(keyIDs(r.village(village(2))) == [id(10)])
        #expect(r.keyEnterprises.map(\.villageCode) == [village(1), village(2)])
    }

    // MARK: ties

    @Test func tiesAtTheBoundaryAreAllListed() {
        // 10 enterprises → quota 2. One extremely severe; then three with identical records.
        var c = [enterprise(1, [hazard(.extremelySevere)])]
        c += (2...4).map { n in enterprise(n, [hazard(.serious)]) }
        c += (5...10).map { n in enterprise(n, [hazard(.general, secondsLater: n)]) }
        let v = rank(c).village(village(1))!
        #expect(v.quota == 2)
        #expect(v.entries.map(\.rank) == [1, 2, 2, 2, 5, 6, 7, 8, 9, 10])
        #expect(keyIDs(v) == [id(1), id(2), id(3), id(4)])
        #expect(v.reason == "4 listed for a quota of 2: enterprises tied at the boundary are all listed")
    }

    @Test func tieAboveTheBoundaryDoesNotExtendTheList() {
        // 7 enterprises → quota 2; the two worst tie with each other, the third is below.
        var c = (1...2).map { n in enterprise(n, [hazard(.serious)]) }
        c += (3...7).map { n in enterprise(n, [hazard(.general, secondsLater: n)]) }
        let v = rank(c).village(village(1))!
        #expect(v.entries.map(\.rank) == [1, 1, 3, 4, 5, 6, 7])
        #expect(keyIDs(v) == [id(1), id(2)])
        #expect(v.reason == nil)
    }

    @Test func equalScoresBrokenByOverdueDaysThenOldestHazard() {
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
        #expect(v.entries.prefix(4).map(\.subjectId) == [id(1), id(3), id(4), id(2)])
        #expect(v.entries.prefix(4).map(\.score.points) == [90, 40, 40, 40])
        #expect(v.entries.prefix(4).map(\.score.overdueDays) == [0, 45, 30, 0])
        #expect(keyIDs(v) == [id(1), id(3)])

        // Same score and overdue days: the enterprise whose open hazard is older is worse.
        let d = [
            enterprise(1, [hazard(.extremelySevere)]),
            enterprise(2, [hazard(.serious, found: "2026-10-20")]),
            enterprise(3, [hazard(.serious, found: "2026-09-15"), hazard(.general, found: "2026-01-01", state: .rectified)]),
            enterprise(4, [hazard(.general)]), enterprise(5, [hazard(.general)]), enterprise(6, []), enterprise(7, []),
        ]
        let w = rank(d).village(village(1))!
        #expect(keyIDs(w) == [id(1), id(3)])
        #expect(w.entries[1].score.oldestOpenFoundAt == day("2026-09-15").startUTC.addingTimeInterval(9 * 3600))
        #expect(w.entries.map(\.rank) == [1, 2, 3, 4, 4, 6, 6])
    }

    @Test func orderDoesNotDependOnInputOrder() {
        var c = (1...30).map { n in enterprise(n, Array(repeating: hazard(.general), count: n % 4)) }
        let forward = rank(c)
        c.reverse()
        #expect(rank(c) == forward)
        c.swapAt(0, 17)
        #expect(rank(c) == forward)
        // 30 → quota 5; seven enterprises have 3 hazards (n = 3, 7, …, 27): all tied, all listed.
        let v = forward.village(village(1))!
        #expect(v.quota == 5)
        #expect(keyIDs(v) == [3, 7, 11, 15, 19, 23, 27].map(id))
    }

    // MARK: zero

    @Test func allZeroScoresListNobody() {
        let c = (1...8).map { n in enterprise(n, n % 2 == 0 ? [hazard(.serious, state: .rectified)] : []) }
        let v = rank(c).village(village(1))!
        #expect(v.status == .ranked)
        #expect(v.quota == 2)
        #expect(v.keyEnterprises == [])
        #expect(Set(v.entries.map(\.rank)) == [1])
        #expect(v.reason == "0 listed for a quota of 2: only 0 enterprises have open hazards")
    }

    @Test func zeroScoreNeverListedEvenBelowQuota() {
        // 20 → quota 3, but only one enterprise has an open hazard.
        let c = (1...20).map { n in enterprise(n, n == 9 ? [hazard(.general)] : []) }
        let v = rank(c).village(village(1))!
        #expect(v.quota == 3)
        #expect(keyIDs(v) == [id(9)])
        #expect(v.entries.map(\.rank).prefix(3) == [1, 2, 2])
        #expect(v.reason == "1 listed for a quota of 3: only 1 enterprise has open hazards")
    }

    // MARK: bad input

    @Test func refusesDuplicateIdsAndBadVillageCodes() {
        if let error = #expect(throws: (any Error).self, performing: { try KeyHazardRanking.rank([enterprise(1, []), enterprise(2, []), enterprise(1, [])], asOf: asOf) }) {
            #expect((error as? DomainError)?.field == "candidates[2].subjectId")
        }
        let bad = KeyHazardRanking.Candidate(subjectId: id(1), villageCode: "33010911320", hazards: [])
        if let error = #expect(throws: (any Error).self, performing: { try KeyHazardRanking.rank([bad], asOf: asOf) }) {
            #expect((error as? DomainError)?.field == "candidates[0].villageCode")
            #expect((error as? DomainError)?.kind == .invalid)
        }
    }

    // MARK: history

    @Test func diffNamesWhoEnteredAndLeft() {
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
        #expect(previous.keyEnterprises.map(\.entry.subjectId) == [id(1), id(2), id(20), id(30)])

        // Current: 2 fixed its hazards and 3 got worse; 1 stays; village 2 lost an enterprise
        // (4 left, not ranked); 30 was closed down.
        var now = v1([1, 3]) + small(2, 17...20) + small(3, 26...30)
        now[now.count - 1] = KeyHazardRanking.Candidate(subjectId: id(30), villageCode: village(3), closedDown: true, hazards: [])
        now.append(enterprise(31, in: 3, Array(repeating: hazard(.general), count: 2)))
        let current = rank(now)
        let change = KeyHazardRanking.diff(from: previous, to: current)
        #expect(change.previousAsOf == day("2026-11-01"))
        #expect(change.currentAsOf == asOf)
        #expect(change.stayed == 1)
        #expect(change.entered.map(\.subjectId) == [id(3), id(29)])
        #expect(change.entered.map(\.why) == [.rankedIn, .rankedIn])
        #expect(change.entered.map(\.rank) == [2, 1])
        #expect(change.entered.map(\.villageCode) == [village(1), village(3)])
        #expect(change.left.map(\.subjectId) == [id(2), id(20), id(30)])
        #expect(change.left.map(\.why) == [.rankedOut, .villageNotRanked, .notRanked])
        #expect(change.left[0].score?.points == 10)
        #expect(change.left[0].rank == 3)
        #expect(change.left[1].score == nil)

        let none = KeyHazardRanking.diff(from: current, to: current)
        #expect(none.entered == [])
        #expect(none.left == [])
        #expect(none.stayed == current.keyEnterprises.count)
    }

    @Test func rankingRoundTripsThroughJSON() throws {
        let r = rank((1...6).map { n in enterprise(n, [hazard(.serious, due: "2026-11-25", secondsLater: n)]) })
        let data = try JSONEncoder().encode(r)
        #expect(try JSONDecoder().decode(KeyHazardRanking.Ranking.self, from: data) == r)
    }
}

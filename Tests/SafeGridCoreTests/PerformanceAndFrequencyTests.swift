import Foundation
import Testing
@testable import SafeGridCore

@Suite struct PerformanceScoreTests {
    private func score(_ inputs: PerformanceInputs) -> PerformanceScore {
        do { return try PerformanceScore(inputs) } catch {
            Issue.record("\(error)")
            fatalError()
        }
    }

    private func field(_ inputs: PerformanceInputs) -> String? {
        do {
            _ = try PerformanceScore(inputs)
            return nil
        } catch {
            return error.field
        }
    }

    @Test func publishedWeightsSumToOneHundred() {
        #expect(PerformanceScore.Component.allCases.map(\.weight) == [30, 20, 10, 20, 20])
        #expect(PerformanceScore.Component.allCases.reduce(0) { $0 + $1.weight } == 100)
    }

    @Test func everythingDoneIsOneHundredAndA() {
        let s = score(PerformanceInputs(tasksDue: 40, tasksDoneOnTime: 40, hazardsReported: 12, reportsConfirmed: 12,
                                        reportQuota: 10, reinspectionsDue: 8, reinspectionsDoneOnTime: 8,
                                        areaRectification: RectificationRate(found: 30, rectified: 30)))
        #expect(s.basisPoints == 10_000)
        #expect(s.description == "100.00")
        #expect(s.grade == .A)
        #expect(s.parts.count == 5)
        #expect(s.omitted == [])
        // A quota exceeded counts as met, not more.
        #expect(s.parts.first { $0.component == .reportQuota }?.basisPoints == 10_000)
    }

    @Test func composite() {
        // 90.00 × 30 + 75.00 × 20 + 60.00 × 10 + 50.00 × 20 + 33.99 × 20 = 6479.80 → 64.80
        let s = score(PerformanceInputs(tasksDue: 10, tasksDoneOnTime: 9, hazardsReported: 5, reportsConfirmed: 3,
                                        reportsRejected: 1, reportQuota: 5, reinspectionsDue: 2, reinspectionsDoneOnTime: 1,
                                        areaRectification: RectificationRate(found: 16_241, rectified: 5_521)))
        #expect(s.parts.map(\.basisPoints) == [9_000, 7_500, 6_000, 5_000, 3_399])
        #expect(s.basisPoints == 6_480)
        #expect(s.description == "64.80")
        #expect(abs(s.points! - 64.8) <= 1e-12)
        #expect(s.grade == .C)
    }

    @Test func pendingReportsDoNotLowerTheValidRate() {
        // 10 reported: 4 confirmed, 1 rejected, 5 awaiting a decision → 4 ÷ 5.
        let s = score(PerformanceInputs(hazardsReported: 10, reportsConfirmed: 4, reportsRejected: 1))
        #expect(s.parts.map(\.component) == [.validReports])
        #expect(s.parts[0].numerator == 4)
        #expect(s.parts[0].denominator == 5)
        #expect(s.basisPoints == 8_000)
        #expect(s.grade == .B)
    }

    @Test func quotaCountsConfirmedReportsOnly() {
        let s = score(PerformanceInputs(hazardsReported: 20, reportsConfirmed: 2, reportsRejected: 18, reportQuota: 8))
        #expect(s.parts.first { $0.component == .reportQuota }?.basisPoints == 2_500)
        #expect(s.parts.first { $0.component == .validReports }?.basisPoints == 1_000)
        // (10 × 2500 + 20 × 1000) ÷ 30 = 1500
        #expect(s.basisPoints == 1_500)
        #expect(s.grade == .E)
    }

    @Test func emptyComponentsAreLeftOutAndWeightsRenormalised() {
        // Only tasks (30) and valid reports (20): 100% and 0% → 30 ÷ 50 = 60.00.
        let s = score(PerformanceInputs(tasksDue: 3, tasksDoneOnTime: 3, hazardsReported: 1, reportsRejected: 1, reportQuota: 0))
        #expect(s.omitted == [.reportQuota, .reinspectionsOnTime, .rectificationRate])
        #expect(s.basisPoints == 6_000)
        #expect(s.grade == .C)
        #expect(s.effectiveWeightBasisPoints(.tasksOnTime) == 6_000)
        #expect(s.effectiveWeightBasisPoints(.validReports) == 4_000)
        #expect(s.effectiveWeightBasisPoints(.rectificationRate) == 0)
        // A village where no hazard was found has no rectification component (not 0%).
        let v = score(PerformanceInputs(tasksDue: 10, tasksDoneOnTime: 10, areaRectification: RectificationRate(found: 0, rectified: 0)))
        #expect(v.basisPoints == 10_000)
        #expect(v.omitted.contains(.rectificationRate))
        // No quota (nil) and quota 0 are the same.
        #expect(score(PerformanceInputs(hazardsReported: 1, reportsConfirmed: 1, reportQuota: nil)).omitted ==
                score(PerformanceInputs(hazardsReported: 1, reportsConfirmed: 1, reportQuota: 0)).omitted)
    }

    @Test func noWorkAtAllHasNoScore() {
        let s = score(PerformanceInputs())
        #expect(s.basisPoints == nil)
        #expect(s.grade == nil)
        #expect(s.points == nil)
        #expect(s.description == "—")
        #expect(s.parts == [])
        #expect(s.omitted == PerformanceScore.Component.allCases)
        // Reports still awaiting a decision are not work to score yet.
        #expect(score(PerformanceInputs(hazardsReported: 7)).basisPoints == nil)
    }

    @Test func gradeBoundaries() {
        let cases: [(Int, PerformanceGrade)] = [
            (10_000, .A), (9_000, .A), (8_999, .B), (7_500, .B), (7_499, .C), (6_000, .C), (5_999, .D),
            (4_000, .D), (3_999, .E), (0, .E),
        ]
        for (bp, grade) in cases { #expect(PerformanceGrade(basisPoints: bp) == grade, "\(bp)") }
        #expect(PerformanceGrade.allCases.map(\.minimumBasisPoints) == [9_000, 7_500, 6_000, 4_000, 0])
    }

    @Test func gradesFromScoresAtEachBoundary() {
        // tasks only: done ÷ due in hundredths of a percent is the score.
        let cases: [(Int, Int, String, PerformanceGrade)] = [
            (8_999, 10_000, "89.99", .B), (9_000, 10_000, "90.00", .A),
            (7_499, 10_000, "74.99", .C), (3, 4, "75.00", .B),
            (5_999, 10_000, "59.99", .D), (3, 5, "60.00", .C),
            (3_999, 10_000, "39.99", .E), (2, 5, "40.00", .D),
            // 89.995% rounds half up to 90.00 and is graded A: the grade reads the published score.
            (17_999, 20_000, "90.00", .A),
            // 89.9945% rounds to 89.99: B.
            (179_989, 200_000, "89.99", .B),
            // 2 of 3 = 66.666…% → 66.67
            (2, 3, "66.67", .C),
        ]
        for (done, due, text, grade) in cases {
            let s = score(PerformanceInputs(tasksDue: due, tasksDoneOnTime: done))
            #expect(s.description == text, "\(done)/\(due)")
            #expect(s.grade == grade, "\(done)/\(due)")
        }
    }

    @Test func compositeRoundsHalfUpOnce() {
        // tasks 2/3 → 6667, re-inspections 1/3 → 3333: (30 × 6667 + 20 × 3333) ÷ 50 = 5333.4 → 5333.
        let s = score(PerformanceInputs(tasksDue: 3, tasksDoneOnTime: 2, reinspectionsDue: 3, reinspectionsDoneOnTime: 1))
        #expect(s.basisPoints == 5_333)
        // tasks 1/2 (5000) and rectification 1/1 (10000), weights 30 and 20: 350000 ÷ 50 = 7000.
        #expect(score(PerformanceInputs(tasksDue: 2, tasksDoneOnTime: 1,
                                        areaRectification: RectificationRate(found: 1, rectified: 1))).basisPoints == 7_000)
        // tasks 8999/10000 (30) and valid reports 9001/10000 (20): (269970 + 180020) ÷ 50 = 8999.8 → 9000 → A
        let t = score(PerformanceInputs(tasksDue: 10_000, tasksDoneOnTime: 8_999, hazardsReported: 10_000,
                                        reportsConfirmed: 9_001, reportsRejected: 999))
        #expect(t.basisPoints == 9_000)
        #expect(t.grade == .A)
    }

    @Test func refusesImpossibleInputs() {
        #expect(field(PerformanceInputs(tasksDue: -1)) == "tasksDue")
        #expect(field(PerformanceInputs(tasksDue: 2, tasksDoneOnTime: 3)) == "tasksDoneOnTime")
        #expect(field(PerformanceInputs(hazardsReported: 3, reportsConfirmed: 2, reportsRejected: 2)) == "reportsConfirmed")
        #expect(field(PerformanceInputs(reportQuota: -5)) == "reportQuota")
        #expect(field(PerformanceInputs(reinspectionsDue: 1, reinspectionsDoneOnTime: 2)) == "reinspectionsDoneOnTime")
        #expect(field(PerformanceInputs(areaRectification: RectificationRate(found: 3, rectified: 4))) == "areaRectification.rectified")
        #expect(field(PerformanceInputs(areaRectification: RectificationRate(found: -3, rectified: 0))) == "areaRectification.found")
    }

    @Test func ranking() throws {
        let a = score(PerformanceInputs(tasksDue: 10, tasksDoneOnTime: 9))
        let b = score(PerformanceInputs(tasksDue: 20, tasksDoneOnTime: 18))
        let c = score(PerformanceInputs(tasksDue: 10, tasksDoneOnTime: 10))
        let d = score(PerformanceInputs(tasksDue: 10, tasksDoneOnTime: 5))
        let none = score(PerformanceInputs())
        let places = PerformanceScore.ranked(["张敏": a, "李伟": b, "王芳": c, "赵强": d, "周婷": none, "陈晨": none])
        // 王芳 100; 张敏 and 李伟 tied at 90, by key; 赵强 50; then those without a score, by key.
        #expect(places.map(\.key) == ["王芳", "张敏", "李伟", "赵强", "周婷", "陈晨"])
        #expect(places.map(\.rank) == [1, 2, 2, 4, nil, nil])
    }
}

@Suite struct InspectionFrequencyTests {
    private func day(_ s: String) -> CalendarDate { try! CalendarDate(s) }
    private func id(_ n: Int) -> UUID {
        UUID(uuidString: String(format: "00000000-0000-0000-0000-%012d", n))!
    }
    private let grid = "33010911320101"
    private let microGrid = "33010911320101001"

    @Test func defaultIntervalPerKind() {
        #expect(InspectionFrequency.defaultIntervalDays(for: .rentalHousing) == 30)
        #expect(InspectionFrequency.defaultIntervalDays(for: .smallMicroPark) == 30)
        #expect(InspectionFrequency.defaultIntervalDays(for: .enterprise) == 60)
        #expect(InspectionFrequency.defaultIntervalDays(for: .streetShop) == 90)
        #expect(InspectionFrequency.risk(of: .rentalHousing) == .high)
        #expect(InspectionFrequency.risk(of: .enterprise) == .moderate)
        #expect(InspectionFrequency.risk(of: .streetShop) == .low)
        // NFPA 1730's 1 : 2 : 3.
        #expect(OccupancyRisk.allCases.map(\.intervalDays) == [30, 60, 90])
    }

    @Test func shortenedForKeyEnterprisesAndOpenSeriousHazards() {
        func interval(_ kind: SubjectKind, key: Bool = false, _ worst: Severity? = nil) -> (Int, InspectionFrequency.Reason) {
            let r = InspectionFrequency.interval(kind: kind, isKeyHazardEnterprise: key, worstOpenSeverity: worst)
            return (r.days, r.reason)
        }
        #expect(interval(.enterprise) == (60, .routine))
        #expect(interval(.enterprise, .general) == (60, .routine))
        #expect(interval(.enterprise, key: true) == (7, .keyHazardEnterprise))
        #expect(interval(.enterprise, .serious) == (14, .openSeriousHazard))
        #expect(interval(.enterprise, .extremelySevere) == (7, .openExtremelySevereHazard))
        #expect(interval(.enterprise, key: true, .serious) == (7, .keyHazardEnterprise))
        #expect(interval(.enterprise, key: true, .extremelySevere) == (7, .keyHazardEnterprise))
        #expect(interval(.streetShop, .serious) == (14, .openSeriousHazard))
        #expect(interval(.rentalHousing, .general) == (30, .routine))
        #expect(interval(.smallMicroPark, .extremelySevere) == (7, .openExtremelySevereHazard))
        // The key enterprise's interval is shorter than any enterprise default.
        #expect(InspectionFrequency.keyHazardEnterpriseDays < InspectionFrequency.defaultIntervalDays(for: .enterprise))
    }

    @Test func nextDueAcrossMonthAndYearEnds() {
        #expect(InspectionFrequency.nextDue(lastInspectedOn: day("2026-11-20"), intervalDays: 14) == day("2026-12-04"))
        #expect(InspectionFrequency.nextDue(lastInspectedOn: day("2026-11-28"), intervalDays: 7) == day("2026-12-05"))
        #expect(InspectionFrequency.nextDue(lastInspectedOn: day("2026-12-15"), intervalDays: 60) == day("2027-02-13"))
        #expect(InspectionFrequency.nextDue(lastInspectedOn: day("2028-02-25"), intervalDays: 7) == day("2028-03-03"))
        #expect(InspectionFrequency.nextDue(lastInspectedOn: day("2027-02-25"), intervalDays: 7) == day("2027-03-04"))
        #expect(InspectionFrequency.nextDue(lastInspectedOn: day("2026-01-31"), intervalDays: 30) == day("2026-03-02"))
    }

    @Test func nextDueCountsFromTheShanghaiDayOfTheVisit() throws {
        // 23:30 Beijing time on 11-30 is still 11-30.
        let late = try Timestamp.parse("2026-11-30T23:30:00+08:00")
        #expect(InspectionFrequency.nextDue(lastInspectedAt: late, intervalDays: 7) == day("2026-12-07"))
        // 16:30 UTC on 11-30 is 00:30 on 12-01 in Shanghai.
        let utc = try Timestamp.parse("2026-11-30T16:30:00Z")
        #expect(InspectionFrequency.nextDue(lastInspectedAt: utc, intervalDays: 7) == day("2026-12-08"))
        // 15:59:59 UTC on 11-30 is 23:59:59 on 11-30.
        let edge = try Timestamp.parse("2026-11-30T15:59:59Z")
        #expect(InspectionFrequency.nextDue(lastInspectedAt: edge, intervalDays: 1) == day("2026-12-01"))
    }

    @Test func taskListForAPeriod() throws {
        let s: [InspectionFrequency.TaskSubject] = [
            // routine enterprise: 10-05 + 60 = 12-04
            .init(subjectId: id(1), kind: .enterprise, areaCode: microGrid, lastInspectedOn: day("2026-10-05")),
            // routine enterprise: 10-20 + 60 = 12-19, after the period
            .init(subjectId: id(2), kind: .enterprise, areaCode: microGrid, lastInspectedOn: day("2026-10-20")),
            // the same but key: 10-20 + 7 = 10-27, behind → due on the period's first day
            .init(subjectId: id(3), kind: .enterprise, areaCode: grid, lastInspectedOn: day("2026-10-20"), isKeyHazardEnterprise: true),
            // never inspected: due on the first day
            .init(subjectId: id(4), kind: .streetShop, areaCode: microGrid, lastInspectedOn: nil),
            // closed down: none
            .init(subjectId: id(5), kind: .enterprise, areaCode: microGrid, lastInspectedOn: day("2026-01-05"), closedDown: true),
            // already has an open task: none
            .init(subjectId: id(6), kind: .rentalHousing, areaCode: microGrid, lastInspectedOn: day("2026-10-01")),
            // rental housing: 11-05 + 30 = 12-05
            .init(subjectId: id(7), kind: .rentalHousing, areaCode: microGrid, lastInspectedOn: day("2026-11-05")),
            // open serious hazard: 11-23 + 14 = 12-07, the period's last day
            .init(subjectId: id(8), kind: .enterprise, areaCode: grid, lastInspectedOn: day("2026-11-23"), worstOpenSeverity: .serious),
            // open serious hazard: 11-24 + 14 = 12-08, after
            .init(subjectId: id(9), kind: .enterprise, areaCode: grid, lastInspectedOn: day("2026-11-24"), worstOpenSeverity: .serious),
        ]
        let tasks = try InspectionFrequency.tasks(for: s, from: day("2026-12-01"), through: day("2026-12-07"),
                                                  openTaskSubjectIds: [id(6)])
        #expect(tasks.map(\.subjectId) == [id(3), id(4), id(1), id(7), id(8)])
        #expect(tasks.map(\.dueOn) == ["2026-12-01", "2026-12-01", "2026-12-04", "2026-12-05", "2026-12-07"].map(day))
        #expect(tasks.map(\.scheduledOn) == [day("2026-10-27"), nil, day("2026-12-04"), day("2026-12-05"), day("2026-12-07")])
        #expect(tasks.map(\.isCatchUp) == [true, true, false, false, false])
        #expect(tasks.map(\.intervalDays) == [7, 90, 60, 30, 14])
        #expect(tasks.map(\.reason) == [.keyHazardEnterprise, .routine, .routine, .routine, .openSeriousHazard])
        #expect(tasks[0].areaCode == grid)

        // Generating again with the new tasks open duplicates none of them.
        let again = try InspectionFrequency.tasks(for: s, from: day("2026-12-01"), through: day("2026-12-07"),
                                                  openTaskSubjectIds: Set(tasks.map(\.subjectId)).union([id(6)]))
        #expect(again == [])
    }

    @Test func taskListRefusesBadInput() throws {
        let a = InspectionFrequency.TaskSubject(subjectId: id(1), kind: .enterprise, areaCode: grid, lastInspectedOn: nil)
        func field(_ body: () throws -> Void) -> String? {
            do { try body(); return nil } catch { return (error as? DomainError)?.field }
        }
        #expect(field { _ = try InspectionFrequency.tasks(for: [a], from: day("2026-12-02"), through: day("2026-12-01")) } == "through")
        #expect(field { _ = try InspectionFrequency.tasks(for: [a, a], from: day("2026-12-01"), through: day("2026-12-01")) } ==
                "subjects[1].subjectId")
        let village = InspectionFrequency.TaskSubject(subjectId: id(2), kind: .enterprise, areaCode: "330109113201", lastInspectedOn: nil)
        #expect(field { _ = try InspectionFrequency.tasks(for: [a, village], from: day("2026-12-01"), through: day("2026-12-01")) } ==
                "subjects[1].areaCode")
        // A one-day period is fine.
        #expect(try InspectionFrequency.tasks(for: [a], from: day("2026-12-01"), through: day("2026-12-01")).count == 1)
    }

    @Test func haversineDistance() throws {
        let a = try GeoPoint(latitude: 30.0, longitude: 120.0, datum: .wgs84)
        let b = try GeoPoint(latitude: 31.0, longitude: 120.0, datum: .wgs84)
        // One degree of latitude on the IUGG mean sphere: 6,371,008.8 × π / 180.
        #expect(abs(a.distanceMetres(to: b) - 111_195.08) <= 0.01)
        #expect(abs(b.distanceMetres(to: a) - a.distanceMetres(to: b)) <= 1e-6)
        #expect(a.distanceMetres(to: a) == 0)
        // One degree of longitude at 30° N: the great circle (96,297.46 m) is a little shorter
        // than the arc along the parallel (R × cos 30° × π/180 = 96,297.76 m).
        let c = try GeoPoint(latitude: 30.0, longitude: 121.0, datum: .wgs84)
        #expect(abs(a.distanceMetres(to: c) - 96_297.46) <= 0.01)
        #expect(a.distanceMetres(to: c) < 6_371_008.8 * cos(Double.pi / 6) * Double.pi / 180)
        // The same place given in GCJ-02 is (almost) 0 m away, not the ~500 m datum shift.
        let guali = try GeoPoint(latitude: 30.18, longitude: 120.46, datum: .wgs84)
        let gualiGCJ = guali.converted(to: .gcj02)
        #expect(abs(gualiGCJ.longitude - guali.longitude) > 0.003)
        #expect(guali.distanceMetres(to: gualiGCJ) < 0.05)
    }

    @Test func nearestFirst() throws {
        let here = try GeoPoint(latitude: 30.18, longitude: 120.46, datum: .wgs84)
        let places: [(String, GeoPoint?)] = [
            ("far", try GeoPoint(latitude: 30.20, longitude: 120.46, datum: .wgs84)),     // ~2.2 km
            ("none", nil),
            ("near", try GeoPoint(latitude: 30.181, longitude: 120.46, datum: .wgs84)),   // ~111 m
            ("mid", try GeoPoint(latitude: 30.18, longitude: 120.47, datum: .gcj02)),     // GCJ-02, ~500 m east of `here`'s GCJ
            ("none2", nil),
            ("near-twin", try GeoPoint(latitude: 30.181, longitude: 120.46, datum: .wgs84)),
        ]
        let ordered = InspectionFrequency.nearestFirst(places, from: here) { $0.1 }
        #expect(ordered.map(\.item.0) == ["near", "near-twin", "mid", "far", "none", "none2"])
        #expect(abs(ordered[0].metres! - 111.195) <= 0.01)
        #expect(ordered[4].metres == nil)
        #expect(InspectionFrequency.nearestFirst([Int](), from: here) { _ in nil }.count == 0)
    }
}

import Foundation
import Testing
@testable import SafeGridCore

@Suite struct InspectionRulesTests {
    /// 2024-10-16T09:30:00+08:00.
    private let visit = Date(timeIntervalSince1970: 1_729_042_200)
    private let team = [TeamMember(name: "王建国", department: .fireRescue),
                        TeamMember(name: "李芳", department: .emergencyManagement)]
    private let checklist: Checklist

    init() throws {
        checklist = try Checklist.bundledDefault()
    }

    /// Sequential, recognisable ids: 1 is the inspection, 2… the hazards.
    private final class IDs {
        var n = 0
        func next() -> UUID {
            n += 1
            return UUID(uuidString: String(format: "00000000-0000-4000-8000-%012d", n))!
        }
    }

    private func id(_ n: Int) -> UUID { UUID(uuidString: String(format: "00000000-0000-4000-8000-%012d", n))! }

    private func plan(_ results: [ItemResult], kind: SubjectKind = .enterprise, closedDown: Bool = false,
                      at: Date? = nil, now: Date? = nil, team: [TeamMember]? = nil,
                      inspector: String = "王建国") throws(DomainError) -> InspectionPlan {
        let ids = IDs()
        let at = at ?? visit
        return try InspectionRules.plan(subjectKind: kind, subjectClosedDown: closedDown, checklist: checklist,
                                        inspectedAt: at, team: team ?? self.team, inspector: inspector,
                                        results: results, now: now ?? at.addingTimeInterval(3600),
                                        makeID: { ids.next() })
    }

    private func refusal(_ results: [ItemResult], kind: SubjectKind = .enterprise, closedDown: Bool = false,
                         at: Date? = nil, now: Date? = nil, team: [TeamMember]? = nil,
                         inspector: String = "王建国") -> DomainError? {
        do {
            _ = try plan(results, kind: kind, closedDown: closedDown, at: at, now: now, team: team, inspector: inspector)
            return nil
        } catch {
            return error
        }
    }

    private func hazard(_ code: String, severity: Severity? = nil, dueOn: String? = nil,
                        onSite: Bool = false) -> ItemResult {
        ItemResult(itemCode: code, outcome: .hazard, note: "现场发现", photos: ["p-\(code).jpg"], severity: severity,
                   dueOn: dueOn.map { try! CalendarDate($0) }, rectifiedOnSite: onSite)
    }

    @Test func bundledItemsUsedHere() throws {
        // Anchors for the expectations below.
        let expected: [(String, Severity, Int)] = [("ELEC-04", .general, 7), ("FIRE-04", .serious, 15),
                                                   ("ELEC-02", .general, 0), ("FIRE-01", .serious, 3),
                                                   ("BLDG-01", .extremelySevere, 90)]
        for (code, severity, days) in expected {
            let item = try #require(checklist.item(code), "\(code)")
            #expect(item.defaultSeverity == severity, "\(code)")
            #expect(item.defaultDays == days, "\(code)")
            #expect(item.applies(to: .enterprise), "\(code)")
        }
        #expect(!(try #require(checklist.item("MGMT-06")).applies(to: .enterprise)))
        #expect(try #require(checklist.item("MGMT-06")).applies(to: .rentalHousing))
    }

    @Test func validPlan() throws {
        let results = [
            hazard("ELEC-04"),
            ItemResult(itemCode: "ELEC-01", outcome: .pass),
            hazard("FIRE-04"),
            ItemResult(itemCode: "GAS-01", outcome: .notApplicable),
            hazard("BLDG-01"),
            hazard("FIRE-01"),
        ]
        let p = try plan(results)
        #expect(p.id == id(1))
        #expect(p.inspectedAt == visit)
        #expect(p.inspector == "王建国")
        #expect(p.team == team)
        #expect(p.checklistVersion == checklist.version)
        #expect(p.results == results)
        #expect(p.hazards.map(\.itemCode) == ["ELEC-04", "FIRE-04", "BLDG-01", "FIRE-01"])
        #expect(p.hazards.map(\.id) == [id(2), id(3), id(4), id(5)])
        #expect(p.hazards.map(\.status.severity) == [.general, .serious, .extremelySevere, .serious])
        // 2024-10-23, 2024-10-31, 2025-01-14, 2024-10-19 at 23:59:59 +08:00.
        #expect(p.hazards.map(\.status.dueAt.timeIntervalSince1970) ==
                [1_729_699_199, 1_730_390_399, 1_736_870_399, 1_729_353_599])
        for h in p.hazards {
            let item = try #require(checklist.item(h.itemCode))
            #expect(h.status.dueAt == Deadline.due(foundAt: visit, days: item.defaultDays), "\(h.itemCode)")
            #expect(h.status.severity == item.defaultSeverity, "\(h.itemCode)")
            #expect(h.status.state == .open)
            #expect(h.status.version == 1)
            #expect(h.status.reboundCount == 0)
            #expect(h.status.rectifiedAt == nil)
            #expect(h.department == item.department)
            #expect(h.category == item.category)
            #expect(h.mode == .byDeadline)
            #expect(h.inspectionID == p.id)
            #expect(h.foundAt == visit)
            #expect(h.note == "现场发现")
            #expect(h.photos == ["p-\(h.itemCode).jpg"])
            #expect(h.events.count == 1)
            #expect(h.events[0].kind == .found)
            #expect(h.events[0].fromState == nil)
            #expect(h.events[0].toState == .open)
            #expect(h.events[0].actor == "王建国")
            #expect(h.events[0].occurredAt == visit)
            #expect(h.events[0].dueAt == h.status.dueAt)
        }
    }

    @Test func severityAndDeadlineOverrides() throws {
        let p = try plan([hazard("ELEC-04", severity: .extremelySevere, dueOn: "2024-11-01"),
                          hazard("FIRE-01", dueOn: "2024-10-16")])
        #expect(p.hazards[0].status.severity == .extremelySevere)
        #expect(try p.hazards[0].status.dueAt == CalendarDate("2024-11-01").endUTC)
        #expect(p.hazards[0].mode == .byDeadline)
        // Due the day of the visit → fixed on the spot.
        #expect(p.hazards[1].status.dueAt.timeIntervalSince1970 == 1_729_094_399)
        #expect(p.hazards[1].mode == .onSpot)
        // A zero-day item is on-the-spot by default.
        let p2 = try plan([hazard("ELEC-02")])
        #expect(p2.hazards[0].mode == .onSpot)
        #expect(p2.hazards[0].status.dueAt.timeIntervalSince1970 == 1_729_094_399)
        #expect(p2.hazards[0].status.state == .open)
    }

    @Test func rectifiedOnSite() throws {
        let p = try plan([hazard("FIRE-04", onSite: true)])
        let h = try #require(p.hazards.first)
        #expect(h.status.state == .rectified)
        #expect(h.status.version == 2)
        #expect(h.status.rectifiedAt == visit)
        #expect(h.status.severity == .serious)
        #expect(h.status.dueAt.timeIntervalSince1970 == 1_729_094_399, "on site means due the same day")
        #expect(h.mode == .onSpot)
        #expect(h.events.map(\.kind) == [.found, .verifyRectified])
        #expect(h.events[1].fromState == .open)
        #expect(h.events[1].toState == .rectified)
        #expect(h.events[1].occurredAt == visit)
        #expect(h.events[1].actor == "王建国")
    }

    @Test func lateEveningVisitDeadline() throws {
        let at = try Timestamp.parse("2024-10-16T23:30:00+08:00")
        let p = try plan([hazard("ELEC-04")], at: at)
        #expect(try p.hazards[0].status.dueAt == Timestamp.parse("2024-10-23T23:59:59+08:00"))
        #expect(p.hazards[0].status.dueAt.timeIntervalSince1970 == 1_729_699_199)
        #expect(Timestamp.format(p.hazards[0].status.dueAt) == "2024-10-23T23:59:59+08:00")
    }

    @Test func dueOnBeforeVisitDate() {
        let e = refusal([hazard("ELEC-04", dueOn: "2024-10-15")])
        #expect(e?.kind == .invalid)
        #expect(e?.field == "results[0].dueOn")
        let e2 = refusal([ItemResult(itemCode: "ELEC-01", outcome: .pass), hazard("ELEC-04", dueOn: "2024-10-01")])
        #expect(e2?.field == "results[1].dueOn")
        // The visit date is the Shanghai date: 2024-10-16T16:30Z is already 10-17 in Shanghai.
        let lateUTC = Date(timeIntervalSince1970: 1_729_096_200)
        let e3 = refusal([hazard("ELEC-04", dueOn: "2024-10-16")], at: lateUTC)
        #expect(e3?.field == "results[0].dueOn")
        #expect(refusal([hazard("ELEC-04", dueOn: "2024-10-17")], at: lateUTC) == nil)
    }

    @Test func unknownItem() {
        let e = refusal([hazard("NOPE-01")])
        #expect(e?.kind == .invalid)
        #expect(e?.field == "results[0].itemCode")
        let e2 = refusal([hazard("ELEC-04"), ItemResult(itemCode: "elec-01", outcome: .pass)])
        #expect(e2?.field == "results[1].itemCode")
    }

    @Test func itemNotForKind() throws {
        let e = refusal([hazard("MGMT-06")], kind: .enterprise)
        #expect(e?.kind == .invalid)
        #expect(e?.field == "results[0].itemCode")
        let e2 = refusal([ItemResult(itemCode: "BLDG-01", outcome: .pass)], kind: .rentalHousing)
        #expect(e2?.field == "results[0].itemCode")
        // The same item is fine for its own kind.
        #expect(try plan([hazard("MGMT-06")], kind: .rentalHousing).hazards.count == 1)
    }

    @Test func duplicateItem() {
        let e = refusal([hazard("ELEC-04"), ItemResult(itemCode: "FIRE-01", outcome: .pass),
                         ItemResult(itemCode: "ELEC-04", outcome: .pass)])
        #expect(e?.kind == .invalid)
        #expect(e?.field == "results[2].itemCode")
    }

    @Test func teamAndInspector() {
        let e = refusal([hazard("ELEC-04")], team: [])
        #expect(e?.kind == .invalid)
        #expect(e?.field == "team")
        let e2 = refusal([hazard("ELEC-04")], team: [team[0], TeamMember(name: "  ", department: .publicSecurity)])
        #expect(e2?.kind == .invalid)
        #expect(e2?.field == "team[1].name")
        let e3 = refusal([hazard("ELEC-04")], inspector: " \n")
        #expect(e3?.kind == .invalid)
        #expect(e3?.field == "inspector")
    }

    @Test func closedDownSubject() {
        let e = refusal([hazard("ELEC-04")], closedDown: true)
        #expect(e?.kind == .conflict)
        #expect(e?.field == "subjectId")
        // Checked before anything else.
        #expect(refusal([], closedDown: true, team: [])?.field == "subjectId")
    }

    @Test func inspectionInTheFuture() {
        let now = visit
        let e = refusal([hazard("ELEC-04")], at: now.addingTimeInterval(10 * 60 + 1), now: now)
        #expect(e?.kind == .invalid)
        #expect(e?.field == "inspectedAt")
        #expect(refusal([hazard("ELEC-04")], at: now.addingTimeInterval(86_400), now: now)?.field == "inspectedAt")
        // Within the clock-skew allowance.
        #expect(refusal([hazard("ELEC-04")], at: now.addingTimeInterval(10 * 60), now: now) == nil)
        #expect(InspectionRules.clockSkewAllowance == 600)
    }

    @Test func emptyResults() {
        let e = refusal([])
        #expect(e?.kind == .invalid)
        #expect(e?.field == "results")
    }

    @Test func hazardFieldsOnANonHazard() {
        let onPass = refusal([ItemResult(itemCode: "ELEC-01", outcome: .pass, severity: .serious)])
        #expect(onPass?.kind == .invalid)
        #expect(onPass?.field == "results[0].severity")
        let onNA = refusal([hazard("ELEC-04"), ItemResult(itemCode: "ELEC-01", outcome: .notApplicable,
                                                           dueOn: try! CalendarDate("2024-10-20"))])
        #expect(onNA?.kind == .invalid)
        #expect(onNA?.field == "results[1].dueOn")
        let fixedPass = refusal([ItemResult(itemCode: "ELEC-01", outcome: .pass, rectifiedOnSite: true)])
        #expect(fixedPass?.kind == .invalid)
        #expect(fixedPass?.field == "results[0].rectifiedOnSite")
    }

    @Test func allPassCreatesNoHazard() throws {
        let p = try plan([ItemResult(itemCode: "ELEC-01", outcome: .pass),
                          ItemResult(itemCode: "ELEC-02", outcome: .notApplicable)])
        #expect(p.hazards.isEmpty)
        #expect(p.id == id(1))
    }
}

@Suite struct NoticeNumberAndPNGTests {
    @Test func noticeNumbersPerTownAndYear() {
        #expect(NoticeNumber.make(townName: "瓜沥镇", year: 2026, sequence: 1) == "瓜沥整改〔2026〕00001号")
        #expect(NoticeNumber.make(townName: "城厢街道", year: 2027, sequence: 123) == "城厢整改〔2027〕00123号")
        #expect(NoticeNumber.prefix(townName: "瓜沥镇", year: 2026) == "瓜沥整改〔2026〕")
    }

    @Test func onlyAWholePNGIsAPNG() {
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        let ihdr: [UInt8] = [0, 0, 0, 13] + Array("IHDR".utf8) + [UInt8](repeating: 1, count: 17)
        let iend: [UInt8] = [0, 0, 0, 0] + Array("IEND".utf8) + [0xAE, 0x42, 0x60, 0x82]
        #expect(ImageContent.isCompletePNG(signature + ihdr + [UInt8](repeating: 0, count: 8) + iend))
        #expect(!ImageContent.isCompletePNG(signature + Array(String(repeating: "text ", count: 20).utf8)))
        #expect(!ImageContent.isCompletePNG(signature + ihdr))
        #expect(!ImageContent.isCompletePNG([]))
    }
}

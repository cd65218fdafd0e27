import Foundation
import Testing
@testable import SafeGridCore

/// A hazard fixed on the spot is signed off as rectified by whoever records the visit, so a
/// department inspector may do it only for their own department's items.
@Suite("Fixed on the spot: whose items")
struct OnSiteSignOffTests {
    /// 2024-10-16T09:30:00+08:00.
    let visit = Date(timeIntervalSince1970: 1_729_042_200)
    let team = [TeamMember(name: "王建国", department: .fireRescue)]

    func inspector(_ department: Department) -> Account {
        Account(id: UUID(), username: "\(department.rawValue).inspector", displayName: "检查员", role: .departmentInspector,
                areaCode: "330109113", department: department)
    }

    /// An enterprise with an open CHEM-01 hazard (emergency management), found by the demo or an
    /// import (no account).
    func ledgerWithOpenChemicalHazard() throws -> (SubjectDossier, UUID) {
        var dossier = SubjectDossier(subjectID: UUID(), kind: .enterprise)
        let plan = try dossier.inspect(checklist: try Checklist.bundledDefault(), inspectedAt: visit, team: team, inspector: "王建国",
                                      results: [ItemResult(itemCode: "CHEM-01", outcome: .hazard)], now: visit, makeID: { UUID() })
        _ = dossier.takeChanges()
        return (dossier, try #require(plan.hazards.first?.id))
    }

    @Test func aFireInspectorCannotFixAnotherDepartmentsOpenHazardOnTheSpot() throws {
        var (dossier, hazard) = try ledgerWithOpenChemicalHazard()
        let checklist = try Checklist.bundledDefault()
        let later = visit.addingTimeInterval(3_600)
        do {
            try dossier.inspect(checklist: checklist, inspectedAt: later, team: team, inspector: "王建国",
                               results: [ItemResult(itemCode: "ELEC-01", outcome: .pass),
                                         ItemResult(itemCode: "CHEM-01", outcome: .hazard, rectifiedOnSite: true)],
                               now: later, by: inspector(.fireRescue), makeID: { UUID() })
            Issue.record("a fire inspector signed off a chemical hazard")
        } catch {
            #expect(error.kind == .forbidden)
            #expect(error.field == "results[1].rectifiedOnSite")
            #expect(error.reason == "item CHEM-01 belongs to 应急管理 (emergencyManagement); a department inspector of 消防救援 may not sign it off as fixed on the spot")
        }
        // Nothing changed: the hazard stays open and no inspection was recorded.
        #expect(dossier.hazards[hazard]?.state == .open)
        #expect(dossier.changes.isEmpty)

        // A new hazard of another department fixed on the spot is refused alike.
        var fresh = SubjectDossier(subjectID: UUID(), kind: .enterprise)
        #expect(throws: DomainError.self) {
            try fresh.inspect(checklist: checklist, inspectedAt: later, team: team, inspector: "王建国",
                              results: [ItemResult(itemCode: "CHEM-01", outcome: .hazard, rectifiedOnSite: true)],
                              now: later, by: inspector(.fireRescue), makeID: { UUID() })
        }
        #expect(fresh.hazards.isEmpty)
    }

    @Test func theOwnDepartmentOrAnAdminMayFixItOnTheSpot() throws {
        let checklist = try Checklist.bundledDefault()
        let later = visit.addingTimeInterval(3_600)
        var (dossier, hazard) = try ledgerWithOpenChemicalHazard()
        let plan = try dossier.inspect(checklist: checklist, inspectedAt: later, team: team, inspector: "王建国",
                                      results: [ItemResult(itemCode: "CHEM-01", outcome: .hazard, rectifiedOnSite: true)],
                                      now: later, by: inspector(.emergencyManagement), makeID: { UUID() })
        #expect(plan.linkedHazards == ["CHEM-01": hazard])
        #expect(dossier.hazards[hazard]?.state == .rectified)

        let admin = Account(id: UUID(), username: "town.admin", displayName: "管理员", role: .townAdmin, areaCode: "330109113",
                            department: nil)
        var (other, second) = try ledgerWithOpenChemicalHazard()
        try other.inspect(checklist: checklist, inspectedAt: later, team: team, inspector: "王建国",
                          results: [ItemResult(itemCode: "CHEM-01", outcome: .hazard, rectifiedOnSite: true)],
                          now: later, by: admin, makeID: { UUID() })
        #expect(other.hazards[second]?.state == .rectified)
    }
}

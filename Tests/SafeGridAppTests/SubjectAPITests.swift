import Foundation
import SafeGridCore
import Testing
import SQLKit
import Vapor
@testable import SafeGridApp

@Suite("Reference data and subjects through HTTP")
struct SubjectAPITests {
    @Test func areaTreeHasTheRealTownAndVillages() async throws {
        try await withSafeGrid { app in
            let town = try await app.send(.GET, "/api/v1/areas/330109113", token: app.adminToken)
            #expect(town.status == .ok)
            let detail = try town.decoded(ReferenceController.AreaDetailDTO.self)
            #expect(detail.area.name == "瓜沥镇")
            let children = detail.children
            #expect(children.count == 74)
            #expect(children.filter { $0.villageKind == "community" }.count == 11)
            #expect(children.contains { $0.name == "东湖村委会" && $0.shortName == "东湖村" })
            let towns = try await app.send(.GET, "/api/v1/areas?level=town", token: app.adminToken)
            #expect(try towns.decoded([AreaDTO].self).count == 27)
            let missing = try await app.send(.GET, "/api/v1/areas/999", token: app.adminToken)
            #expect(missing.status == .notFound)
            #expect(missing.headers.first(name: .contentType)?.hasPrefix("application/problem+json") == true)
        }
    }

    @Test func checklistIsVersionedWithRealItems() async throws {
        try await withSafeGrid { app in
            let r = try await app.send(.GET, "/api/v1/checklists/current", token: app.adminToken)
            #expect(r.status == .ok)
            let checklist = try r.decoded(ChecklistDTO.self)
            #expect(checklist.version == 1)
            let items = checklist.items
            #expect(items.count >= 30)
            let elec = items.first { $0.code == "ELEC-01" }
            #expect(elec?.department == .fireRescue)
            #expect(elec?.legalBasis.isEmpty == false)
            #expect(try await app.send(.GET, "/api/v1/checklists/7", token: app.adminToken).status == .notFound)
        }
    }

    @Test func createsAnEnterpriseWithNormalisedPhoneAndMaskedOutput() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app)
            let r = try await app.send(.POST, "/api/v1/subjects", object: enterpriseBody(
                microGrid: mg, credit: creditCode("MA2AB3CD"), phone: "138-0000-0000"), token: app.adminToken)
            #expect(r.status == .created)
            let subject = try r.decoded(SubjectDTO.self)
            let party = subject.party
            #expect(party.phone == "138****0000")
            #expect(party.smsCapable == true)
            #expect(subject.villageCode == "330109113201")
            #expect(subject.gridCode == "33010911320101")
            let stored = try await app.sql.select().column("party_phone").from("subjects").first()?
                .decode(column: "party_phone", as: String.self)
            #expect(stored == "13800000000")
        }
    }

    @Test func phoneFormsAreOneNumberAndLandlinesAreNotSMSTargets() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app)
            for (i, phone) in ["+86 138 0000 0000", "13800000000", "138-0000-0000"].enumerated() {
                let r = try await app.send(.POST, "/api/v1/subjects", object: enterpriseBody(
                    microGrid: mg, credit: creditCode("MA2AB3C\(i)"), phone: phone), token: app.adminToken)
                #expect(r.status == .created)
            }
            let phones = try await app.sql.select().column("party_phone").from("subjects").all()
                .map { try $0.decode(column: "party_phone", as: String.self) }
            #expect(Set(phones) == ["13800000000"])
            let landline = try await app.send(.POST, "/api/v1/subjects", object: enterpriseBody(
                microGrid: mg, credit: creditCode("MA2AB3C9"), phone: "0571-82345678"), token: app.adminToken)
            #expect(landline.status == .created)
            #expect(try landline.decoded(SubjectDTO.self).party.smsCapable == false)
        }
    }

    @Test func badSubjectsAreRefusedNamingTheField() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app)
            let good = creditCode("MA2AB3CD")
            let wrongCheck = String(good.dropLast()) + (good.last == "0" ? "1" : "0")
            let cases: [([String: Any], String)] = [
                (enterpriseBody(microGrid: mg, credit: wrongCheck), "creditCode"),
                (enterpriseBody(microGrid: mg, credit: "91330109MA2AB3C"), "creditCode"),
                (enterpriseBody(microGrid: mg, credit: good, phone: "12345678901"), "party.phone"),
                (enterpriseBody(microGrid: mg, credit: good, phone: "abc"), "party.phone"),
                (enterpriseBody(microGrid: mg, credit: good, location: ["latitude": 91, "longitude": 120.46]), "location"),
                (enterpriseBody(microGrid: mg, credit: good, location: ["latitude": 57983, "longitude": 120.46]), "location"),
                (enterpriseBody(microGrid: mg, credit: good, location: ["latitude": 39.9, "longitude": 116.4, "datum": "wgs84"]), "location"),
                (enterpriseBody(microGrid: "33010911320199001", credit: good), "microGridCode"),
            ]
            for (body, field) in cases {
                let r = try await app.send(.POST, "/api/v1/subjects", object: body, token: app.adminToken)
                #expect(r.status == .unprocessableEntity, "\(field): \(r.body)")
                let problem = try r.problem()
                #expect(problem.field == field, "\(r.body)")
                #expect(problem.detail.isEmpty == false)
            }
            var rental = enterpriseBody(microGrid: mg, credit: good)
            rental["kind"] = "rentalHousing"
            rental["aboveScale"] = false
            let noRooms = try await app.send(.POST, "/api/v1/subjects", object: rental, token: app.adminToken)
            #expect(try noRooms.problem().field == "rooms")
            let count = try await app.sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("subjects")
                .first()?.decode(column: "n", as: Int.self)
            #expect(count == 0)
            // Duplicate credit code: 409.
            #expect(try await app.send(.POST, "/api/v1/subjects", object: enterpriseBody(microGrid: mg, credit: good), token: app.adminToken).status == .created)
            let dup = try await app.send(.POST, "/api/v1/subjects", object: enterpriseBody(microGrid: mg, credit: good), token: app.adminToken)
            #expect(dup.status == .conflict)
            #expect(try dup.problem().field == "creditCode")
        }
    }

    @Test func aPhonePointInWGS84InsideXiaoshanIsAccepted() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app)
            let r = try await app.send(.POST, "/api/v1/subjects", object: enterpriseBody(
                microGrid: mg, credit: creditCode("MA2AB3CD"),
                location: ["latitude": 30.1855, "longitude": 120.4553, "datum": "wgs84"]), token: app.adminToken)
            #expect(r.status == .created)
            let gcj = try r.decoded(SubjectDTO.self).locationGCJ02
            let lat = gcj?.latitude ?? 0, lon = gcj?.longitude ?? 0
            // GCJ-02 is offset from WGS-84 by a few hundred metres around Hangzhou.
            #expect(abs(lat - 30.1855) > 0.0005 && abs(lat - 30.1855) < 0.01)
            #expect(abs(lon - 120.4553) > 0.0005 && abs(lon - 120.4553) < 0.01)
        }
    }
}

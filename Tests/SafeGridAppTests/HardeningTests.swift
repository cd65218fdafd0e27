import Foundation
import NIOConcurrencyHelpers
import SQLKit
import SafeGridCore
import SafeGridLedger
import Testing
import Vapor
@testable import SafeGridApp

/// Shared steps of the hardening tests. Every request names the account it acts as.
enum Hardening {
    static func admin(_ app: Application, _ name: String = "h.admin") async throws -> String {
        try await makeAccount(app, name, role: .districtAdmin, area: BundledAreas.districtCode)
    }

    /// An enterprise in a test micro-grid, made by `token`'s account; answers its id.
    static func subject(_ app: Application, token: String, serial: String = "MA2AB3CD") async throws -> String {
        let mg = try await addMicroGrid(app)
        let r = try await app.send(.POST, "/api/v1/subjects", object: enterpriseBody(microGrid: mg, credit: creditCode(serial)), token: token)
        #expect(r.status == .created, "\(r.body)")
        return r.json["id"] as? String ?? ""
    }

    static func count(_ app: Application, _ table: String) async throws -> Int {
        try await app.sql.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first()?.decode(column: "n", as: Int.self) ?? -1
    }
}

@Suite("Ledger upload limits over HTTP")
struct ImportLimitTests {
    @Test func aSheetWiderThan256ColumnsIsA422NamingTheFile() async throws {
        try await withSafeGrid { app in
            let token = try await Hardening.admin(app)
            let header = (1...300).map { "列\($0)" }
            let xlsx = try XLSXWriter.write([LedgerSheet(name: "主体", header: header, rows: [header.map { _ in LedgerValue.text("x") }])])
            var headers: HTTPHeaders = ["Content-Type": "application/octet-stream"]
            headers.bearerAuthorization = BearerAuthorization(token: token)
            let r = try await app.testing().sendRequest(.POST, "/api/v1/imports?kind=subjects&dryRun=true", headers: headers, body: ByteBuffer(data: xlsx))
            #expect(r.status == .unprocessableEntity)
            #expect(r.headers.first(name: .contentType)?.hasPrefix("application/problem+json") == true)
            let json = (try? JSONSerialization.jsonObject(with: Data(r.body.string.utf8))) as? [String: Any] ?? [:]
            #expect(json["field"] as? String == "file")
            #expect(json["problem"] as? String == "tooLarge")
            #expect((json["detail"] as? String)?.hasPrefix("cell IW1 holds a value in column 257; a ledger sheet may use at most 256 columns") == true, "\(json)")
            #expect(try await Hardening.count(app, "ledger_imports") == 0)
        }
    }
}

@Suite("Inspections: department rule and the recorded account")
struct InspectionSignOffTests {
    @Test func aFireInspectorCannotFixAChemicalHazardOnTheSpot() async throws {
        try await withSafeGrid { app in
            let admin = try await Hardening.admin(app)
            let fire = try await makeAccount(app, "fire.insp", role: .departmentInspector, area: BundledAreas.gualiTownCode, department: .fireRescue)
            let subject = try await Hardening.subject(app, token: admin)
            let first = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(
                subject: subject, at: "2026-11-30T09:00:00+08:00", results: [["itemCode": "CHEM-01", "outcome": "hazard"]]), token: admin)
            #expect(first.status == .created, "\(first.body)")
            let chem = (first.json["hazards"] as? [[String: Any]])?.first?["id"] as? String ?? ""

            let bypass = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(
                subject: subject, at: "2026-11-30T09:30:00+08:00",
                results: [["itemCode": "ELEC-01", "outcome": "pass"], ["itemCode": "CHEM-01", "outcome": "hazard", "rectifiedOnSite": true]]),
                token: fire)
            #expect(bypass.status == .forbidden, "\(bypass.body)")
            #expect(bypass.json["field"] as? String == "results[1].rectifiedOnSite")
            #expect(bypass.json["detail"] as? String == "item CHEM-01 belongs to 应急管理 (emergencyManagement); a department inspector of 消防救援 may not sign it off as fixed on the spot")
            let hazard = try await app.send(.GET, "/api/v1/hazards/\(chem)", token: admin)
            #expect(hazard.json["state"] as? String == "open")
            #expect(try await Hardening.count(app, "inspections") == 1)
            #expect(try await Hardening.count(app, "hazard_events") == 1)

            // The fire inspector's own item, fixed on the spot: accepted, and recorded under the account.
            let own = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(
                subject: subject, at: "2026-11-30T09:40:00+08:00",
                results: [["itemCode": "ELEC-01", "outcome": "hazard", "rectifiedOnSite": true]]), token: fire)
            #expect(own.status == .created, "\(own.body)")
            #expect(own.json["inspector"] as? String == "李伟（fire.insp）")
            #expect((own.json["team"] as? [[String: Any]])?.map { $0["name"] as? String } == ["李伟", "张敏"])
            let stored = try await app.send(.GET, "/api/v1/inspections/\(own.json["id"] as? String ?? "")", token: admin)
            #expect(stored.json["inspector"] as? String == "李伟（fire.insp）")
            let elec = (own.json["hazards"] as? [[String: Any]])?.first?["id"] as? String ?? ""
            let actors = try await app.sql.raw("SELECT actor FROM hazard_events WHERE hazard_id = \(bind: UUID(uuidString: elec) ?? UUID()) ORDER BY seq")
                .all().map { try $0.decode(column: "actor", as: String.self) }
            #expect(actors == ["李伟（fire.insp）", "李伟（fire.insp）"])
        }
    }
}

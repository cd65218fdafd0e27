import Foundation
import SafeGridCore
import SafeGridLedger
import SQLKit
import Testing
import Vapor
@testable import SafeGridApp

/// Device ledgers (设备台账) through the importer: the rules of `POST /api/v1/devices` per row,
/// re-imports matched by platform and serial, and the importer's jurisdiction.
@Suite("Device ledgers: import, re-import, bad rows, jurisdiction")
struct DeviceImportTests {
    static let village = "330109113201"
    static let header = "平台,设备编号,设备类型,厂商,统一社会信用代码,检查对象名称,村(社区),房间,安装日期,经度,纬度"

    static func upload(_ app: Application, _ data: Data, dryRun: Bool = false, token: String? = nil) async throws -> Reply {
        var headers: HTTPHeaders = ["Content-Type": "application/octet-stream"]
        headers.bearerAuthorization = BearerAuthorization(token: token ?? app.adminToken)
        let r = try await app.testing().sendRequest(.POST, "/api/v1/imports?kind=devices&dryRun=\(dryRun)", headers: headers,
                                                    body: ByteBuffer(data: data))
        return Reply(status: r.status, headers: r.headers, body: r.body.string)
    }

    static func csv(_ rows: [String]) -> Data { Data(([header] + rows).joined(separator: "\r\n").utf8) }

    /// Stored devices by serial.
    static func devices(_ app: Application) async throws -> [String: DeviceRow] {
        Dictionary(uniqueKeysWithValues: try await app.sql.select().columns("*").from("devices").rows(DeviceRow.self).map { ($0.serial, $0) })
    }

    static func platform(_ app: Application, _ id: String, area: String = BundledAreas.gualiTownCode) async throws {
        let p = try await app.send(.POST, "/api/v1/iot-platforms", object: ["id": id, "name": "平台 \(id)", "areaCode": area], token: app.adminToken)
        #expect(p.status == .created, "\(p.body)")
    }

    static func shop(_ app: Application, name: String, address: String, microGrid: String) async throws -> String {
        let r = try await app.send(.POST, "/api/v1/subjects", object: [
            "kind": "streetShop", "name": name, "address": address, "microGridCode": microGrid,
            "party": ["name": "王老板", "phone": "13800000001"],
        ], token: app.adminToken)
        #expect(r.status == .created, "\(r.body)")
        return try r.decoded(SubjectDTO.self).id.uuidString.lowercased()
    }

    static func row(_ r: ImportReport, _ n: Int) -> ImportReport.Row? { r.rows.first { $0.row == n } }

    static func error(_ r: ImportReport, _ n: Int) -> (column: String?, reason: String) {
        let p = row(r, n)?.problems.first { $0.severity == "error" }
        return (p?.column, p?.reason ?? "")
    }

    @Test func csvAndXLSXImportAndAReimportIsUnchangedOrUpdated() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app, village: Self.village)
            let enterprise = try await createEnterprise(app, microGrid: mg).lowercased()
            let code = creditCode("MA2AB3CD")
            let shop = try await Self.shop(app, name: "老王面馆", address: "瓜沥镇航民路1号", microGrid: mg)
            try await Self.platform(app, "plat-gl")

            let file = Self.csv([
                "plat-gl,SD-01,智慧烟感,海曼,\(code),,,,2026/11/28,,",
                "plat-gl,LC-01,生命通道监控,大华,,老王 面馆,\(Self.village),,2026-11-20,120.47,30.19",
            ])
            let dry = try await Self.upload(app, file, dryRun: true)
            #expect(dry.status == .ok, "\(dry.body)")
            #expect(try dry.decoded(ImportReport.self).totals.created == 2)
            #expect(try await Self.devices(app).isEmpty, "a dry run writes nothing")

            let r = try await Self.upload(app, file)
            #expect(r.status == .created, "\(r.body)")
            let report = try r.decoded(ImportReport.self)
            #expect(report.kind == "devices" && report.totals.created == 2 && report.totals.rejected == 0, "\(report.rows)")
            #expect(report.rows.map { $0.subjectId?.uuidString.lowercased() } == [enterprise, shop])
            var stored = try await Self.devices(app)
            let sd = try #require(stored["SD-01"])
            #expect(sd.kind == "smokeDetector" && sd.vendor == "海曼" && sd.installedOn == "2026-11-28" && sd.room == nil)
            #expect(sd.subjectId.uuidString.lowercased() == enterprise && sd.microGridCode == mg && sd.villageCode == Self.village)
            #expect(sd.latitude == 30.18 && sd.longitude == 120.46, "no position: the subject's")
            #expect(report.rows.first?.deviceId == sd.id)
            let lc = try #require(stored["LC-01"])
            #expect(lc.subjectId.uuidString.lowercased() == shop && lc.latitude == 30.19 && lc.longitude == 120.47)
            // The API reads them like any registered device.
            let shown = try await app.send(.GET, "/api/v1/devices/\(sd.id.uuidString)", token: app.adminToken)
            #expect(shown.status == .ok && shown.body.contains("\"serial\":\"SD-01\""))

            // XLSX with date cells: one device's vendor and room change, one is as stored, one is new.
            let sheet = LedgerSheet(name: "设备", header: ["平台", "设备编号", "设备类型", "厂商", "统一社会信用代码", "房间", "安装日期"], rows: [
                [.text("plat-gl"), .text("SD-01"), .text("smokeDetector"), .text("海曼科技"), .text(code), .text("201"), .date(try CalendarDate("2026-11-28"))],
                [.text("plat-gl"), .text("CP-01"), .text("充电桩"), .text("小绿人"), .text(code), .empty, .date(try CalendarDate("2026-11-29"))],
            ])
            let x = try await Self.upload(app, try XLSXWriter.write([sheet]))
            #expect(x.status == .created, "\(x.body)")
            let xr = try x.decoded(ImportReport.self)
            #expect(xr.rows.map(\.action) == ["updated", "created"], "\(xr.rows)")
            #expect(Self.row(xr, 2)?.changed == ["厂商", "房间"])
            stored = try await Self.devices(app)
            #expect(stored["SD-01"]?.vendor == "海曼科技" && stored["SD-01"]?.room == "201" && stored["SD-01"]?.id == sd.id)
            #expect(stored["SD-01"]?.latitude == 30.18, "a row without a position keeps the stored one")
            #expect(stored["CP-01"]?.kind == "chargingPile" && stored.count == 3)

            // The same files again: nothing changes.
            let again = try await Self.upload(app, try XLSXWriter.write([sheet])).decoded(ImportReport.self)
            #expect(again.totals.unchanged == 2 && again.totals.created == 0 && again.totals.updated == 0, "\(again.rows)")
            let csvAgain = try await Self.upload(app, Self.csv([
                "plat-gl,LC-01,生命通道监控,大华,,老王面馆,\(Self.village),,2026-11-20,120.47,30.19",
                "plat-gl,LC-01X,生命通道监控,大华,,老王面馆,\(Self.village),,2026-11-21,120.48,30.19",
            ])).decoded(ImportReport.self)
            #expect(csvAgain.rows.map(\.action) == ["unchanged", "created"])
            let moved = try await Self.upload(app, Self.csv(["plat-gl,LC-01,生命通道监控,大华,,老王面馆,\(Self.village),,2026-11-20,120.4712,30.1901"]))
                .decoded(ImportReport.self)
            #expect(moved.rows.first?.action == "updated" && moved.rows.first?.changed == ["坐标"])

            // A device does not move to another subject nor change kind by import.
            let reRegister = try await Self.upload(app, Self.csv([
                "plat-gl,SD-01,智慧烟感,海曼科技,,老王面馆,\(Self.village),201,2026-11-28,,",
                "plat-gl,CP-01,火点监测,小绿人,\(code),,,,2026-11-29,,",
            ])).decoded(ImportReport.self)
            #expect(reRegister.totals.rejected == 2)
            #expect(Self.error(reRegister, 2).column == "检查对象名称" && Self.error(reRegister, 2).reason.contains("re-register"), "\(reRegister.rows)")
            #expect(Self.error(reRegister, 3).column == "设备类型" && Self.error(reRegister, 3).reason.contains("re-register"))
            #expect(try await Self.devices(app)["CP-01"]?.kind == "chargingPile")
        }
    }

    @Test func badRowsAreRejectedWithTheRegistrationRulesReasons() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app, village: Self.village)
            _ = try await createEnterprise(app, microGrid: mg)
            let code = creditCode("MA2AB3CD")
            _ = try await Self.shop(app, name: "瓜沥五金店", address: "瓜沥镇航民路2号", microGrid: mg)
            _ = try await Self.shop(app, name: "瓜沥 五金店", address: "瓜沥镇航民路3号", microGrid: mg)
            try await Self.platform(app, "plat-gl")
            let villageB = try await CampaignQueries(sql: app.sql, scope: .everything).children(of: BundledAreas.gualiTownCode)
                .map(\.code).first { $0 != Self.village } ?? ""
            try await Self.platform(app, "plat-b", area: villageB)

            let r = try await Self.upload(app, Self.csv([
                "nope,SD-01,智慧烟感,海曼,\(code),,,,2026-11-28,,",                              // 2 unknown platform
                "plat-gl,SD-02,智慧烟感,海曼,\(creditCode("MA2AB3CE")),,,,2026-11-28,,",          // 3 unknown subject
                "plat-gl,SD-03,智慧烟感,海曼,,瓜沥五金店,\(Self.village),,2026-11-28,,",         // 4 ambiguous name
                "plat-b,SD-04,智慧烟感,海曼,\(code),,,,2026-11-28,,",                             // 5 outside the platform's area
                "plat-gl,SD-05,智慧烟感,海曼,\(code),,,,2026-11-28,,",                            // 6 good
                "plat-gl,SD-05,充电桩,海曼,\(code),,,,2026-11-28,,",                              // 7 the same serial again
                "plat-gl,SD-07,摄像头,海曼,\(code),,,,2026-11-28,,",                              // 8 unknown kind
                "plat-gl,SD-08,智慧烟感,海曼,\(code),,,,2026-12-01,,",                            // 9 installed tomorrow
            ]))
            #expect(r.status == .created, "\(r.body)")
            let report = try r.decoded(ImportReport.self)
            #expect(report.totals.created == 1 && report.totals.rejected == 7, "\(report.rows)")
            #expect(Self.row(report, 6)?.action == "created")
            #expect(Self.error(report, 2) == ("平台", "no active IoT platform 'nope'"))
            #expect(Self.error(report, 3) == ("统一社会信用代码", "no subject with 统一社会信用代码 \(creditCode("MA2AB3CE")) in your area"))
            let ambiguous = Self.error(report, 4)
            #expect(ambiguous.column == "检查对象名称" && ambiguous.reason.hasPrefix("2 subjects in the village are named 瓜沥五金店"))
            #expect(ambiguous.reason.contains("瓜沥镇航民路2号") && ambiguous.reason.contains("瓜沥镇航民路3号"), "\(ambiguous.reason)")
            #expect(Self.error(report, 5) == ("统一社会信用代码", "the subject lies outside the area \(villageB) the platform 'plat-b' serves"))
            #expect(Self.error(report, 7) == ("设备编号", "the same device as row 6 (platform plat-gl, serial SD-05); the row is left out"))
            #expect(Self.error(report, 8).column == "设备类型" && Self.error(report, 8).reason.hasPrefix("'摄像头' is not a device kind"))
            #expect(Self.error(report, 9) == ("安装日期", "the device cannot be installed after today (2026-11-30)"))
            #expect(try await Self.devices(app).keys.sorted() == ["SD-05"])

            // The rejected rows download with their reasons, as CSV and XLSX.
            let id = try #require(report.id).uuidString
            let rejected = try await app.send(.GET, "/api/v1/imports/\(id)/rejected.csv", token: app.adminToken)
            #expect(rejected.status == .ok)
            #expect(rejected.body.contains("导入问题") && rejected.body.contains("no active IoT platform") && rejected.body.contains("SD-08"))
            #expect(!rejected.body.contains("SD-05,智慧烟感"))
            let xlsx = try await app.send(.GET, "/api/v1/imports/\(id)/rejected.xlsx", token: app.adminToken)
            #expect(xlsx.status == .ok)
            #expect(xlsx.headers.first(name: .contentType)?.hasPrefix("application/vnd.openxmlformats") == true)

            // A file without the columns is refused whole.
            let columns = try await Self.upload(app, Data("平台,设备编号\r\nplat-gl,SD-09\r\n".utf8))
            #expect(columns.status == .unprocessableEntity)
            let problem = try columns.problem()
            #expect(problem.field == "file" && problem.detail.contains("设备类型 (kind)") && problem.detail.contains("厂商 (vendor)"))
        }
    }

    @Test func onlyAdminsImportAndOnlyIntoTheirArea() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app, village: Self.village)
            _ = try await createEnterprise(app, microGrid: mg)
            let code = creditCode("MA2AB3CD")
            _ = try await Self.shop(app, name: "老王面馆", address: "瓜沥镇航民路1号", microGrid: mg)
            try await Self.platform(app, "plat-gl")
            let file = Self.csv([
                "plat-gl,SD-01,智慧烟感,海曼,\(code),,,,2026-11-28,,",
                "plat-gl,SD-02,智慧烟感,海曼,,老王面馆,\(Self.village),,2026-11-28,,",
            ])
            // Imports are for district and town admins: a village officer of the very village is refused.
            let officer = try await makeAccount(app, "v.officer", role: .villageOfficer, area: Self.village)
            #expect(try await Self.upload(app, file, token: officer).status == .forbidden)
            // Another town's admin finds neither 瓜沥's subject nor its village.
            let otherTown = try await CampaignQueries(sql: app.sql, scope: .everything).children(of: BundledAreas.districtCode)
                .map(\.code).first { $0 != BundledAreas.gualiTownCode } ?? ""
            let other = try await makeAccount(app, "other.admin", role: .townAdmin, area: otherTown)
            let outside = try await Self.upload(app, file, token: other)
            #expect(outside.status == .created, "\(outside.body)")
            let o = try outside.decoded(ImportReport.self)
            #expect(o.totals.rejected == 2)
            #expect(Self.error(o, 2) == ("统一社会信用代码", "no subject with 统一社会信用代码 \(code) in your area"))
            #expect(Self.error(o, 3) == ("村(社区)", "no village or community has the code \(Self.village)"))
            #expect(try await Self.devices(app).isEmpty)
            // The town's admin imports both.
            let townAdmin = try await makeAccount(app, "guali.admin", role: .townAdmin, area: BundledAreas.gualiTownCode)
            #expect(try await Self.upload(app, file, token: townAdmin).decoded(ImportReport.self).totals.created == 2)
        }
    }

    @Test func theUploadPageAndTheAPIOfferDeviceLedgers() async throws {
        try await withSafeGrid { app in
            let page = try await app.send(.GET, "/imports", token: app.adminToken)
            #expect(page.status == .ok)
            #expect(page.body.contains("value=\"devices\"") && page.body.contains("设备台账"))
            let api = try await app.send(.GET, "/openapi.json", token: app.adminToken)
            #expect(api.body.contains("\"devices\""))
        }
    }
}

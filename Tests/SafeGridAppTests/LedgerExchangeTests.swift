import Foundation
import SafeGridCore
import SafeGridLedger
import SQLKit
import Testing
import Vapor
@testable import SafeGridApp
@testable import SafeGridDemo

/// Ledger (台账) import and export through the app: write path, batches, idempotency, the bad
/// inputs, and the round trip of a demo campaign through XLSX and CSV.
@Suite("Ledger exchange: import and export")
struct LedgerExchangeTests {
    static let village = "330109113201"

    static func villageName(_ app: Application) async throws -> String {
        try await CampaignQueries(sql: app.sql, scope: .everything).area(village)!.name
    }

    static func upload(_ app: Application, _ data: Data, kind: String = "subjects", dryRun: Bool = false) async throws -> Reply {
        var headers: HTTPHeaders = ["Content-Type": "application/octet-stream"]
        headers.bearerAuthorization = BearerAuthorization(token: app.adminToken)
        let r = try await app.testing().sendRequest(.POST, "/api/v1/imports?kind=\(kind)&dryRun=\(dryRun)", headers: headers, body: ByteBuffer(data: data))
        return Reply(status: r.status, headers: r.headers, body: r.body.string)
    }

    static func report(_ r: Reply) throws -> ImportReport { try r.decoded(ImportReport.self) }

    /// Changing the rooms of an inspected rental house by import moves the dashboard's room
    /// count by the difference, and the counters still equal a recount.
    @Test func importedRoomChangesMoveTheDashboard() async throws {
        try await withSafeGrid { app in
            _ = try await addMicroGrid(app)
            let name = try await Self.villageName(app)
            func ledger(rooms: Int) -> Data {
                Data("类型,名称,地址,村(社区),联系人,联系电话,房间数\r\n出租房,东湖出租屋,东湖路8号,\(name),赵六,13800000009,\(rooms)\r\n".utf8)
            }
            let first = try await Self.upload(app, ledger(rooms: 8))
            #expect(try Self.report(first).totals.created == 1, "\(first.body)")
            let id = try #require(try await app.sql.raw("SELECT id FROM subjects WHERE name = \(bind: "东湖出租屋")").first()?
                .decode(column: "id", as: UUID.self))
            let visit = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: id.uuidString, results: [
                ["itemCode": "ELEC-01", "outcome": "hazard"], ["itemCode": "EVAC-01", "outcome": "pass"],
            ]), token: app.adminToken)
            #expect(visit.status == .created, "\(visit.body)")
            func rooms() async throws -> Int? {
                try await app.send(.GET, "/api/v1/dashboard?areaCode=330109113", token: app.adminToken)
                    .decoded(DashboardFigures.self).kinds.first { $0.kind == SubjectKind.rentalHousing.rawValue }?.roomsInspected
            }
            #expect(try await rooms() == 8)
            let second = try await Self.upload(app, ledger(rooms: 13))
            #expect(try Self.report(second).totals.updated == 1, "\(second.body)")
            #expect(try await rooms() == 13)
            let counters = DashboardCounters(sql: app.sql)
            #expect(CountersTests.diff(try await counters.stored(), try await counters.recount()).isEmpty)
        }
    }

    static func count(_ app: Application, _ table: String) async throws -> Int {
        try await app.sql.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first()!.decode(column: "n", as: Int.self)
    }

    static func csv(_ village: String, delimiter: String = ",") -> String {
        let lines = [
            ["类型", "企业名称", "统一社会信用代码", "经营地址", "所属村", "负责人", "联系电话", "纬度", "经度"],
            ["企业", "杭州恒增纺织有限公司", creditCode("MA2B0001"), "瓜沥镇民丰河村1号", village, "张三", "13800000001", "30.18", "120.46"],
            ["沿街店铺", "瓜沥小吃店", "", "瓜沥镇航坞路8号", village, "李四", "0571-82345678", "", ""],
        ]
        return lines.map { $0.joined(separator: delimiter) }.joined(separator: "\r\n") + "\r\n"
    }

    @Test func subjectsInEveryEncodingAndDelimiterImportOnceThenNothingChanges() async throws {
        try await withSafeGrid { app in
            _ = try await addMicroGrid(app, village: Self.village)
            let name = try await Self.villageName(app)
            let text = Self.csv(name)
            // GB18030 as SafeGridLedgerTests' Fixture makes it (NSStringEncoding of kCFStringEncodingGB_18030_2000).
            let gb: UInt = 0x8000_0632
            let files: [(String, Data)] = [
                ("utf8-bom", Data([0xEF, 0xBB, 0xBF]) + Data(text.utf8)),
                ("utf8", Data(text.utf8)),
                ("gb18030", text.data(using: String.Encoding(rawValue: gb))!),
                ("semicolon", Data(Self.csv(name, delimiter: ";").utf8)),
                ("tab", Data(Self.csv(name, delimiter: "\t").utf8)),
                ("xlsx", try XLSXWriter.write([LedgerSheet(name: "主体", header: text.components(separatedBy: "\r\n")[0].components(separatedBy: ","),
                                                            rows: text.components(separatedBy: "\r\n").dropFirst().filter { !$0.isEmpty }.map {
                                                                $0.components(separatedBy: ",").map { $0.isEmpty ? .empty : .text($0) }
                                                            })])),
            ]
            // A dry run writes nothing.
            let dry = try await Self.upload(app, files[0].1, dryRun: true)
            #expect(dry.status == .ok)
            #expect(try Self.report(dry).totals.created == 2)
            #expect(try await Self.count(app, "subjects") == 0)

            for (i, (label, data)) in files.enumerated() {
                let r = try await Self.upload(app, data)
                #expect(r.status == .created, "\(label): \(r.body)")
                let t = try Self.report(r).totals
                #expect(t.rows == 2, "\(label)")
                #expect(t.created == (i == 0 ? 2 : 0), "\(label): \(r.body)")
                #expect(t.unchanged == (i == 0 ? 0 : 2), "\(label): \(r.body)")
                #expect(t.rejected == 0, "\(label): \(r.body)")
            }
            #expect(try await Self.count(app, "subjects") == 2)
            let stored = try await app.sql.raw("SELECT name, party_phone, micro_grid_code FROM subjects ORDER BY name").all()
            #expect(try stored.map { try $0.decode(column: "name", as: String.self) } == ["杭州恒增纺织有限公司", "瓜沥小吃店"].sorted())
            #expect(try stored.allSatisfy { try $0.decode(column: "micro_grid_code", as: String.self) == "33010911320101001" })

            // An update: a new phone number for the shop.
            let changed = Self.csv(name).replacingOccurrences(of: "0571-82345678", with: "13900000002")
            let u = try await Self.upload(app, Data(changed.utf8))
            let update = try Self.report(u)
            #expect(update.totals.updated == 1)
            #expect(update.rows.first { $0.action == "updated" }?.changed == ["联系电话"])
        }
    }

    @Test func badFilesAnswer422AndBadRowsAreRejectedWithRowColumnAndReason() async throws {
        try await withSafeGrid { app in
            _ = try await addMicroGrid(app, village: Self.village)
            let name = try await Self.villageName(app)
            // Not a spreadsheet.
            let pdf = try await Self.upload(app, Data("%PDF-1.7\n1 0 obj\n".utf8))
            #expect(pdf.status == .unprocessableEntity)
            let notASpreadsheet = try pdf.problem()
            #expect(notASpreadsheet.field == "file")
            #expect(notASpreadsheet.detail.contains("not a spreadsheet"))
            // Header only.
            let header = try await Self.upload(app, Data("名称,地址,村(社区),联系人,联系电话,类型\r\n".utf8))
            #expect(header.status == .unprocessableEntity)
            #expect(try header.problem().detail.contains("no data rows"))
            // Empty first sheet.
            let empty = try await Self.upload(app, try XLSXWriter.write([LedgerSheet(name: "空", header: [], rows: [])]))
            #expect(empty.status == .unprocessableEntity, "\(empty.body)")
            // Missing required columns.
            let columns = try await Self.upload(app, Data("名称,地址\r\n甲,乙\r\n".utf8))
            #expect(columns.status == .unprocessableEntity)
            #expect(try columns.problem().detail.contains("联系电话"))

            // Bad rows: latitude 57983, a short row, a cut last line; the good row is imported.
            let csv = """
                类型,名称,地址,村(社区),联系人,联系电话,纬度,经度
                沿街店铺,好店,航坞路1号,\(name),王五,13800000003,30.18,120.46
                沿街店铺,坏坐标店,航坞路2号,\(name),王五,13800000004,57983,120.46
                沿街店铺,短行店,航坞路3号,\(name),王五
                沿街店铺,"断行店,航坞路4号,\(name),王五,13800000005,30.18,120.46
                """
            let r = try await Self.upload(app, Data(csv.utf8))
            #expect(r.status == .created, "\(r.body)")
            let report = try Self.report(r)
            #expect(report.totals.created == 1)
            #expect(report.totals.rejected == 3)
            let byRow = Dictionary(uniqueKeysWithValues: report.rows.map { ($0.row, $0) })
            let lat = byRow[3]?.problems.first
            #expect(lat?.column == "纬度")
            #expect((lat?.reason ?? "").contains("57983"))
            #expect(byRow[4]?.action == "rejected")
            #expect(byRow[5]?.action == "rejected")
            #expect(try await Self.count(app, "subjects") == 1)
            // The rejected rows download, with their reasons, and re-import as they are.
            let id = try #require(report.id).uuidString
            let rejected = try await app.send(.GET, "/api/v1/imports/\(id)/rejected.csv", token: app.adminToken)
            #expect(rejected.status == .ok)
            #expect(rejected.body.contains("导入问题"))
            #expect(rejected.body.contains("57983"))
            let xlsx = try await app.send(.GET, "/api/v1/imports/\(id)/rejected.xlsx", token: app.adminToken)
            #expect(xlsx.headers.first(name: .contentType) == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

            // A text in a date column of a hazard ledger.
            let hz = "名称,地址,村(社区),检查项编码,发现日期\r\n好店,航坞路1号,\(name),FIRE-01,下周一\r\n"
            let h = try await Self.upload(app, Data(hz.utf8), kind: "hazards")
            #expect(h.status == .created, "\(h.body)")
            let p = try Self.report(h).rows.first?.problems ?? []
            #expect(p.contains { $0.column == "发现日期" })
            #expect(try await Self.count(app, "hazards") == 0)
        }
    }

    @Test func aReboundWhoseDeadlineIsBeforeItGetsTheDefaultDeadlineWithAWarning() async throws {
        try await withSafeGrid { app in
            _ = try await addMicroGrid(app, village: Self.village)
            let name = try await Self.villageName(app)
            #expect(try await Self.report(Self.upload(app, Data(Self.csv(name).utf8))).totals.created == 2)
            let hz = """
                名称,地址,村(社区),检查项编码,发现日期,整改期限,状态,状态日期,整改日期
                瓜沥小吃店,瓜沥镇航坞路8号,\(name),FIRE-03,2026-10-01,2026-10-10,隐患反弹,2026-11-20,2026-10-05
                """
            let r = try await Self.upload(app, Data(hz.utf8), kind: "hazards")
            let report = try Self.report(r)
            #expect(report.totals.created == 1, "\(r.body)")
            let p = report.rows.first?.problems ?? []
            #expect(p.contains { $0.column == "整改期限" && $0.severity == "warning" }, "\(r.body)")
            let due = try await app.sql.raw("SELECT due_at FROM hazards").first()?.decode(column: "due_at", as: Date.self) ?? .distantPast
            #expect(CalendarDate(shanghai: due) == (try CalendarDate("2026-11-27")))
        }
    }

    @Test func aFailingBatchLeavesNothingBehind() async throws {
        try await withSafeGrid { app in
            guard app.sql.dialect.name == "sqlite" else { return }
            _ = try await addMicroGrid(app, village: Self.village)
            let name = try await Self.villageName(app)
            try await app.sql.raw("CREATE TRIGGER refuse BEFORE INSERT ON subjects WHEN NEW.name = '坏店' BEGIN SELECT RAISE(ABORT, 'refused by test'); END").run()
            let csv = """
                类型,名称,地址,村(社区),联系人,联系电话
                沿街店铺,好店,航坞路1号,\(name),王五,13800000003
                沿街店铺,坏店,航坞路2号,\(name),王五,13800000004
                """
            let r = try await Self.upload(app, Data(csv.utf8))
            let report = try Self.report(r)
            #expect(report.totals.rejected == 2)
            #expect(report.failedBatches.first?.contains("refused by test") == true)
            #expect(try await Self.count(app, "subjects") == 0)
        }
    }

    /// The demo's subjects and hazards, exported as XLSX and as CSV and imported into empty
    /// databases (with the same area tree), give the same dashboard; importing again changes nothing.
    @Test func roundTripThroughXLSXAndCSVGivesTheSameDashboard() async throws {
        try await withSafeGrid { source in
            _ = try await DemoCommand.build(app: source, asOf: try CalendarDate("2026-11-30"), seed: 7, scale: try DemoScale(argument: "12k"))
            let areas = try await CampaignQueries(sql: source.sql, scope: .everything).areas(level: .grid) + (try await CampaignQueries(sql: source.sql, scope: .everything).areas(level: .microGrid))
            let want = try await source.send(.GET, "/api/v1/dashboard", token: source.adminToken)
            // Exported by the town's admin, who sees the parties' phone numbers in full.
            var town = HTTPHeaders()
            town.bearerAuthorization = BearerAuthorization(token: try await makeAccount(source, "export.town", role: .townAdmin,
                                                                                         area: BundledAreas.gualiTownCode))
            for ext in ["xlsx", "csv"] {
                let subjects = try await source.testing().sendRequest(.GET, "/api/v1/exports/subjects.\(ext)", headers: town)
                let hazards = try await source.testing().sendRequest(.GET, "/api/v1/exports/hazards.\(ext)", headers: town)
                #expect(subjects.status == .ok)
                #expect((subjects.headers.first(name: .contentDisposition) ?? "").contains("filename*=UTF-8''"))
                if ext == "csv" { #expect(Array(Data(buffer: subjects.body).prefix(3)) == [0xEF, 0xBB, 0xBF]) }
                try await withSafeGrid { target in
                    try await CampaignStore(sql: target.sql).insert(areas: areas)
                    let s = try await Self.upload(target, Data(buffer: subjects.body))
                    #expect(try Self.report(s).totals.rejected == 0, "\(ext): \(s.body.prefix(2000))")
                    let h = try await Self.upload(target, Data(buffer: hazards.body), kind: "hazards")
                    let hazardTotals = try Self.report(h).totals
                    #expect(hazardTotals.rejected == 0, "\(ext): \(h.body.prefix(2000))")
                    #expect(hazardTotals.created == 12_000, "\(ext)")
                    _ = try await DeadlineJobs.runOnce(app: target, now: testNow)
                    let got = try await target.send(.GET, "/api/v1/dashboard", token: target.adminToken)
                    try Self.expectSameDashboard(want, got, ext)
                    // Counters agree with a recount.
                    let counters = DashboardCounters(sql: target.sql)
                    #expect(CountersTests.diff(try await counters.stored(), try await counters.recount()).isEmpty)
                    // Again: nothing changes.
                    let s2 = try await Self.upload(target, Data(buffer: subjects.body))
                    let h2 = try await Self.upload(target, Data(buffer: hazards.body), kind: "hazards")
                    let again = try Self.report(s2).totals
                    #expect(again.unchanged == again.rows, "\(ext)")
                    #expect(try Self.report(h2).totals.unchanged == 12_000, "\(ext)")
                    #expect(try await Self.count(target, "hazards") == 12_000)
                }
            }
            // The village summary export.
            let villages = try await source.send(.GET, "/api/v1/exports/villages.csv", token: source.adminToken)
            #expect(villages.status == .ok)
            #expect(villages.body.contains("整改率"))
        }
    }

    static func expectSameDashboard(_ a: Reply, _ b: Reply, _ label: String) throws {
        let da = try a.decoded(DashboardFigures.self), db = try b.decoded(DashboardFigures.self)
        // Each figure of a kind as text, "-" when absent (rooms are counted for rental housing only).
        let figures: [(String, (DashboardFigures.KindFigures) -> String)] = [
            ("subjectsInspected", { "\($0.subjectsInspected)" }), ("roomsInspected", { $0.roomsInspected.map { "\($0)" } ?? "-" }),
            ("hazardsFound", { "\($0.hazardsFound)" }), ("hazardsRectified", { "\($0.hazardsRectified)" }),
            ("hazardsOpen", { "\($0.hazardsOpen)" }), ("rectificationRateText", { $0.rectificationRateText }),
        ]
        for kind in SubjectKind.allCases.map(\.rawValue) {
            for (key, figure) in figures {
                #expect((da.byKind[kind].map(figure) ?? "-") == (db.byKind[kind].map(figure) ?? "-"), "\(label) \(kind) \(key)")
            }
        }
        #expect(da.hazardsFound == db.hazardsFound, "\(label)")
        func colours(_ d: DashboardFigures) -> [String: Int] {
            Dictionary(uniqueKeysWithValues: d.colours.map { ($0.colour.key, $0.subjects) })
        }
        // Overdue marks come back through the deadline job: a rebound keeps its own deadline because
        // the export dates a state by its last state change, not by the overdue mark.
        #expect(da.overdueCount == db.overdueCount, "\(label)")
        #expect(colours(da) == colours(db), "\(label)")
        func ranking(_ d: DashboardFigures) -> [String] {
            d.ranking.map {
                "\($0.code) \($0.hazardsFound) \($0.hazardsRectified) \($0.hazardsOpen) \($0.hazardsOverdue) \($0.rectificationRateText)"
            }
        }
        #expect(ranking(da) == ranking(db), "\(label)")
        // The same rows in any order (a difference above shows here by village, not by rank).
        func rates(_ d: DashboardFigures) -> [String] {
            d.ranking.map {
                "\($0.code) \($0.hazardsFound) \($0.hazardsRectified) \($0.hazardsOpen) \($0.rectificationRateText)"
            }.sorted()
        }
        #expect(rates(da) == rates(db), "\(label)")
    }
}

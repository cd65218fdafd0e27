import Foundation
import SafeGridCore
import SafeGridLedger
import SQLKit
import Testing
import Vapor
@testable import SafeGridApp

/// Incident ledgers (有效警情 / 火警 / 交通事故) through the importer, and their figures with 同比
/// and 环比 through `GET /api/v1/incidents`, inside the reader's jurisdiction.
@Suite("Incidents: import, 同比 and 环比, jurisdiction")
struct IncidentTests {
    static let town = BundledAreas.gualiTownCode

    /// The first two villages of 瓜沥 (code order).
    static func villages(_ app: Application) async throws -> (a: Area, b: Area) {
        let all = try await CampaignQueries(sql: app.sql, scope: .everything).children(of: town)
        return (all[0], all[1])
    }

    static func upload(_ app: Application, _ data: Data, dryRun: Bool = false, token: String? = nil) async throws -> Reply {
        var headers: HTTPHeaders = ["Content-Type": "application/octet-stream"]
        headers.bearerAuthorization = BearerAuthorization(token: token ?? app.adminToken)
        let r = try await app.testing().sendRequest(.POST, "/api/v1/imports?kind=incidents&dryRun=\(dryRun)", headers: headers,
                                                    body: ByteBuffer(data: data))
        return Reply(status: r.status, headers: r.headers, body: r.body.string)
    }

    /// Stored counts: "area|day|kind" → count.
    static func stored(_ app: Application) async throws -> [String: Int] {
        var out: [String: Int] = [:]
        for row in try await app.sql.select().columns("area_code", "day", "kind", "count").from("incidents").all() {
            out["\(try row.decode(column: "area_code", as: String.self))|\(try row.decode(column: "day", as: String.self))|\(try row.decode(column: "kind", as: String.self))"]
                = try row.decode(column: "count", as: Int.self)
        }
        return out
    }

    static func figures(_ app: Application, _ query: String, token: String? = nil) async throws -> IncidentFigures {
        let r = try await app.send(.GET, "/api/v1/incidents\(query)", token: token ?? app.adminToken)
        #expect(r.status == .ok, "\(query): \(r.body.prefix(300))")
        return try r.decoded(IncidentFigures.self)
    }

    static func kind(_ f: [IncidentFigures.KindFigures], _ k: IncidentKind) throws -> IncidentFigures.KindFigures {
        try #require(f.first { $0.kind == k.rawValue })
    }

    @Test func csvAndXLSXImportAndAReimportReplacesTheDaysCount() async throws {
        try await withSafeGrid { app in
            let (a, b) = try await Self.villages(app)
            // Long shape, three date spellings, Chinese and English kinds, a village by name and
            // one by code, and a count the town keeps for itself.
            let csv = """
                日期,村(社区),镇街,类型,数量
                2026/11/28,\(a.shortName),,有效警情,3
                2026-11-27,\(b.code),,fireAlarm,1
                2026年11月26日,\(a.name),瓜沥镇,交通事故,2
                2026-11-28,,瓜沥镇,有效警情,4
                """
            let r = try await Self.upload(app, Data(csv.utf8))
            #expect(r.status == .created, "\(r.body)")
            let report = try r.decoded(ImportReport.self)
            #expect(report.kind == "incidents")
            #expect(report.totals.created == 4 && report.totals.rejected == 0, "\(report.rows)")
            #expect(report.rows.map(\.areaCode) == [a.code, b.code, a.code, Self.town])
            var stored = try await Self.stored(app)
            #expect(stored == ["\(a.code)|2026-11-28|policeIncident": 3, "\(b.code)|2026-11-27|fireAlarm": 1,
                               "\(a.code)|2026-11-26|trafficAccident": 2, "\(Self.town)|2026-11-28|policeIncident": 4])
            let source = try await app.sql.select().columns("source", "import_id", "town_code", "village_code").from("incidents")
                .where("area_code", .equal, SQLBind(a.code)).where("kind", .equal, SQLBind("policeIncident")).first()
            #expect(try source?.decode(column: "source", as: String.self) == "import")
            #expect(try source?.decode(column: "import_id", as: UUID?.self) == report.id)
            #expect(try source?.decode(column: "town_code", as: String.self) == Self.town)
            #expect(try source?.decode(column: "village_code", as: String?.self) == a.code)

            // Wide shape in XLSX: date cells, one column per kind, a blank cell gives no count.
            let sheet = LedgerSheet(name: "警情", header: ["日期", "村(社区)", "有效警情", "火警", "交通事故"], rows: [
                [.date(try CalendarDate("2026-11-29")), .text(a.shortName), .number(5), .number(0), .empty],
                [.date(try CalendarDate("2026-11-28")), .text(a.shortName), .number(3), .empty, .number(1)],
            ])
            let x = try await Self.upload(app, try XLSXWriter.write([sheet]))
            #expect(x.status == .created, "\(x.body)")
            let xr = try x.decoded(ImportReport.self)
            // Row 3 repeats the CSV's 3 police incidents (unchanged) and adds a traffic accident.
            #expect(xr.rows.map(\.action) == ["created", "created"], "\(xr.rows)")
            stored = try await Self.stored(app)
            #expect(stored["\(a.code)|2026-11-29|policeIncident"] == 5)
            #expect(stored["\(a.code)|2026-11-29|fireAlarm"] == 0)
            #expect(stored["\(a.code)|2026-11-29|trafficAccident"] == nil)
            #expect(stored["\(a.code)|2026-11-28|trafficAccident"] == 1)

            // Importing a day again replaces its count, and the report says so; equal counts are unchanged.
            let again = """
                日期,村(社区),类型,数量
                2026-11-28,\(a.shortName),有效警情,6
                2026-11-27,\(b.code),火警,1
                """
            let dry = try await Self.upload(app, Data(again.utf8), dryRun: true)
            #expect(dry.status == .ok, "\(dry.body)")
            #expect(try await Self.stored(app)["\(a.code)|2026-11-28|policeIncident"] == 3, "a dry run writes nothing")
            let re = try await Self.upload(app, Data(again.utf8))
            let rr = try re.decoded(ImportReport.self)
            #expect(rr.totals.updated == 1 && rr.totals.unchanged == 1 && rr.totals.created == 0)
            let updated = try #require(rr.rows.first { $0.row == 2 })
            #expect(updated.action == "updated" && updated.changed == ["有效警情"])
            #expect(updated.problems.map(\.severity) == ["warning"])
            #expect(updated.problems.first?.reason == "replaces the stored count 3 of 有效警情 on 2026-11-28 in \(a.name) with 6")
            #expect(try await Self.stored(app)["\(a.code)|2026-11-28|policeIncident"] == 6)
            #expect(try await Self.stored(app).count == 7)
        }
    }

    @Test func badRowsAreRejectedWithTheirReasonsAndNothingOfThemIsStored() async throws {
        try await withSafeGrid { app in
            let (a, _) = try await Self.villages(app)
            let csv = """
                日期,村(社区),类型,数量
                2026-11-20,\(a.shortName),有效警情,2
                2026-11-20,\(a.shortName),火警,-1
                2026-11-20,不存在村,火警,1
                2026-11-20,\(a.shortName),火灾,1
                2026-12-01,\(a.shortName),交通事故,1
                ,\(a.shortName),交通事故,1
                2026-11-21,\(a.shortName),交通事故,2.5
                2026-11-20,\(a.shortName),有效警情,7
                """
            let r = try await Self.upload(app, Data(csv.utf8))
            #expect(r.status == .created, "\(r.body)")
            let report = try r.decoded(ImportReport.self)
            #expect(report.totals.created == 1 && report.totals.rejected == 7)
            let byRow = Dictionary(uniqueKeysWithValues: report.rows.map { ($0.row, $0) })
            func reason(_ row: Int) -> (column: String?, reason: String) {
                let p = byRow[row]?.problems.first { $0.severity == "error" }
                return (p?.column, p?.reason ?? "")
            }
            #expect(byRow[2]?.action == "created")
            #expect(reason(3) == ("数量", "the count -1 is negative; a count is 0 or more"))
            #expect(reason(4).column == "村(社区)" && reason(4).reason.hasPrefix("'不存在村' is not one of the 74 known villages and communities"))
            #expect(reason(5) == ("类型", "'火灾' is not an incident kind; expected 有效警情, 火警 or 交通事故 (policeIncident, fireAlarm, trafficAccident)"))
            #expect(reason(6) == ("日期", "2026-12-01 is in the future (today is 2026-11-30)"))
            #expect(reason(7) == ("日期", "the day (日期) is empty"))
            #expect(reason(8) == ("数量", "the count 2.5 is not a whole number"))
            #expect(reason(9) == ("数量", "the same area, day and kind as row 2 (\(a.name), 2026-11-20, 有效警情); the row is left out"))
            #expect(try await Self.stored(app) == ["\(a.code)|2026-11-20|policeIncident": 2])
            // The rejected rows download with their reasons.
            let id = try #require(report.id).uuidString
            let rejected = try await app.send(.GET, "/api/v1/imports/\(id)/rejected.csv", token: app.adminToken)
            #expect(rejected.status == .ok)
            #expect(rejected.body.contains("导入问题") && rejected.body.contains("is negative") && rejected.body.contains("不存在村"))

            // A file without the columns is refused whole.
            let columns = try await Self.upload(app, Data("日期,数量\r\n2026-11-20,1\r\n".utf8))
            #expect(columns.status == .unprocessableEntity)
            let problem = try columns.problem()
            #expect(problem.field == "file" && problem.detail.contains("村(社区) (village) or 镇街 (town)") && problem.detail.contains("类型 (kind)"))

            // An importer writes only inside their jurisdiction: 瓜沥's village is unknown to
            // another town's admin, and nothing is stored.
            let otherTown = try await CampaignQueries(sql: app.sql, scope: .everything).children(of: BundledAreas.districtCode)
                .map(\.code).first { $0 != Self.town }!
            let other = try await makeAccount(app, "other.admin", role: .townAdmin, area: otherTown)
            let outside = try await Self.upload(app, Data("日期,村(社区),类型,数量\r\n2026-11-22,\(a.code),火警,1\r\n".utf8), token: other)
            #expect(outside.status == .created, "\(outside.body)")
            let o = try outside.decoded(ImportReport.self)
            #expect(o.totals.rejected == 1 && o.rows.first?.problems.first?.reason == "no village or community has the code \(a.code)")
            let ownTown = try await Self.upload(app, Data("日期,镇街,类型,数量\r\n2026-11-22,瓜沥镇,火警,1\r\n".utf8), token: other)
            #expect(try ownTown.decoded(ImportReport.self).totals.rejected == 1)
            #expect(try await Self.stored(app).count == 1)
        }
    }

    /// Counts for 2026-11-01…2026-11-10 (10 days): 同比 against 2025-11-01…10, 环比 against
    /// 2026-10-22…31.
    static func seed(_ app: Application, a: String, b: String) async throws {
        func r(_ area: String, _ day: String, _ kind: IncidentKind, _ n: Int) throws -> IncidentRecord {
            IncidentRecord(areaCode: area, day: try CalendarDate(day), kind: kind, count: n)
        }
        let records = [
            // Village A's police incidents: 8 now, 10 a year ago, none in the previous period.
            try r(a, "2026-11-01", .policeIncident, 5), try r(a, "2026-11-10", .policeIncident, 3),
            try r(a, "2025-11-05", .policeIncident, 10),
            // Village B's traffic accidents: 3 now, 2 a year ago, 4 in the previous period.
            try r(b, "2026-11-03", .trafficAccident, 3), try r(b, "2025-11-10", .trafficAccident, 2),
            try r(b, "2026-10-22", .trafficAccident, 4),
            // The town's own police incidents: 2 now; and a day outside every period.
            try r(town, "2026-11-02", .policeIncident, 2), try r(a, "2026-10-21", .policeIncident, 50),
            // Zero counts are records too.
            try r(a, "2026-11-04", .fireAlarm, 0),
        ]
        try await app.writeGate.transaction(on: app.db) { sql in
            try await IncidentStore(sql: sql).put(records, source: .command, importID: nil, at: testNow)
        }
    }

    @Test func yearOnYearAndPeriodOnPeriodWithAZeroBaseAndATownSummingItsVillages() async throws {
        try await withSafeGrid { app in
            let (a, b) = try await Self.villages(app)
            try await Self.seed(app, a: a.code, b: b.code)
            let period = "&from=2026-11-01&to=2026-11-10"

            let village = try await Self.figures(app, "?areaCode=\(a.code)\(period)")
            #expect(village.period.from == "2026-11-01" && village.period.to == "2026-11-10" && village.period.days == 10)
            #expect(village.sameLastYear.from == "2025-11-01" && village.sameLastYear.to == "2025-11-10")
            #expect(village.previous.from == "2026-10-22" && village.previous.to == "2026-10-31")
            #expect(village.children.isEmpty && village.townOwn == nil)
            let police = try Self.kind(village.kinds, .policeIncident)
            #expect(police.count == 8 && police.zh == "有效警情")
            #expect(police.yearOnYear.base == 10 && police.yearOnYear.difference == -2)
            #expect(police.yearOnYear.percent == -20.0 && police.yearOnYear.percentText == "\u{2212}20.00%")
            #expect(police.yearOnYear.direction == "down" && police.yearOnYear.directionZh == "下降")
            // 环比 against nothing: new, no percentage.
            #expect(police.periodOnPeriod.base == 0 && police.periodOnPeriod.percent == nil)
            #expect(police.periodOnPeriod.percentText == "—" && police.periodOnPeriod.direction == "new")
            let fires = try Self.kind(village.kinds, .fireAlarm)
            #expect(fires.count == 0 && fires.yearOnYear.direction == "flat" && fires.yearOnYear.percentText == "—")

            // The town: its own count plus its villages'.
            let town = try await Self.figures(app, "?areaCode=\(Self.town)\(period)")
            #expect(town.area.code == Self.town)
            let townPolice = try Self.kind(town.kinds, .policeIncident)
            #expect(townPolice.count == 10 && townPolice.yearOnYear.base == 10)
            #expect(townPolice.yearOnYear.percent == 0 && townPolice.yearOnYear.percentText == "0.00%" && townPolice.yearOnYear.direction == "flat")
            let traffic = try Self.kind(town.kinds, .trafficAccident)
            #expect(traffic.count == 3 && traffic.yearOnYear.percentText == "+50.00%" && traffic.yearOnYear.direction == "up")
            #expect(traffic.periodOnPeriod.base == 4 && traffic.periodOnPeriod.percentText == "\u{2212}25.00%")
            #expect(town.children.count == 74)
            #expect(try Self.kind(town.children[0].kinds, .policeIncident).count == 8)
            #expect(town.children[0].code == a.code && town.children[1].code == b.code)
            #expect(try Self.kind(town.children[1].kinds, .trafficAccident).yearOnYear.percentText == "+50.00%")
            let townOwn = try #require(town.townOwn)
            #expect(try Self.kind(townOwn, .policeIncident).count == 2)
            #expect(town.children.dropFirst(2).allSatisfy { $0.kinds.allSatisfy { $0.count == 0 } })

            // The district: every town's; 瓜沥 is one of its 27 towns.
            let district = try await Self.figures(app, "?areaCode=\(BundledAreas.districtCode)\(period)")
            #expect(try Self.kind(district.kinds, .policeIncident).count == 10)
            #expect(district.children.count == 27 && district.townOwn == nil)
            let guali = try #require(district.children.first { $0.code == Self.town })
            #expect(try Self.kind(guali.kinds, .policeIncident).count == 10)

            // Defaults: the reader's home area (the district admin's is 瓜沥) and the 72 days ending
            // on its last recorded day (11-10), not yesterday (11-29): whole days against whole days.
            let defaults = try await Self.figures(app, "")
            #expect(defaults.area.code == Self.town)
            #expect(defaults.period.from == "2026-08-31" && defaults.period.to == "2026-11-10" && defaults.period.days == 72)
            #expect(try Self.kind(defaults.kinds, .policeIncident).count == 60)
            // A village is dated by its town: B's last record is 11-03, its period still ends 11-10.
            let villageDefault = try await Self.figures(app, "?areaCode=\(b.code)")
            #expect(villageDefault.period.to == "2026-11-10" && villageDefault.period.from == "2026-08-31")
            let onlyTo = try await Self.figures(app, "?to=2026-11-10")
            #expect(onlyTo.period.from == "2026-08-31" && onlyTo.period.days == 72)

            // Bad input: 422 naming the field.
            for (query, field) in [("?from=2026-13-01", "from"), ("?to=yesterday", "to"), ("?from=2026-11-10&to=2026-11-01", "to"),
                                   ("?from=2000-01-01&to=2026-11-01", "from"), ("?from=1900-01-01&to=1900-02-01", "from"),
                                   // Nothing is counted after yesterday (testNow is 2026-11-30).
                                   ("?from=2026-12-01&to=2026-12-31", "to"), ("?from=2026-11-30", "from")] {
                let r = try await app.send(.GET, "/api/v1/incidents\(query)", token: app.adminToken)
                #expect(r.status == .unprocessableEntity, "\(query): \(r.status)")
                #expect(try r.problem().field == field, "\(query): \(r.body)")
            }
            let grid = try await addMicroGrid(app, village: a.code)
            let g = try await app.send(.GET, "/api/v1/incidents?areaCode=\(grid)", token: app.adminToken)
            #expect(try g.status == .unprocessableEntity && g.problem().field == "areaCode")
            #expect(try await app.send(.GET, "/api/v1/incidents?areaCode=330109113999", token: app.adminToken).status == .notFound)
        }
    }

    @Test func readersSeeOnlyTheirArea() async throws {
        try await withSafeGrid { app in
            let (a, b) = try await Self.villages(app)
            try await Self.seed(app, a: a.code, b: b.code)
            let period = "&from=2026-11-01&to=2026-11-10"
            // A village officer: their village by default; the neighbour and the town are 404.
            let officer = try await makeAccount(app, "v.officer", role: .villageOfficer, area: a.code)
            let own = try await Self.figures(app, "?from=2026-11-01&to=2026-11-10", token: officer)
            #expect(try own.area.code == a.code && Self.kind(own.kinds, .policeIncident).count == 8)
            for code in [b.code, Self.town, BundledAreas.districtCode] {
                let r = try await app.send(.GET, "/api/v1/incidents?areaCode=\(code)\(period)", token: officer)
                #expect(r.status == .notFound, "\(code): \(r.status)")
                #expect(!r.body.contains("trafficAccident"))
            }
            // Another town's admin: 瓜沥 is 404; their own town answers zeros.
            let otherTown = try await CampaignQueries(sql: app.sql, scope: .everything).children(of: BundledAreas.districtCode)
                .map(\.code).first { $0 != Self.town }!
            let other = try await makeAccount(app, "o.admin", role: .townAdmin, area: otherTown)
            #expect(try await app.send(.GET, "/api/v1/incidents?areaCode=\(Self.town)\(period)", token: other).status == .notFound)
            let theirs = try await Self.figures(app, "?from=2026-11-01&to=2026-11-10", token: other)
            #expect(theirs.area.code == otherTown && theirs.kinds.allSatisfy { $0.count == 0 && $0.yearOnYear.base == 0 })
            // A grid worker's own area has no incident counts.
            let grid = try await addMicroGrid(app, village: a.code)
            let worker = try await makeAccount(app, "g.worker", role: .gridWorker, area: String(grid.prefix(14)))
            let w = try await app.send(.GET, "/api/v1/incidents", token: worker)
            #expect(try w.status == .unprocessableEntity && w.problem().field == "areaCode")
            // Viewers read; only admins import.
            let viewer = try await makeAccount(app, "v.viewer", role: .viewer, area: Self.town)
            #expect(try await Self.figures(app, "?from=2026-11-01&to=2026-11-10", token: viewer).kinds.count == 3)
            let refused = try await Self.upload(app, Data("日期,村(社区),类型,数量\r\n2026-11-22,\(a.code),火警,1\r\n".utf8), token: officer)
            #expect(refused.status == .forbidden)
        }
    }

    @Test func theUploadPageOffersIncidentLedgers() async throws {
        try await withSafeGrid { app in
            let page = try await app.send(.GET, "/imports", token: app.adminToken)
            #expect(page.status == .ok)
            #expect(page.body.contains("value=\"incidents\"") && page.body.contains("警情台账"))
        }
    }
}

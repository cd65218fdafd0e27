import Foundation
import SafeGridCore
import Testing
@testable import SafeGridLedger

@Suite struct IncidentImportTests {
    static let today = day("2026-11-30")

    static func validate(_ csv: String) throws -> IncidentImport {
        IncidentImporter.validate(try LedgerReader.read(Data(csv.utf8)), areas: try Fixture.areas(),
                                  options: IncidentImportOptions(today: today))
    }

    @Test func theLongShapeReadsDatesKindsAndAreas() throws {
        let r = try Self.validate("""
            日期,村(社区),镇街,类型,数量
            2026/11/30,航坞社区,,有效警情,3
            2026年11月29日,航坞社区居民委员会,瓜沥,fireAlarm,0
            46000,,330109113,Traffic accidents,"1,204"
            2026-11-28,航坞,萧山区瓜沥镇,警情,2
            """)
        #expect(r.problems.isEmpty, "\(r.problems)")
        let hangwu = try #require(try Fixture.areas().first { $0.name == "航坞社区" }).code
        #expect(r.candidates.map(\.areaCode) == [hangwu, hangwu, "330109113", hangwu])
        #expect(r.candidates.map(\.day.description) == ["2026-11-30", "2026-11-29", "2025-12-09", "2026-11-28"])
        #expect(r.candidates.map(\.counts) == [[IncidentCount(kind: .policeIncident, count: 3)], [IncidentCount(kind: .fireAlarm, count: 0)],
                                              [IncidentCount(kind: .trafficAccident, count: 1_204)], [IncidentCount(kind: .policeIncident, count: 2)]])
    }

    @Test func theWideShapeGivesACountPerFilledColumn() throws {
        let r = try Self.validate("""
            日期,村(社区),有效警情,火警,交通事故
            2026-11-30,航坞社区,4,,1
            2026-11-29,航坞社区,,,
            2026-11-28,航坞社区,1,x,0
            """)
        #expect(r.candidates.map(\.row) == [2])
        #expect(r.candidates.first?.counts == [IncidentCount(kind: .policeIncident, count: 4), IncidentCount(kind: .trafficAccident, count: 1)])
        #expect(r.problems.map(\.description) == [
            "row 3, 有效警情 (C): no count is given; fill 有效警情, 火警, 交通事故",
            "row 4, 火警 (D): 'x' is not a number",
        ])
    }

    @Test func badRowsAndHeadersAreRefusedWithTheirReasons() throws {
        let r = try Self.validate("""
            日期,村(社区),镇街,类型,数量
            2026-11-30,航坞社区,,火警,-2
            2026-11-30,无名村,,火警,1
            2026-11-30,,,火警,1
            1989-12-31,航坞社区,,火警,1
            2026-11-30,航坞社区,新塘街道,火警,1
            2026-11-30,航坞社区,,火警,100001
            2026-11-30,航坞社区,,,1
            """)
        #expect(r.candidates.isEmpty)
        #expect(r.rejectedRows == [2, 3, 4, 5, 6, 7, 8])
        let reasons = r.problems.map { "\($0.row ?? 0) \($0.column ?? ""): \($0.reason)" }
        #expect(reasons.contains("2 数量: the count -2 is negative; a count is 0 or more"))
        #expect(reasons.contains { $0.hasPrefix("3 村(社区): '无名村' is not one of the 74 known villages and communities") })
        #expect(reasons.contains("4 村(社区): neither a village or community (村(社区)) nor a town (镇街) is given"))
        #expect(reasons.contains("5 日期: 1989-12-31 is before 1990-01-01; check the year"))
        #expect(reasons.contains { $0.hasPrefix("6 村(社区): '航坞社区' is not one of the 0 known villages and communities of 新塘街道") }, "\(reasons)")
        #expect(reasons.contains("7 数量: the count 100001 is more than 100000 for one area and day; check the column"))
        #expect(reasons.contains("8 类型: the incident kind (类型) is empty; expected 有效警情, 火警 or 交通事故"))

        let both = try Self.validate("日期,村(社区),类型,数量,火警\r\n2026-11-30,航坞社区,火警,1,1\r\n")
        #expect(both.fileErrors.map(\.reason) == ["the header has both 类型 + 数量 and per-kind columns (火警); use one shape"])
        let none = try Self.validate("日期,村(社区),备注\r\n2026-11-30,航坞社区,x\r\n")
        #expect(none.fileErrors.first?.reason.hasPrefix("the header has no column for 类型 + 数量 (kind + count), or a column per kind") == true)
    }

    @Test func kindsAndCounts() throws {
        #expect(IncidentKind.allCases.map { IncidentImporter.parseKind($0.zh) } == IncidentKind.allCases)
        #expect(IncidentKind.allCases.map { IncidentImporter.parseKind($0.rawValue) } == IncidentKind.allCases)
        #expect(IncidentImporter.parseKind("FIRE ALARMS") == .fireAlarm && IncidentImporter.parseKind("火灾") == nil)
        #expect(try IncidentImporter.count(.number(3)) == 3 && IncidentImporter.count(.text("１２")) == 12)
        #expect(throws: InvalidValue.self) { try IncidentImporter.count(.date(serial: 46_000)) }
        #expect(throws: InvalidValue.self) { try IncidentImporter.count(.number(0.5)) }
    }
}

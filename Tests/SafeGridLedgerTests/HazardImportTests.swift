import Foundation
import SafeGridCore
import Testing
@testable import SafeGridLedger

@Suite struct HazardImportTests {
    static let code1 = Fixture.creditCode("91330109MA2B3C4D5")

    @Test func rowsBecomeHazardCandidatesOrProblems() throws {
        let checklist = try Checklist.bundledDefault()
        let csv = """
            统一社会信用代码,名称,地址,村(社区),检查项编码,隐患描述,隐患等级,发现日期,整改期限,整改状态,整改日期
            \(Self.code1),,,,ELEC-01,,较严重,2026/10/16,2026-10-30,整改到位,2026年10月20日
            ,航坞五金店,航坞路8号,航坞社区居民委员会,,电气线路未穿管保护，直接明敷在可燃物或彩钢夹芯板上,,2026-10-16,,,
            ,航坞五金店,航坞路8号,航坞社区,NOPE-99,,,2026-10-16,,,
            ,航坞五金店,航坞路8号,航坞社区,ELEC-02,,很严重,明天,,,
            \(Self.code1),,,,ELEC-01,,,2026-10-16,2026-10-01,,
            \(Self.code1),,,,ELEC-02,,,2026-10-16,,已整改,
            \(Self.code1),,,,ELEC-01,,一般,2026-10-17,,,
            """
        let table = try LedgerReader.read(Data(csv.utf8))
        let r = HazardImporter.validate(table, villages: try Fixture.areas(), checklist: checklist,
                                        options: HazardImportOptions(today: day("2026-11-30")))
        #expect(r.candidates.map(\.row) == [2, 3, 8])
        let a = r.candidates[0]
        #expect(a.subject == .creditCode(Self.code1))
        #expect(a.itemCode == "ELEC-01")
        #expect(a.severity == .serious)
        #expect(a.foundOn == day("2026-10-16"))
        #expect(a.dueOn == day("2026-10-30"))
        #expect(a.state == .rectified)
        #expect(a.rectifiedOn == day("2026-10-20"))
        #expect(r.candidates[1].itemCode == "ELEC-01")   // by the item's text
        #expect(r.candidates[1].state == .open)
        func reasons(_ row: Int) -> [String] { r.problems.filter { $0.row == row }.map { "\($0.column ?? ""): \($0.reason)" } }
        #expect(reasons(4).contains { $0.hasPrefix("检查项编码: unknown checklist item NOPE-99") }, "\(reasons(4))")
        #expect(reasons(5).contains { $0.hasPrefix("隐患等级: '很严重' is not a severity") }, "\(reasons(5))")
        #expect(reasons(5).contains { $0.hasPrefix("发现日期:") }, "\(reasons(5))")
        #expect(reasons(6).contains { $0.contains("before the found day") }, "\(reasons(6))")
        #expect(reasons(7).contains { $0.hasPrefix("整改日期: a rectified hazard") }, "\(reasons(7))")
        #expect(r.rejectedRows == [4, 5, 6, 7])
        // Row 8 repeats row 2's subject and item on another day: a different hazard.
        #expect(r.candidates[2].severity == .general)
    }

    /// An XLSX in the 1904 date system: the serials read as the same calendar days.
    @Test func xlsx1904Dates() throws {
        let checklist = try Checklist.bundledDefault()
        // 2026-10-16 is serial 46311 in 1900 and 44849 in 1904.
        let rows = """
            <x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>统一社会信用代码</x:t></x:is></x:c><x:c r="B1" t="inlineStr"><x:is><x:t>检查项编码</x:t></x:is></x:c><x:c r="C1" t="inlineStr"><x:is><x:t>发现日期</x:t></x:is></x:c></x:row>
            <x:row r="2"><x:c r="A2" t="inlineStr"><x:is><x:t>\(Self.code1)</x:t></x:is></x:c><x:c r="B2" t="inlineStr"><x:is><x:t>ELEC-01</x:t></x:is></x:c><x:c r="C2" s="1"><x:v>44849</x:v></x:c></x:row>
            """
        let data = try Fixture.workbook(sheets: [("隐患", rows, "", nil)], xfs: [0, 14], date1904: true, prefix: "x")
        let r = HazardImporter.validate(try LedgerReader.read(data), villages: try Fixture.areas(), checklist: checklist,
                                        options: HazardImportOptions(today: day("2026-11-30")))
        #expect(r.candidates.map(\.foundOn) == [day("2026-10-16")], "\(r.problems)")
    }

    @Test func microGridChoice() throws {
        let v = "330109113201"
        let areas = [Area(code: v + "01", name: "一网格", level: .grid, parentCode: v),
                     Area(code: v + "02", name: "二网格", level: .grid, parentCode: v),
                     Area(code: v + "02002", name: "m", level: .microGrid, parentCode: v + "02"),
                     Area(code: v + "02001", name: "m", level: .microGrid, parentCode: v + "02"),
                     Area(code: v + "01003", name: "m", level: .microGrid, parentCode: v + "01")]
        let c = MicroGridChoice(areas: areas)
        #expect(try c.choose(villageCode: v, gridCode: nil, gridName: nil, microGridCode: nil, current: nil).get() == v + "01003")
        #expect(try c.choose(villageCode: v, gridCode: nil, gridName: "二网格", microGridCode: nil, current: nil).get() == v + "02001")
        #expect(try c.choose(villageCode: v, gridCode: v + "02", gridName: nil, microGridCode: nil, current: nil).get() == v + "02001")
        #expect(try c.choose(villageCode: v, gridCode: nil, gridName: nil, microGridCode: v + "02002", current: nil).get() == v + "02002")
        #expect(try c.choose(villageCode: v, gridCode: nil, gridName: nil, microGridCode: nil, current: v + "02002").get() == v + "02002")
        #expect(throws: (any Error).self) { try c.choose(villageCode: v, gridCode: nil, gridName: nil, microGridCode: v + "09009", current: nil).get() }
        #expect(throws: (any Error).self) { try c.choose(villageCode: "330109113202", gridCode: nil, gridName: nil, microGridCode: nil, current: nil).get() }
    }
}

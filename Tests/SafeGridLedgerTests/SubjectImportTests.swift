import Foundation
import SafeGridCore
import Testing
@testable import SafeGridLedger

@Suite struct SubjectImportTests {
    static let code1 = Fixture.creditCode("91330109MA2B3C4D5")
    static let code2 = Fixture.creditCode("92330109MA2H8K7L1")

    @Test func rowsBecomeCandidatesOrProblems() throws {
        let resolver = VillageNames.Resolver(areas: try Fixture.areas())
        let donghu = try resolver.resolve("东湖村").code
        let hangwu = try resolver.resolve("航坞社区").code
        let csv = """
            序号,类型,企业名称,统一社会信用代码,地址,村（社区）,网格,联系人,联系电话,纬度,经度,规上企业,房间数,营业面积
            1,企业,杭州东湖纺织有限公司,\(Self.code1),瓜沥镇东湖村1号,东湖村委会,\(donghu)01,张三,138-0000-0000,30.183,120.46,是,,500
            2,沿街店铺,航坞五金店,,航坞路8号,航坞社区居民委员会,,李四,+86 139 0000 0000,120.46,30.183,,,
            3,出租房,王五出租房,,东湖村5组,东湖,,王五,0571-82345678,,,,6,
            4,企业,坏代码公司,913301090000000000,某地,东湖村,,赵六,13800000001,,,,,
            5,企业,数字代码公司,,某地,火星村,,钱七,12345,57983,120.46,否,,
            6,出租房,没有间数,,东湖村6组,东湖村,,孙八,13800000002,,,,,
            7,企业,杭州东湖纺织有限公司(重复),\(Self.code1),另一个地址,东湖村,,张三,13800000000,,,,,
            8,学校,某校,,某路,东湖村,,周九,13800000003,,,,,
            9,沿街店铺,,,,东湖村,,,,,,,,
            """
        let table = try LedgerReader.read(Data(csv.utf8))
        let result = SubjectImporter.validate(table, villages: try Fixture.areas())

        #expect(result.candidates.map(\.row) == [2, 3, 4])
        let a = result.candidates[0]
        #expect(a.kind == .enterprise)
        #expect(a.name == "杭州东湖纺织有限公司")
        #expect(a.creditCode?.value == Self.code1)
        #expect(a.villageCode == donghu)
        #expect(a.gridCode == donghu + "01")
        #expect(a.phone == .mobile("13800000000"))
        #expect(try a.location == GeoPoint(latitude: 30.183, longitude: 120.46, datum: .gcj02))
        #expect(a.aboveScale)
        #expect(a.matchKey == .creditCode(Self.code1))
        let b = result.candidates[1]
        #expect(b.kind == .streetShop)
        #expect(b.villageCode == hangwu)
        #expect(b.phone == .mobile("13900000000"))
        #expect(b.location?.latitude == 30.183)
        #expect(b.matchKey == .nameAddress(villageCode: hangwu, name: "航坞五金店", address: "航坞路8号"))
        let c = result.candidates[2]
        #expect(c.kind == .rentalHousing)
        #expect(c.rooms == 6)
        #expect(c.phone == .landline("0571-82345678"))
        #expect(c.villageCode == donghu)

        #expect(result.rejectedRows == [5, 6, 7, 8, 9, 10])
        let head = "row 1"
        #expect(result.problems.map(\.description) == [
            "\(head), 营业面积 (N): warning: unknown column '营业面积'; it is ignored",
            "row 3, 纬度 (J): warning: latitude and longitude were swapped; read as 30.183 N, 120.46 E",
            "row 5, 统一社会信用代码 (D): check character (position 18) should be '\(CreditCode.checkCharacter(for: "91330109000000000")!)', found '0'; the code is mistyped",
            "row 6, 统一社会信用代码 (D): an enterprise needs its unified social credit code (统一社会信用代码)",
            "row 6, 村（社区） (F): '火星村' is not one of the 74 known villages and communities",
            "row 6, 联系电话 (I): unknown mobile prefix '12…'; mobile numbers start with 13 to 19",
            "row 6, 纬度 (J): latitude 57983 is outside −90…90 (read either way round, 57983, 120.46 is not a location; 萧山 is about latitude 30.2, longitude 120.3)",
            "row 7, 房间数 (M): rental housing needs its number of rooms (房间数)",
            "row 8, 统一社会信用代码 (D): the same subject as row 2 (credit code \(Self.code1)); the row is left out",
            "row 9, 类型 (B): '学校' is not a subject kind; expected 企业, 沿街店铺, 出租房 or 小微园区",
            "row 10, 企业名称 (C): the name is empty",
            "row 10, 地址 (E): the address is empty",
            "row 10, 联系人 (H): the responsible party's name is empty",
            "row 10, 联系电话 (I): the phone number is empty",
        ])
    }

    @Test func rejectedRowsFileCanBeFixedAndReimported() throws {
        let csv = "名称,地址,村,联系人,手机\n甲,东湖村1号,东湖村,张三,13800000000\n乙,东湖村2号,火星村,李四,12345\n"
        let table = try LedgerReader.read(Data(csv.utf8))
        let areas = try Fixture.areas()
        let first = SubjectImporter.validate(table, villages: areas, options: .init(defaultKind: .streetShop))
        #expect(first.rejectedRows == [3])
        let sheet = table.rejectedRows(first.rejectedRows, problems: first.problems)
        #expect(sheet.header == ["名称", "地址", "村", "联系人", "手机", "导入问题"])
        #expect(sheet.rows == [[.text("乙"), .text("东湖村2号"), .text("火星村"), .text("李四"), .text("12345"),
                              .text("村 (C): '火星村' is not one of the 74 known villages and communities; 手机 (E): unknown mobile prefix '12…'; mobile numbers start with 13 to 19")]])
        // Fixed in Excel and uploaded again.
        var fixed = sheet
        fixed.rows[0][2] = .text("东湖村")
        fixed.rows[0][4] = .number(13_900_000_000)
        let again = SubjectImporter.validate(try LedgerReader.read(try XLSXWriter.write([fixed])), villages: areas, options: .init(defaultKind: .streetShop))
        #expect(again.problems == [])
        #expect(again.candidates.map(\.name) == ["乙"])
        #expect(again.candidates.first?.phone == .mobile("13900000000"))
    }

    /// Names and addresses keep full-width characters as written; the match key folds them, so
    /// `（2号店）` and `(2号店)` are the same subject.
    @Test func namesKeepFullWidthCharactersAndMatchHalfWidth() throws {
        let csv = """
            类型,名称,地址,村(社区),联系人,联系电话
            沿街店铺,瓜沥韩记建材店（2号店）,航坞路８号,东湖村,王　五,13800000004
            沿街店铺,瓜沥韩记建材店(2号店),航坞路8号,东湖村,王五,13800000004
            """
        let result = SubjectImporter.validate(try LedgerReader.read(Data(csv.utf8)), villages: try Fixture.areas())
        #expect(result.candidates.map(\.name) == ["瓜沥韩记建材店（2号店）"])
        #expect(result.candidates.first?.address == "航坞路８号")
        // The half-width spelling is the same subject: the second row is refused as its duplicate.
        #expect(result.rejectedRows.count == 1)
        #expect(SubjectImporter.matchText("瓜沥韩记建材店（2号店）") == SubjectImporter.matchText("瓜沥韩记建材店(2号店)"))
        #expect(SubjectImporter.matchText("航坞路８号") == SubjectImporter.matchText("航坞路8号"))
    }

    @Test func missingRequiredColumnsStopTheFile() throws {
        let table = try LedgerReader.read(Data("名称,备注\n甲,乙\n".utf8))
        let r = SubjectImporter.validate(table, villages: try Fixture.areas())
        #expect(r.candidates == [])
        #expect(r.fileErrors.map(\.description) == [
            "file: the header has no column for 地址 (address), 联系人 (party), 联系电话 (phone), 类型 (kind), 村(社区) (village); found 名称, 备注",
        ])
    }

    @Test func headerOnlyAndDefaultKind() throws {
        let table = try LedgerReader.read(Data("名称,地址,村,联系人,手机\n".utf8))
        let r = SubjectImporter.validate(table, villages: try Fixture.areas(), options: .init(defaultKind: .streetShop))
        #expect(r.candidates == [])
        #expect(r.problems.map(\.description) == ["file: warning: the file has a header but no data rows"])
    }

    @Test func readerProblemsRejectTheirRows() throws {
        let csv = "名称,地址,村,联系人,手机\n甲,东湖村1号,东湖村,张三,13800000000\n乙,东湖村2号,东湖村,李四\n丙,东湖村3号,东湖村,王五,13800000002\n丁,东湖村4号,东"
        let r = SubjectImporter.validate(try LedgerReader.read(Data(csv.utf8)), villages: try Fixture.areas(), options: .init(defaultKind: .streetShop))
        #expect(r.candidates.map(\.row) == [2, 4])
        #expect(r.rejectedRows == [3, 5])
        #expect(r.problems.filter { $0.severity == .error }.map(\.description) == [
            "row 3: the row has 4 fields, the header has 5: a field is missing (or a separator)",
            "row 5: the last line is cut: the last line has 3 of 5 fields and no line break at the end; the file may be incomplete",
        ])
    }

    @Test func numericCreditCodeFromExcelIsRefused() throws {
        let rows = """
            <row r="1"><c r="A1" t="inlineStr"><is><t>企业名称</t></is></c><c r="B1" t="inlineStr"><is><t>信用代码</t></is></c><c r="C1" t="inlineStr"><is><t>地址</t></is></c><c r="D1" t="inlineStr"><is><t>所属村</t></is></c><c r="E1" t="inlineStr"><is><t>负责人</t></is></c><c r="F1" t="inlineStr"><is><t>手机</t></is></c></row>
            <row r="2"><c r="A2" t="inlineStr"><is><t>甲</t></is></c><c r="B2"><v>9.1330109E+17</v></c><c r="C2" t="inlineStr"><is><t>某地</t></is></c><c r="D2" t="inlineStr"><is><t>东湖村</t></is></c><c r="E2" t="inlineStr"><is><t>张三</t></is></c><c r="F2"><v>13800000000</v></c></row>
            """
        let t = try LedgerReader.read(try Fixture.workbook(sheets: [("S", rows, "", nil)]))
        let r = SubjectImporter.validate(t, villages: try Fixture.areas(), options: .init(defaultKind: .enterprise))
        #expect(r.candidates == [])
        #expect(r.problems.map(\.description) == [
            "row 2, 信用代码 (B): the credit code is stored as a number (913301090000000000); Excel keeps only 15 digits of a number, so the code is damaged: format the column as text and type it again",
        ])
    }

    @Test func matchKeysMakeReimportIdempotent() throws {
        #expect(SubjectImporter.matchText(" 瓜沥镇 东湖村（12号） ") == SubjectImporter.matchText("瓜沥镇东湖村(12号)"))
        #expect(SubjectImporter.matchText("ＡＢＣ店") == "abc店")
        let csv = "名称,地址,村,联系人,手机\n航坞五金店,航坞路 8号,航坞社区,李四,13900000000\n航坞五金店,航坞路8号,航坞社区居委会,李四,13900000000\n航坞五金店,航坞路8号,东湖村,李四,13900000000\n"
        let r = SubjectImporter.validate(try LedgerReader.read(Data(csv.utf8)), villages: try Fixture.areas(), options: .init(defaultKind: .streetShop))
        #expect(r.candidates.map(\.row) == [2, 4])   // the same name and address in another village is another shop
        #expect(r.problems.map(\.description) == ["row 3, 名称 (A): the same subject as row 2 (航坞五金店 at 航坞路8号 in \(r.candidates[0].villageCode!)); the row is left out"])
    }

    /// 100,000 rows: no crash, every bad row numbered. (Whether the time stays linear in rows is
    /// the benchmark's to say: `safegrid-bench ledger` prints 20,000 against 100,000 rows.)
    @Test func hundredThousandRowsEveryBadRowNumbered() throws {
        func make(_ n: Int) -> Data {
            var s = "类型,企业名称,统一社会信用代码,地址,村（社区）,联系人,联系电话,纬度,经度\r\n"
            s.reserveCapacity(n * 140)
            let villages = ["东湖村", "航坞社区", "运西村委会", "永福村"]
            for i in 0..<n {
                if i % 1000 == 999 {
                    s += "沿街店铺,坏行\(i),,地址\(i),东湖村,某,12\(i),57983,120.46\r\n"   // bad phone and latitude
                } else {
                    s += "沿街店铺,店铺\(i),,瓜沥镇某路\(i)号,\(villages[i % 4]),张\(i % 97),13\(String(format: "%09d", i)),30.18\(i % 10),120.46\(i % 10)\r\n"
                }
            }
            return Data(s.utf8)
        }
        let areas = try Fixture.areas()
        func run(_ n: Int) throws -> SubjectImport {
            SubjectImporter.validate(try LedgerReader.read(make(n)), villages: areas)
        }
        let small = try run(20_000)
        #expect(small.candidates.count == 19_980)
        let big = try run(100_000)
        #expect(big.candidates.count == 99_900)
        #expect(big.rejectedRows.count == 100)
        #expect(big.rejectedRows.first == 1001)   // row 1 is the header, data row i is row i + 2
        #expect(big.problems.filter { $0.row == 1001 }.count == 2)
    }
}

import Foundation
import SafeGridCore
import Testing
@testable import SafeGridLedger

@Suite struct XLSXReaderTests {
    private func values(_ t: LedgerTable) -> [[LedgerValue]] { t.rows.map { $0.cells.map(\.value) } }

    @Test func cellTypesSharedInlineNumbersBooleansErrorsDates() throws {
        // Styles: 0 General, 1 built-in 14 (m/d/yyyy), 2 custom 164 yyyy"年"m"月"d"日", 3 custom 165 "0.00" (not a date),
        // 4 built-in 22 (m/d/yyyy h:mm), 5 built-in 31 (zh-CN yyyy"年"m"月"d"日").
        let rows = """
            <row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="inlineStr"><is><t>检查日期</t></is></c><c r="E1" t="s"><v>3</v></c><c r="F1" t="s"><v>4</v></c><c r="G1" t="s"><v>5</v></c></row>
            <row r="2"><c r="A2" t="s"><v>6</v></c><c r="B2"><v>13800000000</v></c><c r="C2" s="3"><v>12.5</v></c><c r="D2" s="1"><v>45581</v></c><c r="E2" t="b"><v>1</v></c><c r="F2" t="e"><v>#N/A</v></c><c r="G2" t="inlineStr"><is><r><t>富</t></r><r><rPr><b/></rPr><t xml:space="preserve">文本 </t></r></is></c></row>
            <row r="3"><c r="A3" t="s"><v>7</v></c><c r="B3" t="str"><v>0571-82345678</v></c><c r="C3" s="2"><v>45582</v></c><c r="D3" s="4"><v>45581.75</v></c><c r="E3" t="b"><v>0</v></c><c r="G3" s="5"><v>45583</v></c></row>
            <row r="5"><c r="A5" t="d"><v>2024-10-16T09:30:00</v></c><c r="B5" t="s"><v>8</v></c></row>
            """
        let data = try Fixture.workbook(sheets: [("台账", rows, "", nil)],
                                        sharedStrings: ["企业名称", "联系电话", "面积", "规上", "备注", "富文本", "东湖纺织", "航坞五金", "A_x000D_B"],
                                        numFmts: [(164, "yyyy\"年\"m\"月\"d\"日\""), (165, "0.00")], xfs: [0, 14, 164, 165, 22, 31])
        let t = try LedgerReader.read(data)
        #expect(t.format == .xlsx(sheet: "台账"))
        #expect(t.dateSystem == .from1900)
        #expect(t.header == ["企业名称", "联系电话", "面积", "检查日期", "规上", "备注", "富文本"])
        #expect(t.rows.map(\.number) == [2, 3, 5])
        // Typed apart from the #expect: as one expression it is too slow to type-check.
        let expected: [[LedgerValue]] = [
            [.text("东湖纺织"), .number(13_800_000_000), .number(12.5), .date(serial: 45581), .bool(true), .error("#N/A"), .text("富文本 ")],
            [.text("航坞五金"), .text("0571-82345678"), .date(serial: 45582), .date(serial: 45581.75), .bool(false), .empty, .date(serial: 45583)],
            [.date(serial: 45581 + 9.5 / 24), .text("A\rB")],
        ]
        #expect(values(t) == expected)
        #expect(try LedgerValues.date(t.rows[1].cells[2].value, system: t.dateSystem) == day("2024-10-17"))
        #expect(t.problems == [])
    }

    @Test func formulasUseCachedValuesAndAreReported() throws {
        let rows = """
            <row r="1"><c r="A1" t="inlineStr"><is><t>名称</t></is></c><c r="B1" t="inlineStr"><is><t>房间数</t></is></c><c r="C1" t="inlineStr"><is><t>合计</t></is></c></row>
            <row r="2"><c r="A2" t="inlineStr"><is><t>甲</t></is></c><c r="B2"><v>3</v></c><c r="C2"><f>B2*2</f><v>6</v></c></row>
            <row r="3"><c r="A3" t="str"><f>"乙"&amp;"栋"</f><v>乙栋</v></c><c r="B3"><v>4</v></c><c r="C3"><f t="shared" si="0"/><v>8</v></c></row>
            <row r="4"><c r="A4" t="inlineStr"><is><t>丙</t></is></c><c r="B4"><v>1</v></c><c r="C4"><f>B4*2</f></c></row>
            """
        let t = try LedgerReader.read(try Fixture.workbook(sheets: [("S", rows, "", nil)]))
        #expect(values(t) == [[.text("甲"), .number(3), .number(6)], [.text("乙栋"), .number(4), .number(8)], [.text("丙"), .number(1)]])
        #expect(t.rows[0].cells.map(\.isFormula) == [false, false, true])
        #expect(t.rows[1].cells.map(\.isFormula) == [true, false, true])
        #expect(t.problems.map(\.description) == [
            "file, 名称 (A): warning: 1 cell holds a formula (first in row 3); the values Excel last calculated were used",
            "file, 合计 (C): warning: 3 cells hold a formula (first in row 2); the values Excel last calculated were used",
            "row 4, 合计 (C): warning: the formula in C4 has no calculated value (the file was not saved by Excel); open and save it in Excel",
        ])
    }

    @Test func mergedHeaderOverTwoRowsAndMergedDataCells() throws {
        // Row 1: a title merged over A1:E1. Rows 2–3: 序号 and 企业名称 merged down, 坐标 merged over 经度 | 纬度,
        // 村(社区) merged down. Data: the village merged down over rows 4–5.
        func s(_ r: String, _ text: String) -> String { "<c r=\"\(r)\" t=\"inlineStr\"><is><t>\(text)</t></is></c>" }
        let rows = """
            <row r="1">\(s("A1", "瓜沥镇企业安全隐患台账"))</row>
            <row r="2">\(s("A2", "序号"))\(s("B2", "企业名称"))\(s("C2", "坐标"))\(s("E2", "村(社区)"))</row>
            <row r="3">\(s("C3", "经度"))\(s("D3", "纬度"))</row>
            <row r="4"><c r="A4"><v>1</v></c>\(s("B4", "东湖纺织"))<c r="C4"><v>120.46</v></c><c r="D4"><v>30.183</v></c>\(s("E4", "东湖村"))</row>
            <row r="5"><c r="A5"><v>2</v></c>\(s("B5", "东湖五金"))<c r="C5"><v>120.47</v></c><c r="D5"><v>30.184</v></c></row>
            <row r="6"><c r="A6"><v>3</v></c>\(s("B6", "航坞商店"))\(s("E6", "航坞社区"))</row>
            """
        let merges = """
            <mergeCells count="6"><mergeCell ref="A1:E1"/><mergeCell ref="A2:A3"/><mergeCell ref="B2:B3"/><mergeCell ref="C2:D2"/><mergeCell ref="E2:E3"/><mergeCell ref="E4:E5"/></mergeCells>
            """
        let t = try LedgerReader.read(try Fixture.workbook(sheets: [("S", rows, merges, nil)]))
        #expect(t.header == ["序号", "企业名称", "经度", "纬度", "村(社区)"])
        #expect(t.headerGroups == ["", "", "坐标", "坐标", ""])
        #expect(t.headerRowNumber == 3)
        #expect(t.rows.map(\.number) == [4, 5, 6])
        #expect(t.rows.map { $0[4].value } == [.text("东湖村"), .text("东湖村"), .text("航坞社区")])
        #expect(t.problems.map(\.description) == [
            "row 1: warning: row 1 above the header has a single filled cell and was skipped as a title",
            "file: warning: 1 merged cell range in the data: each cell took the value of its range's first cell",
        ])
        let m = LedgerHeaders.map(t)
        #expect(m[.longitude] == 2)
        #expect(m[.latitude] == 3)
        #expect(m[.village] == 4)
        #expect(m.problems == [])
    }

    @Test func emptyFirstSheetHiddenSheet1904AndPrefixedNamespace() throws {
        let rows = """
            <x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>名称</x:t></x:is></x:c><x:c r="B1" t="inlineStr"><x:is><x:t>发现日期</x:t></x:is></x:c></x:row>
            <x:row r="2"><x:c r="A2" t="s"><x:v>0</x:v></x:c><x:c r="B2" s="1"><x:v>44119</x:v></x:c></x:row>
            """
        let hidden = "<x:row r=\"1\"><x:c r=\"A1\" t=\"inlineStr\"><x:is><x:t>秘密</x:t></x:is></x:c><x:c r=\"B1\"><x:v>1</x:v></x:c></x:row>"
        let data = try Fixture.workbook(sheets: [("空表", "", "", nil), ("隐藏", hidden, "", "hidden"), ("数据", rows, "", nil)],
                                        sharedStrings: ["东湖纺织"], xfs: [0, 14], date1904: true, prefix: "x")
        let t = try LedgerReader.read(data)
        #expect(t.format == .xlsx(sheet: "数据"))
        #expect(t.dateSystem == .from1904)
        #expect(values(t) == [[.text("东湖纺织"), .date(serial: 44119)]])
        #expect(try LedgerValues.date(t.rows[0][1].value, system: t.dateSystem) == day("2024-10-16"))
        #expect(t.problems.map(\.description) == ["file: warning: sheet '空表' is empty and was passed over"])
        #expect(try XLSXReader.sheetNames(data) == ["空表", "隐藏", "数据"])
        #expect(try XLSXReader.read(data, sheet: "隐藏").header == ["秘密", "1"])
        #expect(fileError { _ = try XLSXReader.read(data, sheet: "无") }?.reason ==
                "the workbook has no sheet named '无'; its sheets are '空表', '隐藏', '数据'")
        let empty = try Fixture.workbook(sheets: [("Sheet1", "", "", nil), ("Sheet2", "<row r=\"1\"/>", "", nil)])
        #expect(fileError { _ = try LedgerReader.read(empty) }?.reason == "every sheet of the workbook is empty ('Sheet1', 'Sheet2')")
    }

    @Test func cellsWithoutReferencesAndBadSharedStringIndex() throws {
        let rows = """
            <row><c t="inlineStr"><is><t>名称</t></is></c><c t="inlineStr"><is><t>地址</t></is></c></row>
            <row><c t="s"><v>0</v></c><c t="s"><v>99</v></c></row>
            """
        let t = try LedgerReader.read(try Fixture.workbook(sheets: [("S", rows, "", nil)], sharedStrings: ["甲"]))
        #expect(t.header == ["名称", "地址"])
        #expect(t.rows.map(\.number) == [2])
        #expect(values(t) == [[.text("甲")]])
        #expect(t.problems.map(\.description) == ["row 2 (B): warning: cell B2 refers to shared string 99 that does not exist"])
    }

    @Test func numberFormatsThatAreDates() {
        for id in [14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 31, 36, 45, 46, 47, 50, 58] { #expect(NumberFormats.isDate(id: id, code: nil), "\(id)") }
        for id in [0, 1, 2, 3, 4, 9, 10, 11, 12, 13, 37, 44, 48, 49] { #expect(!NumberFormats.isDate(id: id, code: nil), "\(id)") }
        for code in ["yyyy/m/d", "yyyy-mm-dd hh:mm", "[$-F800]dddd, mmmm dd, yyyy", "[DBNum1][$-804]yyyy\"年\"m\"月\"d\"日\"",
                     "yyyy年m月d日", "h:mm AM/PM", "[h]:mm:ss", "mmm-yy"] {
            #expect(NumberFormats.isDate(code: code), "\(code)")
        }
        for code in ["General", "0.00", "#,##0", "@", "0.00E+00", "[$¥-804]#,##0.00", "#,##0.00\" 元\"", "0.0\"天\"",
                     "[Red]0.00", "#,##0_);(#,##0)", "\"ymd\"0", "\\d0"] {
            #expect(!NumberFormats.isDate(code: code), "\(code)")
        }
    }

    @Test func zipBombPartIsRefused() throws {
        // 2 MiB of zeros deflate to about 2 KiB; the limit is lowered to 1 MiB for the test (256 MiB in use).
        let big = Data(count: 2 * 1_048_576)
        let data = try Fixture.zipData([("[Content_Types].xml", Data("<Types/>".utf8)), ("xl/workbook.xml", big)])
        #expect(data.count < 20_000)
        let e = fileError { _ = try XLSXReader.read(data, sheet: nil, maxPartBytes: 1_048_576) }
        #expect(e?.kind == .tooLarge)
        #expect(e?.reason == "the workbook part xl/workbook.xml is 2 MiB uncompressed; at most 1 MiB are read")
    }

    /// XMLCoder and SWXMLHash use `XMLParser(data:)`, which on Linux fails past 10,000,000 bytes;
    /// worksheets and shared strings are streamed instead. Here sharedStrings.xml is about 12 MB.
    @Test func sharedStringsPartOverTenMegabytes() throws {
        let n = 400_000
        var items: [String] = []
        items.reserveCapacity(n)
        for i in 0..<n { items.append("<si><t>瓜沥镇东湖村纺织有限公司第\(i)号</t></si>") }
        let rows = "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>1</v></c></row><row r=\"2\"><c r=\"A2\" t=\"s\"><v>\(n - 1)</v></c><c r=\"B2\" t=\"s\"><v>2</v></c></row>"
        let data = try Fixture.workbook(sheets: [("S", rows, "", nil)], richSharedStrings: items)
        let t = try LedgerReader.read(data)
        #expect(t.header == ["瓜沥镇东湖村纺织有限公司第0号", "瓜沥镇东湖村纺织有限公司第1号"])
        #expect(t.rows.map { $0.cells.map(\.value) } == [[.text("瓜沥镇东湖村纺织有限公司第\(n - 1)号"), .text("瓜沥镇东湖村纺织有限公司第2号")]])
    }

    @Test func escapes() {
        #expect(XLSXText.unescape("a_x000D_b_x005F_x0041_") == "a\rb_x0041_")
        #expect(XLSXText.escape("a\rb\u{1}_x0041_ ok_") == "a_x000D_b_x0001__x005F_x0041_ ok_")
        #expect(XLSXText.unescape(XLSXText.escape("a\rb\u{1}_x0041_ ok_")) == "a\rb\u{1}_x0041_ ok_")
    }
}

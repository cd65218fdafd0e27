import Foundation
import SafeGridCore
import Testing
import ZIPFoundation
@testable import SafeGridLedger

@Suite struct WriterTests {
    let sheet = LedgerSheet(name: "企业", header: ["名称", "地址", "房间数", "发现日期", "发现时间", "规上企业", "备注"], rows: [
        [.text("杭州东湖纺织有限公司"), .text("瓜沥镇东湖村1号"), .number(12), .date(day("2024-10-16")),
         .dateTime(try! Timestamp.parse("2024-10-16T09:30:00+08:00")), .bool(true), .text("=HYPERLINK(\"http://x\",\"点我\")")],
        [.text("航坞五金店, \"分店\""), .text("航坞路8号\n二楼"), .number(0.5), .date(day("1999-12-31")),
         .empty, .bool(false), .text("-5 元")],
        [.text("@某某"), .text("\t制表"), .number(13_800_000_000), .empty, .empty, .empty, .text("+86 138 0000 0000")],
    ])

    @Test func csvHasBOMCRLFQuotingAndNeutralisedFormulas() throws {
        let data = try CSVTableWriter.write(sheet)
        #expect([UInt8](data.prefix(3)) == [0xEF, 0xBB, 0xBF])
        let text = String(decoding: data.dropFirst(3), as: UTF8.self)
        #expect(text == """
            名称,地址,房间数,发现日期,发现时间,规上企业,备注\r
            杭州东湖纺织有限公司,瓜沥镇东湖村1号,12,2024-10-16,2024-10-16 09:30,TRUE,"'=HYPERLINK(""http://x"",""点我"")"\r
            "航坞五金店, ""分店""\",\"航坞路8号
            二楼",0.5,1999-12-31,,FALSE,'-5 元\r
            '@某某,'\t制表,13800000000,,,,'+86 138 0000 0000\r\n
            """)
    }

    @Test func csvRoundTrip() throws {
        let t = try LedgerReader.read(try CSVTableWriter.write(sheet))
        #expect(t.format == .csv(encoding: .utf8BOM, delimiter: .comma))
        #expect(t.header == sheet.header)
        #expect(t.problems == [])
        #expect(t.rows.map(\.number) == [2, 3, 4])
        #expect(t.rows.map(\.line) == [2, 3, 5])
        let r = t.rows
        #expect(r[0][0].value == .text("杭州东湖纺织有限公司"))
        #expect(try LedgerValues.number(r[0][2].value) == 12)
        #expect(try LedgerValues.number(r[1][2].value) == 0.5)
        #expect(try LedgerValues.number(r[2][2].value) == 13_800_000_000)
        #expect(try LedgerValues.date(r[0][3].value, system: t.dateSystem) == day("2024-10-16"))
        #expect(try LedgerValues.date(r[0][4].value, system: t.dateSystem) == day("2024-10-16"))
        #expect(try LedgerValues.date(r[1][3].value, system: t.dateSystem) == day("1999-12-31"))
        #expect(try LedgerValues.bool(r[0][5].value))
        #expect(!(try LedgerValues.bool(r[1][5].value)))
        #expect(r[0][6].value == .text("=HYPERLINK(\"http://x\",\"点我\")"))
        #expect(r[1][0].value == .text("航坞五金店, \"分店\""))
        #expect(r[1][1].value == .text("航坞路8号\n二楼"))
        #expect(r[1][6].value == .text("-5 元"))
        #expect(r[2][0].value == .text("@某某"))
        #expect(r[2][1].value == .text("\t制表"))
        #expect(r[2][6].value == .text("+86 138 0000 0000"))
    }

    @Test func xlsxRoundTripKeepsTypes() throws {
        let data = try XLSXWriter.write([sheet, LedgerSheet(name: "汇总/2024", header: ["村(社区)", "隐患数"], rows: [[.text("东湖村"), .number(16241)]])])
        #expect(try XLSXReader.sheetNames(data) == ["企业", "汇总_2024"])
        let t = try LedgerReader.read(data)
        #expect(t.format == .xlsx(sheet: "企业"))
        #expect(t.header == sheet.header)
        #expect(t.problems == [])
        #expect(t.rows.map(\.number) == [2, 3, 4])
        #expect(t.rows.map { $0.cells.map(\.value) } == sheet.rows.map { row in
            var r = row
            while let last = r.last, last == .empty { r.removeLast() }
            return r
        })
        #expect(try LedgerValues.date(t.rows[0][3].value, system: t.dateSystem) == day("2024-10-16"))
        #expect(try ExcelDate.instant(serial: { if case .date(let s) = t.rows[0][4].value { return s }; return 0 }(), system: .from1900) ==
                Timestamp.parse("2024-10-16T09:30:00+08:00"))
        let second = try XLSXReader.read(data, sheet: "汇总_2024")
        #expect(second.rows.map { $0.cells.map(\.value) } == [[.text("东湖村"), .number(16241)]])
    }

    @Test func xlsxPartsAreWhatExcelExpects() throws {
        let data = try XLSXWriter.write([sheet])
        let archive = try Archive(data: data, accessMode: .read)
        #expect(Set(archive.map(\.path)) == ["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                                            "xl/styles.xml", "xl/worksheets/sheet1.xml", "xl/sharedStrings.xml"])
        func part(_ p: String) throws -> String {
            var out = Data()
            _ = try archive.extract(archive[p]!) { out.append($0) }
            return String(decoding: out, as: UTF8.self)
        }
        let ws = try part("xl/worksheets/sheet1.xml")
        #expect(ws.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>"), "\(ws)")
        // Row 2: text, text, number, date (style 1), date-time (style 2), boolean, and a risky text with the
        // quote-prefix style (4); consecutive cells carry no reference. Row 3 skips E3, so F3 names itself.
        #expect(ws.contains("<row r=\"2\"><c t=\"s\"><v>7</v></c><c t=\"s\"><v>8</v></c><c><v>12</v></c><c s=\"1\"><v>45581</v></c><c s=\"2\"><v>45581.395833333336</v></c><c t=\"b\"><v>1</v></c><c s=\"4\" t=\"s\"><v>9</v></c></row>"), "\(ws)")
        #expect(ws.contains("<c s=\"1\"><v>36525</v></c><c r=\"F3\" t=\"b\"><v>0</v></c>"), "\(ws)")
        #expect(ws.contains("<pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\""), "\(ws)")
        #expect(ws.contains("<autoFilter ref=\"A1:G4\""), "\(ws)")
        let styles = try part("xl/styles.xml")
        #expect(styles.contains("formatCode=\"yyyy-mm-dd\""), "\(styles)")
        #expect(styles.contains("quotePrefix=\"1\""), "\(styles)")
        let sst = try part("xl/sharedStrings.xml")
        #expect(sst.contains("<t xml:space=\"preserve\">航坞路8号\n二楼</t>"), "\(sst)")
        #expect(sst.contains("杭州东湖纺织有限公司"), "\(sst)")
        let wb = try part("xl/workbook.xml")
        #expect(wb.contains("<sheet name=\"企业\" sheetId=\"1\" r:id=\"rId1\""), "\(wb)")
    }

    @Test func controlCharactersSurviveXLSX() throws {
        let s = LedgerSheet(name: "S", header: ["a", "b"], rows: [[.text("x\u{1}y\rz"), .text("_x0041_")]])
        let t = try LedgerReader.read(try XLSXWriter.write([s]))
        #expect(t.rows[0].cells.map(\.value) == [.text("x\u{1}y\rz"), .text("_x0041_")])
    }

    @Test func sheetNames() {
        #expect(XLSXWriter.sheetNames(["a:b", "", "history", String(repeating: "长", count: 40), "A:B"]) ==
                ["a_b", "Sheet2", "Sheet3", String(repeating: "长", count: 31), "A_B (2)"])
    }

    @Test func formulaGuard() {
        for s in ["=1", "+1", "-1", "@x", "\tx", "\rx"] { #expect(FormulaGuard.neutralise(s) == "'" + s) }
        for s in ["1", "东湖", "'=1", " =1", ""] { #expect(FormulaGuard.neutralise(s) == s) }
    }
}

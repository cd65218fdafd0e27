import Foundation
import SafeGridCore
import Testing
@testable import SafeGridLedger

@Suite struct CSVReaderTests {
    let text = "企业名称,地址,联系电话\r\n杭州东湖纺织有限公司,瓜沥镇东湖村1号,13800000000\r\n\"航坞五金店, 分店\",\"航坞路\"\"8\"\"号\",0571-82345678\r\n"

    private func texts(_ t: LedgerTable) -> [[String]] {
        t.rows.map { $0.cells.map { $0.value.displayText() } }
    }

    @Test func aRecordWiderThan256FieldsIsRefusedBeforeItIsBuilt() throws {
        let wide = "名称" + String(repeating: ",x", count: 5_000_000) + "\n"
        if let error = #expect(throws: (any Error).self, performing: { try CSVTableReader.read(Data(wide.utf8)) }) {
            #expect((error as? LedgerFileError)?.kind == .tooLarge)
            #expect("\(error)".contains("line 1"), "\(error)")
        }
        // 256 fields are read; commas inside quotes are no fields.
        let header = (1...256).map { "c\($0)" }.joined(separator: ",")
        let quoted = "\"" + String(repeating: ",", count: 1_000) + "\"" + String(repeating: ",v", count: 255)
        let table = try CSVTableReader.read(Data((header + "\n" + quoted + "\n").utf8))
        #expect(table.header.count == 256)
        #expect(table.rows.first?.cells.count == 256)
        #expect(table.rows.first?.cells.first?.value.displayText() == String(repeating: ",", count: 1_000))
    }

    @Test func everyEncodingReadsTheSameTable() throws {
        let expected = [["杭州东湖纺织有限公司", "瓜沥镇东湖村1号", "13800000000"], ["航坞五金店, 分店", "航坞路\"8\"号", "0571-82345678"]]
        var utf16le = Data([0xFF, 0xFE])
        for u in text.utf16 { utf16le.append(UInt8(u & 0xFF)); utf16le.append(UInt8(u >> 8)) }
        var utf16be = Data([0xFE, 0xFF])
        for u in text.utf16 { utf16be.append(UInt8(u >> 8)); utf16be.append(UInt8(u & 0xFF)) }
        let cases: [(Data, TextEncoding)] = [
            (Data([0xEF, 0xBB, 0xBF]) + Data(text.utf8), .utf8BOM),
            (Data(text.utf8), .utf8),
            (Fixture.gb18030(text), .gb18030),
            (utf16le, .utf16LE),
            (utf16be, .utf16BE),
        ]
        for (data, encoding) in cases {
            let t = try LedgerReader.read(data)
            #expect(t.format == .csv(encoding: encoding, delimiter: .comma), "\(encoding)")
            #expect(t.header == ["企业名称", "地址", "联系电话"], "\(encoding)")
            #expect(texts(t) == expected, "\(encoding)")
            #expect(t.rows.map(\.number) == [2, 3])
            #expect(t.problems == [], "\(encoding)")
        }
    }

    @Test func gb18030BytesAsChineseExcelWritesThem() throws {
        // '企业名称'.encode('gb18030') in Python: c6f3 d2b5 c3fb b3c6.
        let known = Data([0xC6, 0xF3, 0xD2, 0xB5, 0xC3, 0xFB, 0xB3, 0xC6])
        #expect(Fixture.gb18030("企业名称") == known)
        #expect(TextDecoding.gb18030ByFoundation([UInt8](known)) == "企业名称")
        #expect(TextDecoding.gb18030ByIconv([UInt8](known)) == "企业名称")
        // A four-byte GB18030 sequence (U+20000, outside GBK) and the euro sign.
        let four = Fixture.gb18030("𠀀€")
        #expect(TextDecoding.gb18030ByIconv([UInt8](four)) == "𠀀€")
        #expect(TextDecoding.gb18030ByIconv([0x41, 0xFF, 0xFF]) == nil)
        let t = try LedgerReader.read(Fixture.gb18030("企业名称,地址\n东湖纺织,东湖村\n"))
        #expect(t.format == .csv(encoding: .gb18030, delimiter: .comma))
        #expect(texts(t) == [["东湖纺织", "东湖村"]])
    }

    @Test func delimiters() throws {
        for (d, delimiter) in [(",", CSVDelimiter.comma), (";", .semicolon), ("\t", .tab)] {
            let s = "名称\(d)地址\(d)备注\n\"A\(d)B\"\(d)东湖村\(d)\"含, 逗号; 分号\"\n店\(d)航坞\(d)\n"
            let t = try LedgerReader.read(Data(s.utf8))
            #expect(t.format == .csv(encoding: .utf8, delimiter: delimiter), "delimiter \(d)")
            #expect(t.header == ["名称", "地址", "备注"])
            #expect(texts(t) == [["A\(d)B", "东湖村", "含, 逗号; 分号"], ["店", "航坞", ""]], "delimiter \(d)")
        }
        // Commas inside a semicolon file's values do not fool the count.
        #expect(CSVTableReader.detectDelimiter("a;b;c\n1,5;2,5;x\n3;4;y\n") == .semicolon)
        #expect(CSVTableReader.detectDelimiter("\"a,b,c,d\"\tx\n\"1,2,3\"\ty\n") == .tab)
        #expect(CSVTableReader.detectDelimiter("name\nfoo\n") == .comma)
    }

    @Test func quotedLineBreaksKeepRowAndLineNumbers() throws {
        let s = "名称,备注\r\n甲,\"第一行\r\n第二行\r\n第三行\"\r\n乙,普通\r\n\r\n丙,空行之后\r\n"
        let t = try LedgerReader.read(Data(s.utf8))
        #expect(texts(t) == [["甲", "第一行\r\n第二行\r\n第三行"], ["乙", "普通"], ["丙", "空行之后"]])
        #expect(t.rows.map(\.number) == [2, 3, 5])   // as Excel numbers the records
        #expect(t.rows.map(\.line) == [2, 5, 7])     // as a text editor numbers the lines
        #expect(t.problems == [])
    }

    @Test func shortRowAndLongRowAreReported() throws {
        let s = "名称,地址,电话\n甲,东湖村,13800000000\n乙,航坞\n丙,东湖村,138,多余\n丁,东湖村,139,\n"
        let t = try LedgerReader.read(Data(s.utf8))
        #expect(t.rows.count == 4)
        #expect(t.problems.map(\.description) == [
            "row 3: the row has 2 fields, the header has 3: a field is missing (or a separator)",
            "row 4: the row has 4 fields, the header has 3: a value holds an unquoted separator ','?",
        ])
    }

    @Test func cutLastLine() throws {
        // Ends inside a quoted field.
        let a = try LedgerReader.read(Data("名称,备注\n甲,完整\n乙,\"没有结束的引号\n".utf8))
        #expect(a.problems.map(\.description) == [
            "row 3: the last line is cut: the file ends inside a quoted field (an opening \" has no closing \"); the file may be incomplete",
        ])
        // A short last row without a final line break.
        let b = try LedgerReader.read(Data("名称,地址,电话\n甲,东湖村,138\n乙,航".utf8))
        #expect(b.problems.map(\.description) == [
            "row 3: the last line is cut: the last line has 2 of 3 fields and no line break at the end; the file may be incomplete",
        ])
        #expect(b.rows.last?.cells.map { $0.value.displayText() } == ["乙", "航"])
        // Cut in the middle of a character (UTF-8 and GB18030).
        var c = Data("名称,地址\n甲,东湖村\n".utf8)
        c.removeLast(2)   // "\n" and the last byte of 村
        let ct = try LedgerReader.read(c)
        #expect(ct.rows.last?.cells.map { $0.value.displayText() } == ["甲", "东湖"])
        #expect(ct.problems.map(\.description) == ["row 2: the last line is cut: the file ends in the middle of a character; the file may be incomplete"])
        var g = Fixture.gb18030("名称,地址\n甲,东湖村")
        g.removeLast()
        let gt = try LedgerReader.read(g)
        #expect(gt.format == .csv(encoding: .gb18030, delimiter: .comma))
        #expect(gt.rows.last?.cells.map { $0.value.displayText() } == ["甲", "东湖"])
        #expect(gt.problems.count == 1)
        // A complete last line without a final break is fine.
        #expect(try LedgerReader.read(Data("名称,地址\n甲,东湖村".utf8)).problems == [])
    }

    @Test func headerOnlyTitleRowsAndBlankLines() throws {
        let h = try LedgerReader.read(Data("\u{FEFF}企业名称,地址\r\n".utf8))
        #expect(h.header == ["企业名称", "地址"])
        #expect(h.rows == [])
        #expect(h.problems == [])
        let t = try LedgerReader.read(Data("瓜沥镇企业台账,,\n\n名称,地址,电话\n甲,东湖村,138\n,,\n".utf8))
        #expect(t.header == ["名称", "地址", "电话"])
        #expect(t.headerRowNumber == 3)
        #expect(t.rows.map(\.number) == [4])
        #expect(t.problems.map(\.description) == ["row 1: warning: row 1 has a single filled cell above the header and was skipped as a title"])
        let one = try LedgerReader.read(Data("名称\n甲\n乙\n".utf8))
        #expect(one.header == ["名称"])
        #expect(texts(one) == [["甲"], ["乙"]])
    }

    @Test func neutralisedFormulasAreRestored() throws {
        let t = try LedgerReader.read(Data("名称,备注\n'=1+2,'-5\n'普通,'@x\n".utf8))
        #expect(texts(t) == [["=1+2", "-5"], ["'普通", "@x"]])
        let raw = try CSVTableReader.read(Data("名称,备注\n'=1+2,'-5\n".utf8), restoreNeutralisedFormulas: false)
        #expect(texts(raw) == [["'=1+2", "'-5"]])
    }

    @Test func notSpreadsheets() throws {
        let cases: [(Data, LedgerFileError.Kind, String)] = [
            (Data(), .empty, "the file is empty (0 bytes)"),
            (Data("%PDF-1.7\n%âãÏÓ\n".utf8), .notASpreadsheet, "the file is a PDF document, not a spreadsheet; upload an .xlsx workbook or a .csv file"),
            (Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]), .notASpreadsheet, "the file is a PNG image, not a spreadsheet; upload an .xlsx workbook or a .csv file"),
            (Data([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1] + [UInt8](repeating: 0, count: 504)), .notASpreadsheet,
             "the file is a legacy Excel 97–2003 workbook (.xls), a password-protected workbook or another OLE2 Office file, not a spreadsheet; upload an .xlsx workbook or a .csv file"),
            (Data([0xFF, 0xD8, 0xFF, 0xE0]), .notASpreadsheet, "the file is a JPEG image, not a spreadsheet; upload an .xlsx workbook or a .csv file"),
            (Data([0x00, 0x01, 0x02, 0x41]), .notASpreadsheet, "the file is binary data (it contains NUL bytes), not text, not a spreadsheet; upload an .xlsx workbook or a .csv file"),
            (Data("<html><table><tr><td>1</td></tr></table></html>".utf8), .notASpreadsheet,
             "the file is an HTML page (some systems export HTML tables with an .xls name), not a spreadsheet; upload an .xlsx workbook or a .csv file"),
            (Data("\n\n  \n".utf8), .empty, "the file has no header row: it is empty or holds only blank lines"),
            (Data([0x41, 0x2C, 0xFF, 0xFE, 0xFD, 0x0A]), .unreadableText,
             "the file is neither UTF-8 nor GB18030 text; save it from Excel as \"CSV UTF-8\" or as .xlsx"),
        ]
        for (data, kind, message) in cases {
            let e = fileError { _ = try LedgerReader.read(data) }
            #expect(e?.kind == kind, "\(message)")
            #expect(e?.reason == message)
        }
        // ZIP archives that are not workbooks.
        let docx = try Fixture.zip([("[Content_Types].xml", "<Types/>"), ("word/document.xml", "<w:document/>")])
        #expect(fileError { _ = try LedgerReader.read(docx) }?.reason == "the file is a Word document (.docx), not an XLSX workbook or CSV file")
        let ods = try Fixture.zip([("mimetype", "application/vnd.oasis.opendocument.spreadsheet"), ("content.xml", "<x/>")])
        #expect(fileError { _ = try LedgerReader.read(ods) }?.reason == "the file is an OpenDocument spreadsheet (.ods), not an XLSX workbook or CSV file")
        let other = try Fixture.zip([("photo.jpg", "not really")])
        #expect(fileError { _ = try LedgerReader.read(other) }?.kind == .notASpreadsheet)
        // A cut ZIP.
        let cut = try Fixture.zip([("a.txt", String(repeating: "x", count: 1000))]).prefix(60)
        #expect(fileError { _ = try LedgerReader.read(Data(cut)) }?.kind == .corruptWorkbook)
    }
}

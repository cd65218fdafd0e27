import Foundation
import SafeGridCore
import Testing
@testable import SafeGridLedger

/// Workbooks that are small as files but huge as tables are refused while streaming, before a
/// table is built.
@Suite("XLSX size limits")
struct XLSXLimitsTests {
    /// `rows` rows under a two-column header, each with one value in `column` (e.g. `XFD`).
    /// The rows are alike (a row without `r` follows the one before), so they deflate to little.
    static func wideRows(_ rows: Int, column: String) -> String {
        var xml = "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>名称</t></is></c><c r=\"B1\" t=\"inlineStr\"><is><t>地址</t></is></c></row>"
        xml.reserveCapacity(rows * 40)
        for _ in 0..<rows { xml += "<row><c r=\"\(column)1\"><v>1</v></c></row>" }
        return xml
    }

    @Test func aSheetReachingColumnXFDIsRefusedBeforeItIsPadded() throws {
        // 100,000 rows with a value in XFD: about 12 KB deflated, and 1.6 billion cells (tens
        // of gigabytes) had each row been padded to 16,384 cells.
        let data = try Fixture.workbook(sheets: [("台账", Self.wideRows(100_000, column: "XFD"), "", nil)])
        #expect(data.count < 16_000, "\(data.count) bytes")
        let e = fileError { _ = try LedgerReader.read(data) }
        #expect(e?.kind == .tooLarge)
        #expect(e?.reason == "cell XFD2 holds a value in column 16,384; a ledger sheet may use at most 256 columns (A to IV). Delete the columns beyond them or copy the ledger's columns to a new sheet")
    }

    @Test func column256IsReadAndColumn257IsRefused() throws {
        let inside = try LedgerReader.read(try Fixture.workbook(sheets: [("S", Self.wideRows(3, column: "IV"), "", nil)]))
        #expect(inside.header.count == 256)
        #expect(inside.rows.map(\.number) == [2, 3, 4])
        #expect(inside.rows.map { $0.cells.count } == [256, 256, 256])
        #expect(inside.rows[0].cells[255].value == .number(1))

        let e = fileError { _ = try LedgerReader.read(try Fixture.workbook(sheets: [("S", Self.wideRows(3, column: "IW"), "", nil)])) }
        #expect(e?.kind == .tooLarge)
        #expect(e?.reason.hasPrefix("cell IW2 holds a value in column 257;") == true)
    }

    @Test func emptyFormattedCellsFarRightTakeNoRoom() throws {
        // Excel writes styled empty cells (a whole row formatted): they are ignored, not refused.
        var rows = "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>名称</t></is></c><c r=\"B1\" t=\"inlineStr\"><is><t>地址</t></is></c><c r=\"XFD1\" s=\"0\"/></row>"
        for r in 2...1_001 { rows += "<row r=\"\(r)\"><c r=\"A\(r)\" t=\"inlineStr\"><is><t>店\(r)</t></is></c><c r=\"XFC\(r)\" s=\"0\"/><c r=\"XFD\(r)\" t=\"s\"/></row>" }
        let t = try LedgerReader.read(try Fixture.workbook(sheets: [("S", rows, "", nil)]))
        #expect(t.header == ["名称", "地址"])
        #expect(t.rows.count == 1_000)
        #expect(t.rows.allSatisfy { $0.cells.count == 1 })
        #expect(t.rows.last?.cells.first?.value == .text("店1001"))
    }

    @Test func cellsAreCountedAsRowsTimesUsedColumns() throws {
        // Limits lowered for the test (5,000,000 cells in use): 600 rows × 2 columns + header = 1,202.
        var rows = "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>名称</t></is></c><c r=\"B1\" t=\"inlineStr\"><is><t>地址</t></is></c></row>"
        for r in 2...601 { rows += "<row r=\"\(r)\"><c r=\"B\(r)\"><v>\(r)</v></c></row>" }
        let data = try Fixture.workbook(sheets: [("S", rows, "", nil)])
        let limits = SheetEvents.Limits(maxColumns: 256, maxCells: 1_000, maxMerges: 10)
        let e = fileError { _ = try XLSXReader.read(data, sheet: nil, maxPartBytes: XLSXReader.maxPartBytes, limits: limits) }
        #expect(e?.kind == .tooLarge)
        #expect(e?.reason == "the sheet holds more than 1,000 cells (rows × used columns, reached at row 501); split it into smaller files")
        let roomy = SheetEvents.Limits(maxColumns: 256, maxCells: 1_202, maxMerges: 10)
        #expect(try XLSXReader.read(data, sheet: nil, maxPartBytes: XLSXReader.maxPartBytes, limits: roomy).rows.count == 600)
    }

    @Test func tooManySharedStringsOrMergesAreRefused() throws {
        let limits = SheetEvents.Limits(maxColumns: 256, maxCells: 100, maxMerges: 2)
        let rows = "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>1</v></c></row>"
        let strings = try Fixture.workbook(sheets: [("S", rows, "", nil)], sharedStrings: (0..<101).map { "s\($0)" })
        let e = fileError { _ = try XLSXReader.read(strings, sheet: nil, maxPartBytes: XLSXReader.maxPartBytes, limits: limits) }
        #expect(e?.kind == .tooLarge)
        #expect(e?.reason == "the workbook's shared strings hold more than 100 texts; split it into smaller files")

        let merges = "<mergeCells><mergeCell ref=\"A2:A3\"/><mergeCell ref=\"A4:A5\"/><mergeCell ref=\"A6:A7\"/></mergeCells>"
        let merged = try Fixture.workbook(sheets: [("S", rows, merges, nil)], sharedStrings: ["名称", "地址"])
        let m = fileError { _ = try XLSXReader.read(merged, sheet: nil, maxPartBytes: XLSXReader.maxPartBytes, limits: limits) }
        #expect(m?.kind == .tooLarge)
        #expect(m?.reason == "the sheet has more than 2 merged cell ranges; unmerge them or copy the values to a new sheet")
    }

    @Test func aZipThatUnderstatesAPartsSizeIsStoppedWhileInflating() throws {
        // 2 MiB of zeros whose headers claim 100 bytes: the bytes are counted as they inflate.
        var data = try Fixture.zipData([("[Content_Types].xml", Data("<Types/>".utf8)), ("xl/workbook.xml", Data(count: 2 * 1_048_576))])
        var patched = 0
        func put(_ value: UInt32, at offset: Int) {
            for i in 0..<4 { data[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))) }
        }
        func u32(at offset: Int) -> UInt32 { (0..<4).reduce(UInt32(0)) { $0 | UInt32(data[offset + $1]) << (8 * UInt32($1)) } }
        var i = 0
        while i + 46 <= data.count {
            if u32(at: i) == 0x0403_4b50, u32(at: i + 22) == 2 * 1_048_576 { put(100, at: i + 22); patched += 1 }   // local header
            if u32(at: i) == 0x0201_4b50, u32(at: i + 24) == 2 * 1_048_576 { put(100, at: i + 24); patched += 1 }   // central directory
            i += 1
        }
        #expect(patched == 2)
        let e = fileError { _ = try XLSXReader.read(data, sheet: nil, maxPartBytes: 1_048_576) }
        #expect(e?.kind == .tooLarge)
        #expect(e?.reason == "the workbook part xl/workbook.xml inflates beyond 1 MiB")
    }
}

import Foundation
import SafeGridCore
import XCTest
import SafeGridLedger

/// `SAFEGRID_BENCH=1 swift test -c release --filter LedgerBench`: rows per second for a
/// 100,000-row subject CSV (read, and read + validate), and for XLSX; writes the CSV to
/// `$SAFEGRID_BENCH_DIR` (default the temporary directory) for comparing with `sqlite3 .import`.
final class LedgerBench: XCTestCase {
    func testHundredThousandRowCSV() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment["SAFEGRID_BENCH"] == "1", "set SAFEGRID_BENCH=1")
        let n = 100_000
        var s = "类型,企业名称,统一社会信用代码,地址,村（社区）,联系人,联系电话,纬度,经度\r\n"
        let villages = ["东湖村", "航坞社区", "运西村委会", "永福村"]
        for i in 0..<n {
            let phone = "13" + String(repeating: "0", count: 9 - String(i).count) + String(i)
            s += "沿街店铺,\"店铺\(i), 瓜沥\",,瓜沥镇某路\(i)号,\(villages[i % 4]),张\(i % 97),\(phone),30.18\(i % 10),120.46\(i % 10)\r\n"
        }
        let data = Data(s.utf8)
        let dir = ProcessInfo.processInfo.environment["SAFEGRID_BENCH_DIR"] ?? NSTemporaryDirectory()
        let url = URL(fileURLWithPath: dir).appendingPathComponent("ledger-100k.csv")
        try data.write(to: url)
        let areas = try BundledAreas.load()
        let only = ProcessInfo.processInfo.environment["SAFEGRID_BENCH_ONLY"]
        func time(_ label: String, _ body: () throws -> Void) rethrows -> Double {
            if let only, !label.hasPrefix(only), !label.hasPrefix("CSV read (") { return 0 }
            var best = Double.infinity
            for _ in 0..<3 {
                let start = DispatchTime.now().uptimeNanoseconds
                try body()
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            print("LedgerBench \(label): \(String(format: "%.3f", best)) s, \(Int(Double(n) / best)) rows/s")
            return best
        }
        var table: LedgerTable!
        _ = try time("CSV read (\(data.count / 1024) KiB)") { table = try LedgerReader.read(data) }
        XCTAssertEqual(table.rows.count, n)
        var result: SubjectImport?
        _ = time("validate") { result = SubjectImporter.validate(table, villages: areas) }
        if let result { XCTAssertEqual(result.candidates.count, n) }
        _ = try time("CSV read + validate") { _ = SubjectImporter.validate(try LedgerReader.read(data), villages: areas) }

        let sheet = LedgerSheet(name: "Subjects", header: table.header, rows: table.rows.map { $0.cells.map(\.value) })
        var xlsx = Data()
        _ = try time("XLSX write") { xlsx = try XLSXWriter.write([sheet]) }
        try xlsx.write(to: URL(fileURLWithPath: dir).appendingPathComponent("ledger-100k.xlsx"))
        _ = try time("XLSX read (\(xlsx.count / 1024) KiB)") { table = try LedgerReader.read(xlsx) }
        if !xlsx.isEmpty { XCTAssertEqual(table.rows.count, n) }
        _ = try time("CSV write") { _ = try CSVTableWriter.write(sheet) }
        print("LedgerBench file: \(url.path)")
    }
}

/// `SAFEGRID_LEDGER_SAMPLES=/some/dir swift test --filter LedgerSamples`: writes `sample.xlsx`
/// and `sample.csv` for checking with other readers (`scripts/ledger-openpyxl-check.py`).
final class LedgerSamples: XCTestCase {
    func testWriteSamples() throws {
        guard let dir = ProcessInfo.processInfo.environment["SAFEGRID_LEDGER_SAMPLES"] else {
            throw XCTSkip("set SAFEGRID_LEDGER_SAMPLES to a folder")
        }
        let found = try Timestamp.parse("2024-10-16T09:30:00+08:00")
        let subjects = LedgerSheet(name: "企业", header: ["名称", "统一社会信用代码", "房间数", "发现日期", "发现时间", "规上企业", "备注"], rows: [
            [.text("杭州东湖纺织有限公司"), .text("91330109MA2B3C4D5Q"), .number(12), .date(try CalendarDate("2024-10-16")),
             .dateTime(found), .bool(true), .text("=HYPERLINK(\"http://example.invalid\",\"点我\")")],
            [.text("航坞五金店, \"分店\""), .empty, .number(0.5), .date(try CalendarDate("1900-03-01")), .empty, .bool(false), .text("-5 元\n第二行")],
            [.text("@某某"), .text("  前后空格  "), .number(13_800_000_000), .empty, .empty, .empty, .error("#N/A")],
        ])
        let summary = LedgerSheet(name: "汇总", header: ["村(社区)", "隐患数", "整改率"], rows: [
            [.text("东湖村"), .number(16241), .number(0.3399)],
        ])
        try XLSXWriter.write([subjects, summary]).write(to: URL(fileURLWithPath: dir).appendingPathComponent("sample.xlsx"))
        try CSVTableWriter.write(subjects).write(to: URL(fileURLWithPath: dir).appendingPathComponent("sample.csv"))
    }
}

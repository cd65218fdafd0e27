import Foundation
import SafeGridCore
import SafeGridLedger

/// Ledger (台账) throughput: rows per second for an N-row subject CSV (read, validate, both),
/// XLSX write and read, CSV write; and the cost of 20,000 rows against N (linear when the
/// ratio is near N / 20,000). Writes the files it measured to `out` for comparing with other
/// tools (`sqlite3 .import`, openpyxl).
enum LedgerBench {
    /// The subject ledger a town hands over: 9 columns, every 1,000th row bad (a phone and a
    /// latitude that no check accepts), so validation also pays for its problem reports.
    static func csv(rows n: Int) -> Data {
        var s = "类型,企业名称,统一社会信用代码,地址,村（社区）,联系人,联系电话,纬度,经度\r\n"
        s.reserveCapacity(n * 140)
        let villages = ["东湖村", "航坞社区", "运西村委会", "永福村"]
        for i in 0..<n {
            if i % 1000 == 999 {
                s += "沿街店铺,坏行\(i),,地址\(i),东湖村,某,12\(i),57983,120.46\r\n"
            } else {
                s += "沿街店铺,\"店铺\(i), 瓜沥\",,瓜沥镇某路\(i)号,\(villages[i % 4]),张\(i % 97),13\(String(format: "%09d", i)),30.18\(i % 10),120.46\(i % 10)\r\n"
            }
        }
        return Data(s.utf8)
    }

    /// Best of three runs of `body`, printed as seconds and rows per second.
    @discardableResult
    static func time(_ label: String, rows: Int, _ body: () throws -> Void) rethrows -> Double {
        var best = Double.infinity
        for _ in 0..<3 {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        print("ledger \(label): \(String(format: "%.3f", best)) s, \(Int(Double(rows) / best)) rows/s")
        return best
    }

    static func run(rows n: Int, out: String) throws {
        let areas = try BundledAreas.load()
        let data = csv(rows: n)
        let dir = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try data.write(to: dir.appendingPathComponent("ledger-\(n).csv"))
        var table = try LedgerReader.read(data)
        guard table.rows.count == n else { throw BenchFailure(description: "read \(table.rows.count) rows of \(n)") }
        let expected = n - n / 1000
        time("CSV read (\(data.count / 1024) KiB)", rows: n) { table = (try? LedgerReader.read(data)) ?? table }
        var result = SubjectImporter.validate(table, villages: areas)
        guard result.candidates.count == expected else {
            throw BenchFailure(description: "validated \(result.candidates.count) candidates, expected \(expected)")
        }
        time("validate", rows: n) { result = SubjectImporter.validate(table, villages: areas) }
        let whole = try time("CSV read + validate", rows: n) { _ = SubjectImporter.validate(try LedgerReader.read(data), villages: areas) }
        let small = 20_000
        if n > small {
            let smallData = csv(rows: small)
            let part = try time("CSV read + validate, \(small) rows", rows: small) {
                _ = SubjectImporter.validate(try LedgerReader.read(smallData), villages: areas)
            }
            print(String(format: "ledger linearity: %d rows cost %.2f× of %d rows (%.2f× the rows)",
                         n, whole / part, small, Double(n) / Double(small)))
        }
        let sheet = LedgerSheet(name: "Subjects", header: table.header, rows: table.rows.map { $0.cells.map(\.value) })
        var xlsx = Data()
        try time("XLSX write", rows: n) { xlsx = try XLSXWriter.write([sheet]) }
        try xlsx.write(to: dir.appendingPathComponent("ledger-\(n).xlsx"))
        try time("XLSX read (\(xlsx.count / 1024) KiB)", rows: n) { table = try LedgerReader.read(xlsx) }
        guard table.rows.count == n else { throw BenchFailure(description: "XLSX read \(table.rows.count) rows of \(n)") }
        try time("CSV write", rows: n) { _ = try CSVTableWriter.write(sheet) }
        print("ledger files: \(dir.path)/ledger-\(n).csv, .xlsx")
    }

    /// `sample.xlsx` and `sample.csv` with the awkward cells a town's files hold (a formula-like
    /// text, a comma and quotes in a name, a 1900 date, a fraction of a room, an error cell),
    /// for `scripts/ledger-openpyxl-check.py`.
    static func samples(into dir: String) throws {
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
        let url = URL(fileURLWithPath: dir)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try XLSXWriter.write([subjects, summary]).write(to: url.appendingPathComponent("sample.xlsx"))
        try CSVTableWriter.write(subjects).write(to: url.appendingPathComponent("sample.csv"))
        print("wrote \(url.path)/sample.xlsx and sample.csv")
    }
}

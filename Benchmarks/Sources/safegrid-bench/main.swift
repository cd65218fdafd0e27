import Foundation
import SafeGridCore
import SafeGridLedger

// `safegrid-bench`: benchmarks that print figures and exit non-zero when a run does not do what
// it measures (a wrong row count, an undelivered message). Figures belong in BENCHMARKS.md,
// measured on a release build: `swift run -c release safegrid-bench ledger`.

/// A run that did not do what it measures.
struct BenchFailure: Error, CustomStringConvertible {
    let description: String
}

func option(_ name: String, in arguments: [String]) -> String? {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return nil }
    return arguments[i + 1]
}

let usage = """
    usage: safegrid-bench ledger [--rows N] [--out DIR]
             read, validate and write an N-row subject ledger (default 100,000) as CSV and XLSX;
             the 20,000-row run beside it shows whether the cost stays linear
           safegrid-bench samples DIR
             write sample.xlsx and sample.csv for checking with other readers
             (scripts/ledger-openpyxl-check.py)
           safegrid-bench outbox [--messages N] [--batch B] [--concurrency C] [--log]
             deliver N queued messages (default 10,000) to a local Kannel-style gateway on 127.0.0.1
    """

let arguments = Array(CommandLine.arguments.dropFirst())
do {
    switch arguments.first {
    case "ledger":
        let rows = try option("--rows", in: arguments).map { s -> Int in
            guard let n = Int(s), n >= 1_000 else { throw BenchFailure(description: "--rows must be a whole number ≥ 1000, got \(s)") }
            return n
        } ?? 100_000
        try LedgerBench.run(rows: rows, out: option("--out", in: arguments) ?? NSTemporaryDirectory())
    case "samples":
        guard arguments.count == 2 else { throw BenchFailure(description: usage) }
        try LedgerBench.samples(into: arguments[1])
    case "outbox":
        try await OutboxBench.run(arguments)
    default:
        throw BenchFailure(description: usage)
    }
} catch {
    FileHandle.standardError.write(Data("safegrid-bench: \(error)\n".utf8))
    exit(1)
}

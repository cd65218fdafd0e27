import Foundation
import SQLKit
import SafeGridCore
import Vapor

/// `safegrid recount`: rebuilds the dashboard counters from the hazard and subject rows, in one
/// write transaction (writers wait meanwhile: about a minute at 1,000,000 hazards), and prints
/// how many counters differed (0 when the incremental counters were right, which they should
/// always be), each as stored → recounted.
struct RecountCommand: AsyncCommand {
    struct Signature: CommandSignature { init() {} }

    var help: String { "Rebuild the dashboard counters from the hazards and subjects; print the counters that differed" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let started = Date()
        let (before, after) = try await app.writeGate.transaction(on: app.db) { sql in
            try await DashboardCounters(sql: sql).rebuild()
        }
        var differing: [(area: String, metric: String, stored: Int, recounted: Int)] = []
        for area in Set(before.counts.keys).union(after.counts.keys).sorted() {
            for metric in Set(before[area].keys).union(after[area].keys).sorted() where before[area][metric] != after[area][metric] {
                differing.append((area, metric, before[area][metric] ?? 0, after[area][metric] ?? 0))
            }
        }
        context.console.print(String(format: "recounted %d counters over %d areas in %.1f s; %d differed",
                                     after.rows.count, after.counts.count, Date().timeIntervalSince(started), differing.count))
        if !differing.isEmpty { context.console.print("  area metric: stored → recounted (now stored)") }
        for d in differing.prefix(20) { context.console.print("  \(d.area) \(d.metric): \(d.stored) → \(d.recounted)") }
        if differing.count > 20 { context.console.print("  … and \(differing.count - 20) more") }
    }
}

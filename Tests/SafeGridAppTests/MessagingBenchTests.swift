import Foundation
import SQLKit
import SafeGridCore
import Testing
import Vapor
import VaporTesting
@testable import SafeGridApp

/// `SAFEGRID_BENCH=1 swift test --filter MessagingBench`: 10,000 messages to the local Kannel
/// gateway (accepting at once), on a SQLite file in WAL mode, default sender settings.
@Suite("SMS outbox throughput", .enabled(if: ProcessInfo.processInfo.environment["SAFEGRID_BENCH"] == "1"))
struct MessagingBenchTests {
    @Test func deliverTenThousandMessages() async throws {
        let n = Int(ProcessInfo.processInfo.environment["SAFEGRID_BENCH_N"] ?? "") ?? 10_000
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("safegrid-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try await withGateway { gw in
            try await withApp(configure: { app in
                try await configure(app, storage: .sqliteFile(dir.appendingPathComponent("bench.sqlite").path),
                                    services: SafeGridServices(now: { testNow }))
            }) { app in
                app.logger.logLevel = .warning
                app.useKannel(gw)
                // SAFEGRID_BENCH_LOG=1: the log provider instead (database cost only).
                if ProcessInfo.processInfo.environment["SAFEGRID_BENCH_LOG"] == "1" { app.smsProvider = LogSMSProvider(logger: app.logger) }
                if let b = ProcessInfo.processInfo.environment["SAFEGRID_BENCH_BATCH"].flatMap(Int.init) { app.outboxSettings.batchSize = b }
                if let c = ProcessInfo.processInfo.environment["SAFEGRID_BENCH_CONCURRENCY"].flatMap(Int.init) { app.outboxSettings.concurrency = c }
                let clock = ContinuousClock()
                var t = clock.now
                try await app.writeGate.transaction(on: app.db) { sql in
                    for i in 0..<n {
                        let m = OutgoingMessage(kind: .notice, subjectID: nil, inspectionID: nil, hazardID: nil,
                                                body: "【瓜沥镇除险保安】整改通知 第\(i)号：您有2处隐患请于12月7日前整改。",
                                                segments: 1, recipients: [mobile(i)], dedupeKey: "bench:\(i)")
                        try await Outbox.enqueue(m, sql: sql, at: testNow)
                    }
                }
                let queueing = clock.now - t
                t = clock.now
                var sent = 0
                var passes = 0
                while true {
                    let r = try await app.outboxSender.runOnce(now: testNow)
                    passes += 1
                    if r.sent + r.retried + r.failed == 0 { break }
                    sent += r.sent
                }
                let took = clock.now - t
                let seconds = Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18
                let s = app.outboxSettings
                print(String(format: "outbox bench: queued %d messages in %.2f s; delivered %d in %.2f s = %.0f messages/s (%d passes, batch %d, concurrency %d)",
                             n, Double(queueing.components.seconds) + Double(queueing.components.attoseconds) / 1e18,
                             sent, seconds, Double(sent) / seconds, passes, s.batchSize, s.concurrency))
                #expect(sent == n)
                if app.smsProvider.name == "kannel" { #expect(await gw.script.total == n) }
            }
        }
    }
}

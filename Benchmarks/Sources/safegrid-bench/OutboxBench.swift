import Foundation
import SQLKit
import SafeGridApp
import SafeGridCore
import Vapor

/// SMS outbox throughput: queues N messages on a SQLite file in WAL mode (default sender
/// settings unless `--batch`/`--concurrency` say otherwise), then delivers them to a local
/// Kannel-style gateway on 127.0.0.1 that accepts each at once (`--log`: to the log provider,
/// the database's cost only). Prints queueing and delivery rates; fails unless every message
/// was delivered exactly once.
enum OutboxBench {
    /// Counts what the gateway accepted.
    actor Count {
        var n = 0
        func add() { n += 1 }
    }

    static func run(_ arguments: [String]) async throws {
        func int(_ name: String, _ range: ClosedRange<Int>) throws -> Int? {
            try option(name, in: arguments).map { s in
                guard let n = Int(s), range.contains(n) else { throw BenchFailure(description: "\(name) must be a whole number in \(range), got \(s)") }
                return n
            }
        }
        let n = try int("--messages", 1...1_000_000) ?? 10_000
        let batch = try int("--batch", 1...10_000)
        let concurrency = try int("--concurrency", 1...1_000)
        let toLog = arguments.contains("--log")

        let gateway = try await Application.make(.production)
        gateway.logger.logLevel = .warning
        gateway.http.server.configuration.hostname = "127.0.0.1"
        gateway.http.server.configuration.port = 0
        let accepted = Count()
        let accept: @Sendable (Request) async throws -> Response = { _ in
            await accepted.add()
            return Response(status: .accepted, body: .init(string: "0: Accepted for delivery"))
        }
        gateway.get("cgi-bin", "sendsms", use: accept)
        try await gateway.server.start(address: .hostname("127.0.0.1", port: 0))
        guard let port = gateway.http.server.shared.localAddress?.port else { throw BenchFailure(description: "the gateway has no port") }

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("safegrid-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let now = Date()
        let app = try await Application.make(.testing)
        app.logger.logLevel = .warning
        do {
            try await configure(app, storage: .sqliteFile(dir.appendingPathComponent("bench.sqlite").path),
                                services: SafeGridServices(now: { now }))
            app.smsProvider = toLog
                ? LogSMSProvider(logger: app.logger)
                : KannelSMSProvider(config: .init(url: "http://127.0.0.1:\(port)/cgi-bin/sendsms", username: "safegrid", password: "bench"),
                                    client: app.client)
            if let batch { app.outboxSettings.batchSize = batch }
            if let concurrency { app.outboxSettings.concurrency = concurrency }

            let clock = ContinuousClock()
            var t = clock.now
            try await app.writeGate.transaction(on: app.db) { sql in
                for i in 0..<n {
                    let m = OutgoingMessage(kind: .notice, subjectID: nil, inspectionID: nil, hazardID: nil,
                                            body: "【瓜沥镇除险保安】整改通知 第\(i)号：您有2处隐患请于12月7日前整改。",
                                            segments: 1, recipients: ["139" + String(format: "%08d", i)], dedupeKey: "bench:\(i)")
                    try await Outbox.enqueue(m, sql: sql, at: now)
                }
            }
            let queueing = seconds(clock.now - t)
            t = clock.now
            var sent = 0, passes = 0
            while true {
                let r = try await app.outboxSender.runOnce(now: now)
                passes += 1
                if r.sent + r.retried + r.failed == 0 { break }
                sent += r.sent
            }
            let delivering = seconds(clock.now - t)
            let s = app.outboxSettings
            print(String(format: "outbox: queued %d messages in %.2f s; delivered %d in %.2f s = %.0f messages/s (%d passes, batch %d, concurrency %d, %@)",
                         n, queueing, sent, delivering, Double(sent) / delivering, passes, s.batchSize, s.concurrency,
                         toLog ? "log provider" : "local Kannel gateway"))
            let atGateway = await accepted.n
            guard sent == n, toLog || atGateway == n else {
                throw BenchFailure(description: "delivered \(sent) and the gateway accepted \(atGateway) of \(n) messages")
            }
        } catch {
            try? await app.asyncShutdown()
            await gateway.server.shutdown()
            try? await gateway.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
        await gateway.server.shutdown()
        try await gateway.asyncShutdown()
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}

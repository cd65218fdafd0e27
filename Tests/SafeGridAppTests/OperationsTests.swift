import Foundation
import SQLKit
import SafeGridCore
import Testing
import Vapor
import VaporTesting
@testable import SafeGridApp

@Suite("Operations: health, readiness, request ids, backup")
struct OperationsTests {
    @Test func healthAndReadinessAnswer() async throws {
        try await withSafeGrid { app in
            // Raw: the probes answer a bare {"status": …} for load balancers, not an API type.
            let h = try await app.send(.GET, "/healthz")
            #expect(h.status == .ok)
            #expect(h.json["status"] as? String == "ok")
            let r = try await app.send(.GET, "/readyz")
            #expect(r.status == .ok)
            #expect(r.json["status"] as? String == "ready")
            #expect(h.headers.first(name: "X-Request-Id")?.isEmpty == false)
            // Errors carry the request id too.
            #expect(try await app.send(.GET, "/api/v1/areas/999", token: app.adminToken).headers.first(name: "X-Request-Id")?.isEmpty == false)
        }
    }

    @Test func backupWritesAConsistentCopyOfTheSQLiteFile() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sg-backup-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("live.sqlite").path
        let copy = dir.appendingPathComponent("copy.sqlite").path
        try await withApp(configure: { app in
            try await configure(app, storage: .sqliteFile(db), services: SafeGridServices(now: { testNow }))
        }) { app in
            try await signInAdmin(app)
            let mg = try await addMicroGrid(app)
            _ = try await createEnterprise(app, microGrid: mg)
            var context = CommandContext(console: app.console, input: CommandInput(arguments: ["safegrid", copy]))
            context.application = app
            try await BackupCommand().run(using: &context)
            // A second backup to the same path is refused rather than overwriting.
            var again = CommandContext(console: app.console, input: CommandInput(arguments: ["safegrid", copy]))
            again.application = app
            await #expect(throws: (any Error).self) { try await BackupCommand().run(using: &again) }
        }
        try await withApp(configure: { app in
            try await configure(app, storage: .sqliteFile(copy), services: SafeGridServices(now: { testNow }))
        }) { app in
            // The copy holds the accounts and sessions too: sign in with a new token there.
            let token = try await app.writeGate.transaction(on: app.db, changesCampaign: false) { sql in
                try await AuthSessions.open(try #require(try await AccountStore(sql: sql).user(username: "test.admin")).account,
                                            kind: "api", sql: sql, now: testNow).token
            }
            let r = try await app.send(.GET, "/api/v1/subjects", token: token)
            #expect(try r.decoded(Page<SubjectDTO>.self).total == 1)
        }
    }
}

@Suite("Metrics")
struct MetricsTests {
    @Test func metricsExposeQueueDepthsAndOverdueHazardsInPrometheusFormat() async throws {
        try await withSafeGrid { app in
            try await app.writeGate.transaction(on: app.db) { sql in
                try await Outbox.enqueue(OutgoingMessage(kind: .notice, subjectID: nil, inspectionID: nil, hazardID: nil, body: "x",
                                                         segments: 1, recipients: ["13800000000"], dedupeKey: "m"), sql: sql, at: testNow)
            }
            Telemetry.recordJob("deadlines", .milliseconds(30))
            let r = try await app.send(.GET, "/metrics", token: app.adminToken)
            #expect(r.status == .ok)
            #expect(r.headers.first(name: .contentType)?.hasPrefix("text/plain") == true)
            #expect(r.body.contains("safegrid_sms_recipients{state=\"queued\"} 1"))
            #expect(r.body.contains("safegrid_hazards_overdue 0"))
            #expect(r.body.contains("safegrid_job_duration_seconds_bucket{job=\"deadlines\""))
        }
    }
}

@Suite("OpenAPI document")
struct OpenAPITests {
    /// Every `/api/v1` and `/open311/v2` route of the router is described, with its method, and nothing else is.
    @Test func theDocumentDescribesExactlyTheRoutesOfTheRouter() async throws {
        try await withSafeGrid { app in
            let routed = Set(app.routes.all.compactMap { route -> String? in
                let path = "/" + route.path.map { c -> String in
                    if case .parameter(let name) = c { return "{\(name)}" }
                    return c.description
                }.joined(separator: "/")
                guard path.hasPrefix("/api/v1/") || path.hasPrefix("/open311/v2/") else { return nil }
                return "\(route.method.rawValue.lowercased()) \(path)"
            })
            // Raw: the OpenAPI document is checked as the JSON a client reads, not through our types.
            let r = try await app.send(.GET, "/openapi.json")
            #expect(r.status == .ok)
            #expect(r.json["openapi"] as? String == "3.1.0")
            let paths = r.json["paths"] as? [String: [String: Any]] ?? [:]
            var described = Set<String>()
            for (path, methods) in paths {
                for (method, operation) in methods {
                    described.insert("\(method) \(path)")
                    let op = operation as? [String: Any] ?? [:]
                    #expect(op["responses"] != nil, "\(method) \(path) has no responses")
                    let parameters = (op["parameters"] as? [[String: Any]] ?? []).filter { $0["in"] as? String == "path" }
                    let placeholders = path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) }
                    #expect(Set(parameters.compactMap { $0["name"] as? String }) == Set(placeholders), "\(method) \(path)")
                }
            }
            #expect(routed.count >= 20, "\(routed)")
            #expect(routed.subtracting(described).sorted() == [], "routes without a description")
            #expect(described.subtracting(routed).sorted() == [], "descriptions without a route")
            // Every schema a path refers to exists.
            let schemas = Set(((r.json["components"] as? [String: Any])?["schemas"] as? [String: Any] ?? [:]).keys)
            let refs = Set(r.body.components(separatedBy: "#/components/schemas/").dropFirst().compactMap { $0.split(separator: "\"").first.map(String.init) })
            #expect(refs.subtracting(schemas).isEmpty, "\(refs.subtracting(schemas))")
        }
    }
}

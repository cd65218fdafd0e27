import Foundation
import SQLKit
import SafeGridCore
import Testing
import Vapor
import VaporTesting
@testable import SafeGridApp

/// Two app instances share one database (a SQLite file here, or a PostgreSQL database when
/// `SAFEGRID_TEST_POSTGRES` is set): every queued message is claimed by one sender only.
@Suite("Several instances on one database")
struct MultiInstanceTests {
    /// A shared database for two apps, removed afterwards.
    func withSharedStorage(_ body: (StorageChoice) async throws -> Void) async throws {
        if let admin = ProcessInfo.processInfo.environment["SAFEGRID_TEST_POSTGRES"], !admin.isEmpty {
            await TestPostgres.slots.acquire()
            defer { Task { await TestPostgres.slots.release() } }
            let name = "sg_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            try await TestPostgres.createDatabase(admin, name)
            var url = URLComponents(string: admin)!
            url.path = "/\(name)"
            do { try await body(.postgres(url.string!)) } catch {
                try? await TestPostgres.execute(admin, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
                throw error
            }
            try await TestPostgres.execute(admin, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        } else {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sg-shared-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            try await body(.sqliteFile(dir.appendingPathComponent("shared.sqlite").path))
        }
    }

    /// Two apps configured on one shared database.
    func withTwoInstances(_ body: (Application, Application) async throws -> Void) async throws {
        try await withTwoInstances { a, b, _ in try await body(a, b) }
    }

    /// Two apps configured on one shared database, and the database.
    func withTwoInstances(_ body: (Application, Application, StorageChoice) async throws -> Void) async throws {
        try await withSharedStorage { storage in
            try await withApp(configure: { a in
                try await configure(a, storage: storage, services: SafeGridServices(now: { testNow }))
            }) { a in
                try await withApp(configure: { b in
                    try await configure(b, storage: storage, services: SafeGridServices(now: { testNow }))
                }) { b in
                    // One account for both: its session lives in the shared database.
                    try await signInAdmin(a)
                    b.storage[AdminTokenKey.self] = a.storage[AdminTokenKey.self]
                    try await body(a, b, storage)
                }
            }
        }
    }

    /// The deadline jobs' lease: one instance holds it, the other is refused until it expires or
    /// is released; the holder renews it.
    @Test func oneInstanceHoldsTheDeadlineJobsLeaseUntilItExpires() async throws {
        try await withTwoInstances { a, b in
            let la = JobLease(sql: a.sql), lb = JobLease(sql: b.sql)
            let name = DeadlineJobsRunner.leaseName
            #expect(try await la.acquire(name, holder: "a", now: testNow, duration: 150))
            #expect(try await !lb.acquire(name, holder: "b", now: testNow.addingTimeInterval(60), duration: 150))
            #expect(try await la.acquire(name, holder: "a", now: testNow.addingTimeInterval(60), duration: 150))
            // a's renewed lease runs to +210 s: b is still refused at +200, takes over at +211.
            #expect(try await !lb.acquire(name, holder: "b", now: testNow.addingTimeInterval(200), duration: 150))
            #expect(try await lb.acquire(name, holder: "b", now: testNow.addingTimeInterval(211), duration: 150))
            #expect(try await !la.acquire(name, holder: "a", now: testNow.addingTimeInterval(212), duration: 150))
            try await lb.release(name, holder: "b")
            #expect(try await la.acquire(name, holder: "a", now: testNow.addingTimeInterval(213), duration: 150))
        }
    }

    /// Two instances inspecting subjects of one town at the same time: the town's hash chain
    /// stays one chain (no two events chained from the same previous hash) and the counters
    /// agree with a recount.
    @Test func twoInstancesWritingOneTownKeepOneChainAndRightCounters() async throws {
        try await withTwoInstances { a, b in
            let mg = try await addMicroGrid(a)
            var subjects: [String] = []
            for i in 0..<6 { subjects.append(try await createEnterprise(a, microGrid: mg, serial: "MA2AB3E\(i)")) }
            let bodies = try (0..<40).map { i in
                let at = Timestamp.format(testNow.addingTimeInterval(-Double(40 - i) * 600))
                let item = ["ELEC-01", "EVAC-01", "FIRE-02", "LANE-01"][i % 4]
                let body = inspectionBody(subject: subjects[i % 6], clientId: "multi-\(i)", at: at,
                                          results: [["itemCode": item, "outcome": "hazard"]])
                return String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
            }
            let statuses = try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                for (i, json) in bodies.enumerated() {
                    let app = i % 2 == 0 ? a : b
                    group.addTask { try await app.send(.POST, "/api/v1/inspections", json: json, token: app.adminToken).status }
                }
                var all: [HTTPStatus] = []
                for try await s in group { all.append(s) }
                return all
            }
            #expect(statuses.allSatisfy { $0 == .created })
            let audit = try await Audit.verify(sql: a.sql)
            #expect(audit.intact, "\(audit.lines)")
            let counters = DashboardCounters(sql: a.sql)
            #expect(CountersTests.diff(try await counters.stored(), try await counters.recount()).isEmpty)
        }
    }

    /// Ten clients on two instances act on one hazard version at once, and send one clientId
    /// twenty times: one action wins (the others 409), one inspection is stored (the others
    /// replay it), and counters and chain stay right.
    @Test func racesAcrossInstancesHaveOneWinner() async throws {
        try await withTwoInstances { a, b in
            let mg = try await addMicroGrid(a)
            let subject = try await createEnterprise(a, microGrid: mg)
            let first = try await a.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: subject), token: a.adminToken)
            let hazard = try first.decoded(InspectionDTO.self).hazards.first?.id.uuidString ?? ""
            let actions = try (0..<10).map { i in
                String(decoding: try JSONSerialization.data(withJSONObject: [
                    "action": i % 2 == 0 ? "startRectification" : "verifyRectified", "actor": "李伟", "version": 1]), as: UTF8.self)
            }
            let statuses = try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                for (i, json) in actions.enumerated() {
                    let app = i % 2 == 0 ? a : b
                    group.addTask { try await app.send(.POST, "/api/v1/hazards/\(hazard)/actions", json: json, token: app.adminToken).status }
                }
                var all: [HTTPStatus] = []
                for try await s in group { all.append(s) }
                return all
            }
            #expect(statuses.filter { $0 == .ok }.count == 1)
            #expect(statuses.filter { $0 == .conflict }.count == 9)

            let same = String(decoding: try JSONSerialization.data(withJSONObject: inspectionBody(
                subject: subject, clientId: "race-1", at: "2026-11-30T09:45:00+08:00")), as: UTF8.self)
            let replies = try await withThrowingTaskGroup(of: (HTTPStatus, Bool).self) { group in
                for i in 0..<20 {
                    let app = i % 2 == 0 ? a : b
                    group.addTask {
                        let r = try await app.send(.POST, "/api/v1/inspections", json: same, token: app.adminToken)
                        return (r.status, r.headers.first(name: "Idempotent-Replayed") == "true")
                    }
                }
                var all: [(HTTPStatus, Bool)] = []
                for try await r in group { all.append(r) }
                return all
            }
            #expect(replies.allSatisfy { $0.0 == .created })
            #expect(replies.filter { !$0.1 }.count == 1)
            let stored = try await a.sql.raw("SELECT COUNT(*) AS n FROM inspections WHERE client_id = 'race-1'").first()?
                .decode(column: "n", as: Int.self)
            #expect(stored == 1)
            #expect(try await Audit.verify(sql: a.sql).intact)
            let counters = DashboardCounters(sql: a.sql)
            #expect(CountersTests.diff(try await counters.stored(), try await counters.recount()).isEmpty)
        }
    }

    @Test func twoInstancesSendEachOfAThousandMessagesOnce() async throws {
        let n = 1_000
        try await withGateway { gw in
            try await withSharedStorage { storage in
                try await withApp(configure: { a in
                    try await configure(a, storage: storage, services: SafeGridServices(now: { testNow }))
                }) { a in
                    a.useKannel(gw)
                    try await a.writeGate.transaction(on: a.db) { sql in
                        for i in 0..<n {
                            try await Outbox.enqueue(OutgoingMessage(kind: .notice, subjectID: nil, inspectionID: nil, hazardID: nil,
                                                                     body: "多实例 \(i)", segments: 1, recipients: [mobile(5000 + i)],
                                                                     dedupeKey: "multi:\(i)"), sql: sql, at: testNow)
                        }
                    }
                    try await withApp(configure: { b in
                        try await configure(b, storage: storage, services: SafeGridServices(now: { testNow }))
                    }) { b in
                        b.useKannel(gw)
                        let senders = [a.outboxSender, b.outboxSender]
                        let sent = try await withThrowingTaskGroup(of: Int.self) { group in
                            for sender in senders {
                                group.addTask {
                                    var total = 0
                                    while true {
                                        let r = try await sender.runOnce(now: testNow)
                                        if r.sent + r.retried + r.failed == 0 { return total }
                                        total += r.sent
                                    }
                                }
                            }
                            var all: [Int] = []
                            for try await s in group { all.append(s) }
                            return all
                        }
                        #expect(sent.reduce(0, +) == n)
                        #expect(try await recipientStates(a)["sent"] == n)
                    }
                }
            }
            let received = await gw.script.received
            #expect(received.count == n)
            #expect(Set(received.map(\.to)).count == n)
        }
    }

    /// On PostgreSQL a write on one instance reaches the screens open on another (LISTEN/NOTIFY)
    /// and drops its cached figures; a screen of another area is not woken. (SQLite is one process:
    /// nothing to listen to.)
    @Test func aWriteOnOneInstanceReachesTheScreensOfAnother() async throws {
        guard ProcessInfo.processInfo.environment["SAFEGRID_TEST_POSTGRES"].map({ !$0.isEmpty }) == true else { return }
        try await withTwoInstances { a, b, storage in
            guard case .postgres = storage else { return }
            // What a serving process does at boot (tests do not boot the background work).
            let listener = try #require(b.storage[LiveListenerKey.self])
            listener.start(b)
            let mg = try await addMicroGrid(a)
            let subject = try await createEnterprise(a, microGrid: mg)
            // The listener's first connection tells every stream once; let it pass.
            try await Task.sleep(for: .seconds(1))
            let screen = try #require(await b.liveFeed.subscribe(area: String(mg.prefix(12))))
            let elsewhere = try #require(await b.liveFeed.subscribe(area: "330109113999"))
            let before = await b.writeGate.generation
            let r = try await a.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: subject), token: a.adminToken)
            #expect(r.status == .created)
            let woke = await LiveTests.changed(screen.signals, within: 10)
            #expect(woke)
            let after = await b.writeGate.generation
            #expect(after > before)
            let other = await LiveTests.changed(elsewhere.signals, within: 0.5)
            #expect(!other)
            await b.liveFeed.unsubscribe(screen.id)
            await b.liveFeed.unsubscribe(elsewhere.id)
        }
    }
}

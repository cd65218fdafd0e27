import Foundation
import SQLKit
import SafeGridCore
import Testing
import Vapor
@testable import SafeGridApp

/// A row written behind the app's back (another tool, a manual fix, a restored backup) must not
/// take the server down: it is skipped, logged and counted, and every list, export, page and job
/// goes on without it.
@Suite("Corrupt stored rows")
struct CorruptRowTests {
    /// Column kinds a corrupt value can hit, each on its own hazard: a day, an enum, a number, a
    /// UUID, a timestamp.
    static let corruptions: [(column: String, value: String)] = [
        ("found_on", "2026-13-45"), ("state", "exploded"), ("rebound_count", "many"),
        ("subject_id", "not-a-uuid"), ("due_at", "next tuesday"), ("severity", "apocalyptic"),
        // Times no clock shows: far past, far future, infinite (stored as numbers).
        ("due_at", "-1e300"), ("found_at", "1e300"), ("due_at", "inf"), ("micro_grid_code", "nope"),
    ]

    @Test(arguments: corruptions.indices)
    func aCorruptHazardRowIsSkippedEverywhere(index: Int) async throws {
        let (column, value) = Self.corruptions[index]
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app)
            let subject = try await createEnterprise(app, microGrid: mg)
            let r = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: subject), token: app.adminToken)
            #expect(r.status == .created)
            let hazards = try r.decoded(InspectionDTO.self).hazards.map(\.id.uuidString)
            #expect(hazards.count == 2)
            let bad = hazards[0], good = hazards[1]
            // Behind the app's back: a text where the column's kind expects something else.
            let number = Double(value)
            guard try await corrupt(app, number.map { "UPDATE hazards SET \(unsafeRaw: column) = \(bind: $0) WHERE id = \(bind: UUID(uuidString: bad))" }
                                    ?? "UPDATE hazards SET \(unsafeRaw: column) = \(bind: value) WHERE id = \(bind: UUID(uuidString: bad))") else { return }

            let admin = app.adminToken
            // Lists and details: the good hazard, without the bad one.
            let list = try await app.send(.GET, "/api/v1/hazards", token: admin)
            #expect(list.status == .ok, "\(column): \(list.body)")
            #expect(list.body.lowercased().contains(good.lowercased()))
            #expect(!list.body.lowercased().contains(bad.lowercased()))
            #expect(try await app.send(.GET, "/api/v1/hazards/\(bad)", token: admin).status == .notFound)
            #expect(try await app.send(.GET, "/api/v1/hazards/\(good)", token: admin).status == .ok)
            for path in ["/api/v1/subjects", "/api/v1/subjects/\(subject)", "/api/v1/inspections", "/api/v1/dashboard",
                         "/api/v1/dashboard?areaCode=330109113201", "/api/v1/changes", "/api/v1/tasks?areaCode=\(mg)",
                         "/api/v1/key-hazards", "/api/v1/performance", "/api/v1/messages",
                         "/", "/dashboard", "/villages/330109113201", "/subjects/\(subject)", "/hazards/\(good)",
                         "/key-hazards", "/performance", "/messages", "/open311/v2/requests.json", "/open311/v2/requests.xml"] {
                let answer = try await app.send(.GET, path, token: admin)
                #expect(answer.status.code < 500, "\(column): \(path) → \(answer.status) \(answer.body.prefix(300))")
            }
            // Exports: complete minus the bad row (a header line and the good hazard).
            let csv = try await app.send(.GET, "/api/v1/exports/hazards.csv", token: admin)
            #expect(csv.status == .ok, "\(column): \(csv.body.prefix(300))")
            let lines = csv.body.split(whereSeparator: \.isNewline).filter { !$0.isEmpty }
            #expect(lines.count >= 2, "\(column): \(csv.body)")
            for path in ["/api/v1/exports/hazards.xlsx", "/api/v1/exports/subjects.csv", "/api/v1/exports/villages.csv"] {
                #expect(try await app.send(.GET, path, token: admin).status == .ok, "\(column): \(path)")
            }
            // Jobs go on.
            await #expect(throws: Never.self, "\(column): deadline jobs") {
                _ = try await DeadlineJobs.runOnce(app: app, now: testNow.addingTimeInterval(86_400 * 20))
            }
            await #expect(throws: Never.self, "\(column): key hazard ranking") {
                _ = try await KeyHazards.rank(app: app, asOf: CalendarDate(shanghai: testNow), now: testNow, trigger: "test", scheduled: false)
            }
            await #expect(throws: Never.self, "\(column): recount") { _ = try await DashboardCounters(sql: app.sql).recount() }
            await #expect(throws: Never.self, "\(column): audit") { _ = try await Audit.verify(sql: app.sql) }
            // `safegrid check` names the row.
            let found = try await StoredRowCheck.run(sql: app.sql)
            #expect(found.contains { $0.table == "hazards" && $0.id == bad.lowercased() }, "\(column): \(found)")
            #expect(!found.contains { $0.id == good.lowercased() })
        }
    }

    @Test func aCorruptSubjectRowAndInspectionJSONAreSkipped() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app)
            let subject = try await createEnterprise(app, microGrid: mg)
            let other = try await createEnterprise(app, microGrid: mg, serial: "MA2AB3CE")
            let body = inspectionBody(subject: other, clientId: "client-1")
            #expect(try await app.send(.POST, "/api/v1/inspections", object: body, token: app.adminToken).status == .created)
            try await app.sql.raw("UPDATE subjects SET kind = 'spaceship' WHERE id = \(bind: UUID(uuidString: subject))").run()
            // A third enterprise, inspected, whose micro-grid code is no code: ranked and jobs run without it.
            let third = try await createEnterprise(app, microGrid: mg, serial: "MA2AB3CF")
            #expect(try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: third), token: app.adminToken).status == .created)
            let corrupted = try await corrupt(app, "UPDATE subjects SET micro_grid_code = 'nope' WHERE id = \(bind: UUID(uuidString: third))")
            await #expect(throws: Never.self) {
                _ = try await KeyHazards.rank(app: app, asOf: CalendarDate(shanghai: testNow), now: testNow, trigger: "test", scheduled: false)
            }
            await #expect(throws: Never.self) { _ = try await DeadlineJobs.runOnce(app: app, now: testNow.addingTimeInterval(86_400 * 90)) }
            try await app.sql.raw("UPDATE inspections SET response_json = '{broken' WHERE client_id = 'client-1'").run()
            let admin = app.adminToken
            let list = try await app.send(.GET, "/api/v1/subjects", token: admin)
            #expect(list.status == .ok)
            #expect(list.body.lowercased().contains(other.lowercased()) && !list.body.lowercased().contains(subject.lowercased()))
            #expect(try await app.send(.GET, "/subjects/\(subject)", token: admin).status == .notFound)
            #expect(try await app.send(.GET, "/api/v1/exports/subjects.csv", token: admin).status == .ok)
            // A replay whose stored answer cannot be read is answered from the stored rows, or
            // refused plainly — never a server error.
            let replay = try await app.send(.POST, "/api/v1/inspections", object: body, token: admin)
            #expect(replay.status.code < 500, "\(replay.body)")
            let found = try await StoredRowCheck.run(sql: app.sql)
            #expect(found.contains { $0.table == "subjects" && $0.id == subject.lowercased() })
            #expect(!corrupted || found.contains { $0.table == "subjects" && $0.id == third.lowercased() })
        }
    }

    @Test func aCorruptDirectedTaskLeavesTheTaskListStandingAndALongSearchIsRefused() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app)
            let subject = try await createEnterprise(app, microGrid: mg)
            let given = try await app.send(.POST, "/api/v1/tasks/directed",
                                           object: ["subjectId": subject, "dueOn": "2026-12-05", "reason": "群众举报"], token: app.adminToken)
            #expect(given.status == .created, "\(given.body)")
            #expect(try await corrupt(app, "UPDATE directed_tasks SET due_on = '2026-02-30'"))
            let tasks = try await app.send(.GET, "/api/v1/tasks?areaCode=\(mg)", token: app.adminToken)
            #expect(tasks.status == .ok, "\(tasks.body)")
            #expect(tasks.body.lowercased().contains(subject.lowercased()))
            // A name search longer than any name is refused plainly, not a database error.
            let long = try await app.send(.GET, "/api/v1/subjects?q=" + String(repeating: "a", count: 50_000), token: app.adminToken)
            #expect(long.status == .unprocessableEntity)
            #expect(try long.problem().field == "q")
            #expect(try await app.send(.GET, "/api/v1/subjects?q=" + String(repeating: "a", count: 200), token: app.adminToken).status == .ok)
        }
    }

    /// Runs a corrupting statement on one connection with foreign keys off (SQLite), or as it is
    /// (PostgreSQL). False when PostgreSQL's column types refuse the value: such a row cannot exist there.
    func corrupt(_ app: Application, _ statement: SQLQueryString) async throws -> Bool {
        if app.sql.dialect.name != "sqlite" {
            do { try await app.sql.raw(statement).run(); return true } catch { return false }
        }
        try await app.db.withConnection { conn in
            guard let sql = conn as? any SQLDatabase else { return conn.eventLoop.makeSucceededVoidFuture() }
            return sql.raw("PRAGMA foreign_keys = OFF").run()
                .flatMap { sql.raw(statement).run() }
                .flatMap { sql.raw("PRAGMA foreign_keys = ON").run() }
        }.get()
        return true
    }
}

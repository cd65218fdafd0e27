import Foundation
import SQLKit
import SafeGridCore
import Testing
import Vapor
@testable import SafeGridApp
@testable import SafeGridDemo

@Suite("Dashboard counters: kept in the write's transaction, always equal to a recount")
struct CountersTests {
    /// Items every subject kind of the test can fail.
    static let items = ["ELEC-01", "ELEC-02", "ELEC-05", "EVAC-01", "EVAC-02", "EVAC-03", "EVAC-04", "FIRE-02", "FIRE-03",
                        "LANE-01", "EBIKE-01"]

    func expectAgreement(_ app: Application, _ step: String) async throws {
        let counters = DashboardCounters(sql: app.sql)
        let stored = try await counters.stored()
        let recounted = try await counters.recount()
        let differing = Self.diff(stored, recounted)
        #expect(differing.isEmpty, "counters differ from a recount after \(step): \(differing.prefix(8))")
    }

    static func diff(_ a: DashboardTally, _ b: DashboardTally) -> [String] {
        let x = Set(a.rows.map { "\($0.area) \($0.metric)=\($0.value)" }), y = Set(b.rows.map { "\($0.area) \($0.metric)=\($0.value)" })
        return x.symmetricDifference(y).sorted()
    }

    /// Random sequences of inspections, hazard actions (valid and refused), closures and
    /// deadline-job runs over subjects of two kinds in two villages; after every step the
    /// counters equal a recount from the rows, and at the end the dashboard's figures equal
    /// plain aggregates over the hazard rows.
    @Test(arguments: [UInt64(1), 2, 3])
    func countersAgreeWithARecountAfterRandomSequences(seed: UInt64) async throws {
        try await withSafeGrid { app in
            var rng = SeededGenerator(seed: seed)
            let grids = [try await addMicroGrid(app, village: "330109113201"), try await addMicroGrid(app, village: "330109113001")]
            var subjects: [String] = []
            for i in 0..<6 {
                var body = enterpriseBody(microGrid: grids[i % 2], credit: creditCode("MA2AB3C\(i)"))
                if i % 3 == 2 {
                    body["kind"] = "rentalHousing"
                    body["creditCode"] = nil
                    body["aboveScale"] = nil
                    body["rooms"] = 5 + i
                    body["name"] = "出租房\(i)号"
                }
                let r = try await app.send(.POST, "/api/v1/subjects", object: body, token: app.adminToken)
                #expect(r.status == .created, "subject \(i): \(r.body)")
                subjects.append(try r.decoded(SubjectDTO.self).id.uuidString)
            }
            var hazards: [String] = []
            var accepted = 0
            for step in 0..<60 {
                let roll = Int.random(in: 0..<10, using: &rng)
                var label = ""
                if roll < 3 || hazards.isEmpty {
                    let subject = subjects.randomElement(using: &rng)!
                    let failed = Set(Self.items.shuffled(using: &rng).prefix(Int.random(in: 0...3, using: &rng)))
                    let daysAgo = Int.random(in: 0...40, using: &rng)
                    let at = Timestamp.format(testNow.addingTimeInterval(-Double(daysAgo) * 86_400 - 3_600))
                    let results = Self.items.prefix(6).map { ["itemCode": $0, "outcome": failed.contains($0) ? "hazard" : "pass"] }
                        + failed.filter { !Self.items.prefix(6).contains($0) }.map { ["itemCode": $0, "outcome": "hazard"] }
                    let r = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: subject, at: at, results: results), token: app.adminToken)
                    if r.status == .created {
                        accepted += 1
                        hazards += try r.decoded(InspectionDTO.self).hazards.map(\.id.uuidString)
                    }
                    label = "inspection \(r.status.code)"
                } else if roll < 8 {
                    let hazard = hazards.randomElement(using: &rng)!
                    let action = ["startRectification", "verifyRectified", "verifyRectified", "notYetRectified", "reportRebound"]
                        .randomElement(using: &rng)!
                    var body: [String: Any] = ["action": action, "actor": "李伟"]
                    if action == "notYetRectified" || action == "reportRebound" { body["reason"] = "复查未通过" }
                    if action == "notYetRectified", Bool.random(using: &rng) {
                        body["dueOn"] = CalendarDate(shanghai: testNow).adding(days: Int.random(in: -3...10, using: &rng)).description
                    }
                    let r = try await app.send(.POST, "/api/v1/hazards/\(hazard)/actions", object: body, token: app.adminToken)
                    if r.status == .ok { accepted += 1 }
                    label = "\(action) \(r.status.code)"
                } else if roll == 8 {
                    let report = try await DeadlineJobs.runOnce(app: app, now: testNow)
                    label = "deadline jobs (\(report.hazardsMarkedOverdue) marked)"
                } else {
                    let subject = subjects.randomElement(using: &rng)!
                    let r = try await app.send(.POST, "/api/v1/subjects/\(subject)/close-down",
                                               object: ["actor": "综合执法队", "reason": "无证经营，责令关停"], token: app.adminToken)
                    if r.status == .ok { accepted += 1 }
                    label = "close-down \(r.status.code)"
                }
                try await expectAgreement(app, "step \(step): \(label)")
            }
            #expect(accepted > 15, "the random sequence should mostly be accepted, got \(accepted)")
            #expect(!hazards.isEmpty)

            // The dashboard from the counters equals plain aggregates over the rows.
            let sql = app.sql
            for area in ["330109", "330109113", "330109113201", grids[1]] {
                let d = try await app.send(.GET, "/api/v1/dashboard?areaCode=\(area)", token: app.adminToken)
                #expect(d.status == .ok)
                let figures = try d.decoded(DashboardFigures.self)
                let column = CampaignQueries.areaColumn(for: area)
                func count(_ filter: String) async throws -> Int {
                    let scope = column.map { " AND \($0) = '\(area)'" } ?? ""
                    return try await sql.raw("SELECT COUNT(*) AS n FROM hazards WHERE \(unsafeRaw: filter)\(unsafeRaw: scope)")
                        .first()?.decode(column: "n", as: Int.self) ?? -1
                }
                #expect(figures.hazardsFound == (try await count("1 = 1")), "found in \(area)")
                #expect(figures.hazardsRectified == (try await count("state = 'rectified'")), "rectified in \(area)")
                #expect(figures.overdueCount == (try await count(CreateDashboardCounters.markedOverdue)), "overdue in \(area)")
                let open = figures.kinds.map(\.hazardsOpen).reduce(0, +)
                #expect(open == (try await count("state IN ('open','rectifying','rebound')")), "open in \(area)")
                let coloured = figures.colours.map(\.subjects).reduce(0, +)
                let scope = column.map { " AND \($0) = '\(area)'" } ?? ""
                let withColour = try await sql.raw("SELECT COUNT(*) AS n FROM subjects WHERE colour IS NOT NULL\(unsafeRaw: scope)")
                    .first()?.decode(column: "n", as: Int.self) ?? -1
                #expect(coloured == withColour, "coloured subjects in \(area)")
            }
        }
    }

    /// `safegrid recount` repairs counters that were damaged behind the app's back and reports
    /// what differed.
    @Test func recountRebuildsDamagedCounters() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app)
            let subject = try await createEnterprise(app, microGrid: mg)
            let r = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: subject), token: app.adminToken)
            #expect(r.status == .created)
            let counters = DashboardCounters(sql: app.sql)
            let good = try await counters.stored()
            #expect(good["330109113"]["found"] == 2)
            #expect(good["330109113"]["open.enterprise"] == 2)
            #expect(good[mg]["inspected.enterprise"] == 1)
            #expect(good["330109"]["foundOn.2026-11-30"] == 2)
            try await app.sql.raw("UPDATE area_counters SET value = 99 WHERE metric = 'found'").run()
            try await app.sql.raw("DELETE FROM area_counters WHERE metric = 'open.enterprise'").run()
            let (before, after) = try await app.writeGate.transaction(on: app.db) { sql in
                try await DashboardCounters(sql: sql).rebuild()
            }
            #expect(before != after)
            #expect(after == good)
            #expect(try await counters.stored() == good)
        }
    }
}

@Suite("Inspection intake: concurrent submissions commit in batches, each answered on its own")
struct InspectionIntakeTests {
    /// 60 submissions at once: 40 good ones over 4 subjects (several visits to one subject in a
    /// batch), 10 exact repeats (answered as replays), 5 reusing a clientId for another body
    /// (409), 5 for an unknown subject (422). Every good one is stored once, and the counters
    /// agree with a recount.
    @Test func concurrentSubmissionsAreEachAnsweredAndStoredOnce() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app)
            var subjects: [String] = []
            for i in 0..<4 { subjects.append(try await createEnterprise(app, microGrid: mg, serial: "MA2AB3D\(i)")) }
            var bodies: [(kind: String, body: [String: Any])] = []
            for i in 0..<40 {
                let at = Timestamp.format(testNow.addingTimeInterval(-Double(40 - i) * 600))
                let item = CountersTests.items[i % CountersTests.items.count]
                bodies.append(("good", inspectionBody(subject: subjects[i % 4], clientId: "batch-\(i)", at: at,
                                                      results: [["itemCode": item, "outcome": "hazard"], ["itemCode": "FIRE-01", "outcome": "pass"]])))
            }
            for i in 0..<10 { bodies.append(("repeat", bodies[i].body)) }
            for i in 10..<15 {
                var b = bodies[i].body
                b["inspector"] = "另一人"
                bodies.append(("reused", b))
            }
            for i in 0..<5 { bodies.append(("unknown", inspectionBody(subject: UUID().uuidString, clientId: "nobody-\(i)"))) }
            let encoded = try bodies.map { ($0.kind, $0.body["clientId"] as? String ?? "",
                                            String(decoding: try JSONSerialization.data(withJSONObject: $0.body), as: UTF8.self)) }
            let sent = try await withThrowingTaskGroup(of: (String, String, Reply).self) { group in
                for (kind, clientId, json) in encoded {
                    group.addTask { (kind, clientId, try await app.send(.POST, "/api/v1/inspections", json: json, token: app.adminToken)) }
                }
                var all: [(String, String, Reply)] = []
                for try await r in group { all.append(r) }
                return all
            }
            let replies = sent.map { ($0.0, $0.2) }
            let byKind = Dictionary(grouping: replies, by: \.0)
            // A repeat may be answered first (then its twin is the replay): count per clientId.
            let created = replies.filter { $0.1.status == .created }
            #expect(created.count == 50)
            #expect(created.filter { $0.1.headers.first(name: "Idempotent-Replayed") == "true" }.count == 10)
            // A clientId reused for another body: whichever of the two arrives first is stored, the other is 409.
            for i in 10..<15 {
                let statuses = sent.filter { $0.1 == "batch-\(i)" && $0.0 != "repeat" }.map(\.2.status)
                #expect(statuses.sorted { $0.code < $1.code } == [.created, .conflict], "batch-\(i): \(statuses)")
            }
            #expect(try byKind["unknown"]?.allSatisfy { try $0.1.status == .unprocessableEntity && $0.1.problem().field == "subjectId" } == true)
            let stored = try await app.sql.raw("SELECT COUNT(*) AS n FROM inspections").first()?.decode(column: "n", as: Int.self)
            #expect(stored == 40)
            let ids = Set(try created.map { try $0.1.decoded(InspectionDTO.self).id.uuidString })
            #expect(ids.count == 40)
            let counters = DashboardCounters(sql: app.sql)
            #expect(CountersTests.diff(try await counters.stored(), try await counters.recount()).isEmpty)
            let found = try await app.sql.raw("SELECT COUNT(*) AS n FROM hazards").first()?.decode(column: "n", as: Int.self) ?? 0
            #expect(try await counters.stored()["330109"]["found"] == found)
            #expect(found > 0 && found <= 40)
        }
    }
}

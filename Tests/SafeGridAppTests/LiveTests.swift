import Foundation
import SQLKit
import SafeGridCore
import Testing
import Vapor
@testable import SafeGridApp

/// The big screen's push and map: committed writes reach the streams of their areas (and only
/// theirs), the stream's text, the map's two modes and its bad input.
@Suite("Live screen: push on commit, the stream, the map")
struct LiveTests {
    /// Waits up to `seconds` for a signal other than a heartbeat.
    static func changed(_ stream: AsyncStream<LiveFeed.Signal>, within seconds: Double) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await s in stream where s == .changed { return true }
                return false
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(seconds))
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    @Test func aCommittedInspectionWakesTheStreamsOfItsAreasOnly() async throws {
        try await withSafeGrid { app in
            let villages = try await CampaignQueries(sql: app.sql, scope: .everything).children(of: BundledAreas.gualiTownCode).map(\.code)
            let mg = try await addMicroGrid(app, village: villages[0])
            let subject = try await createEnterprise(app, microGrid: mg)
            // The registration's own report is flushed before the streams open.
            try await Task.sleep(for: .milliseconds(400))
            let feed = app.liveFeed
            let village = try #require(await feed.subscribe(area: villages[0]))
            let town = try #require(await feed.subscribe(area: BundledAreas.gualiTownCode))
            let district = try #require(await feed.subscribe(area: BundledAreas.districtCode))
            let other = try #require(await feed.subscribe(area: villages[1]))
            let open = await feed.count
            #expect(open == 4)
            let r = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: subject), token: app.adminToken)
            #expect(r.status == .created)
            let woke43 = await Self.changed(village.signals, within: 10)
            #expect(woke43)
            let woke46 = await Self.changed(town.signals, within: 10)
            #expect(woke46)
            let woke48 = await Self.changed(district.signals, within: 10)
            #expect(woke48)
            let woke50 = await Self.changed(other.signals, within: 0.5)
            #expect(!woke50)
            // A refused write commits nothing and wakes nobody.
            let refused = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: subject, results: [
                ["itemCode": "NOPE-99", "outcome": "hazard"]]), token: app.adminToken)
            #expect(refused.status == .unprocessableEntity)
            let woke56 = await Self.changed(village.signals, within: 0.5)
            #expect(!woke56)
            for s in [village, town, district, other] { await feed.unsubscribe(s.id) }
            let left = await feed.count
            #expect(left == 0)
        }
    }

    @Test func aBurstIsCoalescedAndShutdownEndsEveryStream() async throws {
        let feed = LiveFeed()
        let s = try #require(await feed.subscribe(area: "330109113"))
        for i in 0..<50 { await feed.publish(microGrids: ["33010911300101\(String(format: "%03d", i))"]) }
        await feed.publish(microGrids: ["33010911200101001"])  // another town
        var woken = 0
        let counting = Task { for await signal in s.signals where signal == .changed { woken += 1 }; return woken }
        try await Task.sleep(for: .milliseconds(600))
        await feed.finishAll()
        let wakes = await counting.value
        #expect(wakes == 1)
        // After shutdown a new stream ends at once.
        let late = try #require(await feed.subscribe(area: "330109113"))
        var any = false
        for await _ in late.signals { any = true }
        let remaining = await feed.count
        #expect(!any && remaining == 0)
    }

    @Test func oneAccountHoldsAtMostFiftyStreams() async throws {
        let feed = LiveFeed()
        #expect(Settings().streamsPerAccount == 50)
        let wall = UUID(), other = UUID()
        var held: [UUID] = []
        for _ in 0..<feed.maxPerAccount { held.append(try #require(await feed.subscribe(area: "330109113", account: wall)).id) }
        #expect(await feed.subscribe(area: "330109113", account: wall) == nil)
        #expect(await feed.subscribe(area: "330109113", account: other) != nil)
        // Closing one makes room for one.
        await feed.unsubscribe(held[0])
        #expect(await feed.subscribe(area: "330109113", account: wall) != nil)
        #expect(await feed.subscribe(area: "330109113", account: wall) == nil)
        #expect(feed.maxPerAccount == 50)
    }

    @Test func notificationsBetweenInstancesCarryTheirSenderAndAreas() {
        let payload = LiveNotifications.payload(["33010911300101001", "33010911300101002"], from: "a")
        #expect(payload == "a|33010911300101001,33010911300101002")
        #expect(LiveNotifications.parse(payload)?.microGrids == ["33010911300101001", "33010911300101002"])
        #expect(LiveNotifications.payload(nil, from: "a") == "a|*")
        let many = Set((0..<400).map { String(format: "33010911300101%03d", $0) })
        #expect(LiveNotifications.payload(many, from: "a") == "a|*")
        #expect(LiveNotifications.parse("a|*").map { $0.microGrids == nil } == true)
        for bad in ["no bar", "a|1,2", "a|'; DROP TABLE x"] { #expect(LiveNotifications.parse(bad) == nil, "\(bad)") }
    }

    @Test func theStreamSendsEventsThenFiguresAndResumesAfterItsCursor() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app)
            let subject = try await createEnterprise(app, microGrid: mg)
            _ = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: subject), token: app.adminToken)
            let req = Request(application: app, on: app.eventLoopGroup.next())
            let admin = Account(id: UUID(), username: "t.admin", displayName: "t.admin", role: .districtAdmin,
                                areaCode: BundledAreas.districtCode, department: nil)
            req.signedIn = SignedIn(account: admin, sessionID: UUID(), kind: "api", csrfToken: "", expiresAt: testNow.addingTimeInterval(3600))
            let village = String(mg.prefix(12))
            let first = try await StreamController.render(req, area: village, after: nil)
            let changes = first.text.components(separatedBy: "event: change\n").dropFirst()
            #expect(changes.count == 2)  // the two hazards found
            #expect(first.text.contains("\"subjectName\":\"杭州恒增纺织有限公司\"") && first.text.contains("\"kind\":\"found\""))
            let figuresLine = try #require(first.text.components(separatedBy: "\n").first { $0.hasPrefix("data: {\"area\"") })
            let figures = try JSONDecoder().decode(DashboardFigures.self, from: Data(figuresLine.dropFirst(6).utf8))
            #expect(figures.hazardsFound == 2 && figures.area.code == village)
            #expect(first.text.hasSuffix("\n\n") && first.text.contains("event: figures\nid: \(first.next)\n"))
            // Resuming after the cursor: no events, the figures again.
            let again = try await StreamController.render(req, area: village, after: first.next)
            #expect(!again.text.contains("event: change") && again.next == first.next)
            // A cursor beyond the newest event (a restored database) starts afresh, never freezes.
            let beyond = try await StreamController.render(req, area: village, after: 99_999_999)
            #expect(beyond.text.components(separatedBy: "event: change\n").count - 1 == 2 && beyond.next == first.next)
            // A stream's reader is checked again while it runs: a revoked token ends it.
            let token = try await makeAccount(app, "v.live", role: .villageOfficer, area: village)
            let reader = Request(application: app, method: .GET, url: URI(path: "/api/v1/stream"),
                                 headers: ["Authorization": "Bearer \(token)"], on: app.eventLoopGroup.next())
            reader.signedIn = try await Authenticator.currentSession(of: reader)
            #expect(try await StreamController.stillEntitled(reader, to: village))
            #expect(try await !StreamController.stillEntitled(reader, to: BundledAreas.gualiTownCode))
            #expect(try await app.send(.DELETE, "/api/v1/auth/token", token: token).status == .noContent)
            #expect(try await !StreamController.stillEntitled(reader, to: village))
            // Over HTTP: an area outside the reader's is 404, without an account 401.
            let grid = try await makeAccount(app, "g.live", role: .gridWorker, area: String(mg.prefix(14)))
            #expect(try await app.send(.GET, "/api/v1/stream?areaCode=\(BundledAreas.gualiTownCode)", token: grid).status == .notFound)
            #expect(try await app.send(.GET, "/api/v1/stream", token: "").status == .unauthorized)
        }
    }

    @Test func theMapShowsBubblesForATownAndPointsForAGrid() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app)
            let subject = try await createEnterprise(app, microGrid: mg)  // GCJ-02 30.18, 120.46
            let town = try await app.send(.GET, "/api/v1/map", token: app.adminToken).decoded(MapController.MapDTO.self)
            #expect(town.mode == "areas" && town.datum == "GCJ-02" && town.tileURL == nil)
            let bubble = try #require(town.areas.first { $0.code == String(mg.prefix(12)) })
            #expect(bubble.subjects == 1 && abs(bubble.latitude - 30.18) < 1e-9 && abs(bubble.longitude - 120.46) < 1e-9)
            let grid = try await app.send(.GET, "/api/v1/map?areaCode=\(mg.prefix(14))", token: app.adminToken).decoded(MapController.MapDTO.self)
            #expect(grid.mode == "points" && grid.points.count == 1 && grid.points[0].colour == nil && !grid.points[0].keyHazard)
            let zoomed = try await app.send(.GET, "/api/v1/map?zoom=15&bbox=30.1,120.4,30.2,120.5", token: app.adminToken).decoded(MapController.MapDTO.self)
            #expect(zoomed.mode == "points" && zoomed.points.count == 1 && !zoomed.points[0].overdue)
            // A hazard past its deadline and marked overdue rings the point; a second subject
            // with a hazard still in time does not.
            let other = try await createEnterprise(app, microGrid: mg, serial: "MA2AB3CE")
            for (id, item) in [(subject, "ELEC-03"), (other, "ELEC-01")] {
                let r = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: id, results: [["itemCode": item, "outcome": "hazard"]]),
                                           token: app.adminToken)
                #expect(r.status == .created, "\(r.body)")
            }
            // ELEC-03 has 3 days (due 12-03), ELEC-01 has 15 (due 12-15).
            _ = try await DeadlineJobs.runOnce(app: app, now: try Timestamp.parse("2026-12-04T09:00:00+08:00"))
            let marked = try await app.send(.GET, "/api/v1/map?zoom=15&bbox=30.1,120.4,30.2,120.5", token: app.adminToken).decoded(MapController.MapDTO.self)
            #expect(Dictionary(uniqueKeysWithValues: marked.points.map { ($0.id.uuidString, $0.overdue) }) == [subject: true, other: false])
            let elsewhere = try await app.send(.GET, "/api/v1/map?zoom=15&bbox=30.0,120.0,30.1,120.1", token: app.adminToken).decoded(MapController.MapDTO.self)
            #expect(elsewhere.points.isEmpty && !elsewhere.truncated)
            for (query, field) in [("zoom=99", "zoom"), ("zoom=x", "zoom"), ("bbox=1,2,3", "bbox"), ("bbox=30.2,120.4,30.1,120.5", "bbox"),
                                   ("bbox=a,b,c,d", "bbox"), ("bbox=nan,1,2,3", "bbox")] {
                let r = try await app.send(.GET, "/api/v1/map?\(query)", token: app.adminToken)
                #expect(r.status == .unprocessableEntity, "\(query)")
                #expect(try r.problem().field == field, "\(query)")
            }
            let outline = try await app.send(.GET, "/api/v1/map/outline", token: app.adminToken)
            #expect(outline.status == .ok && outline.headers.contentType?.description == "application/geo+json" && outline.body.contains("Polygon"))
        }
    }
}

import Foundation
import SafeGridCore
import Testing
import SQLKit
import Vapor
@testable import SafeGridApp
@testable import SafeGridDemo

@Suite("The demo campaign: the article's figures from records")
struct DemoTests {
    @Test func theDashboardShowsTheArticlesFigures() async throws {
        try await withSafeGrid { app in
            _ = try await DemoCommand.build(app: app, asOf: try CalendarDate("2026-11-30"), seed: 20220725)
            let r = try await app.send(.GET, "/api/v1/dashboard", token: app.adminToken)
            #expect(r.status == .ok)
            let dashboard = try r.decoded(DashboardFigures.self)
            let byKind = dashboard.byKind
            let e = byKind["enterprise"], s = byKind["streetShop"], h = byKind["rentalHousing"]
            #expect(e?.subjectsInspected == 2_928)
            #expect(e?.hazardsFound == 16_241)
            #expect(e?.hazardsRectified == 5_521)
            #expect(e?.rectificationRate == 33.99)
            #expect(s?.subjectsInspected == 5_351)
            #expect(s?.hazardsFound == 16_180)
            #expect(s?.hazardsRectified == 5_075)
            #expect(s?.rectificationRateText == "31.37%")
            #expect(h?.roomsInspected == 17_120)
            #expect(h?.hazardsFound == 9_821)
            #expect(dashboard.hazardsFound == 42_242)
            #expect(dashboard.ranking.count == 74)
            let colours = dashboard.colours
            #expect(colours.count == 11)
            #expect(colours.first { $0.colour.key == "closedDown" }?.subjects == 77)

            // The article's results, from two years of daily records, read through the API: the
            // campaign period 2026-09-19…2026-11-29 (the default period on 2026-11-30) against a year before.
            for query in ["?areaCode=330109113&from=2026-09-19&to=2026-11-29", ""] {
                let incidents = try await app.send(.GET, "/api/v1/incidents\(query)", token: app.adminToken)
                #expect(incidents.status == .ok, "\(incidents.body.prefix(300))")
                let figures = try incidents.decoded(IncidentFigures.self)
                #expect(figures.area.code == BundledAreas.gualiTownCode && figures.period.from == "2026-09-19" && figures.period.to == "2026-11-29")
                #expect(figures.sameLastYear.from == "2025-09-19" && figures.sameLastYear.to == "2025-11-29")
                #expect(figures.kinds.map(\.kind) == ["policeIncident", "fireAlarm", "trafficAccident"])
                #expect(figures.kinds.map(\.yearOnYear.percentText) == ["\u{2212}19.16%", "\u{2212}37.00%", "\u{2212}7.58%"])
                #expect(figures.kinds.map(\.yearOnYear.percent) == [-19.16, -37.0, -7.58])
                #expect(figures.kinds.map(\.count) == [810, 63, 305] && figures.kinds.map(\.yearOnYear.base) == [1_002, 100, 330])
                #expect(figures.kinds.allSatisfy { $0.yearOnYear.direction == "down" && $0.periodOnPeriod.base > 0 })
                // The villages' counts add up to the town's (the demo records nothing for the town itself).
                for (i, kind) in figures.kinds.enumerated() {
                    #expect(figures.children.map { $0.kinds[i].count }.reduce(0, +) == kind.count)
                }
                #expect(figures.children.count == 74 && figures.townOwn?.allSatisfy { $0.count == 0 } == true)
            }

            let grids = try await app.send(.GET, "/api/v1/areas?level=grid", token: app.adminToken)
            #expect(try grids.decoded([AreaDTO].self).count == 160)
            let micro = try await app.send(.GET, "/api/v1/areas?level=microGrid", token: app.adminToken)
            #expect(try micro.decoded([AreaDTO].self).count == 2_283)

            let page = try await app.send(.GET, "/", token: app.adminToken)
            #expect(page.body.contains("33.99%"))
            #expect(page.body.contains("31.37%"))
            #expect(page.body.contains("<svg"))

            // Every stored hazard event chain agrees with the stored state.
            let counts = try await app.sql.select().column("state").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
                .from("hazards").groupBy("state").all()
            let byState = Dictionary(uniqueKeysWithValues: try counts.map {
                (try $0.decode(column: "state", as: String.self), try $0.decode(column: "n", as: Int.self))
            })
            #expect(byState["rectified"] == 5_521 + 5_075 + 3_487)
            let lastEvents = try await app.sql.raw("""
                SELECT COUNT(*) AS n FROM hazards h WHERE h.state <> (SELECT e.to_state FROM hazard_events e
                WHERE e.hazard_id = h.id ORDER BY e.seq DESC LIMIT 1)
                """).first()?.decode(column: "n", as: Int.self)
            #expect(lastEvents == 0)

            // Each demo account signs in and sees its own, nested slice of the campaign.
            var seen: [Role: (area: String, found: Int, subjects: Int)] = [:]
            for p in DemoAccounts.people {
                let t = try await app.send(.POST, "/api/v1/auth/token", object: ["username": p.username, "password": DemoAccounts.password], token: "")
                #expect(t.status == .created, "\(p.username): \(t.body)")
                let token = try t.decoded(AccountsController.TokenDTO.self).token
                let d = try await app.send(.GET, "/api/v1/dashboard", token: token)
                #expect(d.status == .ok, "\(p.username)")
                let figures = try d.decoded(DashboardFigures.self)
                let area = figures.area.code
                let subjects = try await app.send(.GET, "/api/v1/subjects?per=1", token: token).decoded(Page<SubjectDTO>.self).total
                seen[p.role] = (area, figures.hazardsFound, subjects)
                // The admin's count of the same area agrees: the slice is the campaign's, not a copy.
                let adminView = try await app.send(.GET, "/api/v1/hazards?per=1&areaCode=\(area)", token: app.adminToken)
                #expect(try adminView.decoded(Page<HazardDTO>.self).total == figures.hazardsFound, "\(p.username) \(area)")
            }
            #expect(seen[.townAdmin]?.found == 42_242 && seen[.districtAdmin]?.found == 42_242 && seen[.viewer]?.found == 42_242)
            #expect(seen[.townAdmin]?.subjects == seen[.districtAdmin]?.subjects)
            let village = try #require(seen[.villageOfficer]), grid = try #require(seen[.gridWorker]), microSlice = try #require(seen[.microGridWorker])
            #expect(grid.area.hasPrefix(village.area))
            #expect(microSlice.area.hasPrefix(grid.area))
            #expect(42_242 > village.found && village.found > grid.found && grid.found > microSlice.found && microSlice.found > 0,
                    "\(village.found) \(grid.found) \(microSlice.found)")
            #expect(seen[.townAdmin]!.subjects > village.subjects && village.subjects > grid.subjects && grid.subjects > microSlice.subjects)
        }
    }

    /// `--scale 12k`: towns written one at a time through the same ledgers; the district's
    /// dashboard counts every hazard, the counters agree with a recount, and overdue hazards
    /// are marked in the bulk write.
    @Test func aScaledDemoFillsSeveralTownsAndTheCountersAgree() async throws {
        try await withSafeGrid { app in
            let figures = try await DemoCommand.build(app: app, asOf: try CalendarDate("2026-11-30"), seed: 7,
                                                      scale: try DemoScale(argument: "12k"))
            #expect(figures.area.code == BundledAreas.districtCode)
            #expect(figures.hazardsFound == 12_000)
            let hazards = try await app.sql.raw("SELECT COUNT(*) AS n FROM hazards").first()?.decode(column: "n", as: Int.self)
            #expect(hazards == 12_000)
            let towns = try await app.sql.raw("SELECT COUNT(DISTINCT town_code) AS n FROM hazards").first()?.decode(column: "n", as: Int.self)
            #expect(towns == 1)
            #expect(figures.ranking.filter { $0.hazardsFound > 0 }.map(\.code) == [BundledAreas.gualiTownCode])
            let unmarked = try await app.sql.raw("""
                SELECT COUNT(*) AS n FROM hazards WHERE state IN ('open','rectifying','rebound') AND overdue_at IS NULL AND due_at < \(bind: testNow)
                """).first()?.decode(column: "n", as: Int.self)
            #expect(unmarked == 0)
            #expect(figures.overdueCount > 0)
            let counters = DashboardCounters(sql: app.sql)
            let stored = try await counters.stored(), recounted = try await counters.recount()
            #expect(CountersTests.diff(stored, recounted).isEmpty)
            #expect(stored["330109"]["found"] == 12_000)

            // Beyond one town's 40,000 hazards the demo spreads over more towns.
            let plans = try DemoScale(argument: "100k").towns(seed: 7, baseAreas: try BundledAreas.load())
            #expect(plans.count == 3)
            #expect(plans.map(\.hazards).reduce(0, +) == 100_000)
        }
    }
}

import Foundation
import SQLKit
import SafeGridApp
import SafeGridCore
import Vapor

/// Writes the demo's joint enforcement (综合执法) of 瓜沥镇 (``DemoEnforcement``) after the
/// campaign: 6 teams, 3,012 actions with their subjects and the other towns' tallies, so that the
/// figures read back from the records reproduce the article (shared/seed/guali-campaign-article.txt):
/// 3,012 actions, 46.8% of the district's 6,435, 77 enterprises closed, 593 with illegal
/// buildings demolished over 80,000–90,000 m², 100–110 亩 freed.
enum DemoEnforcementWriter {
    /// - Parameters:
    ///   - campaign: the 瓜沥 demo campaign, its subjects and dossiers already written.
    ///   - base: the bundled area tree (``BundledAreas/load()``), for the district's other towns.
    /// - Returns: 瓜沥's figures, read from the database (``EnforcementStore/figures(townCode:within:sql:)``).
    /// - Throws: ``DomainError`` when the campaign is too small for the article's figures (fewer
    ///   than 593 open enterprises).
    @discardableResult
    static func record(campaign: DemoCampaign, base: [Area], app: Application) async throws -> EnforcementFigures {
        let demo = try DemoEnforcement(campaign: campaign, baseAreas: base)
        let now = app.now()
        try await app.writeGate.transaction(on: app.db) { sql in
            try await EnforcementStore.insert(teams: demo.teams, townCode: demo.townCode, at: now, sql: sql)
            try await EnforcementStore.insert(actions: demo.actions, at: now, sql: sql)
            try await EnforcementStore.insert(tallies: demo.tallies, sql: sql)
        }
        return try await EnforcementStore.figures(townCode: demo.townCode, sql: app.sql)
    }
}

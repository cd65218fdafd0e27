import Fluent
import SQLKit
import SafeGridCore

/// 001: reference data every installation has: 萧山区, its 27 towns and 瓜沥镇's 74 villages and
/// communities (bundled resources), and version 1 of the unified checklist.
struct SeedReferenceData: AsyncMigration {
    var name: String { "001_SeedReferenceData" }

    func prepare(on database: any Database) async throws {
        let areas = try BundledAreas.load()
        let checklist = try Checklist.bundledDefault()
        guard let sql = database as? any SQLDatabase else { return }
        let store = CampaignStore(sql: sql)
        try await store.insert(areas: areas)
        try await store.insert(checklist: checklist)
    }

    func revert(on database: any Database) async throws {
        guard let sql = database as? any SQLDatabase else { return }
        try await sql.delete(from: "checklist_items").run()
        try await sql.delete(from: "checklists").run()
        try await sql.delete(from: "areas").run()
    }
}

import Fluent
import SQLKit

/// 012: subjects by position, for the wall screen's map zoomed in (`GET /api/v1/map` with a
/// `bbox`): without it a box in the district reads every subject (half a million at the 1M
/// demo) to find the few thousand inside.
struct AddSubjectPositionIndex: AsyncMigration {
    var name: String { "012_AddSubjectPositionIndex" }

    func prepare(on database: any Database) async throws {
        guard let sql = database as? any SQLDatabase else { return }
        try await sql.create(index: "subjects_position").on("subjects").column("latitude").column("longitude").run()
    }

    func revert(on database: any Database) async throws {
        guard let sql = database as? any SQLDatabase else { return }
        try await sql.drop(index: "subjects_position").run()
    }
}

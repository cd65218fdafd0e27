import Fluent
import SQLKit

/// 009: which SMS link an evidence photo came through, so uploads can be capped per link. A link
/// is its subject and its expiry (``EvidenceToken``): `link_expires_at` holds that expiry, and
/// the index counts a link's photos (subject, expiry) without reading them. Photos uploaded
/// before this migration have none and count for no link.
struct AddEvidenceLink: AsyncMigration {
    var name: String { "009_AddEvidenceLink" }

    func prepare(on database: any Database) async throws {
        try await database.schema("evidence").field("link_expires_at", .datetime).update()
        guard let sql = database as? any SQLDatabase else { return }
        try await sql.create(index: "evidence_link").on("evidence").column("subject_id").column("link_expires_at").run()
    }

    func revert(on database: any Database) async throws {
        if let sql = database as? any SQLDatabase { try await sql.drop(index: "evidence_link").run() }
        try await database.schema("evidence").deleteField("link_expires_at").update()
    }
}

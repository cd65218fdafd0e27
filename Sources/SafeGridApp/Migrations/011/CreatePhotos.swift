import Fluent
import SQLKit

/// 011: photos taken in the field (inspection and re-inspection), uploaded before the record that
/// names them so a phone that was offline can send them first.
///
/// - `photos`: one row per content (`sha256`, 64 lowercase hex digits, is the id the records
///   carry): the bytes, the content type, the EXIF orientation, when and where it was taken (from
///   EXIF, or as the phone reported it when its shrinking dropped the EXIF: `metadata_source`
///   `exif`, `client` or `exif+client`), who uploaded it first and when.
/// - `photo_uploaders`: every account that uploaded the same content (the same picture passed
///   around a team, or shrunk alike on a shared phone): each may name it in its records.
/// - `photo_uses`: which subject (and hazard) a record showed a photo on (`source` `inspection` or
///   `reinspection`, `source_id` the inspection, or the hazard re-inspected): what makes a photo
///   readable to the people who may see that subject.
struct CreatePhotos: AsyncMigration {
    var name: String { "011_CreatePhotos" }

    func prepare(on database: any Database) async throws {
        try await database.schema("photos")
            .field("sha256", .string, .identifier(auto: false))
            .field("content_type", .string, .required)
            .field("byte_count", .int, .required)
            .field("orientation", .int)
            .field("data", .data, .required)
            .field("taken_at", .datetime)
            .field("latitude", .double)
            .field("longitude", .double)
            .field("metadata_source", .string)
            .field("uploaded_by", .string, .required)
            .field("uploaded_at", .datetime, .required)
            .create()
        try await database.schema("photo_uploaders")
            .field("sha256", .string, .required, .references("photos", "sha256"))
            .field("username", .string, .required)
            .field("uploaded_at", .datetime, .required)
            .unique(on: "sha256", "username")
            .create()
        try await database.schema("photo_uses")
            .field("sha256", .string, .required, .references("photos", "sha256"))
            .field("subject_id", .uuid, .required, .references("subjects", "id"))
            // No foreign key: an inspection's new hazards are written after its photo uses are
            // known, in the same transaction.
            .field("hazard_id", .uuid)
            .field("source", .string, .required)
            .field("source_id", .uuid, .required)
            .field("used_at", .datetime, .required)
            .create()
        guard let sql = database as? any SQLDatabase else { return }
        try await sql.create(index: "photo_uses_sha256").on("photo_uses").column("sha256").run()
        try await sql.create(index: "photo_uses_hazard").on("photo_uses").column("hazard_id").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("photo_uses").delete()
        try await database.schema("photo_uploaders").delete()
        try await database.schema("photos").delete()
    }
}

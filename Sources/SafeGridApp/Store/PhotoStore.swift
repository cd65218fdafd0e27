import Foundation
import SQLKit
import SafeGridCore

/// The `photos` and `photo_uses` tables: field photos by content (SHA-256), and the subjects and
/// hazards records showed them on.
struct PhotoStore {
    let sql: any SQLDatabase

    /// A stored photo's particulars (not its bytes).
    struct Particulars: Sendable {
        let sha256: String
        let contentType: String
        let byteCount: Int
        let takenAt: Date?
        let latitude: Double?
        let longitude: Double?
        let metadataSource: String?
        let uploadedBy: String
    }

    /// When and where a photo was taken, and who says so (`exif` or `client`).
    struct Metadata: Sendable {
        var takenAt: Date?
        var position: GeoPoint?
        var source: String?
    }

    /// The photo with this content, if stored.
    /// - Throws: when the row cannot be read.
    func particulars(_ sha256: String) async throws -> Particulars? {
        guard let row = try await sql.select()
            .columns("sha256", "content_type", "byte_count", "taken_at", "latitude", "longitude", "metadata_source", "uploaded_by")
            .from("photos").where("sha256", .equal, SQLBind(sha256)).first() else { return nil }
        return Particulars(sha256: try row.decode(column: "sha256", as: String.self),
                           contentType: try row.decode(column: "content_type", as: String.self),
                           byteCount: try row.decode(column: "byte_count", as: Int.self),
                           takenAt: try row.decode(column: "taken_at", as: Date?.self),
                           latitude: try row.decode(column: "latitude", as: Double?.self),
                           longitude: try row.decode(column: "longitude", as: Double?.self),
                           metadataSource: try row.decode(column: "metadata_source", as: String?.self),
                           uploadedBy: try row.decode(column: "uploaded_by", as: String.self))
    }

    /// Stores a photo checked by ``ImageContent``, and `username` as one of its uploaders. A
    /// photo with the same content already stored keeps its first upload's metadata; the
    /// account is added to its uploaders.
    /// - Returns: the stored photo, and whether it was new.
    func insert(_ image: ImageInfo, bytes: [UInt8], metadata: Metadata, by username: String, at: Date) async throws -> (photo: Particulars, new: Bool) {
        if let stored = try await particulars(image.sha256) {
            try await addUploader(image.sha256, username, at: at)
            return (stored, false)
        }
        try await insertPhoto(image, bytes: bytes, metadata: metadata, by: username, at: at)
        try await addUploader(image.sha256, username, at: at)
        return (Particulars(sha256: image.sha256, contentType: image.format.mimeType, byteCount: image.byteCount,
                            takenAt: metadata.takenAt, latitude: metadata.position?.latitude, longitude: metadata.position?.longitude,
                            metadataSource: metadata.source, uploadedBy: username), true)
    }

    private func addUploader(_ sha256: String, _ username: String, at: Date) async throws {
        let known = try await sql.select().column("username").from("photo_uploaders")
            .where("sha256", .equal, SQLBind(sha256)).where("username", .equal, SQLBind(username)).first() != nil
        if !known {
            try await sql.insert(into: "photo_uploaders").columns("sha256", "username", "uploaded_at")
                .values(SQLBind(sha256), SQLBind(username), SQLBind(at)).run()
        }
    }

    private func insertPhoto(_ image: ImageInfo, bytes: [UInt8], metadata: Metadata, by username: String, at: Date) async throws {
        try await sql.insert(into: "photos")
            .columns("sha256", "content_type", "byte_count", "orientation", "data", "taken_at", "latitude", "longitude",
                     "metadata_source", "uploaded_by", "uploaded_at")
            .values(SQLBind(image.sha256), SQLBind(image.format.mimeType), SQLBind(image.byteCount), SQLBind(image.orientation),
                    SQLBind(Data(bytes)), SQLBind(metadata.takenAt), SQLBind(metadata.position?.latitude),
                    SQLBind(metadata.position?.longitude), SQLBind(metadata.source), SQLBind(username), SQLBind(at))
            .run()
    }

    /// Of `ids`, those not stored as photos uploaded by `username`.
    /// - Throws: when a row cannot be read.
    func missing(_ ids: Set<String>, uploadedBy username: String) async throws -> Set<String> {
        guard !ids.isEmpty else { return [] }
        let found = try await sql.select().column("sha256").from("photo_uploaders")
            .where("sha256", .in, SQLBind.group(Array(ids))).where("username", .equal, SQLBind(username)).all()
            .map { try $0.decode(column: "sha256", as: String.self) }
        return ids.subtracting(found)
    }

    /// One use of a photo on a subject (and hazard).
    struct Use: Sendable {
        let sha256: String
        let subjectID: UUID
        let hazardID: UUID?
        let source: String
        let sourceID: UUID
    }

    /// Records uses (inside the write transaction of the record that names the photos).
    func record(_ uses: [Use], at: Date) async throws {
        guard !uses.isEmpty else { return }
        var insert = sql.insert(into: "photo_uses").columns("sha256", "subject_id", "hazard_id", "source", "source_id", "used_at")
        for u in uses {
            insert = insert.values(SQLBind(u.sha256), SQLBind(u.subjectID), SQLBind(u.hazardID), SQLBind(u.source),
                                   SQLBind(u.sourceID), SQLBind(at))
        }
        try await insert.run()
    }

    /// The photos shown on a hazard, oldest first: id, where they came from, when used, and the
    /// photo's own time and position.
    /// - Throws: when a row cannot be read.
    func photos(hazard id: UUID) async throws -> [(sha256: String, contentType: String, source: String, usedAt: Date, takenAt: Date?, latitude: Double?, longitude: Double?)] {
        try await sql.select().column(SQLColumn("sha256", table: "photo_uses"))
            .columns("content_type", "source", "used_at", "taken_at", "latitude", "longitude")
            .from("photo_uses").join("photos", on: SQLColumn("sha256", table: "photo_uses"), .equal, SQLColumn("sha256", table: "photos"))
            .where("hazard_id", .equal, SQLBind(id)).orderBy("used_at").all()
            .map { (try $0.decode(column: "sha256", as: String.self), try $0.decode(column: "content_type", as: String.self),
                    try $0.decode(column: "source", as: String.self),
                    try $0.decode(column: "used_at", as: Date.self), try $0.decode(column: "taken_at", as: Date?.self),
                    try $0.decode(column: "latitude", as: Double?.self), try $0.decode(column: "longitude", as: Double?.self)) }
    }

    /// The photo's bytes and content type, if `username` is one of its uploaders or it is shown on a subject
    /// of the reader's jurisdiction (`queries`' scope); `nil` otherwise, as for an unknown id.
    /// - Throws: when a row cannot be read.
    func photo(_ sha256: String, reader username: String, queries: CampaignQueries) async throws -> (contentType: String, data: Data)? {
        // Who may read it before its bytes are read.
        let uploaded = try await sql.select().column("username").from("photo_uploaders")
            .where("sha256", .equal, SQLBind(sha256)).where("username", .equal, SQLBind(username)).first() != nil
        if !uploaded {
            let use = try await queries.scopedBySubject(sql.select().column("sha256").from("photo_uses")
                .where("sha256", .equal, SQLBind(sha256))).limit(1).first()
            guard use != nil else { return nil }
        }
        guard let row = try await sql.select().columns("content_type", "data").from("photos")
            .where("sha256", .equal, SQLBind(sha256)).first() else { return nil }
        return (try row.decode(column: "content_type", as: String.self), try row.decode(column: "data", as: Data.self))
    }
}

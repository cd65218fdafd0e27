import Foundation
import SQLKit
import SafeGridCore

/// The `evidence` table: rectification photos sent by responsible parties through their SMS
/// link (`/e/{token}`), each tied to a hazard, its subject and the link it came through
/// (`link_expires_at`: a link is its subject plus its expiry).
struct EvidenceStore {
    let sql: any SQLDatabase

    /// Who asks for a photo: the holder of an SMS link (its one subject), or a signed-in reader
    /// (the subjects of their jurisdiction).
    enum Reader {
        case link(subject: UUID)
        case account(CampaignQueries)
    }

    /// The photos of a subject's hazards, by hazard id, each list oldest first: the photo's id
    /// and content type (`image/jpeg`, `image/png`, `image/heic`).
    /// - Throws: when a row cannot be read.
    func photos(subject id: UUID) async throws -> [UUID: [(id: UUID, type: String)]] {
        var photos: [UUID: [(id: UUID, type: String)]] = [:]
        for row in try await sql.select().columns("id", "hazard_id", "content_type").from("evidence")
            .where("subject_id", .equal, SQLBind(id)).orderBy("uploaded_at").all() {
            photos[try row.decode(column: "hazard_id", as: UUID.self), default: []]
                .append((try row.decode(column: "id", as: UUID.self), try row.decode(column: "content_type", as: String.self)))
        }
        return photos
    }

    /// The photos of one hazard, oldest first: id, the party's note, when it came, content type.
    /// - Throws: when a row cannot be read.
    func photos(hazard id: UUID) async throws -> [(id: UUID, note: String?, at: Date, type: String)] {
        try await sql.select().columns("id", "note", "uploaded_at", "content_type").from("evidence")
            .where("hazard_id", .equal, SQLBind(id)).orderBy("uploaded_at").all()
            .map { (try $0.decode(column: "id", as: UUID.self), try $0.decode(column: "note", as: String?.self),
                    try $0.decode(column: "uploaded_at", as: Date.self), try $0.decode(column: "content_type", as: String.self)) }
    }

    /// Whether the hazard has a photo with this content already (SHA-256, 64 lowercase hex
    /// digits): the same photo sent again is stored once.
    func hasPhoto(hazard: UUID, sha256: String) async throws -> Bool {
        try await sql.select().column("id").from("evidence")
            .where("hazard_id", .equal, SQLBind(hazard)).where("sha256", .equal, SQLBind(sha256)).first() != nil
    }

    /// Photos already taken through `link` (its subject and expiry): for `hazard`, and for all
    /// of the link's subject. Call it inside the write transaction that inserts, so parallel
    /// uploads cannot pass a cap together.
    func photoCounts(link: EvidenceToken, hazard: UUID) async throws -> (hazard: Int, link: Int) {
        let rows = try await sql.select().column("hazard_id").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("evidence")
            .where("subject_id", .equal, SQLBind(link.subjectID)).where("link_expires_at", .equal, SQLBind(link.expiresAt))
            .groupBy("hazard_id").all()
        var forHazard = 0, forLink = 0
        for row in rows {
            let n = try row.decode(column: "n", as: Int.self)
            forLink += n
            if try row.decode(column: "hazard_id", as: UUID.self) == hazard { forHazard = n }
        }
        return (forHazard, forLink)
    }

    /// Stores a photo (`bytes`, already checked by ``ImageContent``) for `hazard` of `subject`,
    /// received at `at` through the link expiring at `linkExpiresAt`. A blank note is stored
    /// as none.
    func insertPhoto(hazard: UUID, subject: UUID, image: ImageInfo, bytes: [UInt8], note: String?, at: Date,
                     linkExpiresAt: Date) async throws {
        try await sql.insert(into: "evidence")
            .columns("id", "hazard_id", "subject_id", "content_type", "byte_count", "sha256", "orientation", "data", "note", "uploaded_at",
                     "link_expires_at")
            .values(SQLBind(UUID()), SQLBind(hazard), SQLBind(subject), SQLBind(image.format.mimeType),
                    SQLBind(image.byteCount), SQLBind(image.sha256), SQLBind(image.orientation), SQLBind(Data(bytes)),
                    SQLBind((note?.isEmpty ?? true) ? nil : note), SQLBind(at), SQLBind(linkExpiresAt))
            .run()
    }

    /// The photo `id` with its content type, if `reader` may see it: through a link, only a
    /// photo of the link's subject; signed in, only one of a subject in the jurisdiction.
    /// `nil` otherwise, as for an unknown id.
    /// - Throws: when the row cannot be read.
    func photo(_ id: UUID, for reader: Reader) async throws -> (contentType: String, data: Data)? {
        var query = sql.select().columns("content_type", "data").from("evidence").where("id", .equal, SQLBind(id))
        switch reader {
        case .link(let subject): query = query.where("subject_id", .equal, SQLBind(subject))
        case .account(let queries): query = queries.scopedBySubject(query)
        }
        guard let row = try await query.first() else { return nil }
        let data = try row.decode(column: "data", as: Data.self)
        return (try row.decode(column: "content_type", as: String.self), data)
    }
}

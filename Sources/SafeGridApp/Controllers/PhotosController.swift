import Foundation
import SQLKit
import SafeGridCore
import Vapor

/// Field photos: uploaded by the phone before the inspection or re-inspection that names them
/// (by their SHA-256), so a phone that was offline sends its photos first and its records after.
enum PhotosController {
    /// What the upload answers, and what a record's `photos` carries (`id`).
    struct PhotoDTO: Content {
        /// SHA-256 of the file, 64 lowercase hex digits: the id records name it by.
        let id: String
        let sha256: String
        /// `jpeg`, `png` or `heic`.
        let format: String
        let byteCount: Int
        /// When it was taken (RFC 3339, UTC), from the photo's EXIF or, without one, as the
        /// phone reported it.
        let takenAt: String?
        /// WGS-84 degrees, from EXIF or as the phone reported it.
        let latitude: Double?
        let longitude: Double?
        /// `exif`, `client` or `exif+client`: who says when and where (each from the photo's
        /// EXIF when it holds a plausible value, else from the phone).
        let metadataSource: String?
        /// Where a signed-in reader gets the image.
        let url: String
    }

    /// The largest photo taken, in bytes (10 MB): a phone shrinks a 12-MP shot to about 300 KB
    /// before sending, an unshrunk camera JPEG is 3–8 MB.
    static let maxBytes = ImageContent.maxBytes

    /// `POST /api/v1/photos?takenAt=&latitude=&longitude=`: the image itself is the body (any
    /// content type; recognised by its content: a whole JPEG, PNG or HEIC, at most 10 MB). The
    /// EXIF time and position are kept; the query's values stand in when the photo has none (a
    /// phone that shrank the photo in the browser read them from the original). A time in the
    /// future or before 2000, or a position of 0°, 0°, is left out, not refused.
    /// - Returns: 201 with ``PhotoDTO``, or 200 when the same content was stored before.
    /// - Throws: 422 on `photo` (empty, not an image, incomplete, over 10 MB), `takenAt` (not
    ///   RFC 3339), `latitude`/`longitude` (not numbers, out of range, one without the other);
    ///   413 when the body is over the route's limit.
    static func upload(_ req: Request) async throws -> Response {
        let account = try req.account()
        let now = req.services.now()
        let bytes = req.body.data.map { [UInt8]($0.readableBytesView) } ?? []
        let info: ImageInfo
        do { info = try ImageContent.inspect(bytes, maxBytes: maxBytes) } catch { throw DomainError.invalid("photo", error) }
        guard ImageContent.isComplete(bytes, format: info.format) else {
            throw DomainError.invalid("photo", "the \(info.format.rawValue.uppercased()) file is incomplete or damaged; take or choose the photo again")
        }
        // The phone's reading of the original, for a photo its shrinking stripped (checked
        // whether or not the EXIF has its own, so garbage is always a 422).
        let clientTime = try req.query[String.self, at: "takenAt"].flatMap { $0.isEmpty ? nil : $0 }.map { s throws(DomainError) in
            try Input.timestamp(s, "takenAt")
        }
        let clientPosition = try Input.position(req)
        var metadata = PhotoStore.Metadata()
        var sources = Set<String>()
        // A camera with a wrong clock (a future time, or before digital photos were taken here)
        // says nothing true about when: such a time is left out rather than refused, so the
        // record that shows the photo is never held up by it. The same for a position of 0°, 0°.
        let plausible = { (t: Date) in PhotoFacts.plausibleTime(t, now: now) }
        if let at = info.takenAt.flatMap({ plausible($0) ? $0 : nil }) {
            metadata.takenAt = at
            sources.insert("exif")
        } else if let at = clientTime.flatMap({ plausible($0) ? $0 : nil }) {
            metadata.takenAt = at
            sources.insert("client")
        }
        if let p = info.position.flatMap({ PhotoFacts.plausiblePosition($0) ? $0 : nil }) {
            metadata.position = p
            sources.insert("exif")
        } else if let p = clientPosition.flatMap({ PhotoFacts.plausiblePosition($0) ? $0 : nil }) {
            metadata.position = p
            sources.insert("client")
        }
        metadata.source = sources.isEmpty ? nil : sources.sorted().reversed().joined(separator: "+")
        let found = metadata
        // Not a campaign write: a photo alone moves no figure, so cached figures and open screens
        // stay as they are (the record that shows it does move them).
        let stored = try await req.application.writeGate.transaction(on: req.db, changesCampaign: false) { sql in
            try await PhotoStore(sql: sql).insert(info, bytes: bytes, metadata: found, by: account.username, at: now)
        }
        return try Response.json(PhotoDTO(stored.photo), status: stored.new ? .created : .ok)
    }

    /// `GET /photos/{id}`: the image, for its uploader and for whoever may see a subject it was
    /// shown on; 404 for anyone else, as for an unknown id.
    static func image(_ req: Request) async throws -> Response {
        let account = try req.account()
        guard let id = req.parameters.get("id"), PhotoFacts.isPhotoID(id),
              let photo = try await PhotoStore(sql: req.sql).photo(id, reader: account.username, queries: req.queries) else {
            throw DomainError(.notFound, field: "id", reason: "no such photo")
        }
        let r = Response(status: .ok, body: .init(data: photo.data))
        r.headers.replaceOrAdd(name: .contentType, value: photo.contentType)
        r.headers.cacheControl = .init(isPrivate: true, maxAge: 86_400)
        return r
    }

    /// Refuses photo ids in `references` (field name → reference) that the account did not upload.
    /// - Throws: 422 naming the first such field.
    static func checkUploaded(_ references: [(field: String, id: String)], by account: Account, sql: any SQLDatabase) async throws {
        let ids = Set(references.map(\.id).filter(PhotoFacts.isPhotoID))
        let missing = try await PhotoStore(sql: sql).missing(ids, uploadedBy: account.username)
        if let first = references.first(where: { missing.contains($0.id) }) {
            throw DomainError.invalid(first.field, "no photo \(first.id) was uploaded by you; upload it first (POST /api/v1/photos)")
        }
    }
}

extension PhotosController.PhotoDTO {
    init(_ p: PhotoStore.Particulars) {
        self.init(id: p.sha256, sha256: p.sha256, format: ImageFormat(mimeType: p.contentType)?.rawValue ?? p.contentType,
                  byteCount: p.byteCount, takenAt: p.takenAt.map(Timestamp.format), latitude: p.latitude, longitude: p.longitude,
                  metadataSource: p.metadataSource, url: "/photos/\(p.sha256)")
    }
}

extension ImageFormat {
    /// The format of a stored content type (`image/jpeg` → `.jpeg`).
    init?(mimeType: String) {
        guard let f = [ImageFormat.jpeg, .png, .heic].first(where: { $0.mimeType == mimeType }) else { return nil }
        self = f
    }
}

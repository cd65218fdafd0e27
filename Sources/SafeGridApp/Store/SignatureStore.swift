import Foundation
import SQLKit

/// A `signatures` row without its image: who signed an inspection's record, when and where,
/// and the SHA-256 digests that show whether the record, the image and the whole are as signed.
struct SignatureRow: Codable {
    let inspectionId: UUID
    let noticeNumber: String
    let signerName: String
    let signerPhone: String
    let signedAt: Date
    let latitude: Double?
    let longitude: Double?
    let datum: String?
    /// Hex SHA-256 of the PNG as stored at signing.
    let imageSha256: String
    /// Hex SHA-256 of the inspection record as signed (``InspectionRecord``).
    let recordSha256: String
    /// Hex SHA-256 over the record's digest, the signer, the time, the position and the image's digest.
    let sealSha256: String
}

/// Reads of the `signatures` table (``SignatureService`` writes it). Callers check the
/// inspection is inside the reader's jurisdiction first: these reads are by inspection id only.
struct SignatureStore {
    let sql: any SQLDatabase

    /// The signature of inspection `id`, or `nil` while it is not signed.
    /// - Throws: when the row cannot be read.
    func signature(inspection id: UUID) async throws -> SignatureRow? {
        try await sql.select().columns("inspection_id", "notice_number", "signer_name", "signer_phone", "signed_at", "latitude",
                                       "longitude", "datum", "image_sha256", "record_sha256", "seal_sha256")
            .from("signatures").where("inspection_id", .equal, SQLBind(id))
            .first(decoding: SignatureRow.self, keyDecodingStrategy: .snakeCaseColumns)
    }

    /// The signature image (PNG bytes, at most ``SignatureService/maxImageBytes``) of
    /// inspection `id`, or `nil` while it is not signed.
    /// - Throws: when the row cannot be read.
    func image(inspection id: UUID) async throws -> Data? {
        try await sql.select().column("image_png").from("signatures").where("inspection_id", .equal, SQLBind(id))
            .first()?.decode(column: "image_png", as: Data.self)
    }
}

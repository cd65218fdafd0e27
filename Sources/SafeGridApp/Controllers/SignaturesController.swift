import Crypto
import Foundation
import SafeGridCore
import Vapor

/// `POST /api/v1/inspections/{id}/signature`, the signing page and the printable notice.
enum SignaturesController {
    struct SignatureInput: Content {
        let signerName: String
        /// Defaults to the subject's responsible party's number.
        let signerPhone: String?
        /// RFC 3339 with offset; defaults to now.
        let signedAt: String?
        /// PNG as a data URL (`data:image/png;base64,…`) or bare base64.
        let image: String
        let location: SubjectsController.LocationInput?
    }

    static func sign(_ req: Request) async throws -> Response {
        let id = try Input.uuid(req.parameters.get("id"), "id", kind: .notFound)
        let input = try req.content.decode(SignatureInput.self)
        let now = req.services.now()
        let signedAt = try input.signedAt.map { s throws(DomainError) in try Input.timestamp(s, "signedAt") } ?? now
        var base64 = input.image.trimmingCharacters(in: .whitespacesAndNewlines)
        if base64.hasPrefix("data:") {
            guard let comma = base64.firstIndex(of: ","), base64[..<comma].lowercased() == "data:image/png;base64" else {
                throw DomainError.invalid("image", "the signature must be a PNG data URL")
            }
            base64 = String(base64[base64.index(after: comma)...])
        }
        guard base64.count <= SignatureService.maxImageBytes * 4 / 3 + 8 else {
            throw DomainError.invalid("image", "the signature image is larger than \(SignatureService.maxImageBytes / 1024) KB")
        }
        guard let data = Data(base64Encoded: base64) else {
            throw DomainError.invalid("image", base64.isEmpty ? "the signature is empty" : "the signature is not valid base64")
        }
        var location: GeoPoint? = nil
        if let l = input.location {
            let datum: Datum = try Input.optionalEnum(l.datum, "location.datum") ?? .wgs84
            do { location = try GeoPoint(latitude: l.latitude, longitude: l.longitude, datum: datum) } catch {
                throw DomainError.invalid("location", error)
            }
        }
        let links = req.application.linkSigning
        let checklists = req.checklists
        let position = location
        let signed = try await req.application.writeGate.transaction(on: req.db) { sql in
            let q = req.queries(sql)
            guard let inspection = try await q.inspection(id), let subject = try await q.subject(inspection.subjectId) else {
                throw DomainError(.notFound, field: "id", reason: "no inspection \(id)")
            }
            let phone: PhoneNumber
            if let raw = input.signerPhone, !raw.trimmingCharacters(in: .whitespaces).isEmpty {
                do throws(InvalidValue) { phone = try PhoneNumber(raw) } catch { throw DomainError.invalid("signerPhone", error) }
            } else if let p = subject.phone {
                phone = p
            } else {
                throw DomainError.invalid("signerPhone", "the signer's phone number is required")
            }
            return try await SignatureService.sign(sql: sql, scope: req.jurisdiction, inspectionID: id, signerName: input.signerName, signerPhone: phone,
                                                   signedAt: signedAt, imagePNG: [UInt8](data), location: position, now: now,
                                                   links: links, checklists: checklists)
        }
        return try Response.json(signed, status: .created)
    }

    static func image(_ req: Request) async throws -> Response {
        let id = try Input.uuid(req.parameters.get("id"), "id", kind: .notFound)
        guard try await req.queries.inspection(id) != nil, let data = try await SignatureStore(sql: req.sql).image(inspection: id) else {
            throw DomainError(.notFound, field: "id", reason: "the inspection is not signed")
        }
        let r = Response(status: .ok, body: .init(data: data))
        r.headers.contentType = .png
        r.headers.cacheControl = .init(isPrivate: true, maxAge: 86_400)
        return r
    }

    /// The page the inspector hands to the responsible party: the record to sign and a pad.
    static func signPage(_ req: Request) async throws -> Response {
        let id = try Input.uuid(req.parameters.get("id"), "id", kind: .notFound)
        let q = req.queries
        guard let inspection = try await q.inspection(id), let subject = try await q.subject(inspection.subjectId) else {
            throw DomainError(.notFound, field: "id", reason: "no inspection \(id)")
        }
        let store = SignatureStore(sql: req.sql)
        if let signed = try await store.signature(inspection: id) {
            return SignaturePage.alreadySigned(signed, inspection: id)
        }
        let hazards = try await req.hazardDTOs(try await q.hazardsOfVisit(id))
        return SignaturePage.render(inspection: inspection, subject: subject, hazards: hazards)
    }

    /// 整改通知书: printable notice of the signed inspection.
    static func noticePage(_ req: Request) async throws -> Response {
        let id = try Input.uuid(req.parameters.get("id"), "id", kind: .notFound)
        let q = req.queries
        guard let inspection = try await q.inspection(id), let subject = try await q.subject(inspection.subjectId) else {
            throw DomainError(.notFound, field: "id", reason: "no inspection \(id)")
        }
        let store = SignatureStore(sql: req.sql)
        guard let signed = try await store.signature(inspection: id) else {
            throw DomainError(.notFound, field: "id", reason: "the inspection is not signed yet")
        }
        let record = try await SignatureService.record(id, sql: req.sql, scope: req.jurisdiction)
        let image = try await store.image(inspection: id) ?? Data()
        let imageHash = Hex.encode(SHA256.hash(data: image))
        let seal = SignatureSeal.sha256(recordSHA256: signed.recordSha256, signerName: signed.signerName,
                                        signerPhone: signed.signerPhone, signedAt: signed.signedAt, latitude: signed.latitude,
                                        longitude: signed.longitude, imageSHA256: imageHash)
        let intact = record?.sha256 == signed.recordSha256 && imageHash == signed.imageSha256 && seal == signed.sealSha256
        let hazards = try await req.hazardDTOs(try await q.hazardsOfVisit(id))
        let team = try await q.team(inspection: id)
        return NoticePage.render(inspection: inspection, subject: subject, signed: signed, hazards: hazards, team: team, intact: intact)
    }
}

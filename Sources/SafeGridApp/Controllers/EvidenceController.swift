import Foundation
import SafeGridCore
import Vapor

/// Evidence by the responsible party, without an account: the SMS link `/e/{token}` (signed,
/// expiring, for one subject) opens a page of that subject's open hazards with an upload form
/// per hazard. A photo (JPEG/PNG/HEIC, checked by content, ≤ 10 MB) with a note moves the hazard
/// to rectification in progress.
enum EvidenceController {
    /// Verifies the link; forged or malformed → 403, expired → 410 (with the reason).
    static func token(_ req: Request) throws -> EvidenceToken {
        let raw = req.parameters.get("token") ?? ""
        do {
            return try EvidenceToken.verify(raw, key: req.application.linkSigning.key, now: req.services.now())
        } catch {
            let status: HTTPStatus = error.reason.contains("expired") ? .gone : .forbidden
            throw Abort(status, reason: "此链接无效或已过期 \(error.reason)")
        }
    }

    /// `/e/{token}`: the party's page (``EvidencePage``) for the link's subject.
    static func page(_ req: Request) async throws -> Response {
        let t = try token(req)
        // The link itself is the party's authority, for its one subject: the caller has no
        // account (so no jurisdiction), and a signed-in official opening it sees what the party sees.
        let q = CampaignQueries(sql: req.sql, scope: .everything)
        guard let subject = try await q.subject(t.subjectID) else { throw Abort(.notFound, reason: "检查对象不存在") }
        let rows = try await q.hazards(subject: subject.id)
        let open = try await req.hazardDTOs(rows.filter { $0.hazardState.isOpen })
        let photos = try await EvidenceStore(sql: req.sql).photos(subject: subject.id)
        let raw = req.parameters.get("token") ?? ""
        let uploaded = req.query[String.self, at: "ok"] != nil
        return EvidencePage.render(subject: subject, token: raw, expiresAt: t.expiresAt, open: open, photos: photos, uploaded: uploaded)
    }

    struct Upload: Content {
        var photo: File
        var note: String?
    }

    /// Most photos one SMS link takes for one hazard, and for all of its subject's hazards. The
    /// link is bearer authority in the hands of whoever has the message, so what it can store is
    /// bounded; the party asks the grid worker for a new link (a reminder sends one) to add more.
    static let maxPhotosPerHazard = 10
    static let maxPhotosPerLink = 30

    /// `POST /e/{token}/hazards/{hazard}/evidence` (multipart `photo`, `note`): stores the photo
    /// (a repeat of the same photo for the hazard is stored once) and moves the hazard to
    /// rectification in progress.
    /// - Throws: 403/410 for a bad or expired link; 404 for a hazard not of the link's subject;
    ///   422 on `photo` (not an image) or `note`; 409 on `hazard` when it is no longer open, or on
    ///   `photo` when the link has taken ``maxPhotosPerHazard`` photos for this hazard or
    ///   ``maxPhotosPerLink`` in all (`limit` in the problem body).
    static func upload(_ req: Request) async throws -> Response {
        let t = try token(req)
        let hazardID = try Input.uuid(req.parameters.get("hazard"), "hazard", kind: .notFound)
        let upload = try req.content.decode(Upload.self)
        let bytes = [UInt8](upload.photo.data.readableBytesView)
        let info: ImageInfo
        do { info = try ImageContent.inspect(bytes) } catch { throw DomainError.invalid("photo", error) }
        let note = upload.note?.trimmingCharacters(in: .whitespacesAndNewlines)
        try TextRules.check(note, "note", max: TextRules.note, multiline: true)
        let now = req.services.now()
        // The link is the party's authority: its subject is read whoever holds it.
        try await req.application.campaignWrite(scope: .everything, recordedAt: now) { tx in
            let evidence = EvidenceStore(sql: tx.sql), q = tx.queries
            guard let hazard = try await q.hazard(hazardID), hazard.subjectId == t.subjectID,
                  let subject = try await q.subject(t.subjectID) else {
                throw DomainError(.notFound, field: "hazard", reason: "no such hazard for this link")
            }
            guard hazard.hazardState.isOpen else {
                throw DomainError(.conflict, field: "hazard", reason: "this hazard is \(hazard.hazardState.zh); no evidence needed",
                                  extra: ["currentState": hazard.state])
            }
            let duplicate = try await evidence.hasPhoto(hazard: hazardID, sha256: info.sha256)
            if !duplicate {
                // Counted inside the write transaction, so parallel uploads cannot pass the cap together.
                let (forHazard, forLink) = try await evidence.photoCounts(link: t, hazard: hazardID)
                if forHazard >= maxPhotosPerHazard {
                    throw DomainError(.conflict, field: "photo",
                                      reason: "此链接已为该隐患上传 \(maxPhotosPerHazard) 张照片，已达上限 · this link has taken \(maxPhotosPerHazard) photos for this hazard, the most it takes; ask the grid worker for a new link",
                                      extra: ["limit": String(maxPhotosPerHazard)])
                }
                if forLink >= maxPhotosPerLink {
                    throw DomainError(.conflict, field: "photo",
                                      reason: "此链接已上传 \(maxPhotosPerLink) 张照片，已达上限 · this link has taken \(maxPhotosPerLink) photos, the most it takes; ask the grid worker for a new link",
                                      extra: ["limit": String(maxPhotosPerLink)])
                }
                try await evidence.insertPhoto(hazard: hazardID, subject: subject.id, image: info, bytes: bytes, note: note, at: now,
                                               linkExpiresAt: t.expiresAt)
            }
            // Evidence moves an untouched (or rebounded) hazard to rectification in progress.
            if hazard.hazardState != .rectifying {
                try await tx.change(subject) { dossier in
                    try dossier.apply(.startRectification, hazard: hazardID, at: now, actor: "当事人 \(subject.partyName)",
                                      reason: (note?.isEmpty ?? true) ? "上传整改照片" : note)
                }
            }
        }
        // API clients ask for JSON only; browsers send text/html (and */*).
        let accept = req.headers.accept
        if accept.contains(where: { $0.mediaType == .json }), !accept.contains(where: { $0.mediaType == .html }) {
            return try Response.json(["state": HazardState.rectifying.rawValue, "sha256": info.sha256], status: .created)
        }
        return req.redirect(to: "/e/\(req.parameters.get("token") ?? "")?ok=1", redirectType: .normal)
    }

    /// An uploaded photo, for the party (through their link) and for the hazard page.
    static func photo(_ req: Request) async throws -> Response {
        let id = try Input.uuid(req.parameters.get("evidence"), "evidence", kind: .notFound)
        let reader: EvidenceStore.Reader = req.parameters.get("token") != nil ? .link(subject: try token(req).subjectID) : .account(req.queries)
        guard let photo = try await EvidenceStore(sql: req.sql).photo(id, for: reader) else {
            throw DomainError(.notFound, field: "evidence", reason: "no such photo")
        }
        let r = Response(status: .ok, body: .init(data: photo.data))
        r.headers.replaceOrAdd(name: .contentType, value: photo.contentType)
        r.headers.cacheControl = .init(isPrivate: true, maxAge: 86_400)
        return r
    }
}

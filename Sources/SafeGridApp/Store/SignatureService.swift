import Crypto
import Foundation
import SQLKit
import SafeGridCore
import Vapor

/// On-site e-signature: the responsible party signs the inspection record on the inspector's
/// phone; in the same transaction the signature, the record's SHA-256 and the SMS notice (with
/// the evidence link) are written.
package enum SignatureService {
    /// Largest accepted signature image (PNG bytes).
    static let maxImageBytes = 512 * 1024
    /// Smallest PNG that can hold a drawn signature; anything shorter is an empty canvas or junk.
    static let minImageBytes = 100
    /// How long the evidence link in the SMS stays valid after the latest deadline.
    package static let linkGrace: TimeInterval = 30 * 24 * 3600

    package struct Signed: Content {
        let inspectionId: UUID
        let noticeNumber: String
        let signedAt: String
        let recordSha256: String
        let smsQueued: Bool
        let smsBody: String?
        let smsSegments: Int?
        let noticeUrl: String
    }

    /// The signed record of an inspection as it stands in the database: the visit, its results
    /// and the hazards it created with the deadline of their `found` event.
    static func record(_ inspectionID: UUID, sql: any SQLDatabase, scope: Jurisdiction) async throws -> InspectionRecord? {
        let q = CampaignQueries(sql: sql, scope: scope)
        guard let i = try await q.inspection(inspectionID) else { return nil }
        let results = try await q.results(inspection: inspectionID)
        let hazards = try await q.hazards(inspection: inspectionID)
        let team = try await q.team(inspection: inspectionID)
        // The deadline each hazard was found with, in one query.
        var foundDue: [UUID: Date] = [:]
        if !hazards.isEmpty {
            for row in try await sql.select().columns("hazard_id", "due_at").from("hazard_events")
                .where("hazard_id", .in, SQLBind.group(hazards.map(\.id)))
                .where("kind", .equal, SQLBind(HazardEventKind.found.rawValue)).all() {
                foundDue[try row.decode(column: "hazard_id", as: UUID.self)] = try row.decode(column: "due_at", as: Date?.self)
            }
        }
        let lines = hazards.map { h in
            InspectionRecord.Hazard(id: h.id, itemCode: h.itemCode, severity: h.severity, dueAt: foundDue[h.id] ?? h.dueAt)
        }
        return InspectionRecord(inspectionID: i.id, subjectID: i.subjectId, inspectedAt: i.inspectedAt,
                                checklistVersion: i.checklistVersion,
                                results: results.map { .init(itemCode: $0.itemCode, outcome: $0.outcome, hazardID: $0.hazardID) },
                                hazards: lines, inspector: i.inspector, team: team.map { "\($0.name)·\($0.department.rawValue)" },
                                notes: Dictionary(uniqueKeysWithValues: results.compactMap { r in r.note.map { (r.itemCode, $0) } }))
    }

    /// Signs inside the caller's transaction.
    /// - Throws: ``DomainError``: 404 unknown inspection; 409 already signed; 422 on
    ///   `signerName`, `signerPhone`, `image` (missing, not a PNG, empty, over 512 KB),
    ///   `signedAt` (before the inspection or in the future).
    package static func sign(sql: any SQLDatabase, scope: Jurisdiction, inspectionID: UUID, signerName: String, signerPhone: PhoneNumber,
                     signedAt: Date, imagePNG: [UInt8], location: GeoPoint?, now: Date,
                     links: LinkSigning, checklists: ChecklistCache) async throws -> Signed {
        let q = CampaignQueries(sql: sql, scope: scope)
        guard let inspection = try await q.inspection(inspectionID), let subject = try await q.subject(inspection.subjectId) else {
            throw DomainError(.notFound, field: "id", reason: "no inspection \(inspectionID)")
        }
        if let existing = try await sql.select().column("notice_number").from("signatures")
            .where("inspection_id", .equal, SQLBind(inspectionID)).first() {
            throw DomainError(.conflict, field: "id", reason: "the inspection is already signed",
                              extra: ["noticeNumber": try existing.decode(column: "notice_number", as: String.self)])
        }
        let name = signerName.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else { throw DomainError.invalid("signerName", "the signer's name is required") }
        try TextRules.check(name, "signerName", max: TextRules.personName)
        guard !imagePNG.isEmpty else { throw DomainError.invalid("image", "the signature is empty") }
        guard imagePNG.count >= minImageBytes else {
            throw DomainError.invalid("image", "the signature image has \(imagePNG.count) bytes; a drawn signature needs at least \(minImageBytes)")
        }
        guard imagePNG.count <= maxImageBytes else {
            throw DomainError.invalid("image", "the signature image is \(imagePNG.count / 1024) KB; at most \(maxImageBytes / 1024) KB")
        }
        guard ImageContent.isCompletePNG(imagePNG) else {
            throw DomainError.invalid("image", "the signature must be a PNG image")
        }
        if let location {
            do { try DistrictBoundary.xiaoshan.check(location) } catch { throw DomainError.invalid("location", error) }
        }
        guard signedAt >= inspection.inspectedAt else {
            throw DomainError.invalid("signedAt", "the signature is dated before the inspection")
        }
        try InspectionRules.checkNotInFuture(signedAt, "signedAt", now: now)
        guard let record = try await record(inspectionID, sql: sql, scope: scope) else { throw DomainError(.notFound, field: "id", reason: "no inspection") }

        let townName = try await q.area(subject.townCode)?.name ?? ""
        let year = CalendarDate(shanghai: signedAt).year
        let count = try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("signatures")
            .where(SQLContains(column: "notice_number", text: NoticeNumber.prefix(townName: townName, year: year)))
            .first()?.decode(column: "n", as: Int.self) ?? 0
        let noticeNumber = NoticeNumber.make(townName: townName, year: year, sequence: count + 1)
        let imageHash = Hex.encode(SHA256.hash(data: Data(imagePNG)))
        let signedAtStored = EventChain.rounded(signedAt)
        let seal = SignatureSeal.sha256(recordSHA256: record.sha256, signerName: name, signerPhone: signerPhone.stored,
                                        signedAt: signedAtStored, latitude: location?.latitude, longitude: location?.longitude,
                                        imageSHA256: imageHash)
        try await sql.insert(into: "signatures")
            .columns("inspection_id", "notice_number", "signer_name", "signer_phone", "signed_at", "latitude", "longitude",
                     "datum", "image_png", "image_sha256", "record_sha256", "seal_sha256", "recorded_at")
            .values(SQLBind(inspectionID), SQLBind(noticeNumber), SQLBind(name), SQLBind(signerPhone.stored),
                    SQLBind(signedAtStored), SQLBind(location?.latitude), SQLBind(location?.longitude),
                    SQLBind(location?.datum.rawValue), SQLBind(Data(imagePNG)), SQLBind(imageHash),
                    SQLBind(record.sha256), SQLBind(seal), SQLBind(now))
            .run()

        // The SMS notice, in the same transaction.
        var body: String? = nil
        var segments: Int? = nil
        var queued = false
        let hazards = try await q.hazardsOfVisit(inspectionID).filter { $0.hazardState.isOpen }
        if !hazards.isEmpty, signerPhone.isSMSCapable {
            var lines: [SMSHazardLine] = []
            for h in hazards {
                let item = try await checklists.item(h.itemCode, version: h.checklistVersion, sql: sql)
                lines.append(SMSHazardLine(code: h.itemCode, text: item?.zh ?? h.itemCode))
            }
            let earliest = hazards.map(\.dueAt).min()!
            let latest = hazards.map(\.dueAt).max()!
            let link = links.evidenceLink(subject: subject.id, expiresAt: max(latest, now).addingTimeInterval(linkGrace))
            let text = SMSTemplate.rectificationNotice(subjectName: subject.name,
                                                       inspectedOn: CalendarDate(shanghai: inspection.inspectedAt),
                                                       hazards: lines, dueOn: CalendarDate(shanghai: earliest), link: link)
            let count = SMSText.segments(text).segments
            try await Outbox.enqueue(OutgoingMessage(kind: .notice, subjectID: subject.id, inspectionID: inspectionID,
                                                     hazardID: nil, body: text, segments: count,
                                                     recipients: [signerPhone.stored], dedupeKey: "notice:\(inspectionID)"),
                                     sql: sql, at: now)
            body = text
            segments = count
            queued = true
        }
        return Signed(inspectionId: inspectionID, noticeNumber: noticeNumber, signedAt: Timestamp.format(signedAt),
                      recordSha256: record.sha256, smsQueued: queued, smsBody: body, smsSegments: segments,
                      noticeUrl: "/inspections/\(inspectionID.uuidString.lowercased())/notice")
    }
}

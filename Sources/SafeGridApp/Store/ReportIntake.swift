import Crypto
import Foundation
import SQLKit
import SafeGridCore
import Vapor

/// Receiving a resident's report, from the residents' page or an Open311 client: the checks of
/// what it says, its photos cleaned of metadata, its route, and the row (or an addition to an
/// earlier report). One path for both channels, so every report reaches a worker the same way.
enum ReportIntake {
    /// What a report says, checked.
    struct Fields: Sendable {
        let item: ChecklistItem
        let description: String?
        /// WGS-84, inside 萧山区.
        let position: GeoPoint?
        let address: String?
        /// A village of a town, when the resident chose one.
        let villageCode: String?
        let name: String?

        /// - Parameters:
        ///   - fieldNames: the names a channel gives the fields in errors (Open311's `lat`, `address_string`).
        ///   - residentsOnly: the residents' page: management items are refused.
        ///   - descriptionMax, addressMax: characters (Open311 documents 4,000 and 300).
        /// - Throws: 422 naming `serviceCode`, `description`, `latitude`, `address`, `villageCode`, `name`.
        static func checked(serviceCode: String?, description: String?, latitude: Double?, longitude: Double?, address: String?,
                            villageCode: String?, name: String?, checklist: Checklist, sql: any SQLDatabase,
                            fieldNames: [String: String] = [:], residentsOnly: Bool = false,
                            descriptionMax: Int = ResidentReportRules.descriptionMax,
                            addressMax: Int = ResidentReportRules.addressMax) async throws -> Fields {
            func field(_ f: String) -> String { fieldNames[f] ?? f }
            guard let code = serviceCode?.trimmingCharacters(in: .whitespaces), let item = checklist.item(code),
                  !residentsOnly || ResidentReportRules.reportable(item) else {
                throw DomainError.invalid(field("serviceCode"), "\(serviceCode.map { "'\($0.prefix(20))'" } ?? "nothing") is not an item residents report; "
                                          + "see /api/v1/resident/context or /open311/v2/services.json 请选择隐患类型")
            }
            func text(_ raw: String?, _ f: String, max: Int, multiline: Bool = false) throws(DomainError) -> String? {
                guard let v = raw?.trimmingCharacters(in: .whitespacesAndNewlines), !v.isEmpty else { return nil }
                try TextRules.check(v, field(f), max: max, multiline: multiline)
                try ResidentReportRules.checkDirection(v, field(f))
                return v
            }
            let description = try text(description, "description", max: descriptionMax, multiline: true)
            let address = try text(address, "address", max: addressMax)
            let name = try text(name, "name", max: TextRules.personName)
            let position: GeoPoint?
            do { position = try ResidentController.position(latitude, longitude) } catch {
                throw DomainError(error.kind, field: field("latitude"), reason: error.reason)
            }
            var village: String? = nil
            if let v = villageCode?.trimmingCharacters(in: .whitespaces), !v.isEmpty {
                guard AreaLevel(codeLength: v.count) == .village,
                      let area = try await CampaignQueries(sql: sql, scope: .everything).area(v), area.level == .village else {
                    throw DomainError.invalid(field("villageCode"), "no village with code \(v.prefix(20))")
                }
                village = v
            }
            guard position != nil || address != nil else {
                throw DomainError.invalid(field("address"), "give the position (use my location or tap the map) or the address 请定位或填写地址")
            }
            return Fields(item: item, description: description, position: position, address: address, villageCode: village, name: name)
        }
    }

    /// Who reported: a verified mobile or none (anonymous), and the network address it came from.
    struct Reporter: Sendable {
        let name: String?
        let phone: String?
        let anonymous: Bool
        let clientAddress: String?
    }

    /// A photo as stored: without metadata, with what its EXIF said (for staff).
    struct Photo: Sendable {
        let bytes: [UInt8]
        let format: ImageFormat
        let sha256: String
        let takenAt: Date?
        let position: GeoPoint?
    }

    /// Decodes, checks and cleans the page's photos (data URLs or bare base64).
    /// - Throws: 422 on `photos` (too many) or `photos[i]` (not base64, not a whole JPEG or PNG,
    ///   too large).
    static func photos(_ raw: [String], now: Date) throws(DomainError) -> [Photo] {
        guard raw.count <= ResidentReportRules.maxPhotos else {
            throw DomainError.invalid("photos", "at most \(ResidentReportRules.maxPhotos) photos 最多\(ResidentReportRules.maxPhotos)张照片")
        }
        var out: [Photo] = []
        for (i, s) in raw.enumerated() {
            let field = "photos[\(i)]"
            let payload = s.range(of: ";base64,").map { String(s[$0.upperBound...]) } ?? s
            guard payload.count <= (ResidentReportRules.photoBytes / 3 + 2) * 4,
                  let data = Data(base64Encoded: payload, options: .ignoreUnknownCharacters) else {
                throw DomainError.invalid(field, payload.count > (ResidentReportRules.photoBytes / 3 + 2) * 4
                    ? "the photo is larger than \(ResidentReportRules.photoBytes / 1_000_000) MB 照片太大"
                    : "not a photo (base64 data URL expected) 不是照片")
            }
            let bytes = [UInt8](data)
            let info: ImageInfo
            do { info = try ImageContent.inspect(bytes, maxBytes: ResidentReportRules.photoBytes) } catch {
                throw DomainError.invalid(field, error.reason.hasPrefix("the file is not")
                    ? "not a JPEG or PNG photo 请上传 JPG 或 PNG 照片" : "\(error.reason) 照片不可用")
            }
            guard info.format != .heic else { throw DomainError.invalid(field, "send JPEG or PNG 请上传 JPG 或 PNG 照片") }
            guard let size = ImageMetadata.dimensions(bytes, format: info.format), size.width > 0, size.height > 0,
                  size.width <= ResidentReportRules.maxPhotoSide, size.height <= ResidentReportRules.maxPhotoSide,
                  size.width * size.height <= ResidentReportRules.maxPhotoPixels else {
                throw DomainError.invalid(field, "the photo's size cannot be read or exceeds \(ResidentReportRules.maxPhotoSide) px a side 照片尺寸无法识别或过大")
            }
            guard ImageContent.isComplete(bytes, format: info.format), let clean = ImageMetadata.stripped(bytes, format: info.format) else {
                throw DomainError.invalid(field, "the photo is cut short or damaged 照片不完整")
            }
            out.append(Photo(bytes: clean, format: info.format, sha256: Hex.encode(SHA256.hash(data: clean)),
                             takenAt: info.takenAt.flatMap { PhotoFacts.plausibleTime($0, now: now) ? $0 : nil },
                             position: info.position.flatMap { PhotoFacts.plausiblePosition($0) ? $0 : nil }))
        }
        return out
    }

    /// 128 random bits, hex: the resident's tracking token.
    static func newToken() -> String { Hex.encode(SymmetricKey(size: .bits128).withUnsafeBytes { Array($0) }) }

    /// The report a resident adds to, checked: it exists and is still open (awaiting verification
    /// or being rectified: a hazard back after rectification is a new report), is of
    /// the same category, received in the last 30 days and, with a position, within 100 m.
    /// - Throws: 422 on `addTo`.
    static func original(_ id: UUID, for f: Fields, sql: any SQLDatabase, now: Date) async throws -> ResidentReportRow {
        guard let original = try await ResidentReportStore(sql: sql).reports(ids: [id])[id], original.reportState != .added else {
            throw DomainError.invalid("addTo", "no report \(id.uuidString.lowercased()) to add to")
        }
        let since = now.addingTimeInterval(-Double(ResidentReportRules.nearbyDays) * 86_400)
        guard original.reportState.isOpen, original.category == f.item.category.rawValue, original.receivedAt >= since else {
            throw DomainError.invalid("addTo", "that report is closed, older than \(ResidentReportRules.nearbyDays) days or of another kind; send a new report")
        }
        if let p = f.position, let o = original.position, o.distanceMetres(to: p) > ResidentReportRules.nearbyMetres * 2 {
            throw DomainError.invalid("addTo", "that report is not where you are; send a new report")
        }
        return original
    }

    /// Stores the report (or, with `addTo`, an addition to that report, checked by
    /// ``original(_:for:sql:now:)``), its photos and its first event, inside `tx`.
    static func receive(_ f: Fields, reporter: Reporter, channel: String, id: UUID, token: String, photos: [Photo],
                        addTo original: ResidentReportRow?, checklist: Checklist, tx: CampaignTransaction, now: Date) async throws -> ResidentReportRow {
        let store = ResidentReportStore(sql: tx.sql)
        let route: ReportRoute
        if let original {
            route = ReportRoute(townCode: original.townCode, villageCode: original.villageCode, gridCode: original.gridCode,
                                microGridCode: original.microGridCode, subjectId: original.subjectId)
        } else {
            let town = f.villageCode.map { String($0.prefix(9)) } ?? BundledAreas.gualiTownCode
            route = try await ReportRouting.route(position: f.position, address: f.address, villageCode: f.villageCode, townCode: town, sql: tx.sql)
        }
        let addedTo = original?.id
        let row = ResidentReportRow(
            id: id, channel: channel, token: token, serviceCode: f.item.code, category: f.item.category.rawValue,
            description: f.description, latitude: f.position?.latitude, longitude: f.position?.longitude, address: f.address,
            townCode: route.townCode, villageCode: route.villageCode, gridCode: route.gridCode, microGridCode: route.microGridCode,
            subjectId: route.subjectId, reporterName: f.name, reporterPhone: reporter.phone, anonymous: reporter.phone == nil,
            clientAddress: reporter.clientAddress, state: (addedTo == nil ? ResidentReportState.received : .added).rawValue,
            addedTo: addedTo, receivedAt: now, updatedAt: now, verifiedAt: nil, verifiedBy: nil, inspectionId: nil, dismissedAt: nil,
            dismissedBy: nil, dismissReason: nil, duplicateOf: nil, note: nil, rectifiedAt: nil, alertedAt: nil)
        try await store.insert(row)
        for (i, p) in photos.enumerated() {
            try await store.insertPhoto(report: id, position: i, contentType: p.format.mimeType, data: p.bytes, sha256: p.sha256,
                                        takenAt: p.takenAt, exifPosition: p.position)
        }
        try await store.recordEvent(report: id, townCode: route.townCode, state: row.reportState, at: now)
        if let mg = route.microGridCode { tx.touch(microGrids: [mg]) }
        return row
    }
}

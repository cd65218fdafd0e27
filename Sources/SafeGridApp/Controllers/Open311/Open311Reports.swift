import Crypto
import Foundation
import SQLKit
import SafeGridCore
import Vapor
import XMLCoder

/// `POST requests`: a report from a client with an Open311 key.
extension Open311Controller {
    // MARK: Reporting

    static let notice = "已受理，网格员将在 24 小时内核实。Received; a grid worker will verify it within 24 hours."

    static func report(_ req: Request) async throws -> (value: [Created], replayed: Bool) {
        let input: ReportInput
        do { input = try req.content.decode(ReportInput.self) } catch {
            throw DomainError.invalid("body", "send form fields (application/x-www-form-urlencoded) or JSON")
        }
        guard let key = input.api_key, !key.isEmpty else { throw Abort(.unauthorized, reason: "api_key: api_key is required") }
        guard let client = try await ApiClients.client(sql: req.sql, key: key, scope: "open311") else {
            throw Abort(.forbidden, reason: "api_key: invalid api_key")
        }
        let checklist = try await req.checklists.current(sql: req.sql)
        func text(_ value: String?, _ field: String, max: Int) throws -> String? {
            guard let v = value?.trimmingCharacters(in: .whitespacesAndNewlines), !v.isEmpty else { return nil }
            try TextRules.check(v, field, max: max)
            return v
        }
        var latitude: Double?, longitude: Double?
        switch (input.lat?.trimmingCharacters(in: .whitespaces), input.long?.trimmingCharacters(in: .whitespaces)) {
        case let (lat?, long?) where !lat.isEmpty || !long.isEmpty:
            guard let la = Double(lat), let lo = Double(long) else { throw DomainError.invalid("lat", "lat and long must be decimal degrees") }
            (latitude, longitude) = (la, lo)
        default:
            break
        }
        let addressID = try text(input.address_id, "address_id", max: 100)
        let addressGiven = input.address_string.map { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty } ?? false
        guard latitude != nil || addressGiven || addressID != nil else {
            throw DomainError.invalid("lat", "give lat and long, or address_string, or address_id")
        }
        let first = try text(input.first_name, "first_name", max: 100), last = try text(input.last_name, "last_name", max: 100)
        // The same checks and path as the residents' page (with GeoReport's names and limits):
        // routed to a micro-grid, a worker's task, answers by SMS.
        let intake = try await ReportIntake.Fields.checked(
            serviceCode: input.service_code, description: input.description, latitude: latitude, longitude: longitude,
            address: addressGiven ? input.address_string : addressID.map { "address_id \($0)" }, villageCode: nil,
            name: [last, first].compactMap { $0 }.joined().prefix(TextRules.personName).description,
            checklist: checklist, sql: req.sql,
            fieldNames: ["serviceCode": "service_code", "latitude": "lat", "address": "address_string", "name": "last_name"],
            descriptionMax: 4_000, addressMax: 300)
        let code = intake.item.code, description = intake.description, point = intake.position
        let address = addressGiven ? intake.address : nil
        let fields: [(String, String?)] = [
            ("service_code", code), ("lat", point.map { String($0.latitude) }), ("long", point.map { String($0.longitude) }),
            ("address_string", address), ("address_id", input.address_id), ("description", description),
            ("first_name", first), ("last_name", last),
            ("email", try text(input.email, "email", max: 200)), ("phone", try text(input.phone, "phone", max: 40)),
            ("device_id", try text(input.device_id, "device_id", max: 100)), ("account_id", try text(input.account_id, "account_id", max: 100)),
            ("media_url", try text(input.media_url, "media_url", max: 1_000)),
        ]
        let hash = Hex.encode(SHA256.hash(data: Data(fields.map { "\($0.0)=\($0.1 ?? "")" }.joined(separator: "\u{1F}").utf8)))
        let now = req.services.now()
        let values = Dictionary(uniqueKeysWithValues: fields)
        let position = point
        // A client's reporter phone is its own account's, vouched for by the client: answered when a mobile.
        let phone = (values["phone"] ?? nil).flatMap { try? PhoneNumber($0) }.flatMap { $0.isSMSCapable ? $0.stored : nil }
        let reporter = ReportIntake.Reporter(name: intake.name, phone: phone, anonymous: phone == nil, clientAddress: req.clientAddress)
        return try await req.application.campaignWrite(scope: .everything, recordedAt: now) { tx in
            let store = ServiceRequestStore(sql: tx.sql)
            if let row = try await store.report(client: client, requestHash: hash) {
                return ([Created(service_request_id: try row.decode(column: "id", as: UUID.self).uuidString.lowercased(),
                                 token: try row.decode(column: "token", as: String.self), service_notice: notice)], true)
            }
            let id = UUID()
            let token = ReportIntake.newToken()
            try await store.insertReport(id: id, token: token, client: client, requestHash: hash, serviceCode: code,
                                         description: description, position: position, address: address, fields: values, at: now)
            _ = try await ReportIntake.receive(intake, reporter: reporter, channel: "open311", id: id, token: token, photos: [],
                                               addTo: nil, checklist: checklist, tx: tx, now: now)
            return ([Created(service_request_id: id.uuidString.lowercased(), token: token, service_notice: notice)], false)
        }
    }
}

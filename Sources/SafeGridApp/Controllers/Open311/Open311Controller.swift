import Crypto
import Foundation
import SQLKit
import SafeGridCore
import Vapor
import XMLCoder

/// Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2) at `/open311/v2`, in JSON and
/// XML, so that a public channel or the province's 四平台 can read our hazards as service
/// requests and report new ones.
///
/// - `services.{json|xml}`: one service per checklist item (code `ELEC-01`, name in Chinese and
///   English, group = hazard category, keywords = department).
/// - `services/{code}.{fmt}`: the service definition (optional attributes of a report).
/// - `requests.{fmt}`: hazards and reported requests; filters `service_request_id` (comma list
///   of at most ``maxIDs``, 400 beyond; others then ignored), `service_code`,
///   `start_date`/`end_date` (RFC 3339, any offset,
///   fractional seconds; default the last 90 days), `status` (`open`/`closed`); at most 1,000,
///   newest first.
/// - `requests/{id}.{fmt}`, `tokens/{token}.{fmt}`.
/// - `POST requests.{fmt}` (form or JSON): `api_key` of a client with scope `open311`,
///   `service_code`, `lat`+`long` (WGS-84, inside 萧山区) or `address_string`, optional
///   `description` (≤ 4,000), names, `email`, `phone`, `device_id`, `account_id`, `media_url`.
///   A repeat of the same parameters by the same client answers the first request.
///
/// Our states map to `open` (open, rectifying, rebound) and `closed` (rectified, closed down),
/// with the detail in `status_notes`. A hazard's `description` is its checklist item's text, never
/// the inspector's note (reads are public); a reported request's is the reporter's own. Errors
/// follow GeoReport: a list of `{code, description}`.
enum Open311Controller {
    enum Format: String, CaseIterable { case json, xml }

    struct Service: Codable {
        let service_code: String
        let service_name: String
        let description: String?
        let metadata: Bool
        let type: String
        let keywords: String?
        let group: String?
    }

    struct Attribute: Codable {
        let variable: Bool
        let code: String
        let datatype: String
        let required: Bool
        let datatype_description: String?
        let order: Int
        let description: String
    }

    struct ServiceDefinition: Codable {
        let service_code: String
        let attributes: [Attribute]
    }

    struct ServiceRequest: Codable {
        let service_request_id: String
        let status: String
        let status_notes: String?
        let service_name: String?
        let service_code: String
        let description: String?
        let agency_responsible: String?
        let service_notice: String?
        let requested_datetime: String
        let updated_datetime: String?
        let expected_datetime: String?
        let address: String?
        let lat: Double?
        let long: Double?
        let media_url: String?
    }

    struct Created: Codable {
        let service_request_id: String
        let token: String
        let service_notice: String?
    }

    struct TokenAnswer: Codable {
        let service_request_id: String
        let token: String
    }

    struct ErrorItem: Codable {
        let code: Int
        let description: String
    }

    /// The form (or JSON) of `POST requests`; numbers may come as text, as forms send them.
    struct ReportInput: Content {
        var api_key: String?
        var service_code: String?
        var lat: String?
        var long: String?
        var address_string: String?
        var address_id: String?
        var description: String?
        var first_name: String?
        var last_name: String?
        var email: String?
        var phone: String?
        var device_id: String?
        var account_id: String?
        var media_url: String?
    }

    // MARK: Handlers (routes.swift), each answering in the format of its extension

    /// `GET services.{fmt}`.
    static func listServices(_ req: Request, _ format: Format) async throws -> Response {
        try await answer(req, format) { try await services(req) }
    }

    /// `GET requests.{fmt}`.
    static func listRequests(_ req: Request, _ format: Format) async throws -> Response {
        try await answer(req, format) { try await requests(req) }
    }

    /// `POST requests.{fmt}`: 201, or 200 with `Idempotent-Replayed` for a repeat.
    static func submitRequest(_ req: Request, _ format: Format) async throws -> Response {
        try await answer(req, format, created: true) { try await report(req) }
    }

    /// `GET services/{code}.{fmt}`.
    static func showService(_ req: Request) async throws -> Response {
        let (code, format) = try split(req.parameters.get("file"))
        return try await answer(req, format) { try await definition(req, code: code) }
    }

    /// `GET requests/{id}.{fmt}`.
    static func showRequest(_ req: Request) async throws -> Response {
        let (id, format) = try split(req.parameters.get("file"))
        return try await answer(req, format) { try await request(req, id: id) }
    }

    /// `GET tokens/{token}.{fmt}`.
    static func showToken(_ req: Request) async throws -> Response {
        let (token, format) = try split(req.parameters.get("file"))
        return try await answer(req, format) { try await tokenLookup(req, token: token) }
    }

    /// `ELEC-01.json` → (`ELEC-01`, .json).
    static func split(_ file: String?) throws -> (String, Format) {
        guard let file, let dot = file.lastIndex(of: "."), let format = Format(rawValue: String(file[file.index(after: dot)...])) else {
            throw Abort(.notFound, reason: "ask for .json or .xml")
        }
        return (String(file[..<dot]), format)
    }

    /// Whether reading needs an `api_key` of scope `open311` (``Settings/open311Read``,
    /// `SAFEGRID_OPEN311_READ=key`). By default reads are public, as GeoReport v2 describes them
    /// (a town that publishes its hazards to residents' apps such as 沥家园); a town that does
    /// not, sets `key`.
    static func readsNeedKey(_ req: Request) -> Bool { req.application.settings.open311Read == .key }

    /// Runs `body` and encodes its answer (or its error, as GeoReport errors) in `format`.
    static func answer<T: Encodable>(_ req: Request, _ format: Format, created: Bool = false,
                                     _ body: () async throws -> (value: T, replayed: Bool)) async throws -> Response {
        do {
            if req.method == .GET, readsNeedKey(req) {
                guard let key = req.query[String.self, at: "api_key"], !key.isEmpty else {
                    throw Abort(.unauthorized, reason: "api_key: this server publishes service requests only to API clients")
                }
                guard try await ApiClients.client(sql: req.sql, key: key, scope: "open311") != nil else {
                    throw Abort(.forbidden, reason: "api_key: invalid api_key")
                }
            }
            let (value, replayed) = try await body()
            let response = try encode(value, format, status: created && !replayed ? .created : .ok)
            if replayed { response.headers.replaceOrAdd(name: "Idempotent-Replayed", value: "true") }
            return response
        } catch let e as DomainError {
            let status = e.status
            return try encode([ErrorItem(code: Int(status.code), description: e.field.map { "\($0): \(e.reason)" } ?? e.reason)],
                              format, status: status)
        } catch let e as any AbortError {
            return try encode([ErrorItem(code: Int(e.status.code), description: e.reason)], format, status: e.status)
        }
    }

    static func answer<T: Encodable>(_ req: Request, _ format: Format, created: Bool = false,
                                     _ body: () async throws -> T) async throws -> Response {
        try await answer(req, format, created: created) { (try await body(), false) }
    }

    static func encode<T: Encodable>(_ value: T, _ format: Format, status: HTTPStatus) throws -> Response {
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return Response.json(encoded: try encoder.encode(value), status: status)
        case .xml:
            let (root, element) = xmlNames(T.self)
            let encoder = XMLEncoder()
            let header = XMLHeader(version: 1.0, encoding: "utf-8")
            let data: Data
            if let list = value as? [any Encodable] {
                data = try encoder.encode(XMLList(items: list.map(AnyEncodable.init), element: element), withRootKey: root, header: header)
            } else {
                data = try encoder.encode(value, withRootKey: element, header: header)
            }
            let response = Response(status: status, body: .init(data: data))
            response.headers.contentType = .xml
            return response
        }
    }

    /// GeoReport's XML names: `<services><service>`, `<service_requests><request>`, `<errors><error>`.
    static func xmlNames<T>(_ type: T.Type) -> (root: String, element: String) {
        switch type {
        case is [Service].Type: ("services", "service")
        case is [ServiceRequest].Type, is [Created].Type, is [TokenAnswer].Type: ("service_requests", "request")
        case is [ErrorItem].Type: ("errors", "error")
        case is ServiceDefinition.Type: ("service_definition", "service_definition")
        default: ("items", "item")
        }
    }

    // MARK: Services

    static func services(_ req: Request) async throws -> [Service] {
        let checklist = try await req.checklists.current(sql: req.sql)
        return checklist.items.map { item in
            Service(service_code: item.code, service_name: "\(item.zh) \(item.en)",
                    description: "\(item.en). 依据 \(item.legalBasis)", metadata: true, type: "realtime",
                    keywords: "\(item.department.zh),\(item.department.rawValue)", group: item.category.zh)
        }
    }

    static func definition(_ req: Request, code: String) async throws -> ServiceDefinition {
        let checklist = try await req.checklists.current(sql: req.sql)
        guard checklist.item(code) != nil else { throw DomainError(.notFound, field: "service_code", reason: "no service \(code)") }
        return ServiceDefinition(service_code: code, attributes: [
            Attribute(variable: true, code: "subject_name", datatype: "string", required: false,
                      datatype_description: "单位或店铺名称", order: 1, description: "隐患所在单位 Name of the enterprise, shop or building"),
        ])
    }

    // MARK: Requests

    static let maxResults = 1_000
    /// Most ids one `service_request_id` list may name (each is a lookup, and reads need no key).
    static let maxIDs = 50
    static let defaultDays = 90.0

    static func requests(_ req: Request) async throws -> [ServiceRequest] {
        let checklist = try await req.checklists.current(sql: req.sql)
        // The dates are checked even when ids are given (then they filter nothing): a bad value is a 422 either way.
        let now = req.services.now()
        let end = try req.query[String.self, at: "end_date"].map { s throws(DomainError) in try Input.timestamp(s, "end_date") } ?? now
        let start = try req.query[String.self, at: "start_date"].map { s throws(DomainError) in try Input.timestamp(s, "start_date") }
            ?? end.addingTimeInterval(-defaultDays * 86_400)
        if let ids = req.query[String.self, at: "service_request_id"], !ids.isEmpty {
            let list = ids.split(separator: ",")
            guard list.count <= maxIDs else {
                throw DomainError(.malformed, field: "service_request_id",
                                  reason: "at most \(maxIDs) ids per request, got \(list.count); ask in several requests")
            }
            var found: [ServiceRequest] = []
            for id in list {
                if let r = try await lookup(req, id: String(id).trimmingCharacters(in: .whitespaces), checklist: checklist) { found.append(r) }
            }
            return found
        }
        guard start <= end else { throw DomainError.invalid("start_date", "start_date is after end_date") }
        let status = req.query[String.self, at: "status"].flatMap { $0.isEmpty ? nil : $0 }
        guard status == nil || status == "open" || status == "closed" else {
            throw DomainError.invalid("status", "status must be open or closed")
        }
        let code = req.query[String.self, at: "service_code"].flatMap { $0.isEmpty ? nil : $0 }

        var q = req.sql.select().columns("*").from("hazards")
            .where("found_at", .greaterThanOrEqual, SQLBind(start)).where("found_at", .lessThanOrEqual, SQLBind(end))
        if let code { q = q.where("item_code", .equal, SQLBind(code)) }
        if let status {
            q = q.where("state", status == "open" ? .in : .notIn, SQLBind.group(CampaignQueries.openStates))
        }
        let hazards = try await q.orderBy("found_at", .descending).orderBy("id").limit(maxResults)
            .rows(HazardRow.self)
        let subjects = try await CampaignQueries(sql: req.sql, scope: .everything).subjects(hazards.map(\.subjectId))
        var result = hazards.map { request(hazard: $0, subject: subjects[$0.subjectId], checklist: checklist) }

        var r = req.sql.select().columns("*").from("service_requests")
            .where("requested_at", .greaterThanOrEqual, SQLBind(start)).where("requested_at", .lessThanOrEqual, SQLBind(end))
        if let code { r = r.where("service_code", .equal, SQLBind(code)) }
        if let status { r = r.where("status", .equal, SQLBind(status)) }
        for row in try await r.orderBy("requested_at", .descending).limit(maxResults).all() {
            result.append(try request(reported: row, checklist: checklist))
        }
        return Array(result.sorted { $0.requested_datetime > $1.requested_datetime }.prefix(maxResults))
    }

    static func request(_ req: Request, id: String) async throws -> [ServiceRequest] {
        let checklist = try await req.checklists.current(sql: req.sql)
        guard let r = try await lookup(req, id: id, checklist: checklist) else {
            throw DomainError(.notFound, field: "service_request_id", reason: "no service request \(id)")
        }
        return [r]
    }

    static func lookup(_ req: Request, id: String, checklist: Checklist) async throws -> ServiceRequest? {
        guard let uuid = UUID(uuidString: id) else { return nil }
        // Open311 reads the whole district (as the list does), not a person's jurisdiction.
        let q = CampaignQueries(sql: req.sql, scope: .everything)
        if let h = try await q.hazard(uuid) {
            return request(hazard: h, subject: try await q.subject(h.subjectId), checklist: checklist)
        }
        if let row = try await req.sql.select().columns("*").from("service_requests").where("id", .equal, SQLBind(uuid)).first() {
            return try request(reported: row, checklist: checklist)
        }
        return nil
    }

    static func request(hazard h: HazardRow, subject: SubjectRow?, checklist: Checklist) -> ServiceRequest {
        let state = HazardState(rawValue: h.state) ?? .open
        let item = checklist.item(h.itemCode)
        let position = subject?.location?.converted(to: .wgs84)
        var notes = "\(state.zh) \(state.rawValue)"
        if state.isOpen { notes += "; 整改期限 due \(CalendarDate(shanghai: h.dueAt))" }
        if h.overdueAt != nil && state.isOpen { notes += "; 已逾期 overdue" }
        if h.reboundCount > 0 { notes += "; 反弹 rebounds \(h.reboundCount)" }
        return ServiceRequest(
            service_request_id: h.id.uuidString.lowercased(), status: state.isOpen ? "open" : "closed", status_notes: notes,
            service_name: item.map { "\($0.zh) \($0.en)" }, service_code: h.itemCode,
            // The checklist's words only: the inspector's note may name people or details not for the public.
            description: item?.zh, agency_responsible: Department(rawValue: h.department)?.zh,
            service_notice: nil, requested_datetime: Timestamp.format(h.foundAt), updated_datetime: Timestamp.format(h.lastEventAt),
            expected_datetime: Timestamp.format(h.dueAt), address: subject?.address,
            lat: position?.latitude, long: position?.longitude, media_url: nil)
    }

    static func request(reported row: any SQLRow, checklist: Checklist) throws -> ServiceRequest {
        let code = try row.decode(column: "service_code", as: String.self)
        let item = checklist.item(code)
        return ServiceRequest(
            service_request_id: try row.decode(column: "id", as: UUID.self).uuidString.lowercased(),
            status: try row.decode(column: "status", as: String.self),
            status_notes: try row.decode(column: "status_notes", as: String?.self),
            service_name: item.map { "\($0.zh) \($0.en)" }, service_code: code,
            description: try row.decode(column: "description", as: String?.self),
            agency_responsible: item?.department.zh, service_notice: nil,
            requested_datetime: Timestamp.format(try row.decode(column: "requested_at", as: Date.self)),
            updated_datetime: Timestamp.format(try row.decode(column: "updated_at", as: Date.self)),
            expected_datetime: nil, address: try row.decode(column: "address", as: String?.self),
            lat: try row.decode(column: "latitude", as: Double?.self), long: try row.decode(column: "longitude", as: Double?.self),
            media_url: try row.decode(column: "media_url", as: String?.self))
    }

    static func tokenLookup(_ req: Request, token: String) async throws -> [TokenAnswer] {
        guard let row = try await req.sql.select().columns("id", "token").from("service_requests")
            .where("token", .equal, SQLBind(token)).first() else {
            throw DomainError(.notFound, field: "token", reason: "no request with this token")
        }
        return [TokenAnswer(service_request_id: try row.decode(column: "id", as: UUID.self).uuidString.lowercased(),
                            token: try row.decode(column: "token", as: String.self))]
    }

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
        guard let code = input.service_code, checklist.item(code) != nil else {
            throw DomainError.invalid("service_code", "unknown service_code \(input.service_code ?? "(none)"); see services.json")
        }
        func text(_ value: String?, _ field: String, max: Int) throws -> String? {
            guard let v = value?.trimmingCharacters(in: .whitespacesAndNewlines), !v.isEmpty else { return nil }
            try TextRules.check(v, field, max: max, multiline: field == "description")
            return v
        }
        let description = try text(input.description, "description", max: 4_000)
        let address = try text(input.address_string, "address_string", max: 300)
        var point: GeoPoint? = nil
        switch (input.lat?.trimmingCharacters(in: .whitespaces), input.long?.trimmingCharacters(in: .whitespaces)) {
        case let (lat?, long?) where !lat.isEmpty || !long.isEmpty:
            guard let la = Double(lat), let lo = Double(long) else { throw DomainError.invalid("lat", "lat and long must be decimal degrees") }
            do {
                let p = try GeoPoint(latitude: la, longitude: lo, datum: .wgs84)
                try DistrictBoundary.xiaoshan.check(p)
                point = p
            } catch { throw DomainError.invalid("lat", error) }
        default:
            break
        }
        guard point != nil || address != nil || !(input.address_id ?? "").isEmpty else {
            throw DomainError.invalid("lat", "give lat and long, or address_string, or address_id")
        }
        let fields: [(String, String?)] = [
            ("service_code", code), ("lat", point.map { String($0.latitude) }), ("long", point.map { String($0.longitude) }),
            ("address_string", address), ("address_id", input.address_id), ("description", description),
            ("first_name", try text(input.first_name, "first_name", max: 100)), ("last_name", try text(input.last_name, "last_name", max: 100)),
            ("email", try text(input.email, "email", max: 200)), ("phone", try text(input.phone, "phone", max: 40)),
            ("device_id", try text(input.device_id, "device_id", max: 100)), ("account_id", try text(input.account_id, "account_id", max: 100)),
            ("media_url", try text(input.media_url, "media_url", max: 1_000)),
        ]
        let hash = Hex.encode(SHA256.hash(data: Data(fields.map { "\($0.0)=\($0.1 ?? "")" }.joined(separator: "\u{1F}").utf8)))
        let now = req.services.now()
        let values = Dictionary(uniqueKeysWithValues: fields)
        let position = point
        return try await req.application.writeGate.transaction(on: req.db, changesCampaign: false) { sql in
            if let row = try await sql.select().columns("id", "token").from("service_requests")
                .where("api_client_id", .equal, SQLBind(client)).where("request_hash", .equal, SQLBind(hash)).first() {
                return ([Created(service_request_id: try row.decode(column: "id", as: UUID.self).uuidString.lowercased(),
                                 token: try row.decode(column: "token", as: String.self), service_notice: notice)], true)
            }
            let id = UUID()
            let token = Hex.encode(SymmetricKey(size: .bits128).withUnsafeBytes { Array($0) })
            try await sql.insert(into: "service_requests")
                .columns("id", "token", "api_client_id", "request_hash", "service_code", "description", "latitude", "longitude",
                         "address", "first_name", "last_name", "email", "phone", "device_id", "account_id", "media_url",
                         "status", "status_notes", "requested_at", "updated_at")
                .values(SQLBind(id), SQLBind(token), SQLBind(client), SQLBind(hash), SQLBind(code), SQLBind(description),
                        SQLBind(position?.latitude), SQLBind(position?.longitude), SQLBind(address), SQLBind(values["first_name"] ?? nil),
                        SQLBind(values["last_name"] ?? nil), SQLBind(values["email"] ?? nil), SQLBind(values["phone"] ?? nil),
                        SQLBind(values["device_id"] ?? nil), SQLBind(values["account_id"] ?? nil), SQLBind(values["media_url"] ?? nil),
                        SQLBind("open"), SQLBind("待核实 awaiting verification"), SQLBind(now), SQLBind(now))
                .run()
            return ([Created(service_request_id: id.uuidString.lowercased(), token: token, service_notice: notice)], false)
        }
    }
}

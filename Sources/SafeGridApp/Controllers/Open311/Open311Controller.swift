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

}

import Foundation
import SafeGridCore
import Vapor

/// An RFC 9457 problem body. `field` names the offending input as a JSON path
/// (`results[2].itemCode`); `extra` carries machine-readable members such as `currentState`.
struct Problem: Encodable, Sendable {
    let type: String
    let title: String
    let status: Int
    let detail: String
    let field: String?
    let extra: [String: String]

    enum CodingKeys: String, CodingKey { case type, title, status, detail, field }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(type, forKey: .type)
        try c.encode(title, forKey: .title)
        try c.encode(status, forKey: .status)
        try c.encode(detail, forKey: .detail)
        try c.encodeIfPresent(field, forKey: .field)
        var more = encoder.container(keyedBy: Key.self)
        for (k, v) in extra.sorted(by: { $0.key < $1.key }) { try more.encode(v, forKey: Key(stringValue: k)) }
    }
}

/// Reads a problem body back, as ``encode(to:)`` writes it: the members other than the five
/// named ones are `extra`.
extension Problem: Decodable {
    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.decode(String.self, forKey: .type)
        let title = try c.decode(String.self, forKey: .title)
        let status = try c.decode(Int.self, forKey: .status)
        let detail = try c.decode(String.self, forKey: .detail)
        let field = try c.decodeIfPresent(String.self, forKey: .field)
        let named = Set(["type", "title", "status", "detail", "field"])
        let more = try decoder.container(keyedBy: Key.self)
        var extra: [String: String] = [:]
        for key in more.allKeys where !named.contains(key.stringValue) {
            extra[key.stringValue] = try more.decode(String.self, forKey: key)
        }
        self.init(type: type, title: title, status: status, detail: detail, field: field, extra: extra)
    }
}

/// Turns every error into `application/problem+json`: domain errors to 404/409/422, a body
/// that is not JSON to 400, a JSON value of the wrong type to 422 naming the field, routing
/// errors to their status; anything unexpected to 500 without internals (logged with the
/// request id).
struct ProblemMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch {
            let problem = Self.problem(for: error, request: request)
            if problem.status >= 500 {
                request.logger.report(error: error)
            }
            let response: Response
            if Self.answersWithPage(request) {
                response = Layout.errorPage(status: HTTPResponseStatus(statusCode: problem.status), detail: problem.detail,
                                            forParty: request.url.path.hasPrefix("/e/"))
            } else {
                response = Response(status: HTTPResponseStatus(statusCode: problem.status))
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                response.body = .init(data: (try? encoder.encode(problem)) ?? Data())
                response.headers.replaceOrAdd(name: .contentType, value: "application/problem+json; charset=utf-8")
            }
            // An abort's own headers (WWW-Authenticate, Retry-After, Allow) go with it.
            if let abort = error as? any AbortError {
                for (name, value) in abort.headers where name.lowercased() != "content-type" { response.headers.replaceOrAdd(name: name, value: value) }
            }
            return response
        }
    }

    /// Whether an error is answered as an HTML page: a browser's request (it accepts text/html)
    /// for a page. The machine interfaces (`/api/`, Open311, the API description) always answer
    /// problem+json, whatever `Accept` says.
    static func answersWithPage(_ request: Request) -> Bool {
        let path = request.url.path
        guard !path.hasPrefix("/api/"), !path.hasPrefix("/open311/"), path != "/openapi.json" else { return false }
        return request.headers.accept.contains(where: { $0.mediaType == .html })
    }

    static func problem(for error: any Error, request: Request) -> Problem {
        let bodyIsEmpty = request.body.data.map { $0.readableBytes == 0 } ?? true
        if [.POST, .PUT, .PATCH].contains(request.method), bodyIsEmpty,
           error is DecodingError || (!(error is DomainError) && (error as? any AbortError)?.status == .unprocessableEntity) {
            return Problem(type: "https://safegrid.local/problems/malformed", title: HTTPStatus.badRequest.reasonPhrase,
                           status: 400, detail: "the body is empty; send a JSON object", field: nil, extra: [:])
        }
        switch error {
        case let e as DomainError:
            let status = e.status
            return Problem(type: "https://safegrid.local/problems/\(e.kind.rawValue)", title: status.reasonPhrase,
                           status: Int(status.code), detail: e.reason, field: e.field, extra: e.extra)
        case let e as DecodingError:
            return decodingProblem(e)
        case let e as RateLimited:
            return Problem(type: "https://safegrid.local/problems/rate-limited", title: HTTPStatus.tooManyRequests.reasonPhrase,
                           status: 429, detail: e.reason, field: e.field, extra: ["retryAfter": String(e.retryAfter)])
        case let e as any AbortError:
            var detail = e.reason
            var status = e.status
            if e.status == .unsupportedMediaType || detail.contains("Content-Type") {
                status = .unsupportedMediaType
                detail = request.url.path.hasPrefix("/api/") ? "send the body as application/json"
                    : "send the form as multipart/form-data"
            }
            return Problem(type: "about:blank", title: status.reasonPhrase, status: Int(status.code), detail: detail,
                           field: nil, extra: [:])
        default:
            return Problem(type: "about:blank", title: "Internal Server Error", status: 500,
                           detail: "an unexpected error occurred; it has been logged", field: nil, extra: [:])
        }
    }

    /// JSON path of a coding path: `results[2].itemCode`.
    static func path(_ codingPath: [any CodingKey], last: (any CodingKey)? = nil) -> String {
        var out = ""
        for key in codingPath + (last.map { [$0] } ?? []) {
            if let i = key.intValue { out += "[\(i)]" } else { out += out.isEmpty ? key.stringValue : ".\(key.stringValue)" }
        }
        return out
    }

    static func decodingProblem(_ error: DecodingError) -> Problem {
        func invalid(_ field: String, _ detail: String) -> Problem {
            Problem(type: "https://safegrid.local/problems/invalid", title: HTTPStatus.unprocessableEntity.reasonPhrase,
                    status: 422, detail: detail, field: field.isEmpty ? nil : field, extra: [:])
        }
        switch error {
        case .keyNotFound(let key, let ctx):
            return invalid(path(ctx.codingPath, last: key), "\(path(ctx.codingPath, last: key)) is required")
        case .valueNotFound(_, let ctx):
            if ctx.codingPath.isEmpty { return invalid("", "the body must be a JSON object") }
            return invalid(path(ctx.codingPath), "\(path(ctx.codingPath)) must not be null")
        case .typeMismatch(let type, let ctx):
            if ctx.codingPath.isEmpty { return invalid("", "the body must be a JSON object") }
            return invalid(path(ctx.codingPath), "\(path(ctx.codingPath)) must be \(describe(type))")
        case .dataCorrupted(let ctx):
            if ctx.codingPath.isEmpty {
                return Problem(type: "https://safegrid.local/problems/malformed", title: HTTPStatus.badRequest.reasonPhrase, status: 400,
                               detail: "the body is not valid JSON", field: nil, extra: [:])
            }
            return invalid(path(ctx.codingPath), ctx.debugDescription)
        @unknown default:
            return invalid("", "the body could not be read")
        }
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Double.Type: "a number"
        case is Bool.Type: "true or false"
        case is [Any].Type: "an array"
        default: "an object"
        }
    }
}

/// 429: a limit on how often one may do something (per mobile, per network address) was hit.
/// The problem names the limited `field` and carries `retryAfter` (seconds), as the
/// `Retry-After` header does.
struct RateLimited: AbortError {
    let field: String
    let retryAfter: Int
    let reason: String
    var status: HTTPResponseStatus { .tooManyRequests }
    var headers: HTTPHeaders { ["Retry-After": String(retryAfter)] }
}

extension DomainError: AbortError {
    public var status: HTTPResponseStatus {
        switch kind {
        case .invalid: .unprocessableEntity
        case .notFound: .notFound
        case .conflict: .conflict
        case .malformed: .badRequest
        case .forbidden: .forbidden
        }
    }
}

/// `/api/v1` takes JSON: a write with another content type is 415; one without a body passes
/// (actions that take none, such as ranking now), and a handler that needs a body answers 400.
struct JSONBodyMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let empty = (request.body.data?.readableBytes ?? 0) == 0 && request.headers.contentType == nil
        if [.POST, .PUT, .PATCH].contains(request.method), !empty {
            let type = request.headers.contentType
            let isJSON = type.map { $0.type == "application" && ($0.subType == "json" || $0.subType.hasSuffix("+json")) } ?? false
            guard isJSON else {
                throw Abort(.unsupportedMediaType, reason: "send the body as application/json")
            }
        }
        return try await next.respond(to: request)
    }
}

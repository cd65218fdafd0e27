import Foundation
import SafeGridCore
import Vapor

/// Parsing of request values into domain values, each failure a ``DomainError`` naming the field.
enum Input {
    static func uuid(_ raw: String?, _ field: String, kind: DomainError.Kind = .invalid) throws(DomainError) -> UUID {
        guard let raw, let id = UUID(uuidString: raw.trimmingCharacters(in: .whitespaces)) else {
            throw DomainError(kind, field: field, reason: "\(field) must be a UUID, got \(raw.map { "'\($0)'" } ?? "nothing")")
        }
        return id
    }

    static func enumValue<E: RawRepresentable & CaseIterable>(_ raw: String, _ field: String) throws(DomainError) -> E
    where E.RawValue == String {
        guard let value = E(rawValue: raw) else {
            let allowed = E.allCases.map(\.rawValue).joined(separator: ", ")
            throw .invalid(field, "'\(raw)' is not one of \(allowed)")
        }
        return value
    }

    static func optionalEnum<E: RawRepresentable & CaseIterable>(_ raw: String?, _ field: String) throws(DomainError) -> E?
    where E.RawValue == String {
        guard let raw, !raw.isEmpty else { return nil }
        return try enumValue(raw, field)
    }

    static func timestamp(_ raw: String, _ field: String) throws(DomainError) -> Date {
        do { return try Timestamp.parse(raw) } catch { throw .invalid(field, error) }
    }

    static func calendarDate(_ raw: String?, _ field: String) throws(DomainError) -> CalendarDate? {
        guard let raw, !raw.isEmpty else { return nil }
        do { return try CalendarDate(raw) } catch { throw .invalid(field, error) }
    }

    /// `page` (1-based) and `per` (1…200, default 50) from the query string.
    static func page(_ req: Request) throws(DomainError) -> (page: Int, per: Int) {
        let page = (try? req.query.get(Int.self, at: "page")) ?? 1
        let per = (try? req.query.get(Int.self, at: "per")) ?? 50
        guard page >= 1 else { throw .invalid("page", "page starts at 1") }
        guard (1...200).contains(per) else { throw .invalid("per", "per must be between 1 and 200") }
        return (page, per)
    }

    /// An area code query value that names a known area.
    static func areaCode(_ req: Request, _ field: String = "areaCode") async throws -> String? {
        guard let code = req.query[String.self, at: field], !code.isEmpty else { return nil }
        guard try await req.queries.area(code) != nil else {
            throw DomainError.invalid(field, "no area with code \(code)")
        }
        return code
    }
}

/// A page of results with its position in the whole list.
struct Page<T: Content>: Content {
    let items: [T]
    let page: Int
    let per: Int
    let total: Int
}

/// JSON responses with our encoder settings: sorted keys, unescaped slashes.
extension Response {
    static func json<T: Encodable>(_ value: T, status: HTTPStatus = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let response = Response(status: status, body: .init(data: try encoder.encode(value)))
        response.headers.contentType = .json
        return response
    }
}

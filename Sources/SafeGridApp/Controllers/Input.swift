import Foundation
import SafeGridCore
import Vapor

/// Parsing of request values into domain values, each failure a ``DomainError`` naming the field.
enum Input {
    /// The longest name search (`q`), in characters: longer patterns cost the database more
    /// than any name is long (SQLite refuses a LIKE pattern of about 50,000 characters).
    static let maxSearch = 200

    /// `q`, a search as typed: trimmed, full-width letters and digits folded to ASCII (what a
    /// Chinese input method types, `９１３３`); at most ``maxSearch`` characters and no control
    /// characters (422 naming `q`). Blank is no search.
    static func search(_ req: Request) throws -> String? {
        guard let raw = req.query[String.self, at: "q"] else { return nil }
        let q = halfWidthASCII(raw).trimmingCharacters(in: .whitespacesAndNewlines)
        if q.count > maxSearch {
            throw DomainError.invalid("q", "q has \(q.count) characters; at most \(maxSearch) are allowed")
        }
        if q.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw DomainError.invalid("q", "q holds a control character")
        }
        return q.isEmpty ? nil : q
    }

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
    /// `page` (1…100,000) and `per` (1…200, default 50) from the query string; the row offset
    /// is `(page − 1) × per`.
    static func page(_ req: Request) throws(DomainError) -> (page: Int, per: Int, offset: Int) {
        func integer(_ name: String, default value: Int) throws(DomainError) -> Int {
            guard let raw = req.query[String.self, at: name], !raw.isEmpty else { return value }
            guard let n = Int(raw) else { throw .invalid(name, "\(name) must be a whole number, got '\(raw)'") }
            return n
        }
        let page = try integer("page", default: 1)
        let per = try integer("per", default: 50)
        guard (1...100_000).contains(page) else { throw .invalid("page", "page must be between 1 and 100000") }
        guard (1...200).contains(per) else { throw .invalid("per", "per must be between 1 and 200") }
        return (page, per, (page - 1) * per)
    }

    /// A whole number sent as a JSON number (`2`, also `2.0`); `2.5` or `1e30` are refused.
    static func integer(_ value: Double?, _ field: String, in range: ClosedRange<Int>) throws(DomainError) -> Int? {
        guard let value else { return nil }
        guard value.rounded() == value, value >= Double(range.lowerBound), value <= Double(range.upperBound) else {
            throw .invalid(field, "\(field) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return Int(value)
    }

    /// A subject id query value that names a known subject.
    static func subjectID(_ req: Request, _ field: String = "subjectId") async throws -> UUID? {
        guard let raw = req.query[String.self, at: field], !raw.isEmpty else { return nil }
        let id = try uuid(raw, field)
        guard try await req.queries.subject(id) != nil else { throw DomainError(.notFound, field: field, reason: "no subject with id \(id)") }
        return id
    }

    /// An area code query value that names a known area.
    static func areaCode(_ req: Request, _ field: String = "areaCode") async throws -> String? {
        guard let code = req.query[String.self, at: field], !code.isEmpty else { return nil }
        guard try await req.queries.area(code) != nil else {
            // 404 like the dashboard's: an area outside the jurisdiction looks like no area.
            throw DomainError(.notFound, field: field, reason: "no area with code \(code)")
        }
        return code
    }

    /// `latitude` and `longitude` of the query (WGS-84 degrees, as a phone reports them), both
    /// or neither; empty values count as not given.
    /// - Throws: 422 naming `latitude` or `longitude`: not a number, out of range (the axes
    ///   swapped), one without the other.
    static func position(_ req: Request) throws(DomainError) -> GeoPoint? {
        let lat = req.query[String.self, at: "latitude"].flatMap { $0.isEmpty ? nil : $0 }
        let lon = req.query[String.self, at: "longitude"].flatMap { $0.isEmpty ? nil : $0 }
        switch (lat, lon) {
        case (nil, nil): return nil
        case (let a?, let b?):
            guard let latitude = Double(a) else { throw .invalid("latitude", "latitude must be a number of degrees, got '\(a)'") }
            guard let longitude = Double(b) else { throw .invalid("longitude", "longitude must be a number of degrees, got '\(b)'") }
            do { return try GeoPoint(latitude: latitude, longitude: longitude, datum: .wgs84) } catch { throw .invalid("latitude", error) }
        case (nil, _?): throw .invalid("latitude", "give latitude with longitude")
        case (_?, nil): throw .invalid("longitude", "give longitude with latitude")
        }
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
        return json(encoded: try encoder.encode(value), status: status)
    }

    /// A response with an already encoded JSON body.
    static func json(encoded body: Data, status: HTTPStatus = .ok) -> Response {
        let response = Response(status: status, body: .init(data: body))
        response.headers.contentType = .json
        return response
    }

}

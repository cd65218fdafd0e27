/// A value that failed validation. `reason` is an English sentence a user can act on
/// ("check character should be 'X', found 'Y'"). Callers that know which input field the value
/// came from wrap it in a ``DomainError`` naming that field.
public struct InvalidValue: Error, Equatable, Sendable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// An error of the domain, shaped for an RFC 9457 problem response by the app.
///
/// - `field`: the JSON path of the offending input (`"subjectId"`, `"results[2].itemCode"`), or
///   `nil` when the problem is not about one field.
/// - `kind`: `.invalid` → 422 (or 400 for a body that is not JSON), `.notFound` → 404,
///   `.conflict` → 409 (state machine, stale version, closed-down subject), `.forbidden` → 403
///   (the person may not do this, e.g. sign off another department's hazard).
public struct DomainError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable { case invalid, notFound, conflict, malformed, forbidden }
    public let kind: Kind
    public let field: String?
    public let reason: String
    /// Extra machine-readable members for the problem body (e.g. `currentState`).
    public let extra: [String: String]

    public init(_ kind: Kind, field: String?, reason: String, extra: [String: String] = [:]) {
        self.kind = kind
        self.field = field
        self.reason = reason
        self.extra = extra
    }

    public static func invalid(_ field: String, _ reason: String) -> DomainError {
        DomainError(.invalid, field: field, reason: reason)
    }

    /// Wraps a validator's ``InvalidValue`` with the field it came from.
    public static func invalid(_ field: String, _ value: InvalidValue) -> DomainError {
        DomainError(.invalid, field: field, reason: value.reason)
    }

    public var description: String { "\(kind.rawValue) \(field ?? "-"): \(reason)" }
}

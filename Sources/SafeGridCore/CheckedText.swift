import Foundation

/// A value written as one string (JSON, stored columns) whose reading runs the same check as
/// its `init(_:)`: a credit code (GB 32100), a phone number, a calendar day. Decoding text the
/// check refuses is a `DecodingError.dataCorrupted` carrying the check's reason.
public protocol CheckedText: Codable {
    /// - Throws: ``InvalidValue`` with the reason the text is refused.
    init(_ text: String) throws(InvalidValue)
    /// The text the value is written as.
    var checkedText: String { get }
}

extension CheckedText {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let s = try container.decode(String.self)
        do {
            self = try Self(s)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.reason)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(checkedText)
    }
}

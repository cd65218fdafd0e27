import Foundation

/// Limits on free text from users: no control characters (a NUL would silently cut a string
/// in some databases and tools; only tab and line breaks are allowed where `multiline`), and a
/// maximum length in characters (grapheme clusters).
public enum TextRules {
    /// Checks `text` for the field `field`.
    /// - Throws: ``DomainError`` `.invalid` naming `field` when too long or holding a control character.
    public static func check(_ text: String?, _ field: String, max: Int, multiline: Bool = false) throws(DomainError) {
        guard let text else { return }
        if text.count > max { throw .invalid(field, "\(field) has \(text.count) characters; at most \(max) are allowed") }
        for scalar in text.unicodeScalars where scalar.properties.generalCategory == .control {
            if multiline, scalar == "\n" || scalar == "\r" || scalar == "\t" { continue }
            throw .invalid(field, "\(field) contains a control character (U+\(String(scalar.value, radix: 16, uppercase: true)))")
        }
    }

    /// `raw` trimmed, required and checked: the value of a field that must be given.
    /// - Throws: ``DomainError`` `.invalid` naming `field` when missing or blank, too long, or
    ///   holding a control character.
    public static func required(_ raw: String?, _ field: String, max: Int, multiline: Bool = false) throws(DomainError) -> String {
        let text = (raw ?? "").trimming(.whitespacesAndNewlines)
        guard !text.isEmpty else { throw .invalid(field, "give \(field)") }
        try check(text, field, max: max, multiline: multiline)
        return text
    }

    /// Name of a person (team member, inspector, actor, responsible party).
    public static let personName = 50
    /// Name of a subject.
    public static let subjectName = 200
    public static let address = 300
    /// Notes and reasons.
    public static let note = 2_000
    /// A photo reference (upload id or URL).
    public static let photoReference = 500
    public static let photosPerItem = 20
    public static let teamMembers = 30
}

extension StringProtocol {
    /// The same as `trimmingCharacters(in: set)`, without Foundation's string bridging when
    /// neither end is in the set (the usual case on the hot paths of inspections and events).
    func trimming(_ set: CharacterSet) -> String {
        guard let first = unicodeScalars.first, let last = unicodeScalars.last else { return "" }
        if !set.contains(first) && !set.contains(last) { return String(self) }
        return trimmingCharacters(in: set)
    }
}

/// Full-width ASCII (U+FF01–U+FF5E) → ASCII, ideographic space (U+3000) → space: what a
/// Chinese input method types into codes, numbers and dates (`１３８`, `２０２６－１１－３０`).
public func halfWidthASCII(_ raw: String) -> String {
    var scalars = String.UnicodeScalarView()
    for u in raw.unicodeScalars {
        if (0xFF01...0xFF5E).contains(u.value), let ascii = Unicode.Scalar(u.value - 0xFEE0) {
            scalars.append(ascii)
        } else if u.value == 0x3000 {
            scalars.append(" ")
        } else {
            scalars.append(u)
        }
    }
    return String(scalars)
}

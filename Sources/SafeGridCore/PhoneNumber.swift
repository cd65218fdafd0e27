import Foundation

/// A mainland China telephone number, normalised. Rules follow the MIIT numbering plan
/// 《电信网编号计划（2017年版）》: mobile numbers are 11 digits in the `1[3-9]` blocks; fixed lines are
/// dialled domestically as trunk prefix `0` + area code + a 7–8 digit local number.
///
/// Cases carry the canonical ``stored`` string:
/// - `.mobile("13800000000")`: 11 digits matching `^1[3-9]\d{9}$`. Every `13x`–`19x` prefix is
///   accepted (MIIT assigns numbers inside 13–19; `12x`, `10x`, `11x` are not mobile numbers).
/// - `.landline("0571-82345678")` or `.landline("0571-82345678-123")`: trunk `0` + area code,
///   a hyphen, the 7–8 digit local number (never starting with 0 or 1), and an optional
///   `-extension` of 1–6 digits. The area code is 3 characters including the `0` for Beijing
///   (`010`) and the `02X` cities (`020`–`029`), otherwise 4 characters (`0571`, Hangzhou/萧山).
///
/// Codable as the ``stored`` string. Decoding accepts anything ``init(_:)`` accepts (so API input
/// such as `"+86 138 0000 0000"` decodes); a bad string is a `DecodingError.dataCorrupted`
/// carrying the ``InvalidValue`` reason.
public enum PhoneNumber: CheckedText, Hashable, Sendable, Codable {
    /// 11 digits, e.g. `"13800000000"`.
    case mobile(String)
    /// `"0571-82345678"`, optionally followed by `"-123"` (extension).
    case landline(String)

    /// Parses a number as people write it.
    ///
    /// Accepted: full-width digits, `＋` and `－` (converted to ASCII); spaces, NBSP, ideographic
    /// space, hyphens/dashes, dots and parentheses anywhere (`"(0571)82345678"`,
    /// `"0571 8234 5678"`, `"138-0000-0000"`); a country prefix `+86`, `0086` or `86` (the bare
    /// `86` only when the rest is a valid number); after `+86` a landline may omit its trunk `0`
    /// (`"+86 571 8234 5678"`). A landline extension is written `"-123"` after a complete number,
    /// `"转123"`, `"分机123"` or `"ext 123"` / `"ext.123"`, and is kept.
    ///
    /// - Throws: ``InvalidValue`` with a reason naming the problem: empty, letters or other
    ///   characters, a foreign country code, too few / too many digits, an unknown mobile prefix
    ///   (`12…`), an unknown area code, a missing area code, or an extension on a mobile number.
    public init(_ raw: String) throws(InvalidValue) {
        let text = halfWidthASCII(raw)
        if text.allSatisfy({ $0.isWhitespace }) {
            throw InvalidValue("phone number is empty")
        }

        // 1. An explicit extension marker (转, 分机, ext).
        var body = text
        var ext: String? = nil
        if let (before, after) = Self.splitExtensionMarker(text) {
            let digits = after.filter { !Self.isSeparator($0) }
            guard !digits.isEmpty, digits.count <= 6, digits.allSatisfy(\.isPhoneDigit) else {
                throw InvalidValue("extension '\(after.trimmingWhitespace)' must be 1 to 6 digits")
            }
            body = String(before)
            ext = digits
        }

        // 2. Only digits, separators and one leading "+" may remain.
        for c in body where !(c.isPhoneDigit || c == "+" || Self.isSeparator(c)) {
            if c.isLetter {
                throw InvalidValue("phone number contains letters ('\(c)'); use digits only, e.g. 13800000000 or 0571-82345678")
            }
            throw InvalidValue("phone number contains the character '\(c)'; use digits only, e.g. 13800000000 or 0571-82345678")
        }
        let compact = String(body.filter { !Self.isSeparator($0) })
        if compact.dropFirst().contains("+") {
            throw InvalidValue("'+' may only appear at the start of a phone number")
        }

        // 3. A hyphenated trailing extension: "0571-82345678-123".
        if ext == nil, let hyphen = body.lastIndex(where: { Self.isHyphen($0) }) {
            let tail = body[body.index(after: hyphen)...].filter { !Self.isSeparator($0) }
            let head = String(body[..<hyphen].filter { !Self.isSeparator($0) })
            if !tail.isEmpty, tail.count <= 6, tail.allSatisfy(\.isPhoneDigit),
               let number = Self.stripCountry(head), Self.landlineParts(number) != nil {
                body = head
                ext = tail
            }
        }
        let digits = ext == nil ? compact : String(body.filter { !Self.isSeparator($0) })

        // 4. Country prefix.
        guard let national = Self.stripCountry(digits) else {
            throw InvalidValue("only mainland China numbers (+86) are supported, got '\(digits)'")
        }
        if national.hasPrefix("00") {
            throw InvalidValue("only mainland China numbers (+86) are supported, got '\(national)'")
        }
        if national.isEmpty {
            throw InvalidValue("phone number has no digits after the country code")
        }

        // 5. Classify.
        if national.hasPrefix("1") {
            if let ext {
                throw InvalidValue("mobile numbers have no extension, but '\(ext)' was given")
            }
            self = .mobile(try Self.validateMobile(national))
        } else if national.hasPrefix("0") {
            let (area, local) = try Self.validateLandline(national)
            self = .landline(area + "-" + local + (ext.map { "-" + $0 } ?? ""))
        } else if (7...8).contains(national.count) {
            throw InvalidValue("landline number '\(national)' needs its area code, e.g. 0571-\(national)")
        } else {
            throw InvalidValue("'\(national)' is not a phone number: mobile numbers start with 1 (11 digits), landlines with an area code starting with 0")
        }
    }

    /// Rebuilds a number from its canonical ``stored`` string (what the database holds).
    ///
    /// - Throws: ``InvalidValue`` when `stored` is not a valid number or not in canonical form
    ///   (`"13800000000"`, `"0571-82345678"`, `"0571-82345678-123"`).
    public init(stored: String) throws(InvalidValue) {
        let parsed = try PhoneNumber(stored)
        guard parsed.stored == stored else {
            throw InvalidValue("'\(stored)' is not a canonical stored phone number; expected '\(parsed.stored)'")
        }
        self = parsed
    }

    /// The canonical string to store: `"13800000000"` or `"0571-82345678"` (`"-123"` extension kept).
    public var stored: String {
        switch self {
        case .mobile(let s), .landline(let s): s
        }
    }

    /// E.164 form without separators: `"+8613800000000"`, `"+8657182345678"` (trunk `0` dropped).
    /// An extension is not part of E.164 and is left out.
    public var e164: String {
        switch self {
        case .mobile(let s): "+86" + s
        case .landline: "+86" + String((areaCode ?? "").dropFirst()) + (localNumber ?? "")
        }
    }

    /// For people: `"138 0000 0000"` (3-4-4) or `"0571-82345678"` (`"0571-82345678-123"` with extension).
    public var display: String {
        switch self {
        case .mobile(let s):
            let c = Array(s)
            guard c.count == 11 else { return s }
            return String(c[0..<3]) + " " + String(c[3..<7]) + " " + String(c[7..<11])
        case .landline(let s): return s
        }
    }

    /// For lists and logs: `"138****0000"` (mobile: first 3 and last 4 kept) or `"0571-****5678"`
    /// (landline: area code and last 4 digits kept, extension dropped).
    public var masked: String {
        switch self {
        case .mobile(let s):
            let c = Array(s)
            guard c.count == 11 else { return String(repeating: "*", count: c.count) }
            return String(c[0..<3]) + "****" + String(c[7..<11])
        case .landline:
            guard let area = areaCode, let local = localNumber, local.count >= 4 else { return "****" }
            return area + "-" + String(repeating: "*", count: local.count - 4) + String(local.suffix(4))
        }
    }

    /// Whether the number can receive SMS: mobiles only (landlines never).
    public var isSMSCapable: Bool {
        if case .mobile = self { return true }
        return false
    }

    /// The area code including the trunk `0` (`"0571"`, `"010"`) for a landline, else `nil`.
    public var areaCode: String? {
        guard case .landline(let s) = self else { return nil }
        return s.split(separator: "-").first.map(String.init)
    }

    /// The 7–8 digit local number of a landline, else `nil`.
    public var localNumber: String? {
        guard case .landline(let s) = self else { return nil }
        let parts = s.split(separator: "-")
        return parts.count >= 2 ? String(parts[1]) : nil
    }

    /// The extension digits of a landline, if any.
    public var phoneExtension: String? {
        guard case .landline(let s) = self else { return nil }
        let parts = s.split(separator: "-")
        return parts.count >= 3 ? String(parts[2]) : nil
    }

    /// Written as ``stored``; read back through the same check as ``init(_:)`` (``CheckedText``).
    public var checkedText: String { stored }

    // MARK: - Parsing helpers

    /// Removes a `+86` / `0086` / `86` prefix. Returns `nil` for a `+` followed by another country.
    /// A bare `86` is removed only when what remains is a valid mobile or landline.
    private static func stripCountry(_ digits: String) -> String? {
        if digits.hasPrefix("+") {
            guard digits.hasPrefix("+86") else { return nil }
            return withTrunkZero(String(digits.dropFirst(3)))
        }
        if digits.hasPrefix("0086") {
            return withTrunkZero(String(digits.dropFirst(4)))
        }
        if digits.hasPrefix("86") {
            let rest = withTrunkZero(String(digits.dropFirst(2)))
            if isMobile(rest) || landlineParts(rest) != nil { return rest }
        }
        return digits
    }

    /// After a country code the trunk `0` of a landline is usually omitted: put it back.
    /// Beijing's area code `10` starts with 1 like a mobile, so only `1` followed by 3–9 is left alone.
    private static func withTrunkZero(_ s: String) -> String {
        guard let first = s.first, first != "0" else { return s }
        if first == "1" && !s.hasPrefix("10") { return s }
        return "0" + s
    }

    private static func isMobile(_ s: String) -> Bool {
        let c = Array(s)
        return c.count == 11 && c[0] == "1" && ("3"..."9").contains(c[1]) && c.allSatisfy(\.isPhoneDigit)
    }

    private static func validateMobile(_ s: String) throws(InvalidValue) -> String {
        let c = Array(s)
        if c.count >= 2, !("3"..."9").contains(c[1]) {
            throw InvalidValue("unknown mobile prefix '\(String(c.prefix(2)))…'; mobile numbers start with 13 to 19")
        }
        if c.count < 11 {
            throw InvalidValue("too few digits for a mobile number: \(c.count), expected 11")
        }
        if c.count > 11 {
            throw InvalidValue("too many digits for a mobile number: \(c.count), expected 11")
        }
        return s
    }

    /// Area code length including the trunk 0: 3 for 010 and 020–029, 4 for others; `nil` when
    /// the prefix cannot start an area code.
    private static func areaCodeLength(_ c: [Character]) -> Int? {
        guard c.count >= 2, c[0] == "0" else { return nil }
        switch c[1] {
        case "1": return c.count >= 3 && c[2] == "0" ? 3 : nil
        case "2": return 3
        case "3"..."9": return 4
        default: return nil
        }
    }

    /// Splits a national landline `0…` into area code and local number when valid, else `nil`.
    private static func landlineParts(_ s: String) -> (String, String)? {
        try? validateLandline(s)
    }

    private static func validateLandline(_ s: String) throws(InvalidValue) -> (String, String) {
        let c = Array(s)
        guard let n = areaCodeLength(c), c.count >= n else {
            throw InvalidValue("unknown area code '\(String(c.prefix(4)))'; area codes are 010, 020–029 or 0 plus 3 digits such as 0571")
        }
        let area = String(c[0..<n])
        let local = String(c[n...])
        if local.count < 7 {
            throw InvalidValue("too few digits after area code \(area): \(local.count), expected a 7 or 8 digit local number")
        }
        if local.count > 8 {
            throw InvalidValue("too many digits after area code \(area): \(local.count), expected a 7 or 8 digit local number")
        }
        if local.hasPrefix("0") || local.hasPrefix("1") {
            throw InvalidValue("local number '\(local)' after area code \(area) cannot start with 0 or 1")
        }
        return (area, local)
    }

    /// Splits at the first `转`, `分机` or `ext` (case-insensitive, optional "." or ":").
    private static func splitExtensionMarker(_ s: String) -> (Substring, Substring)? {
        // Only a marker that follows a plausible number (7+ digits) counts, so that words such
        // as "next" get the "contains letters" reason instead.
        func plausible(_ before: Substring) -> Bool { before.filter(\.isPhoneDigit).count >= 7 }
        for marker in ["分机", "转"] {
            if let r = s.range(of: marker), plausible(s[..<r.lowerBound]) {
                return (s[..<r.lowerBound], s[r.upperBound...])
            }
        }
        if let r = s.range(of: "ext", options: .caseInsensitive), plausible(s[..<r.lowerBound]) {
            var rest = s[r.upperBound...]
            if rest.lowercased().hasPrefix("ension") { rest = rest.dropFirst(6) }
            if let f = rest.first, f == "." || f == ":" { rest = rest.dropFirst() }
            return (s[..<r.lowerBound], rest)
        }
        return nil
    }

    private static func isHyphen(_ c: Character) -> Bool {
        c == "-" || c == "\u{2010}" || c == "\u{2011}" || c == "\u{2012}" || c == "\u{2013}" || c == "\u{2014}" || c == "\u{2212}"
    }

    /// Spaces (incl. NBSP, ideographic), hyphens/dashes, dots and parentheses.
    private static func isSeparator(_ c: Character) -> Bool {
        c.isWhitespace || isHyphen(c) || c == "." || c == "(" || c == ")" || c == "（" || c == "）"
    }

}

private extension Character {
    var isPhoneDigit: Bool { isASCII && isNumber }
}

private extension Substring {
    var trimmingWhitespace: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}

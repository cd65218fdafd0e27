/// A unified social credit code (统一社会信用代码), the 18-character identifier printed on every
/// business licence, defined by GB 32100-2015 《法人和其他组织统一社会信用代码编码规则》.
///
/// Shape (positions are 1-based):
///
/// | positions | meaning | rule |
/// | --- | --- | --- |
/// | 1 | registration authority (登记管理部门代码), e.g. `9` = market regulation | charset |
/// | 2 | organisation type (机构类别代码), e.g. `1` = company | charset |
/// | 3–8 | administrative division (登记管理机关行政区划码, GB/T 2260), e.g. `330109` | charset |
/// | 9–17 | organisation code (主体标识码, GB 11714-1997: 8 body characters + its own check) | charset |
/// | 18 | check character (校验码) | GB 32100-2015 §4.3, see below |
///
/// Every position uses the 31-character set `0123456789ABCDEFGHJKLMNPQRTUWXY`
/// (GB 32100-2015 table 1: the letters I, O, Z, S and V are never used, to avoid confusion with
/// 1, 0, 2, 5 and U). A character's value is its index in that set (`0`=0 … `A`=10 … `Y`=30).
///
/// Check character (GB 32100-2015 §4.3, ISO 7064 MOD 31-3 style): with weights
/// `1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28` over positions 1–17,
/// `C18 = 31 − (Σ value·weight mod 31)`, and 31 becomes 0; the character is the one with that value.
///
/// `value` is always the normalised, valid, 18-character uppercase form. Codable as that string;
/// decoding validates (a bad string is a `DecodingError.dataCorrupted` whose debug description
/// is the ``InvalidValue`` reason).
public struct CreditCode: CheckedText, Hashable, Sendable, Codable, CustomStringConvertible {
    /// The 18-character code, uppercase ASCII, e.g. `"914403001922038216"`.
    public let value: String

    /// The 31 characters allowed at every position, in value order (GB 32100-2015 table 1).
    public static let charset = "0123456789ABCDEFGHJKLMNPQRTUWXY"

    /// Weights of positions 1–17 for the check character (GB 32100-2015 §4.3).
    static let weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

    private static let charsetArray: [Character] = Array(charset)

    /// Value of a GB 32100 character (its index in ``charset``), or `nil` when not allowed.
    static func charValue(_ c: Character) -> Int? {
        charsetArray.firstIndex(of: c)
    }

    /// Parses and validates a credit code as a user typed or pasted it.
    ///
    /// Normalisation: surrounding whitespace is trimmed, full-width ASCII (`ＡＢ１２`, U+FF01–U+FF5E)
    /// becomes half-width, and letters are uppercased, so `" ９１３３…ａｂ "` is accepted.
    ///
    /// - Throws: ``InvalidValue`` when the code is empty, is not 18 characters long, contains a
    ///   character outside the GB 32100-2015 charset (the reason names it and its position; `O`,
    ///   `I`, `Z`, `S`, `V` are never used), or its check character (position 18) is not the one
    ///   computed from positions 1–17 (the reason names expected and found characters).
    public init(_ raw: String) throws(InvalidValue) {
        let s = Self.normalise(raw)
        if s.isEmpty {
            throw InvalidValue("credit code is empty; expected the 18-character unified social credit code from the business licence")
        }
        let chars = Array(s)
        if chars.count != 18 {
            throw InvalidValue("credit code must be 18 characters long, found \(chars.count)")
        }
        for (i, c) in chars.enumerated() where Self.charValue(c) == nil {
            var reason = "character '\(c)' at position \(i + 1) is not allowed in a credit code"
            switch c {
            case "O": reason += " (the letter O is never used; did you mean the digit 0?)"
            case "I": reason += " (the letter I is never used; did you mean the digit 1?)"
            case "Z": reason += " (the letter Z is never used; did you mean the digit 2?)"
            case "S": reason += " (the letter S is never used; did you mean the digit 5?)"
            case "V": reason += " (the letter V is never used; did you mean the letter U?)"
            default: reason += " (only digits and the letters ABCDEFGHJKLMNPQRTUWXY are used)"
            }
            throw InvalidValue(reason)
        }
        let expected = Self.checkCharacter(for: String(chars[0..<17]))!
        if chars[17] != expected {
            throw InvalidValue("check character (position 18) should be '\(expected)', found '\(chars[17])'; the code is mistyped")
        }
        value = s
    }

    private init(unchecked value: String) { self.value = value }

    /// The GB 32100-2015 check character for the first 17 characters of a code.
    ///
    /// - Parameter first17: exactly 17 characters of ``charset`` (already uppercase, no normalisation).
    /// - Returns: the check character, or `nil` when the input is not 17 charset characters.
    public static func checkCharacter(for first17: String) -> Character? {
        let chars = Array(first17)
        guard chars.count == 17 else { return nil }
        var sum = 0
        for (c, w) in zip(chars, weights) {
            guard let v = charValue(c) else { return nil }
            sum += v * w
        }
        let c18 = (31 - sum % 31) % 31
        return charsetArray[c18]
    }

    /// The GB 11714-1997 check character of an 8-character organisation code body.
    ///
    /// Character values are digits 0–9 and letters A=10 … Z=35; weights `3, 7, 9, 10, 5, 8, 4, 2`;
    /// `C9 = 11 − (Σ mod 11)`, where 10 is written `X` and 11 is written `0`.
    /// - Returns: the check character, or `nil` when `body` is not 8 digits/uppercase letters.
    public static func organizationCheckCharacter(for body: String) -> Character? {
        let chars = Array(body)
        guard chars.count == 8 else { return nil }
        let w = [3, 7, 9, 10, 5, 8, 4, 2]
        var sum = 0
        for (c, weight) in zip(chars, w) {
            let v: Int
            if let d = c.wholeNumberValue, c.isASCII { v = d }
            else if let a = c.asciiValue, a >= 65, a <= 90 { v = Int(a) - 55 }
            else { return nil }
            sum += v * weight
        }
        switch 11 - sum % 11 {
        case 10: return "X"
        case 11: return "0"
        case let n: return Character(String(n))
        }
    }

    /// Builds a valid code, for fixtures and seed data.
    ///
    /// Positions 9–17 are an organisation code per GB 11714-1997: `organizationSerial` followed by
    /// its check character (``organizationCheckCharacter(for:)``; `X` is allowed in GB 32100).
    /// Position 18 is the GB 32100-2015 check character.
    ///
    /// - Parameters:
    ///   - registration: position 1, a ``charset`` character (default `9`, market regulation).
    ///   - type: position 2, a ``charset`` character (default `1`, company).
    ///   - division: positions 3–8, 6 digits (GB/T 2260 division code, e.g. `"330109"`).
    ///   - organizationSerial: 8 characters of ``charset``.
    /// - Precondition: the arguments have those shapes (programmer error otherwise).
    public static func make(
        registration: Character = "9",
        type: Character = "1",
        division: String,
        organizationSerial: String
    ) -> CreditCode {
        precondition(charValue(registration) != nil, "registration must be a GB 32100 charset character")
        precondition(charValue(type) != nil, "type must be a GB 32100 charset character")
        precondition(division.count == 6 && division.allSatisfy { $0.isASCII && $0.isNumber },
                     "division must be 6 digits")
        precondition(organizationSerial.count == 8 && organizationSerial.allSatisfy { charValue($0) != nil },
                     "organizationSerial must be 8 GB 32100 charset characters")
        let orgCheck = organizationCheckCharacter(for: organizationSerial)!
        let first17 = String(registration) + String(type) + division + organizationSerial + String(orgCheck)
        return CreditCode(unchecked: first17 + String(checkCharacter(for: first17)!))
    }

    /// Positions 3–8: the administrative division code of the registering authority
    /// (GB/T 2260, 6 characters, e.g. `"330109"` for 萧山区).
    public var divisionCode: String {
        String(Array(value)[2..<8])
    }

    public var description: String { value }

    /// Written as ``value``; read back through the same check as ``init(_:)`` (``CheckedText``).
    public var checkedText: String { value }

    /// Trim, full-width → half-width, uppercase.
    private static func normalise(_ raw: String) -> String {
        let s = halfWidthASCII(raw)
        let trimmed = s.drop(while: { $0.isWhitespace }).reversed().drop(while: { $0.isWhitespace }).reversed()
        return String(trimmed).uppercased()
    }
}

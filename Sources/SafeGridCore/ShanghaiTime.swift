import Foundation

// Times are stored as UTC instants and shown in Asia/Shanghai (China Standard Time, UTC+8; China
// has had no daylight saving time since 1991, IANA tz database `Asia/Shanghai`). All arithmetic
// here is direct proleptic-Gregorian arithmetic with a fixed +08:00 offset, so it does not depend
// on the host's time-zone database or locale.

/// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
private func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
    let y = m <= 2 ? y0 - 1 : y0
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let mp = (m + 9) % 12
    let doy = (153 * mp + 2) / 5 + d - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
}

/// Inverse of ``daysFromCivil``.
private func civilFromDays(_ z0: Int) -> (year: Int, month: Int, day: Int) {
    let z = z0 + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
}

private func daysInMonth(_ year: Int, _ month: Int) -> Int {
    switch month {
    case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
    case 4, 6, 9, 11: 30
    default: 31
    }
}

private func pad(_ n: Int, _ width: Int) -> String {
    let s = String(n)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}

/// Floor division of seconds into (day number, second of day).
/// Whole seconds since 1970 of `d`, rounded toward the past, held to 0001-01-01…9999-12-31 (UTC):
/// an instant outside those years (or not finite) — only a corrupt stored value can be one —
/// is shown as the nearest end instead of trapping on the conversion to `Int`.
func clampedSeconds(_ d: Date) -> Int {
    let t = d.timeIntervalSince1970
    guard t.isFinite else { return t > 0 ? latestSecond : earliestSecond }
    return Int(min(max(t.rounded(.down), Double(earliestSecond)), Double(latestSecond)))
}
/// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z.
let earliestSecond = -62_135_596_800
let latestSecond = 253_402_300_799

private func splitSeconds(_ t: Int) -> (days: Int, second: Int) {
    let days = t >= 0 ? t / 86_400 : -((-t + 86_399) / 86_400)
    return (days, t - days * 86_400)
}


/// The fixed Asia/Shanghai offset from UTC, in seconds (+08:00).
private let shanghaiOffsetSeconds = 8 * 3600

/// Parsing and formatting of instants (points in time).
public enum Timestamp {
    /// Parses an RFC 3339 / ISO 8601 date-time that carries its UTC offset.
    ///
    /// Shape: `YYYY-MM-DD` `T` (or `t`, or one space) `hh:mm[:ss[.fraction]]` then `Z`/`z`,
    /// `±hh:mm` or `±hhmm`. Examples: `"2024-10-16T09:30:00+08:00"`, `"2024-10-16T01:30:00Z"`,
    /// `"2024-10-16T09:30:00+0800"`, `"2024-10-16 01:30:00.123456z"`. The fraction may have any
    /// number of digits. Seconds 00–59 (no leap second), hours 00–23, offsets up to ±23:59.
    ///
    /// - Throws: ``InvalidValue`` when the offset is missing (a naive time is ambiguous: the
    ///   reason suggests adding `+08:00` for Beijing time), for a date without a time, for
    ///   out-of-range fields (month 13, 30 February, hour 24) and for anything else malformed.
    public static func parse(_ s: String) throws(InvalidValue) -> Date {
        let text = s.trimmingCharacters(in: .whitespaces)
        var p = Scanner8(Array(text.utf8))
        let example = "expected a date-time with offset such as 2024-10-16T09:30:00+08:00"

        guard let year = p.digits(4), p.take(UInt8(ascii: "-")),
              let month = p.digits(2), p.take(UInt8(ascii: "-")),
              let day = p.digits(2) else {
            throw InvalidValue("'\(s)' is not a timestamp; \(example)")
        }
        if p.atEnd {
            throw InvalidValue("'\(s)' is a date without a time; \(example)")
        }
        guard p.take(UInt8(ascii: "T")) || p.take(UInt8(ascii: "t")) || p.take(UInt8(ascii: " ")),
              let hour = p.digits(2), p.take(UInt8(ascii: ":")), let minute = p.digits(2) else {
            throw InvalidValue("'\(s)' is not a timestamp; \(example)")
        }
        var second = 0
        var fraction = 0.0
        if p.take(UInt8(ascii: ":")) {
            guard let sec = p.digits(2) else { throw InvalidValue("'\(s)' has malformed seconds; \(example)") }
            second = sec
            if p.take(UInt8(ascii: ".")) || p.take(UInt8(ascii: ",")) {
                let start = p.index
                var scale = 0.1
                while let d = p.digit() {
                    fraction += Double(d) * scale
                    scale /= 10
                }
                if p.index == start { throw InvalidValue("'\(s)' has an empty fraction of a second; \(example)") }
            }
        }
        let offsetSeconds: Int
        if p.atEnd {
            throw InvalidValue("'\(s)' has no UTC offset, so the moment is ambiguous; add 'Z' for UTC or '+08:00' for Beijing time, e.g. \(text)+08:00")
        } else if p.take(UInt8(ascii: "Z")) || p.take(UInt8(ascii: "z")) {
            offsetSeconds = 0
        } else if let sign = p.peek, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            p.index += 1
            guard let oh = p.digits(2) else { throw InvalidValue("'\(s)' has a malformed UTC offset; \(example)") }
            _ = p.take(UInt8(ascii: ":"))
            guard let om = p.digits(2) else { throw InvalidValue("'\(s)' has a malformed UTC offset; \(example)") }
            guard oh <= 23, om <= 59 else { throw InvalidValue("'\(s)' has an out-of-range UTC offset") }
            offsetSeconds = (sign == UInt8(ascii: "+") ? 1 : -1) * (oh * 3600 + om * 60)
        } else {
            throw InvalidValue("'\(s)' is not a timestamp; \(example)")
        }
        guard p.atEnd else { throw InvalidValue("'\(s)' has unexpected text after the UTC offset; \(example)") }

        guard (1...12).contains(month) else { throw InvalidValue("'\(s)' has month \(month), expected 01–12") }
        guard year >= 1 else { throw InvalidValue("'\(s)' has year 0000, expected 0001–9999") }
        guard (1...daysInMonth(year, month)).contains(day) else {
            throw InvalidValue("'\(s)' has day \(day), but \(pad(year, 4))-\(pad(month, 2)) has \(daysInMonth(year, month)) days")
        }
        guard hour <= 23 else { throw InvalidValue("'\(s)' has hour \(hour), expected 00–23") }
        guard minute <= 59 else { throw InvalidValue("'\(s)' has minute \(minute), expected 00–59") }
        guard second <= 59 else { throw InvalidValue("'\(s)' has second \(second), expected 00–59") }

        let whole = daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Date(timeIntervalSince1970: Double(whole) + fraction)
    }

    /// The instants SafeGrid reads from storage: 1900-01-01 to 9999-12-31 (UTC). Anything else
    /// (a far or infinite number written by another tool) makes the stored row unreadable.
    public static let readable = Date(timeIntervalSince1970: -2_208_988_800)...Date(timeIntervalSince1970: 253_402_300_799)

    /// `"2024-10-16T09:30:00+08:00"`: the instant in Asia/Shanghai, whole seconds (a fraction is
    /// truncated toward the past).
    public static func format(_ d: Date) -> String {
        render(d, offset: shanghaiOffsetSeconds, suffix: "+08:00")
    }

    /// `"2024-10-16T01:30:00Z"`: the instant in UTC, whole seconds (a fraction is truncated toward the past).
    public static func formatUTC(_ d: Date) -> String {
        render(d, offset: 0, suffix: "Z")
    }

    private static func render(_ d: Date, offset: Int, suffix: String) -> String {
        let t = clampedSeconds(d) + offset
        let (days, sec) = splitSeconds(t)
        let c = civilFromDays(days)
        return "\(pad(c.year, 4))-\(pad(c.month, 2))-\(pad(c.day, 2))T\(pad(sec / 3600, 2)):\(pad(sec / 60 % 60, 2)):\(pad(sec % 60, 2))\(suffix)"
    }
}

/// A tiny byte scanner for the timestamp grammar.
private struct Scanner8 {
    let bytes: [UInt8]
    var index = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    var atEnd: Bool { index >= bytes.count }
    var peek: UInt8? { atEnd ? nil : bytes[index] }
    mutating func take(_ b: UInt8) -> Bool {
        guard peek == b else { return false }
        index += 1
        return true
    }
    mutating func digit() -> Int? {
        guard let b = peek, b >= 48, b <= 57 else { return nil }
        index += 1
        return Int(b - 48)
    }
    /// Exactly `n` ASCII digits.
    mutating func digits(_ n: Int) -> Int? {
        let start = index
        var v = 0
        for _ in 0..<n {
            guard let d = digit() else { index = start; return nil }
            v = v * 10 + d
        }
        return v
    }
}

/// A day on the Asia/Shanghai calendar (proleptic Gregorian), e.g. the day a hazard was found.
///
/// Codable and described as `"YYYY-MM-DD"`; decoding accepts every spelling ``init(_:)``
/// accepts. Ordered chronologically.
public struct CalendarDate: CheckedText, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let year: Int
    /// 1–12.
    public let month: Int
    /// 1–31, valid for the month.
    public let day: Int

    /// - Throws: ``InvalidValue`` when the year is outside 1…9999, the month outside 1–12 or the
    ///   day does not exist in that month (e.g. 2023-02-29).
    public init(year: Int, month: Int, day: Int) throws(InvalidValue) {
        guard (1...9999).contains(year) else { throw InvalidValue("year \(year) is outside 1–9999") }
        guard (1...12).contains(month) else { throw InvalidValue("month \(month) is outside 1–12") }
        let dim = daysInMonth(year, month)
        guard (1...dim).contains(day) else {
            throw InvalidValue("day \(day) does not exist: \(pad(year, 4))-\(pad(month, 2)) has \(dim) days")
        }
        self.year = year
        self.month = month
        self.day = day
    }

    private init(dayNumber: Int) {
        let c = civilFromDays(dayNumber)
        year = c.year
        month = c.month
        day = c.day
    }

    /// Parses `"2024-10-16"`, `"2024/10/16"`, `"2024.10.16"`, `"2024年10月16日"` (日 optional), with
    /// or without leading zeros (`"2024-1-6"`); full-width digits and surrounding spaces allowed.
    ///
    /// - Throws: ``InvalidValue`` for another shape (the reason shows the expected one) or for a
    ///   date that does not exist (month 13, 30 February).
    public init(_ s: String) throws(InvalidValue) {
        let text = Array(halfWidthASCII(s).trimmingCharacters(in: .whitespaces))
        var i = 0
        func number(_ widths: ClosedRange<Int>) -> Int? {
            var n = 0, count = 0
            while i < text.count, let d = text[i].wholeNumberValue, text[i].isASCII {
                n = n * 10 + d
                count += 1
                i += 1
            }
            return widths.contains(count) ? n : nil
        }
        func separator() -> Character? {
            guard i < text.count, text[i].wholeNumberValue == nil else { return nil }
            defer { i += 1 }
            return text[i]
        }
        let bad = InvalidValue("'\(s)' is not a date; expected YYYY-MM-DD such as 2024-10-16")
        guard let y = number(4...4), let s1 = separator(), let m = number(1...2), let s2 = separator(),
              let d = number(1...2) else { throw bad }
        let s3 = separator()
        guard i == text.count else { throw bad }
        switch (s1, s2, s3) {
        case ("-", "-", nil), ("/", "/", nil), (".", ".", nil), ("年", "月", nil), ("年", "月", "日"): break
        default: throw bad
        }
        try self.init(year: y, month: m, day: d)
    }

    /// The Asia/Shanghai calendar day that contains the instant `date`.
    public init(shanghai date: Date) {
        let t = clampedSeconds(date) + shanghaiOffsetSeconds
        self.init(dayNumber: splitSeconds(t).days)
    }

    /// Days since 1970-01-01.
    var dayNumber: Int { daysFromCivil(year, month, day) }

    /// The date `days` later (earlier when negative).
    public func adding(days: Int) -> CalendarDate {
        CalendarDate(dayNumber: dayNumber + days)
    }

    /// Whole days from `self` to `other` (positive when `other` is later; 0 for the same day).
    public func days(until other: CalendarDate) -> Int {
        other.dayNumber - dayNumber
    }

    /// 00:00:00 Asia/Shanghai on this day, as an instant (16:00:00Z the previous UTC day).
    public var startUTC: Date {
        Date(timeIntervalSince1970: Double(dayNumber * 86_400 - shanghaiOffsetSeconds))
    }

    /// 23:59:59 Asia/Shanghai on this day, as an instant: the start of the next day minus 1 second.
    public var endUTC: Date {
        Date(timeIntervalSince1970: Double((dayNumber + 1) * 86_400 - shanghaiOffsetSeconds - 1))
    }

    /// `"YYYY-MM-DD"`.
    public var description: String { "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))" }

    public static func < (lhs: CalendarDate, rhs: CalendarDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    /// Written as ``description``; read back through the same check as ``init(_:)`` (``CheckedText``).
    public var checkedText: String { description }
}

/// Rectification deadlines (整改期限).
public enum Deadline {
    /// The end (23:59:59 Asia/Shanghai) of the calendar day `days` after the Shanghai calendar day
    /// of `foundAt`; `days == 0` is the end of the same day. A hazard found at 2024-10-16 23:30
    /// Beijing time with 7 days is due 2024-10-23T23:59:59+08:00; one found at 2024-10-16T16:30Z
    /// (already 10-17 00:30 in Shanghai) is due 2024-10-24T23:59:59+08:00.
    ///
    /// - Returns: the due instant (UTC).
    public static func due(foundAt: Date, days: Int) -> Date {
        CalendarDate(shanghai: foundAt).adding(days: days).endUTC
    }
}

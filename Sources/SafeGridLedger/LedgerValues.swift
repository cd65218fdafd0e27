import Foundation
import SafeGridCore

/// Turning cells into domain values. Pure functions: no I/O, no clock.
public enum LedgerValues {
    // MARK: - Text

    /// Full-width ASCII (U+FF01–U+FF5E) → ASCII (unless `foldWidth` is false: names and
    /// addresses keep their `（2号店）` as written), ideographic space (U+3000) and NBSP → space,
    /// zero-width spaces and BOMs removed, then whitespace trimmed at both ends.
    public static func cleanText(_ raw: String, foldWidth: Bool = true) -> String {
        // Fast path on the UTF-8 bytes: the characters mapped below all start with a byte C2, E2,
        // E3 or EF (Chinese characters start with E4–E9), so most texts need no mapping.
        var needsMapping = false
        for b in raw.utf8 where b == 0xC2 || b == 0xE2 || b == 0xE3 || b == 0xEF {
            needsMapping = true
            break
        }
        var s = raw
        if needsMapping {
            var scalars = String.UnicodeScalarView()
            for u in raw.unicodeScalars {
                switch u.value {
                case 0xFF01...0xFF5E where foldWidth: scalars.append(Unicode.Scalar(u.value - 0xFEE0)!)
                case 0x3000, 0x00A0: scalars.append(" ")
                case 0x200B, 0x200C, 0x200D, 0xFEFF: continue
                default: scalars.append(u)
                }
            }
            s = String(scalars)
        }
        func isSpace(_ u: Unicode.Scalar) -> Bool {
            u.isASCII ? (u.value == 0x20 || (0x09...0x0D).contains(u.value)) : u.properties.isWhitespace
        }
        guard let f = s.unicodeScalars.first, let l = s.unicodeScalars.last, isSpace(f) || isSpace(l) else { return s }
        return s.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The text of a cell for a text field (name, address, person): ``cleanText(_:)`` of
    /// ``LedgerValue/displayText(system:)``; `nil` when blank.
    public static func text(_ value: LedgerValue, system: ExcelDateSystem = .from1900, foldWidth: Bool = true) -> String? {
        let s = cleanText(value.displayText(system: system), foldWidth: foldWidth)
        return s.isEmpty ? nil : s
    }

    // MARK: - Dates

    /// The plausible range of a bare number read as an Excel date serial in a date column:
    /// 1990-01-01 (32874) … 2099-12-31 (73050), 1900 system.
    public static let plausibleSerials: ClosedRange<Double> = 32_874...73_050

    /// Parses a date as people type it into a ledger, as an Asia/Shanghai calendar day.
    ///
    /// Accepted: `2024-10-16`, `2024/10/16`, `2024.10.16`, `2024年10月16日` (日 optional), with
    /// or without leading zeros (`2024/1/6`); `20241016`; full-width digits and separators;
    /// followed by a time of day (`2024/10/16 9:30`, `2024-10-16 09:30:15`, `2024-10-16T09:30`,
    /// `2024年10月16日 9时30分`, `2024年10月16日9时30分15秒`) which is dropped. A date-time with
    /// a UTC offset (`2024-10-16T01:30:00Z`, `…+08:00`) is an instant and gives the Shanghai day
    /// it falls on (`2024-10-16T17:00:00Z` → 2024-10-17).
    ///
    /// - Throws: ``InvalidValue`` for an empty text, another shape (the reason names the
    ///   accepted ones), text after the date that is not a time, or a day that does not exist
    ///   (`2024-02-30`: "day 30 does not exist: 2024-02 has 29 days").
    public static func date(_ raw: String) throws(InvalidValue) -> CalendarDate {
        let s = cleanText(raw)
        let shapes = "expected a date such as 2024-10-16, 2024/10/16, 2024.10.16, 2024年10月16日 or 20241016"
        guard !s.isEmpty else { throw InvalidValue("the date is empty; \(shapes)") }
        let u = Array(s.unicodeScalars)
        if u.count == 8, u.allSatisfy({ $0.properties.numericType == .decimal && $0.isASCII }) {
            let n = Int(s)!
            do { return try CalendarDate(year: n / 10_000, month: n / 100 % 100, day: n % 100) } catch {
                throw InvalidValue("'\(raw)' is not a date: \(error.reason)")
            }
        }
        // An instant with a UTC offset.
        if s.contains(":"), let last = s.last, last == "Z" || last == "z" || s.range(of: #"[+-]\d{2}:?\d{2}$"#, options: .regularExpression) != nil,
           let instant = try? Timestamp.parse(s) {
            return CalendarDate(shanghai: instant)
        }
        // Split the date from a time part.
        var datePart = s
        var timePart = ""
        if let r = s.firstIndex(where: { $0 == " " || $0 == "T" || $0 == "t" }) {
            datePart = String(s[..<r])
            timePart = String(s[s.index(after: r)...]).trimmingCharacters(in: .whitespaces)
        } else if let r = s.firstIndex(of: "日"), s.index(after: r) != s.endIndex {
            datePart = String(s[...r])
            timePart = String(s[s.index(after: r)...])
        }
        if !timePart.isEmpty, !isTimeOfDay(timePart) {
            throw InvalidValue("'\(raw)' has '\(timePart)' after the date, which is not a time of day; \(shapes)")
        }
        // Shape first, then existence, so that 2024-02-30 is called a day that does not exist.
        let shape = #"^\d{4}([-/.])\d{1,2}\1\d{1,2}$|^\d{4}年\d{1,2}月\d{1,2}日?$"#
        guard datePart.range(of: shape, options: .regularExpression) != nil else {
            throw InvalidValue("'\(raw)' is not a date; \(shapes)")
        }
        do { return try CalendarDate(datePart) } catch {
            throw InvalidValue("'\(raw)' is not a date: \(error.reason)")
        }
    }

    /// `9:30`, `09:30:15`, `09:30:15.250`, `9时30分`, `9时30分15秒`, `9点30分`, optionally with
    /// `AM`/`PM`/`上午`/`下午`.
    static func isTimeOfDay(_ s: String) -> Bool {
        var t = s.trimmingCharacters(in: .whitespaces)
        for marker in ["上午", "下午", "AM", "PM", "am", "pm"] {
            if t.hasPrefix(marker) { t = String(t.dropFirst(marker.count)).trimmingCharacters(in: .whitespaces) }
            if t.hasSuffix(marker) { t = String(t.dropLast(marker.count)).trimmingCharacters(in: .whitespaces) }
        }
        let pattern = #"^([01]?\d|2[0-3])(:[0-5]\d(:[0-5]\d(\.\d+)?)?|[时点]([0-5]?\d分([0-5]?\d秒)?)?)$"#
        return t.range(of: pattern, options: .regularExpression) != nil
    }

    /// A date from a cell: a date cell (serial in `system`), a number (an 8-digit `20241016`,
    /// or an unformatted serial within ``plausibleSerials``), or text (``date(_:)``; a bare
    /// serial in text is accepted in the same range).
    ///
    /// - Throws: ``InvalidValue`` for an empty cell, a boolean or error cell, a number that is
    ///   neither, or text that ``date(_:)`` refuses.
    public static func date(_ value: LedgerValue, system: ExcelDateSystem) throws(InvalidValue) -> CalendarDate {
        switch value {
        case .date(let serial):
            return try ExcelDate.calendarDate(serial: serial, system: system)
        case .number(let n):
            if n == n.rounded(), n >= 10_000_101, n <= 99_991_231 {
                return try date(String(Int(n)))
            }
            if plausibleSerials.contains(n) {
                return try ExcelDate.calendarDate(serial: n, system: system)
            }
            throw InvalidValue("the number \(LedgerValue.format(number: n)) is not a date; expected a date such as 2024-10-16")
        case .text(let s):
            let c = cleanText(s)
            if let n = Double(c), c.count == 5, plausibleSerials.contains(n) {
                return try ExcelDate.calendarDate(serial: n, system: system)
            }
            return try date(s)
        case .empty:
            throw InvalidValue("the date is empty")
        case .bool(let b):
            throw InvalidValue("\(b ? "TRUE" : "FALSE") is not a date")
        case .error(let e):
            throw InvalidValue("the cell holds the Excel error \(e), not a date")
        }
    }

    // MARK: - Numbers and booleans

    /// A number from a number cell or from text (`1,234.5`, full-width digits, surrounding
    /// spaces).
    /// - Throws: ``InvalidValue`` for empty, text that is not a number, a date, bool or error cell.
    public static func number(_ value: LedgerValue) throws(InvalidValue) -> Double {
        switch value {
        case .number(let n): return n
        case .text(let s):
            let c = cleanText(s).replacingOccurrences(of: ",", with: "")
            if let d = Double(c), d.isFinite { return d }
            throw InvalidValue("'\(s)' is not a number")
        case .empty: throw InvalidValue("the number is empty")
        case .date: throw InvalidValue("a date is not a number here")
        case .bool(let b): throw InvalidValue("\(b ? "TRUE" : "FALSE") is not a number")
        case .error(let e): throw InvalidValue("the cell holds the Excel error \(e), not a number")
        }
    }

    /// Yes/no: `是`/`否`, `有`/`无`, `Y`/`N`, `yes`/`no`, `true`/`false`, `1`/`0`, `√`/`×`,
    /// `✓`/`✗`, `对`/`错`, and boolean or number (1/0) cells.
    /// - Throws: ``InvalidValue`` for anything else, naming the accepted forms.
    public static func bool(_ value: LedgerValue) throws(InvalidValue) -> Bool {
        switch value {
        case .bool(let b): return b
        case .number(let n) where n == 1 || n == 0: return n == 1
        case .text(let s):
            switch cleanText(s).lowercased() {
            case "是", "有", "y", "yes", "true", "1", "√", "✓", "✔", "对", "t": return true
            case "否", "无", "n", "no", "false", "0", "×", "✗", "✘", "x", "错", "f": return false
            default: throw InvalidValue("'\(s)' is not yes or no; write 是 or 否")
            }
        default:
            throw InvalidValue("'\(value.displayText())' is not yes or no; write 是 or 否")
        }
    }

    // MARK: - Coordinates

    /// One coordinate in decimal degrees: `30.18`, `30.18°`, `N30.18`, `30.18N`, `北纬30.18`,
    /// `东经120.46`, degrees-minutes-seconds `30°10'48"`, `30°10′48″N`, `30度10分48秒`; `S`/`W`
    /// (南纬/西经) make it negative. Full-width digits accepted.
    /// - Throws: ``InvalidValue`` when it is not a number of degrees.
    public static func degrees(_ raw: String) throws(InvalidValue) -> Double {
        var s = cleanText(raw)
        if let d = Double(s), d.isFinite { return d }
        var sign = 1.0
        for (marker, negative) in [("北纬", false), ("南纬", true), ("东经", false), ("西经", true),
                                   ("N", false), ("S", true), ("E", false), ("W", true),
                                   ("n", false), ("s", true), ("e", false), ("w", true)] {
            if s.hasPrefix(marker) { s = String(s.dropFirst(marker.count)); if negative { sign = -1 }; break }
            if s.hasSuffix(marker) { s = String(s.dropLast(marker.count)); if negative { sign = -1 }; break }
        }
        s = s.trimmingCharacters(in: .whitespaces)
        if let d = Double(s), d.isFinite { return sign * d }
        // Degrees, minutes, seconds.
        let parts = s.split(whereSeparator: { "°度'′’分\"″”秒 ".contains($0) }).map(String.init)
        if !parts.isEmpty, parts.count <= 3, s.contains(where: { "°度".contains($0) }) {
            let values = parts.compactMap(Double.init)
            if values.count == parts.count, values.dropFirst().allSatisfy({ $0 >= 0 && $0 < 60 }) {
                let d = values[0] + (values.count > 1 ? values[1] / 60 : 0) + (values.count > 2 ? values[2] / 3600 : 0)
                return sign * (values[0] < 0 ? -1 : 1) * abs(d)
            }
        }
        throw InvalidValue("'\(raw)' is not a coordinate in degrees such as 30.18 or 120.46")
    }

    /// A location read from a ledger.
    public struct Location: Hashable, Sendable {
        public let point: GeoPoint
        /// The file gave longitude first (in one cell, or in swapped columns); ``point`` is
        /// already corrected. Report it as a warning.
        public let swappedAxes: Bool
    }

    /// Reads a location from two cells (latitude, longitude) or one `lat,lon` cell, checks it
    /// and corrects swapped axes.
    ///
    /// - Parameters:
    ///   - latitude, longitude: the two cells' texts, or `nil`.
    ///   - combined: one cell with both numbers separated by `,`, `，`, `;`, `/` or spaces
    ///     (`30.18,120.46`, `120.46, 30.18`); used when the two are absent.
    ///   - datum: what the numbers are (``Datum/gcj02`` for AMap/Tencent map pickers,
    ///     ``Datum/wgs84`` for GPS).
    ///   - boundary: the district the point must lie in (within 3 km), `nil` to check only the ranges.
    /// - Returns: `nil` when every input is blank; otherwise the location, with ``Location/swappedAxes``
    ///   set when the numbers only make sense the other way round (a "latitude" above 90, or a
    ///   point outside `boundary` whose swap is inside: 萧山区 is about 30.0–30.4 N, 120.1–120.7 E).
    /// - Throws: ``InvalidValue``: one of the two missing; not numbers; not two numbers in the
    ///   combined cell; latitude outside −90…90 (`57983`) or longitude outside −180…180 either way
    ///   round; a point outside `boundary` by more than 3 km both ways round (the reason gives the
    ///   distance, e.g. "point is 8.4 km outside 萧山区 (330109)").
    public static func location(latitude: String?, longitude: String?, combined: String? = nil,
                                datum: Datum, boundary: DistrictBoundary?) throws(InvalidValue) -> Location? {
        let lat = latitude.map { cleanText($0) }.flatMap { $0.isEmpty ? nil : $0 }
        let lon = longitude.map { cleanText($0) }.flatMap { $0.isEmpty ? nil : $0 }
        let first: Double, second: Double
        switch (lat, lon) {
        case let (a?, b?):
            first = try degrees(a)
            second = try degrees(b)
        case (_?, nil): throw InvalidValue("a latitude is given without a longitude")
        case (nil, _?): throw InvalidValue("a longitude is given without a latitude")
        case (nil, nil):
            guard let c = combined.map { cleanText($0) }, !c.isEmpty else { return nil }
            let parts = c.split(whereSeparator: { ",，;；/、 \t".contains($0) }).map(String.init)
            guard parts.count == 2 else {
                throw InvalidValue("'\(c)' is not a location; expected latitude and longitude such as 30.18,120.46")
            }
            first = try degrees(parts[0])
            second = try degrees(parts[1])
        }
        return try checkedLocation(first, second, datum: datum, boundary: boundary)
    }

    /// (first, second) taken as (latitude, longitude), or swapped when only that makes sense.
    static func checkedLocation(_ first: Double, _ second: Double, datum: Datum,
                                boundary: DistrictBoundary?) throws(InvalidValue) -> Location {
        let asGiven = try? GeoPoint(latitude: first, longitude: second, datum: datum)
        let swapped = try? GeoPoint(latitude: second, longitude: first, datum: datum)
        let f = LedgerValue.format(number: first), g = LedgerValue.format(number: second)
        guard asGiven != nil || swapped != nil else {
            if !first.isFinite || !second.isFinite { throw InvalidValue("coordinates must be finite numbers") }
            throw InvalidValue("latitude \(f) is outside −90…90 (read either way round, \(f), \(g) is not a location; 萧山 is about latitude 30.2, longitude 120.3)")
        }
        guard let boundary else {
            if let asGiven { return Location(point: asGiven, swappedAxes: false) }
            return Location(point: swapped!, swappedAxes: true)
        }
        if let asGiven, (try? boundary.check(asGiven)) != nil { return Location(point: asGiven, swappedAxes: false) }
        if let swapped, (try? boundary.check(swapped)) != nil { return Location(point: swapped, swappedAxes: true) }
        if let asGiven {
            try boundary.check(asGiven)    // throws: "point is 8.4 km outside 萧山区 (330109)"
            return Location(point: asGiven, swappedAxes: false)
        }
        guard let swapped else { throw InvalidValue("latitude \(f) is outside −90…90") }
        do { try boundary.check(swapped) } catch {
            throw InvalidValue("latitude \(f) is outside −90…90, and read the other way round the \(error.reason)")
        }
        throw InvalidValue("latitude \(f) is outside −90…90")
    }

    // MARK: - Subject kinds

    /// The subject kind from a ledger's 类型 cell: `企业`/`工业企业`/`规上企业`/`enterprise`,
    /// `沿街店铺`/`店铺`/`商铺`/`门店`/`沿街商铺`/`streetShop`, `出租房`/`出租屋`/`出租房屋`/
    /// `出租户`/`rentalHousing`, `小微园区`/`小微企业园`/`园区`/`smallMicroPark` (case- and
    /// width-insensitive).
    /// - Throws: ``InvalidValue`` naming the accepted values.
    public static func subjectKind(_ raw: String) throws(InvalidValue) -> SubjectKind {
        let key = cleanText(raw).lowercased().filter { !$0.isWhitespace }
        switch key {
        case "企业", "工业企业", "规上企业", "规下企业", "生产企业", "enterprise": return .enterprise
        case "沿街店铺", "店铺", "商铺", "门店", "沿街商铺", "沿街门店", "商户", "streetshop", "shop": return .streetShop
        case "出租房", "出租屋", "出租房屋", "出租户", "出租房(间)", "rentalhousing", "rental": return .rentalHousing
        case "小微园区", "小微企业园", "园区", "smallmicropark", "park": return .smallMicroPark
        default:
            throw InvalidValue("'\(raw)' is not a subject kind; expected 企业, 沿街店铺, 出租房 or 小微园区")
        }
    }
}

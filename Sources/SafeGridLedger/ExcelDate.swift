import Foundation
import SafeGridCore

/// Excel date serials ↔ Asia/Shanghai calendar days.
///
/// An Excel date is a number of days (the fraction is the time of day) counted in the
/// workbook's date system, without a time zone: it is the wall-clock date and time the person
/// typed, which for SafeGrid's ledgers is Beijing time. Sources: ECMA-376 Part 1 §18.17.4
/// (date systems), Microsoft KB 214326 "Excel incorrectly assumes that the year 1900 is a leap
/// year" (serial 60 = 1900-02-29, kept for Lotus 1-2-3 compatibility).
///
/// - 1900 system: serial 1 = 1900-01-01, 59 = 1900-02-28, **60 = the fictitious 1900-02-29**,
///   61 = 1900-03-01, 45581 = 2024-10-16, 2958465 = 9999-12-31.
/// - 1904 system: serial 0 = 1904-01-01, 44119 = 2024-10-16.
public enum ExcelDate {
    /// The largest serial Excel accepts: 9999-12-31 in the 1900 system.
    public static let maxSerial1900 = 2_958_465.0
    /// 9999-12-31 in the 1904 system.
    public static let maxSerial1904 = 2_957_003.0

    /// 1899-12-30 and 1904-01-01: 25,569 and 24,107 days before 1970-01-01 (noon UTC, so the
    /// Shanghai day is the same).
    private static let epoch1900 = CalendarDate(shanghai: Date(timeIntervalSince1970: -25_569 * 86_400 + 43_200))
    private static let epoch1904 = CalendarDate(shanghai: Date(timeIntervalSince1970: -24_107 * 86_400 + 43_200))

    /// The calendar day of a serial; the time of day (the fraction) is dropped.
    ///
    /// - Throws: ``InvalidValue`` for a non-finite or negative serial, for a serial whose day
    ///   part is 0 in the 1900 system (Excel's "1900-01-00", a time without a date), for 60 in
    ///   the 1900 system (1900-02-29 never existed), and beyond 9999-12-31.
    public static func calendarDate(serial: Double, system: ExcelDateSystem) throws(InvalidValue) -> CalendarDate {
        let (day, _) = try split(serial, system: system)
        return day
    }

    /// The instant of a serial read as Asia/Shanghai wall-clock time (UTC+8), to the second.
    /// - Throws: as ``calendarDate(serial:system:)``.
    public static func instant(serial: Double, system: ExcelDateSystem) throws(InvalidValue) -> Date {
        let (day, seconds) = try split(serial, system: system)
        return day.startUTC.addingTimeInterval(Double(seconds))
    }

    /// The serial of a calendar day (an integer). Days before 1900-03-01 in the 1900 system get
    /// the serial Excel would give them (1900-01-01 → 1, 1900-02-28 → 59); days before
    /// 1900-01-01 (1904-01-01 in the 1904 system) have no serial and give a value ≤ 0.
    public static func serial(for day: CalendarDate, system: ExcelDateSystem) -> Double {
        switch system {
        case .from1900:
            let d = epoch1900.days(until: day)
            return Double(d <= 60 ? d - 1 : d)
        case .from1904:
            return Double(epoch1904.days(until: day))
        }
    }

    /// The serial of an instant's Asia/Shanghai wall-clock date and time (fraction = seconds / 86400).
    public static func serial(forShanghai instant: Date, system: ExcelDateSystem) -> Double {
        let day = CalendarDate(shanghai: instant)
        let seconds = Int(instant.timeIntervalSince(day.startUTC).rounded(.down))
        return serial(for: day, system: system) + Double(seconds) / 86_400
    }

    /// `2024-10-16`, or `2024-10-16 09:30` / `2024-10-16 09:30:15` when the serial has a time of
    /// day; `nil` when the serial is not a valid date.
    public static func displayText(serial: Double, system: ExcelDateSystem) -> String? {
        guard let (day, seconds) = try? split(serial, system: system) else { return nil }
        guard seconds > 0 else { return day.description }
        let h = seconds / 3600, m = seconds / 60 % 60, s = seconds % 60
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(day) \(two(h)):\(two(m))" + (s > 0 ? ":\(two(s))" : "")
    }

    /// Day and second of day (rounded to the nearest second, so 23:59:59.9 is the next day's 00:00:00).
    private static func split(_ serial: Double, system: ExcelDateSystem) throws(InvalidValue) -> (CalendarDate, Int) {
        guard serial.isFinite else { throw InvalidValue("date serial \(serial) is not a number") }
        guard serial >= 0 else { throw InvalidValue("date serial \(LedgerValue.format(number: serial)) is negative; Excel dates start at 1900-01-01") }
        let max = system == .from1900 ? maxSerial1900 : maxSerial1904
        guard serial < max + 1 else {
            throw InvalidValue("date serial \(LedgerValue.format(number: serial)) is after 9999-12-31, the last day Excel knows")
        }
        let totalSeconds = Int((serial * 86_400).rounded())
        let dayNumber = totalSeconds / 86_400
        let seconds = totalSeconds % 86_400
        switch system {
        case .from1900:
            if dayNumber == 0 {
                throw InvalidValue("date serial \(LedgerValue.format(number: serial)) is a time of day without a date (Excel shows it as 1900-01-00)")
            }
            if dayNumber == 60 {
                throw InvalidValue("date serial 60 is 1900-02-29, a day that never existed (Excel keeps it from Lotus 1-2-3)")
            }
            let day = epoch1900.adding(days: dayNumber < 60 ? dayNumber + 1 : dayNumber)
            return (day, seconds)
        case .from1904:
            return (epoch1904.adding(days: dayNumber), seconds)
        }
    }
}

import Foundation
import Testing
@testable import SafeGridCore

// Epoch seconds were computed independently with Python's datetime.fromisoformat.
@Suite struct ShanghaiTimeTests {
    private func parseReason(_ s: String) -> String? {
        do {
            _ = try Timestamp.parse(s)
            return nil
        } catch {
            return error.reason
        }
    }

    private func dateReason(_ s: String) -> String? {
        do {
            _ = try CalendarDate(s)
            return nil
        } catch {
            return error.reason
        }
    }

    @Test func parseOffsets() throws {
        let expected = 1_729_042_200.0
        for s in ["2024-10-16T09:30:00+08:00", "2024-10-16T01:30:00Z", "2024-10-16T09:30:00+0800",
                  "2024-10-16t01:30:00z", "2024-10-16 09:30:00+08:00", "2024-10-16T09:30+08:00",
                  "2024-10-15T20:30:00-05:00", " 2024-10-16T01:30:00Z "] {
            #expect(try Timestamp.parse(s).timeIntervalSince1970 == expected, "\(s)")
        }
        #expect(try Timestamp.parse("2024-02-29T12:00:00-05:30").timeIntervalSince1970 == 1_709_227_800)
        #expect(try Timestamp.parse("1969-12-31T23:59:59Z").timeIntervalSince1970 == -1)
        #expect(try Timestamp.parse("2000-01-01T00:00:00+14:00").timeIntervalSince1970 == 946_634_400)
    }

    @Test func parseFractions() throws {
        #expect(abs(try Timestamp.parse("2024-10-16T01:30:00.123456Z").timeIntervalSince1970 -
                1_729_042_200.123456) <= 1e-6)
        #expect(abs(try Timestamp.parse("2024-10-16T09:30:00.5+08:00").timeIntervalSince1970 -
                1_729_042_200.5) <= 1e-6)
        #expect(abs(try Timestamp.parse("2024-10-16T01:30:00.123456789012Z").timeIntervalSince1970 -
                1_729_042_200.123456789) <= 1e-6)
    }

    @Test func parseRejections() {
        #expect(parseReason("2024-10-16T09:30:00") ==
                "'2024-10-16T09:30:00' has no UTC offset, so the moment is ambiguous; add 'Z' for UTC or '+08:00' for Beijing time, e.g. 2024-10-16T09:30:00+08:00")
        #expect(parseReason("2024-10-16") ==
                "'2024-10-16' is a date without a time; expected a date-time with offset such as 2024-10-16T09:30:00+08:00")
        #expect(parseReason("2024-13-16T09:30:00+08:00") == "'2024-13-16T09:30:00+08:00' has month 13, expected 01–12")
        #expect(parseReason("2024-02-30T09:30:00+08:00") ==
                "'2024-02-30T09:30:00+08:00' has day 30, but 2024-02 has 29 days")
        #expect(parseReason("2023-02-29T09:30:00Z") == "'2023-02-29T09:30:00Z' has day 29, but 2023-02 has 28 days")
        #expect(parseReason("2024-10-16T24:00:00Z") == "'2024-10-16T24:00:00Z' has hour 24, expected 00–23")
        #expect(parseReason("2024-10-16T09:60:00Z") == "'2024-10-16T09:60:00Z' has minute 60, expected 00–59")
        #expect(parseReason("2024-10-16T09:30:60Z") == "'2024-10-16T09:30:60Z' has second 60, expected 00–59")
        for garbage in ["", "garbage", "yesterday", "2024/10/16 09:30:00+08:00", "2024-10-16T09:30:00+8",
                        "2024-10-16T09:30:00+08:00 extra", "2024-10-16T9:30:00Z", "2024-10-16T09:30:00.Z",
                        "2024-10-16T09:30:00+25:00", "1729042200"] {
            #expect(parseReason(garbage) != nil, "\(garbage)")
        }
    }

    @Test func format() throws {
        let d = try Timestamp.parse("2024-10-16T01:30:00.987Z")
        #expect(Timestamp.format(d) == "2024-10-16T09:30:00+08:00")
        #expect(Timestamp.formatUTC(d) == "2024-10-16T01:30:00Z")
        let lateNight = try Timestamp.parse("2024-10-16T16:30:00Z")
        #expect(Timestamp.format(lateNight) == "2024-10-17T00:30:00+08:00")
        #expect(Timestamp.formatUTC(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59Z")
        #expect(Timestamp.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T08:00:00+08:00")
        for s in ["2024-02-29T23:59:59+08:00", "2000-03-01T00:00:00+08:00", "1999-12-31T12:00:00+08:00"] {
            #expect(Timestamp.format(try Timestamp.parse(s)) == s)
        }
    }

    @Test func calendarDateParsing() throws {
        let expected = try CalendarDate(year: 2024, month: 10, day: 16)
        for s in ["2024-10-16", "2024/10/16", "2024年10月16日", "2024年10月16", "2024.10.16", " 2024-10-16 ",
                  "２０２４－１０－１６"] {
            #expect(try CalendarDate(s) == expected, "\(s)")
        }
        #expect(try CalendarDate("2024-1-6") == CalendarDate(year: 2024, month: 1, day: 6))
        #expect(try CalendarDate("2024年1月6日").description == "2024-01-06")
        #expect(dateReason("2024-13-01") == "month 13 is outside 1–12")
        #expect(dateReason("2023-02-29") == "day 29 does not exist: 2023-02 has 28 days")
        #expect(throws: Never.self) { try CalendarDate("2024-02-29") }
        for bad in ["", "2024-10", "24-10-16", "2024-10/16", "2024-10-16T00:00:00Z", "2024-100-16", "2024年10月16号",
                    "16/10/2024", "2024--10-16", "2024-10-16日"] {
            #expect(dateReason(bad) == "'\(bad)' is not a date; expected YYYY-MM-DD such as 2024-10-16", "\(bad)")
        }
    }

    @Test func calendarDateFromInstant() throws {
        #expect(CalendarDate(shanghai: try Timestamp.parse("2024-10-16T15:59:59Z")).description == "2024-10-16")
        #expect(CalendarDate(shanghai: try Timestamp.parse("2024-10-16T16:00:00Z")).description == "2024-10-17")
        #expect(CalendarDate(shanghai: try Timestamp.parse("2024-10-16T00:00:00+08:00")).description == "2024-10-16")
        #expect(CalendarDate(shanghai: Date(timeIntervalSince1970: -28_800.5)).description == "1969-12-31")
    }

    @Test func calendarDateArithmetic() throws {
        let d = try CalendarDate("2024-10-16")
        #expect(d.adding(days: 7).description == "2024-10-23")
        #expect(d.adding(days: 16).description == "2024-11-01")
        #expect(d.adding(days: -16).description == "2024-09-30")
        #expect(try CalendarDate("2024-02-28").adding(days: 1).description == "2024-02-29")
        #expect(try CalendarDate("2023-12-31").adding(days: 1).description == "2024-01-01")
        #expect(d.days(until: try CalendarDate("2024-10-23")) == 7)
        #expect(d.days(until: try CalendarDate("2025-10-16")) == 365)
        #expect(try CalendarDate("2024-10-23").days(until: d) == -7)
        #expect(d.days(until: d) == 0)
        #expect(try d < CalendarDate("2024-10-17"))
        #expect(try CalendarDate("2023-12-31") < d)
        #expect([try CalendarDate("2024-11-01"), d, try CalendarDate("2024-09-30")].sorted().map(\.description) ==
                ["2024-09-30", "2024-10-16", "2024-11-01"])
    }

    @Test func startAndEnd() throws {
        let d = try CalendarDate("2024-10-16")
        #expect(Timestamp.formatUTC(d.startUTC) == "2024-10-15T16:00:00Z")
        #expect(Timestamp.format(d.startUTC) == "2024-10-16T00:00:00+08:00")
        #expect(Timestamp.formatUTC(d.endUTC) == "2024-10-16T15:59:59Z")
        #expect(Timestamp.format(d.endUTC) == "2024-10-16T23:59:59+08:00")
        #expect(d.endUTC.timeIntervalSince(d.startUTC) == 86_399)
        #expect(CalendarDate(shanghai: d.startUTC) == d)
        #expect(CalendarDate(shanghai: d.endUTC) == d)
    }

    @Test func calendarDateCodable() throws {
        let d = try CalendarDate("2024-1-6")
        let data = try JSONEncoder().encode([d])
        #expect(String(decoding: data, as: UTF8.self) == #"["2024-01-06"]"#)
        #expect(try JSONDecoder().decode([CalendarDate].self, from: data) == [d])
        #expect(throws: (any Error).self) { try JSONDecoder().decode([CalendarDate].self, from: Data(#"["2024-02-30"]"#.utf8)) }
    }

    @Test func deadline() throws {
        let found = try Timestamp.parse("2024-10-16T23:30:00+08:00")
        #expect(Timestamp.formatUTC(found) == "2024-10-16T15:30:00Z")
        #expect(Timestamp.format(Deadline.due(foundAt: found, days: 7)) == "2024-10-23T23:59:59+08:00")
        #expect(Timestamp.formatUTC(Deadline.due(foundAt: found, days: 7)) == "2024-10-23T15:59:59Z")

        let afterMidnight = try Timestamp.parse("2024-10-16T16:30:00Z")   // 2024-10-17 00:30 in Shanghai
        #expect(Timestamp.format(Deadline.due(foundAt: afterMidnight, days: 7)) == "2024-10-24T23:59:59+08:00")

        #expect(Timestamp.format(Deadline.due(foundAt: found, days: 0)) == "2024-10-16T23:59:59+08:00")
        #expect(Timestamp.format(Deadline.due(foundAt: try Timestamp.parse("2024-10-16T00:00:00+08:00"), days: 1)) ==
                "2024-10-17T23:59:59+08:00")
    }
}

import Foundation
import SafeGridCore
import Testing
@testable import SafeGridLedger

@Suite struct ExcelDateTests {
    @Test func the1900SystemIncludingLotusLeapDay() throws {
        // Oracle: Excel's own DATEVALUE (KB 214326) — serials around the fictitious 1900-02-29.
        #expect(try ExcelDate.calendarDate(serial: 1, system: .from1900) == day("1900-01-01"))
        #expect(try ExcelDate.calendarDate(serial: 59, system: .from1900) == day("1900-02-28"))
        #expect(reason { _ = try ExcelDate.calendarDate(serial: 60, system: .from1900) } ==
                "date serial 60 is 1900-02-29, a day that never existed (Excel keeps it from Lotus 1-2-3)")
        #expect(try ExcelDate.calendarDate(serial: 61, system: .from1900) == day("1900-03-01"))
        #expect(try ExcelDate.calendarDate(serial: 25569, system: .from1900) == day("1970-01-01"))
        #expect(try ExcelDate.calendarDate(serial: 45581, system: .from1900) == day("2024-10-16"))
        #expect(try ExcelDate.calendarDate(serial: 45581.99, system: .from1900) == day("2024-10-16"))
        #expect(try ExcelDate.calendarDate(serial: 2_958_465, system: .from1900) == day("9999-12-31"))
        #expect(reason { _ = try ExcelDate.calendarDate(serial: 2_958_466, system: .from1900) } != nil)
        #expect(reason { _ = try ExcelDate.calendarDate(serial: 0.5, system: .from1900) } ==
                "date serial 0.5 is a time of day without a date (Excel shows it as 1900-01-00)")
        #expect(reason { _ = try ExcelDate.calendarDate(serial: -1, system: .from1900) } != nil)
        #expect(reason { _ = try ExcelDate.calendarDate(serial: .nan, system: .from1900) } != nil)
    }

    @Test func the1904System() throws {
        #expect(try ExcelDate.calendarDate(serial: 0, system: .from1904) == day("1904-01-01"))
        #expect(try ExcelDate.calendarDate(serial: 44119, system: .from1904) == day("2024-10-16"))
        #expect(try ExcelDate.calendarDate(serial: 1, system: .from1904) == day("1904-01-02"))
    }

    @Test func serialOfDayInvertsBothSystems() throws {
        for s in ["1900-01-01", "1900-02-28", "1900-03-01", "1904-01-01", "2024-02-29", "2024-10-16", "9999-12-31"] {
            for system in [ExcelDateSystem.from1900, .from1904] where !(system == .from1904 && s < "1904") {
                let serial = ExcelDate.serial(for: day(s), system: system)
                #expect(try ExcelDate.calendarDate(serial: serial, system: system) == day(s), "\(s) \(system)")
            }
        }
        #expect(ExcelDate.serial(for: day("2024-10-16"), system: .from1900) == 45581)
        #expect(ExcelDate.serial(for: day("2024-10-16"), system: .from1904) == 44119)
    }

    @Test func timeOfDayIsShanghaiWallClock() throws {
        // 45581.75 = 2024-10-16 18:00 as typed in Hangzhou = 10:00Z.
        let instant = try ExcelDate.instant(serial: 45581.75, system: .from1900)
        #expect(Timestamp.formatUTC(instant) == "2024-10-16T10:00:00Z")
        #expect(ExcelDate.serial(forShanghai: instant, system: .from1900) == 45581.75)
        #expect(ExcelDate.displayText(serial: 45581.75, system: .from1900) == "2024-10-16 18:00")
        #expect(ExcelDate.displayText(serial: 45581, system: .from1900) == "2024-10-16")
        // 23:59:59.9 rounds to the next day's midnight, not to 24:00:00.
        #expect(ExcelDate.displayText(serial: 45581 + 86_399.9 / 86_400, system: .from1900) == "2024-10-17")
    }
}

@Suite struct TextDateTests {
    @Test func acceptedForms() throws {
        let expected = day("2024-10-16")
        for s in ["2024/10/16", "2024-10-16", "2024.10.16", "2024年10月16日", "2024年10月16", "20241016",
                  "2024/10/16 9:30", "2024-10-16 09:30:15", "2024-10-16T09:30", "2024.10.16 09:30:00.5",
                  "2024年10月16日 9时30分", "2024年10月16日9时30分15秒", "2024/10/16 下午3:30",
                  "２０２４－１０－１６", "２０２４年１０月１６日", "２０２４１０１６", "　2024/10/16　", " 2024/10/16 "] {
            #expect(try LedgerValues.date(s) == expected, "\(s)")
        }
        #expect(try LedgerValues.date("2024/1/6") == day("2024-01-06"))
        // An instant with an offset lands on its Shanghai day.
        #expect(try LedgerValues.date("2024-10-16T17:00:00Z") == day("2024-10-17"))
        #expect(try LedgerValues.date("2024-10-16T17:00:00+08:00") == day("2024-10-16"))
    }

    @Test func refusedWithReasons() {
        #expect(reason { _ = try LedgerValues.date("2024-02-30") } ==
                "'2024-02-30' is not a date: day 30 does not exist: 2024-02 has 29 days")
        #expect(reason { _ = try LedgerValues.date("2023-02-29") } ==
                "'2023-02-29' is not a date: day 29 does not exist: 2023-02 has 28 days")
        #expect(reason { _ = try LedgerValues.date("2024-13-01") } ==
                "'2024-13-01' is not a date: month 13 is outside 1–12")
        #expect(reason { _ = try LedgerValues.date("20240230") } ==
                "'20240230' is not a date: day 30 does not exist: 2024-02 has 29 days")
        #expect(reason { _ = try LedgerValues.date("待定") } ==
                "'待定' is not a date; expected a date such as 2024-10-16, 2024/10/16, 2024.10.16, 2024年10月16日 or 20241016")
        #expect(reason { _ = try LedgerValues.date("2024/10-16") } != nil)
        #expect(reason { _ = try LedgerValues.date("16/10/2024") } != nil)
        #expect(reason { _ = try LedgerValues.date("2024-10-16 下周") } ==
                "'2024-10-16 下周' has '下周' after the date, which is not a time of day; expected a date such as 2024-10-16, 2024/10/16, 2024.10.16, 2024年10月16日 or 20241016")
        #expect(reason { _ = try LedgerValues.date("2024-10-16 25:00") } != nil)
        #expect(reason { _ = try LedgerValues.date("") } != nil)
    }

    @Test func dateFromCells() throws {
        #expect(try LedgerValues.date(.date(serial: 45581), system: .from1900) == day("2024-10-16"))
        #expect(try LedgerValues.date(.date(serial: 44119), system: .from1904) == day("2024-10-16"))
        #expect(try LedgerValues.date(.number(20_241_016), system: .from1900) == day("2024-10-16"))
        #expect(try LedgerValues.date(.number(45581), system: .from1900) == day("2024-10-16"))
        #expect(try LedgerValues.date(.text("45581"), system: .from1900) == day("2024-10-16"))
        #expect(try LedgerValues.date(.text("2024年10月16日"), system: .from1900) == day("2024-10-16"))
        #expect(reason { _ = try LedgerValues.date(.number(3), system: .from1900) } ==
                "the number 3 is not a date; expected a date such as 2024-10-16")
        #expect(reason { _ = try LedgerValues.date(.error("#N/A"), system: .from1900) } ==
                "the cell holds the Excel error #N/A, not a date")
        #expect(reason { _ = try LedgerValues.date(.empty, system: .from1900) } == "the date is empty")
        #expect(reason { _ = try LedgerValues.date(.bool(true), system: .from1900) } != nil)
    }
}

@Suite struct NumberAndBoolTests {
    @Test func numbers() throws {
        #expect(try LedgerValues.number(.text("1,234.5")) == 1234.5)
        #expect(try LedgerValues.number(.text(" １２ ")) == 12)
        #expect(try LedgerValues.number(.number(3)) == 3)
        #expect(reason { _ = try LedgerValues.number(.text("三间")) } == "'三间' is not a number")
        #expect(LedgerValue.format(number: 13_800_000_000) == "13800000000")
        #expect(LedgerValue.format(number: 0.1) == "0.1")
        #expect(LedgerValue.format(number: -2) == "-2")
    }

    @Test func booleans() throws {
        for s in ["是", "有", "Y", "yes", "TRUE", "1", "√", "✓", "对"] { #expect(try LedgerValues.bool(.text(s)), "\(s)") }
        for s in ["否", "无", "N", "no", "false", "0", "×", "✗", "错"] { #expect(!(try LedgerValues.bool(.text(s))), "\(s)") }
        #expect(try LedgerValues.bool(.bool(true)))
        #expect(try LedgerValues.bool(.number(1)))
        #expect(reason { _ = try LedgerValues.bool(.text("大概")) } == "'大概' is not yes or no; write 是 or 否")
    }

    @Test func subjectKinds() throws {
        #expect(try LedgerValues.subjectKind("企业") == .enterprise)
        #expect(try LedgerValues.subjectKind(" 沿街店铺 ") == .streetShop)
        #expect(try LedgerValues.subjectKind("出租房屋") == .rentalHousing)
        #expect(try LedgerValues.subjectKind("小微企业园") == .smallMicroPark)
        #expect(try LedgerValues.subjectKind("StreetShop") == .streetShop)
        #expect(reason { _ = try LedgerValues.subjectKind("学校") } ==
                "'学校' is not a subject kind; expected 企业, 沿街店铺, 出租房 or 小微园区")
    }

    @Test func cleanText() {
        #expect(LedgerValues.cleanText("\u{3000}ＡＢＣ１２３\u{00A0}") == "ABC123")
        #expect(LedgerValues.cleanText("\u{200B}东湖村 ") == "东湖村")
    }
}

@Suite struct CoordinateTests {
    let xiaoshan = DistrictBoundary.xiaoshan

    @Test func twoColumnsAndOneCell() throws {
        let a = try LedgerValues.location(latitude: "30.183", longitude: "120.46", datum: .gcj02, boundary: xiaoshan)!
        #expect(a.point.latitude == 30.183)
        #expect(a.point.longitude == 120.46)
        #expect(a.point.datum == .gcj02)
        #expect(!a.swappedAxes)
        for combined in ["30.183,120.46", "30.183, 120.46", "30.183，120.46", "30.183 120.46", "30.183;120.46", "N30.183 E120.46",
                         "北纬30.183 东经120.46", "３０.１８３，１２０.４６"] {
            let b = try LedgerValues.location(latitude: nil, longitude: nil, combined: combined, datum: .gcj02, boundary: xiaoshan)
            #expect(b?.point.latitude == 30.183, "\(combined)")
            #expect(b?.point.longitude == 120.46, "\(combined)")
            #expect(b?.swappedAxes == false, "\(combined)")
        }
        #expect(try LedgerValues.location(latitude: " ", longitude: nil, combined: "", datum: .gcj02, boundary: xiaoshan) == nil)
    }

    @Test func degreesMinutesSeconds() throws {
        #expect(abs(try LedgerValues.degrees("30°10'48\"") - 30.18) <= 1e-9)
        #expect(abs(try LedgerValues.degrees("120°27′36″E") - 120.46) <= 1e-9)
        #expect(abs(try LedgerValues.degrees("30度10分48秒") - 30.18) <= 1e-9)
        #expect(try LedgerValues.degrees("33.9S") == -33.9)
        #expect(reason { _ = try LedgerValues.degrees("abc") } == "'abc' is not a coordinate in degrees such as 30.18 or 120.46")
    }

    @Test func swappedAxesAreCorrectedAndFlagged() throws {
        // lon,lat in one cell.
        let a = try LedgerValues.location(latitude: nil, longitude: nil, combined: "120.46,30.183", datum: .gcj02, boundary: xiaoshan)!
        #expect(a.swappedAxes)
        #expect(a.point.latitude == 30.183)
        #expect(a.point.longitude == 120.46)
        // Swapped columns.
        let b = try LedgerValues.location(latitude: "120.46", longitude: "30.183", datum: .gcj02, boundary: xiaoshan)!
        #expect(b.swappedAxes)
        #expect(b.point.latitude == 30.183)
        // Without a boundary only the range tells: a latitude of 120 must be a longitude.
        let c = try LedgerValues.location(latitude: "120.46", longitude: "30.183", datum: .wgs84, boundary: nil)!
        #expect(c.swappedAxes)
    }

    @Test func refused() {
        #expect(reason { _ = try LedgerValues.location(latitude: "57983", longitude: "120.46", datum: .gcj02, boundary: self.xiaoshan) } ==
                "latitude 57983 is outside −90…90 (read either way round, 57983, 120.46 is not a location; 萧山 is about latitude 30.2, longitude 120.3)")
        // Beijing: a valid point, far outside 萧山区.
        let r = reason { _ = try LedgerValues.location(latitude: "39.9", longitude: "116.4", datum: .gcj02, boundary: self.xiaoshan) }
        #expect(r?.hasPrefix("point is ") == true && r?.hasSuffix(" km outside 萧山区 (330109)") == true, "\(r ?? "")")
        #expect(reason { _ = try LedgerValues.location(latitude: "30.18", longitude: nil, datum: .gcj02, boundary: self.xiaoshan) } ==
                "a latitude is given without a longitude")
        #expect(reason { _ = try LedgerValues.location(latitude: nil, longitude: nil, combined: "30.18", datum: .gcj02, boundary: self.xiaoshan) } ==
                "'30.18' is not a location; expected latitude and longitude such as 30.18,120.46")
        #expect(reason { _ = try LedgerValues.location(latitude: "北", longitude: "120.4", datum: .gcj02, boundary: self.xiaoshan) } != nil)
    }
}

@Suite struct VillageNameTests {
    @Test func normalise() {
        #expect(VillageNames.normalise(" 东湖村委会 ") == "东湖村")
        #expect(VillageNames.normalise("东湖村民委员会") == "东湖村")
        #expect(VillageNames.normalise("东湖村村民委员会") == "东湖村")
        #expect(VillageNames.normalise("东湖村村委会") == "东湖村")
        #expect(VillageNames.normalise("航坞社区居民委员会") == "航坞社区")
        #expect(VillageNames.normalise("航坞社区居委会") == "航坞社区")
        #expect(VillageNames.normalise("航坞居委会") == "航坞社区")
        #expect(VillageNames.normalise("航坞居民委员会") == "航坞社区")
        #expect(VillageNames.normalise("\u{3000}东 湖 村\u{3000}") == "东湖村")
        #expect(VillageNames.normalise("东湖村") == "东湖村")
    }

    @Test func resolveAgainstGuali() throws {
        let areas = try Fixture.areas()
        let r = VillageNames.Resolver(areas: areas)
        #expect(r.count == 74)
        let donghu = try r.resolve("东湖村")
        #expect(donghu.name == "东湖村委会")
        for spelling in ["东湖村委会", "东湖村村民委员会", " 东湖村 ", "瓜沥镇东湖村", "萧山区瓜沥镇东湖村委会", "东湖", donghu.code] {
            #expect(try r.resolve(spelling).code == donghu.code, "\(spelling)")
        }
        let hangwu = try r.resolve("航坞社区居民委员会")
        #expect(hangwu.name == "航坞社区")
        #expect(hangwu.villageKind == .community)
        #expect(try r.resolve("航坞居委会").code == hangwu.code)
        #expect(reason { _ = try r.resolve("火星村") } == "'火星村' is not one of the 74 known villages and communities")
        #expect(reason { _ = try r.resolve("") } == "the village or community is empty")
        #expect(reason { _ = try r.resolve("330109113999") } == "no village or community has the code 330109113999")
    }

    @Test func ambiguousNameAsksForCode() throws {
        let a = Area(code: "330109113201", name: "新村村委会", shortName: "新村村", level: .village, parentCode: "330109113", villageKind: .village)
        let b = Area(code: "330109114201", name: "新村村委会", shortName: "新村村", level: .village, parentCode: "330109114", villageKind: .village)
        let r = VillageNames.Resolver(areas: [a, b])
        #expect(reason { _ = try r.resolve("新村村") } ==
                "'新村村' is the name of 2 villages (330109113201, 330109114201); write the 12-digit code instead")
        #expect(try r.resolve("330109114201").code == "330109114201")
    }
}

@Suite struct HeaderMappingTests {
    @Test func aliasesAreCaseWidthAndSpaceInsensitive() {
        let cases: [(String, LedgerField)] = [
            ("企业名称", .name), ("单位名称", .name), ("名称", .name), ("Name", .name), (" NAME ", .name),
            ("统一社会信用代码", .creditCode), ("信用代码", .creditCode), ("creditCode", .creditCode), ("Credit_Code", .creditCode),
            ("地址", .address), ("经营地址", .address), ("address", .address),
            ("村（社区）", .village), ("村(社区)", .village), ("所属村", .village), ("village", .village),
            ("网格", .grid), ("联系人", .party), ("负责人", .party), ("联系电话", .phone), ("手机", .phone),
            ("类型", .kind), ("纬度", .latitude), ("经度", .longitude), ("坐标", .location),
            ("隐患描述", .item), ("检查项", .item), ("整改期限", .dueOn), ("期限", .dueOn),
            ("发现日期", .inspectedOn), ("检查日期", .inspectedOn), ("序号", .serialNumber),
            ("企业名称*", .name), ("*企业名称", .name), ("企业名称（必填）", .name), ("联系电话（手机）", .phone),
            ("ＬＡＴＩＴＵＤＥ", .latitude), ("企 业 名 称", .name), ("\u{3000}地址\u{3000}", .address),
        ]
        for (h, f) in cases { #expect(LedgerHeaders.field(for: h) == f, "\(h)") }
        #expect(LedgerHeaders.field(for: "营业面积") == nil)
        #expect(LedgerHeaders.field(for: "电话", group: "联系人") == .phone)
    }

    @Test func columnLetters() {
        for (i, l) in [(0, "A"), (25, "Z"), (26, "AA"), (701, "ZZ"), (702, "AAA"), (16383, "XFD")] {
            #expect(LedgerTable.columnLetters(i) == l)
            #expect(LedgerTable.columnIndex(letters: Substring(l)) == i)
        }
        #expect(LedgerTable.columnIndex(letters: "XFE") == nil)
        #expect(LedgerTable.columnIndex(letters: "A1") == nil)
    }

    @Test func unknownAndDuplicateHeadersAreReported() {
        let m = LedgerHeaders.map(header: ["序号", "企业名称", "手机", "营业面积", "联系电话", "", "地址"], headerRow: 2,
                                  hasData: [true, true, true, true, true, false, true])
        #expect(m[.name] == 1)
        #expect(m[.phone] == 2)
        #expect(m[.address] == 6)
        #expect(m.unknown == [.init(index: 3, header: "营业面积")])
        #expect(m.duplicates == [.init(field: .phone, indices: [2, 4])])
        #expect(m.problems.map(\.description) == [
            "row 2, 营业面积 (D): warning: unknown column '营业面积'; it is ignored",
            "row 2, 手机 (C): warning: '手机' (C), '联系电话' (E) all mean phone; the first is used",
        ])
    }
}

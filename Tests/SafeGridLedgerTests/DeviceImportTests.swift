import Foundation
import SafeGridCore
import Testing
@testable import SafeGridLedger

@Suite struct DeviceImportTests {
    static let code1 = Fixture.creditCode("91330109MA2B3C4D5")

    static func validate(_ csv: String) throws -> DeviceImport {
        DeviceImporter.validate(try LedgerReader.read(Data(csv.utf8)), villages: try Fixture.areas())
    }

    @Test func chineseHeadersKindsDatesAndTheSubjectByCodeOrByNameInTheVillage() throws {
        let r = try Self.validate("""
            序号,平台,设备编号,设备类型,厂商,统一社会信用代码,检查对象名称,村(社区),房间,安装日期,经度,纬度
            1,plat-a,SD-01,智慧烟感,海曼,\(Self.code1),,,201,2026/11/28,,
            2,plat-a,SD-02,独立式感烟火灾探测报警器,海曼,,瓜沥 五金店,航坞社区居民委员会,,2026年11月27日,120.47,30.19
            3,plat-a,LC-01,lifeChannelMonitor,大华,\(Self.code1),,,,46000,,
            4,plat-a,CP-01,充电桩,小绿人,\(Self.code1),,,,2026-11-26,,
            5,plat-a,FP-01,Fire-point monitor,海康,\(Self.code1),,,,2026-11-25,,
            """)
        #expect(r.problems.isEmpty, "\(r.problems)")
        #expect(r.candidates.map(\.kind) == [.smokeDetector, .smokeDetector, .lifeChannelMonitor, .chargingPile, .firePointMonitor])
        #expect(r.candidates.map(\.installedOn.description) == ["2026-11-28", "2026-11-27", "2025-12-09", "2026-11-26", "2026-11-25"])
        #expect(r.candidates.map(\.serial) == ["SD-01", "SD-02", "LC-01", "CP-01", "FP-01"])
        #expect(r.candidates[0].subject == .creditCode(Self.code1) && r.candidates[0].room == "201" && r.candidates[0].position == nil)
        let hangwu = try #require(try Fixture.areas().first { $0.name == "航坞社区" }).code
        #expect(r.candidates[1].subject == .name(villageCode: hangwu, written: "瓜沥 五金店", match: "瓜沥五金店"))
        let p = try #require(r.candidates[1].position)
        #expect(p.datum == .gcj02 && abs(p.latitude - 30.19) < 1e-9 && abs(p.longitude - 120.47) < 1e-9)
    }

    @Test func englishHeadersAndAPlainKindColumnAreReadToo() throws {
        let r = try Self.validate("""
            platformId,serial,kind,vendor,creditCode,room,installedOn
            plat-a,SD-9,smokeDetector,Heiman,\(Self.code1),,2026-11-01
            """)
        #expect(r.problems.isEmpty, "\(r.problems)")
        #expect(r.kindField == .kind)
        #expect(r.candidates.map(\.serial) == ["SD-9"] && r.candidates.first?.platformID == "plat-a")
    }

    @Test func badValuesAreRejectedRowByRowWithTheirColumns() throws {
        let r = try Self.validate("""
            平台,设备编号,设备类型,厂商,统一社会信用代码,检查对象名称,村(社区),安装日期,经度,纬度
            plat-a,SD-01,烟雾报警,海曼,\(Self.code1),,,2026-11-28,,
            plat-a,SD-02,智慧烟感,海曼,913301090000000000,,,2026-11-28,,
            plat-a,SD-03,智慧烟感,海曼,,某店,无名村,2026-11-28,,
            plat-a,SD-04,智慧烟感,海曼,,某店,,2026-11-28,,
            plat-a,SD-05,智慧烟感,,\(Self.code1),,,2026-11-28,,
            ,SD-06,智慧烟感,海曼,\(Self.code1),,,2026-11-28,,
            plat-a,SD-07,智慧烟感,海曼,\(Self.code1),,,昨天,,
            plat-a,SD-08,智慧烟感,海曼,\(Self.code1),,,2026-11-28,120.47,
            plat-a,SD-09,智慧烟感,海曼,\(Self.code1),,,2026-11-28,116.40,39.90
            plat-a,SD-10,智慧烟感,海曼,\(Self.code1),,,2026-11-28,,
            plat-a,SD-10,充电桩,海曼,\(Self.code1),,,2026-11-28,,
            plat-b,SD-10,智慧烟感,海曼,\(Self.code1),,,,,
            plat-b,SD-11,,海曼,,,,2026-11-28,,
            """)
        #expect(r.candidates.map(\.row) == [11])
        #expect(r.rejectedRows == [2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14])
        let reasons = r.problems.map { "\($0.row ?? 0) \($0.column ?? ""): \($0.reason)" }
        #expect(reasons.contains("2 设备类型: '烟雾报警' is not a device kind; expected 智慧烟感, 生命通道监控, 充电桩 or 火点监测 (smokeDetector, lifeChannelMonitor, chargingPile, firePointMonitor)"))
        #expect(reasons.contains { $0.hasPrefix("3 统一社会信用代码: check character") }, "\(reasons)")
        #expect(reasons.contains { $0.hasPrefix("4 村(社区): '无名村' is not one of the 74 known villages and communities") })
        #expect(reasons.contains("5 村(社区): a subject named without its credit code needs its village or community (村(社区))"))
        #expect(reasons.contains("6 厂商: the vendor (厂商) is empty"))
        #expect(reasons.contains("7 平台: the IoT platform (平台) is empty"))
        #expect(reasons.contains { $0.hasPrefix("8 安装日期: ") }, "\(reasons)")
        #expect(reasons.contains("9 经度: a longitude is given without a latitude"), "\(reasons)")
        #expect(reasons.contains { $0.hasPrefix("10 纬度: ") }, "\(reasons)")
        #expect(reasons.contains("12 设备编号: the same device as row 11 (platform plat-a, serial SD-10); the row is left out"))
        #expect(reasons.contains("13 安装日期: the installed day (安装日期) is empty"))
        #expect(reasons.contains("14 设备类型: the device kind (设备类型) is empty; expected 智慧烟感, 生命通道监控, 充电桩 or 火点监测"))
        #expect(reasons.contains("14 统一社会信用代码: the subject is not named: give its 统一社会信用代码, or its name (检查对象名称) and 村(社区)")
                || reasons.contains("14 检查对象名称: the subject is not named: give its 统一社会信用代码, or its name (检查对象名称) and 村(社区)"), "\(reasons)")

        // The header needs its columns; a row number column (序号) is not a serial.
        let none = try Self.validate("序号,平台,设备类型,厂商,检查对象名称,安装日期\r\n1,plat-a,智慧烟感,海曼,某店,2026-11-28\r\n")
        #expect(none.fileErrors.map(\.reason).first?.hasPrefix("the header has no column for 设备编号 (serial), 统一社会信用代码 (credit code) or 检查对象名称 + 村(社区) (subject name + village)") == true,
                "\(none.fileErrors)")
        #expect(none.candidates.isEmpty)
    }

    @Test func kinds() throws {
        #expect(DeviceKind.allCases.map { DeviceImporter.parseKind($0.zh) } == DeviceKind.allCases)
        #expect(DeviceKind.allCases.map { DeviceImporter.parseKind($0.rawValue) } == DeviceKind.allCases)
        #expect(DeviceKind.allCases.map { DeviceImporter.parseKind($0.zhFormal) } == DeviceKind.allCases)
        #expect(DeviceImporter.parseKind("独立式感烟火灾探测报警器") == .smokeDetector)
        #expect(DeviceImporter.parseKind("SMOKEDETECTOR") == .smokeDetector && DeviceImporter.parseKind(" 充电桩 ") == .chargingPile)
        #expect(DeviceImporter.parseKind("烟感") == .smokeDetector && DeviceImporter.parseKind("摄像头") == nil)
        #expect(LedgerHeaders.field(for: "设备编号") == .deviceSerial && LedgerHeaders.field(for: "serial") == .deviceSerial)
        #expect(LedgerHeaders.field(for: "序号") == .serialNumber && LedgerHeaders.field(for: "房间") == .room
                && LedgerHeaders.field(for: "房间数") == .rooms)
    }
}

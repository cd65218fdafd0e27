import Foundation
import SafeGridCore

/// How a device row names the subject it is bound to.
public enum DeviceSubjectReference: Hashable, Sendable, CustomStringConvertible {
    /// The subject's unified social credit code (``CreditCode/value``).
    case creditCode(String)
    /// The subject's name within a village: the 12-digit village code, the name as written (for
    /// messages) and its ``SubjectImporter/matchText(_:)`` form (for matching).
    case name(villageCode: String, written: String, match: String)

    public var description: String {
        switch self {
        case .creditCode(let c): "统一社会信用代码 \(c)"
        case .name(let v, let written, _): "\(written) in village \(v)"
        }
    }
}

/// One valid row of a device ledger (设备台账): a smart fire device and the subject it is bound to.
/// The rules of registration (platform active, subject inside the platform's area, serial free,
/// install day not after today, text lengths) are not checked here: they need the stored platform
/// and subject and are the application's (the same check as the registration API's).
public struct DeviceImportRow: Hashable, Sendable {
    /// The row's number in the file (``LedgerRow/number``).
    public let row: Int
    /// The IoT platform's id as written (trimmed).
    public let platformID: String
    /// The device's serial on the platform as written (trimmed).
    public let serial: String
    public let kind: DeviceKind
    public let vendor: String
    public let subject: DeviceSubjectReference
    /// `nil` when the cell is blank.
    public let room: String?
    /// The Asia/Shanghai day it was installed.
    public let installedOn: CalendarDate
    /// GCJ-02 (or converted to it from ``DeviceImportOptions/datum``); `nil` when not given.
    public let position: GeoPoint?
}

/// The outcome of validating a device ledger.
public struct DeviceImport: Sendable {
    /// Rows that can be checked against the stored platforms and subjects, in file order.
    public let candidates: [DeviceImportRow]
    /// Every problem (the reader's, the header's, each row's), sorted by row, file-level first.
    public let problems: [LedgerProblem]
    /// Numbers of the rows rejected, ascending.
    public let rejectedRows: [Int]
    public let mapping: HeaderMapping
    /// The column that holds the device kind: 设备类型, else a plain 类型; `nil` when neither.
    public let kindField: LedgerField?
    /// File-level errors (a required column missing): when not empty, ``candidates`` is empty.
    public var fileErrors: [LedgerProblem] { problems.filter { $0.row == nil && $0.severity == .error } }
}

/// Settings of a device import.
public struct DeviceImportOptions: Sendable {
    /// What the coordinates are: ``Datum/gcj02`` (the default, as the registration API takes them)
    /// or ``Datum/wgs84``; positions are handed on in GCJ-02.
    public var datum: Datum
    /// The district positions must lie in (within 3 km); `nil` checks only ranges.
    public var boundary: DistrictBoundary?

    public init(datum: Datum = .gcj02, boundary: DistrictBoundary? = .xiaoshan) {
        self.datum = datum
        self.boundary = boundary
    }
}

/// Validates the rows of a device ledger (设备台账): the smart smoke detectors, life-channel
/// monitors, charging piles and fire-point monitors of the campaign (issue part "Devices"; the
/// glossary's device kinds), one device per row.
///
/// Columns: 平台 (the IoT platform's id), 设备编号 / 序列号 (serial), 设备类型 (or 类型: 智慧烟感,
/// 独立式感烟火灾探测报警器, 生命通道监控, 充电桩, 火点监测, or the raw values `smokeDetector`,
/// `lifeChannelMonitor`, `chargingPile`, `firePointMonitor`), 厂商 (vendor), the subject by
/// 统一社会信用代码 or by 检查对象名称 / 名称 with 村(社区), 安装日期 (any date shape
/// ``LedgerValues/date(_:system:)`` reads), and optionally 房间 and 经度 + 纬度 (or 坐标).
///
/// Per row: every required cell filled; a credit code valid by GB 32100 (a number cell is refused:
/// Excel has cut it to 15 digits); without one, the name and a village of `villages` (name or
/// 12-digit code); a kind that ``parseKind(_:)`` knows; a readable day; a position inside the
/// boundary. The same platform and serial as an earlier row rejects the later one. A row with
/// any error is rejected whole.
///
/// Missing columns (平台, 设备编号, 设备类型, 厂商, 安装日期, and 统一社会信用代码 or 名称 + 村(社区))
/// are a file-level error: no row is accepted.
public enum DeviceImporter {
    /// - Parameters:
    ///   - table: from ``LedgerReader``.
    ///   - villages: the villages a 村(社区) cell may name. The importer's jurisdiction is applied by
    ///     passing only the villages inside it; a village outside is then unknown.
    public static func validate(_ table: LedgerTable, villages: [Area], options: DeviceImportOptions = .init()) -> DeviceImport {
        let mapping = LedgerHeaders.map(table)
        var problems = table.problems + mapping.problems
        var candidates: [DeviceImportRow] = []
        var rejected = Set(table.problems.filter { $0.severity == .error }.compactMap(\.row))
        let kindField: LedgerField? = mapping[.deviceKind] != nil ? .deviceKind : mapping[.kind] != nil ? .kind : nil

        var missing: [String] = []
        if mapping[.platform] == nil { missing.append("平台 (platform)") }
        if mapping[.deviceSerial] == nil { missing.append("设备编号 (serial)") }
        if kindField == nil { missing.append("设备类型 (kind)") }
        if mapping[.vendor] == nil { missing.append("厂商 (vendor)") }
        if mapping[.installedOn] == nil { missing.append("安装日期 (installed on)") }
        if mapping[.creditCode] == nil && (mapping[.name] == nil || mapping[.village] == nil) {
            missing.append("统一社会信用代码 (credit code) or 检查对象名称 + 村(社区) (subject name + village)")
        }
        if !missing.isEmpty {
            problems.append(LedgerProblem(row: nil, reason: "the header has no column for \(missing.joined(separator: ", ")); found \(table.header.filter { !$0.isEmpty }.joined(separator: ", "))"))
            return DeviceImport(candidates: [], problems: IncidentImporter.sorted(problems), rejectedRows: [], mapping: mapping, kindField: kindField)
        }
        if table.rows.isEmpty {
            problems.append(LedgerProblem(row: nil, reason: "the file has a header but no data rows", severity: .warning))
        }

        let resolver = VillageNames.Resolver(areas: villages)
        var villageCache: [String: Result<Area, InvalidValue>] = [:]
        var seen: [String: Int] = [:]
        let system = table.dateSystem

        for row in table.rows {
            if rejected.contains(row.number) { continue }
            var cells = MappedRow(row, table: table, mapping: mapping)
            func problem(_ field: LedgerField?, _ reason: String, _ severity: LedgerProblem.Severity = .error) {
                cells.problem(field, reason, severity)
            }

            let platform = cells.text(.platform)
            if platform == nil { problem(.platform, "the IoT platform (平台) is empty") }
            let serial = cells.writtenText(.deviceSerial)
            if serial == nil { problem(.deviceSerial, "the device's serial (设备编号) is empty") }
            let vendor = cells.writtenText(.vendor)
            if vendor == nil { problem(.vendor, "the vendor (厂商) is empty") }
            let room = cells.writtenText(.room)

            var kind: DeviceKind? = nil
            if let kindField, let raw = cells.text(kindField) {
                kind = parseKind(raw)
                if kind == nil {
                    problem(kindField, "'\(raw)' is not a device kind; expected 智慧烟感, 生命通道监控, 充电桩 or 火点监测 (smokeDetector, lifeChannelMonitor, chargingPile, firePointMonitor)")
                }
            } else {
                problem(kindField, "the device kind (设备类型) is empty; expected 智慧烟感, 生命通道监控, 充电桩 or 火点监测")
            }

            var installedOn: CalendarDate? = nil
            let day = cells.value(.installedOn)
            if day.isBlank { problem(.installedOn, "the installed day (安装日期) is empty") } else {
                do { installedOn = try LedgerValues.date(day, system: system) } catch { problem(.installedOn, error.reason) }
            }

            // The subject: the credit code when given, else the name within the village.
            var subject: DeviceSubjectReference? = nil
            switch cells.value(.creditCode) {
            case .number(let n):
                problem(.creditCode, "the credit code is stored as a number (\(LedgerValue.format(number: n))); Excel keeps only 15 digits of a number, so the code is damaged: format the column as text and type it again")
            case let v where !v.isBlank:
                do { subject = .creditCode(try CreditCode(LedgerValues.text(v, system: system) ?? "").value) } catch {
                    problem(.creditCode, error.reason)
                }
            default:
                let name = cells.writtenText(.name)
                if name == nil {
                    problem(mapping[.creditCode] != nil && mapping[.name] == nil ? .creditCode : .name,
                            "the subject is not named: give its 统一社会信用代码, or its name (检查对象名称) and 村(社区)")
                }
                var village: Area? = nil
                if let raw = cells.text(.village) {
                    let result: Result<Area, InvalidValue>
                    if let cached = villageCache[raw] { result = cached } else {
                        do { result = .success(try resolver.resolve(raw)) } catch { result = .failure(error) }
                        villageCache[raw] = result
                    }
                    switch result {
                    case .success(let a): village = a
                    case .failure(let e): problem(.village, e.reason)
                    }
                } else if name != nil {
                    problem(.village, "a subject named without its credit code needs its village or community (村(社区))")
                }
                if let name, let village {
                    subject = .name(villageCode: village.code, written: name, match: SubjectImporter.matchText(name))
                }
            }

            var position: GeoPoint? = nil
            let latText = mapping[.latitude] != nil ? cells.text(.latitude) : nil
            let lonText = mapping[.longitude] != nil ? cells.text(.longitude) : nil
            do {
                if let l = try LedgerValues.location(latitude: latText, longitude: lonText, combined: cells.text(.location),
                                                     datum: options.datum, boundary: options.boundary) {
                    position = l.point.converted(to: .gcj02)
                    if l.swappedAxes {
                        problem(mapping[.location] != nil && latText == nil ? .location : .latitude,
                                "latitude and longitude were swapped; read as \(l.point.latitude) N, \(l.point.longitude) E", .warning)
                    }
                }
            } catch {
                problem(latText != nil || lonText != nil ? (latText == nil ? .longitude : .latitude) : .location, error.reason)
            }

            // The same platform and serial as an earlier row.
            if let platform, let serial, !cells.problems.contains(where: { $0.severity == .error }) {
                let key = "\(platform)\u{1}\(serial)"
                if let first = seen[key] {
                    problem(.deviceSerial, "the same device as row \(first) (platform \(platform), serial \(serial)); the row is left out")
                } else {
                    seen[key] = row.number
                }
            }

            problems += cells.problems
            guard let platform, let serial, let vendor, let kind, let installedOn, let subject,
                  !cells.problems.contains(where: { $0.severity == .error }) else {
                rejected.insert(row.number)
                continue
            }
            candidates.append(DeviceImportRow(row: row.number, platformID: platform, serial: serial, kind: kind, vendor: vendor,
                                              subject: subject, room: room, installedOn: installedOn, position: position))
        }
        return DeviceImport(candidates: candidates, problems: IncidentImporter.sorted(problems), rejectedRows: rejected.sorted(),
                            mapping: mapping, kindField: kindField)
    }

    /// The kind a 设备类型 cell names: the campaign's name (智慧烟感, 生命通道监控, 充电桩, 火点监测),
    /// the formal one (独立式感烟火灾探测报警器, 电动自行车充电桩 …), the raw value (`smokeDetector` …)
    /// or the English name, ignoring case, width, spaces and punctuation; also 烟感. `nil` for
    /// anything else.
    public static func parseKind(_ raw: String) -> DeviceKind? {
        if let k = DeviceKind(rawValue: raw) { return k }
        let key = SubjectImporter.matchText(raw)
        for kind in DeviceKind.allCases
        where [kind.zh, kind.zhFormal, kind.rawValue, kind.en].contains(where: { SubjectImporter.matchText($0) == key }) {
            return kind
        }
        return key == "烟感" ? .smokeDetector : nil
    }
}

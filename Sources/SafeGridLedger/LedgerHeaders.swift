import Foundation

/// What a ledger column means. Raw values are the English names used in API and export headers.
public enum LedgerField: String, CaseIterable, Sendable, Hashable, Codable {
    /// 序号: the row's running number; recognised so it is not reported as unknown, never imported.
    case serialNumber
    case name, creditCode, address, village, grid, microGrid
    /// 联系人 / 负责人: the responsible party's name.
    case party
    case phone, kind, aboveScale, rooms
    case latitude, longitude
    /// One cell holding `lat,lon`.
    case location
    /// 隐患描述 / 检查项: the hazard or checklist item.
    case item, itemCode, severity, department, state
    case dueOn, inspectedOn, rectifiedOn
    case note
    /// 状态日期: the day the hazard took its current state (rebound, closure, start of work).
    case stateOn
    /// 整改过程: a hazard's events as text (export only; recognised, never imported).
    case events
    /// 分色: a subject's colour (export only; recognised, never imported: colours follow hazards).
    case colour
    /// 关停日期: when a subject was closed down (export only; closure is imported as hazard state 已关停).
    case closedDownOn
    /// 导入问题: the column ``LedgerTable/rejectedRows(_:problems:sheetName:)`` adds; recognised so
    /// that a fixed rejected-rows file re-imports without warnings, never imported.
    case importProblems
    /// 日期: the day an incident count is of (incident ledgers).
    case day
    /// 镇街: a town, named or coded (incident ledgers: the town's own counts, or the town of the village).
    case town
    /// 数量: how many (incident ledgers, with 类型 naming the incident kind).
    case count
    /// 有效警情 / 火警 / 交通事故 as columns of their own: one count per kind on the row
    /// (incident ledgers, the wide shape).
    case policeIncidents, fireAlarms, trafficAccidents
    /// 平台: the id of the IoT platform a device reports through (device ledgers).
    case platform
    /// 设备编号 / 序列号: the platform's name for a device, unique per platform (device ledgers).
    case deviceSerial
    /// 设备类型: 智慧烟感, 生命通道监控, 充电桩, 火点监测 (device ledgers; a plain 类型 column is read
    /// as the device kind when there is no 设备类型 column).
    case deviceKind
    /// 厂商: who made the device (device ledgers).
    case vendor
    /// 房间: the room of a rental house a device is in (device ledgers).
    case room
    /// 安装日期: the day a device was installed (device ledgers).
    case installedOn

    /// Header aliases (Chinese and English). Matching ignores case, width (全角/半角) and
    /// whitespace, and a required-field marker (`*`, `※`, `(必填)`); see ``LedgerHeaders/key(_:)``.
    public var aliases: [String] {
        switch self {
        case .serialNumber: ["序号", "编号", "No.", "No", "#", "index"]
        case .name: ["名称", "企业名称", "单位名称", "店铺名称", "商户名称", "场所名称", "主体名称", "市场主体名称",
                     "企业(单位)名称", "单位(企业)名称", "出租房名称", "园区名称", "检查对象名称", "检查对象", "name", "subject name", "subjectName"]
        case .creditCode: ["统一社会信用代码", "信用代码", "社会信用代码", "统一信用代码", "统一代码", "creditCode",
                           "credit code", "USCC", "unified social credit code"]
        case .address: ["地址", "经营地址", "详细地址", "场所地址", "生产经营地址", "经营场所", "住所", "房屋地址",
                        "address"]
        case .village: ["村(社区)", "所属村", "所属村社", "村社", "村/社区", "所在村", "所属村(社区)", "所在村(社区)",
                        "村(社)", "村社区", "村", "社区", "village", "community", "villageCode", "village code"]
        case .grid: ["网格", "所属网格", "网格名称", "网格编号", "网格编码", "grid", "gridCode", "grid code"]
        case .microGrid: ["微网格", "所属微网格", "微网格编号", "微网格编码", "microGrid", "micro grid", "microGridCode", "micro-grid code"]
        case .party: ["联系人", "负责人", "法定代表人", "法人代表", "法人", "当事人", "经营者", "户主", "房东", "业主",
                      "联系人姓名", "负责人姓名", "party", "contact", "responsible party", "partyName", "party name"]
        case .phone: ["联系电话", "手机", "手机号", "手机号码", "电话", "联系方式", "联系人电话", "负责人电话", "电话号码",
                      "phone", "mobile", "tel", "telephone", "partyPhone", "party phone"]
        case .kind: ["类型", "主体类型", "类别", "场所类型", "kind", "type", "subject kind"]
        case .aboveScale: ["规上企业", "是否规上", "是否规上企业", "规上", "aboveScale", "above scale"]
        case .rooms: ["房间数", "间数", "出租间数", "出租房间数", "rooms"]
        case .latitude: ["纬度", "lat", "latitude"]
        case .longitude: ["经度", "lon", "lng", "long", "longitude"]
        case .location: ["坐标", "经纬度", "位置", "定位", "地理坐标", "location", "coordinates", "coords", "lat,lon", "latlon"]
        case .item: ["隐患描述", "检查项", "隐患内容", "问题描述", "检查项目", "隐患", "存在问题", "隐患问题", "item", "hazard", "finding"]
        case .itemCode: ["检查项编码", "检查项编号", "隐患编码", "itemCode", "item code"]
        case .severity: ["隐患等级", "等级", "严重程度", "隐患级别", "severity", "level"]
        case .department: ["责任部门", "部门", "检查部门", "department"]
        case .state: ["整改状态", "状态", "整改情况", "state", "status"]
        case .dueOn: ["整改期限", "期限", "整改时限", "限改日期", "整改截止日期", "截止日期", "dueOn", "due on", "due", "due date", "deadline"]
        case .inspectedOn: ["发现日期", "检查日期", "检查时间", "排查日期", "排查时间", "发现时间", "inspectedOn", "inspected on", "inspection date", "inspectedAt"]
        case .rectifiedOn: ["整改日期", "整改完成日期", "整改完成时间", "rectifiedOn", "rectified on"]
        case .note: ["备注", "说明", "note", "notes", "remark", "remarks"]
        case .stateOn: ["状态日期", "状态变更日期", "stateOn", "state on"]
        case .events: ["整改过程", "处置过程", "events", "timeline"]
        case .colour: ["分色", "颜色", "当前分色", "colour", "color"]
        case .closedDownOn: ["关停日期", "closedDownOn", "closed down on"]
        case .importProblems: ["导入问题", "importProblems", "import problems"]
        case .day: ["日期", "统计日期", "发生日期", "报告日期", "day", "date"]
        case .town: ["镇街", "镇(街道)", "镇/街道", "镇街道", "所属镇街", "乡镇街道", "乡镇(街道)", "镇", "街道", "乡镇",
                     "town", "townCode", "town code", "subdistrict"]
        case .count: ["数量", "起数", "件数", "次数", "count", "number"]
        case .policeIncidents: ["有效警情", "有效警情数", "有效警情(起)", "警情", "警情数", "policeIncident", "police incidents"]
        case .fireAlarms: ["火警", "火警数", "火警(起)", "fireAlarm", "fire alarms"]
        case .trafficAccidents: ["交通事故", "交通事故数", "交通事故(起)", "trafficAccident", "traffic accidents"]
        case .platform: ["平台", "物联网平台", "接入平台", "所属平台", "平台编号", "IoT平台", "platformId", "platform id", "platform"]
        // "serial" is a device's serial here, not the row's running number (序号).
        case .deviceSerial: ["设备编号", "序列号", "设备序列号", "设备号", "设备ID", "serial", "device serial", "serialNo"]
        case .deviceKind: ["设备类型", "设备种类", "部件类型", "deviceKind", "device kind", "device type"]
        case .vendor: ["厂商", "生产厂商", "厂家", "生产厂家", "制造商", "品牌", "vendor", "manufacturer", "brand"]
        case .room: ["房间", "房间号", "安装房间", "所在房间", "room", "room number"]
        case .installedOn: ["安装日期", "安装时间", "installedOn", "installed on", "install date", "installation date"]
        }
    }

    /// The Chinese header SafeGrid writes in exports (the first alias but one for name/serial).
    public var zh: String {
        switch self {
        case .serialNumber: "序号"
        case .name: "名称"
        case .creditCode: "统一社会信用代码"
        case .address: "地址"
        case .village: "村(社区)"
        case .grid: "网格"
        case .microGrid: "微网格"
        case .party: "联系人"
        case .phone: "联系电话"
        case .kind: "类型"
        case .aboveScale: "规上企业"
        case .rooms: "房间数"
        case .latitude: "纬度"
        case .longitude: "经度"
        case .location: "坐标"
        case .item: "隐患描述"
        case .itemCode: "检查项编码"
        case .severity: "隐患等级"
        case .department: "责任部门"
        case .state: "整改状态"
        case .dueOn: "整改期限"
        case .inspectedOn: "发现日期"
        case .rectifiedOn: "整改日期"
        case .note: "备注"
        case .stateOn: "状态日期"
        case .events: "整改过程"
        case .colour: "分色"
        case .closedDownOn: "关停日期"
        case .importProblems: "导入问题"
        case .day: "日期"
        case .town: "镇街"
        case .count: "数量"
        case .policeIncidents: "有效警情"
        case .fireAlarms: "火警"
        case .trafficAccidents: "交通事故"
        case .platform: "平台"
        case .deviceSerial: "设备编号"
        case .deviceKind: "设备类型"
        case .vendor: "厂商"
        case .room: "房间"
        case .installedOn: "安装日期"
        }
    }
}

/// Which column holds which field.
public struct HeaderMapping: Hashable, Sendable {
    /// Field → 0-based column. When two columns mean the same field, the first is used.
    public let columns: [LedgerField: Int]
    /// Columns whose header is not a known alias (index, header text); empty headers over
    /// empty columns are not listed.
    public let unknown: [Unknown]
    /// Fields named by more than one column (all their columns, in order).
    public let duplicates: [Duplicate]
    /// Warnings for people: one per unknown and duplicate header, with the header row's number.
    public let problems: [LedgerProblem]

    public struct Unknown: Hashable, Sendable {
        public let index: Int
        public let header: String
    }

    public struct Duplicate: Hashable, Sendable {
        public let field: LedgerField
        public let indices: [Int]
    }

    public subscript(_ field: LedgerField) -> Int? { columns[field] }
}

/// Mapping header texts to ``LedgerField``s by alias.
public enum LedgerHeaders {
    /// The comparable form of a header: full-width → half-width (NFKC), lowercase, without
    /// whitespace, `_`, `-`, `*`, `※`, `:` and a trailing `(必填)`/`(选填)`.
    /// `"  企业名称* "` → `"企业名称"`, `"Credit_Code"` → `"creditcode"`, `"村（社区）"` → `"村(社区)"`.
    public static func key(_ header: String) -> String {
        var s = header.precomposedStringWithCompatibilityMapping.lowercased()
        for marker in ["(必填)", "(选填)", "(可选)", "(required)", "(optional)"] {
            s = s.replacingOccurrences(of: marker, with: "")
        }
        return String(s.unicodeScalars.filter { u in
            !u.properties.isWhitespace && !"_-*※:".unicodeScalars.contains(u) && u.value != 0xFEFF && u.value != 0x200B
        }.map(Character.init))
    }

    private static let aliasTable: [String: LedgerField] = {
        var t: [String: LedgerField] = [:]
        for f in LedgerField.allCases {
            for a in f.aliases { t[key(a)] = t[key(a)] ?? f }
            t[key(f.rawValue)] = t[key(f.rawValue)] ?? f
        }
        return t
    }()

    /// The field a header names, or `nil`. Tries the whole header, then (for a header over two
    /// rows) the group followed by the header (`联系人` + `电话` = 联系人电话), then the header
    /// without a parenthesised remark (`联系电话(手机)` → 联系电话).
    public static func field(for header: String, group: String = "") -> LedgerField? {
        let k = key(header)
        guard !k.isEmpty else { return nil }
        if let f = aliasTable[k] { return f }
        if !group.isEmpty, let f = aliasTable[key(group) + k] { return f }
        if let open = k.firstIndex(of: "("), open != k.startIndex {
            if let f = aliasTable[String(k[..<open])] { return f }
        }
        return nil
    }

    /// Maps a header row.
    ///
    /// - Parameters:
    ///   - header: header texts per column.
    ///   - groups: group texts above them (``LedgerTable/headerGroups``), or empty.
    ///   - headerRow: the header's row number, for the problems.
    ///   - hasData: per column, whether any data row has a value there (an empty, header-less
    ///     column is not reported); `nil` = report all.
    /// - Returns: the mapping; unknown headers and duplicate fields become warnings.
    public static func map(header: [String], groups: [String] = [], headerRow: Int? = nil, hasData: [Bool]? = nil) -> HeaderMapping {
        var columns: [LedgerField: Int] = [:]
        var all: [LedgerField: [Int]] = [:]
        var unknown: [HeaderMapping.Unknown] = []
        for (i, h) in header.enumerated() {
            let group = i < groups.count ? groups[i] : ""
            if let f = field(for: h, group: group) {
                all[f, default: []].append(i)
                if columns[f] == nil { columns[f] = i }
            } else if !(h.isEmpty && !(hasData.map { i < $0.count && $0[i] } ?? false)) {
                unknown.append(.init(index: i, header: h))
            }
        }
        let duplicates = all.filter { $0.value.count > 1 }.map { HeaderMapping.Duplicate(field: $0.key, indices: $0.value) }
            .sorted { $0.indices[0] < $1.indices[0] }
        var problems: [LedgerProblem] = []
        for u in unknown {
            problems.append(LedgerProblem(row: headerRow, column: u.header.isEmpty ? nil : u.header, columnIndex: u.index,
                                          reason: u.header.isEmpty ? "column \(LedgerTable.columnLetters(u.index)) has values but no header; it is ignored"
                                                                   : "unknown column '\(u.header)'; it is ignored",
                                          severity: .warning))
        }
        for d in duplicates {
            let names = d.indices.map { "'\(header[$0])' (\(LedgerTable.columnLetters($0)))" }.joined(separator: ", ")
            problems.append(LedgerProblem(row: headerRow, column: header[d.indices[0]], columnIndex: d.indices[0],
                                          reason: "\(names) all mean \(d.field.rawValue); the first is used",
                                          severity: .warning))
        }
        return HeaderMapping(columns: columns, unknown: unknown, duplicates: duplicates, problems: problems)
    }

    /// Maps a table's header (groups and data presence included).
    public static func map(_ table: LedgerTable) -> HeaderMapping {
        var hasData = Array(repeating: false, count: table.header.count)
        for row in table.rows {
            for (i, c) in row.cells.enumerated() where i < hasData.count && !hasData[i] && !c.value.isBlank { hasData[i] = true }
        }
        return map(header: table.header, groups: table.headerGroups, headerRow: table.headerRowNumber, hasData: hasData)
    }
}

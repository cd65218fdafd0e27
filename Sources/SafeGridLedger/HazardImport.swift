import Foundation
import SafeGridCore

/// One valid row of a hazard ledger (隐患台账): a hazard of a subject, with its dates and state.
public struct HazardImportRow: Hashable, Sendable {
    /// The row's number in the file (``LedgerRow/number``).
    public let row: Int
    /// How to find the subject: credit code, else name + address within the village (as
    /// ``SubjectImporter`` keys subject rows, so a subject ledger and a hazard ledger agree).
    public let subject: SubjectMatchKey
    /// The subject's name as written (for messages).
    public let subjectName: String
    /// A code of the checklist given to ``HazardImporter/validate(_:villages:checklist:options:)``.
    public let itemCode: String
    /// `nil` = the item's default severity.
    public let severity: Severity?
    public let foundOn: CalendarDate
    /// `nil` = the item's default deadline.
    public let dueOn: CalendarDate?
    /// The state the hazard is in now: from 整改状态, else rectified when 整改日期 is set, else open.
    public let state: HazardState
    /// When it was verified rectified (required for 整改到位; the last verification of a rebound,
    /// also of a 整改中 hazard that rebounded before).
    public let rectifiedOn: CalendarDate?
    /// When it took its current state (start of work, rebound, closure); defaults to the
    /// rectified or found day.
    public let stateOn: CalendarDate
    public let note: String?
}

/// The outcome of validating a hazard ledger.
public struct HazardImport: Sendable {
    public let candidates: [HazardImportRow]
    /// Sorted by row, file-level first.
    public let problems: [LedgerProblem]
    public let rejectedRows: [Int]
    public let mapping: HeaderMapping
    public var fileErrors: [LedgerProblem] { problems.filter { $0.row == nil && $0.severity == .error } }
}

/// Settings of a hazard import.
public struct HazardImportOptions: Sendable {
    /// Dates after this day are refused (today in Asia/Shanghai).
    public var today: CalendarDate
    /// Rows without a resolvable village are rejected unless they name the subject by credit code.
    public var requireVillage: Bool

    public init(today: CalendarDate, requireVillage: Bool = true) {
        self.today = today
        self.requireVillage = requireVillage
    }
}

/// Validates the rows of a hazard ledger: one row per hazard, naming its subject (credit code,
/// or name + address + village), its checklist item (检查项编码, or 隐患描述 equal to the item's
/// Chinese text), severity, found day, deadline, state and its days.
///
/// Per row: the subject key (credit code checked by GB 32100; else name, address and — when
/// ``HazardImportOptions/requireVillage`` — a resolvable village); the item known to the
/// checklist; 发现日期 required, not after today; 整改期限 not before 发现日期; 整改状态 one of
/// 未整改 / 整改中 / 整改到位 (已整改) / 隐患反弹 / 已关停 (or the English state names); 整改日期
/// required for 整改到位 and not before 发现日期; 状态日期 not before 整改日期 or 发现日期.
/// The same subject, item and found day twice in the file is rejected ("the same hazard as row 5").
public enum HazardImporter {
    public static func validate(_ table: LedgerTable, villages: [Area], checklist: Checklist,
                                options: HazardImportOptions) -> HazardImport {
        let mapping = LedgerHeaders.map(table)
        var problems = table.problems + mapping.problems
        var candidates: [HazardImportRow] = []
        var rejected = Set(table.problems.filter { $0.severity == .error }.compactMap(\.row))

        var missing: [String] = []
        if mapping[.creditCode] == nil && (mapping[.name] == nil || mapping[.address] == nil) {
            missing.append("统一社会信用代码 (creditCode) or 名称 + 地址 (name + address)")
        }
        if mapping[.itemCode] == nil && mapping[.item] == nil { missing.append("检查项编码 (itemCode) or 隐患描述 (item)") }
        if mapping[.inspectedOn] == nil { missing.append("发现日期 (inspectedOn)") }
        if !missing.isEmpty {
            problems.append(LedgerProblem(row: nil, reason: "the header has no column for \(missing.joined(separator: ", ")); found \(table.header.filter { !$0.isEmpty }.joined(separator: ", "))"))
            return HazardImport(candidates: [], problems: problems, rejectedRows: [], mapping: mapping)
        }
        if table.rows.isEmpty {
            problems.append(LedgerProblem(row: nil, reason: "the file has a header but no data rows", severity: .warning))
        }
        let resolver = VillageNames.Resolver(areas: villages)
        let itemsByCode = Dictionary(checklist.items.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        let itemsByText = Dictionary(checklist.items.map { (SubjectImporter.matchText($0.zh), $0) }, uniquingKeysWith: { a, _ in a })
        var seen: [String: Int] = [:]
        let system = table.dateSystem

        for row in table.rows {
            if rejected.contains(row.number) { continue }
            var cells = MappedRow(row, table: table, mapping: mapping)
            func problem(_ field: LedgerField?, _ reason: String, _ severity: LedgerProblem.Severity = .error) {
                cells.problem(field, reason, severity)
            }
            func value(_ field: LedgerField) -> LedgerValue { cells.value(field) }
            func text(_ field: LedgerField) -> String? { cells.text(field) }
            func date(_ field: LedgerField) -> CalendarDate? {
                let v = value(field)
                guard !v.isBlank else { return nil }
                do {
                    let d = try LedgerValues.date(v, system: system)
                    if field != .dueOn, d > options.today { problem(field, "\(d) is in the future (today is \(options.today))"); return nil }
                    return d
                } catch { problem(field, error.reason); return nil }
            }

            // Subject.
            var key: SubjectMatchKey? = nil
            let name = text(.name)
            switch value(.creditCode) {
            case .number(let n):
                problem(.creditCode, "the credit code is stored as a number (\(LedgerValue.format(number: n))); Excel keeps only 15 digits of a number: format the column as text and type it again")
            case let v where !v.isBlank:
                do { key = .creditCode(try CreditCode(LedgerValues.text(v, system: system) ?? "").value) } catch { problem(.creditCode, error.reason) }
            default:
                let address = text(.address)
                var villageCode: String? = nil
                if let raw = text(.village) {
                    do { villageCode = try resolver.resolve(raw).code } catch { problem(.village, error.reason) }
                } else if options.requireVillage {
                    problem(.village, "the village or community is empty (needed to find a subject without a credit code)")
                }
                if name == nil { problem(.name, "neither a credit code nor the subject's name is given") }
                if address == nil { problem(.address, "neither a credit code nor the subject's address is given") }
                if let name, let address {
                    key = .nameAddress(villageCode: villageCode, name: SubjectImporter.matchText(name),
                                       address: SubjectImporter.matchText(address))
                }
            }

            // Item.
            var itemCode: String? = nil
            if let code = text(.itemCode) {
                if itemsByCode[code] != nil { itemCode = code } else {
                    problem(.itemCode, "unknown checklist item \(code) in version \(checklist.version)")
                }
            } else if let t = text(.item) {
                if itemsByCode[t] != nil { itemCode = t }
                else if let item = itemsByText[SubjectImporter.matchText(t)] { itemCode = item.code }
                else { problem(.item, "'\(t)' is not an item of checklist version \(checklist.version); give its code in 检查项编码") }
            } else {
                problem(mapping[.itemCode] != nil ? .itemCode : .item, "the checklist item is empty")
            }

            // Severity.
            var severity: Severity? = nil
            if let s = text(.severity) {
                if let v = parseSeverity(s) { severity = v } else {
                    problem(.severity, "'\(s)' is not a severity; expected 一般, 较严重 or 极严重")
                }
            }

            // Dates and state.
            let foundOn = date(.inspectedOn)
            if value(.inspectedOn).isBlank { problem(.inspectedOn, "the found day (发现日期) is empty") }
            let dueOn = date(.dueOn)
            var rectifiedOn = date(.rectifiedOn)
            let stateOnGiven = date(.stateOn)
            var state: HazardState = rectifiedOn != nil ? .rectified : .open
            if let s = text(.state) {
                if let v = parseState(s) { state = v } else {
                    problem(.state, "'\(s)' is not a state; expected 未整改, 整改中, 整改到位, 隐患反弹 or 已关停")
                }
            }
            if let f = foundOn {
                if let d = dueOn, d < f { problem(.dueOn, "the deadline \(d) is before the found day \(f)") }
                if let r = rectifiedOn, r < f { problem(.rectifiedOn, "the rectified day \(r) is before the found day \(f)"); rectifiedOn = nil }
                if let s = stateOnGiven, s < (rectifiedOn ?? f) { problem(.stateOn, "the state's day \(s) is before \(rectifiedOn == nil ? "the found day" : "the rectified day") \(rectifiedOn ?? f)") }
            }
            if state == .rectified && rectifiedOn == nil && value(.rectifiedOn).isBlank {
                problem(.rectifiedOn, "a rectified hazard (整改到位) needs its rectified day (整改日期)")
            }
            // 整改中 with a rectified day: verified once, found again (反弹) and being fixed again.
            if state == .open && rectifiedOn != nil {
                problem(.rectifiedOn, "the hazard is \(state.zh) but has a rectified day; the day is ignored", .warning)
                rectifiedOn = nil
            }
            let note = text(.note)
            if note != nil, !SubjectImporter.plainText(note, max: TextRules.note) {
                do { try TextRules.check(note, "note", max: TextRules.note, multiline: true) } catch { problem(.note, error.reason) }
            }

            if let key, let itemCode, let foundOn, !cells.problems.contains(where: { $0.severity == .error }) {
                let dup = "\(key)|\(itemCode)|\(foundOn)"
                if let first = seen[dup] {
                    problem(.itemCode, "the same hazard as row \(first) (\(key), item \(itemCode), found \(foundOn)); the row is left out")
                } else {
                    seen[dup] = row.number
                }
            }
            problems += cells.problems
            guard let key, let itemCode, let foundOn, !cells.problems.contains(where: { $0.severity == .error }) else {
                rejected.insert(row.number)
                continue
            }
            candidates.append(HazardImportRow(
                row: row.number, subject: key, subjectName: name ?? "", itemCode: itemCode, severity: severity,
                foundOn: foundOn, dueOn: dueOn, state: state, rectifiedOn: rectifiedOn,
                stateOn: stateOnGiven ?? rectifiedOn ?? foundOn, note: note))
        }
        let sorted = problems.enumerated().sorted { a, b in
            let ra = a.element.row ?? 0, rb = b.element.row ?? 0
            return ra != rb ? ra < rb : a.offset < b.offset
        }.map(\.element)
        return HazardImport(candidates: candidates, problems: sorted, rejectedRows: rejected.sorted(), mapping: mapping)
    }

    /// 一般 / 一般隐患 / general; 较严重 / 较大 / 较严重隐患 / serious; 极严重 / 重大 / 重大隐患 / extremelySevere.
    public static func parseSeverity(_ s: String) -> Severity? {
        let k = SubjectImporter.matchText(s)
        if let v = Severity(rawValue: s) { return v }
        switch k {
        case "一般", "一般隐患", "general", "低": return .general
        case "较严重", "较严重隐患", "较大", "较大隐患", "serious", "中": return .serious
        case "极严重", "极严重隐患", "重大", "重大隐患", "extremelysevere", "extremely severe", "高": return .extremelySevere
        default: return nil
        }
    }

    /// The states' Chinese and English names, and the usual ledger words (已整改, 待整改, 已完成, 反弹, 关停).
    public static func parseState(_ s: String) -> HazardState? {
        if let v = HazardState(rawValue: s) { return v }
        let k = SubjectImporter.matchText(s)
        for state in HazardState.allCases where k == SubjectImporter.matchText(state.zh) || k == SubjectImporter.matchText(state.en) {
            return state
        }
        switch k {
        case "未整改", "待整改", "未完成", "notrectified": return .open
        case "整改中", "正在整改", "inprogress": return .rectifying
        case "已整改", "整改完成", "已完成", "完成", "整改到位", "done": return .rectified
        case "反弹", "隐患反弹": return .rebound
        case "关停", "已关停", "closeddown", "closed": return .closedDown
        default: return nil
        }
    }
}

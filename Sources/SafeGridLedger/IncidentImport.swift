import Foundation
import SafeGridCore

/// One incident count of a ledger row: how many incidents of a kind.
public struct IncidentCount: Hashable, Sendable {
    public let kind: IncidentKind
    /// 0 … ``IncidentImporter/maximumCount``.
    public let count: Int

    public init(kind: IncidentKind, count: Int) {
        self.kind = kind
        self.count = count
    }
}

/// One valid row of an incident ledger (警情台账): the counts of one area on one day.
public struct IncidentImportRow: Hashable, Sendable {
    /// The row's number in the file (``LedgerRow/number``).
    public let row: Int
    /// A 12-digit village or community code, or a 9-digit town code (the town's own count,
    /// not attributed to a village).
    public let areaCode: String
    /// The area's name as the area tree spells it (东湖村), for messages.
    public let areaName: String
    /// The Asia/Shanghai day the counts are of.
    public let day: CalendarDate
    /// One per kind the row gives, in ``IncidentKind`` order: one for a row of the long shape
    /// (类型 + 数量), one to three for the wide shape (a column per kind; a blank cell gives none).
    public let counts: [IncidentCount]
}

/// The outcome of validating an incident ledger.
public struct IncidentImport: Sendable {
    /// Rows that can be imported, in file order.
    public let candidates: [IncidentImportRow]
    /// Every problem (the reader's, the header's, each row's), sorted by row, file-level first.
    public let problems: [LedgerProblem]
    /// Numbers of the rows rejected, ascending.
    public let rejectedRows: [Int]
    public let mapping: HeaderMapping
    /// File-level errors (a required column missing): when not empty, ``candidates`` is empty.
    public var fileErrors: [LedgerProblem] { problems.filter { $0.row == nil && $0.severity == .error } }
}

/// Settings of an incident import.
public struct IncidentImportOptions: Sendable {
    /// Days after this one are refused (today in Asia/Shanghai).
    public var today: CalendarDate
    /// Days before this one are refused as a typing error (default 1990-01-01, where the
    /// plausible Excel date serials of ``LedgerValues/plausibleSerials`` begin).
    public var earliest: CalendarDate

    public init(today: CalendarDate, earliest: CalendarDate = IncidentImportOptions.defaultEarliest) {
        self.today = today
        self.earliest = earliest
    }

    /// 1990-01-01.
    public static let defaultEarliest: CalendarDate = {
        // A literal date that exists.
        guard let d = try? CalendarDate(year: 1990, month: 1, day: 1) else { preconditionFailure("1990-01-01") }
        return d
    }()
}

/// Validates the rows of an incident ledger: counts of valid police incidents (有效警情), fire
/// alarms (火警) and traffic accidents (交通事故) per area and day, as public security, fire
/// rescue and traffic police report them to the town (source: the campaign article's results,
/// shared/seed/guali-campaign-article.txt; the glossary's incident kinds).
///
/// Two shapes of header are read:
/// - long: 日期, 村(社区) and/or 镇街, 类型 (有效警情 / 火警 / 交通事故, or the raw values
///   `policeIncident`, `fireAlarm`, `trafficAccident`), 数量 — one count per row;
/// - wide: 日期, 村(社区) and/or 镇街, and a column per kind (有效警情, 火警, 交通事故) — up to
///   three counts per row; a blank cell gives no count for that kind (0 is a count).
///
/// Per row: 日期 required, a date in any shape ``LedgerValues/date(_:system:)`` reads (Excel
/// serials, 2026/11/30, 2026-11-30, 2026年11月30日), not after today nor before
/// ``IncidentImportOptions/earliest``; the area: a village or community of `areas` (name or
/// 12-digit code, ``VillageNames/Resolver``; among the town's villages when 镇街 is given too),
/// else a town of `areas` (name or 9-digit code: the town's own count); each count a whole
/// number from 0 to ``maximumCount``. The same area, day and kind twice in the file is
/// rejected ("the same … as row 5"). A row with any error is rejected whole: none of its
/// counts is taken.
///
/// Missing columns (日期; 村(社区) or 镇街; 类型 + 数量 or a per-kind column) and a header with
/// both shapes are file-level errors: no row is accepted.
public enum IncidentImporter {
    /// The largest count a row may give for one area, day and kind: more than any town
    /// records in a day; a larger number is a typing error (a date or a code in the wrong column).
    public static let maximumCount = 100_000

    /// The per-kind columns of the wide shape, in ``IncidentKind`` order.
    public static let kindColumns: [(LedgerField, IncidentKind)] = [
        (.policeIncidents, .policeIncident), (.fireAlarms, .fireAlarm), (.trafficAccidents, .trafficAccident),
    ]

    /// - Parameters:
    ///   - table: from ``LedgerReader``.
    ///   - areas: the areas rows may name: towns and villages (any others are ignored). The
    ///     importer's jurisdiction is applied by passing only the areas inside it; an area
    ///     outside is then unknown.
    public static func validate(_ table: LedgerTable, areas: [Area], options: IncidentImportOptions) -> IncidentImport {
        let mapping = LedgerHeaders.map(table)
        var problems = table.problems + mapping.problems
        var candidates: [IncidentImportRow] = []
        var rejected = Set(table.problems.filter { $0.severity == .error }.compactMap(\.row))

        let wideColumns = kindColumns.filter { mapping[$0.0] != nil }
        let long = mapping[.kind] != nil || mapping[.count] != nil
        var missing: [String] = []
        if mapping[.day] == nil { missing.append("日期 (day)") }
        if mapping[.village] == nil && mapping[.town] == nil { missing.append("村(社区) (village) or 镇街 (town)") }
        if long {
            if mapping[.kind] == nil { missing.append("类型 (kind)") }
            if mapping[.count] == nil { missing.append("数量 (count)") }
        } else if wideColumns.isEmpty {
            missing.append("类型 + 数量 (kind + count), or a column per kind: 有效警情, 火警, 交通事故")
        }
        var fileErrors: [String] = []
        if !missing.isEmpty {
            fileErrors.append("the header has no column for \(missing.joined(separator: ", ")); found \(table.header.filter { !$0.isEmpty }.joined(separator: ", "))")
        }
        if long && !wideColumns.isEmpty {
            fileErrors.append("the header has both 类型 + 数量 and per-kind columns (\(wideColumns.map { $0.0.zh }.joined(separator: ", "))); use one shape")
        }
        if !fileErrors.isEmpty {
            problems += fileErrors.map { LedgerProblem(row: nil, reason: $0) }
            return IncidentImport(candidates: [], problems: sorted(problems), rejectedRows: [], mapping: mapping)
        }
        if table.rows.isEmpty {
            problems.append(LedgerProblem(row: nil, reason: "the file has a header but no data rows", severity: .warning))
        }

        let towns = TownNames(areas: areas)
        let villages = areas.filter { $0.level == .village }
        let allVillages = VillageNames.Resolver(areas: areas)
        var townVillages: [String: VillageNames.Resolver] = [:]
        var villageCache: [String: Result<Area, InvalidValue>] = [:]
        var seen: [String: Int] = [:]
        let system = table.dateSystem

        for row in table.rows {
            if rejected.contains(row.number) { continue }
            var cells = MappedRow(row, table: table, mapping: mapping)
            func problem(_ field: LedgerField?, _ reason: String) { cells.problem(field, reason) }

            // Day.
            var day: CalendarDate? = nil
            let dayValue = cells.value(.day)
            if dayValue.isBlank {
                problem(.day, "the day (日期) is empty")
            } else {
                do {
                    let d = try LedgerValues.date(dayValue, system: system)
                    if d > options.today { problem(.day, "\(d) is in the future (today is \(options.today))") }
                    else if d < options.earliest { problem(.day, "\(d) is before \(options.earliest); check the year") }
                    else { day = d }
                } catch { problem(.day, error.reason) }
            }

            // Area: the village when given (within the town when that is given too), else the town.
            var area: Area? = nil
            var town: Area? = nil
            if let raw = cells.text(.town) {
                do { town = try towns.resolve(raw) } catch { problem(.town, error.reason) }
            }
            if let raw = cells.text(.village) {
                if cells.text(.town) == nil || town != nil {
                    let key = "\(town?.code ?? "")|\(raw)"
                    let result: Result<Area, InvalidValue>
                    if let cached = villageCache[key] { result = cached } else {
                        let resolver: VillageNames.Resolver
                        if let t = town {
                            if let r = townVillages[t.code] { resolver = r } else {
                                resolver = VillageNames.Resolver(areas: villages.filter { $0.parentCode == t.code })
                                townVillages[t.code] = resolver
                            }
                        } else {
                            resolver = allVillages
                        }
                        do { result = .success(try resolver.resolve(raw)) } catch {
                            result = .failure(town.map { InvalidValue("\(error.reason) of \($0.name)") } ?? error)
                        }
                        villageCache[key] = result
                    }
                    switch result {
                    case .success(let v): area = v
                    case .failure(let e): problem(.village, e.reason)
                    }
                }
            } else if let town {
                area = town
            } else if cells.text(.town) == nil {
                problem(mapping[.village] != nil ? .village : .town, "neither a village or community (村(社区)) nor a town (镇街) is given")
            }

            // Counts.
            var counts: [IncidentCount] = []
            var countColumn: [IncidentKind: LedgerField] = [:]
            if !wideColumns.isEmpty {
                var given = 0
                for (field, kind) in wideColumns {
                    let v = cells.value(field)
                    guard !v.isBlank else { continue }
                    given += 1
                    do {
                        counts.append(IncidentCount(kind: kind, count: try count(v)))
                        countColumn[kind] = field
                    } catch { problem(field, error.reason) }
                }
                if given == 0 {
                    problem(wideColumns[0].0, "no count is given; fill \(wideColumns.map { $0.0.zh }.joined(separator: ", "))")
                }
            } else {
                var kind: IncidentKind? = nil
                if let raw = cells.text(.kind) {
                    kind = parseKind(raw)
                    if kind == nil { problem(.kind, "'\(raw)' is not an incident kind; expected 有效警情, 火警 or 交通事故 (policeIncident, fireAlarm, trafficAccident)") }
                } else {
                    problem(.kind, "the incident kind (类型) is empty; expected 有效警情, 火警 or 交通事故")
                }
                let v = cells.value(.count)
                var n: Int? = nil
                if v.isBlank { problem(.count, "the count (数量) is empty") } else {
                    do { n = try count(v) } catch { problem(.count, error.reason) }
                }
                if let kind, let n {
                    counts = [IncidentCount(kind: kind, count: n)]
                    countColumn[kind] = .count
                }
            }

            // The same area, day and kind as an earlier row.
            if let area, let day, !cells.problems.contains(where: { $0.severity == .error }) {
                var keys: [String] = []
                for c in counts {
                    let key = "\(area.code)|\(day)|\(c.kind.rawValue)"
                    if let first = seen[key] {
                        problem(countColumn[c.kind], "the same area, day and kind as row \(first) (\(area.name), \(day), \(c.kind.zh)); the row is left out")
                    } else {
                        keys.append(key)
                    }
                }
                if !cells.problems.contains(where: { $0.severity == .error }) { for k in keys { seen[k] = row.number } }
            }
            problems += cells.problems
            guard let area, let day, !counts.isEmpty, !cells.problems.contains(where: { $0.severity == .error }) else {
                rejected.insert(row.number)
                continue
            }
            candidates.append(IncidentImportRow(row: row.number, areaCode: area.code, areaName: area.name, day: day, counts: counts))
        }
        return IncidentImport(candidates: candidates, problems: sorted(problems), rejectedRows: rejected.sorted(), mapping: mapping)
    }

    /// The kind a 类型 cell names: the Chinese name (有效警情, 火警, 交通事故), the raw value
    /// (`policeIncident`, `fireAlarm`, `trafficAccident`) or the English name, ignoring case,
    /// width and spaces; also 警情 for valid police incidents. `nil` for anything else.
    public static func parseKind(_ raw: String) -> IncidentKind? {
        if let k = IncidentKind(rawValue: raw) { return k }
        let key = SubjectImporter.matchText(raw)
        for kind in IncidentKind.allCases
        where key == SubjectImporter.matchText(kind.zh) || key == SubjectImporter.matchText(kind.rawValue)
            || key == SubjectImporter.matchText(kind.en) {
            return kind
        }
        return key == "警情" ? .policeIncident : nil
    }

    /// A count from a cell: a whole number from 0 to ``maximumCount`` (`3`, `3.0`, `"1,204"`,
    /// full-width digits).
    /// - Throws: ``InvalidValue`` for a negative number, a fraction, a number over the maximum,
    ///   text that is not a number, a date, boolean or error cell.
    public static func count(_ value: LedgerValue) throws(InvalidValue) -> Int {
        let n = try LedgerValues.number(value)
        let shown = LedgerValue.format(number: n)
        guard n >= 0 else { throw InvalidValue("the count \(shown) is negative; a count is 0 or more") }
        guard n == n.rounded() else { throw InvalidValue("the count \(shown) is not a whole number") }
        guard n <= Double(maximumCount) else {
            throw InvalidValue("the count \(shown) is more than \(maximumCount) for one area and day; check the column")
        }
        return Int(n)
    }

    static func sorted(_ problems: [LedgerProblem]) -> [LedgerProblem] {
        problems.enumerated().sorted { a, b in
            let ra = a.element.row ?? 0, rb = b.element.row ?? 0
            return ra != rb ? ra < rb : a.offset < b.offset
        }.map(\.element)
    }
}

/// Towns (镇 / 街道) by name or code, as ledgers spell them: `瓜沥镇`, `瓜沥`, `萧山区瓜沥镇`,
/// `330109113`.
struct TownNames {
    private var byKey: [String: Area] = [:]
    private var byCode: [String: Area] = [:]
    private let count: Int

    init(areas: [Area]) {
        var n = 0
        for a in areas where a.level == .town {
            n += 1
            byCode[a.code] = a
            for name in [a.name, a.shortName] {
                let k = Self.key(name)
                byKey[k] = a
                // 瓜沥镇 → 瓜沥; 新塘街道 → 新塘.
                for suffix in ["街道", "镇", "乡"] where k.hasSuffix(suffix) && k.count > suffix.count {
                    byKey[String(k.dropLast(suffix.count))] = byKey[String(k.dropLast(suffix.count))] ?? a
                }
            }
        }
        count = n
    }

    static func key(_ s: String) -> String {
        var k = String(LedgerValues.cleanText(s).unicodeScalars.filter { !$0.properties.isWhitespace })
        for prefix in ["浙江省", "杭州市", "萧山区"] where k.hasPrefix(prefix) && k.count > prefix.count {
            k = String(k.dropFirst(prefix.count))
        }
        return k
    }

    /// - Throws: ``InvalidValue`` for an unknown name or code.
    func resolve(_ raw: String) throws(InvalidValue) -> Area {
        let cleaned = LedgerValues.cleanText(raw)
        if cleaned.count == 9, cleaned.allSatisfy({ $0.isASCII && $0.isNumber }) {
            if let a = byCode[cleaned] { return a }
            throw InvalidValue("no town has the code \(cleaned)")
        }
        if let a = byKey[Self.key(cleaned)] { return a }
        throw InvalidValue("'\(raw)' is not one of the \(count) known towns")
    }
}

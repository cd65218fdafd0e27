import Foundation
import SafeGridCore

/// How a re-imported row finds the subject it describes: the credit code when the row has one,
/// else the normalised name and address within the village. Two rows with equal keys are the
/// same subject.
public enum SubjectMatchKey: Hashable, Sendable, CustomStringConvertible {
    /// The 18-character code (``CreditCode/value``).
    case creditCode(String)
    /// ``SubjectImporter/matchText(_:)`` of name and address, with the village code (`nil` when
    /// the file has no village column).
    case nameAddress(villageCode: String?, name: String, address: String)

    public var description: String {
        switch self {
        case .creditCode(let c): "credit code \(c)"
        case .nameAddress(let v, let n, let a): "\(n) at \(a)" + (v.map { " in \($0)" } ?? "")
        }
    }
}

/// One valid row of a subject ledger: what the app needs to create or update a ``Subject``.
public struct SubjectImportRow: Hashable, Sendable {
    /// The row's number in the file (``LedgerRow/number``).
    public let row: Int
    public let kind: SubjectKind
    /// Trimmed, half-width, at most ``TextRules/subjectName`` characters.
    public let name: String
    /// Trimmed, at most ``TextRules/address`` characters.
    public let address: String
    /// Required for enterprises (GB 32100-2015 checked).
    public let creditCode: CreditCode?
    /// The 12-digit code of the village or community, resolved from its name; `nil` when the
    /// file has no village column and ``SubjectImportOptions/requireVillage`` is off.
    public let villageCode: String?
    /// A grid (14 digits) or micro-grid (17 digits) code when the file gives one; a grid named by
    /// text is in ``gridName``.
    public let gridCode: String?
    public let gridName: String?
    /// A 17-digit micro-grid code when the file gives one (`微网格` column, or a 17-digit `网格`).
    public let microGridCode: String?
    /// 联系人 / 负责人.
    public let partyName: String
    public let phone: PhoneNumber
    public let location: GeoPoint?
    /// 规上企业 (enterprises only).
    public let aboveScale: Bool
    /// 房间数 (rental housing only).
    public let rooms: Int?
    public let matchKey: SubjectMatchKey
}

/// Settings of a subject import.
public struct SubjectImportOptions: Sendable {
    /// The kind of rows without a `类型` column (or with it blank); `nil` = the column is required.
    public var defaultKind: SubjectKind?
    /// What the coordinates are: ``Datum/gcj02`` (AMap/Tencent map pickers, the default) or ``Datum/wgs84`` (GPS).
    public var datum: Datum
    /// The district the locations must lie in (within 3 km); `nil` checks only ranges.
    public var boundary: DistrictBoundary?
    /// Rows without a resolvable village are rejected (default `true`).
    public var requireVillage: Bool

    public init(defaultKind: SubjectKind? = nil, datum: Datum = .gcj02, boundary: DistrictBoundary? = .xiaoshan,
                requireVillage: Bool = true) {
        self.defaultKind = defaultKind
        self.datum = datum
        self.boundary = boundary
        self.requireVillage = requireVillage
    }
}

/// The outcome of validating a subject ledger.
public struct SubjectImport: Sendable {
    /// Rows that can be imported, in file order.
    public let candidates: [SubjectImportRow]
    /// Every problem: the reader's, the header's and each row's (errors and warnings), sorted by
    /// row (file-level first).
    public let problems: [LedgerProblem]
    /// Numbers of the rows rejected (each has at least one `.error` problem), ascending.
    public let rejectedRows: [Int]
    /// The column mapping used.
    public let mapping: HeaderMapping
    /// File-level errors that stop the whole import (a required column missing): when not empty,
    /// ``candidates`` is empty.
    public var fileErrors: [LedgerProblem] { problems.filter { $0.row == nil && $0.severity == .error } }
}

/// Validates the rows of a subject ledger (企业 / 沿街店铺 / 出租房 / 小微园区 台账).
public enum SubjectImporter {
    /// Validates every row.
    ///
    /// Per row: name and address required (length per ``TextRules``, no control characters);
    /// kind from the 类型 column or ``SubjectImportOptions/defaultKind``; credit code checked
    /// (``CreditCode``; required for enterprises; a number cell is refused because Excel keeps
    /// only 15 digits); village resolved (``VillageNames/Resolver``); responsible party's name
    /// and phone required (``PhoneNumber``); location optional (``LedgerValues/location(latitude:longitude:combined:datum:boundary:)``;
    /// swapped axes are corrected with a warning); 规上 only for enterprises; rooms required for
    /// rental housing (1–10000). A row whose match key repeats an earlier row's is rejected
    /// ("same subject as row 5"). Rows the reader found short, long or cut are rejected with the
    /// reader's problem only.
    ///
    /// Missing required columns (name, address, party, phone; kind without a default; village when
    /// required) are file-level errors and no row is accepted.
    ///
    /// Linear in the number of rows (one dictionary look-up per village and key).
    ///
    /// - Parameters:
    ///   - table: from ``LedgerReader``.
    ///   - villages: areas to resolve village names against (normally ``BundledAreas/load()`` or
    ///     the town's villages from the database).
    public static func validate(_ table: LedgerTable, villages: [Area], options: SubjectImportOptions = .init()) -> SubjectImport {
        let mapping = LedgerHeaders.map(table)
        var problems = table.problems + mapping.problems
        var candidates: [SubjectImportRow] = []
        var rejected = Set(table.problems.filter { $0.severity == .error }.compactMap(\.row))

        var missing: [String] = []
        for (field, label) in [(LedgerField.name, "名称 (name)"), (.address, "地址 (address)"), (.party, "联系人 (party)"), (.phone, "联系电话 (phone)")]
        where mapping[field] == nil {
            missing.append(label)
        }
        if mapping[.kind] == nil && options.defaultKind == nil { missing.append("类型 (kind)") }
        if mapping[.village] == nil && options.requireVillage { missing.append("村(社区) (village)") }
        if !missing.isEmpty {
            problems.append(LedgerProblem(row: nil, reason: "the header has no column for \(missing.joined(separator: ", ")); found \(table.header.filter { !$0.isEmpty }.joined(separator: ", "))"))
            return SubjectImport(candidates: [], problems: sorted(problems), rejectedRows: [], mapping: mapping)
        }
        if table.rows.isEmpty {
            problems.append(LedgerProblem(row: nil, reason: "the file has a header but no data rows", severity: .warning))
        }

        let resolver = VillageNames.Resolver(areas: villages)
        var villageCache: [String: Result<Area, InvalidValue>] = [:]
        var kindCache: [String: Result<SubjectKind, InvalidValue>] = [:]
        // Keys by their UTF-8 bytes: hashing a [UInt8] skips String's Unicode normalisation.
        var seen: [ByteKey: Int] = [:]
        seen.reserveCapacity(table.rows.count)
        let system = table.dateSystem

        for row in table.rows {
            // A row the reader found short, long or cut has shifted or missing fields: its own
            // problem says so, and checking its fields would only add noise.
            if rejected.contains(row.number) { continue }
            var cells = MappedRow(row, table: table, mapping: mapping)
            func problem(_ field: LedgerField?, _ reason: String, _ severity: LedgerProblem.Severity = .error) {
                cells.problem(field, reason, severity)
            }
            func value(_ field: LedgerField) -> LedgerValue { cells.value(field) }
            func text(_ field: LedgerField) -> String? { cells.text(field) }
            func writtenText(_ field: LedgerField) -> String? { cells.writtenText(field) }

            // Kind.
            var kind = options.defaultKind
            if let raw = text(.kind) {
                let result: Result<SubjectKind, InvalidValue>
                if let cached = kindCache[raw] { result = cached } else {
                    do { result = .success(try LedgerValues.subjectKind(raw)) } catch { result = .failure(error) }
                    kindCache[raw] = result
                }
                switch result {
                case .success(let k): kind = k
                case .failure(let e): problem(.kind, e.reason); kind = nil
                }
            } else if kind == nil {
                problem(.kind, "the kind is empty; expected 企业, 沿街店铺, 出租房 or 小微园区")
            }

            // Name and address.
            let name = writtenText(.name)
            if name == nil { problem(.name, "the name is empty") }
            let address = writtenText(.address)
            if address == nil { problem(.address, "the address is empty") }
            for (field, s, max) in [(LedgerField.name, name, TextRules.subjectName), (.address, address, TextRules.address)]
            where !plainText(s, max: max) {
                do { try TextRules.check(s, field.rawValue, max: max) } catch { problem(field, error.reason) }
            }

            // Credit code.
            var creditCode: CreditCode? = nil
            switch value(.creditCode) {
            case .number(let n):
                problem(.creditCode, "the credit code is stored as a number (\(LedgerValue.format(number: n))); Excel keeps only 15 digits of a number, so the code is damaged: format the column as text and type it again")
            case let v where !v.isBlank:
                do { creditCode = try CreditCode(LedgerValues.text(v, system: system) ?? "") } catch { problem(.creditCode, error.reason) }
            default:
                if kind == .enterprise { problem(.creditCode, "an enterprise needs its unified social credit code (统一社会信用代码)") }
            }

            // Village.
            var villageCode: String? = nil
            if let raw = text(.village) {
                let key = raw
                let result: Result<Area, InvalidValue>
                if let cached = villageCache[key] { result = cached } else {
                    do { result = .success(try resolver.resolve(raw)) } catch { result = .failure(error) }
                    villageCache[key] = result
                }
                switch result {
                case .success(let a): villageCode = a.code
                case .failure(let e): problem(.village, e.reason)
                }
            } else if options.requireVillage {
                problem(.village, "the village or community is empty")
            }

            // Grid and micro-grid.
            var gridCode: String? = nil, gridName: String? = nil, microGridCode: String? = nil
            if let g = text(.grid) {
                if g.allSatisfy({ $0.isASCII && $0.isNumber }) && (g.count == 14 || g.count == 17) {
                    gridCode = g
                    if g.count == 17 { microGridCode = g }
                } else {
                    gridName = g
                }
            }
            if let m = text(.microGrid) {
                if m.count == 17, m.allSatisfy({ $0.isASCII && $0.isNumber }) { microGridCode = m }
                else { problem(.microGrid, "'\(m)' is not a 17-digit micro-grid code") }
            }
            if let v = villageCode {
                for code in [gridCode, microGridCode].compactMap({ $0 }) where !code.hasPrefix(v) {
                    problem(gridCode == code ? .grid : .microGrid, "grid code \(code) is not under the village's code \(v)")
                }
            }

            // Party and phone.
            let partyName = writtenText(.party)
            if partyName == nil { problem(.party, "the responsible party's name is empty") }
            if !plainText(partyName, max: TextRules.personName) {
                do { try TextRules.check(partyName, "party", max: TextRules.personName) } catch { problem(.party, error.reason) }
            }
            var phone: PhoneNumber? = nil
            switch value(.phone) {
            case let v where v.isBlank: problem(.phone, "the phone number is empty")
            case let v:
                let raw = LedgerValues.text(v, system: system) ?? ""
                if isPlainMobile(raw) {
                    phone = .mobile(raw)   // what PhoneNumber(raw) gives for ^1[3-9]\d{9}$, without its general parsing
                } else {
                    do { phone = try PhoneNumber(raw) } catch { problem(.phone, error.reason) }
                }
            }

            // Location.
            var location: GeoPoint? = nil
            let latText = mapping[.latitude] != nil ? text(.latitude) : nil
            let lonText = mapping[.longitude] != nil ? text(.longitude) : nil
            do {
                if let l = try LedgerValues.location(latitude: latText, longitude: lonText, combined: text(.location),
                                                     datum: options.datum, boundary: options.boundary) {
                    location = l.point
                    if l.swappedAxes {
                        problem(mapping[.location] != nil && latText == nil ? .location : .latitude,
                                "latitude and longitude were swapped; read as \(l.point.latitude) N, \(l.point.longitude) E", .warning)
                    }
                }
            } catch {
                problem(latText != nil || lonText != nil ? (latText == nil ? .longitude : .latitude) : .location, error.reason)
            }

            // Above scale, rooms.
            var aboveScale = false
            if !value(.aboveScale).isBlank {
                do { aboveScale = try LedgerValues.bool(value(.aboveScale)) } catch { problem(.aboveScale, error.reason) }
                if aboveScale, let kind, kind != .enterprise { problem(.aboveScale, "only an enterprise can be above designated size (规上)") }
            }
            var rooms: Int? = nil
            if !value(.rooms).isBlank {
                do {
                    let n = try LedgerValues.number(value(.rooms))
                    if n != n.rounded() || n < 1 || n > 10_000 { problem(.rooms, "rooms must be a whole number from 1 to 10000, got \(LedgerValue.format(number: n))") }
                    else { rooms = Int(n) }
                } catch { problem(.rooms, error.reason) }
            }
            if let kind {
                if kind == .rentalHousing, rooms == nil, value(.rooms).isBlank { problem(.rooms, "rental housing needs its number of rooms (房间数)") }
                if kind != .rentalHousing, rooms != nil { problem(.rooms, "only rental housing has rooms"); rooms = nil }
            }

            // Match key and duplicates within the file.
            var matchKey: SubjectMatchKey? = nil
            if let creditCode { matchKey = .creditCode(creditCode.value) }
            else if let name, let address { matchKey = .nameAddress(villageCode: villageCode, name: matchText(name), address: matchText(address)) }
            if let k = matchKey, !cells.problems.contains(where: { $0.severity == .error }) {
                let bytes = keyBytes(k)
                if let first = seen[bytes] {
                    problem(creditCode != nil ? .creditCode : .name, "the same subject as row \(first) (\(k)); the row is left out")
                } else {
                    seen[bytes] = row.number
                }
            }

            problems += cells.problems
            if cells.problems.contains(where: { $0.severity == .error }) {
                rejected.insert(row.number)
                continue
            }
            candidates.append(SubjectImportRow(
                row: row.number, kind: kind!, name: name!, address: address!, creditCode: creditCode,
                villageCode: villageCode, gridCode: gridCode, gridName: gridName, microGridCode: microGridCode,
                partyName: partyName!, phone: phone!, location: location, aboveScale: aboveScale, rooms: rooms,
                matchKey: matchKey!))
        }
        return SubjectImport(candidates: candidates, problems: sorted(problems), rejectedRows: rejected.sorted(), mapping: mapping)
    }

    /// The comparable form of a name or address for the match key: ``LedgerValues/cleanText(_:)``
    /// (full-width → half-width), lowercase, without whitespace and punctuation (`（`, `)`, `-`,
    /// `·`, `,`, `。`, `#`). `"瓜沥镇 东湖村（12号）"` and `"瓜沥镇东湖村(12号)"` match.
    public static func matchText(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        for u in LedgerValues.cleanText(s).unicodeScalars {
            if u.isASCII {
                let v = u.value
                if (v >= 0x30 && v <= 0x39) || (v >= 0x61 && v <= 0x7A) { out.append(u) }
                else if v >= 0x41 && v <= 0x5A { out.append(Unicode.Scalar(v + 32)!) }
                else if v <= 0x20 || v == 0x7F { continue }
                else if !u.properties.generalCategory.isPunctuation { out.append(u) }
            } else if (0x4E00...0x9FFF).contains(u.value) || (0x3400...0x4DBF).contains(u.value) {
                out.append(u)   // CJK ideographs: no case, never space or punctuation
            } else if !u.properties.isWhitespace && !u.properties.generalCategory.isPunctuation {
                if u.properties.changesWhenLowercased { out.append(contentsOf: u.properties.lowercaseMapping.unicodeScalars) }
                else { out.append(u) }
            }
        }
        return String(out)
    }

    /// A text that ``TextRules/check(_:_:max:multiline:)`` certainly accepts: at most `max` UTF-8
    /// bytes (so at most `max` characters) and no control character (U+0000–001F, U+007F–009F,
    /// general category Cc). Anything else goes through `TextRules` for its verdict and reason.
    static func plainText(_ s: String?, max: Int) -> Bool {
        guard let s else { return true }
        guard s.utf8.count <= max else { return false }
        var previous: UInt8 = 0
        for b in s.utf8 {
            if b < 0x20 || b == 0x7F { return false }
            if previous == 0xC2 && b >= 0x80 && b <= 0x9F { return false }   // U+0080–009F
            previous = b
        }
        return true
    }

    /// `^1[3-9]\d{9}$` in ASCII: a mobile number already in ``PhoneNumber``'s stored form.
    static func isPlainMobile(_ s: String) -> Bool {
        let u = s.utf8
        guard u.count == 11 else { return false }
        var i = 0
        for b in u {
            if i == 0 { if b != 0x31 { return false } }
            else if i == 1 { if b < 0x33 || b > 0x39 { return false } }
            else if b < 0x30 || b > 0x39 { return false }
            i += 1
        }
        return true
    }

    /// Bytes hashed in bulk (a `[UInt8]` hashes byte by byte, a `String` normalises first).
    struct ByteKey: Hashable {
        let bytes: [UInt8]
        func hash(into hasher: inout Hasher) { bytes.withUnsafeBytes { hasher.combine(bytes: $0) } }
    }

    /// The match key as bytes for hashing (a tag, then the fields separated by U+0001).
    static func keyBytes(_ k: SubjectMatchKey) -> ByteKey {
        switch k {
        case .creditCode(let c): return ByteKey(bytes: Array(("c\u{1}" + c).utf8))
        case .nameAddress(let v, let n, let a): return ByteKey(bytes: Array(("n\u{1}\(v ?? "")\u{1}\(n)\u{1}\(a)").utf8))
        }
    }

    private static func sorted(_ problems: [LedgerProblem]) -> [LedgerProblem] {
        problems.enumerated().sorted { a, b in
            let ra = a.element.row ?? 0, rb = b.element.row ?? 0
            return ra != rb ? ra < rb : a.offset < b.offset
        }.map(\.element)
    }
}

private extension Unicode.GeneralCategory {
    var isPunctuation: Bool {
        switch self {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation: true
        default: false
        }
    }
}

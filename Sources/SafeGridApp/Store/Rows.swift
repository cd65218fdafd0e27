import Foundation
import Logging
import Synchronization
import SQLKit
import SafeGridCore

/// A row type read from one table. Rows are read one by one (``SQLSelectBuilder/rows(_:)``): a
/// row that cannot be decoded, or whose values the domain cannot read (``validate()``), is
/// skipped, logged with its id and counted in `safegrid_undecodable_rows_total{table}`, and the
/// list, export, page or job goes on without it. Such rows come from other tools, manual fixes
/// or restored backups; `safegrid check` names them.
protocol StoredRow: Decodable, Sendable {
    /// The table the rows come from (for the log and the metric).
    static var table: String { get }
    /// Throws when a decoded row holds a value the domain cannot read: a day `2026-13-45`, a
    /// state or severity SafeGrid does not know.
    func validate() throws
}

extension StoredRow {
    func validate() throws {}
}

/// A stored value the domain cannot read.
struct UnreadableValue: Error, CustomStringConvertible {
    let column: String
    let value: String
    var description: String { "\(column) = \(value.prefix(80)) is not readable" }
}

/// Undecodable rows: logged and counted, never fatal.
enum UndecodableRows {
    /// A row's id for the log and `safegrid check`: its UUID in lower case, its text key, or
    /// `seq N` for events; `?` when even that cannot be read.
    static func id(of row: any SQLRow, key: String = "id") -> String {
        if key == "seq" || !row.contains(column: key), let seq = try? row.decode(column: "seq", as: Int64.self) { return "seq \(seq)" }
        return (try? row.decode(column: key, as: UUID.self).uuidString.lowercased())
            ?? (try? row.decode(column: key, as: String.self))
            ?? "?"
    }

    static func note(table: String, row: any SQLRow, error: any Error, logger: Logger) {
        let id = self.id(of: row)
        logger.error("skipped an undecodable row", metadata: ["table": .string(table), "id": .string(id),
                                                             "error": .string(String(describing: error))])
        Telemetry.countUndecodable(table: table)
    }
}

extension SQLSelectBuilder {
    /// The rows that decode and validate, in order; the others skipped and noted (``StoredRow``).
    func rows<R: StoredRow>(_ type: R.Type) async throws -> [R] {
        let logger = database.logger
        return try await all().compactMap { $0.storedRow(type, logger: logger) }
    }

    /// The first row, or nil when there is none or it cannot be read (noted as for ``rows(_:)``).
    func firstRow<R: StoredRow>(_ type: R.Type) async throws -> R? {
        let logger = database.logger
        return try await first()?.storedRow(type, logger: logger)
    }
}

extension SQLRow {
    /// `read(self)`, or nil (logged and counted against `table`) when it throws.
    func noted<T>(_ table: String, _ read: (any SQLRow) throws -> T, _ sql: any SQLDatabase) -> T? {
        do { return try read(self) } catch {
            UndecodableRows.note(table: table, row: self, error: error, logger: sql.logger)
            return nil
        }
    }

    /// The row as `R`, or nil (logged and counted) when it cannot be decoded or validated.
    /// The row as `R`, decoded and validated; throws what made it unreadable.
    func readStoredRow<R: StoredRow>(_ type: R.Type) throws -> R {
        let decoded = try decode(model: type, keyDecodingStrategy: .snakeCaseColumns)
        try decoded.validate()
        return decoded
    }

    func storedRow<R: StoredRow>(_ type: R.Type, logger: Logger) -> R? {
        do {
            return try readStoredRow(type)
        } catch {
            UndecodableRows.note(table: R.table, row: self, error: error, logger: logger)
            return nil
        }
    }
}

/// Checks a stored day (`YYYY-MM-DD`) and a raw value of an enum.
func checkDay(_ value: String?, _ column: String) throws {
    guard let value else { return }
    do { _ = try CalendarDate(value) } catch { throw UnreadableValue(column: column, value: value) }
}

/// Checks a stored micro-grid code: 17 digits (``AreaCodes``), the level every subject and
/// hazard hangs from.
func checkMicroGrid(_ value: String, _ column: String) throws {
    guard value.count == 17, value.utf8.allSatisfy({ (48...57).contains($0) }) else {
        throw UnreadableValue(column: column, value: value)
    }
}

/// Checks a stored instant is one SafeGrid can have written (``Timestamp/readable``).
func checkInstant(_ value: Date?, _ column: String) throws {
    guard let value else { return }
    guard Timestamp.readable.contains(value) else { throw UnreadableValue(column: column, value: "\(value.timeIntervalSince1970)") }
}

func checkRaw<E: RawRepresentable>(_ value: String?, _ type: E.Type, _ column: String) throws where E.RawValue == String {
    guard let value else { return }
    guard E(rawValue: value) != nil else { throw UnreadableValue(column: column, value: value) }
}

/// Rows as stored; decoded with snake_case → camelCase keys. Convert to domain values with the
/// `to…` methods at the edge.
package struct AreaRow: Codable, StoredRow {
    static let table = "areas"
    let code: String
    let name: String
    let shortName: String
    let level: String
    let parentCode: String?
    let villageKind: String?

    var area: Area {
        Area(code: code, name: name, shortName: shortName, level: AreaLevel(rawValue: level) ?? .microGrid,
             parentCode: parentCode, villageKind: villageKind.flatMap(VillageKind.init(rawValue:)))
    }
}

package struct SubjectRow: Codable, StoredRow {
    static let table = "subjects"
    package let id: UUID
    let kind: String
    let name: String
    let address: String
    let creditCode: String?
    let aboveScale: Bool
    let rooms: Int?
    let parentId: UUID?
    let townCode: String
    let villageCode: String
    let gridCode: String
    let microGridCode: String
    package let partyName: String
    let partyPhone: String
    let latitude: Double?
    let longitude: Double?
    let datum: String?
    let colour: String?
    let closedDownAt: Date?
    let createdAt: Date

    func validate() throws {
        try checkRaw(kind, SubjectKind.self, "kind")
        try checkMicroGrid(microGridCode, "micro_grid_code")
        try checkInstant(closedDownAt, "closed_down_at")
        try checkInstant(createdAt, "created_at")
        if let colour, SubjectColour(key: colour) == nil { throw UnreadableValue(column: "colour", value: colour) }
    }

    var subjectKind: SubjectKind { SubjectKind(rawValue: kind) ?? .enterprise }
    var subjectColour: SubjectColour? { colour.flatMap(SubjectColour.init(key:)) }
    package var phone: PhoneNumber? { try? PhoneNumber(stored: partyPhone) }
    package var location: GeoPoint? {
        guard let latitude, let longitude, let d = datum.flatMap(Datum.init(rawValue:)) else { return nil }
        return try? GeoPoint(latitude: latitude, longitude: longitude, datum: d)
    }

    /// The domain subject. Rows written by SafeGrid always convert; a row edited by another tool
    /// with an unreadable phone falls back to a landline-free placeholder that is never texted.
    package var subject: Subject {
        Subject(id: id, kind: subjectKind, name: name, address: address,
                creditCode: creditCode.flatMap { try? CreditCode($0) }, aboveScale: aboveScale, rooms: rooms,
                parentId: parentId, microGridCode: microGridCode,
                party: ResponsibleParty(name: partyName, phone: phone ?? .landline("0000-0000000")), location: location)
    }
}

struct HazardRow: Codable, StoredRow {
    static let table = "hazards"
    package let id: UUID
    let inspectionId: UUID
    let subjectId: UUID
    let subjectKind: String
    let townCode: String
    let villageCode: String
    let gridCode: String
    let microGridCode: String
    let checklistVersion: Int
    let itemCode: String
    let department: String
    let category: String
    let severity: String
    let mode: String
    let state: String
    let foundAt: Date
    let foundOn: String
    let dueAt: Date
    let rectifiedAt: Date?
    let rectifiedOn: String?
    let reboundCount: Int
    let version: Int
    let lastEventAt: Date
    let overdueAt: Date?
    let remindedFor: Date?
    let note: String?
    let photos: String?
    let updatedAt: Date

    func validate() throws {
        try checkRaw(state, HazardState.self, "state")
        try checkRaw(severity, Severity.self, "severity")
        try checkRaw(subjectKind, SubjectKind.self, "subject_kind")
        try checkDay(foundOn, "found_on")
        try checkDay(rectifiedOn, "rectified_on")
        try checkMicroGrid(microGridCode, "micro_grid_code")
        for (instant, column) in [(foundAt, "found_at"), (dueAt, "due_at"), (rectifiedAt, "rectified_at"),
                                  (lastEventAt, "last_event_at"), (overdueAt, "overdue_at"), (remindedFor, "reminded_for")] {
            try checkInstant(instant, column)
        }
        guard reboundCount >= 0, version >= 0 else { throw UnreadableValue(column: "version", value: "\(version)") }
    }

    var hazardState: HazardState { HazardState(rawValue: state) ?? .open }

    var status: HazardStatus {
        HazardStatus(state: hazardState, severity: Severity(rawValue: severity) ?? .general, dueAt: dueAt,
                     rectifiedAt: rectifiedAt, reboundCount: reboundCount, version: version, lastEventAt: lastEventAt,
                     overdueSince: overdueAt)
    }
}

struct HazardEventRow: Codable, StoredRow {
    static let table = "hazard_events"
    let seq: Int64
    let hazardId: UUID
    let subjectId: UUID
    let townCode: String
    let kind: String
    let fromState: String?
    let toState: String
    let actor: String
    let reason: String?
    let occurredAt: Date
    let dueAt: Date?
    let recordedAt: Date
    let deviceId: String?
    let deviceSeq: Int64?
    let late: Bool
    let prevHash: String
    let hash: String

    func validate() throws {
        try checkInstant(occurredAt, "occurred_at")
        try checkInstant(recordedAt, "recorded_at")
        try checkInstant(dueAt, "due_at")
    }

    var link: EventChain.Link {
        EventChain.Link(hazardID: hazardId, subjectID: subjectId, townCode: townCode, kind: kind, fromState: fromState,
                        toState: toState, actor: actor, reason: reason, occurredAt: occurredAt, dueAt: dueAt,
                        recordedAt: recordedAt, deviceID: deviceId, deviceSeq: deviceSeq, late: late)
    }
}

package struct InspectionRow: Codable, StoredRow {
    static let table = "inspections"
    let id: UUID
    let clientId: String
    let requestHash: String
    package let subjectId: UUID
    let checklistVersion: Int
    package let inspectedAt: Date
    let inspectedOn: String
    let inspector: String
    let hazardCount: Int
    let responseJson: String?
    let recordedAt: Date

    func validate() throws {
        try checkDay(inspectedOn, "inspected_on")
        try checkInstant(inspectedAt, "inspected_at")
        try checkInstant(recordedAt, "recorded_at")
    }
}

struct ChecklistItemRow: Codable, StoredRow {
    static let table = "checklist_items"
    let checklistVersion: Int
    let code: String
    let zh: String
    let en: String
    let department: String
    let category: String
    let defaultSeverity: String
    let defaultDays: Int
    let legalBasis: String
    let subjectKinds: String
    let position: Int

    var item: ChecklistItem {
        ChecklistItem(code: code, zh: zh, en: en, department: Department(rawValue: department) ?? .fireRescue,
                      category: HazardCategory(rawValue: category) ?? .management,
                      defaultSeverity: Severity(rawValue: defaultSeverity) ?? .general, defaultDays: defaultDays,
                      legalBasis: legalBasis,
                      subjectKinds: subjectKinds.split(separator: ",").compactMap { SubjectKind(rawValue: String($0)) })
    }
}

struct ColourHistoryRow: Codable, StoredRow {
    static let table = "colour_history"
    let seq: Int64
    let subjectId: UUID
    let colour: String
    let previous: String?
    let cause: String
    let changedAt: Date
}

extension SQLRow {
    func decoded<T: Decodable>(_ type: T.Type) throws -> T {
        try decode(model: type, keyDecodingStrategy: .snakeCaseColumns)
    }
}

extension SQLRowDecoder.KeyDecodingStrategy {
    /// camelCase properties read from snake_case columns (`shortName` ← `short_name`), like
    /// `.convertFromSnakeCase` but converting each property name once: SQLKit converts every key
    /// of every row again, which took a third of the CPU of a dashboard request when profiled.
    static let snakeCaseColumns: Self = .custom { path in
        SnakeCaseColumns.column(for: path.last?.stringValue ?? "")
    }
}

/// The memo behind ``SQLRowDecoder/KeyDecodingStrategy/snakeCaseColumns``.
enum SnakeCaseColumns {
    private static let memo = Mutex<[String: ColumnKey]>([:])

    struct ColumnKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    static func column(for property: String) -> any CodingKey {
        if let known = memo.withLock({ $0[property] }) { return known }
        let key = ColumnKey(stringValue: snakeCase(property))
        memo.withLock { $0[property] = key }
        return key
    }

    /// `subjectId` → `subject_id`, `imagePNG` → `image_png`, `URLValue` → `url_value`: a word starts
    /// at an upper-case letter after a lower-case letter or digit, or at the last upper-case
    /// letter of a run followed by a lower-case one (Foundation's rule).
    static func snakeCase(_ s: String) -> String {
        let chars = Array(s)
        var out = ""
        for (i, c) in chars.enumerated() {
            if c.isUppercase, i > 0 {
                let previous = chars[i - 1]
                let nextIsLower = i + 1 < chars.count && chars[i + 1].isLowercase
                if previous.isLowercase || previous.isNumber || (previous.isUppercase && nextIsLower) { out += "_" }
            }
            out += c.lowercased()
        }
        return out
    }
}

import Foundation
import Synchronization
import SQLKit
import SafeGridCore

/// Rows as stored; decoded with snake_case → camelCase keys. Convert to domain values with the
/// `to…` methods at the edge.
struct AreaRow: Codable, Sendable {
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

struct SubjectRow: Codable, Sendable {
    let id: UUID
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
    let partyName: String
    let partyPhone: String
    let latitude: Double?
    let longitude: Double?
    let datum: String?
    let colour: String?
    let closedDownAt: Date?
    let createdAt: Date

    var subjectKind: SubjectKind { SubjectKind(rawValue: kind) ?? .enterprise }
    var subjectColour: SubjectColour? { colour.flatMap(SubjectColour.init(key:)) }
    var phone: PhoneNumber? { try? PhoneNumber(stored: partyPhone) }
    var location: GeoPoint? {
        guard let latitude, let longitude, let d = datum.flatMap(Datum.init(rawValue:)) else { return nil }
        return try? GeoPoint(latitude: latitude, longitude: longitude, datum: d)
    }

    /// The domain subject. Rows written by SafeGrid always convert; a row edited by another tool
    /// with an unreadable phone falls back to a landline-free placeholder that is never texted.
    var subject: Subject {
        Subject(id: id, kind: subjectKind, name: name, address: address,
                creditCode: creditCode.flatMap { try? CreditCode($0) }, aboveScale: aboveScale, rooms: rooms,
                parentId: parentId, microGridCode: microGridCode,
                party: ResponsibleParty(name: partyName, phone: phone ?? .landline("0000-0000000")), location: location)
    }
}

struct HazardRow: Codable, Sendable {
    let id: UUID
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

    var hazardState: HazardState { HazardState(rawValue: state) ?? .open }

    var status: HazardStatus {
        HazardStatus(state: hazardState, severity: Severity(rawValue: severity) ?? .general, dueAt: dueAt,
                     rectifiedAt: rectifiedAt, reboundCount: reboundCount, version: version, lastEventAt: lastEventAt,
                     overdueSince: overdueAt)
    }
}

struct HazardEventRow: Codable, Sendable {
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

    var link: EventChain.Link {
        EventChain.Link(hazardID: hazardId, subjectID: subjectId, townCode: townCode, kind: kind, fromState: fromState,
                        toState: toState, actor: actor, reason: reason, occurredAt: occurredAt, dueAt: dueAt,
                        recordedAt: recordedAt, deviceID: deviceId, deviceSeq: deviceSeq, late: late)
    }
}

struct InspectionRow: Codable, Sendable {
    let id: UUID
    let clientId: String
    let requestHash: String
    let subjectId: UUID
    let checklistVersion: Int
    let inspectedAt: Date
    let inspectedOn: String
    let inspector: String
    let hazardCount: Int
    let responseJson: String?
    let recordedAt: Date
}

struct ChecklistItemRow: Codable, Sendable {
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

struct ColourHistoryRow: Codable, Sendable {
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

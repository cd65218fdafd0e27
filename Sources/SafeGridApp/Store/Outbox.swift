import Foundation
import SQLKit
import SafeGridCore

/// What a message is for.
package enum MessageKind: String, Codable, CaseIterable, Sendable {
    /// 整改通知: sent to the responsible party when they sign an inspection.
    case notice
    /// A reminder N days before a deadline.
    case reminder
    /// To the grid worker when a hazard in their grid passes its deadline.
    case overdueAlert
    /// To the grid and micro-grid workers when a smart fire device of their area raises an alarm.
    case deviceAlarm
    /// A resident's one-time code (the residents' page).
    case residentCode
    /// To a resident: the report was verified, dismissed or its hazards rectified.
    case residentAnswer
    /// To a village officer: residents' reports waiting beyond 24 hours.
    case reportAlert

    var zh: String {
        switch self {
        case .notice: "整改通知"
        case .reminder: "到期提醒"
        case .overdueAlert: "逾期告警"
        case .deviceAlarm: "设备告警"
        case .residentCode: "上报验证码"
        case .residentAnswer: "上报答复"
        case .reportAlert: "上报超时提醒"
        }
    }
}

/// A message to queue: one text for one or more recipients (stored phone numbers, mobile only).
package struct OutgoingMessage: Sendable {
    let kind: MessageKind
    let subjectID: UUID?
    let inspectionID: UUID?
    let hazardID: UUID?
    let body: String
    let segments: Int
    let recipients: [String]
    /// One message per purpose: a second enqueue with the same key is ignored.
    let dedupeKey: String

    package init(kind: MessageKind, subjectID: UUID?, inspectionID: UUID?, hazardID: UUID?, body: String, segments: Int,
                 recipients: [String], dedupeKey: String) {
        self.kind = kind
        self.subjectID = subjectID
        self.inspectionID = inspectionID
        self.hazardID = hazardID
        self.body = body
        self.segments = segments
        self.recipients = recipients
        self.dedupeKey = dedupeKey
    }
}

/// The durable SMS outbox. Messages are written in the caller's transaction (with the change
/// that causes them), so a message exists exactly when its cause committed; the sender
/// delivers them later, per recipient.
package enum Outbox {
    /// The text with evidence-link tokens replaced by `…`: a link is a bearer credential for the
    /// party's phone only, so lists and pages never show it.
    static func redactingLinks(_ body: String) -> String {
        var out = ""
        var rest = Substring(body)
        while let r = rest.range(of: "/e/") {
            out += rest[..<r.upperBound]
            rest = rest[r.upperBound...]
            let token = rest.prefix { $0.isLetter && $0.isASCII || $0.isNumber && $0.isASCII || $0 == "-" || $0 == "_" }
            if !token.isEmpty { out += "…" }
            rest = rest.dropFirst(token.count)
        }
        return out + rest
    }

    /// The text as lists and pages show it: links redacted (``redactingLinks(_:)``) and a
    /// resident's one-time code replaced by `******` (staff never need it; a code seen is a
    /// mobile proven by someone else).
    static func redactingSecrets(_ body: String) -> String {
        let text = redactingLinks(body)
        guard let r = text.range(of: "验证码为") else { return text }
        let digits = text[r.upperBound...].prefix { $0.isASCII && $0.isNumber }
        return String(text[..<r.upperBound]) + String(repeating: "*", count: digits.count) + text[r.upperBound...].dropFirst(digits.count)
    }

    /// Queues `message` unless one with the same `dedupeKey` exists.
    /// - Returns: the new message id, or `nil` if it was already queued.
    @discardableResult
    package static func enqueue(_ message: OutgoingMessage, sql: any SQLDatabase, at: Date) async throws -> UUID? {
        let existing = try await sql.select().column("id").from("messages")
            .where("dedupe_key", .equal, SQLBind(message.dedupeKey)).first()
        guard existing == nil else { return nil }
        let id = UUID()
        try await sql.insert(into: "messages")
            .columns("id", "kind", "subject_id", "inspection_id", "hazard_id", "body", "segments", "dedupe_key", "created_at")
            .values(SQLBind(id), SQLBind(message.kind.rawValue), SQLBind(message.subjectID), SQLBind(message.inspectionID),
                    SQLBind(message.hazardID), SQLBind(message.body), SQLBind(message.segments),
                    SQLBind(message.dedupeKey), SQLBind(at))
            .run()
        for phone in Set(message.recipients).sorted() {
            try await sql.insert(into: "message_recipients")
                .columns("id", "message_id", "phone", "state", "attempts", "next_attempt_at", "updated_at")
                .values(SQLBind(UUID()), SQLBind(id), SQLBind(phone), SQLBind("queued"), SQLBind(0), SQLBind(at), SQLBind(at))
                .run()
        }
        return id
    }
}

import Foundation
import SQLKit
import SafeGridCore

/// What residents are told, and when: an SMS at verification (with the deadline given to the
/// party), at dismissal (with the reason) and when every hazard the verification found is
/// rectified; the same states in Open311's `status_notes` and the tracking page. Each answer is
/// queued in the transaction of the change that causes it, to the verified mobiles of the report,
/// of its additions and of the reports dismissed as its duplicates.
enum ResidentAnswers {
    /// The earliest deadline among the report's hazards (Asia/Shanghai day), for a verified report.
    static func dueOn(_ report: UUID, sql: any SQLDatabase) async throws -> CalendarDate? {
        try await dueAt(report, sql: sql).map(CalendarDate.init(shanghai:))
    }

    /// The earliest deadline instant (UTC) among the report's hazards.
    static func dueAt(_ report: UUID, sql: any SQLDatabase) async throws -> Date? {
        let rows = try await sql.select().column("due_at").from("hazards")
            .where("id", .in, SQLSubquery.select { $0.column("hazard_id").from("resident_report_hazards").where("report_id", .equal, SQLBind(report)) })
            .all()
        return rows.compactMap { try? $0.decode(column: "due_at", as: Date.self) }.min()
    }

    /// Queues `text` to the report's residents (none when all were anonymous).
    static func tell(_ report: ResidentReportRow, _ text: String, purpose: String, sql: any SQLDatabase, at now: Date) async throws {
        let phones = try await ResidentReportStore(sql: sql).answerPhones(of: report.id)
        guard !phones.isEmpty else { return }
        try await Outbox.enqueue(OutgoingMessage(kind: .residentAnswer, subjectID: report.subjectId, inspectionID: nil, hazardID: nil,
                                                 body: text, segments: SMSText.segments(text).segments, recipients: phones,
                                                 dedupeKey: "report:\(report.id.uuidString.lowercased()):\(purpose)"), sql: sql, at: now)
    }

    /// After a campaign write: the verified reports whose hazards are now all closed become
    /// `rectified` (or `closedDown` when the subject was closed down with a hazard open), and
    /// their residents are told.
    /// - Parameter hazards: hazards that left the open states in this write.
    static func hazardsClosed(_ hazards: [UUID], sql: any SQLDatabase, at now: Date) async throws {
        let store = ResidentReportStore(sql: sql)
        for r in try await store.reports(linkedTo: hazards, in: .verified) {
            let states = try await store.hazardStates(of: r.id).compactMap(HazardState.init(rawValue:))
            guard !states.isEmpty, !states.contains(where: \.isOpen) else { continue }
            let closedDown = states.contains(.closedDown)
            let next = r.report.rectifying(at: now, closedDown: closedDown)
            try await store.update(r.id, to: next, at: now)
            try await store.recordEvent(report: r.id, townCode: r.townCode, state: next.state, at: now)
            let item = try await itemText(r.serviceCode, sql: sql)
            try await tell(r, closedDown ? SMSTemplate.residentClosedDown(item: item) : SMSTemplate.residentRectified(item: item),
                           purpose: "\(next.state.rawValue):\(Int(now.timeIntervalSince1970))", sql: sql, at: now)
        }
    }

    /// After a campaign write: the rectified reports one of whose hazards is open again (反弹)
    /// are being rectified again, and their residents are told the new deadline.
    /// - Parameter hazards: hazards open after this write.
    static func hazardsReopened(_ hazards: [UUID], sql: any SQLDatabase, at now: Date) async throws {
        let store = ResidentReportStore(sql: sql)
        for r in try await store.reports(linkedTo: hazards, in: .rectified) {
            let next = r.report.reopening()
            try await store.update(r.id, to: next, at: now)
            try await store.recordEvent(report: r.id, townCode: r.townCode, state: next.state, at: now)
            guard let due = try await dueAt(r.id, sql: sql) else { continue }
            try await tell(r, SMSTemplate.residentRebound(item: try await itemText(r.serviceCode, sql: sql), dueOn: CalendarDate(shanghai: due)),
                           purpose: "rebound:\(Int(now.timeIntervalSince1970))", sql: sql, at: now)
        }
    }

    /// The item's text in the newest checklist that has it (the code itself when none does).
    static func itemText(_ code: String, sql: any SQLDatabase) async throws -> String {
        try await sql.select().column("zh").from("checklist_items").where("code", .equal, SQLBind(code))
            .orderBy("checklist_version", .descending).first().flatMap { try? $0.decode(column: "zh", as: String.self) } ?? code
    }
}

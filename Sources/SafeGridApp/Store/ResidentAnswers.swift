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
    /// `rectified`, and their residents are told.
    /// - Parameter hazards: hazards that left the open states in this write.
    static func hazardsClosed(_ hazards: [UUID], sql: any SQLDatabase, at now: Date) async throws {
        let store = ResidentReportStore(sql: sql)
        for r in try await store.verifiedReports(linkedTo: hazards) where try await store.allHazardsClosed(of: r.id) {
            let next = r.report.rectifying(at: now)
            try await store.update(r.id, to: next, at: now)
            try await store.recordEvent(report: r.id, townCode: r.townCode, state: next.state, at: now)
            let item = try await sql.select().column("zh").from("checklist_items").where("code", .equal, SQLBind(r.serviceCode))
                .orderBy("checklist_version", .descending).first().flatMap { try? $0.decode(column: "zh", as: String.self) } ?? r.serviceCode
            try await tell(r, SMSTemplate.residentRectified(item: item), purpose: "rectified", sql: sql, at: now)
        }
    }
}

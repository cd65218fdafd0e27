import Foundation
import SQLKit
import SafeGridCore
import Vapor

/// 前置入口管: licensing systems ask whether a subject has passed before they
/// grant a permit. `GET /api/v1/clearance?creditCode=…` or `?subjectId=…`, with the system's
/// own API key (`safegrid apikey create 市场监管许可 --scope clearance`) in `X-API-Key`.
///
/// The rule is ``Clearance`` (SafeGridCore): blocked while closed down, with an open hazard, or
/// never inspected; otherwise passed. The answer lists the blocking hazards
/// with their deadlines. Every call with a valid key is logged in `clearance_calls` (client,
/// query, subject, result, time), also those refused for a bad or unknown code; a call without
/// a valid key is answered 401 and only logged by the server's request log.
enum ClearanceController {
    struct BlockingHazard: Content {
        let id: UUID
        let itemCode: String
        let item: String?
        let department: String
        let severity: String
        let state: String
        /// The deadline, `YYYY-MM-DD` in Asia/Shanghai.
        let dueOn: String
        let overdue: Bool
    }

    struct ClearanceDTO: Content {
        /// `passed` or `blocked`.
        let result: String
        let reason: String
        let subjectId: UUID
        let name: String
        let creditCode: String?
        let kind: String
        let closedDown: Bool
        /// Whether the subject has been inspected at all; a subject never inspected has not passed.
        let inspected: Bool
        let blockingHazards: [BlockingHazard]
        let checkedAt: String
    }

    static func check(_ req: Request) async throws -> ClearanceDTO {
        let now = req.services.now()
        guard let key = req.headers.first(name: "X-API-Key"), !key.isEmpty,
              let client = try await ApiClients.client(sql: req.sql, key: key, scope: "clearance") else {
            throw Abort(.unauthorized, headers: ["WWW-Authenticate": "ApiKey header=\"X-API-Key\""],
                        reason: "send the licensing system's API key (scope clearance) in X-API-Key")
        }
        let credit = req.query[String.self, at: "creditCode"].flatMap { $0.isEmpty ? nil : $0 }
        let subjectParam = req.query[String.self, at: "subjectId"].flatMap { $0.isEmpty ? nil : $0 }
        let asked = credit.map { "creditCode=\($0.prefix(40))" } ?? subjectParam.map { "subjectId=\($0.prefix(40))" } ?? "-"
        func log(_ subject: UUID?, _ result: String, _ open: Int) async throws {
            try await req.application.writeGate.transaction(on: req.db, changesCampaign: false) { sql in
                try await ApiClients.logClearanceCall(sql: sql, client: client, query: asked, subject: subject, result: result,
                                                      openHazards: open, at: now)
            }
        }
        // A permit system sees the whole district.
        let q = CampaignQueries(sql: req.sql, scope: .everything)
        let row: SubjectRow?
        do {
            switch (credit, subjectParam) {
            case (let c?, nil):
                let code: CreditCode
                do { code = try CreditCode(c) } catch { throw DomainError.invalid("creditCode", error) }
                row = try await q.subject(creditCode: code.value)
            case (nil, let s?):
                row = try await q.subject(try Input.uuid(s, "subjectId"))
            case (nil, nil):
                throw DomainError.invalid("creditCode", "give creditCode (统一社会信用代码) or subjectId")
            case (.some, .some):
                throw DomainError.invalid("subjectId", "give creditCode or subjectId, not both")
            }
        } catch {
            try await log(nil, "invalid", 0)
            throw error
        }
        guard let subject = row else {
            try await log(nil, "unknown", 0)
            throw DomainError(.notFound, field: credit != nil ? "creditCode" : "subjectId",
                              reason: "no subject recorded with \(asked); it has not been inspected in the campaign")
        }
        let open = try await q.hazards(subject: subject.id).filter { $0.hazardState.isOpen }
        var blocking: [BlockingHazard] = []
        for h in open {
            let item = try await req.checklists.item(h.itemCode, version: h.checklistVersion, sql: req.sql)
            blocking.append(BlockingHazard(id: h.id, itemCode: h.itemCode, item: item?.zh, department: h.department, severity: h.severity,
                                           state: h.state, dueOn: CalendarDate(shanghai: h.dueAt).description, overdue: h.dueAt < now))
        }
        let closed = subject.closedDownAt != nil
        let inspected = try await !q.inspections(subject: subject.id).isEmpty
        let (verdict, reason) = Clearance.decide(openHazards: blocking.count,
                                                 closedDownOn: subject.closedDownAt.map { CalendarDate(shanghai: $0) }, inspected: inspected)
        let result = verdict.rawValue
        try await log(subject.id, result, blocking.count)
        return ClearanceDTO(result: result, reason: reason, subjectId: subject.id, name: subject.name, creditCode: subject.creditCode,
                            kind: subject.kind, closedDown: closed, inspected: inspected, blockingHazards: blocking, checkedAt: Timestamp.format(now))
    }
}

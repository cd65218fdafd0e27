import Foundation
import SQLKit
import SafeGridCore
import Vapor

/// A worker's two steps on a resident's report, inside a campaign write: verify (a one-item
/// inspection of the subject through its dossier, the hazard found or linked kept with the
/// report, the resident told the deadline) or dismiss (the reason, told to the resident). The
/// API and the demo take the same steps.
package enum ReportHandling {
    /// - Parameters:
    ///   - subject: the subject inspected; `nil`: the one the report was matched to.
    ///   - itemCode: the item found; `nil`: the reported one.
    ///   - account: who inspects (the dossier's department rules); `actor` their name as recorded.
    /// - Throws: 409 on `action` unless awaiting verification; 422 on `subjectId` (none, not in
    ///   the transaction's scope, closed down) or `itemCode` (not for the subject's kind).
    static func verify(_ r: ResidentReportRow, subject: UUID?, itemCode: String?, severity: Severity?, note: String?,
                       by account: Account, actor: String, checklist: Checklist, tx: CampaignTransaction, now: Date) async throws {
        let store = ResidentReportStore(sql: tx.sql)
        let next = try r.report.verifying(at: now, by: actor)
        guard let sid = subject ?? r.subjectId else {
            throw DomainError.invalid("subjectId", "choose the subject the hazard is at, or register it first 请选择或登记检查对象")
        }
        guard let subject = try await tx.queries.subject(sid) else {
            throw DomainError.invalid("subjectId", "no subject \(sid.uuidString.lowercased()) in your area")
        }
        guard subject.closedDownAt == nil else { throw DomainError.invalid("subjectId", "\(subject.name) is closed down 已关停") }
        let code = itemCode.flatMap { $0.isEmpty ? nil : $0 } ?? r.serviceCode
        guard let item = checklist.item(code), item.applies(to: subject.subjectKind) else {
            throw DomainError.invalid("itemCode", "\(code) is not an item of checklist \(checklist.version) for a \(subject.kind)")
        }
        try ownDepartment(item, account)
        let said = ["居民上报", r.description.map { String($0.prefix(200)) }, note].compactMap { $0 }.joined(separator: "：")
        let plan = try await tx.change(subject) { dossier throws(DomainError) in
            try dossier.inspect(checklist: checklist, inspectedAt: now,
                                team: [TeamMember(name: account.displayName, department: item.department)], inspector: actor,
                                results: [ItemResult(itemCode: code, outcome: .hazard, note: said, severity: severity)],
                                now: now, by: account, makeID: { UUID() })
        }
        let hazards = plan.hazards.map(\.id) + (plan.linkedHazards[code].map { [$0] } ?? [])
        try await store.update(r.id, to: next, subject: subject.id, inspection: plan.id, at: now)
        try await store.link(report: r.id, hazards: hazards)
        try await store.recordEvent(report: r.id, townCode: r.townCode, state: next.state, at: now)
        if let due = try await ResidentAnswers.dueAt(r.id, sql: tx.sql) {
            // A hazard already on record may be past its deadline: the resident hears it is being pressed.
            let text = SMSTemplate.residentVerified(item: item.zh, dueOn: CalendarDate(shanghai: due), overdue: due < now)
            try await ResidentAnswers.tell(r, text, purpose: "verified", sql: tx.sql, at: now)
        }
        if let mg = r.microGridCode { tx.touch(microGrids: [mg]) }
    }

    /// A department inspector handles reports of their own department's items only, as they sign
    /// off only their department's hazards.
    /// - Throws: 403 on `itemCode`.
    static func ownDepartment(_ item: ChecklistItem?, _ account: Account) throws(DomainError) {
        guard account.role == .departmentInspector, let item, item.department != account.department else { return }
        throw DomainError(.forbidden, field: "itemCode",
                          reason: "\(item.code) belongs to \(item.department.zh) (\(item.department.rawValue)); a department inspector handles only their own department's reports")
    }

    /// - Throws: 409 on `action` unless awaiting verification; 403 for another department's
    ///   item (department inspectors); 422 on `duplicateOf` (missing for a duplicate, given
    ///   otherwise, this report, an addition, outside the scope) or `note`.
    static func dismiss(_ r: ResidentReportRow, reason: ReportDismissalReason, duplicateOf: UUID?, note: String?, by account: Account?,
                        actor: String, checklist: Checklist, tx: CampaignTransaction, now: Date) async throws {
        if let account { try ownDepartment(checklist.item(r.serviceCode), account) }
        let store = ResidentReportStore(sql: tx.sql)
        let next = try r.report.dismissing(at: now, by: actor, reason: reason, duplicateOf: duplicateOf, note: note)
        if let original = duplicateOf {
            guard original != r.id, let o = try await store.report(original, queries: tx.queries), o.reportState != .added else {
                throw DomainError.invalid("duplicateOf", "no other report \(original.uuidString.lowercased()) in your area")
            }
            // Its resident is told the original's answers will reach them: only an open report of the same kind has any to come.
            guard o.reportState.isOpen, o.category == r.category else {
                throw DomainError.invalid("duplicateOf", "that report is \(o.reportState.zh) or of another kind; a duplicate repeats an open report of the same kind")
            }
        }
        try await store.update(r.id, to: next, at: now)
        try await store.recordEvent(report: r.id, townCode: r.townCode, state: next.state, at: now)
        let item = checklist.item(r.serviceCode)?.zh ?? r.serviceCode
        try await ResidentAnswers.tell(r, SMSTemplate.residentDismissed(item: item, reason: reason, note: next.note),
                                       purpose: "dismissed", sql: tx.sql, at: now)
        if let mg = r.microGridCode { tx.touch(microGrids: [mg]) }
    }
}

/// Residents' reports of the past, replayed through the same intake and handling as the API
/// (the demo's 沥家园 history).
package struct PastReport: Sendable {
    package enum Outcome: Sendable {
        case open
        /// Verified this long after receipt, by the named worker of the report's grid.
        case verified(after: TimeInterval, worker: String)
        case dismissed(after: TimeInterval, worker: String, reason: ReportDismissalReason, note: String)
    }
    let serviceCode: String
    let description: String
    /// WGS-84, as a phone gives it.
    let position: GeoPoint
    let reporterPhone: String?
    let receivedAt: Date
    let outcome: Outcome
    /// The subject a verification inspects (default: the one the position matched).
    let subject: UUID?

    package init(serviceCode: String, description: String, position: GeoPoint, reporterPhone: String?, receivedAt: Date, outcome: Outcome,
                 subject: UUID? = nil) {
        self.subject = subject
        self.serviceCode = serviceCode
        self.description = description
        self.position = position
        self.reporterPhone = reporterPhone
        self.receivedAt = receivedAt
        self.outcome = outcome
    }
}

extension ReportHandling {
    /// Receives each report at its time and handles it as its outcome says, each in its own
    /// campaign write dated then. A report whose step the rules refuse (its subject closed down
    /// meanwhile) stays open.
    /// - Returns: how many were received, verified and dismissed.
    package static func replay(_ reports: [PastReport], app: Application) async throws -> (received: Int, verified: Int, dismissed: Int) {
        let checklist = try await app.checklists.current(sql: app.sql)
        var counts = (received: 0, verified: 0, dismissed: 0)
        for p in reports.sorted(by: { $0.receivedAt < $1.receivedAt }) {
            guard let item = checklist.item(p.serviceCode) else { continue }
            let fields = ReportIntake.Fields(item: item, description: p.description, position: p.position, address: nil, villageCode: nil, name: nil)
            let reporter = ReportIntake.Reporter(name: nil, phone: p.reporterPhone, anonymous: p.reporterPhone == nil, clientAddress: "demo")
            let row = try await app.campaignWrite(scope: .everything, recordedAt: p.receivedAt) { tx in
                try await ReportIntake.receive(fields, reporter: reporter, channel: "page", id: UUID(), token: ReportIntake.newToken(),
                                               photos: [], addTo: nil, checklist: checklist, tx: tx, now: p.receivedAt)
            }
            counts.received += 1
            switch p.outcome {
            case .open: break
            case let .verified(after, worker):
                let at = p.receivedAt.addingTimeInterval(after)
                let account = Account(id: UUID(), username: "demo", displayName: worker, role: .gridWorker, areaCode: row.gridCode ?? row.townCode, department: nil)
                do {
                    try await app.campaignWrite(scope: .everything, recordedAt: at) { tx in
                        try await verify(row, subject: p.subject, itemCode: nil, severity: nil, note: nil, by: account, actor: worker,
                                         checklist: checklist, tx: tx, now: at)
                    }
                    counts.verified += 1
                } catch is DomainError {}
            case let .dismissed(after, worker, reason, note):
                let at = p.receivedAt.addingTimeInterval(after)
                do {
                    try await app.campaignWrite(scope: .everything, recordedAt: at) { tx in
                        try await dismiss(row, reason: reason, duplicateOf: nil, note: note, by: nil, actor: worker, checklist: checklist, tx: tx, now: at)
                    }
                    counts.dismissed += 1
                } catch is DomainError {}
            }
        }
        return counts
    }
}

import Foundation
import SQLKit
import SafeGridCore
import Vapor

/// `/api/v1/reports`: residents' reports as the workers of their area see and handle them —
/// at the top of the grid and micro-grid workers' Today in the field app, with their age; verify
/// (an inspection of the subject, the report linked, its hazard on the normal loop) or dismiss
/// with a reason. Every step answers the resident by SMS (``ResidentAnswers``).
///
/// Jurisdiction: a report is read and handled by people whose area holds it (a report nothing
/// placed in a village is the town's); another is 404 like an unknown one. Viewers only read.
/// The reporter's mobile is shown in full only to the grid and micro-grid workers who verify;
/// everyone else sees it masked, and Open311 and exports never carry it.
enum ReportsController {
    struct PhotoDTO: Content { let url: String }
    /// What another resident added to the report ("is it this one?"): their words and photos.
    struct AdditionDTO: Content {
        let id: UUID
        let description: String?
        let receivedAt: String
        let photos: [PhotoDTO]
    }
    struct NearbySubject: Content {
        let id: UUID
        let name: String
        let kind: String
        let distanceMetres: Int
    }

    struct ReportDTO: Content {
        let id: UUID
        let channel: String
        let serviceCode: String
        let item: String
        let categoryZh: String
        let description: String?
        let latitude: Double?
        let longitude: Double?
        let address: String?
        let townCode: String
        let villageCode: String?
        let villageName: String?
        let gridCode: String?
        let microGridCode: String?
        let subjectId: UUID?
        let subjectName: String?
        let subjectKind: String?
        let state: String
        let stateName: String
        let receivedAt: String
        let ageMinutes: Int
        /// When it must be verified or dismissed (received + 24 h).
        let verifyBy: String
        let overdue: Bool
        let anonymous: Bool
        let reporterName: String?
        /// In full for the verifying workers, else `138****0000`; `nil` when anonymous.
        let reporterPhone: String?
        let additions: Int
        /// The additions themselves, oldest first.
        let addedByOthers: [AdditionDTO]
        let photos: [PhotoDTO]
        let verifiedAt: String?
        let verifiedBy: String?
        let inspectionId: UUID?
        let hazardIds: [UUID]
        let dismissReason: String?
        let dismissReasonName: String?
        let duplicateOf: UUID?
        let note: String?
        let alertedAt: String?
        /// Open subjects within 100 m, nearest first (at most 5): whom a verification may be about.
        let nearbySubjects: [NearbySubject]
    }

    /// Whether this reader sees reporters' mobiles in full: the grid and micro-grid workers (who
    /// call the resident back when they cannot find the place), inside whose area the report lies.
    static func revealsReporter(_ req: Request) -> Bool { req.signedIn?.account.role.seesReporterPhoneNumbers ?? false }

    /// The answers of `rows`, their subjects, villages, counts and hazards read once for all.
    static func dtos(_ rows: [ResidentReportRow], _ req: Request, nearby: Bool) async throws -> [ReportDTO] {
        let sql = req.sql
        let queries = CampaignQueries(sql: sql, scope: req.jurisdiction)
        let checklist = try await req.checklists.current(sql: sql)
        let store = ResidentReportStore(sql: sql)
        let ids = rows.map(\.id)
        let subjects = try await queries.subjects(Array(Set(rows.compactMap(\.subjectId))))
        let additions = try await store.additionRows(of: ids)
        let photos = try await store.photoCounts(of: ids + additions.values.flatMap { $0.map(\.id) })
        func photoURLs(_ id: UUID) -> [PhotoDTO] {
            (0..<(photos[id] ?? 0)).map { PhotoDTO(url: "/api/v1/reports/\(id.uuidString.lowercased())/photos/\($0)") }
        }
        let handled = rows.filter { $0.reportState == .verified || $0.reportState == .rectified }.map(\.id)
        let hazardsOf = try await store.hazards(of: handled)
        var villages: [String: String] = [:]
        let villageCodes = Array(Set(rows.compactMap(\.villageCode)))
        if !villageCodes.isEmpty {
            for a in try await sql.select().columns("code", "name").from("areas").where("code", .in, SQLBind.group(villageCodes)).all() {
                if let code = try? a.decode(column: "code", as: String.self), let name = try? a.decode(column: "name", as: String.self) { villages[code] = name }
            }
        }
        let now = req.services.now()
        let reveal = revealsReporter(req)
        var out: [ReportDTO] = []
        for r in rows {
            let item = checklist.item(r.serviceCode)
            let hazards = hazardsOf[r.id] ?? []
            var near: [NearbySubject] = []
            if nearby, let p = r.position {
                near = try await ReportRouting.subjectsNear(p, metres: ResidentReportRules.subjectMatchMetres, limit: 5, queries: queries)
                    .map { NearbySubject(id: $0.0.id, name: $0.0.name, kind: $0.0.kind, distanceMetres: Int($0.1.rounded())) }
            }
            let phone = r.reporterPhone.flatMap { try? PhoneNumber(stored: $0) }
            let reason = r.dismissReason.flatMap(ReportDismissalReason.init(rawValue:))
            let id = r.id.uuidString.lowercased()
            out.append(ReportDTO(
                id: r.id, channel: r.channel, serviceCode: r.serviceCode, item: item?.zh ?? r.serviceCode,
                categoryZh: HazardCategory(rawValue: r.category)?.zh ?? r.category, description: r.description,
                latitude: r.latitude, longitude: r.longitude, address: r.address, townCode: r.townCode, villageCode: r.villageCode,
                villageName: r.villageCode.flatMap { villages[$0] }, gridCode: r.gridCode, microGridCode: r.microGridCode,
                subjectId: r.subjectId, subjectName: r.subjectId.flatMap { subjects[$0]?.name }, subjectKind: r.subjectId.flatMap { subjects[$0]?.kind },
                state: r.state, stateName: r.reportState.zh, receivedAt: Timestamp.format(r.receivedAt),
                ageMinutes: max(0, Int(now.timeIntervalSince(r.receivedAt) / 60)),
                verifyBy: Timestamp.format(ResidentReportRules.verifyBy(r.receivedAt)), overdue: r.report.isOverdue(now: now),
                anonymous: r.anonymous, reporterName: r.reporterName,
                reporterPhone: phone.map { reveal ? $0.display : $0.masked },
                additions: additions[r.id]?.count ?? 0,
                addedByOthers: (additions[r.id] ?? []).map { a in
                    AdditionDTO(id: a.id, description: a.description, receivedAt: Timestamp.format(a.receivedAt), photos: photoURLs(a.id))
                },
                photos: photoURLs(r.id),
                verifiedAt: r.verifiedAt.map(Timestamp.format), verifiedBy: r.verifiedBy, inspectionId: r.inspectionId, hazardIds: hazards,
                dismissReason: reason?.rawValue, dismissReasonName: reason?.zh, duplicateOf: r.duplicateOf, note: r.note,
                alertedAt: r.alertedAt.map(Timestamp.format), nearbySubjects: near))
        }
        return out
    }

    /// `GET /api/v1/reports?areaCode=&state=open|closed|all`: the area's reports — awaiting
    /// verification oldest first (the default), or handled ones newest first; at most 200.
    static func list(_ req: Request) async throws -> [ReportDTO] {
        let area = try await Input.areaCode(req) ?? req.homeAreaCode
        guard req.queries.sees(area: area) else { throw DomainError(.notFound, field: "areaCode", reason: "no area with code \(area)") }
        let open: Bool?
        switch req.query[String.self, at: "state"] ?? "" {
        case "", "open": open = true
        case "closed": open = false
        case "all": open = nil
        case let other: throw DomainError.invalid("state", "state is open, closed or all, got '\(other.prefix(20))'")
        }
        let rows = try await ResidentReportStore(sql: req.sql).reports(area: area, open: open, limit: 200, queries: req.queries)
        // Whom a report may be about is asked where it is worked: a grid's or micro-grid's list.
        let worked = AreaLevel(codeLength: area.count).map { $0 == .grid || $0 == .microGrid } ?? false
        return try await dtos(rows, req, nearby: open == true && worked)
    }

    static func row(_ req: Request) async throws -> ResidentReportRow {
        let id = try Input.uuid(req.parameters.get("id"), "id", kind: .notFound)
        guard let r = try await ResidentReportStore(sql: req.sql).report(id, queries: req.queries) else {
            throw DomainError(.notFound, field: "id", reason: "no report with id \(id)")
        }
        return r
    }

    /// `GET /api/v1/reports/{id}`.
    static func show(_ req: Request) async throws -> ReportDTO {
        let r = try await row(req)
        return try await dtos([r], req, nearby: true)[0]
    }

    /// `GET /api/v1/reports/{id}/photos/{n}`: a photo as the resident sent it, without its metadata.
    static func photo(_ req: Request) async throws -> Response {
        let r = try await row(req)
        guard let n = req.parameters.get("n").flatMap(Int.init), n >= 0, n < ResidentReportRules.maxPhotos,
              let photo = try await ResidentReportStore(sql: req.sql).photo(report: r.id, position: n) else {
            throw DomainError(.notFound, field: "n", reason: "no such photo")
        }
        let response = Response(status: .ok, body: .init(data: photo.data))
        response.headers.replaceOrAdd(name: .contentType, value: photo.type)
        response.headers.cacheControl = .init(isPrivate: true, maxAge: 86_400)
        return response
    }

    struct ActionInput: Content {
        /// `verify` or `dismiss`.
        let action: String?
        /// `verify`: the subject inspected (default: the one the report was matched to).
        let subjectId: String?
        /// `verify`: the checklist item found (default: the reported one).
        let itemCode: String?
        /// `verify`: the severity (default: the item's).
        let severity: String?
        /// `dismiss`: ``ReportDismissalReason``.
        let reason: String?
        /// `dismiss` with `duplicate`: the report this one repeats.
        let duplicateOf: String?
        /// `dismiss`: required, told to the resident; `verify`: optional, on the inspection.
        let note: String?
    }

    /// `POST /api/v1/reports/{id}/actions`: verify or dismiss. Verifying records a one-item
    /// inspection of the subject by the acting worker, through the campaign's write path, and
    /// links its hazard to the report; the resident is told the deadline. Dismissing tells the
    /// resident the reason.
    /// - Throws: 404 outside the jurisdiction; 403 for a department inspector on another
    ///   department's item; 409 on `action` once handled; 422 naming `action`,
    ///   `subjectId` (none given or matched, unknown, closed down), `itemCode` (not for the
    ///   subject's kind), `severity`, `reason`, `duplicateOf`, `note`.
    static func act(_ req: Request) async throws -> ReportDTO {
        let input = try req.content.decode(ActionInput.self)
        let account = try req.account()
        enum Action: String, CaseIterable { case verify, dismiss }
        let action: Action = try Input.enumValue(input.action ?? "", "action")
        let severity: Severity? = try Input.optionalEnum(input.severity, "severity")
        let reason: ReportDismissalReason? = try Input.optionalEnum(input.reason, "reason")
        let subjectId = try input.subjectId.flatMap { $0.isEmpty ? nil : $0 }.map { s throws(DomainError) in try Input.uuid(s, "subjectId") }
        let duplicateOf = try input.duplicateOf.flatMap { $0.isEmpty ? nil : $0 }.map { s throws(DomainError) in try Input.uuid(s, "duplicateOf") }
        let note = input.note.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
        try TextRules.check(note, "note", max: ResidentReportRules.noteMax, multiline: true)
        // A note is told to the resident: no text-direction overrides, as in what residents type.
        try ResidentReportRules.checkDirection(note, "note")
        let now = req.services.now()
        let actor = "\(account.displayName)（\(account.username)）"
        let checklists = req.application.checklists
        let updated: ResidentReportRow = try await req.campaignWrite { tx in
            let store = ResidentReportStore(sql: tx.sql)
            guard let r = try await store.report(try Input.uuid(req.parameters.get("id"), "id", kind: .notFound), queries: tx.queries) else {
                throw DomainError(.notFound, field: "id", reason: "no report with this id")
            }
            let checklist = try await checklists.current(sql: tx.sql)
            switch action {
            case .verify:
                try await ReportHandling.verify(r, subject: subjectId, itemCode: input.itemCode, severity: severity, note: note,
                                                by: account, actor: actor, checklist: checklist, tx: tx, now: now)
            case .dismiss:
                guard let reason else {
                    throw DomainError.invalid("reason", "say why: " + ReportDismissalReason.allCases.map { "\($0.rawValue) \($0.zh)" }.joined(separator: ", "))
                }
                try await ReportHandling.dismiss(r, reason: reason, duplicateOf: duplicateOf, note: note, by: account, actor: actor,
                                                 checklist: checklist, tx: tx, now: now)
            }
            guard let after = try await store.report(r.id, queries: tx.queries) else {
                throw DomainError(.notFound, field: "id", reason: "no report with this id")
            }
            return after
        }
        return try await dtos([updated], req, nearby: false)[0]
    }

    // MARK: Figures

    struct ChildFigures: Content {
        let code: String
        let name: String
        let received: Int
        let open: Int
        let verified: Int
        let dismissed: Int
    }

    struct SummaryDTO: Content {
        let areaCode: String
        /// Every report (additions aside) and how many stand in each state.
        let received: Int
        let open: Int
        let verified: Int
        let dismissed: Int
        let rectified: Int
        /// Awaiting verification for more than 24 hours.
        let overdue: Int
        /// Median minutes from receipt to verification or dismissal; `nil` before the first.
        let medianVerifyMinutes: Int?
        let children: [ChildFigures]
    }

    /// `GET /api/v1/reports/summary?areaCode=`: the dashboard's figures of residents' reports.
    static func summary(_ req: Request) async throws -> SummaryDTO {
        let area = try await Input.areaCode(req) ?? req.homeAreaCode
        guard req.queries.sees(area: area) else { throw DomainError(.notFound, field: "areaCode", reason: "no area with code \(area)") }
        return try await summary(area: area, queries: req.queries, now: req.services.now())
    }

    static func summary(area: String, queries: CampaignQueries, now: Date) async throws -> SummaryDTO {
        let children = try await queries.children(of: area)
        let childColumn = children.first.flatMap { CampaignQueries.areaColumn(for: $0.code) }
        let f = try await ResidentReportStore(sql: queries.sql).figures(area: area, childColumn: childColumn, queries: queries, now: now)
        let s = f.byState
        let median = Median.of(f.handlingSeconds).map { Int($0 / 60) }
        return SummaryDTO(
            areaCode: area, received: s.values.reduce(0, +), open: s[.received] ?? 0, verified: (s[.verified] ?? 0) + (s[.rectified] ?? 0),
            dismissed: s[.dismissed] ?? 0, rectified: s[.rectified] ?? 0, overdue: f.overdue, medianVerifyMinutes: median,
            children: children.map { c in
                let m = f.perChild[c.code] ?? [:]
                return ChildFigures(code: c.code, name: c.name, received: m.values.reduce(0, +), open: m[.received] ?? 0,
                                    verified: (m[.verified] ?? 0) + (m[.rectified] ?? 0), dismissed: m[.dismissed] ?? 0)
            })
    }

    // MARK: Change feed

    struct Change: Content {
        let cursor: String
        let reportId: UUID
        let state: String
        let stateName: String
        let at: String
    }

    struct ChangePage: Content {
        let changes: [Change]
        let next: String
        let hasMore: Bool
    }

    /// `GET /api/v1/reports/changes?after=&limit=`: every state reports of the reader's area
    /// reached, in commit order, from a cursor (as `GET /api/v1/changes` for hazards).
    static func changes(_ req: Request) async throws -> ChangePage {
        let (after, limit) = try ChangesController.cursor(req)
        let rows = try await ResidentReportStore(sql: req.sql).events(after: after, limit: limit + 1, queries: req.queries)
        let page = rows.prefix(limit)
        return ChangePage(changes: page.map { e in
            Change(cursor: String(e.seq), reportId: e.report, state: e.state,
                   stateName: ResidentReportState(rawValue: e.state)?.zh ?? e.state, at: Timestamp.format(e.at))
        }, next: String(page.last?.seq ?? after), hasMore: rows.count > limit)
    }
}

import Crypto
import Foundation
import SQLKit
import SafeGridCore
import Vapor
import XMLCoder

/// Services (the checklist) and service requests (hazards and reports) as GeoReport reads them.
extension Open311Controller {
    // MARK: Services

    static func services(_ req: Request) async throws -> [Service] {
        let checklist = try await req.checklists.current(sql: req.sql)
        return checklist.items.map { item in
            Service(service_code: item.code, service_name: "\(item.zh) \(item.en)",
                    description: "\(item.en). 依据 \(item.legalBasis)", metadata: true, type: "realtime",
                    keywords: "\(item.department.zh),\(item.department.rawValue)", group: item.category.zh)
        }
    }

    static func definition(_ req: Request, code: String) async throws -> ServiceDefinition {
        let checklist = try await req.checklists.current(sql: req.sql)
        guard checklist.item(code) != nil else { throw DomainError(.notFound, field: "service_code", reason: "no service \(code)") }
        return ServiceDefinition(service_code: code, attributes: [
            Attribute(variable: true, code: "subject_name", datatype: "string", required: false,
                      datatype_description: "单位或店铺名称", order: 1, description: "隐患所在单位 Name of the enterprise, shop or building"),
        ])
    }

    // MARK: Requests

    static let maxResults = 1_000
    /// Most ids one `service_request_id` list may name (each is a lookup, and reads need no key).
    static let maxIDs = 50
    static let defaultDays = 90.0

    static func requests(_ req: Request) async throws -> [ServiceRequest] {
        let checklist = try await req.checklists.current(sql: req.sql)
        // The dates are checked even when ids are given (then they filter nothing): a bad value is a 422 either way.
        let now = req.services.now()
        let end = try req.query[String.self, at: "end_date"].map { s throws(DomainError) in try Input.timestamp(s, "end_date") } ?? now
        let start = try req.query[String.self, at: "start_date"].map { s throws(DomainError) in try Input.timestamp(s, "start_date") }
            ?? end.addingTimeInterval(-defaultDays * 86_400)
        if let ids = req.query[String.self, at: "service_request_id"], !ids.isEmpty {
            let list = ids.split(separator: ",")
            guard list.count <= maxIDs else {
                throw DomainError(.malformed, field: "service_request_id",
                                  reason: "at most \(maxIDs) ids per request, got \(list.count); ask in several requests")
            }
            var found: [ServiceRequest] = []
            for id in list {
                if let r = try await lookup(req, id: String(id).trimmingCharacters(in: .whitespaces), checklist: checklist) { found.append(r) }
            }
            return found
        }
        guard start <= end else { throw DomainError.invalid("start_date", "start_date is after end_date") }
        let status = req.query[String.self, at: "status"].flatMap { $0.isEmpty ? nil : $0 }
        guard status == nil || status == "open" || status == "closed" else {
            throw DomainError.invalid("status", "status must be open or closed")
        }
        let code = req.query[String.self, at: "service_code"].flatMap { $0.isEmpty ? nil : $0 }

        let store = ServiceRequestStore(sql: req.sql)
        let filter = ServiceRequestStore.Filter(start: start, end: end, serviceCode: code, status: status)
        let hazards = try await store.hazards(filter, limit: maxResults)
        let subjects = try await CampaignQueries(sql: req.sql, scope: .everything).subjects(hazards.map(\.subjectId))
        var result = hazards.map { request(hazard: $0, subject: subjects[$0.subjectId], checklist: checklist) }

        for row in try await ResidentReportStore(sql: req.sql).reports(from: start, through: end, serviceCode: code, status: status, limit: maxResults) {
            result.append(try await request(reported: row, checklist: checklist, sql: req.sql))
        }
        return Array(result.sorted { $0.requested_datetime > $1.requested_datetime }.prefix(maxResults))
    }

    static func request(_ req: Request, id: String) async throws -> [ServiceRequest] {
        let checklist = try await req.checklists.current(sql: req.sql)
        guard let r = try await lookup(req, id: id, checklist: checklist) else {
            throw DomainError(.notFound, field: "service_request_id", reason: "no service request \(id)")
        }
        return [r]
    }

    static func lookup(_ req: Request, id: String, checklist: Checklist) async throws -> ServiceRequest? {
        guard let uuid = UUID(uuidString: id) else { return nil }
        // Open311 reads the whole district (as the list does), not a person's jurisdiction.
        let q = CampaignQueries(sql: req.sql, scope: .everything)
        if let h = try await q.hazard(uuid) {
            return request(hazard: h, subject: try await q.subject(h.subjectId), checklist: checklist)
        }
        if let row = try await ResidentReportStore(sql: req.sql).reports(ids: [uuid])[uuid], row.reportState != .added {
            return try await request(reported: row, checklist: checklist, sql: req.sql)
        }
        return nil
    }

    static func request(hazard h: HazardRow, subject: SubjectRow?, checklist: Checklist) -> ServiceRequest {
        let state = HazardState(rawValue: h.state) ?? .open
        let item = checklist.item(h.itemCode)
        let position = subject?.location?.converted(to: .wgs84)
        var notes = "\(state.zh) \(state.rawValue)"
        if state.isOpen { notes += "; 整改期限 due \(CalendarDate(shanghai: h.dueAt))" }
        if h.overdueAt != nil && state.isOpen { notes += "; 已逾期 overdue" }
        if h.reboundCount > 0 { notes += "; 反弹 rebounds \(h.reboundCount)" }
        return ServiceRequest(
            service_request_id: h.id.uuidString.lowercased(), status: state.isOpen ? "open" : "closed", status_notes: notes,
            service_name: item.map { "\($0.zh) \($0.en)" }, service_code: h.itemCode,
            // The checklist's words only: the inspector's note may name people or details not for the public.
            description: item?.zh, agency_responsible: Department(rawValue: h.department)?.zh,
            service_notice: nil, requested_datetime: Timestamp.format(h.foundAt), updated_datetime: Timestamp.format(h.lastEventAt),
            expected_datetime: Timestamp.format(h.dueAt), address: subject?.address,
            lat: position?.latitude, long: position?.longitude, media_url: nil)
    }

    /// A resident's report as GeoReport reads it: its state in `status` and `status_notes`
    /// (``ResidentReport/statusNotes(dueOn:)``), `updated_datetime` its last change, and
    /// `expected_datetime` the verification promise while it waits, then the party's deadline.
    /// The reporter's name and mobile are never in it, nor the photos (staff only).
    static func request(reported r: ResidentReportRow, checklist: Checklist, sql: any SQLDatabase) async throws -> ServiceRequest {
        let item = checklist.item(r.serviceCode)
        let dueAt = r.reportState == .verified ? try await ResidentAnswers.dueAt(r.id, sql: sql) : nil
        let due = dueAt.map(CalendarDate.init(shanghai:))
        let expected: String? = switch r.reportState {
        case .received: Timestamp.format(ResidentReportRules.verifyBy(r.receivedAt))
        case .verified: dueAt.map(Timestamp.format)
        default: nil
        }
        return ServiceRequest(
            service_request_id: r.id.uuidString.lowercased(), status: r.reportState.open311Status,
            status_notes: r.report.statusNotes(dueOn: due),
            service_name: item.map { "\($0.zh) \($0.en)" }, service_code: r.serviceCode, description: r.description,
            agency_responsible: item?.department.zh, service_notice: nil,
            requested_datetime: Timestamp.format(r.receivedAt), updated_datetime: Timestamp.format(r.updatedAt),
            expected_datetime: expected, address: r.address, lat: r.latitude, long: r.longitude, media_url: nil)
    }

    static func tokenLookup(_ req: Request, token: String) async throws -> [TokenAnswer] {
        guard let row = try await ServiceRequestStore(sql: req.sql).report(token: token) else {
            throw DomainError(.notFound, field: "token", reason: "no request with this token")
        }
        return [TokenAnswer(service_request_id: try row.decode(column: "id", as: UUID.self).uuidString.lowercased(),
                            token: try row.decode(column: "token", as: String.self))]
    }
}

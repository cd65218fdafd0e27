import Foundation
import SafeGridCore
import Vapor

/// 网格日常管: a grid or micro-grid worker's inspection tasks for a day.
///
/// - **Routine tasks** come from ``InspectionFrequency``: every subject of the area is due
///   `interval` days after its last inspection (rental housing and parks 30, enterprises 60,
///   street shops 90 — NFPA 1730's high/moderate/low risk ratio; key hazard enterprises and
///   subjects with an open extremely severe hazard 7, with an open serious hazard 14); a subject
///   never inspected is due at once. A task is done by any inspection of the subject.
/// - **Directed tasks** (定向) are assigned by the town (`POST /api/v1/tasks/directed`) to one
///   subject with a due day and a reason; done by the subject's first inspection after it was
///   assigned.
/// - **Quota** (定额): ``TaskQuota/default(for:period:)`` per worker and month, counted as
///   inspections of subjects in the worker's area (inspections name people, not accounts).
/// - Order: nearest first from the worker's position (`latitude`, `longitude`, WGS-84), else by
///   due day.
/// - **Residents' reports** awaiting verification in the area come first, oldest first, with
///   their age (``ReportsController``).
enum TaskLists {
    struct HazardLine: Content {
        let id: UUID
        let itemCode: String
        let item: String?
        let severity: String
        let dueOn: String
        let overdue: Bool
    }

    struct TaskLine: Content {
        let subjectId: UUID
        let name: String
        let address: String
        let kind: String
        let colour: ColourDTO?
        let keyHazardEnterprise: Bool
        let dueOn: String
        let overdue: Bool
        let overdueDays: Int
        /// `routine`, `keyHazardEnterprise`, `openExtremelySevereHazard`, `openSeriousHazard`, or nil
        /// when only directed.
        let reason: String?
        let intervalDays: Int?
        let directed: [DirectedDTO]
        /// Metres from the worker's position; nil without a position or a location.
        let distanceMetres: Int?
        let openHazards: [HazardLine]
    }

    struct DirectedDTO: Content {
        let id: UUID
        let subjectId: UUID
        let assignedBy: String
        let assignedOn: String
        let dueOn: String
        let reason: String
        let completedOn: String?
    }

    struct QuotaDTO: Content {
        let worker: String
        let period: String
        let from: String
        let through: String
        let target: Int
        let done: Int
        let remaining: Int
        let met: Bool
    }

    /// A resident's report awaiting verification in the area: the first work of the day.
    struct ReportLine: Content {
        let id: UUID
        let item: String
        let description: String?
        let address: String?
        let subjectId: UUID?
        let subjectName: String?
        let receivedAt: String
        let ageMinutes: Int
        /// Waiting beyond 24 hours (the village officer has been or will be alerted).
        let overdue: Bool
    }

    struct TaskListDTO: Content {
        let date: String
        let areaCode: String
        let quota: QuotaDTO
        /// Residents' reports to verify, oldest first (above the tasks).
        let reports: [ReportLine]
        let tasks: [TaskLine]
    }

    /// The grid or micro-grid a request is about: `areaCode`, else the account's own area.
    /// - Throws: 422 when neither is a grid or micro-grid; 404 outside the jurisdiction.
    static func workerArea(_ req: Request) async throws -> String {
        let code = try await Input.areaCode(req) ?? req.signedIn?.account.areaCode ?? ""
        guard AreaCodes.isGridOrMicroGrid(code) else {
            throw DomainError.invalid("areaCode", "task lists belong to a grid (14 digits) or micro-grid (17 digits); give areaCode")
        }
        guard req.queries.sees(area: code) else { throw DomainError(.notFound, field: "areaCode", reason: "no area with code \(code)") }
        return code
    }

    /// `GET /api/v1/tasks?date=&areaCode=&latitude=&longitude=`.
    static func list(_ req: Request) async throws -> TaskListDTO {
        let area = try await workerArea(req)
        let now = req.services.now()
        let day = try Input.calendarDate(req.query[String.self, at: "date"], "date") ?? CalendarDate(shanghai: now)
        let position = try Input.position(req)
        return try await build(req, area: area, day: day, position: position, now: now)
    }

    static func build(_ req: Request, area: String, day: CalendarDate, position: GeoPoint?, now: Date) async throws -> TaskListDTO {
        let q = req.queries
        guard let store = TaskListQueries(queries: q, area: area) else { throw DomainError.invalid("areaCode", "not a grid") }
        let subjects = try await store.subjects()
        let byID = Dictionary(uniqueKeysWithValues: subjects.map { ($0.id, $0) })
        let lastVisit = try await q.lastInspectionDays(subjects.map(\.id))
        let listed = try await KeyHazardStore(sql: req.sql).subjects(listedIn: area)
        let open = try await store.openHazards()
        let openBySubject = Dictionary(grouping: open, by: \.subjectId)
        let routineSubjects = subjects.map { s in
            InspectionFrequency.TaskSubject(
                subjectId: s.id, kind: s.subjectKind, areaCode: s.microGridCode,
                lastInspectedOn: lastVisit[s.id].flatMap { try? CalendarDate($0) }, isKeyHazardEnterprise: listed.contains(s.id),
                worstOpenSeverity: (openBySubject[s.id] ?? []).compactMap { Severity(rawValue: $0.severity) }.max(),
                closedDown: s.closedDownAt != nil, location: s.location)
        }
        let routine = try InspectionFrequency.tasks(for: routineSubjects, from: day, through: day)
        let directed = try await store.directedTasks()
        let lines = try InspectionTasks.today(routine: routine, directed: directed, workerArea: area, on: day, from: position,
                                              locations: Dictionary(uniqueKeysWithValues: subjects.compactMap { s in s.location.map { (s.id, $0) } }))
        var items: [String: ChecklistItem] = [:]
        for h in open where items[h.itemCode] == nil { items[h.itemCode] = try await req.checklists.item(h.itemCode, version: h.checklistVersion, sql: req.sql) }
        let tasks = lines.prefix(500).compactMap { t -> TaskLine? in
            guard let s = byID[t.subjectId] else { return nil }
            return TaskLine(subjectId: s.id, name: s.name, address: s.address, kind: s.kind, colour: s.subjectColour.map(ColourDTO.init),
                            keyHazardEnterprise: listed.contains(s.id), dueOn: t.dueOn.description, overdue: t.isOverdue,
                            overdueDays: t.overdueDays, reason: t.routine?.reason.rawValue, intervalDays: t.routine?.intervalDays,
                            directed: t.directed.map(dto), distanceMetres: t.metres.map { Int($0.rounded()) },
                            openHazards: (openBySubject[s.id] ?? []).map { h in
                                HazardLine(id: h.id, itemCode: h.itemCode, item: items[h.itemCode]?.zh, severity: h.severity,
                                           dueOn: CalendarDate(shanghai: h.dueAt).description, overdue: h.dueAt < now)
                            })
        }
        // Quota: inspections of the area's subjects in the month.
        let worker: TaskQuota.Worker = area.count == AreaLevel.microGrid.codeLength ? .microGridWorker : .gridWorker
        let quota = TaskQuota.default(for: worker, period: .month)
        let bounds = QuotaPeriod.month.bounds(containing: day)
        let done = try await store.inspectionDays(from: bounds.first, through: bounds.last)
        let progress = quota.progress(completedOn: done, on: day)
        let reports = try await ReportsController.dtos(
            try await ResidentReportStore(sql: req.sql).reports(area: area, open: true, limit: 50, queries: q), req, nearby: false)
        return TaskListDTO(date: day.description, areaCode: area,
                           quota: QuotaDTO(worker: worker.rawValue, period: QuotaPeriod.month.rawValue, from: progress.first.description,
                                           through: progress.last.description, target: quota.target, done: progress.done,
                                           remaining: progress.remaining, met: progress.isMet),
                           reports: reports.map { r in
                               ReportLine(id: r.id, item: r.item, description: r.description, address: r.address, subjectId: r.subjectId,
                                          subjectName: r.subjectName, receivedAt: r.receivedAt, ageMinutes: r.ageMinutes, overdue: r.overdue)
                           },
                           tasks: Array(tasks))
    }

    static func dto(_ d: DirectedTask) -> DirectedDTO {
        DirectedDTO(id: d.id, subjectId: d.subjectId, assignedBy: d.assignedBy, assignedOn: d.assignedOn.description,
                    dueOn: d.dueOn.description, reason: d.reason, completedOn: d.completedOn?.description)
    }

    struct DirectedInput: Content {
        let subjectId: String
        let dueOn: String
        let reason: String
    }

    /// `POST /api/v1/tasks/directed` (admins): 定向 — inspect this subject by `dueOn`.
    static func direct(_ req: Request) async throws -> Response {
        let account = try req.account()
        let input = try req.content.decode(DirectedInput.self)
        let id = try Input.uuid(input.subjectId, "subjectId")
        guard let subject = try await req.queries.subject(id) else { throw DomainError.invalid("subjectId", "no subject with id \(id)") }
        guard let due = try Input.calendarDate(input.dueOn, "dueOn") else { throw DomainError.invalid("dueOn", "dueOn is required") }
        let now = req.services.now()
        let task = try DirectedTask(id: UUID(), subjectId: id, areaCode: subject.microGridCode, assignedBy: account.displayName,
                                    assignedOn: CalendarDate(shanghai: now), dueOn: due, reason: input.reason)
        try await req.application.writeGate.transaction(on: req.db, changesCampaign: false) { sql in
            try await CampaignStore(sql: sql).insert(directedTask: task, subject: subject, at: now)
        }
        return try Response.json(dto(task), status: .created)
    }

    /// `/tasks`: the worker's phone page — today's tasks, nearest first once the phone shares
    /// its position, each with the subject's open hazards.
    static func page(_ req: Request) async throws -> Response {
        let area = try await workerArea(req)
        let list = try await self.list(req)
        return TaskListPage.render(list, area: area)
    }
}

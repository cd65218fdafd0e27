import Foundation
import SQLKit
import SafeGridCore

/// The reads behind 绩效 (``Performance``): for an area and the level of its children (villages
/// or grids), the records of a period, grouped by child. Subjects, hazards and directed tasks
/// are restricted to the reader's scope and to the area; days are Asia/Shanghai calendar days.
struct PerformanceQueries {
    /// The reader's scope.
    let queries: CampaignQueries

    var sql: any SQLDatabase { queries.sql }

    /// A subject that is not closed down, with what its routine tasks depend on.
    struct OpenSubject: Sendable {
        let id: UUID
        /// An unknown stored kind counts as an enterprise.
        let kind: SubjectKind
        /// The day it was recorded (`created_at`).
        let recordedOn: CalendarDate
        /// The code of the child area (village or grid) it lies in.
        let child: String
    }

    /// A directed task due in a period.
    struct DirectedTaskDue: Sendable {
        let subjectId: UUID
        /// The day it was given (`created_at`).
        let givenOn: CalendarDate
        let dueOn: CalendarDate
        let child: String
    }

    /// The column of the children's codes: `village_code`, `grid_code`, …
    private static func childColumn(_ level: AreaLevel) -> String {
        CampaignQueries.areaColumn(for: String(repeating: "0", count: level.codeLength)) ?? "village_code"
    }

    /// Restricts a query on a table with area columns to `area` and the reader's scope.
    private func inArea(_ b: SQLSelectBuilder, _ area: Area) -> SQLSelectBuilder {
        guard let column = CampaignQueries.areaColumn(for: area.code) else { return queries.scoped(b) }
        return queries.scoped(b.where(SQLIdentifier(column), .equal, SQLBind(area.code)))
    }

    /// The names of the grid workers of `grids`, by grid code (grids without one are absent).
    func gridWorkers(_ grids: [String]) async throws -> [String: String] {
        var workers: [String: String] = [:]
        for r in try await sql.select().columns("grid_code", "name").from("grid_workers")
            .where("grid_code", .in, SQLBind.group(grids)).all() {
            workers[try r.decode(column: "grid_code", as: String.self)] = try r.decode(column: "name", as: String.self)
        }
        return workers
    }

    /// The subjects of `area` that are not closed down, each with its child of level `child`.
    /// - Throws: when a subject row cannot be read.
    func openSubjects(of area: Area, by child: AreaLevel) async throws -> [OpenSubject] {
        let childColumn = Self.childColumn(child)
        var out: [OpenSubject] = []
        for s in try await inArea(sql.select().columns("id", "kind", "closed_down_at", "created_at", childColumn).from("subjects"), area).all()
        where try s.decode(column: "closed_down_at", as: Date?.self) == nil {
            out.append(OpenSubject(id: try s.decode(column: "id", as: UUID.self),
                                   kind: SubjectKind(rawValue: try s.decode(column: "kind", as: String.self)) ?? .enterprise,
                                   recordedOn: CalendarDate(shanghai: try s.decode(column: "created_at", as: Date.self)),
                                   child: try s.decode(column: childColumn, as: String.self)))
        }
        return out
    }

    /// The days of every visit (inspection) to a subject of `area` through `last`, by subject
    /// id, in no particular order. A stored day that cannot be read is left out.
    func visits(of area: Area, through last: CalendarDate) async throws -> [UUID: [CalendarDate]] {
        var visits: [UUID: [CalendarDate]] = [:]
        let subjectIDs = SQLSubquery.select { sub in
            var b = sub.column("id").from("subjects")
            if let column = CampaignQueries.areaColumn(for: area.code) { b = b.where(SQLIdentifier(column), .equal, SQLBind(area.code)) }
            return b
        }
        for r in try await sql.select().columns("subject_id", "inspected_on").from("inspections").where("subject_id", .in, subjectIDs)
            .where("inspected_on", .lessThanOrEqual, SQLBind(last.description)).all() {
            if let d = try? CalendarDate(try r.decode(column: "inspected_on", as: String.self)) {
                visits[try r.decode(column: "subject_id", as: UUID.self), default: []].append(d)
            }
        }
        return visits
    }

    /// The directed tasks of `area` due from `first` through `last`.
    /// - Throws: when a row, or its due day, cannot be read.
    func directedTasksDue(in area: Area, by child: AreaLevel, from first: CalendarDate, through last: CalendarDate) async throws -> [DirectedTaskDue] {
        let childColumn = Self.childColumn(child)
        return try await inArea(sql.select().columns("subject_id", "due_on", "created_at", childColumn).from("directed_tasks"), area)
            .where("due_on", .greaterThanOrEqual, SQLBind(first.description)).where("due_on", .lessThanOrEqual, SQLBind(last.description)).all()
            .map { r in
                DirectedTaskDue(subjectId: try r.decode(column: "subject_id", as: UUID.self),
                                givenOn: CalendarDate(shanghai: try r.decode(column: "created_at", as: Date.self)),
                                dueOn: try CalendarDate(try r.decode(column: "due_on", as: String.self)),
                                child: try r.decode(column: childColumn, as: String.self))
            }
    }

    /// Hazards of `area` found from `first` through `last`, counted per child; with
    /// `confirmedOnly`, only those confirmed — the party signed the visit's record, or the
    /// hazard was verified rectified. Children without any are absent.
    func hazardsFound(in area: Area, by child: AreaLevel, from first: CalendarDate, through last: CalendarDate,
                      confirmedOnly: Bool) async throws -> [String: Int] {
        let childColumn = Self.childColumn(child)
        let signed = SQLSubquery.select { $0.column("inspection_id").from("signatures") }
        var b = inArea(sql.select().column(SQLIdentifier(childColumn)).column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("hazards"), area)
            .where("found_on", .greaterThanOrEqual, SQLBind(first.description)).where("found_on", .lessThanOrEqual, SQLBind(last.description))
        if confirmedOnly {
            b = b.where { $0.where("inspection_id", .in, signed).orWhere("state", .equal, SQLBind(HazardState.rectified.rawValue)) }
        }
        var out: [String: Int] = [:]
        for r in try await b.groupBy(SQLIdentifier(childColumn)).all() {
            out[try r.decode(column: childColumn, as: String.self)] = try r.decode(column: "n", as: Int.self)
        }
        return out
    }

    /// The hazards of `area` whose deadline falls from the start of `first` through the end of
    /// `last`, by id, with their child and deadline (UTC instant).
    func deadlines(in area: Area, by child: AreaLevel, from first: CalendarDate,
                   through last: CalendarDate) async throws -> [UUID: (child: String, dueAt: Date)] {
        let childColumn = Self.childColumn(child)
        let due = try await inArea(sql.select().columns("id", "due_at", childColumn).from("hazards"), area)
            .where("due_at", .greaterThanOrEqual, SQLBind(first.startUTC)).where("due_at", .lessThanOrEqual, SQLBind(last.endUTC)).all()
        var dueAt: [UUID: (child: String, dueAt: Date)] = [:]
        for r in due { dueAt[try r.decode(column: "id", as: UUID.self)] = (try r.decode(column: childColumn, as: String.self), try r.decode(column: "due_at", as: Date.self)) }
        return dueAt
    }

    /// The re-inspections (verified rectified, not yet rectified, rebound) of `hazards`, each
    /// with when it happened, read in chunks of ``DashboardCounters/idsPerRead``.
    func reinspections(of hazards: [UUID]) async throws -> [(hazard: UUID, at: Date)] {
        let kinds = [HazardEventKind.verifyRectified, .notYetRectified, .reportRebound].map(\.rawValue)
        var out: [(hazard: UUID, at: Date)] = []
        for chunk in hazards.chunked(DashboardCounters.idsPerRead) {
            for r in try await sql.select().columns("hazard_id", "occurred_at").from("hazard_events").where("hazard_id", .in, SQLBind.group(chunk))
                .where("kind", .in, SQLBind.group(kinds)).all() {
                out.append((try r.decode(column: "hazard_id", as: UUID.self), try r.decode(column: "occurred_at", as: Date.self)))
            }
        }
        return out
    }
}

import Foundation
import SQLKit
import SafeGridCore

/// Inspections, their team and item results.
extension CampaignQueries {
    package func inspection(_ id: UUID) async throws -> InspectionRow? {
        try await scopedBySubject(sql.select().columns("*").from("inspections").where("id", .equal, SQLBind(id)))
            .firstRow(InspectionRow.self)
    }

    package func inspection(clientID: String) async throws -> InspectionRow? {
        try await inspections(clientIDs: [clientID])[clientID]
    }

    /// Stored inspections by their client ids (the idempotency keys of submissions); unscoped,
    /// since a repeated submission must find its first answer.
    func inspections(clientIDs: [String]) async throws -> [String: InspectionRow] {
        var result: [String: InspectionRow] = [:]
        for chunk in Array(Set(clientIDs)).chunked(DashboardCounters.idsPerRead) {
            for row in try await sql.select().columns("*").from("inspections").where("client_id", .in, SQLBind.group(chunk))
                .rows(InspectionRow.self) {
                result[row.clientId] = row
            }
        }
        return result
    }

    func inspections(subject id: UUID) async throws -> [InspectionRow] {
        try await scopedBySubject(sql.select().columns("*").from("inspections").where("subject_id", .equal, SQLBind(id)))
            .orderBy("inspected_at", .descending)
            .rows(InspectionRow.self)
    }

    func team(inspection id: UUID) async throws -> [TeamMember] {
        try await sql.select().columns("name", "department").from("inspection_team_members")
            .where("inspection_id", .equal, SQLBind(id)).orderBy("position").all()
            .map { TeamMember(name: try $0.decode(column: "name", as: String.self),
                              department: Department(rawValue: try $0.decode(column: "department", as: String.self)) ?? .fireRescue) }
    }

    func results(inspection id: UUID) async throws -> [(itemCode: String, outcome: String, note: String?, hazardID: UUID?)] {
        try await sql.select().columns("item_code", "outcome", "note", "hazard_id").from("inspection_results")
            .where("inspection_id", .equal, SQLBind(id)).orderBy("item_code").all()
            .map { (try $0.decode(column: "item_code", as: String.self), try $0.decode(column: "outcome", as: String.self),
                    try $0.decode(column: "note", as: String?.self), try $0.decode(column: "hazard_id", as: UUID?.self)) }
    }

    /// The ids of the latest `limit` inspections that found hazards, newest first (the demo
    /// signs these on site). Not scoped: the whole database.
    package func latestInspectionsWithHazards(limit: Int) async throws -> [UUID] {
        try await sql.select().column("id").from("inspections").where("hazard_count", .greaterThan, SQLBind(0))
            .orderBy("inspected_at", .descending).limit(limit).all().map { try $0.decode(column: "id", as: UUID.self) }
    }
}

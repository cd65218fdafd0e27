import Foundation
import SQLKit
import SafeGridCore

/// The reads and writes of Open311 (GeoReport v2): hazards as service requests, and reports
/// from clients (`service_requests`). Open311 reads the whole district, not a jurisdiction.
struct ServiceRequestStore {
    let sql: any SQLDatabase

    /// A period and filters of `GET requests`: found or requested in `start…end` (UTC),
    /// optionally one checklist item (`serviceCode`) and `open`/`closed`.
    struct Filter: Sendable {
        let start: Date
        let end: Date
        let serviceCode: String?
        let status: String?
    }

    /// Hazards in the period, newest found first, at most `limit`.
    func hazards(_ f: Filter, limit: Int) async throws -> [HazardRow] {
        var q = sql.select().columns("*").from("hazards")
            .where("found_at", .greaterThanOrEqual, SQLBind(f.start)).where("found_at", .lessThanOrEqual, SQLBind(f.end))
        if let code = f.serviceCode { q = q.where("item_code", .equal, SQLBind(code)) }
        if let status = f.status {
            q = q.where("state", status == "open" ? .in : .notIn, SQLBind.group(CampaignQueries.openStates))
        }
        return try await q.orderBy("found_at", .descending).orderBy("id").limit(limit).rows(HazardRow.self)
    }

    /// Reported requests in the period, newest first, at most `limit`.
    func reports(_ f: Filter, limit: Int) async throws -> [any SQLRow] {
        var r = sql.select().columns("*").from("service_requests")
            .where("requested_at", .greaterThanOrEqual, SQLBind(f.start)).where("requested_at", .lessThanOrEqual, SQLBind(f.end))
        if let code = f.serviceCode { r = r.where("service_code", .equal, SQLBind(code)) }
        if let status = f.status { r = r.where("status", .equal, SQLBind(status)) }
        return try await r.orderBy("requested_at", .descending).limit(limit).all()
    }

    /// Reported request `id`.
    func report(_ id: UUID) async throws -> (any SQLRow)? {
        try await sql.select().columns("*").from("service_requests").where("id", .equal, SQLBind(id)).first()
    }

    /// The id and token of the request whose token is `token`.
    func report(token: String) async throws -> (any SQLRow)? {
        try await sql.select().columns("id", "token").from("service_requests").where("token", .equal, SQLBind(token)).first()
    }

    /// The id and token of the request client `client` made with the same parameters (`hash`).
    func report(client: UUID, requestHash hash: String) async throws -> (any SQLRow)? {
        try await sql.select().columns("id", "token").from("service_requests")
            .where("api_client_id", .equal, SQLBind(client)).where("request_hash", .equal, SQLBind(hash)).first()
    }

    /// A new report, `open` and awaiting verification. `fields` holds the reporter's optional
    /// GeoReport parameters by name (`first_name`, `last_name`, `email`, `phone`, `device_id`,
    /// `account_id`, `media_url`).
    func insertReport(id: UUID, token: String, client: UUID, requestHash: String, serviceCode: String, description: String?,
                      position: GeoPoint?, address: String?, fields: [String: String?], at now: Date) async throws {
        try await sql.insert(into: "service_requests")
            .columns("id", "token", "api_client_id", "request_hash", "service_code", "description", "latitude", "longitude",
                     "address", "first_name", "last_name", "email", "phone", "device_id", "account_id", "media_url",
                     "status", "status_notes", "requested_at", "updated_at")
            .values(SQLBind(id), SQLBind(token), SQLBind(client), SQLBind(requestHash), SQLBind(serviceCode), SQLBind(description),
                    SQLBind(position?.latitude), SQLBind(position?.longitude), SQLBind(address), SQLBind(fields["first_name"] ?? nil),
                    SQLBind(fields["last_name"] ?? nil), SQLBind(fields["email"] ?? nil), SQLBind(fields["phone"] ?? nil),
                    SQLBind(fields["device_id"] ?? nil), SQLBind(fields["account_id"] ?? nil), SQLBind(fields["media_url"] ?? nil),
                    SQLBind("open"), SQLBind("待核实 awaiting verification"), SQLBind(now), SQLBind(now))
            .run()
    }
}

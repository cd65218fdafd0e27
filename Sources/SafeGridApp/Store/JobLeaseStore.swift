import Foundation
import SQLKit

/// The `job_leases` table: one row per named lease (``JobLease``), with its holder and the
/// instant it runs out.
struct JobLeaseStore {
    let sql: any SQLDatabase

    /// Writes `holder` and `until` into the lease `name` when it is free: missing, run out
    /// before `now`, or held by `holder` already (then renewed). A lease held by another
    /// holder and still running is left as it is; nothing tells which happened, so read
    /// ``holder(of:)`` after. One statement, atomic on SQLite and PostgreSQL.
    func take(_ name: String, holder: String, until: Date, now: Date) async throws {
        try await sql.raw("""
            INSERT INTO job_leases (name, holder, lease_until) VALUES (\(bind: name), \(bind: holder), \(bind: until))
            ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until
            WHERE job_leases.lease_until < \(bind: now) OR job_leases.holder = excluded.holder
            """).run()
    }

    /// The holder written in the lease `name`, expired or not; `nil` when there is no such lease.
    /// - Throws: when the row cannot be read.
    func holder(of name: String) async throws -> String? {
        try await sql.select().column("holder").from("job_leases").where("name", .equal, SQLBind(name))
            .first()?.decode(column: "holder", as: String.self)
    }

    /// Deletes the lease `name` if `holder` holds it; another holder's lease is left alone.
    func delete(_ name: String, holder: String) async throws {
        try await sql.delete(from: "job_leases").where("name", .equal, SQLBind(name)).where("holder", .equal, SQLBind(holder)).run()
    }
}

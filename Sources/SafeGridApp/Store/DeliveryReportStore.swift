import Foundation
import SQLKit

/// Delivery reports (DLR) against the outbox's recipient rows.
struct DeliveryReportStore {
    let sql: any SQLDatabase

    /// Records a gateway's delivery report for one recipient row: `state` `delivered` (with
    /// `delivered_at`) or `failed` (with `failure` as the last error), only while the row is
    /// `sent`; `nil` (an intermediate report) changes nothing.
    /// - Returns: `false` when there is no such recipient, or another provider sent it (not
    ///   this gateway's to report on); `true` otherwise.
    func record(recipient id: UUID, provider: String, state: String?, failure: String, at now: Date) async throws -> Bool {
        guard let row = try await sql.select().columns("state", "provider").from("message_recipients")
            .where("id", .equal, SQLBind(id)).first() else { return false }
        if let sentBy = try row.decode(column: "provider", as: String?.self), sentBy != provider { return false }
        guard let state, try row.decode(column: "state", as: String.self) == "sent" else { return true }
        var update = sql.update("message_recipients").set("state", to: SQLBind(state)).set("updated_at", to: SQLBind(now))
        if state == "delivered" {
            update = update.set("delivered_at", to: SQLBind(now))
        } else {
            update = update.set("last_error", to: SQLBind(failure))
        }
        try await update.where("id", .equal, SQLBind(id)).run()
        return true
    }
}

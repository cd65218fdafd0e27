import Foundation
import SQLKit
import SafeGridCore
import Vapor

/// Delivery reports (DLR) from the gateway: `GET|POST /sms/dlr/{recipientId}?type=N`, the
/// Kannel `dlr-url` convention (set `SAFEGRID_SMS_DLR_URL=http://<this server>/sms/dlr/{id}?type=%d`
/// and `SAFEGRID_SMS_DLR_MASK=19`). Types (Kannel): 1 delivered, 2 undelivered, 16 rejected by
/// the SMSC; 4 buffered and 8 submitted are acknowledged and change nothing. A report moves a
/// `sent` recipient to `delivered` or `failed` (never back to `queued`: it is not sent again).
enum DeliveryReports {
    static func receive(_ req: Request) async throws -> Response {
        let id = try Input.uuid(req.parameters.get("id"), "id", kind: .notFound)
        guard let raw = req.query[String.self, at: "type"], let type = Int(raw) else {
            throw DomainError.invalid("type", "type must be the Kannel delivery report type (1, 2, 4, 8 or 16)")
        }
        let now = req.services.now()
        let state: String? = switch type {
        case 1: "delivered"
        case 2, 16: "failed"
        case 4, 8: nil
        default: throw DomainError.invalid("type", "unknown delivery report type \(type)")
        }
        let known = try await req.application.writeGate.transaction(on: req.db, changesCampaign: false) { sql -> Bool in
            guard let row = try await sql.select().column("state").from("message_recipients")
                .where("id", .equal, SQLBind(id)).first() else { return false }
            guard let state, try row.decode(column: "state", as: String.self) == "sent" else { return true }
            var update = sql.update("message_recipients").set("state", to: SQLBind(state)).set("updated_at", to: SQLBind(now))
            if state == "delivered" {
                update = update.set("delivered_at", to: SQLBind(now))
            } else {
                update = update.set("last_error", to: SQLBind("delivery failed (DLR type \(type))"))
            }
            try await update.where("id", .equal, SQLBind(id)).run()
            return true
        }
        guard known else { throw DomainError(.notFound, field: "id", reason: "no message recipient \(id)") }
        return Response(status: .ok, body: .init(string: "ok"))
    }
}

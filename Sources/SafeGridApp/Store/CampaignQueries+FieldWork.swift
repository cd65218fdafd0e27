import Foundation
import SQLKit
import SafeGridCore

extension CampaignQueries {
    /// Whether a device's event `seq` is already stored (offline sync retries send it again).
    func eventRecorded(device: String, seq: Int64) async throws -> Bool {
        try await sql.select().column("seq").from("hazard_events")
            .where("device_id", .equal, SQLBind(device)).where("device_seq", .equal, SQLBind(seq)).first() != nil
    }

    /// The grid worker (网格员) of grid `code`: `name` and `phone` columns, `nil` when the grid
    /// has none.
    func gridWorker(of code: String) async throws -> (any SQLRow)? {
        try await sql.select().columns("name", "phone").from("grid_workers").where("grid_code", .equal, SQLBind(code)).first()
    }
}

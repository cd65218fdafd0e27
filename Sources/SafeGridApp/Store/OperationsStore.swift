import Foundation
import SQLKit

/// The database as a whole, for health checks and backups.
struct OperationsStore {
    let sql: any SQLDatabase

    /// How many checklists are published (rows of `checklists`): 0 until the migrations and
    /// the reference data have run.
    /// - Throws: when the database does not answer or has no `checklists` table.
    func publishedChecklists() async throws -> Int {
        try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("checklists")
            .first()?.decode(column: "n", as: Int.self) ?? 0
    }

    /// Writes a consistent copy of the whole SQLite database to the new file `path`
    /// (`VACUUM INTO`, SQLite ≥ 3.27), while other connections go on reading and writing.
    /// SQLite only; the caller checks the dialect.
    /// - Throws: SQLite's error when `path` exists or cannot be written.
    func copySQLite(to path: String) async throws {
        try await sql.raw("VACUUM INTO \(bind: path)").run()
    }
}

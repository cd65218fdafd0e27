import Foundation
import SQLKit
import SafeGridCore
import Vapor

/// Finds stored rows SafeGrid cannot read (``StoredRow``): the rows every list, export, page and
/// job skips. `safegrid check` prints them; a clean database has none.
enum StoredRowCheck {
    struct Finding: Sendable, CustomStringConvertible {
        let table: String
        /// The row's id (a UUID in lower case, or `seq N` for events).
        let id: String
        let reason: String
        var description: String { "\(table) \(id): \(reason)" }
    }

    /// Rows read per page.
    static let pageSize = 10_000

    /// Every unreadable row of the campaign's main tables, in table and id order. Reads in pages
    /// by rowid-like keys (`id`, or `seq` for events), so it runs on the largest database.
    static func run(sql: any SQLDatabase) async throws -> [Finding] {
        var found: [Finding] = []
        found += try await walk(sql, HazardRow.self, key: "id")
        found += try await walk(sql, SubjectRow.self, key: "id")
        found += try await walk(sql, InspectionRow.self, key: "id")
        found += try await walk(sql, HazardEventRow.self, key: "seq")
        found += try await walk(sql, AreaRow.self, key: "code")
        found += try await walk(sql, ResidentReportRow.self, key: "id")
        return found
    }

    private static func walk<R: StoredRow>(_ sql: any SQLDatabase, _ type: R.Type, key: String) async throws -> [Finding] {
        var found: [Finding] = []
        var offset = 0
        while true {
            // OFFSET paging: the key of an unreadable row may itself be unreadable.
            let rows = try await sql.select().columns("*").from(R.table).orderBy(key).limit(pageSize).offset(offset).all()
            for row in rows {
                do {
                    _ = try row.readStoredRow(type)
                } catch {
                    found.append(Finding(table: R.table, id: UndecodableRows.id(of: row, key: key), reason: String(describing: error)))
                }
            }
            if rows.count < pageSize { break }
            offset += rows.count
        }
        return found
    }
}

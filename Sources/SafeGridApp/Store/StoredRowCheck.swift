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

/// `safegrid check`: names every stored row SafeGrid cannot read (and so leaves out of lists,
/// exports, pages and jobs). Exit status 1 when there is one.
struct CheckCommand: AsyncCommand {
    struct Signature: CommandSignature { init() {} }

    var help: String { "Name the stored rows SafeGrid cannot read (skipped by every list, export and job)" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let found = try await StoredRowCheck.run(sql: context.application.sql)
        for f in found.prefix(200) { context.console.print(f.description) }
        if found.count > 200 { context.console.print("… and \(found.count - 200) more") }
        context.console.print("\(found.count) unreadable rows")
        if !found.isEmpty { throw Abort(.conflict, reason: "\(found.count) stored rows cannot be read") }
    }
}

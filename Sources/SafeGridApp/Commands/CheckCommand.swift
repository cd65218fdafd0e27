import Foundation
import SQLKit
import SafeGridCore
import Vapor

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

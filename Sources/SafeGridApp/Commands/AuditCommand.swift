import Foundation
import SQLKit
import SafeGridCore
import Vapor

/// `safegrid audit verify`: walks each town's hash chain of hazard events and names the first
/// broken link. Exit status 1 when one is broken.
struct AuditCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "action", help: "verify")
        var action: String
        @Option(name: "town", help: "Only this town's chain (9-digit code)")
        var town: String?
        init() {}
    }

    var help: String { "Verify the tamper-evident trail of hazard events (hash chain per town)" }

    func run(using context: CommandContext, signature: Signature) async throws {
        guard signature.action == "verify" else { throw Abort(.badRequest, reason: "usage: safegrid audit verify [--town CODE]") }
        let result = try await Audit.verify(sql: context.application.sql, town: signature.town)
        for line in result.lines { context.console.print(line) }
        if !result.intact { throw Abort(.conflict, reason: "the trail is broken") }
    }
}

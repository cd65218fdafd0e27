import Crypto
import Foundation
import SQLKit
import SafeGridCore
import Vapor
import XMLCoder

/// `safegrid apikey create NAME [--scope open311,clearance]` makes an API client and prints its
/// key once; `safegrid apikey list all` lists them; `safegrid apikey revoke NAME` revokes.
struct ApiKeyCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "action", help: "create, list or revoke")
        var action: String
        @Argument(name: "name", help: "who uses the key, e.g. 四平台 (list: any word)")
        var name: String
        @Option(name: "scope", help: "comma-separated scopes: open311 (report hazards), clearance (permit checks); default open311")
        var scope: String?
        init() {}
    }

    var help: String { "Make (printed once), list or revoke the API keys of other platforms" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let name = signature.name.trimmingCharacters(in: .whitespaces)
        switch signature.action {
        case "create":
            guard !name.isEmpty, name.count <= 100 else { throw Abort(.badRequest, reason: "NAME must be 1 to 100 characters") }
            let scopes = (signature.scope ?? "open311").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard !scopes.isEmpty, scopes.allSatisfy(ApiClients.scopes.contains) else {
                throw Abort(.badRequest, reason: "known scopes: \(ApiClients.scopes.joined(separator: ", "))")
            }
            let key = try await app.writeGate.transaction(on: app.db, changesCampaign: false) { sql in
                try await ApiClients.create(sql: sql, name: name, scopes: scopes, at: app.services.now())
            }
            context.console.print("API key for \(name) (\(scopes.joined(separator: ","))): \(key)")
            context.console.print("It is not stored; keep it now.")
        case "list":
            for c in try await ApiClients.all(sql: app.sql) {
                let revoked = c.revokedAt.map { " revoked \(Timestamp.format($0))" } ?? ""
                context.console.print("\(c.name)  \(c.scopes)  made \(Timestamp.format(c.createdAt))\(revoked)")
            }
        case "revoke":
            let now = app.services.now()
            let n = try await app.writeGate.transaction(on: app.db, changesCampaign: false) { sql -> Int in
                try await ApiClients.revoke(named: name, sql: sql, at: now)
            }
            guard n > 0 else { throw Abort(.notFound, reason: "no live API key named \(name)") }
            context.console.print("revoked \(n) key\(n == 1 ? "" : "s") of \(name)")
        default:
            throw Abort(.badRequest, reason: "usage: safegrid apikey create NAME [--scope open311,clearance] | list all | revoke NAME")
        }
    }
}

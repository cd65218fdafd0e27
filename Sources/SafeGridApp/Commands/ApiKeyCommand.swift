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
            for r in try await app.sql.select().columns("name", "scopes", "created_at", "revoked_at").from("api_clients").orderBy("created_at").all() {
                let revoked = try r.decode(column: "revoked_at", as: Date?.self).map { " revoked \(Timestamp.format($0))" } ?? ""
                context.console.print("\(try r.decode(column: "name", as: String.self))  \(try r.decode(column: "scopes", as: String.self))  "
                                      + "made \(Timestamp.format(try r.decode(column: "created_at", as: Date.self)))\(revoked)")
            }
        case "revoke":
            let now = app.services.now()
            let n = try await app.writeGate.transaction(on: app.db, changesCampaign: false) { sql -> Int in
                let ids = try await sql.select().column("id").from("api_clients").where("name", .equal, SQLBind(name))
                    .where("revoked_at", .is, SQLLiteral.null).all().map { try $0.decode(column: "id", as: UUID.self) }
                guard !ids.isEmpty else { return 0 }
                try await sql.update("api_clients").set("revoked_at", to: SQLBind(now)).where("id", .in, SQLBind.group(ids)).run()
                return ids.count
            }
            guard n > 0 else { throw Abort(.notFound, reason: "no live API key named \(name)") }
            context.console.print("revoked \(n) key\(n == 1 ? "" : "s") of \(name)")
        default:
            throw Abort(.badRequest, reason: "usage: safegrid apikey create NAME [--scope open311,clearance] | list all | revoke NAME")
        }
    }
}

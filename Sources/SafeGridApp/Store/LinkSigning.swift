import Crypto
import Foundation
import SQLKit
import SafeGridCore
import Vapor

/// The server's signing key for evidence links, kept in `app_secrets` (made on first start, so
/// every instance on one database signs alike) unless ``Settings/secret`` (`SAFEGRID_SECRET`) is set.
package struct LinkSigning: Sendable {
    let key: SymmetricKey
    /// Base of the links put in SMS (``Settings/HTTP/publicBase``).
    let publicURL: String

    static func load(app: Application) async throws -> LinkSigning {
        let publicURL = app.settings.http.publicBase
        if let hex = app.settings.secret {
            return LinkSigning(key: try EvidenceToken.makeKey(hex: hex), publicURL: publicURL)
        }
        let sql = app.sql
        if let row = try await sql.select().column("value").from("app_secrets")
            .where("name", .equal, SQLBind("evidence_link_key")).first() {
            return LinkSigning(key: try EvidenceToken.makeKey(hex: try row.decode(column: "value", as: String.self)),
                               publicURL: publicURL)
        }
        let hex = EvidenceToken.newKeyHex()
        try await app.writeGate.transaction(on: app.db) { sql in
            // Another instance may have made it meanwhile: keep the first.
            if try await sql.select().column("value").from("app_secrets")
                .where("name", .equal, SQLBind("evidence_link_key")).first() == nil {
                try await sql.insert(into: "app_secrets").columns("name", "value")
                    .values(SQLBind("evidence_link_key"), SQLBind(hex)).run()
            }
        }
        return try await load(app: app)
    }

    /// The evidence link of a subject, valid until `expiresAt`.
    func evidenceLink(subject: UUID, expiresAt: Date) -> String {
        "\(publicURL)/e/\(EvidenceToken(subjectID: subject, expiresAt: expiresAt).signed(key: key))"
    }
}

struct LinkSigningKey: StorageKey { typealias Value = LinkSigning }

extension Application {
    package var linkSigning: LinkSigning {
        guard let s = storage[LinkSigningKey.self] else { fatalError("configure() loads the link key") }
        return s
    }
}

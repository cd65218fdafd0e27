import Crypto
import Foundation
import SQLKit
import SafeGridCore
import Vapor
import XMLCoder

/// API clients of other platforms: keys made once, stored as SHA-256.
enum ApiClients {
    /// What a key may do: `open311` (report service requests), `clearance` (permit checks).
    static let scopes = ["open311", "clearance"]

    /// Makes a client and returns its key (`sg_` + 40 hex digits), shown only now.
    static func create(sql: any SQLDatabase, name: String, scopes: [String], at: Date) async throws -> String {
        let key = "sg_" + Hex.encode(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0.prefix(20)) })
        try await sql.insert(into: "api_clients").columns("id", "name", "key_sha256", "scopes", "created_at")
            .values(SQLBind(UUID()), SQLBind(name), SQLBind(Hex.encode(SHA256.hash(data: Data(key.utf8)))),
                    SQLBind(scopes.joined(separator: ",")), SQLBind(at))
            .run()
        return key
    }

    /// The id of the client holding `key` with `scope`, unless revoked.
    static func client(sql: any SQLDatabase, key: String, scope: String) async throws -> UUID? {
        guard let row = try await sql.select().columns("id", "scopes", "revoked_at").from("api_clients")
            .where("key_sha256", .equal, SQLBind(Hex.encode(SHA256.hash(data: Data(key.utf8))))).first(),
              try row.decode(column: "revoked_at", as: Date?.self) == nil,
              try row.decode(column: "scopes", as: String.self).split(separator: ",").contains(Substring(scope)) else { return nil }
        return try row.decode(column: "id", as: UUID.self)
    }
}

import Foundation
import SQLKit
import Vapor

/// `NOTIFY safegrid_live` on PostgreSQL: tells the other instances which micro-grids a committed
/// write changed (``LiveListener`` hears it). PostgreSQL delivers a notification at commit and
/// drops it on rollback, so a screen never shows a write that did not happen. Nothing on SQLite
/// (one process).
///
/// Payload: `<instance id>|<micro-grid code>,<micro-grid code>,…`, or `<instance id>|*` for a
/// write whose areas are not known one by one or that are too many for one notification
/// (PostgreSQL takes at most 8,000 bytes).
struct LiveNotifications {
    static let channel = "safegrid_live"
    /// Codes in one payload before it says "everything" instead (17 digits and a comma each).
    static let maxCodes = 350

    let sql: any SQLDatabase

    func notify(_ microGrids: Set<String>?, from instance: String) async throws {
        guard sql.dialect.name == "postgresql" else { return }
        try await sql.raw("SELECT pg_notify(\(bind: Self.channel), \(bind: Self.payload(microGrids, from: instance)))").run()
    }

    static func payload(_ microGrids: Set<String>?, from instance: String) -> String {
        guard let microGrids, microGrids.count <= maxCodes else { return instance + "|*" }
        return instance + "|" + microGrids.sorted().joined(separator: ",")
    }

    /// The sender and the micro-grids of a payload (`nil` codes: everything); `nil` for a payload
    /// that is not ours.
    static func parse(_ payload: String) -> (instance: String, microGrids: Set<String>?)? {
        guard let bar = payload.firstIndex(of: "|") else { return nil }
        let instance = String(payload[..<bar]), rest = payload[payload.index(after: bar)...]
        if rest == "*" { return (instance, nil) }
        let codes = rest.split(separator: ",").map(String.init)
        guard codes.allSatisfy({ $0.count == 17 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }) else { return nil }
        return (instance, Set(codes))
    }
}

struct LiveInstanceKey: StorageKey { typealias Value = String }

extension Application {
    /// This process's id in live notifications (its own are not applied twice).
    var liveInstanceID: String {
        if let id = storage[LiveInstanceKey.self] { return id }
        let id = UUID().uuidString.lowercased()
        storage[LiveInstanceKey.self] = id
        return id
    }
}

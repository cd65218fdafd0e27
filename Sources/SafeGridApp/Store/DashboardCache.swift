import Foundation
import SQLKit
import SafeGridCore
import Vapor

/// Dashboard figures per area, kept until the next committed write or for ``maxAge``; read only
/// while ``Settings/dashboardCache`` is on.
actor DashboardCache {
    /// Longest time figures are served without recomputing, so that hazards turning overdue
    /// as the clock passes their deadline show within this time.
    static let maxAge: TimeInterval = 30
    private var entries: [String: (generation: Int, at: Date, figures: DashboardFigures)] = [:]
    private var bodies: [String: (generation: Int, at: Date, json: Data)] = [:]

    func figures(_ code: String, generation: Int, now: Date) -> DashboardFigures? {
        guard let e = entries[code], Self.fresh(e.generation, e.at, generation, now) else { return nil }
        return e.figures
    }

    func store(_ figures: DashboardFigures, for code: String, generation: Int, at: Date) {
        if entries.count > 5_000 { entries.removeAll() }
        entries[code] = (generation, at, figures)
    }

    /// The encoded JSON of an area's figures, under the same rule as ``figures(_:generation:now:)``.
    func json(_ code: String, generation: Int, now: Date) -> Data? {
        guard let e = bodies[code], Self.fresh(e.generation, e.at, generation, now) else { return nil }
        return e.json
    }

    func store(json: Data, for code: String, generation: Int, at: Date) {
        if bodies.count > 5_000 { bodies.removeAll() }
        bodies[code] = (generation, at, json)
    }

    private static func fresh(_ storedGeneration: Int, _ storedAt: Date, _ generation: Int, _ now: Date) -> Bool {
        storedGeneration == generation && now.timeIntervalSince(storedAt) < maxAge && now >= storedAt
    }
}

struct DashboardCacheKey: StorageKey { typealias Value = DashboardCache }


extension Application {
    var dashboardCache: DashboardCache {
        if let c = storage[DashboardCacheKey.self] { return c }
        let c = DashboardCache()
        storage[DashboardCacheKey.self] = c
        return c
    }
}

import SQLKit
import SafeGridCore
import Vapor

/// Published checklist versions never change, so each is read from the database once.
package actor ChecklistCache {
    private var versions: [Int: Checklist] = [:]
    private var latest: Int?

    func checklist(_ version: Int, sql: any SQLDatabase) async throws -> Checklist? {
        if let c = versions[version] { return c }
        guard let c = try await CampaignQueries(sql: sql, scope: .everything).checklist(version: version) else { return nil }
        versions[version] = c
        return c
    }

    package func current(sql: any SQLDatabase) async throws -> Checklist {
        if latest == nil { latest = try await CampaignQueries(sql: sql, scope: .everything).checklistVersions().last }
        guard let latest, let c = try await checklist(latest, sql: sql) else {
            throw Abort(.serviceUnavailable, reason: "no checklist is published")
        }
        return c
    }

    /// The item of a version, for labels.
    func item(_ code: String, version: Int, sql: any SQLDatabase) async throws -> ChecklistItem? {
        try await checklist(version, sql: sql)?.item(code)
    }
}

struct ChecklistCacheKey: StorageKey { typealias Value = ChecklistCache }

extension Application {
    package var checklists: ChecklistCache {
        if let c = storage[ChecklistCacheKey.self] { return c }
        let c = ChecklistCache()
        storage[ChecklistCacheKey.self] = c
        return c
    }
}

extension Request {
    var checklists: ChecklistCache { application.checklists }

    /// Hazard DTOs with their checklist texts.
    func hazardDTOs(_ rows: [HazardRow], events: [UUID: [HazardEventRow]] = [:]) async throws -> [HazardDTO] {
        var out: [HazardDTO] = []
        out.reserveCapacity(rows.count)
        let now = services.now()
        for h in rows {
            let item = try await checklists.item(h.itemCode, version: h.checklistVersion, sql: sql)
            out.append(HazardDTO(h, item: item, now: now, events: events[h.id]))
        }
        return out
    }
}

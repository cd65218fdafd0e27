import Foundation
import SQLKit
import SafeGridApp
import SafeGridCore
import Vapor

/// The demo's accounts: one per role, each with a home area in 瓜沥镇, all with the password
/// ``password``. README lists them; the demo prints them when it starts serving.
enum DemoAccounts {
    static let password = "safegrid-demo"

    /// User name, role, display name and department; the area is chosen by ``write(app:)``.
    static let people: [(username: String, role: Role, name: String, department: Department?)] = [
        ("qu.admin", .districtAdmin, "区除险保安专班", nil),
        ("guali.admin", .townAdmin, "瓜沥镇平安办", nil),
        ("xiaofang.inspector", .departmentInspector, "消防救援检查员", .fireRescue),
        ("cun.officer", .villageOfficer, "村社干部", nil),
        ("wangge.worker", .gridWorker, "网格员", nil),
        ("weiwangge.worker", .microGridWorker, "微网格员", nil),
        ("screen.viewer", .viewer, "大屏查看", nil),
    ]

    /// Writes the accounts. The village officer, grid worker and micro-grid worker share one
    /// line of the tree: the first village of 瓜沥 (by code) that has grids, its first grid and
    /// that grid's first micro-grid, so each sees a nested, smaller slice of the same campaign.
    /// - Returns: user name, role and home area of each account.
    @discardableResult
    static func create(app: Application) async throws -> [(username: String, role: Role, area: String)] {
        let q = CampaignQueries(sql: app.sql, scope: .everything)
        let grids = try await q.areas(level: .grid).filter { $0.code.hasPrefix(BundledAreas.gualiTownCode) }
        guard let grid = grids.first, let micro = try await q.children(of: grid.code).first else {
            throw Abort(.internalServerError, reason: "the demo has no grids in 瓜沥镇")
        }
        let village = String(grid.code.prefix(AreaLevel.village.codeLength))
        func area(_ role: Role) -> String {
            switch role {
            case .districtAdmin: BundledAreas.districtCode
            case .townAdmin, .departmentInspector, .viewer: BundledAreas.gualiTownCode
            case .villageOfficer: village
            case .gridWorker: grid.code
            case .microGridWorker: micro.code
            }
        }
        let hash = try app.password.hash(password)
        let now = app.now()
        let made = people.map { (username: $0.username, role: $0.role, area: area($0.role)) }
        let accounts = people.map { p in
            Account(id: UUID(), username: p.username, displayName: p.name, role: p.role, areaCode: area(p.role), department: p.department)
        }
        try await app.writeGate.transaction(on: app.db, changesCampaign: false) { sql in
            let store = AccountStore(sql: sql)
            for a in accounts { try await store.insert(a, passwordHash: hash, at: now) }
        }
        return made
    }
}



extension Application {
    var dashboardCache: DashboardCache {
        if let c = storage[DashboardCacheKey.self] { return c }
        let c = DashboardCache()
        storage[DashboardCacheKey.self] = c
        return c
    }
}

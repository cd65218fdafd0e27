import Foundation

/// Answers of an expensive read, kept per key for ``maxAge``: readers asking at once for a key
/// not kept share one read (every screen of an area after a write, every resident opening the
/// page), and a read that fails is not kept. A clock that went back makes a kept value stale.
actor KeptReads<Value: Sendable> {
    let maxAge: TimeInterval

    private var kept: [String: (at: Date, value: Value)] = [:]
    private var reading: [String: Task<Value, any Error>] = [:]

    init(maxAge: TimeInterval) { self.maxAge = maxAge }

    /// The value kept for `key` if read less than ``maxAge`` before `now`, else `read`'s.
    func value(_ key: String, now: Date, _ read: @escaping @Sendable () async throws -> Value) async throws -> Value {
        if let k = kept[key], now.timeIntervalSince(k.at) < maxAge, now >= k.at { return k.value }
        if let running = reading[key] { return try await running.value }
        let task = Task { try await read() }
        reading[key] = task
        defer { reading[key] = nil }
        let value = try await task.value
        kept[key] = (now, value)
        return value
    }
}

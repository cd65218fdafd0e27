import Fluent
import SQLKit

/// Serialises write transactions within one process.
///
/// SQLite allows one writer at a time, and a deferred `BEGIN` that reads first and writes later
/// can fail with `SQLITE_BUSY` at once when two such transactions meet, whatever the busy
/// handler. Funnelling every write transaction through this gate removes that failure for one
/// server process; PostgreSQL needs no gate but is not harmed by it.
actor WriteGate {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    /// Counts committed write transactions; read models cached under an older value are stale.
    private(set) var generation = 0

    func acquire() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
    }

    /// Runs `body` in a database transaction while holding the gate. Everything `body` writes
    /// commits together or not at all.
    /// - Parameter changesCampaign: `false` for writes that no read model depends on (the SMS
    ///   outbox's delivery states), so that cached dashboard figures stay valid.
    func transaction<T: Sendable>(on database: any Database, changesCampaign: Bool = true,
                                  _ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        await acquire()
        do {
            let result = try await database.transaction { tx in
                guard let sql = tx as? any SQLDatabase else { throw SQLStoreError.notSQL }
                return try await body(sql)
            }
            if changesCampaign { generation += 1 }
            release()
            return result
        } catch {
            release()
            throw error
        }
    }
}

enum SQLStoreError: Error { case notSQL }

import Fluent
import SQLKit

/// Serialises write transactions within one process.
///
/// SQLite allows one writer at a time, and a deferred `BEGIN` that reads first and writes later
/// can fail with `SQLITE_BUSY` at once when two such transactions meet, whatever the busy
/// handler. Funnelling every write transaction through this gate removes that failure for one
/// server process; PostgreSQL needs no gate but is not harmed by it.
package actor WriteGate {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    /// Counts committed write transactions; read models cached under an older value are stale.
    private(set) var generation = 0

    /// Another instance committed a campaign write (``LiveListener``): read models cached here
    /// are stale.
    func noteWriteElsewhere() { generation += 1 }

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
    package func transaction<T: Sendable>(on database: any Database, changesCampaign: Bool = true,
                                  _ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        await acquire()
        do {
            let result: T
            if let sql = database as? any SQLDatabase, sql.dialect.name == "sqlite" {
                result = try await Self.immediateTransaction(on: database, body)
            } else {
                result = try await database.transaction { tx in
                    guard let sql = tx as? any SQLDatabase else { throw SQLStoreError.notSQL }
                    // Several instances: campaign writes run one at a time across all of them,
                    // from their first read, as SQLite's BEGIN IMMEDIATE does for one file.
                    if changesCampaign { try await CampaignStore.serialiseCampaignWrites(sql) }
                    return try await body(sql)
                }
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

extension WriteGate {
    /// SQLite: `BEGIN IMMEDIATE` takes the write lock before the first read, so a transaction
    /// never has to upgrade a read lock while another process (a `sqlite3` shell, a second
    /// `safegrid` command) writes — the upgrade that fails at once with SQLITE_BUSY. Waiting
    /// for the lock is left to the connection's busy handler.
    static func immediateTransaction<T: Sendable>(on database: any Database,
                                                   _ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await database.withConnection { connection in
            guard let sql = connection as? any SQLDatabase else { throw SQLStoreError.notSQL }
            try await sql.raw("BEGIN IMMEDIATE").run()
            do {
                let result = try await body(sql)
                try await sql.raw("COMMIT").run()
                return result
            } catch {
                try? await sql.raw("ROLLBACK").run()
                throw error
            }
        }
    }
}

enum SQLStoreError: Error { case notSQL }

import Fluent
import FluentSQLiteDriver
import SQLKit
import Vapor

/// The SQLite file's settings, made once at start-up.
enum SQLiteTuning {
    /// WAL: readers do not block the writer; persistent for the file. The other settings
    /// belong to each connection: one per event loop (Fluent's SQLite pool), so set them on
    /// each. NORMAL: a commit appends to the WAL without fsync (a power cut may lose the last
    /// commits, never corrupt the file); checkpoints every 4,000 pages (16 MB) instead of
    /// 1,000, so hot pages (counters, index roots) are copied back less often.
    static func apply(_ app: Application) async throws {
        _ = try await app.sql.raw("PRAGMA journal_mode=WAL").all()
        for eventLoop in app.eventLoopGroup.makeIterator() {
            guard let sql = app.databases.database(.sqlite, logger: app.logger, on: eventLoop) as? any SQLDatabase else { continue }
            _ = try await sql.raw("PRAGMA synchronous=NORMAL").all()
            _ = try await sql.raw("PRAGMA wal_autocheckpoint=4000").all()
            // 96 MB of page cache (default 2 MB): the indexes a write touches stay in memory.
            _ = try await sql.raw("PRAGMA cache_size=-96000").all()
        }
    }
}

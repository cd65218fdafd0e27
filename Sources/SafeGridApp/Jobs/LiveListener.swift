import FluentPostgresDriver
import Foundation
import NIOConcurrencyHelpers
import PostgresNIO
import Vapor

/// With several instances on one PostgreSQL database: hears the others' committed writes
/// (`LISTEN safegrid_live`, ``LiveNotifications``) and tells this instance's open screens
/// (``LiveFeed``) and dashboard cache (``WriteGate/noteWriteElsewhere()``), so a write on one
/// instance reaches screens on every other within the same second, and no instance serves
/// figures older than the last commit.
///
/// It holds one connection of its own, outside the pool. When that connection drops it connects
/// again after 2 s; writes made meanwhile cannot be known one by one, so on every (re)connection
/// every stream is told and the cache is dropped.
///
/// Registered by `configure` on PostgreSQL, like the other background loops: it starts when a
/// serving process boots, or when a command that starts its work later (the demo) calls
/// ``Application/startBackgroundWork()``.
final class LiveListener: LifecycleHandler, Sendable {
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)
    private let connection = NIOLockedValueBox<PostgresConnection?>(nil)
    /// The `DATABASE_URL` it listens on.
    let url: String

    init(url: String) { self.url = url }

    func didBootAsync(_ app: Application) async throws {
        guard app.runsBackgroundJobs, !app.startsBackgroundWorkLater else { return }
        start(app)
    }

    /// Starts listening in the background (once).
    func start(_ app: Application) {
        guard task.withLockedValue({ $0 == nil }) else { return }
        let url = self.url
        let me = app.liveInstanceID
        let t = Task { [connection] in
            var attempt = 0
            while !Task.isCancelled {
                do {
                    let config = try SQLPostgresConfiguration(url: url).coreConfiguration
                    let conn = try await PostgresConnection.connect(on: app.eventLoopGroup.next(), configuration: config, id: 9_001,
                                                                    logger: app.logger)
                    connection.withLockedValue { $0 = conn }
                    do {
                        try await conn.listen(on: LiveNotifications.channel) { notifications in
                            attempt = 0
                            await app.writeGate.noteWriteElsewhere()
                            await app.liveFeed.publish(microGrids: nil)
                            for try await n in notifications {
                                guard let (sender, codes) = LiveNotifications.parse(n.payload), sender != me else { continue }
                                await app.writeGate.noteWriteElsewhere()
                                await app.liveFeed.publish(microGrids: codes)
                            }
                        }
                    } catch {
                        connection.withLockedValue { $0 = nil }
                        try? await conn.close()
                        throw error
                    }
                    connection.withLockedValue { $0 = nil }
                    try? await conn.close()
                } catch {
                    if Task.isCancelled { break }
                    attempt += 1
                    if attempt == 1 { app.logger.warning("live listener: \(String(describing: error)); connecting again in 2 s") }
                }
                try? await Task.sleep(for: .seconds(2))
            }
        }
        task.withLockedValue { $0 = t }
    }

    func shutdownAsync(_ application: Application) async {
        let running = task.withLockedValue { t -> Task<Void, Never>? in
            let r = t
            t = nil
            return r
        }
        running?.cancel()
        // Closing the connection ends the notification sequence the task is waiting on.
        if let conn = connection.withLockedValue({ $0 }) { try? await conn.close() }
        await running?.value
    }
}

struct LiveListenerKey: StorageKey { typealias Value = LiveListener }

import Foundation
import Vapor

/// Tells open screens and dashboards (``StreamController``) that the campaign changed in some
/// micro-grids, so they send fresh figures.
///
/// Every committed campaign write reports the micro-grids of the subjects it wrote
/// (``Application/campaignWrite(scope:recordedAt:_:)``); with several instances on PostgreSQL
/// the others hear of it through `LISTEN/NOTIFY` (``LiveListener``). Reports are coalesced for
/// ``coalescing`` so a burst of 50 inspections a second costs each stream a few recomputations a
/// second, not fifty; each stream is told once per flush when any reported micro-grid lies in its
/// area (its code is a prefix of the micro-grid's).
package actor LiveFeed {
    /// What a stream is woken for.
    enum Signal: Sendable {
        /// The campaign changed in the stream's area.
        case changed
        /// Nothing changed for ``heartbeatInterval``: a comment keeps proxies from closing it.
        case heartbeat
    }

    /// How long reports are gathered before streams are told (0.15 s of the 1 s budget from
    /// commit to screen).
    static let coalescing: Duration = .milliseconds(150)
    /// A heartbeat comment at least this often on an idle stream.
    static let heartbeatInterval: Duration = .seconds(15)

    /// Open streams one account may hold on an instance (``Settings/streamsPerAccount``).
    nonisolated let maxPerAccount: Int

    init(maxPerAccount: Int = 50) { self.maxPerAccount = maxPerAccount }

    private struct Subscriber {
        let area: String
        let account: UUID?
        let continuation: AsyncStream<Signal>.Continuation
    }

    private var subscribers: [UUID: Subscriber] = [:]
    private var pending: Set<String> = []
    private var pendingEverything = false
    private var flushScheduled = false
    private var finished = false

    /// Open streams on this instance.
    var count: Int { subscribers.count }

    /// A stream of signals for `area` (any level's code) for `account`; end it with
    /// ``unsubscribe(_:)``. `nil` when the account already holds ``maxPerAccount`` streams.
    func subscribe(area: String, account: UUID? = nil) -> (id: UUID, signals: AsyncStream<Signal>, continuation: AsyncStream<Signal>.Continuation)? {
        if let account, subscribers.values.lazy.filter({ $0.account == account }).count >= maxPerAccount { return nil }
        let (stream, continuation) = AsyncStream<Signal>.makeStream(bufferingPolicy: .bufferingNewest(2))
        let id = UUID()
        if finished {
            continuation.finish()
        } else {
            subscribers[id] = Subscriber(area: area, account: account, continuation: continuation)
        }
        return (id, stream, continuation)
    }

    func unsubscribe(_ id: UUID) {
        subscribers.removeValue(forKey: id)?.continuation.finish()
    }

    /// Reports a committed write in `microGrids` (17-digit codes); `nil` for a write whose areas
    /// are not known one by one (every stream is told).
    func publish(microGrids: Set<String>?) {
        guard !finished else { return }
        if let microGrids {
            guard !microGrids.isEmpty else { return }
            pending.formUnion(microGrids)
        } else {
            pendingEverything = true
        }
        guard !flushScheduled else { return }
        flushScheduled = true
        Task {
            try? await Task.sleep(for: Self.coalescing)
            self.flush()
        }
    }

    private func flush() {
        flushScheduled = false
        let codes = pending, everything = pendingEverything
        pending = []
        pendingEverything = false
        for subscriber in subscribers.values where everything || codes.contains(where: { $0.hasPrefix(subscriber.area) }) {
            subscriber.continuation.yield(.changed)
        }
    }

    /// Ends every stream (the server is shutting down), takes no more, and waits up to 5 s for
    /// the streams to leave (each unsubscribes as it ends), so none is still reading when the
    /// databases close behind it.
    func finishAll() async {
        finished = true
        for s in subscribers.values { s.continuation.finish() }
        let deadline = ContinuousClock.now + .seconds(5)
        while !subscribers.isEmpty, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        subscribers = [:]
    }
}

struct LiveFeedKey: StorageKey { typealias Value = LiveFeed }

/// Ends the open streams when the server shuts down, so it need not wait for them.
struct LiveFeedShutdown: LifecycleHandler {
    func shutdownAsync(_ application: Application) async {
        await application.liveFeed.finishAll()
    }
}

extension Application {
    /// The process's one ``LiveFeed`` (made in `configure`).
    package var liveFeed: LiveFeed {
        if let feed = storage[LiveFeedKey.self] { return feed }
        let feed = LiveFeed(maxPerAccount: settings.streamsPerAccount)
        storage[LiveFeedKey.self] = feed
        return feed
    }
}

import Foundation
import NIOCore
import SafeGridCore
import Vapor

/// `GET /api/v1/stream?areaCode=`: the live figures of an area as Server-Sent Events (WHATWG
/// HTML §9.2), for the wall screen and the dashboards.
///
/// - `retry: 2000` first (a dropped connection is retried after 2 s);
/// - `event: change` for each new hazard event in the area (``CampaignQueries/FeedEvent``): on
///   connecting the newest 20, then each new one; `id:` is its `seq`;
/// - `event: figures`: the area's dashboard figures (the JSON of `GET /api/v1/dashboard`) on
///   connecting and within about a second of every committed write in the area (``LiveFeed``);
///   `id:` is the last event's `seq`;
/// - `event: heartbeat` (data: the server's time) every 15 s, so proxies keep an idle stream open
///   and the page can tell a dead connection from a quiet one.
///
/// Reconnecting with `Last-Event-ID` resumes: the events after it, then the current figures;
/// an id beyond the newest event or more than 200 behind starts afresh from the newest 20. The
/// reader sees only their jurisdiction: an area outside it is 404, and a stream whose session
/// is revoked, expires or loses the area ends at the next heartbeat or update. One account holds
/// at most `SAFEGRID_STREAMS_PER_ACCOUNT` streams per instance (429 with `Retry-After` beyond).
enum StreamController {
    static let initialEvents = 20
    static let resumeEvents = 200

    static func stream(_ req: Request) async throws -> Response {
        let code = req.query[String.self, at: "areaCode"].flatMap { $0.isEmpty ? nil : $0 } ?? req.homeAreaCode
        guard req.queries.sees(area: code), try await req.queries.area(code) != nil else {
            throw DomainError(.notFound, field: "areaCode", reason: "no area with code \(code)")
        }
        let resume = req.headers.first(name: "Last-Event-ID").flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }.flatMap { $0 >= 0 ? $0 : nil }
        let feed = req.application.liveFeed
        guard let subscription = await feed.subscribe(area: code, account: req.signedIn?.account.id) else {
            throw Abort(.tooManyRequests, headers: ["Retry-After": "60"],
                        reason: "this account has \(feed.maxPerAccount) live streams open on this server; close one (a screen or tab) first")
        }
        let headers: HTTPHeaders = ["Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-store",
                                    "X-Accel-Buffering": "no"]
        return Response(status: .ok, headers: headers, body: .init(asyncStream: { writer in
            let heartbeat = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: LiveFeed.heartbeatInterval)
                    subscription.continuation.yield(.heartbeat)
                }
            }
            do {
                try await writer.writeBuffer(ByteBuffer(string: "retry: 2000\n\n"))
                var cursor = try await update(req, area: code, after: resume, writer: writer)
                for await signal in subscription.signals {
                    // The reader's session may have been revoked, expired or its account
                    // deactivated or moved since the stream opened: then the stream ends.
                    guard try await stillEntitled(req, to: code) else { break }
                    switch signal {
                    case .heartbeat:
                        // A named event (not a comment) so the page can tell a live stream from a dead one.
                        try await writer.writeBuffer(ByteBuffer(string: "event: heartbeat\ndata: \(Timestamp.format(req.services.now()))\n\n"))
                    case .changed: cursor = try await update(req, area: code, after: cursor, writer: writer)
                    }
                }
            } catch {
                // The reader went away (or the server is stopping): end quietly.
            }
            heartbeat.cancel()
            await feed.unsubscribe(subscription.id)
            try? await writer.write(.end)
        }))
    }

    /// Whether the request's session still stands and still sees `area` (checked at every
    /// heartbeat and update, so a revoked reader stops receiving within 15 s).
    static func stillEntitled(_ req: Request, to area: String) async throws -> Bool {
        guard let opened = req.signedIn, let now = try await Authenticator.currentSession(of: req) else { return false }
        return now.account.id == opened.account.id && now.account.jurisdiction.contains(area)
            && now.account.role == opened.account.role
    }

    /// Sends the events after `cursor` (or the newest few) and the current figures.
    /// - Returns: the cursor to continue from.
    private static func update(_ req: Request, area: String, after cursor: Int64?, writer: any AsyncBodyStreamWriter) async throws -> Int64 {
        // Every stream of an area at the same cursor and commit gets the same text: rendered
        // once (one feed query, one figures read, one encoding) however many screens are open.
        let generation = await req.application.writeGate.generation
        let (text, next) = try await req.application.liveRenderings.text(
            for: .init(area: area, cursor: cursor, generation: generation)) { try await render(req, area: area, after: cursor) }
        try await writer.writeBuffer(ByteBuffer(string: text))
        return next
    }

    /// The text of one update: `change` events after `cursor` (or the newest
    /// ``initialEvents``), then `figures`; and the cursor to continue from.
    static func render(_ req: Request, area: String, after requested: Int64?) async throws -> (text: String, next: Int64) {
        // A cursor beyond the newest event (a database restored from a backup) or more than
        // ``resumeEvents`` behind it (a screen long offline) starts afresh from the newest few,
        // so the feed never freezes or lags behind.
        var cursor = requested
        if let c = requested {
            let last = try await req.queries.lastEventSeq()
            if c > last || last - c > Int64(resumeEvents) { cursor = nil }
        }
        let events = try await req.queries.feed(area: area, after: cursor, limit: cursor == nil ? initialEvents : resumeEvents)
        var text = ""
        for e in events {
            text += "event: change\nid: \(e.seq)\ndata: \(CampaignStore.json(e))\n\n"
        }
        let next: Int64
        // With no event of the area yet, 0: the id reveals nothing of other areas' activity.
        if let last = events.last { next = last.seq } else { next = cursor ?? 0 }
        let figures = try await DashboardController.figures(for: area, req: req)
        text += "event: figures\nid: \(next)\ndata: \(CampaignStore.json(figures))\n\n"
        return (text, next)
    }
}

/// Rendered stream updates shared by every stream of one area (``StreamController``): one
/// computation per area, cursor and commit generation, whoever asks first; the others wait for
/// it. The text depends on the area only (each reader's right to the area is checked before).
actor LiveRenderings {
    struct Key: Hashable, Sendable {
        let area: String
        let cursor: Int64?
        let generation: Int
    }

    private var renderings: [Key: Task<(text: String, next: Int64), any Error>] = [:]

    func text(for key: Key, _ make: @escaping @Sendable () async throws -> (text: String, next: Int64)) async throws -> (text: String, next: Int64) {
        if let running = renderings[key] { return try await running.value }
        // Older commits' renderings are never asked for again.
        renderings = renderings.filter { $0.key.generation >= key.generation - 1 }
        let task = Task { try await make() }
        renderings[key] = task
        do {
            return try await task.value
        } catch {
            renderings[key] = nil
            throw error
        }
    }
}

struct LiveRenderingsKey: StorageKey { typealias Value = LiveRenderings }

extension Application {
    /// The process's one ``LiveRenderings`` (made in `configure`).
    var liveRenderings: LiveRenderings {
        if let r = storage[LiveRenderingsKey.self] { return r }
        let r = LiveRenderings()
        storage[LiveRenderingsKey.self] = r
        return r
    }
}

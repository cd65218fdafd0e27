import Fluent
import Foundation
import Logging
import NIOConcurrencyHelpers
import SQLKit
import SafeGridCore
import Vapor

/// How the sender works; from ``Settings/sms`` (`configureMessaging`), replaceable in tests.
package struct OutboxSettings: Sendable {
    /// Rows claimed per pass.
    package var batchSize = 32
    /// Sends in flight at once.
    package var concurrency = 8
    /// How long a claimed row belongs to this pass; after that a crash is assumed and the row
    /// is claimable again. Raised to cover a whole batch of timeouts (see ``effectiveLease``).
    var lease: TimeInterval = 60
    /// Attempts before a recipient is given up (temporary failures only; a permanent one fails at once).
    var maxAttempts = 6
    /// Backoff after the n-th failed attempt: `base × 2^(n−1)`, capped, plus up to 10 % jitter.
    var backoffBase: TimeInterval = 30
    var backoffCap: TimeInterval = 3600
    /// Extra delay added to a backoff `d`; default uniform in 0…d/10.
    var jitter: @Sendable (TimeInterval) -> TimeInterval = { d in Double.random(in: 0...(d / 10)) }
    /// Per-request timeout of the HTTP providers.
    var timeout: TimeInterval = 10
    /// Poll interval of the background loop when there was nothing (or not a full batch) to send.
    var pollInterval: TimeInterval = 1
    /// Whether ``configureMessaging`` starts the background loop (off under `.testing`).
    var backgroundLoop = true

    /// The lease actually written: long enough for every send of a batch to time out in turn.
    var effectiveLease: TimeInterval {
        let rounds = (batchSize + max(1, concurrency) - 1) / max(1, concurrency)
        return max(lease, Double(rounds) * timeout + 15)
    }

    /// The delay before retry after `attempts` failed attempts (≥ 1), without jitter.
    func backoff(attempts: Int) -> TimeInterval {
        let exponent = min(max(attempts - 1, 0), 30)
        return min(backoffBase * pow(2, Double(exponent)), backoffCap)
    }
}

/// The states of `message_recipients.state`.
enum RecipientState: String, CaseIterable, Codable, Sendable {
    case queued, sending, sent, delivered, failed

    var zh: String {
        switch self {
        case .queued: "排队中"
        case .sending: "发送中"
        case .sent: "已发送"
        case .delivered: "已送达"
        case .failed: "发送失败"
        }
    }
}

/// What one pass did.
struct OutboxPass: Sendable, Equatable {
    var claimed = 0
    var sent = 0
    var retried = 0
    var failed = 0
}

/// Delivers the outbox, one `message_recipients` row at a time.
///
/// A pass claims due rows (`queued` with `next_attempt_at ≤ now`, or `sending` whose lease has
/// expired after a crash) in one short write transaction — `state = 'sending'`, a lease, and
/// `attempts + 1`, which also serves as the claim's token — then sends each outside any
/// transaction (at most ``OutboxSettings/concurrency`` at once) and records each result in its
/// own short transaction, guarded by that token so a row reclaimed by someone else is never
/// overwritten. Rows in `sent` or `delivered` are never claimed, so never sent again.
/// Delivery is at-least-once: a crash between the gateway's acceptance and the record makes the
/// row claimable again after its lease.
package struct OutboxSender: Sendable {
    let app: Application

    var settings: OutboxSettings { app.outboxSettings }
    var provider: any SMSProvider { app.smsProvider }
    var logger: Logger { app.logger }

    /// One pass at `now`: claim a batch, send it, record the outcomes.
    package func runOnce(now: Date) async throws -> (sent: Int, retried: Int, failed: Int) {
        let p = try await pass(now: now)
        return (p.sent, p.retried, p.failed)
    }

    struct Claimed: Sendable {
        let id: UUID
        let messageID: UUID
        let phone: String
        /// The attempt number of this claim (the token of the claim).
        let attempts: Int
        let body: String
    }

    enum Outcome: Sendable { case sent, retried, failed, lost }

    func pass(now: Date) async throws -> OutboxPass {
        let settings = self.settings
        let provider = self.provider
        let claimed = try await claim(now: now, settings: settings)
        var pass = OutboxPass(claimed: claimed.count)
        guard !claimed.isEmpty else { return pass }
        let started = ContinuousClock.now
        let clock: @Sendable () -> Date = {
            let elapsed = ContinuousClock.now - started
            return now.addingTimeInterval(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
        await withTaskGroup(of: Outcome.self) { group in
            var pending = claimed.makeIterator()
            for _ in 0..<max(1, settings.concurrency) {
                guard let row = pending.next() else { break }
                group.addTask { await deliver(row, provider: provider, settings: settings, clock: clock) }
            }
            while let outcome = await group.next() {
                switch outcome {
                case .sent: pass.sent += 1
                case .retried: pass.retried += 1
                case .failed: pass.failed += 1
                case .lost: break
                }
                if let row = pending.next() {
                    group.addTask { await deliver(row, provider: provider, settings: settings, clock: clock) }
                }
            }
        }
        return pass
    }

    /// Claims up to a batch of due rows at `now`. Rows abandoned in `sending` that already used
    /// every attempt are failed instead of sent once more.
    func claim(now: Date, settings: OutboxSettings) async throws -> [Claimed] {
        let leaseUntil = now.addingTimeInterval(settings.effectiveLease)
        let limit = max(1, settings.batchSize)
        let maxAttempts = settings.maxAttempts
        // A read first: an idle poll takes no write transaction (each one would count as a
        // write for the read-model caches and wait behind the gate).
        guard try await OutboxDelivery(sql: app.sql).hasDue(at: now) else { return [] }
        let rows = try await app.writeGate.transaction(on: app.db, changesCampaign: false) { sql -> [Claimed] in
            let outbox = OutboxDelivery(sql: sql)
            try await outbox.failAbandoned(at: now, maxAttempts: maxAttempts)
            let rows = try await outbox.claim(at: now, leaseUntil: leaseUntil, limit: limit)
            guard !rows.isEmpty else { return [] }
            let bodies = try await outbox.bodies(of: Set(rows.map(\.messageID)))
            return rows.map { Claimed(id: $0.id, messageID: $0.messageID, phone: $0.phone, attempts: $0.attempts, body: bodies[$0.messageID] ?? "") }
        }
        return rows.sorted { ($0.messageID.uuidString, $0.phone) < ($1.messageID.uuidString, $1.phone) }
    }

    /// Sends one claimed row and records the outcome.
    func deliver(_ row: Claimed, provider: any SMSProvider, settings: OutboxSettings,
                 clock: @escaping @Sendable () -> Date) async -> Outcome {
        let result: Result<String, SMSFailure>
        if let phone = try? PhoneNumber(stored: row.phone), phone.isSMSCapable {
            do {
                result = .success(try await provider.send(to: row.phone, text: row.body, messageID: row.id.uuidString.lowercased()))
            } catch {
                result = .failure(SMSFailure.classify(error, timeout: settings.timeout))
            }
        } else {
            result = .failure(.permanent("'\(SMSFormat.masked(row.phone))' is not a mobile number; not sent"))
        }
        let at = clock()
        do {
            switch result {
            case .success(let providerID):
                return try await record(row, at: at, .sent(provider: provider.name, providerMessageID: providerID)) ? .sent : .lost
            case .failure(let failure):
                let giveUp = failure.kind == .permanent || row.attempts >= settings.maxAttempts
                let reason = failure.kind == .permanent || row.attempts < settings.maxAttempts
                    ? failure.reason : "gave up after \(row.attempts) attempts: \(failure.reason)"
                let next: Date? = giveUp ? nil : at.addingTimeInterval(
                    settings.backoff(attempts: row.attempts) + max(0, settings.jitter(settings.backoff(attempts: row.attempts))))
                logger.warning("SMS \(giveUp ? "failed" : "will be retried") message=\(row.messageID.uuidString.lowercased()) recipient=\(SMSFormat.masked(row.phone)) attempt=\(row.attempts) provider=\(provider.name): \(failure)")
                let outcome = OutboxDelivery.Outcome.notSent(state: giveUp ? .failed : .queued,
                                                             lastError: String((failure.kind.rawValue + ": " + reason).prefix(500)),
                                                             provider: provider.name, nextAttemptAt: next)
                return try await record(row, at: at, outcome) ? (giveUp ? .failed : .retried) : .lost
            }
        } catch {
            // The row stays `sending` until its lease expires, then is claimed again.
            logger.error("SMS outcome not recorded message=\(row.messageID.uuidString.lowercased()) recipient=\(SMSFormat.masked(row.phone)): \(String(reflecting: error))")
            return .lost
        }
    }

    /// Writes the outcome if this claim still holds the row (`sending` with our attempt number).
    /// - Returns: whether the row was ours.
    func record(_ row: Claimed, at: Date, _ outcome: OutboxDelivery.Outcome) async throws -> Bool {
        let updated = try await app.writeGate.transaction(on: app.db, changesCampaign: false) { sql -> Bool in
            try await OutboxDelivery(sql: sql).record(outcome, recipient: row.id, attempts: row.attempts, at: at)
        }
        if !updated {
            logger.warning("SMS outcome dropped: message=\(row.messageID.uuidString.lowercased()) recipient=\(SMSFormat.masked(row.phone)) was reclaimed after its lease expired")
        }
        return updated
    }
}

/// Runs ``OutboxSender`` in the background from boot to shutdown: a pass at once after a full
/// batch, else every ``OutboxSettings/pollInterval``.
final class OutboxLoop: LifecycleHandler, @unchecked Sendable {
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)

    var isRunning: Bool { task.withLockedValue { $0 != nil } }

    func didBootAsync(_ app: Application) async throws { start(app) }
    func didBoot(_ app: Application) throws { start(app) }

    func start(_ app: Application) {
        task.withLockedValue { current in
            guard current == nil else { return }
            let sender = OutboxSender(app: app)
            app.logger.info("SMS outbox sender started (provider \(app.smsProvider.name))")
            current = Task {
                while !Task.isCancelled {
                    var full = false
                    do {
                        let started = ContinuousClock.now
                        let p = try await sender.pass(now: app.services.now())
                        full = p.claimed >= max(1, app.outboxSettings.batchSize)
                        if p.claimed > 0 { Telemetry.recordJob("sms_outbox", ContinuousClock.now - started) }
                    } catch {
                        app.logger.error("SMS outbox pass failed: \(String(reflecting: error))")
                    }
                    if !full {
                        try? await Task.sleep(for: .milliseconds(Int64(app.outboxSettings.pollInterval * 1000)))
                    }
                }
            }
        }
    }

    /// Stops polling and waits for the pass in progress to record its outcomes.
    func stop() async { await task.cancelAndWait() }

    func shutdownAsync(_ app: Application) async { await stop() }
    func shutdown(_ app: Application) {
        // Synchronous shutdown: cancel; the pass in progress finishes on its own.
        task.withLockedValue { $0?.cancel(); $0 = nil }
    }
}

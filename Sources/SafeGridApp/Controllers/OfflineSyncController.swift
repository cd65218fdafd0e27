import Foundation
import SQLKit
import SafeGridCore
import Vapor

/// Events a phone recorded offline, sent when it is back online.
enum OfflineSyncController {
    struct SyncEvent: Content {
        /// Per-device sequence number, increasing on the device.
        let seq: Double
        let hazardId: String
        let action: String
        /// When it happened on the phone (RFC 3339 with offset).
        let clientTime: String
        let actor: String
        let reason: String?
        let dueOn: String?
    }

    struct SyncInput: Content {
        let deviceId: String
        let events: [SyncEvent]
    }

    struct SyncResult: Content {
        let seq: Int64
        /// `applied`, `duplicate` (already received), `rejected` (not applicable at its place in
        /// the client order; `reason` says why).
        let status: String
        let late: Bool
        let reason: String?
    }

    /// The key a device's events are stored and deduplicated under: `wangge.worker/phone-A`.
    /// A device id is shown on hazard timelines to everyone who reads them, so it is qualified
    /// by the account that sends it: another account using the same id has its own sequence,
    /// and can neither replay nor pre-empt this one's. (User names hold no `/`.)
    static func deviceKey(username: String, device: String) -> String { "\(username)/\(device)" }

    /// The phone's own id in a stored key (`wangge.worker/phone-A` → `phone-A`); a key stored
    /// before keys were qualified is returned as it is.
    static func deviceName(_ stored: String) -> String {
        guard let slash = stored.firstIndex(of: "/"),
              (try? AccountRules.username(String(stored[..<slash]))) == String(stored[..<slash]) else { return stored }
        return String(stored[stored.index(after: slash)...])
    }

    /// `POST /api/v1/sync`: events recorded offline. Each hazard's events are applied in client
    /// time order whatever order they arrive in; a retry of the same (deviceId, seq) by the
    /// same account is a no-op; the receipt time is kept and late arrivals are flagged.
    static func sync(_ req: Request) async throws -> [SyncResult] {
        let input = try req.content.decode(SyncInput.self)
        let phone = input.deviceId.trimmingCharacters(in: .whitespaces)
        guard !phone.isEmpty else { throw DomainError.invalid("deviceId", "deviceId is required") }
        try TextRules.check(phone, "deviceId", max: 100)
        let device = deviceKey(username: try req.account().username, device: phone)
        guard input.events.count <= 1_000 else { throw DomainError.invalid("events", "at most 1000 events per request") }
        let now = req.services.now()
        struct Incoming: Sendable { let seq: Int64; let hazard: UUID; let action: HazardAction; let at: Date; let actor: String; let reason: String?; let due: Date? }
        var incoming: [Incoming] = []
        var seqs = Set<Int>()
        for (i, e) in input.events.enumerated() {
            let f = "events[\(i)]"
            guard let seq = try Input.integer(e.seq, "\(f).seq", in: 0...Int(Int32.max)) else { continue }
            guard seqs.insert(seq).inserted else {
                throw DomainError.invalid("\(f).seq", "seq \(seq) appears twice in this batch; each event of a device has its own seq")
            }
            let action: HazardAction = try Input.enumValue(e.action, "\(f).action")
            if action == .closeDown { throw DomainError.invalid("\(f).action", "close a subject down through its own endpoint") }
            let at = try Input.timestamp(e.clientTime, "\(f).clientTime")
            try InspectionRules.checkNotInFuture(at, "\(f).clientTime", now: now)
            try TextRules.check(e.actor, "\(f).actor", max: TextRules.personName)
            try TextRules.check(e.reason, "\(f).reason", max: TextRules.note, multiline: true)
            incoming.append(Incoming(seq: Int64(seq), hazard: try Input.uuid(e.hazardId, "\(f).hazardId"), action: action, at: at,
                                     actor: try req.recordedActor(e.actor), reason: e.reason, due: try Input.calendarDate(e.dueOn, "\(f).dueOn")?.endUTC))
        }
        let received = incoming
        return try await req.campaignWrite { tx in
            let sql = tx.sql, q = tx.queries
            var results: [Int64: SyncResult] = [:]
            // Retries: already stored (account and deviceId, seq) pairs.
            var fresh: [Incoming] = []
            for e in received {
                let seen = try await q.eventRecorded(device: device, seq: e.seq)
                if seen || fresh.contains(where: { $0.seq == e.seq }) {
                    results[e.seq] = SyncResult(seq: e.seq, status: "duplicate", late: false, reason: nil)
                } else {
                    fresh.append(e)
                }
            }
            for (hazardID, events) in Dictionary(grouping: fresh, by: \.hazard) {
                guard let hazard = try await q.hazard(hazardID), let subject = try await q.subject(hazard.subjectId) else {
                    for e in events { results[e.seq] = SyncResult(seq: e.seq, status: "rejected", late: false, reason: "no hazard \(hazardID)") }
                    continue
                }
                if (try? req.checkMayAct(onHazard: hazard)) == nil {
                    for e in events {
                        results[e.seq] = SyncResult(seq: e.seq, status: "rejected", late: false,
                                                    reason: "hazard \(hazard.itemCode) belongs to another department")
                    }
                    continue
                }
                // Everything known about the hazard, replayed in client-time order.
                let stored = try await q.events(hazard: hazardID)
                guard let found = stored.first(where: { $0.kind == HazardEventKind.found.rawValue }) else {
                    for e in events { results[e.seq] = SyncResult(seq: e.seq, status: "rejected", late: false, reason: "the hazard has no finding") }
                    continue
                }
                let latestApplied = stored.map(\.occurredAt).max() ?? found.occurredAt
                struct Entry { let at: Date; let order: String; let action: HazardLifecycle.RecordedAction; let incoming: Incoming? }
                var entries: [Entry] = []
                for e in stored {
                    guard let kind = HazardEventKind(rawValue: e.kind), let action = kind.action else { continue }
                    entries.append(Entry(at: e.occurredAt, order: String(format: "%020lld", e.seq),
                                         action: .init(action: action, at: e.occurredAt, actor: e.actor, reason: e.reason, newDueAt: e.dueAt),
                                         incoming: nil))
                }
                for e in events {
                    entries.append(Entry(at: e.at, order: "~\(device)\(String(format: "%020lld", e.seq))",
                                         action: .init(action: e.action, at: e.at, actor: e.actor, reason: e.reason, newDueAt: e.due),
                                         incoming: e))
                }
                entries.sort { ($0.at, $0.order) < ($1.at, $1.order) }
                let initial = HazardStatus(state: .open, severity: hazard.status.severity, dueAt: found.dueAt ?? hazard.dueAt,
                                           lastEventAt: found.occurredAt)
                let (status, outcome) = HazardLifecycle.replay(from: initial, entries.map(\.action))
                var newEvents: [HazardEvent] = []
                for (entry, result) in zip(entries, outcome) {
                    guard let e = entry.incoming else { continue }
                    let late = e.at < latestApplied
                    switch result {
                    case .success(var event):
                        event.deviceID = device
                        event.deviceSeq = e.seq
                        event.late = late
                        newEvents.append(event)
                        results[e.seq] = SyncResult(seq: e.seq, status: "applied", late: late, reason: nil)
                    case .failure(let error):
                        results[e.seq] = SyncResult(seq: e.seq, status: "rejected", late: late, reason: error.reason)
                    }
                }
                guard !newEvents.isEmpty else { continue }
                var final = status
                final.version = hazard.version + newEvents.count
                final.overdueSince = status.state.isOpen && status.dueAt == hazard.dueAt ? hazard.overdueAt : nil
                let refusal = try await tx.change(subject) { dossier -> DomainError? in
                    do throws(DomainError) {
                        try dossier.replace(hazard: hazardID, with: final, newEvents: newEvents, at: now)
                        return nil
                    } catch { return error }
                }
                if let refusal {
                    for e in events { results[e.seq] = SyncResult(seq: e.seq, status: "rejected", late: false, reason: refusal.reason) }
                }
            }
            return received.map { results[$0.seq] ?? SyncResult(seq: $0.seq, status: "rejected", late: false, reason: "not processed") }
        }
    }
}

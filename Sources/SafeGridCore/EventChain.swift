import Crypto
import Foundation

/// The tamper-evident trail: every hazard event carries the SHA-256 of the previous event of
/// the same town and its own hash over a canonical form of its fields and that previous hash.
/// Changing, removing or reordering any event breaks every later link.
public enum EventChain {
    /// The `prev_hash` of a town's first event: 64 zeros.
    public static let genesis = String(repeating: "0", count: 64)

    /// The fields that are hashed. Times are whole milliseconds since 1970 (UTC), so that a
    /// round trip through a database that keeps microseconds gives the same hash.
    public struct Link: Sendable, Equatable {
        public var hazardID: UUID
        public var subjectID: UUID
        public var townCode: String
        public var kind: String
        public var fromState: String?
        public var toState: String
        public var actor: String
        public var reason: String?
        public var occurredAtMillis: Int64
        public var dueAtMillis: Int64?
        public var recordedAtMillis: Int64
        public var deviceID: String?
        public var deviceSeq: Int64?
        public var late: Bool

        public init(hazardID: UUID, subjectID: UUID, townCode: String, kind: String, fromState: String?, toState: String,
                    actor: String, reason: String?, occurredAt: Date, dueAt: Date?, recordedAt: Date,
                    deviceID: String?, deviceSeq: Int64?, late: Bool) {
            self.hazardID = hazardID
            self.subjectID = subjectID
            self.townCode = townCode
            self.kind = kind
            self.fromState = fromState
            self.toState = toState
            self.actor = actor
            self.reason = reason
            self.occurredAtMillis = EventChain.millis(occurredAt)
            self.dueAtMillis = dueAt.map(EventChain.millis)
            self.recordedAtMillis = EventChain.millis(recordedAt)
            self.deviceID = deviceID
            self.deviceSeq = deviceSeq
            self.late = late
        }

        /// Canonical form: fields in a fixed order, separated by U+001F, absent values as U+2400.
        public var canonical: String {
            let none = "\u{2400}"
            return [hazardID.uuidString.lowercased(), subjectID.uuidString.lowercased(), townCode, kind,
                    fromState ?? none, toState, actor, reason ?? none, String(occurredAtMillis),
                    dueAtMillis.map(String.init) ?? none, String(recordedAtMillis), deviceID ?? none,
                    deviceSeq.map(String.init) ?? none, late ? "1" : "0"].joined(separator: "\u{1F}")
        }
    }

    /// Milliseconds since 1970, held to what `Int64` holds (a corrupt stored time far outside
    /// any real one hashes to an end of the range instead of trapping).
    public static func millis(_ d: Date) -> Int64 {
        let ms = (d.timeIntervalSince1970 * 1000).rounded()
        guard ms.isFinite else { return ms > 0 ? .max : .min }
        return Int64(min(max(ms, -9.2e18), 9.2e18))
    }

    /// The instant of `millis`, as written to the database.
    public static func date(millis: Int64) -> Date { Date(timeIntervalSince1970: Double(millis) / 1000) }

    /// `d` rounded to whole milliseconds (what is stored and hashed).
    public static func rounded(_ d: Date) -> Date { date(millis: millis(d)) }

    /// SHA-256 (lowercase hex) of `previous` and the link's canonical form.
    public static func hash(previous: String, _ link: Link) -> String {
        var h = SHA256()
        h.update(data: Data(previous.utf8))
        h.update(data: Data([0x1E]))
        h.update(data: Data(link.canonical.utf8))
        return Hex.encode(h.finalize())
    }

    /// Walks a town's events in order.
    /// - Returns: the index of the first event whose `prevHash` is not the previous event's hash
    ///   or whose `hash` does not match its content, or `nil` when the chain is whole.
    public static func firstBrokenLink(_ events: [(link: Link, prevHash: String, hash: String)]) -> Int? {
        var previous = genesis
        for (i, e) in events.enumerated() {
            guard e.prevHash == previous, hash(previous: previous, e.link) == e.hash else { return i }
            previous = e.hash
        }
        return nil
    }
}

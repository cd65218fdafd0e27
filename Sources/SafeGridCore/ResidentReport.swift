import Foundation

// Residents' reports (社会全员参与, the article's closing paragraph: the campaign's data linked into
// 沥家园 so that residents report hazards and see them dealt with). A report comes from the
// residents' page or an Open311 client (GeoReport v2 `POST requests`), is routed to the
// micro-grid where it lies, and is verified on site by that grid's worker (an inspection of the
// subject, whose hazards follow the normal loop) or dismissed with a reason. The resident is
// answered by SMS at each step, and Open311 clients read the same states.

/// Where a report stands.
///
/// `received` (待核实) → `verified` (已核实: a hazard with a deadline) → `rectified` (已整改:
/// every hazard of the verifying inspection rectified) or `closedDown` (the subject closed down
/// with its hazards open); `rectified` → `verified` again when a hazard rebounds. Or `received`
/// → `dismissed` (不予受理, with a ``ReportDismissalReason``). `added` is a resident's addition to
/// an earlier report (the "is it this one?" choice): it is never worked itself and answers with
/// its original's state.
public enum ResidentReportState: String, Codable, CaseIterable, Sendable {
    case received, verified, dismissed, rectified, closedDown, added

    public var zh: String {
        switch self {
        case .received: "待核实"
        case .verified: "已核实，整改中"
        case .dismissed: "不予受理"
        case .rectified: "已整改"
        case .closedDown: "场所已关停"
        case .added: "已并入同一上报"
        }
    }

    public var en: String {
        switch self {
        case .received: "awaiting verification"
        case .verified: "verified, being rectified"
        case .dismissed: "dismissed"
        case .rectified: "rectified"
        case .closedDown: "the place was closed down"
        case .added: "added to an earlier report"
        }
    }

    /// Open311 GeoReport v2 `status`: `open` while something is still to be done, `closed` once
    /// dismissed, rectified or closed down.
    public var open311Status: String { self == .dismissed || self == .rectified || self == .closedDown ? "closed" : "open" }

    /// Whether the report is still to be verified or dismissed (a worker's task).
    public var awaitsVerification: Bool { self == .received }

    /// Whether residents may still add to it, or a worker name it as what a duplicate repeats:
    /// while it waits or is being rectified. A rectified report's hazard that came back is a new
    /// report (its rebound reaches a worker that way).
    public var isOpen: Bool { self == .received || self == .verified }
}

/// Why a worker dismissed a report. `duplicate` must name the report it repeats.
public enum ReportDismissalReason: String, Codable, CaseIterable, Sendable {
    case notHazard, duplicate, outsideArea, cannotFind

    public var zh: String {
        switch self {
        case .notHazard: "经核查不是隐患"
        case .duplicate: "重复上报"
        case .outsideArea: "不在本镇辖区"
        case .cannotFind: "现场未找到"
        }
    }

    public var en: String {
        switch self {
        case .notHazard: "not a hazard"
        case .duplicate: "duplicate"
        case .outsideArea: "outside the area"
        case .cannotFind: "cannot be found"
        }
    }
}

/// A report's handling: the state and who moved it when. The rules of its steps live here; the
/// app stores it and records the verifying inspection through the campaign's write path.
public struct ResidentReport: Equatable, Sendable {
    public var state: ResidentReportState
    public let receivedAt: Date
    public var verifiedAt: Date?
    public var verifiedBy: String?
    public var dismissedAt: Date?
    public var dismissedBy: String?
    public var dismissReason: ReportDismissalReason?
    public var duplicateOf: UUID?
    public var note: String?
    public var rectifiedAt: Date?

    public init(state: ResidentReportState, receivedAt: Date, verifiedAt: Date? = nil, verifiedBy: String? = nil,
                dismissedAt: Date? = nil, dismissedBy: String? = nil, dismissReason: ReportDismissalReason? = nil,
                duplicateOf: UUID? = nil, note: String? = nil, rectifiedAt: Date? = nil) {
        self.state = state
        self.receivedAt = receivedAt
        self.verifiedAt = verifiedAt
        self.verifiedBy = verifiedBy
        self.dismissedAt = dismissedAt
        self.dismissedBy = dismissedBy
        self.dismissReason = dismissReason
        self.duplicateOf = duplicateOf
        self.note = note
        self.rectifiedAt = rectifiedAt
    }

    private func awaiting(_ action: String) throws(DomainError) {
        guard state == .received else {
            throw DomainError(.conflict, field: "action",
                              reason: "the report is \(state.rawValue) (\(state.zh)); only a report awaiting verification can be \(action)",
                              extra: ["currentState": state.rawValue])
        }
    }

    /// Verified on site at `at` by `actor`; the caller records the inspection.
    /// - Throws: 409 on `action` unless `received`.
    public func verifying(at: Date, by actor: String) throws(DomainError) -> ResidentReport {
        try awaiting("verified")
        var next = self
        next.state = .verified
        next.verifiedAt = max(at, receivedAt)
        next.verifiedBy = actor
        return next
    }

    /// Dismissed at `at` by `actor`, for `reason`, with `note` (required: the resident is told why).
    /// - Parameters:
    ///   - duplicateOf: the report this one repeats (required for `duplicate`, refused otherwise);
    ///     the caller checks that it exists, is in the area and is not this report.
    /// - Throws: 409 on `action` unless `received`; 422 on `duplicateOf` or `note`.
    public func dismissing(at: Date, by actor: String, reason: ReportDismissalReason, duplicateOf: UUID?,
                           note: String?) throws(DomainError) -> ResidentReport {
        try awaiting("dismissed")
        switch (reason, duplicateOf) {
        case (.duplicate, nil): throw DomainError.invalid("duplicateOf", "a duplicate names the report it repeats")
        case (.duplicate, _), (_, nil): break
        case (_, .some): throw DomainError.invalid("duplicateOf", "only a duplicate names another report")
        }
        let text = try TextRules.required(note, "note", max: ResidentReportRules.noteMax, multiline: true)
        var next = self
        next.state = .dismissed
        next.dismissedAt = max(at, receivedAt)
        next.dismissedBy = actor
        next.dismissReason = reason
        next.duplicateOf = duplicateOf
        next.note = text
        return next
    }

    /// Rectified: every hazard the verification found or linked is rectified — or closed down,
    /// when `closedDown` (the subject closed with its hazards open: `closedDown`, not rectified).
    /// Only a verified report moves; others stay as they are.
    public func rectifying(at: Date, closedDown: Bool = false) -> ResidentReport {
        guard state == .verified else { return self }
        var next = self
        next.state = closedDown ? .closedDown : .rectified
        next.rectifiedAt = at
        return next
    }

    /// A hazard of a rectified report came back (反弹): the report is being rectified again.
    /// Other states stay as they are.
    public func reopening() -> ResidentReport {
        guard state == .rectified else { return self }
        var next = self
        next.state = .verified
        next.rectifiedAt = nil
        return next
    }

    /// The words of its state for Open311's `status_notes` and the resident's tracking page (zh,
    /// then en): while received, when a worker verifies by (Asia/Shanghai, minutes); once
    /// verified, the party's deadline `dueOn`; once dismissed, the reason. Never the worker's
    /// note: Open311 reads are public.
    public func statusNotes(dueOn: CalendarDate?) -> String {
        var notes = "\(state.zh) \(state.en)"
        switch state {
        case .received:
            // "2026-12-01T10:00:00+08:00" → "2026-12-01 10:00".
            let by = Timestamp.format(ResidentReportRules.verifyBy(receivedAt)).prefix(16).replacingOccurrences(of: "T", with: " ")
            notes += "; 网格员将于 \(by) 前核实"
        case .verified:
            if let dueOn { notes += "; 整改期限 due \(dueOn)" }
        case .dismissed where dismissReason == .duplicate:
            notes = "已并入同一上报 merged into an earlier report; 重复上报 duplicate"
        case .dismissed:
            if let dismissReason { notes += "; \(dismissReason.zh) \(dismissReason.en)" }
        case .rectified, .closedDown, .added:
            break
        }
        return notes
    }

    /// Whether it should have been verified or dismissed by `now` and was not
    /// (``ResidentReportRules/verifyWithin`` after it was received).
    public func isOverdue(now: Date) -> Bool {
        state == .received && now >= ResidentReportRules.verifyBy(receivedAt)
    }
}

/// The numbers of residents' reports: limits on what a report may carry and on how often, and
/// the promise made when one is received.
public enum ResidentReportRules {
    /// The item in a resident's words: its first clause (up to the first `，` or `；`), at most
    /// `max` characters with `…` when cut (`"消防车道被占用、堵塞"`, `"配电箱（柜）箱门缺失或防护损坏"`).
    public static func plainWords(_ item: ChecklistItem, max: Int = 24) -> String {
        let clause = item.zh.prefix { $0 != "，" && $0 != "；" && $0 != "。" }
        let text = clause.isEmpty ? Substring(item.zh) : clause
        return text.count > max ? String(text.prefix(max - 1)) + "…" : String(text)
    }

    /// The street and number of an address, to find a subject of the village at the same place:
    /// what follows its last 镇/街道/村/社区, without `%` and `_`, at most 20 characters; empty
    /// below 3 (`杭州市萧山区瓜沥镇坎山村工业路12号` → `工业路12号`).
    public static func streetPart(_ address: String) -> String {
        var rest = Substring(address)
        for marker in ["街道", "社区", "镇", "村"] {
            if let r = rest.range(of: marker, options: .backwards) { rest = rest[r.upperBound...] }
        }
        let cleaned = rest.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "%", with: "")
            .replacingOccurrences(of: "_", with: "")
        return cleaned.count >= 3 ? String(cleaned.prefix(20)) : ""
    }

    /// Whether residents may report the item: not the management items (training records,
    /// licences, duty rosters), which only an inspection can see.
    public static func reportable(_ item: ChecklistItem) -> Bool { item.category != .management }

    /// Refuses the bidirectional formatting characters (U+202A–U+202E, U+2066–U+2069) in a
    /// resident's text: they make a worker read `evil` as `live` (CVE-2021-42574, "Trojan Source").
    /// - Throws: 422 on `field`.
    public static func checkDirection(_ text: String?, _ field: String) throws(DomainError) {
        guard let text else { return }
        for u in text.unicodeScalars where (0x202A...0x202E).contains(u.value) || (0x2066...0x2069).contains(u.value) {
            throw DomainError.invalid(field, "\(field) contains a text-direction control (U+\(String(u.value, radix: 16, uppercase: true)))")
        }
    }

    /// The largest photo a resident may send: at most 8,000 px on a side and 40 megapixels (the
    /// page sends 1,600 px; a larger image only costs the workers' phones memory to show).
    public static let maxPhotoSide = 8_000
    public static let maxPhotoPixels = 40_000_000

    /// The promise: a grid worker verifies within 24 hours; later, the village officer is alerted.
    public static let verifyWithin: TimeInterval = 24 * 3600
    public static func verifyBy(_ receivedAt: Date) -> Date { receivedAt.addingTimeInterval(verifyWithin) }

    /// "Is it this one?": reports of the same hazard category within 50 m in the last 30 days.
    public static let nearbyMetres = 50.0
    public static let nearbyDays = 30

    /// What one report carries: at most 3 photos of at most 2,000,000 bytes each (the page shrinks
    /// them to 1,600 px first), a description of at most 1,000 characters, an address of 200.
    public static let maxPhotos = 3
    public static let photoBytes = 2_000_000
    public static let descriptionMax = 1_000
    public static let addressMax = 200
    public static let noteMax = 500

    /// The resident's words for the answer SMS; a dismissal's note is cut to this many characters.
    public static let answerNoteMax = 40

    /// Nearby subjects a worker is offered when verifying: within 100 m, at most 5.
    public static let subjectMatchMetres = 100.0
    /// A report is matched to a subject by position when one lies within 30 m (the nearest).
    public static let autoMatchMetres = 30.0
}

/// The one-time codes that prove a resident holds the mobile they give.
///
/// A code is 6 digits, valid 10 minutes, at most 5 wrong tries; a new one may be asked after
/// 60 s. Per number at most 5 codes an hour and 10 a day; per network address at most 20 codes
/// an hour (one person trying many numbers). Reports: per number at most 5 a day, per network
/// address at most 10 an hour (anonymous ones included) — a resident reporting a street's worth
/// of hazards in one walk stays inside, a script does not.
public enum ResidentCodeRules {
    public static let digits = 6
    public static let validFor: TimeInterval = 600
    public static let resendAfter: TimeInterval = 60
    public static let maxAttempts = 5

    public static let codesPerNumber: [RateLimit] = [RateLimit(count: 1, window: 60), RateLimit(count: 5, window: 3600),
                                                     RateLimit(count: 10, window: 86_400)]
    public static let codesPerAddress: [RateLimit] = [RateLimit(count: 20, window: 3600)]
    public static let reportsPerNumber: [RateLimit] = [RateLimit(count: 5, window: 86_400)]
    public static let reportsPerAddress: [RateLimit] = [RateLimit(count: 10, window: 3600)]

    /// Whether `given` is a well-formed code: exactly 6 ASCII digits (full-width digits and
    /// spaces around are the page's business, not ours).
    public static func isWellFormed(_ given: String) -> Bool {
        given.utf8.count == digits && given.utf8.allSatisfy { (0x30...0x39).contains($0) }
    }
}

/// At most `count` events in any `window` seconds.
public struct RateLimit: Equatable, Sendable {
    public let count: Int
    public let window: TimeInterval
    public init(count: Int, window: TimeInterval) {
        self.count = count
        self.window = window
    }

    /// Seconds until one more event is allowed under every limit of `limits`, given the times of
    /// the earlier events; `nil` when one is allowed now.
    public static func retryAfter(_ limits: [RateLimit], earlier: [Date], now: Date) -> Int? {
        var wait: TimeInterval = 0
        for limit in limits {
            let inWindow = earlier.filter { $0 > now.addingTimeInterval(-limit.window) && $0 <= now }.sorted()
            guard inWindow.count >= limit.count else { continue }
            // The oldest event that must leave the window before one more fits.
            let leaving = inWindow[inWindow.count - limit.count]
            wait = max(wait, leaving.addingTimeInterval(limit.window).timeIntervalSince(now))
        }
        return wait > 0 ? Int(wait.rounded(.up)) : nil
    }
}

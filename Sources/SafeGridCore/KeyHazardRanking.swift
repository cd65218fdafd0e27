import Foundation

/// 重点隐患企业: within each village or community, the enterprises whose inspection problems rank
/// in the worst 15% (article: "对各村社上报检查问题排名后15%的企业作为重点隐患企业进行攻坚").
///
/// The rule, in order:
///
/// 1. **Who is ranked.** Subjects of kind ``SubjectKind/enterprise`` that are not closed down
///    (关停 enterprises are already dealt with and carry no open hazards). Other kinds and
///    closed-down enterprises are skipped. Each enterprise is ranked in its own village
///    (12-digit village code); villages are never pooled.
/// 2. **Problem score** (integer points, from the enterprise's *open* hazards — open,
///    rectifying, rebound; rectified and closed-down hazards count nothing):
///
///    `score = Σ over open hazards  weight(severity) × (10 + min(overdueDays, 30))`
///
///    | severity | weight | not overdue | overdue ≥ 30 days (cap) |
///    |---|---|---|---|
///    | 一般 general | 1 | 10 | 40 |
///    | 较严重 serious | 3 | 30 | 120 |
///    | 极严重 extremely severe (重大隐患) | 9 | 90 | 360 |
///
///    `overdueDays` = whole Asia/Shanghai calendar days from the hazard's due day to `asOf`
///    (0 on or before the due day: a hazard due 2026-11-30 is 1 day overdue on 2026-12-01).
///    Each level weighs three times the one below, so one more severe hazard outweighs two
///    less severe ones; every overdue day adds a tenth of the hazard's base, so after 20 days a
///    hazard weighs as much as a fresh one of the next level (the colour rule also lifts an
///    overdue hazard one level). The 30-day cap keeps one ancient hazard from outweighing an
///    enterprise's many current ones and keeps scores bounded. Integers only: the same data
///    always gives the same scores and order, on any machine.
/// 3. **Minimum.** A village with fewer than ``minimumEnterprises`` (5) ranked enterprises is
///    not ranked: with 1–4 enterprises the "worst 15%" would be one enterprise in every two to
///    four, which is a judgement on that enterprise, not a ranking. Its result says so
///    (``VillageRanking/Status/tooFewEnterprises`` with a reason) and lists nobody.
/// 4. **How many (rounding).** `quota = ⌈15% × n⌉` of the village's `n` ranked enterprises
///    (zero-score enterprises count in `n`), computed in integers as `(15 × n + 99) / 100`:
///    "后15%" is read as a share to cover at least, so no village covers less than 15% and
///    none more than one enterprise beyond it. 5–6 enterprises → 1, 7–13 → 2, 40 → 6,
///    39 → 6 (5.85), 2,928 in one village → 440 (439.2). Rounding is per village, so a town's
///    total is the sum of its villages' quotas: 瓜沥's 2,928 enterprises spread as 42 villages of
///    40 and 32 of 39 list 74 × 6 = 444.
/// 5. **Order and ties.** Worst first by score; equal scores by total overdue days (uncapped:
///    longer neglect is worse); then by the oldest open hazard's discovery time (the problem
///    known longest is worse). Enterprises equal on all three share a rank (competition
///    ranking 1, 2, 2, 4). An enterprise is key when its rank is ≤ `quota` — so when the
///    boundary falls inside a tie that survives all three tie-breaks, **every** enterprise in
///    that tie is listed and the list is longer than the quota. A town official must be able to
///    tell an enterprise why it is listed and its neighbour with the identical record is not;
///    "by record id" (or by lot) is no answer, and listing both costs only one more visit.
///    Identifiers order the output only.
/// 6. **Zero never listed.** An enterprise with score 0 (no open hazards) is never key, even
///    when the village has fewer problem enterprises than its quota.
public enum KeyHazardRanking {
    /// Villages with fewer ranked enterprises than this are not ranked (5).
    public static let minimumEnterprises = 5
    /// The share listed, in percent (15).
    public static let sharePercent = 15
    /// Points per overdue day stop growing after this many days (30).
    public static let overdueDayCap = 30
    /// Base points of a hazard before its severity weight (10); each overdue day adds 1 × weight.
    public static let basePoints = 10

    /// The severity weight: general 1, serious 3, extremely severe 9.
    public static func weight(_ severity: Severity) -> Int {
        switch severity {
        case .general: 1
        case .serious: 3
        case .extremelySevere: 9
        }
    }

    /// One hazard of an enterprise, as the ranking needs it.
    public struct Hazard: Codable, Hashable, Sendable {
        public let severity: Severity
        public let state: HazardState
        /// When it was found (UTC instant); the oldest open hazard breaks ties.
        public let foundAt: Date
        /// Its deadline (UTC instant; the end of an Asia/Shanghai day).
        public let dueAt: Date

        public init(severity: Severity, state: HazardState, foundAt: Date, dueAt: Date) {
            self.severity = severity
            self.state = state
            self.foundAt = foundAt
            self.dueAt = dueAt
        }

        /// From a hazard's stored status and the time it was found.
        public init(_ status: HazardStatus, foundAt: Date) {
            self.init(severity: status.severity, state: status.state, foundAt: foundAt, dueAt: status.dueAt)
        }

        /// Whole Asia/Shanghai days past the due day at `asOf` (0 if not past it).
        public func overdueDays(asOf: CalendarDate) -> Int {
            max(0, CalendarDate(shanghai: dueAt).days(until: asOf))
        }

        /// `weight × (10 + min(overdueDays, 30))` when open, else 0.
        public func points(asOf: CalendarDate) -> Int {
            guard state.isOpen else { return 0 }
            return KeyHazardRanking.weight(severity)
                * (KeyHazardRanking.basePoints + min(overdueDays(asOf: asOf), KeyHazardRanking.overdueDayCap))
        }
    }

    /// A subject offered to the ranking. Only enterprises that are not closed down are ranked.
    public struct Candidate: Codable, Hashable, Sendable {
        public let subjectId: UUID
        /// The 12-digit code of the village or community the subject lies in.
        public let villageCode: String
        public let kind: SubjectKind
        public let closedDown: Bool
        /// Its hazards; only open ones (open, rectifying, rebound) count.
        public let hazards: [Hazard]

        public init(subjectId: UUID, villageCode: String, kind: SubjectKind = .enterprise, closedDown: Bool = false,
                    hazards: [Hazard]) {
            self.subjectId = subjectId
            self.villageCode = villageCode
            self.kind = kind
            self.closedDown = closedDown
            self.hazards = hazards
        }
    }

    /// What an enterprise's open hazards add up to on a day: the score and its tie-breaks.
    public struct ProblemScore: Codable, Hashable, Sendable {
        /// The problem score (points, see ``KeyHazardRanking``).
        public let points: Int
        /// Number of open hazards.
        public let openHazards: Int
        /// Open hazards past their due day.
        public let overdueHazards: Int
        /// Sum of the open hazards' overdue days, uncapped (first tie-break).
        public let overdueDays: Int
        /// Discovery time of the oldest open hazard (second tie-break); `nil` without open hazards.
        public let oldestOpenFoundAt: Date?

        /// `true` when `self` ranks worse (higher) than `other` by score, overdue days, oldest hazard.
        public func isWorse(than other: ProblemScore) -> Bool {
            if points != other.points { return points > other.points }
            if overdueDays != other.overdueDays { return overdueDays > other.overdueDays }
            switch (oldestOpenFoundAt, other.oldestOpenFoundAt) {
            case let (a?, b?): return a < b
            case (_?, nil): return true
            default: return false
            }
        }

        /// Equal on all that ranks (score, overdue days, oldest hazard).
        public func ties(with other: ProblemScore) -> Bool {
            !isWorse(than: other) && !other.isWorse(than: self)
        }
    }

    /// The score of a set of hazards on `asOf` (Asia/Shanghai calendar day).
    public static func score(_ hazards: [Hazard], asOf: CalendarDate) -> ProblemScore {
        let open = hazards.filter { $0.state.isOpen }
        return ProblemScore(points: open.reduce(0) { $0 + $1.points(asOf: asOf) },
                            openHazards: open.count,
                            overdueHazards: open.filter { $0.overdueDays(asOf: asOf) > 0 }.count,
                            overdueDays: open.reduce(0) { $0 + $1.overdueDays(asOf: asOf) },
                            oldestOpenFoundAt: open.map(\.foundAt).min())
    }

    /// `⌈15% × n⌉` in integers: how many enterprises a village of `n` lists at most before ties.
    public static func quota(enterprises n: Int) -> Int {
        (sharePercent * n + 99) / 100
    }

    /// One ranked enterprise.
    public struct Entry: Codable, Hashable, Sendable {
        public let subjectId: UUID
        public let score: ProblemScore
        /// Competition rank in its village, 1 = worst; fully tied enterprises share it.
        public let rank: Int
        /// 重点隐患企业: rank ≤ quota and score > 0.
        public let isKey: Bool
    }

    /// The ranking of one village.
    public struct VillageRanking: Codable, Hashable, Sendable {
        public enum Status: String, Codable, Sendable, Hashable {
            /// Ranked: `entries` lists every ranked enterprise, worst first.
            case ranked
            /// Fewer than ``KeyHazardRanking/minimumEnterprises`` enterprises: nobody listed.
            case tooFewEnterprises
        }

        public let villageCode: String
        public let status: Status
        /// Enterprises ranked here (not closed down).
        public let enterpriseCount: Int
        /// `⌈15% × enterpriseCount⌉`; 0 when not ranked.
        public let quota: Int
        /// Worst first (rank, then subject id); empty when not ranked.
        public let entries: [Entry]
        /// Why the village is not ranked, or why it lists fewer or more than its quota; `nil` otherwise.
        public let reason: String?

        /// The key hazard enterprises of the village, worst first.
        public var keyEnterprises: [Entry] { entries.filter(\.isKey) }
    }

    /// The ranking of a town (or any set of villages) on one day.
    public struct Ranking: Codable, Hashable, Sendable {
        public let asOf: CalendarDate
        /// One per village that has at least one ranked enterprise, by village code.
        public let villages: [VillageRanking]

        /// Every key hazard enterprise with its village, by village code then rank.
        public var keyEnterprises: [(villageCode: String, entry: Entry)] {
            villages.flatMap { v in v.keyEnterprises.map { (v.villageCode, $0) } }
        }

        /// The ranking of one village, if it has enterprises.
        public func village(_ code: String) -> VillageRanking? { villages.first { $0.villageCode == code } }
    }

    /// Ranks `candidates` village by village on the Asia/Shanghai day `asOf`.
    ///
    /// - Returns: per village (by code) its status, quota and entries (see the type's rules).
    /// - Throws: ``DomainError`` `.invalid` on `candidates[i].subjectId` for an id given twice and
    ///   on `candidates[i].villageCode` for a code that is not 12 digits.
    public static func rank(_ candidates: [Candidate], asOf: CalendarDate) throws(DomainError) -> Ranking {
        var seen = Set<UUID>()
        var byVillage: [String: [(UUID, ProblemScore)]] = [:]
        for (i, c) in candidates.enumerated() {
            guard seen.insert(c.subjectId).inserted else {
                throw .invalid("candidates[\(i)].subjectId", "subject \(c.subjectId) is given twice")
            }
            guard c.villageCode.count == AreaLevel.village.codeLength, c.villageCode.allSatisfy(\.isASCIIDigitCharacter) else {
                throw .invalid("candidates[\(i)].villageCode", "a village code has 12 digits, got \(c.villageCode)")
            }
            guard c.kind == .enterprise, !c.closedDown else { continue }
            byVillage[c.villageCode, default: []].append((c.subjectId, score(c.hazards, asOf: asOf)))
        }
        let villages = byVillage.keys.sorted().map { code in rankVillage(code, byVillage[code]!) }
        return Ranking(asOf: asOf, villages: villages)
    }

    private static func rankVillage(_ code: String, _ scored: [(id: UUID, score: ProblemScore)]) -> VillageRanking {
        let n = scored.count
        guard n >= minimumEnterprises else {
            return VillageRanking(villageCode: code, status: .tooFewEnterprises, enterpriseCount: n, quota: 0, entries: [],
                                  reason: "\(n) enterprise\(n == 1 ? "" : "s"); a village needs at least \(minimumEnterprises) to be ranked")
        }
        let ordered = scored.sorted { a, b in
            if a.score.isWorse(than: b.score) { return true }
            if b.score.isWorse(than: a.score) { return false }
            return a.id.uuidString < b.id.uuidString
        }
        let q = quota(enterprises: n)
        var entries: [Entry] = []
        entries.reserveCapacity(n)
        var rank = 1
        for (i, s) in ordered.enumerated() {
            if i > 0, !s.score.ties(with: ordered[i - 1].score) { rank = i + 1 }
            entries.append(Entry(subjectId: s.id, score: s.score, rank: rank, isKey: s.score.points > 0 && rank <= q))
        }
        let listed = entries.filter(\.isKey).count
        let reason: String?
        if listed > q {
            reason = "\(listed) listed for a quota of \(q): enterprises tied at the boundary are all listed"
        } else if listed < q {
            let withProblems = entries.filter { $0.score.points > 0 }.count
            reason = "\(listed) listed for a quota of \(q): only \(withProblems) enterprise\(withProblems == 1 ? " has" : "s have") open hazards"
        } else {
            reason = nil
        }
        return VillageRanking(villageCode: code, status: .ranked, enterpriseCount: n, quota: q, entries: entries, reason: reason)
    }

    /// An enterprise that entered or left the key list between two rankings.
    public struct Movement: Codable, Hashable, Sendable {
        public enum Why: String, Codable, Sendable, Hashable {
            /// Entered: now ranked within its village's quota.
            case rankedIn
            /// Left: still ranked, but outside the quota (or its score fell to 0).
            case rankedOut
            /// Left: its village is now below the minimum and not ranked.
            case villageNotRanked
            /// Left: no longer ranked at all (closed down, no longer an enterprise, removed).
            case notRanked
        }

        public let subjectId: UUID
        /// The village it is ranked in now (entered, ranked out) or was ranked in (other reasons).
        public let villageCode: String
        public let why: Why
        /// Its score in the current ranking, when it is in it.
        public let score: ProblemScore?
        /// Its rank in the current ranking, when it is in it.
        public let rank: Int?
    }

    /// Who entered and left the key list from `previous` to `current` (for the list's history).
    public struct Change: Codable, Hashable, Sendable {
        public let previousAsOf: CalendarDate
        public let currentAsOf: CalendarDate
        /// Key now, not key before; by village code, then rank, then id.
        public let entered: [Movement]
        /// Key before, not key now; by village code, then id.
        public let left: [Movement]
        /// Key in both (an enterprise that moved village stays listed).
        public let stayed: Int
    }

    /// Compares two rankings by subject id.
    public static func diff(from previous: Ranking, to current: Ranking) -> Change {
        var now: [UUID: (String, Entry)] = [:]
        for v in current.villages { for e in v.entries { now[e.subjectId] = (v.villageCode, e) } }
        var before: [UUID: String] = [:]
        for v in previous.villages { for e in v.entries where e.isKey { before[e.subjectId] = v.villageCode } }
        let unranked = Set(current.villages.filter { $0.status == .tooFewEnterprises }.map(\.villageCode))

        var entered: [Movement] = []
        var left: [Movement] = []
        var stayed = 0
        for v in current.villages {
            for e in v.entries where e.isKey {
                if before[e.subjectId] != nil {
                    stayed += 1
                } else {
                    entered.append(Movement(subjectId: e.subjectId, villageCode: v.villageCode, why: .rankedIn,
                                            score: e.score, rank: e.rank))
                }
            }
        }
        for (id, village) in before {
            if let (code, e) = now[id] {
                if !e.isKey {
                    left.append(Movement(subjectId: id, villageCode: code, why: .rankedOut, score: e.score, rank: e.rank))
                }
            } else {
                left.append(Movement(subjectId: id, villageCode: village,
                                     why: unranked.contains(village) ? .villageNotRanked : .notRanked, score: nil, rank: nil))
            }
        }
        left.sort { ($0.villageCode, $0.subjectId.uuidString) < ($1.villageCode, $1.subjectId.uuidString) }
        return Change(previousAsOf: previous.asOf, currentAsOf: current.asOf, entered: entered, left: left, stayed: stayed)
    }
}

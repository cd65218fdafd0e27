import Foundation

/// A member of the joint enforcement team (综合执法组) on one visit.
public struct TeamMember: Codable, Hashable, Sendable {
    public let name: String
    public let department: Department
    public init(name: String, department: Department) { self.name = name; self.department = department }
}

/// The result of one checklist item on one visit.
public enum ItemOutcome: String, Codable, CaseIterable, Sendable, Hashable {
    case pass, hazard, notApplicable
}

/// What the inspector records for one checklist item.
public struct ItemResult: Codable, Hashable, Sendable {
    public let itemCode: String
    public let outcome: ItemOutcome
    public let note: String?
    /// Photo references (upload ids or URLs) taken for this item.
    public let photos: [String]
    /// Overrides the item's default severity (hazard only).
    public let severity: Severity?
    /// The inspector's deadline (Asia/Shanghai calendar date), instead of the item's default days.
    public let dueOn: CalendarDate?
    /// Overrides the mode implied by the deadline.
    public let mode: RectificationMode?
    /// 即查即改: fixed while the team was there; the hazard is recorded and verified at once.
    public let rectifiedOnSite: Bool

    public init(itemCode: String, outcome: ItemOutcome, note: String? = nil, photos: [String] = [],
                severity: Severity? = nil, dueOn: CalendarDate? = nil, mode: RectificationMode? = nil,
                rectifiedOnSite: Bool = false) {
        self.itemCode = itemCode
        self.outcome = outcome
        self.note = note
        self.photos = photos
        self.severity = severity
        self.dueOn = dueOn
        self.mode = mode
        self.rectifiedOnSite = rectifiedOnSite
    }
}

/// A hazard an inspection creates, with its initial events (found, and verified when fixed on
/// the spot) and its resulting status.
public struct PlannedHazard: Hashable, Sendable {
    public let id: UUID
    public let inspectionID: UUID
    public let itemCode: String
    public let department: Department
    public let category: HazardCategory
    public let mode: RectificationMode
    public let foundAt: Date
    public let note: String?
    public let photos: [String]
    public let status: HazardStatus
    public let events: [HazardEvent]
}

/// One joint inspection visit (综合查一次), checked against the checklist and turned into hazards.
public struct InspectionPlan: Sendable {
    public let id: UUID
    public let inspectedAt: Date
    public let team: [TeamMember]
    public let inspector: String
    public let checklistVersion: Int
    public let results: [ItemResult]
    public let hazards: [PlannedHazard]
    /// Hazard results for an item that already had an open hazard on the subject: linked to
    /// that hazard (item code → hazard id) instead of creating a second one.
    public let linkedHazards: [String: UUID]
}

public enum InspectionRules {
    /// How far in the future a client clock may be before an inspection time is refused.
    public static let clockSkewAllowance: TimeInterval = 10 * 60
    /// How far back a visit may be dated (a phone offline for weeks still syncs; older records
    /// come in through a ledger import, not as a visit).
    public static let oldestVisit: TimeInterval = 366 * 24 * 3600
    /// Refuses a client time later than the server clock allows (phones' clocks drift a little).
    /// - Throws: ``DomainError`` `.invalid` naming `field`.
    public static func checkNotInFuture(_ at: Date, _ field: String, now: Date) throws(DomainError) {
        guard at <= now.addingTimeInterval(clockSkewAllowance) else {
            throw .invalid(field, "the time \(Timestamp.format(at)) is in the future")
        }
    }

    /// The longest rectification period a deadline may set (730 days).
    public static let longestRectification: TimeInterval = 730 * 24 * 3600

    /// Validates a visit and plans its hazards. Pure: the caller writes the plan, its events and
    /// the subject's new colour in one transaction.
    ///
    /// - Parameters:
    ///   - subjectKind / subjectClosedDown: the visited subject.
    ///   - inspectedAt: when the visit happened (UTC instant); deadlines count from its Asia/Shanghai day.
    ///   - now: the server clock, to refuse visits in the future.
    ///   - openHazardsByItem: the subject's open hazards by checklist item; a hazard result for
    ///     one of these items links to it instead of creating a duplicate.
    ///   - makeID: identity of the inspection (first call) and of each new hazard (random in the
    ///     server, seeded in the demo).
    ///   - account: the signed-in person recording the visit (`nil`: the demo, an import). A
    ///     hazard fixed on the spot (`rectifiedOnSite`) is signed off as rectified by them, so
    ///     it must be one they may act on (``Account/mayAct(onHazardOf:)``: a department
    ///     inspector only their own department's items), whether the hazard is new or the open
    ///     one the result links to.
    /// - Throws: ``DomainError``: `.forbidden` on `results[i].rectifiedOnSite` for an item of
    ///   another department; `.conflict` on `subjectId` for a closed-down subject; `.invalid`
    ///   on `team` (empty, blank name), `inspectedAt` (in the future), `results` (empty),
    ///   `results[i].itemCode` (unknown, not for this kind, twice), `results[i].dueOn` (before
    ///   the visit's date), `results[i].severity` (set on a pass).
    public static func plan(subjectKind: SubjectKind, subjectClosedDown: Bool, checklist: Checklist,
                            inspectedAt: Date, team: [TeamMember], inspector: String, results: [ItemResult],
                            now: Date, openHazardsByItem: [String: UUID] = [:], by account: Account? = nil,
                            makeID: () -> UUID) throws(DomainError) -> InspectionPlan {
        if subjectClosedDown {
            throw DomainError(.conflict, field: "subjectId", reason: "the subject is closed down (已关停); it cannot be inspected")
        }
        guard !team.isEmpty else { throw .invalid("team", "an inspection needs at least one team member") }
        guard team.count <= TextRules.teamMembers else {
            throw .invalid("team", "a team has at most \(TextRules.teamMembers) members")
        }
        for (i, m) in team.enumerated() {
            if m.name.trimming(.whitespaces).isEmpty { throw .invalid("team[\(i)].name", "a team member needs a name") }
            try TextRules.check(m.name, "team[\(i)].name", max: TextRules.personName)
        }
        let inspector = inspector.trimming(.whitespacesAndNewlines)
        guard !inspector.isEmpty else { throw .invalid("inspector", "the inspector's name is required") }
        try TextRules.check(inspector, "inspector", max: TextRules.personName)
        try checkNotInFuture(inspectedAt, "inspectedAt", now: now)
        guard inspectedAt >= now.addingTimeInterval(-oldestVisit) else {
            throw .invalid("inspectedAt", "the inspection time \(Timestamp.format(inspectedAt)) is more than a year ago; import old records as a ledger")
        }
        guard !results.isEmpty else { throw .invalid("results", "an inspection needs at least one item result") }

        let inspectionID = makeID()
        let visitDay = CalendarDate(shanghai: inspectedAt)
        var seen = [Bool](repeating: false, count: checklist.items.count)
        var hazards: [PlannedHazard] = []
        var linked: [String: UUID] = [:]
        var next = 0
        for (i, r) in results.enumerated() {
            let field = "results[\(i)]"
            guard let index = checklist.index(of: r.itemCode, from: next) else {
                throw .invalid("\(field).itemCode", "unknown checklist item \(r.itemCode) in version \(checklist.version)")
            }
            next = index + 1
            let item = checklist.items[index]
            guard item.applies(to: subjectKind) else {
                throw .invalid("\(field).itemCode", "item \(r.itemCode) does not apply to a \(subjectKind.rawValue)")
            }
            guard !seen[index] else {
                throw .invalid("\(field).itemCode", "item \(r.itemCode) has two results")
            }
            seen[index] = true
            try TextRules.check(r.note, "\(field).note", max: TextRules.note, multiline: true)
            guard r.photos.count <= TextRules.photosPerItem else {
                throw .invalid("\(field).photos", "at most \(TextRules.photosPerItem) photos per item")
            }
            for (k, photo) in r.photos.enumerated() {
                try TextRules.check(photo, "\(field).photos[\(k)]", max: TextRules.photoReference)
            }
            guard r.outcome == .hazard else {
                let stray = r.severity != nil ? "severity" : r.dueOn != nil ? "dueOn" : r.rectifiedOnSite ? "rectifiedOnSite" : nil
                if let stray {
                    throw .invalid("\(field).\(stray)", "severity, dueOn and rectifiedOnSite belong to a hazard, not a \(r.outcome.rawValue)")
                }
                continue
            }
            // Fixed on the spot signs the hazard off (the new one, or the open one it links to).
            if r.rectifiedOnSite, let account, !account.mayAct(onHazardOf: item.department) {
                throw DomainError(.forbidden, field: "\(field).rectifiedOnSite",
                                  reason: "item \(item.code) belongs to \(item.department.zh) (\(item.department.rawValue)); a department inspector of \(account.department?.zh ?? "-") may not sign it off as fixed on the spot")
            }
            if let existing = openHazardsByItem[item.code] {
                linked[item.code] = existing
                continue
            }
            let dueAt: Date
            if let dueOn = r.dueOn {
                guard dueOn >= visitDay else {
                    throw .invalid("\(field).dueOn", "the deadline \(dueOn) is before the inspection date \(visitDay)")
                }
                guard dueOn.endUTC <= inspectedAt.addingTimeInterval(longestRectification) else {
                    throw .invalid("\(field).dueOn", "the deadline \(dueOn) is more than two years after the inspection")
                }
                if r.rectifiedOnSite, dueOn != visitDay {
                    throw .invalid("\(field).dueOn", "a hazard fixed on the spot has no later deadline")
                }
                if r.mode == .onSpot, dueOn != visitDay {
                    throw .invalid("\(field).mode", "onSpot (即查即改) means due on the inspection day, not \(dueOn)")
                }
                dueAt = dueOn.endUTC
            } else {
                dueAt = Deadline.due(foundAt: inspectedAt, days: r.rectifiedOnSite ? 0 : item.defaultDays)
            }
            let mode = r.mode ?? ((r.rectifiedOnSite || CalendarDate(shanghai: dueAt) == visitDay) ? .onSpot : .byDeadline)
            var status = HazardStatus(state: .open, severity: r.severity ?? item.defaultSeverity, dueAt: dueAt,
                                      lastEventAt: inspectedAt)
            var events = [HazardEvent(kind: .found, fromState: nil, toState: .open, actor: inspector,
                                      reason: r.note, occurredAt: inspectedAt, dueAt: dueAt)]
            if r.rectifiedOnSite {
                let (next, event) = try HazardLifecycle.apply(.verifyRectified, to: status, at: inspectedAt,
                                                              actor: inspector, reason: "即查即改 fixed on the spot")
                status = next
                events.append(event)
            }
            hazards.append(PlannedHazard(id: makeID(), inspectionID: inspectionID, itemCode: item.code, department: item.department,
                                         category: item.category, mode: mode, foundAt: inspectedAt, note: r.note,
                                         photos: r.photos, status: status, events: events))
        }
        return InspectionPlan(id: inspectionID, inspectedAt: inspectedAt, team: team, inspector: inspector,
                              checklistVersion: checklist.version, results: results, hazards: hazards, linkedHazards: linked)
    }
}

/// 整改率: rectified hazards ÷ hazards found, as a percentage with two decimals, rounded half up
/// (article: 5,521 ÷ 16,241 = 33.99%; 5,075 ÷ 16,180 = 31.37%).
public struct RectificationRate: Codable, Hashable, Sendable, CustomStringConvertible {
    public let found: Int
    public let rectified: Int

    public init(found: Int, rectified: Int) {
        self.found = found
        self.rectified = rectified
    }

    /// Hundredths of a percent (3399 for 33.99%), computed in integers; 0 when nothing was found.
    public var basisPoints: Int {
        guard found > 0 else { return 0 }
        return (rectified * 20_000 + found) / (2 * found)
    }

    /// The percentage, e.g. `33.99`.
    public var percent: Double { Double(basisPoints) / 100 }

    /// `"33.99%"`.
    public var description: String {
        let bp = basisPoints
        let frac = bp % 100
        return "\(bp / 100).\(frac < 10 ? "0" : "")\(frac)%"
    }
}

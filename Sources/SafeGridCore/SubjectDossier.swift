import Foundation

/// A colour a subject took, when and why (kept as history).
public struct ColourChange: Hashable, Sendable {
    public let from: SubjectColour?
    public let to: SubjectColour
    public let at: Date
    /// What moved it: `"inspection"`, a ``HazardEventKind`` raw value, or `"closeDown"`.
    public let cause: String
}

/// What a dossier operation changed, for the caller to write in one transaction.
public struct DossierChanges: Sendable {
    /// Inspections recorded, with the hazards they created and those hazards' initial events.
    public var inspections: [InspectionPlan] = []
    /// Events on existing hazards, in order.
    public var events: [(hazardID: UUID, event: HazardEvent)] = []
    /// Existing hazards whose status changed (final status of each).
    public var updatedHazards: [UUID: HazardStatus] = [:]
    public var colourChanges: [ColourChange] = []
    /// Set when the subject was closed down.
    public var closedDownAt: Date?

    public init() {}
    public var isEmpty: Bool {
        inspections.isEmpty && events.isEmpty && updatedHazards.isEmpty && colourChanges.isEmpty && closedDownAt == nil
    }
}

/// One subject and its hazards: the unit of consistency of the closed loop. Every inspection,
/// hazard action and closure goes through a dossier, which applies the domain rules
/// (``InspectionRules``, ``HazardLifecycle``, ``ColourRule``) and collects the rows to write.
/// The server loads a dossier per request; the demo drives thousands of them with the same code.
public struct SubjectDossier: Sendable {
    public let subjectID: UUID
    public let kind: SubjectKind
    public private(set) var closedDownAt: Date?
    public private(set) var hazards: [UUID: HazardStatus]
    /// The checklist item of each hazard (to link a repeated finding to the open hazard).
    public private(set) var itemCodes: [UUID: String]
    /// When each hazard was found (UTC): no action on it may be dated earlier.
    public private(set) var foundAt: [UUID: Date]
    /// `nil` until the subject has been inspected.
    public private(set) var colour: SubjectColour?
    public private(set) var changes = DossierChanges()

    public init(subjectID: UUID, kind: SubjectKind, closedDownAt: Date? = nil, hazards: [UUID: HazardStatus] = [:],
                itemCodes: [UUID: String] = [:], foundAt: [UUID: Date] = [:], colour: SubjectColour? = nil) {
        self.subjectID = subjectID
        self.kind = kind
        self.closedDownAt = closedDownAt
        self.hazards = hazards
        self.itemCodes = itemCodes
        self.foundAt = foundAt
        self.colour = colour
    }

    public var isClosedDown: Bool { closedDownAt != nil }

    /// The open hazard of each checklist item.
    public var openHazardsByItem: [String: UUID] {
        var out: [String: UUID] = [:]
        for (id, status) in hazards where status.state.isOpen {
            if let code = itemCodes[id] { out[code] = id }
        }
        return out
    }

    /// Records a joint inspection. A hazard result for an item whose hazard is still open links
    /// to that hazard (no duplicate); if it was fixed on the spot, the open hazard is verified.
    /// `account` is the signed-in person recording it (`nil` for the demo and imports): a
    /// department inspector may fix on the spot only their own department's items.
    /// See ``InspectionRules/plan(subjectKind:subjectClosedDown:checklist:inspectedAt:team:inspector:results:now:openHazardsByItem:by:makeID:)``.
    @discardableResult
    public mutating func inspect(checklist: Checklist, inspectedAt: Date, team: [TeamMember], inspector: String,
                                 results: [ItemResult], now: Date, by account: Account? = nil,
                                 makeID: () -> UUID) throws(DomainError) -> InspectionPlan {
        let plan = try InspectionRules.plan(subjectKind: kind, subjectClosedDown: isClosedDown, checklist: checklist,
                                            inspectedAt: inspectedAt, team: team, inspector: inspector,
                                            results: results, now: now, openHazardsByItem: openHazardsByItem,
                                            by: account, makeID: makeID)
        for h in plan.hazards {
            hazards[h.id] = h.status
            itemCodes[h.id] = h.itemCode
            foundAt[h.id] = h.foundAt
        }
        changes.inspections.append(plan)
        recolour(at: inspectedAt, cause: "inspection", force: true)
        for r in results where r.rectifiedOnSite {
            if let id = plan.linkedHazards[r.itemCode] {
                try apply(.verifyRectified, hazard: id, at: inspectedAt, actor: plan.inspector, reason: "即查即改 fixed on the spot")
            }
        }
        return plan
    }

    /// Applies one action to one of the subject's hazards.
    /// - Throws: ``DomainError`` `.notFound` on `hazardId` if the hazard is not the subject's;
    ///   whatever ``HazardLifecycle/apply(_:to:at:actor:reason:newDueAt:expectedVersion:)`` throws;
    ///   `.conflict` when acting on a closed-down subject's hazard (other than by closing it);
    ///   `.invalid` on `occurredAt` for an action dated before the hazard was found.
    @discardableResult
    public mutating func apply(_ action: HazardAction, hazard id: UUID, at: Date, actor: String, reason: String?,
                               newDueAt: Date? = nil, expectedVersion: Int? = nil) throws(DomainError) -> HazardEvent {
        guard let status = hazards[id] else {
            throw DomainError(.notFound, field: "hazardId", reason: "no hazard \(id) on subject \(subjectID)")
        }
        if isClosedDown, action != .closeDown {
            throw DomainError(.conflict, field: "action", reason: "the subject is closed down (已关停)",
                              extra: ["currentState": status.state.rawValue])
        }
        try checkNotBeforeFound(id, at)
        let (next, event) = try HazardLifecycle.apply(action, to: status, at: at, actor: actor, reason: reason,
                                                      newDueAt: newDueAt, expectedVersion: expectedVersion)
        hazards[id] = next
        changes.events.append((id, event))
        changes.updatedHazards[id] = next
        recolour(at: at, cause: event.kind.rawValue)
        return event
    }

    /// Marks the subject's open hazards whose deadline passed before `at` as overdue.
    /// Does nothing for a closed-down subject.
    /// - Returns: the hazards marked.
    @discardableResult
    public mutating func markOverdue(at: Date) -> [UUID] {
        guard !isClosedDown else { return [] }
        var marked: [UUID] = []
        for id in hazards.keys.sorted(by: { $0.uuidString < $1.uuidString }) {
            guard let (next, event) = HazardLifecycle.markOverdue(hazards[id]!, at: at) else { continue }
            hazards[id] = next
            changes.events.append((id, event))
            changes.updatedHazards[id] = next
            marked.append(id)
        }
        if !marked.isEmpty { recolour(at: at, cause: HazardEventKind.markedOverdue.rawValue) }
        return marked
    }

    /// Sets a hazard's status from a replay of its events in client order (offline sync) and
    /// records the events that were new.
    /// - Throws: ``DomainError`` `.notFound` if the hazard is not the subject's, `.conflict` if
    ///   the subject is closed down.
    public mutating func replace(hazard id: UUID, with status: HazardStatus, newEvents: [HazardEvent], at: Date) throws(DomainError) {
        guard hazards[id] != nil else {
            throw DomainError(.notFound, field: "hazardId", reason: "no hazard \(id) on subject \(subjectID)")
        }
        if isClosedDown { throw DomainError(.conflict, field: "hazardId", reason: "the subject is closed down (已关停)") }
        for e in newEvents { try checkNotBeforeFound(id, e.occurredAt) }
        hazards[id] = status
        for e in newEvents { changes.events.append((id, e)) }
        changes.updatedHazards[id] = status
        recolour(at: at, cause: "sync")
    }

    /// 关停: closes the subject down and closes its open hazards with the reason.
    /// - Returns: the hazards closed.
    /// - Throws: ``DomainError`` `.conflict` if already closed down, `.invalid` for a blank reason.
    @discardableResult
    public mutating func closeDown(at: Date, actor: String, reason: String) throws(DomainError) -> [UUID] {
        if isClosedDown { throw DomainError(.conflict, field: "subjectId", reason: "the subject is already closed down") }
        guard !actor.trimming(.whitespacesAndNewlines).isEmpty else {
            throw .invalid("actor", "who closed the subject down is required")
        }
        guard !reason.trimming(.whitespacesAndNewlines).isEmpty else {
            throw .invalid("reason", "closing a subject down needs a reason")
        }
        if let latest = hazards.values.compactMap(\.lastEventAt).max(), at < latest {
            throw .invalid("occurredAt", "the closure is dated before the subject's latest hazard event at \(Timestamp.format(latest))")
        }
        let open = hazards.filter { $0.value.state.isOpen }.keys.sorted { $0.uuidString < $1.uuidString }
        for id in open {
            let (next, event) = try HazardLifecycle.apply(.closeDown, to: hazards[id]!, at: at, actor: actor, reason: reason)
            hazards[id] = next
            changes.events.append((id, event))
            changes.updatedHazards[id] = next
        }
        closedDownAt = at
        changes.closedDownAt = at
        recolour(at: at, cause: "closeDown")
        return open
    }

    /// Every path (the API, re-inspection, offline sync, imports, jobs) applies this rule here,
    /// not at its own edge.
    private func checkNotBeforeFound(_ id: UUID, _ at: Date) throws(DomainError) {
        if let found = foundAt[id], at < found {
            throw .invalid("occurredAt", "the action is dated before the hazard was found")
        }
    }

    /// Hands over the collected changes and starts a new batch.
    public mutating func takeChanges() -> DossierChanges {
        defer { changes = DossierChanges() }
        return changes
    }

    private mutating func recolour(at: Date, cause: String, force: Bool = false) {
        // A subject that was never inspected keeps no colour until closed down or inspected.
        guard force || colour != nil || isClosedDown else { return }
        let next = ColourRule.colour(closedDown: isClosedDown, hazards: Array(hazards.values))
        guard next != colour else { return }
        changes.colourChanges.append(ColourChange(from: colour, to: next, at: at, cause: cause))
        colour = next
    }
}

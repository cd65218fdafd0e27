import Foundation

/// Where a device alarm stands.
///
/// ```
///            acknowledge             arriveOnSite              confirm
///   raised ─────────────▶ acknowledged ─────────────▶ onSite ─────────▶ confirmed
///     │                        │                        │
///     └──── arriveOnSite ──────┼───────────────────────▶│ declareFalseAlarm
///           (stamps acknowledged too)                   ▼
///                              └── declareFalseAlarm ─▶ falseAlarm
/// ```
///
/// Only someone on site confirms: a confirmed alarm becomes a hazard on the subject, and a
/// hazard, like one found by an inspection, rests on someone having seen it. A false alarm may
/// be declared from `acknowledged` too, for the reasons that can be known without a visit (the
/// maintenance company's test, the party on the phone who burnt the toast, a device reporting
/// its own fault; see ``FalseAlarmReason/needsSiteVisit``); "no sign of fire" can only be seen
/// on site. `raised` cannot be closed at all: someone must take the alarm first, which is what
/// the response time measures.
public enum DeviceAlarmState: String, Codable, CaseIterable, Sendable, Hashable {
    /// 报警: the device raised it; the grid worker has been alerted.
    case raised
    /// 已接警: a worker took it.
    case acknowledged
    /// 已到场: a worker is at the device.
    case onSite
    /// 确认: real; it became a hazard on the subject. Terminal.
    case confirmed
    /// 误报: not real, with a reason. Terminal.
    case falseAlarm

    /// Still waiting for someone: counts among the open alarms on the dashboard.
    public var isOpen: Bool { self == .raised || self == .acknowledged || self == .onSite }

    public var zh: String {
        switch self {
        case .raised: "待接警"
        case .acknowledged: "已接警"
        case .onSite: "已到场"
        case .confirmed: "确认隐患"
        case .falseAlarm: "误报"
        }
    }

    public var en: String {
        switch self {
        case .raised: "Raised"
        case .acknowledged: "Acknowledged"
        case .onSite: "On site"
        case .confirmed: "Confirmed"
        case .falseAlarm: "False alarm"
        }
    }
}

/// What a worker does to an alarm.
public enum DeviceAlarmAction: String, Codable, CaseIterable, Sendable, Hashable {
    /// 接警: take the alarm.
    case acknowledge
    /// 到场: arrive at the device.
    case arriveOnSite
    /// 确认: the alarm is real; a hazard is recorded.
    case confirm
    /// 误报: the alarm is not real.
    case declareFalseAlarm
}

/// Why an alarm was false (误报原因).
public enum FalseAlarmReason: String, Codable, CaseIterable, Sendable, Hashable {
    /// 测试或维保: the device was tested or serviced.
    case testOrMaintenance
    /// 烹饪或水汽: cooking smoke, steam, a shower, dust from work.
    case cookingOrSteam
    /// 设备故障: the device misfired; it needs servicing.
    case deviceFault
    /// 现场无火情: the worker found no sign of fire, smoke or blockage.
    case noSignOfFire
    /// 其他: anything else; needs a note.
    case other

    /// Whether the reason needs a note saying what happened (only `other`).
    public var requiresNote: Bool { self == .other }

    /// Whether only someone on site can give this reason: "no sign of fire" is a thing seen.
    /// The others can be known remotely (a maintenance schedule, the party on the phone, the
    /// device's own fault report), so they may close an alarm that is only acknowledged.
    public var needsSiteVisit: Bool { self == .noSignOfFire }

    public var zh: String {
        switch self {
        case .testOrMaintenance: "测试或维保"
        case .cookingOrSteam: "烹饪、水汽等干扰"
        case .deviceFault: "设备故障"
        case .noSignOfFire: "现场无异常"
        case .other: "其他"
        }
    }

    public var en: String {
        switch self {
        case .testOrMaintenance: "Test or maintenance"
        case .cookingOrSteam: "Cooking, steam or similar"
        case .deviceFault: "Device fault"
        case .noSignOfFire: "Nothing found on site"
        case .other: "Other"
        }
    }
}

/// One alarm raised by a device, from the alarm to its close.
///
/// Immutable from outside: the transitions return a new value (or throw), so a stored alarm can
/// only move along ``DeviceAlarmState``'s arrows. Times are UTC instants and never go backwards:
/// each step is dated no earlier than the step before it (and so never before the alarm).
public struct DeviceAlarm: Codable, Hashable, Sendable {
    /// The alarm's kind; always one with ``DeviceEventKind/isAlarm``.
    public let kind: DeviceEventKind
    /// When the device raised it (the event's own time, not when SafeGrid received it).
    public let raisedAt: Date
    public private(set) var state: DeviceAlarmState
    public private(set) var acknowledgedAt: Date?
    public private(set) var acknowledgedBy: String?
    public private(set) var onSiteAt: Date?
    public private(set) var onSiteBy: String?
    /// When it was confirmed or declared false.
    public private(set) var closedAt: Date?
    public private(set) var closedBy: String?
    /// Set for a false alarm.
    public private(set) var falseAlarmReason: FalseAlarmReason?
    /// The closing worker's note (required for ``FalseAlarmReason/other``).
    public private(set) var note: String?
    /// Set for a confirmed alarm: the checklist item of the hazard it became.
    public private(set) var itemCode: String?

    /// A new alarm in state `raised`.
    /// - Throws: ``DomainError`` `.invalid` (field `kind`) when `kind` is not an alarm.
    public init(kind: DeviceEventKind, raisedAt: Date) throws(DomainError) {
        guard kind.isAlarm else { throw .invalid("kind", "a \(kind.rawValue) is not an alarm") }
        self.kind = kind
        self.raisedAt = raisedAt
        state = .raised
    }

    /// An alarm as stored, for a repository reading it back. Not checked: store only values the
    /// transitions produced.
    public init(restoring kind: DeviceEventKind, raisedAt: Date, state: DeviceAlarmState,
                acknowledgedAt: Date?, acknowledgedBy: String?, onSiteAt: Date?, onSiteBy: String?,
                closedAt: Date?, closedBy: String?, falseAlarmReason: FalseAlarmReason?, note: String?,
                itemCode: String?) {
        self.kind = kind
        self.raisedAt = raisedAt
        self.state = state
        self.acknowledgedAt = acknowledgedAt
        self.acknowledgedBy = acknowledgedBy
        self.onSiteAt = onSiteAt
        self.onSiteBy = onSiteBy
        self.closedAt = closedAt
        self.closedBy = closedBy
        self.falseAlarmReason = falseAlarmReason
        self.note = note
        self.itemCode = itemCode
    }

    /// The state `action` leads to from `state`, or `nil` where the machine forbids it.
    public static func target(of action: DeviceAlarmAction, from state: DeviceAlarmState) -> DeviceAlarmState? {
        switch (action, state) {
        case (.acknowledge, .raised): .acknowledged
        case (.arriveOnSite, .raised), (.arriveOnSite, .acknowledged): .onSite
        case (.confirm, .onSite): .confirmed
        case (.declareFalseAlarm, .acknowledged), (.declareFalseAlarm, .onSite): .falseAlarm
        default: nil
        }
    }

    /// The latest step's time: no new step may be dated before it.
    public var lastStepAt: Date { closedAt ?? onSiteAt ?? acknowledgedAt ?? raisedAt }

    /// 接警 → acknowledged.
    /// - Throws: ``DomainError`` as ``arrivingOnSite(at:by:)``.
    public func acknowledging(at: Date, by actor: String) throws(DomainError) -> DeviceAlarm {
        let actor = try step(.acknowledge, at: at, actor: actor)
        var next = self
        next.state = .acknowledged
        next.acknowledgedAt = at
        next.acknowledgedBy = actor
        return next
    }

    /// 到场 → onSite. From `raised` it also stamps the acknowledgement with the same time and
    /// worker: whoever turns up has taken the alarm, and the acknowledge time is then the
    /// on-site time.
    /// - Throws: ``DomainError`` `.conflict` (field `action`, extra `currentState`) for a
    ///   transition the machine forbids; `.invalid` (field `occurredAt`) for a time before the
    ///   alarm's last step; `.invalid` (field `actor`) for a missing or overlong name.
    public func arrivingOnSite(at: Date, by actor: String) throws(DomainError) -> DeviceAlarm {
        let actor = try step(.arriveOnSite, at: at, actor: actor)
        var next = self
        if state == .raised {
            next.acknowledgedAt = at
            next.acknowledgedBy = actor
        }
        next.state = .onSite
        next.onSiteAt = at
        next.onSiteBy = actor
        return next
    }

    /// 确认 → confirmed: the alarm is real and becomes a hazard on the subject.
    ///
    /// - Parameter itemCode: the checklist item of what was found; when `nil`, the kind's
    ///   default (``DeviceAlarmRules/hazardItemCode(for:)``). Whether the item exists in the
    ///   checklist in use and applies to the subject's kind is the caller's check.
    /// - Throws: as ``arrivingOnSite(at:by:)``; `.invalid` (field `itemCode`) when no item is
    ///   given and the kind has no default (smoke and fire-point alarms: the worker names the
    ///   cause), or the code is not shaped like `FIRE-01`; `.invalid` (field `note`) for a note
    ///   too long or with control characters.
    public func confirming(at: Date, by actor: String, itemCode: String? = nil, note: String? = nil) throws(DomainError) -> DeviceAlarm {
        let actor = try step(.confirm, at: at, actor: actor)
        let given = itemCode?.trimming(.whitespacesAndNewlines)
        guard let code = (given?.isEmpty == false ? given : nil) ?? DeviceAlarmRules.hazardItemCode(for: kind) else {
            throw .invalid("itemCode", "a confirmed \(kind.rawValue) alarm needs the checklist item of what was found (e.g. ELEC-05 for overheated wiring, PROD-04 for hot work)")
        }
        guard Checklist.isValidCode(code) else {
            throw .invalid("itemCode", "'\(code)' is not a checklist item code; expected one like FIRE-01")
        }
        let note = try Self.checkedNote(note)
        var next = self
        next.state = .confirmed
        next.closedAt = at
        next.closedBy = actor
        next.itemCode = code
        next.note = note
        return next
    }

    /// 误报 → falseAlarm, with a reason.
    /// - Throws: as ``arrivingOnSite(at:by:)``; `.invalid` (field `note`) when the reason is
    ///   `other` and there is no note, or the note is too long; `.conflict` (field `reason`) for
    ///   `noSignOfFire` when nobody has been on site.
    public func declaringFalseAlarm(at: Date, by actor: String, reason: FalseAlarmReason,
                                    note: String? = nil) throws(DomainError) -> DeviceAlarm {
        let actor = try step(.declareFalseAlarm, at: at, actor: actor)
        if reason.needsSiteVisit, state != .onSite {
            throw DomainError(.conflict, field: "reason",
                              reason: "\(reason.rawValue) can only be stated on site; record the arrival first or give another reason",
                              extra: ["currentState": state.rawValue])
        }
        let note = try Self.checkedNote(note)
        if reason.requiresNote, note == nil {
            throw .invalid("note", "a false alarm for reason 'other' needs a note saying what happened")
        }
        var next = self
        next.state = .falseAlarm
        next.closedAt = at
        next.closedBy = actor
        next.falseAlarmReason = reason
        next.note = note
        return next
    }

    /// Seconds from the alarm to its acknowledgement (接警时长), or `nil` while unacknowledged.
    public var acknowledgeSeconds: TimeInterval? { acknowledgedAt.map { $0.timeIntervalSince(raisedAt) } }

    /// Seconds from the alarm to a worker's arrival (到场时长), or `nil` while nobody has arrived.
    public var onSiteSeconds: TimeInterval? { onSiteAt.map { $0.timeIntervalSince(raisedAt) } }

    // MARK: - Internals

    /// The checks every step shares; returns the trimmed actor.
    private func step(_ action: DeviceAlarmAction, at: Date, actor: String) throws(DomainError) -> String {
        guard Self.target(of: action, from: state) != nil else {
            throw DomainError(.conflict, field: "action",
                              reason: "cannot \(action.rawValue) an alarm that is \(state.rawValue)",
                              extra: ["currentState": state.rawValue])
        }
        let last = lastStepAt
        guard at >= last else {
            let what = last == raisedAt ? "the alarm was raised" : "the alarm's last step"
            throw .invalid("occurredAt", "the \(action.rawValue) is dated \(Timestamp.format(at)), before \(what) at \(Timestamp.format(last))")
        }
        let actor = actor.trimming(.whitespacesAndNewlines)
        guard !actor.isEmpty else { throw .invalid("actor", "who acted on the alarm is required") }
        try TextRules.check(actor, "actor", max: TextRules.personName)
        return actor
    }

    /// A trimmed note, `nil` when empty.
    private static func checkedNote(_ note: String?) throws(DomainError) -> String? {
        try TextRules.check(note, "note", max: TextRules.note, multiline: true)
        guard let trimmed = note?.trimming(.whitespacesAndNewlines), !trimmed.isEmpty else { return nil }
        return trimmed
    }
}

/// The rules around alarms that are not one alarm's state: which hazard a confirmed alarm
/// becomes, when a device needs servicing, when the town hears of an alarm.
public enum DeviceAlarmRules {
    /// The checklist item (``Checklist``, `checklist-v1.json`) a confirmed alarm of `kind`
    /// becomes by default, or `nil` when no item describes it and the worker must name one.
    ///
    /// | alarm | item | why |
    /// |---|---|---|
    /// | `laneBlocked` | `LANE-01` 消防车道被占用、堵塞 | the life-channel monitor watches exactly that |
    /// | `chargingOverTemperature`, `chargingOverCurrent` | `ELEC-05` 电气线路…过载发热 | over-current and over-temperature are overload and overheating; the `EBIKE-` items describe where and how e-bikes are charged, not a pile that overheats |
    /// | `smoke`, `firePoint` | `nil` | the checklist lists causes, not fires: the hazard is what the worker found (overheated wiring `ELEC-05`, hot work without a permit `PROD-04`, an e-bike charged indoors `EBIKE-01`, …) |
    ///
    /// Both items apply to every subject kind that carries devices (enterprise, small and micro
    /// park, street shop, rental housing).
    public static func hazardItemCode(for kind: DeviceEventKind) -> String? {
        switch kind {
        case .laneBlocked: "LANE-01"
        case .chargingOverTemperature, .chargingOverCurrent: "ELEC-05"
        case .smoke, .firePoint, .fault, .heartbeat, .lowBattery: nil
        }
    }

    /// How far back a step other than taking the alarm may be dated: 30 minutes (a worker
    /// arriving in a cellar without signal).
    public static let backdating: TimeInterval = 30 * 60

    /// The time a step taken on an alarm in `state` is recorded at. Response times are what
    /// workers are judged by, so the server's clock dates them: taking an alarm is always `now`
    /// — ``DeviceAlarmAction/acknowledge``, and an arrival on an alarm nobody took yet, which
    /// takes it too; the other steps `given` (default `now`), at most ``backdating`` back and a
    /// minute ahead.
    /// - Throws: ``DomainError`` `.invalid` on `occurredAt` outside that window.
    public static func stepTime(_ action: DeviceAlarmAction, from state: DeviceAlarmState, given: Date?, now: Date) throws(DomainError) -> Date {
        let takes = action == .acknowledge || (action == .arriveOnSite && state == .raised)
        let at = takes ? now : (given ?? now)
        guard at <= now.addingTimeInterval(60), at >= now.addingTimeInterval(-backdating) else {
            throw .invalid("occurredAt", "a step is dated between \(Int(backdating / 60)) minutes ago and now (\(Timestamp.format(now)))")
        }
        return at
    }

    /// False alarms within ``maintenanceWindow`` that flag a device for maintenance: 3.
    public static let maintenanceFalseAlarms = 3
    /// The window for counting false alarms: 30 days (2,592,000 s).
    public static let maintenanceWindow: TimeInterval = 30 * 86_400

    /// Whether a device is flagged for maintenance (需维保): at least 3 false alarms raised in the
    /// 30 days up to `now` (`now − 30 days ≤ t ≤ now`; later instants are ignored). One false
    /// alarm is smoke from a kitchen; three in a month is a detector in the wrong place or a
    /// failing sensor, and every false alarm sends a worker, so the device is looked at.
    /// - Parameter falseAlarms: when the device's false alarms were raised (UTC), any order.
    public static func needsMaintenance(falseAlarms: [Date], now: Date) -> Bool {
        let from = now.addingTimeInterval(-maintenanceWindow)
        return falseAlarms.lazy.filter { $0 >= from && $0 <= now }.count >= maintenanceFalseAlarms
    }

    /// Whether an alarm also alerts the town (镇), besides the grid and micro-grid workers: a
    /// smoke or fire-point alarm — a possible fire — in a key hazard enterprise
    /// (重点隐患企业, ``KeyHazardRanking``). A blocked lane or a charging pile there stays with the grid.
    public static func alertsTown(_ kind: DeviceEventKind, inKeyHazardEnterprise: Bool) -> Bool {
        inKeyHazardEnterprise && (kind == .smoke || kind == .firePoint)
    }
}

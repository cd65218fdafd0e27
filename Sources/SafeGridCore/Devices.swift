import Foundation

// Smart fire devices (智建 / 智慧消防): what a device is, what it may report, and when it counts
// as offline. Names follow GB/T 26875 (城市消防远程监控系统, remote monitoring of urban fire
// protection) where they fit: a device is a *component* (部件) of a building's fire facilities with
// a component type (部件类型) and address (部件地址); what it reports is a component state
// (部件状态, e.g. 火警 fire alarm, 故障 fault) stamped with a time label (时间标签). The four kinds
// and their planned numbers are the campaign article's.

/// The kind of a smart fire device (部件类型 in GB/T 26875 terms).
///
/// Raw values are the API's and the database's spelling and never change.
public enum DeviceKind: String, Codable, CaseIterable, Sendable, Hashable {
    /// 智慧烟感: an NB-IoT / LoRa stand-alone smoke alarm, 独立式感烟火灾探测报警器 (GB 20517).
    case smokeDetector
    /// 生命通道监控: a camera or sensor that watches a fire lane or escape route for obstruction.
    case lifeChannelMonitor
    /// 充电桩: an e-bike charging pile that reports over-temperature and over-current.
    case chargingPile
    /// 火点监测: a flame / thermal camera that detects open fire.
    case firePointMonitor

    /// The short name the campaign uses (智慧烟感, 生命通道监控, 充电桩, 火点监测).
    public var zh: String {
        switch self {
        case .smokeDetector: "智慧烟感"
        case .lifeChannelMonitor: "生命通道监控"
        case .chargingPile: "充电桩"
        case .firePointMonitor: "火点监测"
        }
    }

    /// The formal product name where one exists (独立式感烟火灾探测报警器 for the smoke detector,
    /// its name in GB 20517); otherwise a fuller form of ``zh``.
    public var zhFormal: String {
        switch self {
        case .smokeDetector: "独立式感烟火灾探测报警器"
        case .lifeChannelMonitor: "生命通道（消防车道）监控"
        case .chargingPile: "电动自行车充电桩"
        case .firePointMonitor: "火点监测"
        }
    }

    public var en: String {
        switch self {
        case .smokeDetector: "Smart smoke detector"
        case .lifeChannelMonitor: "Life-channel (fire-lane) monitor"
        case .chargingPile: "E-bike charging pile"
        case .firePointMonitor: "Fire-point monitor"
        }
    }

    /// The alarm kinds a device of this kind can raise: a smoke detector smoke, a life-channel
    /// monitor a blocked lane, a charging pile over-temperature or over-current, a fire-point
    /// monitor a fire point. Every kind may also send the non-alarm events (fault, heartbeat,
    /// low battery): mains-powered devices carry a backup battery too.
    public var alarmKinds: [DeviceEventKind] {
        switch self {
        case .smokeDetector: [.smoke]
        case .lifeChannelMonitor: [.laneBlocked]
        case .chargingPile: [.chargingOverTemperature, .chargingOverCurrent]
        case .firePointMonitor: [.firePoint]
        }
    }

    /// Whether a device of this kind can send an event of `event`'s kind.
    public func canReport(_ event: DeviceEventKind) -> Bool {
        !event.isAlarm || alarmKinds.contains(event)
    }

    /// Checks that a device of this kind can send `event`.
    /// - Parameter field: the JSON path of the event's kind in the request (e.g. `"events[3].kind"`).
    /// - Throws: ``DomainError`` `.invalid` (answered 422) naming `field`, e.g. "a smokeDetector
    ///   cannot raise a laneBlocked alarm; it raises smoke", with extras `deviceKind` and `eventKind`.
    public func check(_ event: DeviceEventKind, field: String = "kind") throws(DomainError) {
        guard canReport(event) else {
            let allowed = alarmKinds.map(\.rawValue).joined(separator: " or ")
            throw DomainError(.invalid, field: field,
                              reason: "a \(rawValue) cannot raise a \(event.rawValue) alarm; it raises \(allowed)",
                              extra: ["deviceKind": rawValue, "eventKind": event.rawValue])
        }
    }
}

/// What a device reports (a component state, 部件状态, in GB/T 26875 terms).
///
/// Raw values are the wire spelling of an event's `kind`.
public enum DeviceEventKind: String, Codable, CaseIterable, Sendable, Hashable {
    /// 烟雾报警: a smoke detector detects smoke.
    case smoke
    /// 火点报警: a fire-point monitor detects open fire.
    case firePoint
    /// 通道占用: a life-channel monitor sees the fire lane or escape route blocked.
    case laneBlocked
    /// 充电过温: a charging pile measures over-temperature.
    case chargingOverTemperature
    /// 充电过流: a charging pile measures over-current.
    case chargingOverCurrent
    /// 故障: the device reports a fault of itself (sensor, communication, tamper).
    case fault
    /// 心跳: the periodic "I am alive" message.
    case heartbeat
    /// 低电量: the battery (or backup battery) is low.
    case lowBattery

    /// An alarm (报警) becomes work for the grid worker; the others only update the device.
    public var isAlarm: Bool {
        switch self {
        case .smoke, .firePoint, .laneBlocked, .chargingOverTemperature, .chargingOverCurrent: true
        case .fault, .heartbeat, .lowBattery: false
        }
    }

    /// The alarm kinds, in declaration order.
    public static let alarms: [DeviceEventKind] = allCases.filter(\.isAlarm)

    public var zh: String {
        switch self {
        case .smoke: "烟雾报警"
        case .firePoint: "火点报警"
        case .laneBlocked: "生命通道占用"
        case .chargingOverTemperature: "充电过温"
        case .chargingOverCurrent: "充电过流"
        case .fault: "故障"
        case .heartbeat: "心跳"
        case .lowBattery: "低电量"
        }
    }

    public var en: String {
        switch self {
        case .smoke: "Smoke alarm"
        case .firePoint: "Fire-point alarm"
        case .laneBlocked: "Fire lane blocked"
        case .chargingOverTemperature: "Charging over-temperature"
        case .chargingOverCurrent: "Charging over-current"
        case .fault: "Fault"
        case .heartbeat: "Heartbeat"
        case .lowBattery: "Low battery"
        }
    }
}

/// When a device counts as offline (离线), for the job that marks it and the message that brings
/// it back.
///
/// A device is *silent* when nothing has been heard from it — no heartbeat, alarm, fault or any
/// other message — for longer than the offline period. The job marks a silent device offline
/// once (it stores `offlineSince`) and leaves a marked device alone, so a device silent for a
/// week gets one offline mark, not one per job run. Any message clears the mark.
///
/// All times are UTC instants; the period is in seconds.
public enum DeviceConnectivity {
    /// The offline period SafeGrid uses unless the town configures another: 24 hours (86,400 s).
    /// Battery-powered NB-IoT smoke detectors save power by sending a heartbeat only once or a
    /// few times a day; a shorter default would mark healthy ones offline every night.
    public static let defaultOfflinePeriod: TimeInterval = 86_400

    /// The instant before which a device's last message makes it silent at `now`: `now −
    /// offlinePeriod`. The job selects devices with `lastMessageAt < cutoff` (or no message and
    /// registered before it) and `offlineSince IS NULL`, which is ``needsOfflineMark(lastMessageAt:registeredAt:offlineSince:now:offlinePeriod:)``
    /// as a query.
    public static func cutoff(now: Date, offlinePeriod: TimeInterval) -> Date {
        now.addingTimeInterval(-offlinePeriod)
    }

    /// Whether the offline job should mark a device offline at `now`.
    ///
    /// - Parameters:
    ///   - lastMessageAt: when the latest message of any kind was heard from it, or `nil` if none
    ///     ever was; then its registration counts as the last sign of life, so a device installed
    ///     but never connected shows up offline after one period.
    ///   - registeredAt: when the device was registered (or installed) in SafeGrid.
    ///   - offlineSince: its current offline mark, `nil` when online.
    ///   - offlinePeriod: seconds of silence allowed; silence of exactly this long is still online
    ///     (a device heartbeating exactly every period never flaps).
    /// - Returns: `true` only when not already marked and silent for longer than the period.
    public static func needsOfflineMark(lastMessageAt: Date?, registeredAt: Date, offlineSince: Date?,
                                        now: Date, offlinePeriod: TimeInterval) -> Bool {
        guard offlineSince == nil else { return false }
        return (lastMessageAt ?? registeredAt) < cutoff(now: now, offlinePeriod: offlinePeriod)
    }

    /// A device's connectivity after a message: any message (heartbeat, alarm, fault, low
    /// battery) brings it online. Messages can arrive out of order (a platform retries, a
    /// detector buffers while its network is down), so the last message time only moves forward.
    ///
    /// - Returns: the new last message time, `offlineSince` (always `nil`), and whether the
    ///   message brought the device back online (it was marked offline), for the event log.
    public static func receiving(messageAt: Date, lastMessageAt: Date?, offlineSince: Date?)
        -> (lastMessageAt: Date, offlineSince: Date?, cameOnline: Bool) {
        (max(messageAt, lastMessageAt ?? messageAt), nil, offlineSince != nil)
    }
}

/// The campaign article's plan for smart fire devices in 瓜沥镇's enterprises and shops
/// (the article's 智建 section: 6,208 smart smoke detectors, 237 life-channel monitors,
/// 140 e-bike charging piles, 124 fire-point monitors; glossary, "The article's own figures").
/// The plan is for the whole town; the article gives no split by village.
public enum DevicePlan {
    /// 智慧烟感 6,208.
    public static let smokeDetectors = 6_208
    /// 生命通道监控 237.
    public static let lifeChannelMonitors = 237
    /// 充电桩 140.
    public static let chargingPiles = 140
    /// 火点监测 124.
    public static let firePointMonitors = 124

    /// The planned number of devices of `kind` for the town.
    public static func planned(_ kind: DeviceKind) -> Int {
        switch kind {
        case .smokeDetector: smokeDetectors
        case .lifeChannelMonitor: lifeChannelMonitors
        case .chargingPile: chargingPiles
        case .firePointMonitor: firePointMonitors
        }
    }

    /// All four kinds together: 6,709.
    public static var total: Int { DeviceKind.allCases.reduce(0) { $0 + planned($1) } }
}

/// When a device's event may be dated, and when its alarm counts as raised.
public enum DeviceEventTime {
    /// How far ahead of the server's clock an event may be dated: 10 minutes (a device clock
    /// running fast).
    public static let futureTolerance: TimeInterval = 600
    /// How old an event may be: 30 days. A platform buffers what a device sent while it was cut
    /// off, but not for a month; older is a device with a broken clock.
    public static let maximumAge: TimeInterval = 30 * 86_400

    /// - Throws: ``DomainError`` `.invalid` naming `field` for a time outside
    ///   `now − 30 days … now + 10 minutes`.
    public static func check(_ occurred: Date, now: Date, field: String) throws(DomainError) {
        guard occurred <= now.addingTimeInterval(futureTolerance) else {
            throw .invalid(field, "\(Timestamp.format(occurred)) is more than \(Int(futureTolerance / 60)) minutes ahead of the server's clock (\(Timestamp.format(now)))")
        }
        guard occurred >= now.addingTimeInterval(-maximumAge) else {
            throw .invalid(field, "\(Timestamp.format(occurred)) is more than \(Int(maximumAge / 86_400)) days before the server's clock (\(Timestamp.format(now))); check the device's clock")
        }
    }

    /// An alarm is raised when it happened, but not after it reached the server: a fast device
    /// clock must not keep the workers from taking it until that time comes.
    public static func raisedAt(occurred: Date, received: Date) -> Date { min(occurred, received) }
}

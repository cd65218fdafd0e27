import Foundation

/// What a signed-in person is in the campaign. Each role has a home area at one level
/// of the area tree and sees only what lies inside it (``Jurisdiction``).
///
/// | role | home area | writes | party phone numbers |
/// |---|---|---|---|
/// | `districtAdmin` 区管理员 | the district | yes, and accounts | masked |
/// | `townAdmin` 镇街管理员 | a town | yes, and accounts of the town | shown |
/// | `departmentInspector` 部门检查员 | a town | inspections; hazard actions of its own department only | shown |
/// | `villageOfficer` 村社干部 | a village | yes | shown |
/// | `gridWorker` 网格员 | a grid | yes | shown |
/// | `microGridWorker` 微网格员 | a micro-grid | yes | shown |
/// | `viewer` 查看 | any area | no | masked |
///
/// Phone numbers are shown to the roles that call responsible parties and masked
/// (`138****0000`) for the others — the "minimum necessary" rule of 个人信息保护法 art. 6.
public enum Role: String, Codable, CaseIterable, Sendable, Hashable {
    case districtAdmin, townAdmin, departmentInspector, villageOfficer, gridWorker, microGridWorker, viewer

    public var zh: String {
        switch self {
        case .districtAdmin: "区管理员"
        case .townAdmin: "镇街管理员"
        case .departmentInspector: "部门检查员"
        case .villageOfficer: "村社干部"
        case .gridWorker: "网格员"
        case .microGridWorker: "微网格员"
        case .viewer: "查看"
        }
    }

    public var en: String {
        switch self {
        case .districtAdmin: "District admin"
        case .townAdmin: "Town admin"
        case .departmentInspector: "Department inspector"
        case .villageOfficer: "Village officer"
        case .gridWorker: "Grid worker"
        case .microGridWorker: "Micro-grid worker"
        case .viewer: "Viewer"
        }
    }

    /// The level the home area must have; `nil`: any level (viewers).
    public var homeLevel: AreaLevel? {
        switch self {
        case .districtAdmin: .district
        case .townAdmin, .departmentInspector: .town
        case .villageOfficer: .village
        case .gridWorker: .grid
        case .microGridWorker: .microGrid
        case .viewer: nil
        }
    }

    /// Whether the role records inspections, hazard actions, subjects and closures.
    public var writes: Bool { self != .viewer }

    /// Whether the role manages accounts, webhooks, imports and the town's directed tasks.
    public var administers: Bool { self == .districtAdmin || self == .townAdmin }

    /// Whether responsible parties' mobile numbers are shown in full (see the table above).
    /// Whether the role sees a resident reporter's mobile in full: only the grid and micro-grid
    /// workers who verify reports of their area (and call the resident back when they cannot
    /// find the place); every other role sees it masked — 个人信息保护法 art. 6, minimum necessary.
    public var seesReporterPhoneNumbers: Bool { self == .gridWorker || self == .microGridWorker }

    public var seesPartyPhoneNumbers: Bool {
        switch self {
        case .districtAdmin, .viewer: false
        default: true
        }
    }

    /// Whether the role carries a task list (网格日常管).
    public var carriesTasks: Bool { self == .gridWorker || self == .microGridWorker }
}

/// The part of the area tree a person may see and change: one area and everything below it.
/// Area codes nest (a child's code starts with its parent's, see ``Area``), so "inside" is a
/// prefix test.
public struct Jurisdiction: Sendable, Hashable, CustomStringConvertible {
    /// The root of the jurisdiction (6 to 17 characters).
    public let areaCode: String

    /// The whole district: what background jobs and commands see.
    public static let everything = Jurisdiction(areaCode: "")

    public init(areaCode: String) { self.areaCode = areaCode }

    /// The level of the root; `nil` for ``everything``.
    public var level: AreaLevel? { AreaLevel(codeLength: areaCode.count) }

    /// Whether the area `code` lies inside (the root itself included).
    public func contains(_ code: String) -> Bool { code.hasPrefix(areaCode) }

    /// Matches no area (an anonymous request).
    public static let nothing = Jurisdiction(areaCode: "-")

    /// Whether the jurisdiction is the whole district (no row is filtered out).
    public var isEverything: Bool { areaCode.isEmpty || level == .district }

    public var description: String { areaCode.isEmpty ? "everything" : areaCode }
}

/// A person who signs in: a user name, a role and a home area (and a department for inspectors).
public struct Account: Sendable, Hashable, Codable {
    public let id: UUID
    /// 3 to 32 characters of `a-z`, `0-9`, `.`, `_`, `-` (lower case; compared as typed after lowering).
    public let username: String
    public let displayName: String
    public let role: Role
    /// The home area's code (``Role/homeLevel``).
    public let areaCode: String
    /// The department of a department inspector; `nil` for the other roles.
    public let department: Department?

    public init(id: UUID, username: String, displayName: String, role: Role, areaCode: String, department: Department?) {
        self.id = id
        self.username = username
        self.displayName = displayName
        self.role = role
        self.areaCode = areaCode
        self.department = department
    }

    public var jurisdiction: Jurisdiction { Jurisdiction(areaCode: areaCode) }

    /// Whether this person may order a subject closed down (关停): an enforcement decision, for
    /// district and town admins and inspectors of comprehensive law enforcement (综合执法).
    public var mayOrderClosure: Bool {
        role.administers || (role == .departmentInspector && department == .comprehensiveEnforcement)
    }

    /// Whether this person may record an action on a hazard assigned to `department`: a
    /// department inspector signs off only its own department's items; every
    /// other writing role may act on any hazard in its area.
    public func mayAct(onHazardOf department: Department) -> Bool {
        guard role.writes else { return false }
        if role == .departmentInspector { return self.department == department }
        return true
    }
}

/// Rules for account fields. Every function throws ``InvalidValue`` naming the problem.
public enum AccountRules {
    /// Shortest accepted password (NIST SP 800-63B §5.1.1.2 asks for at least 8).
    public static let minimumPasswordLength = 8
    /// Longest accepted password: Bcrypt reads 72 bytes, so more would be silently ignored.
    public static let maximumPasswordBytes = 72

    /// The user name lowered and trimmed.
    /// - Throws: when it is not 3–32 characters of `a-z 0-9 . _ -`.
    public static func username(_ raw: String) throws(InvalidValue) -> String {
        let name = raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        guard (3...32).contains(name.count) else { throw InvalidValue("a user name has 3 to 32 characters") }
        guard name.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0) })
        else { throw InvalidValue("a user name uses only a-z, 0-9, '.', '_' and '-'") }
        return name
    }

    /// - Throws: when the password is shorter than 8 characters, longer than 72 bytes, or
    ///   contains the user name.
    public static func checkPassword(_ password: String, username: String) throws(InvalidValue) {
        guard password.count >= minimumPasswordLength else {
            throw InvalidValue("a password has at least \(minimumPasswordLength) characters")
        }
        guard password.utf8.count <= maximumPasswordBytes else {
            throw InvalidValue("a password has at most \(maximumPasswordBytes) bytes")
        }
        if !username.isEmpty, password.lowercased().contains(username.lowercased()) {
            throw InvalidValue("a password may not contain the user name")
        }
    }

    /// - Throws: when the area's level does not fit the role, or a department inspector has
    ///   no department (or another role has one).
    public static func checkPlacement(role: Role, area: Area, department: Department?) throws(InvalidValue) {
        if let level = role.homeLevel, area.level != level {
            throw InvalidValue("a \(role.rawValue) belongs to a \(level.rawValue), not a \(area.level.rawValue) (\(area.code))")
        }
        if role == .departmentInspector, department == nil {
            throw InvalidValue("a department inspector needs a department")
        }
        if role != .departmentInspector, department != nil {
            throw InvalidValue("only department inspectors have a department")
        }
    }

    /// Whether `actor` may create or change an account with `role` at `areaCode`: district admins
    /// anywhere; town admins inside their town and never a district admin.
    public static func mayManage(_ actor: Account, role: Role, areaCode: String) -> Bool {
        switch actor.role {
        case .districtAdmin: true
        case .townAdmin: role != .districtAdmin && actor.jurisdiction.contains(areaCode)
        default: false
        }
    }
}

/// Sign-in throttling (OWASP Authentication Cheat Sheet, "account lockout"): after
/// ``maxFailures`` wrong passwords for one user name within ``window``, further attempts are
/// refused until ``lockout`` has passed since the last failure. Unknown user names are counted
/// the same way, so the answer never tells whether a user exists.
public struct LoginThrottle: Sendable, Hashable {
    public var maxFailures: Int
    /// Seconds over which failures add up.
    public var window: TimeInterval
    /// Seconds an attempt stays refused after the last counted failure.
    public var lockout: TimeInterval

    public init(maxFailures: Int = 5, window: TimeInterval = 15 * 60, lockout: TimeInterval = 15 * 60) {
        self.maxFailures = maxFailures
        self.window = window
        self.lockout = lockout
    }

    /// Failures on record for one user name.
    public struct Record: Sendable, Hashable {
        public var failures: Int
        public var firstFailureAt: Date
        public var lastFailureAt: Date
        public init(failures: Int, firstFailureAt: Date, lastFailureAt: Date) {
            self.failures = failures
            self.firstFailureAt = firstFailureAt
            self.lastFailureAt = lastFailureAt
        }
    }

    /// Until when attempts are refused, or `nil` when an attempt may be made at `now`.
    public func lockedUntil(_ record: Record?, now: Date) -> Date? {
        guard let r = record, r.failures >= maxFailures else { return nil }
        let until = r.lastFailureAt.addingTimeInterval(lockout)
        return until > now ? until : nil
    }

    /// The record after one more failure at `now`. A failure outside the window, or after a
    /// lockout has run out, starts a new count.
    public func failed(_ record: Record?, now: Date) -> Record {
        guard let r = record, now.timeIntervalSince(r.firstFailureAt) <= window, r.failures < maxFailures
        else { return Record(failures: 1, firstFailureAt: now, lastFailureAt: now) }
        return Record(failures: r.failures + 1, firstFailureAt: r.firstFailureAt, lastFailureAt: now)
    }
}

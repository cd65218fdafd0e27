import Foundation
import SQLKit
import SafeGridCore
import Vapor

/// The `users` and `login_failures` tables.
package struct AccountStore {
    package let sql: any SQLDatabase

    package init(sql: any SQLDatabase) { self.sql = sql }

    static let userColumns = ["id", "username", "display_name", "role", "area_code", "department", "active", "password_hash"]

    static func account(_ row: any SQLRow) throws -> Account {
        Account(id: try row.decode(column: "id", as: UUID.self),
                username: try row.decode(column: "username", as: String.self),
                displayName: try row.decode(column: "display_name", as: String.self),
                role: Role(rawValue: try row.decode(column: "role", as: String.self)) ?? .viewer,
                areaCode: try row.decode(column: "area_code", as: String.self),
                department: try row.decode(column: "department", as: String?.self).flatMap(Department.init(rawValue:)))
    }

    /// An account as stored: the account, whether it is active, and its password hash.
    package struct StoredAccount {
        package let account: Account
        let active: Bool
        let passwordHash: String
    }

    func user(username: String) async throws -> StoredAccount? {
        try await stored(sql.select().columns(Self.userColumns).from("users").where("username", .equal, SQLBind(username)).first())
    }

    func user(id: UUID) async throws -> StoredAccount? {
        try await stored(sql.select().columns(Self.userColumns).from("users").where("id", .equal, SQLBind(id)).first())
    }

    private func stored(_ row: (any SQLRow)?) async throws -> StoredAccount? {
        guard let row else { return nil }
        return StoredAccount(account: try Self.account(row), active: try row.decode(column: "active", as: Bool.self),
                             passwordHash: try row.decode(column: "password_hash", as: String.self))
    }

    /// The accounts whose home area lies inside `scope`, by user name.
    package func users(in scope: Jurisdiction) async throws -> [StoredAccount] {
        try await CampaignQueries(sql: sql, scope: scope).within(sql.select().columns(Self.userColumns).from("users"), codeColumn: "area_code")
            .orderBy("username").all().map {
            StoredAccount(account: try Self.account($0), active: try $0.decode(column: "active", as: Bool.self),
                          passwordHash: try $0.decode(column: "password_hash", as: String.self))
        }
    }

    package func insert(_ a: Account, passwordHash: String, at now: Date) async throws {
        try await sql.insert(into: "users")
            .columns("id", "username", "display_name", "password_hash", "role", "area_code", "department", "active", "created_at", "updated_at")
            .values(SQLBind(a.id), SQLBind(a.username), SQLBind(a.displayName), SQLBind(passwordHash), SQLBind(a.role.rawValue),
                    SQLBind(a.areaCode), SQLBind(a.department?.rawValue), SQLBind(true), SQLBind(now), SQLBind(now))
            .run()
    }

    func update(_ a: Account, active: Bool, passwordHash: String?, at now: Date) async throws {
        var q = sql.update("users").set("display_name", to: SQLBind(a.displayName)).set("role", to: SQLBind(a.role.rawValue))
            .set("area_code", to: SQLBind(a.areaCode)).set("department", to: SQLBind(a.department?.rawValue))
            .set("active", to: SQLBind(active)).set("updated_at", to: SQLBind(now))
        if let passwordHash { q = q.set("password_hash", to: SQLBind(passwordHash)) }
        try await q.where("id", .equal, SQLBind(a.id)).run()
    }

    /// Active admins of a role (and area): the last district admin, and the last admin of a
    /// town, may not be demoted, moved or deactivated.
    func activeAdmins(_ role: Role, area: String? = nil) async throws -> Int {
        var q = sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("users")
            .where("role", .equal, SQLBind(role.rawValue)).where("active", .equal, SQLLiteral.boolean(true))
        if let area { q = q.where("area_code", .equal, SQLBind(area)) }
        return try await q.first()?.decode(column: "n", as: Int.self) ?? 0
    }

    /// Revokes every open session of a user (after a password change, demotion or deactivation).
    func revokeSessions(user id: UUID, at now: Date) async throws {
        try await sql.update("auth_sessions").set("revoked_at", to: SQLBind(now))
            .where("user_id", .equal, SQLBind(id)).where("revoked_at", .is, SQLLiteral.null).run()
    }

    // MARK: Failed sign-ins

    func failures(_ username: String) async throws -> LoginThrottle.Record? {
        guard let row = try await sql.select().columns("failures", "first_failure_at", "last_failure_at").from("login_failures")
            .where("username", .equal, SQLBind(username)).first() else { return nil }
        return LoginThrottle.Record(failures: try row.decode(column: "failures", as: Int.self),
                                    firstFailureAt: try row.decode(column: "first_failure_at", as: Date.self),
                                    lastFailureAt: try row.decode(column: "last_failure_at", as: Date.self))
    }

    /// Counts one sign-in attempt for `username` before its password is checked, inside the
    /// caller's write transaction: refused (`.locked`) once the name has
    /// ``LoginThrottle/maxFailures`` attempts on record, else recorded as a failure, which a
    /// right password then clears. Atomic: SQLite's write transaction (`BEGIN IMMEDIATE`) holds
    /// the one write lock, PostgreSQL locks the name's row (made first if missing) until commit,
    /// so parallel attempts on one name are counted one after another, across instances too.
    func countAttempt(_ username: String, throttle: LoginThrottle, now: Date) async throws -> SignIn.Reservation {
        try await sql.insert(into: "login_failures").columns("username", "failures", "first_failure_at", "last_failure_at")
            .values(SQLBind(username), SQLBind(0), SQLBind(now), SQLBind(now)).ignoringConflicts().run()
        guard let row = try await sql.select().columns("failures", "first_failure_at", "last_failure_at").from("login_failures")
            .where("username", .equal, SQLBind(username)).for(.update).first() else {
            throw Abort(.serviceUnavailable, reason: "the sign-in could not be counted; try again")
        }
        let current = LoginThrottle.Record(failures: try row.decode(column: "failures", as: Int.self),
                                           firstFailureAt: try row.decode(column: "first_failure_at", as: Date.self),
                                           lastFailureAt: try row.decode(column: "last_failure_at", as: Date.self))
        if let until = throttle.lockedUntil(current, now: now) { return .locked(until: until) }
        let next = throttle.failed(current.failures == 0 ? nil : current, now: now)
        try await sql.update("login_failures").set("failures", to: SQLBind(next.failures))
            .set("first_failure_at", to: SQLBind(next.firstFailureAt)).set("last_failure_at", to: SQLBind(next.lastFailureAt))
            .where("username", .equal, SQLBind(username)).run()
        return .counted
    }

    func clearFailures(_ username: String) async throws {
        try await sql.delete(from: "login_failures").where("username", .equal, SQLBind(username)).run()
    }
}

/// Checking a user name and password (both sign-in paths: the API token and the web form).
enum SignIn {
    /// The same answer for an unknown user, a wrong password and an inactive account, so the
    /// reply never tells which user names exist.
    static let failure = "用户名或密码错误 · wrong user name or password"

    /// A Bcrypt hash of a random password, verified when the user name is unknown so that the
    /// answer takes as long as for a known one.
    static let decoyHash: String = (try? Bcrypt.hash(AuthSessions.randomToken(), cost: 12)) ?? ""

    static var throttle: LoginThrottle { LoginThrottle() }

    /// What counting an attempt answered.
    enum Reservation: Sendable {
        /// Counted: the password may be checked.
        case counted
        /// Refused without a check: the name is locked until then.
        case locked(until: Date)
    }

    /// The account of `username` when `password` is right.
    ///
    /// Every attempt is counted before Bcrypt runs — per client address (in this process, see
    /// ``SignInAttempts``) and per user name (in the database, see
    /// ``AccountStore/countAttempt(_:throttle:now:)``) — and a right password takes its count
    /// back. So of many parallel guesses at one name only the first
    /// ``LoginThrottle/maxFailures`` reach Bcrypt; the rest are refused at once.
    /// - Throws: 401 with ``failure`` for a wrong pair; 429 with `Retry-After` once the user
    ///   name has had ``LoginThrottle/maxFailures`` failures in a row (known or not), or the
    ///   client address ``SignInAttempts/limit`` in its window.
    static func check(username raw: String, password: String, req: Request) async throws -> Account {
        let username = raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        let now = req.services.now()
        // Many user names from one address (password spraying): at most 30 failed attempts in 5 minutes.
        let address = req.clientAddress
        let attempts = req.application.signInAttempts
        if let retry = await attempts.reserve(for: address, at: now) {
            throw Abort(.tooManyRequests, headers: ["Retry-After": String(retry)],
                        reason: "登录尝试过于频繁，请稍后再试 · too many sign-in attempts from this address; try again in \(retry) s")
        }
        let key = String(username.prefix(64))
        let throttle = throttle
        let reservation: Reservation
        do {
            reservation = try await req.application.writeGate.transaction(on: req.db, changesCampaign: false) { sql in
                try await AccountStore(sql: sql).countAttempt(key, throttle: throttle, now: now)
            }
        } catch {
            await attempts.release(for: address, at: now)
            throw error
        }
        if case .locked(let until) = reservation {
            // Not a guess (no password was checked): the address keeps its allowance.
            await attempts.release(for: address, at: now)
            throw Abort(.tooManyRequests, headers: ["Retry-After": String(Int(min(max(until.timeIntervalSince(now), 1), 86_400).rounded(.up)))],
                        reason: "登录失败次数过多，请于 \(Layout.time(until)) 后再试 · too many failed sign-ins; try again after \(Layout.time(until)) (Asia/Shanghai)")
        }
        let stored = try await AccountStore(sql: req.sql).user(username: username)
        let hash = stored?.passwordHash ?? decoyHash
        let matches = (try? await req.application.verifyPassword(password, hash: hash)) ?? false
        guard let stored, stored.active, matches, password.utf8.count <= AccountRules.maximumPasswordBytes else {
            // Already counted against the name and the address.
            req.logger.notice("sign-in failed", metadata: ["username": .string(key)])
            throw Abort(.unauthorized, reason: failure)
        }
        try await req.application.writeGate.transaction(on: req.db, changesCampaign: false) { sql in
            try await AccountStore(sql: sql).clearFailures(key)
        }
        await attempts.release(for: address, at: now)
        return stored.account
    }
}

extension Application {
    var signInAttempts: SignInAttempts {
        if let a = storage[SignInAttemptsKey.self] { return a }
        let a = SignInAttempts()
        storage[SignInAttemptsKey.self] = a
        return a
    }
}

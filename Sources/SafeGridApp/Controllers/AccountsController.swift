import Foundation
import Plot
import SQLKit
import SafeGridCore
import Vapor

/// An account as the API shows it (never its password hash).
struct AccountDTO: Content {
    let id: String
    let username: String
    let displayName: String
    let role: String
    let roleZh: String
    let areaCode: String
    let department: String?
    let active: Bool
    /// Only in `GET /api/v1/auth/me` with the session cookie: the token a page's script sends in
    /// `X-CSRF-Token` with its writes (the field app's shell is a static file and cannot carry it).
    var csrfToken: String? = nil

    init(_ a: Account, active: Bool = true) {
        id = a.id.uuidString.lowercased()
        username = a.username
        displayName = a.displayName
        role = a.role.rawValue
        roleZh = a.role.zh
        areaCode = a.areaCode
        department = a.department?.rawValue
        self.active = active
    }
}

/// Sign-in for the API (`/api/v1/auth/token`), the web (`/login`, `/logout`) and accounts
/// (`/api/v1/users`).
enum AccountsController {
    struct Credentials: Content {
        let username: String
        let password: String
    }

    struct TokenDTO: Content {
        let token: String
        let tokenType: String
        /// Seconds until the token expires (RFC 6749 `expires_in`).
        let expiresIn: Int
        let expiresAt: String
        let account: AccountDTO
    }

    /// `POST /api/v1/auth/token` `{"username", "password"}` → a bearer token for 12 hours.
    static func token(_ req: Request) async throws -> Response {
        let c = try req.content.decode(Credentials.self)
        let account = try await SignIn.check(username: c.username, password: c.password, req: req)
        let now = req.services.now()
        let (token, session) = try await req.application.writeGate.transaction(on: req.db, changesCampaign: false) { sql in
            try await AuthSessions.open(account, kind: "api", sql: sql, now: now)
        }
        let response = try Response.json(TokenDTO(token: token, tokenType: "Bearer", expiresIn: Int(AuthSessions.lifetime),
                                                  expiresAt: Timestamp.format(session.expiresAt), account: AccountDTO(account)),
                                         status: .created)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    /// `DELETE /api/v1/auth/token`: revokes the token of the request (sign-out).
    static func revoke(_ req: Request) async throws -> HTTPStatus {
        guard let s = req.signedIn else { throw Abort(.unauthorized) }
        let now = req.services.now()
        try await req.application.writeGate.transaction(on: req.db, changesCampaign: false) { sql in
            try await AuthSessions.revoke(s.sessionID, sql: sql, now: now)
        }
        req.application.sessionCache.evict(session: s.sessionID)
        return .noContent
    }

    /// `GET /api/v1/auth/me`: the signed-in account.
    static func me(_ req: Request) async throws -> AccountDTO {
        var dto = AccountDTO(try req.account())
        if let session = req.signedIn, session.kind == "web" { dto.csrfToken = session.csrfToken }
        return dto
    }

    // MARK: Web sign-in

    static let loginCSRFCookie = "safegrid_login_csrf"

    /// `GET /login`: the sign-in form. Its anti-forgery token is a random value in a cookie and
    /// in the form (double submit), since no session exists yet.
    static func loginPage(_ req: Request) async throws -> Response {
        try await loginForm(req, message: nil, status: .ok)
    }

    static func loginForm(_ req: Request, message: String?, status: HTTPStatus) async throws -> Response {
        let csrf = AuthSessions.randomToken(bytes: 18)
        let next = safeNext(req.query[String.self, at: "next"] ?? (try? req.content.get(String.self, at: "next")))
        let response = LoginPage.render(message: message, csrf: csrf, next: next)
        response.status = status
        response.cookies[loginCSRFCookie] = HTTPCookies.Value(string: csrf, maxAge: 3600, path: "/login", isSecure: secureCookies(req),
                                                              isHTTPOnly: true, sameSite: .strict)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    struct LoginForm: Content {
        let username: String?
        let password: String?
        let _csrf: String?
        let next: String?
    }

    /// `POST /login` (form): signs in and sets the session cookie (HttpOnly, SameSite=Lax).
    static func login(_ req: Request) async throws -> Response {
        let form = (try? req.content.decode(LoginForm.self)) ?? LoginForm(username: nil, password: nil, _csrf: nil, next: nil)
        guard let sent = form._csrf, let cookie = req.cookies[loginCSRFCookie]?.string, RequireAccount.equal(sent, cookie) else {
            return try await loginForm(req, message: "表单已过期，请重新登录 · the form has expired; sign in again", status: .forbidden)
        }
        let account: Account
        do {
            account = try await SignIn.check(username: form.username ?? "", password: form.password ?? "", req: req)
        } catch let e as Abort where e.status == .unauthorized || e.status == .tooManyRequests {
            let r = try await loginForm(req, message: e.reason, status: e.status)
            if let retry = e.headers.first(name: "Retry-After") { r.headers.replaceOrAdd(name: "Retry-After", value: retry) }
            return r
        }
        let now = req.services.now()
        let (token, _) = try await req.application.writeGate.transaction(on: req.db, changesCampaign: false) { sql in
            try await AuthSessions.open(account, kind: "web", sql: sql, now: now)
        }
        let response = req.redirect(to: safeNext(form.next) == "/" ? home(account) : safeNext(form.next), redirectType: .normal)
        response.cookies[AuthSessions.cookieName] = AuthSessions.cookie(token, maxAge: AuthSessions.lifetime, secure: secureCookies(req))
        response.cookies[loginCSRFCookie] = HTTPCookies.Value(string: "", maxAge: 0, path: "/login")
        return response
    }

    /// `POST /logout` (form with `_csrf`): ends the web session.
    static func logout(_ req: Request) async throws -> Response {
        if let s = req.signedIn {
            let now = req.services.now()
            try await req.application.writeGate.transaction(on: req.db, changesCampaign: false) { sql in
                try await AuthSessions.revoke(s.sessionID, sql: sql, now: now)
            }
            req.application.sessionCache.evict(session: s.sessionID)
        }
        let response = req.redirect(to: "/login", redirectType: .normal)
        response.cookies[AuthSessions.cookieName] = HTTPCookies.Value(string: "", maxAge: 0, path: "/")
        return response
    }

    /// The page a person lands on: their own area (a grid worker's phone starts at the task list).
    static func home(_ a: Account) -> String {
        if a.role.carriesTasks { return "/tasks" }
        return a.jurisdiction.isEverything ? "/" : "/areas/\(a.areaCode)"
    }

    /// A local path to go back to after signing in; anything else (another host, `//x`) is `/`.
    static func safeNext(_ raw: String?) -> String {
        // A path on this server only: no scheme or host, no backslash, no whitespace or control
        // character (browsers drop tabs and newlines, turning `/\t/evil.com` into `//evil.com`).
        // Quotes, angle brackets and backticks have no place in a path of ours (they are
        // percent-encoded in real links), so a value carrying them is refused outright.
        guard let raw, raw.hasPrefix("/"), !raw.hasPrefix("//"), !raw.contains("\\"), !raw.hasPrefix("/login"),
              raw.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F && !CharacterSet.whitespacesAndNewlines.contains($0)
                  && !"\"'<>`".unicodeScalars.contains($0) })
        else { return "/" }
        return raw
    }

    /// Cookies are `Secure` when ``Settings/HTTP/secureCookies`` is on (behind HTTPS) or the
    /// request came over HTTPS according to the proxy's `X-Forwarded-Proto`.
    static func secureCookies(_ req: Request) -> Bool {
        req.application.settings.http.secureCookies || req.headers.first(name: "X-Forwarded-Proto") == "https"
    }

    // MARK: Accounts

    struct UserInput: Content {
        let username: String?
        let displayName: String?
        let password: String?
        let role: String?
        let areaCode: String?
        let department: String?
        let active: Bool?
    }

    /// `GET /api/v1/users`: the accounts inside the admin's area.
    static func list(_ req: Request) async throws -> [AccountDTO] {
        try await AccountStore(sql: req.sql).users(in: req.jurisdiction).map { AccountDTO($0.account, active: $0.active) }
    }

    /// `POST /api/v1/users`: a new account (admins; a town admin only inside the town).
    static func create(_ req: Request) async throws -> Response {
        let actor = try req.account()
        let input = try req.content.decode(UserInput.self)
        let username: String
        do { username = try AccountRules.username(input.username ?? "") } catch { throw DomainError.invalid("username", error) }
        guard let password = input.password else { throw DomainError.invalid("password", "password is required") }
        do { try AccountRules.checkPassword(password, username: username) } catch { throw DomainError.invalid("password", error) }
        let account = try await placement(req, actor: actor, id: UUID(), username: username,
                                          displayName: input.displayName ?? username, role: input.role, areaCode: input.areaCode,
                                          department: input.department)
        let hash = try await req.application.hashPassword(password)
        let now = req.services.now()
        try await req.application.writeGate.transaction(on: req.db, changesCampaign: false) { sql in
            let store = AccountStore(sql: sql)
            if try await store.user(username: username) != nil {
                throw DomainError(.conflict, field: "username", reason: "the user name \(username) is taken")
            }
            try await store.insert(account, passwordHash: hash, at: now)
        }
        let response = try Response.json(AccountDTO(account), status: .created)
        response.headers.replaceOrAdd(name: .location, value: "/api/v1/users/\(account.id.uuidString.lowercased())")
        return response
    }

    /// `PATCH /api/v1/users/{id}`: role, area, department, name, password or `active`. The last
    /// active admin of the district, or of a town, cannot be demoted, moved or deactivated (409). Changing the role, area,
    /// password or deactivating ends the account's sessions.
    static func update(_ req: Request) async throws -> AccountDTO {
        let actor = try req.account()
        let id = try Input.uuid(req.parameters.get("id"), "id", kind: .notFound)
        let input = try req.content.decode(UserInput.self)
        let store = AccountStore(sql: req.sql)
        guard let current = try await store.user(id: id), AccountRules.mayManage(actor, role: current.account.role, areaCode: current.account.areaCode)
        else { throw DomainError(.notFound, field: "id", reason: "no account \(id)") }
        let c = current.account
        let updated = try await placement(req, actor: actor, id: c.id, username: c.username, displayName: input.displayName ?? c.displayName,
                                          role: input.role ?? c.role.rawValue, areaCode: input.areaCode ?? c.areaCode,
                                          department: input.role != nil || input.department != nil ? input.department : c.department?.rawValue)
        var newHash: String? = nil
        if let password = input.password {
            do { try AccountRules.checkPassword(password, username: c.username) } catch { throw DomainError.invalid("password", error) }
            newHash = try await req.application.hashPassword(password)
        }
        let hash = newHash
        let active = input.active ?? current.active
        let now = req.services.now()
        try await req.application.writeGate.transaction(on: req.db, changesCampaign: false) { sql in
            let store = AccountStore(sql: sql)
            // The last active admin of the district, or of a town, stays one.
            if c.role.administers, current.active, updated.role != c.role || updated.areaCode != c.areaCode || !active,
               try await store.activeAdmins(c.role, area: c.role == .townAdmin ? c.areaCode : nil) <= 1 {
                let of = c.role == .districtAdmin ? "district" : "town \(c.areaCode)"
                throw DomainError(.conflict, field: input.active == false ? "active" : updated.role != c.role ? "role" : "areaCode",
                                  reason: "\(c.username) is the last active admin of the \(of); make another one first")
            }
            try await store.update(updated, active: active, passwordHash: hash, at: now)
            if hash != nil || !active || updated.role != c.role || updated.areaCode != c.areaCode || updated.department != c.department {
                try await store.revokeSessions(user: c.id, at: now)
            }
        }
        // Cached sessions carry the account as it was: forget them (revoked ones at once).
        req.application.sessionCache.evict(user: c.id)
        return AccountDTO(updated, active: active)
    }

    /// Checks role, area and department against the rules and the actor's rights.
    static func placement(_ req: Request, actor: Account, id: UUID, username: String, displayName: String, role rawRole: String?,
                          areaCode: String?, department rawDepartment: String?) async throws -> Account {
        let role: Role = try Input.enumValue(rawRole ?? "", "role")
        let department: Department? = try Input.optionalEnum(rawDepartment, "department")
        let name = displayName.trimmingCharacters(in: .whitespacesAndNewlines)
        try TextRules.check(name, "displayName", max: TextRules.personName)
        guard let code = areaCode, let area = try await req.queries.area(code) else {
            throw DomainError.invalid("areaCode", "no area with code \(areaCode ?? "") in your jurisdiction")
        }
        do { try AccountRules.checkPlacement(role: role, area: area, department: department) } catch {
            throw DomainError.invalid(role == .departmentInspector && department == nil ? "department" : "areaCode", error)
        }
        guard AccountRules.mayManage(actor, role: role, areaCode: code) else {
            throw DomainError.invalid("role", "a \(actor.role.rawValue) may not make a \(role.rawValue)")
        }
        return Account(id: id, username: username, displayName: name.isEmpty ? username : name, role: role, areaCode: code,
                       department: department)
    }
}

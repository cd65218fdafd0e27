import Crypto
import Foundation
import NIOConcurrencyHelpers
import SQLKit
import SafeGridCore
import Vapor

/// Who made a request: the account and the session (web cookie or API bearer token) it came with.
struct SignedIn: Sendable {
    let account: Account
    let sessionID: UUID
    /// `api` (bearer token) or `web` (session cookie).
    let kind: String
    /// The session's anti-forgery token (forms' `_csrf`, scripts' `X-CSRF-Token`).
    let csrfToken: String
    let expiresAt: Date
    /// When it was opened (UTC); a web session is renewed while used, up to
    /// ``AuthSessions/longest`` after this.
    var createdAt: Date = .distantPast
}

struct SignedInKey: StorageKey { typealias Value = SignedIn }

extension Request {
    /// The signed-in person, set by ``Authenticator``; `nil` for anonymous requests.
    var signedIn: SignedIn? {
        get { storage[SignedInKey.self] }
        set { storage[SignedInKey.self] = newValue }
    }

    /// The signed-in account.
    /// - Throws: 401 when nobody is signed in (routes behind ``RequireAccount`` never are).
    func account() throws -> Account {
        guard let a = signedIn?.account else { throw Abort(.unauthorized, reason: "sign in first") }
        return a
    }

    /// What this request may see: the account's area, or nothing for an anonymous request.
    /// Every read through ``queries`` is restricted to it.
    var jurisdiction: Jurisdiction { signedIn?.account.jurisdiction ?? .nothing }

    /// The area a request without `areaCode` is about: the account's home area, or 瓜沥镇 for
    /// district-wide accounts.
    var homeAreaCode: String {
        guard let a = signedIn?.account, !a.jurisdiction.isEverything else { return BundledAreas.gualiTownCode }
        return a.areaCode
    }

    /// Whether responsible parties' phone numbers are shown in full to this request
    /// (``Role/seesPartyPhoneNumbers``); otherwise they are masked as `138****0000`.
    var revealsPhoneNumbers: Bool { signedIn?.account.role.seesPartyPhoneNumbers ?? false }
}

/// Sessions and tokens (the `auth_sessions` table): random 256-bit values given out once and
/// stored as their SHA-256, so a copy of the database signs nobody in.
enum AuthSessions {
    static let cookieName = "safegrid_session"
    /// How long a bearer token or a web session lasts (12 hours: one working day and a bit).
    static let lifetime: TimeInterval = 12 * 3600
    /// How long a web session may be renewed for, from when it was opened (7 days): a wall
    /// screen or a phone in daily use stays signed in for a week, then its user signs in again.
    static let longest: TimeInterval = 7 * 24 * 3600

    /// The new expiry of a web session used at `now` with less than half its ``lifetime``
    /// left: `now + lifetime`, but not past `createdAt + longest`; `nil` when it keeps its
    /// expiry (a bearer token, a fresh session, or one at its limit). Bearer tokens are never
    /// renewed: a client asks for a new one.
    static func renewal(of session: SignedIn, now: Date) -> Date? {
        guard session.kind == "web", session.expiresAt.timeIntervalSince(now) < lifetime / 2 else { return nil }
        let until = min(now.addingTimeInterval(lifetime), session.createdAt.addingTimeInterval(longest))
        return until > session.expiresAt.addingTimeInterval(60) ? until : nil
    }

    /// The session cookie: HTTP-only, same-site lax, `Secure` behind HTTPS.
    static func cookie(_ token: String, maxAge: TimeInterval, secure: Bool) -> HTTPCookies.Value {
        HTTPCookies.Value(string: token, maxAge: Int(maxAge), path: "/", isSecure: secure, isHTTPOnly: true, sameSite: .lax)
    }

    static func randomToken(bytes: Int = 32) -> String {
        var g = SystemRandomNumberGenerator()
        let raw = (0..<bytes).map { _ in UInt8.random(in: 0...255, using: &g) }
        return Data(raw).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func digest(_ token: String) -> String { Hex.encode(SHA256.hash(data: Data(token.utf8))) }

    /// Opens a session for `account`; answers the token (shown once) and the session.
    static func open(_ account: Account, kind: String, sql: any SQLDatabase, now: Date) async throws -> (token: String, session: SignedIn) {
        let token = randomToken()
        let session = SignedIn(account: account, sessionID: UUID(), kind: kind, csrfToken: randomToken(bytes: 18),
                               expiresAt: now.addingTimeInterval(lifetime), createdAt: now)
        try await AccountStore(sql: sql).insertSession(session, tokenSHA256: digest(token), at: now)
        return (token, session)
    }

    /// The live session of a token: not revoked, not expired, its account active.
    static func find(token: String, sql: any SQLDatabase, now: Date) async throws -> SignedIn? {
        guard !token.isEmpty, token.count <= 128 else { return nil }
        return try await AccountStore(sql: sql).liveSession(tokenSHA256: digest(token), now: now)
    }

    static func revoke(_ id: UUID, sql: any SQLDatabase, now: Date) async throws {
        try await AccountStore(sql: sql).revokeSession(id, at: now)
    }

    /// The live session of a token, from this process's ``SessionCache`` when it was looked up
    /// in the last few seconds, else from the database (and then cached).
    static func lookup(token: String, app: Application, now: Date) async throws -> SignedIn? {
        guard !token.isEmpty, token.count <= 128 else { return nil }
        let cache = app.sessionCache
        let key = digest(token)
        if let hit = cache.session(key, now: now) { return hit }
        let started = cache.clock()
        guard let found = try await find(token: token, sql: app.sql, now: now) else { return nil }
        cache.store(found, key: key, lookedUpAt: started)
        return found
    }
}

/// Sessions looked up in the last ``ttl`` (5 s), so a signed-in request does not read
/// `auth_sessions` and `users` each time. Keyed by the token's SHA-256 (the token itself is
/// never kept), at most ``capacity`` entries.
///
/// Revocation: signing out, revoking a token and changing or deactivating an account evict
/// the entries at once on this instance (``evict(session:)``, ``evict(user:)``); other
/// instances notice within ``ttl``. An entry is also never used past its session's expiry. A
/// lookup that started before an eviction is not stored, so a request racing a revocation
/// cannot put the old session back.
final class SessionCache: Sendable {
    /// How long an entry is used: 5 s unless made otherwise (tests).
    let ttl: Duration
    static let capacity = 10_000
    /// A monotonic clock (the wall clock may jump): time since an arbitrary start.
    let clock: @Sendable () -> Duration

    init(ttl: Duration = .seconds(5), clock: @escaping @Sendable () -> Duration = SessionCache.uptime) {
        self.ttl = ttl
        self.clock = clock
    }

    private static let start = ContinuousClock.now
    @Sendable static func uptime() -> Duration { ContinuousClock.now - start }

    private struct Entry {
        let session: SignedIn
        let storedAt: Duration
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// When a session or a user's sessions were last evicted (kept for ``ttl``).
        var evicted: [UUID: Duration] = [:]
    }

    private let state = NIOLockedValueBox(State())

    /// The cached session for a token digest, if fresh and not expired at `now`.
    func session(_ key: String, now: Date) -> SignedIn? {
        let tick = self.clock()
        return state.withLockedValue { s in
            guard let e = s.entries[key] else { return nil }
            guard tick - e.storedAt < ttl, e.session.expiresAt > now else {
                s.entries[key] = nil
                return nil
            }
            return e.session
        }
    }

    /// Caches a session read from the database by a lookup that started at `lookedUpAt`.
    func store(_ session: SignedIn, key: String, lookedUpAt: Duration) {
        let tick = self.clock()
        state.withLockedValue { s in
            for id in [session.sessionID, session.account.id] {
                if let at = s.evicted[id], at >= lookedUpAt { return }
            }
            if s.entries.count >= Self.capacity {
                s.entries = s.entries.filter { tick - $0.value.storedAt < ttl }
                if s.entries.count >= Self.capacity { s.entries.removeAll(keepingCapacity: true) }
            }
            s.entries[key] = Entry(session: session, storedAt: tick)
        }
    }

    /// Forgets one session (signed out, token revoked).
    func evict(session id: UUID) { evict(id) { $0.sessionID == id } }

    /// Forgets every session of an account (changed, deactivated, password reset).
    func evict(user id: UUID) { evict(id) { $0.account.id == id } }

    private func evict(_ id: UUID, where matches: (SignedIn) -> Bool) {
        let tick = self.clock()
        state.withLockedValue { s in
            s.entries = s.entries.filter { !matches($0.value.session) }
            s.evicted = s.evicted.filter { tick - $0.value < ttl }
            s.evicted[id] = tick
        }
    }
}

struct SessionCacheKey: StorageKey { typealias Value = SessionCache }

extension Application {
    /// The process's session cache (made in `configure`; without it, nothing is cached).
    var sessionCache: SessionCache { storage[SessionCacheKey.self] ?? SessionCache() }
}

/// Reads the bearer token or the session cookie of every request and sets ``Request/signedIn``.
/// A bearer token that is unknown, revoked or expired is answered 401 at once (a client that
/// sent credentials should learn they failed); a stale cookie is ignored (the pages then ask
/// the browser to sign in again).
struct Authenticator: AsyncMiddleware {
    /// The session the request's credentials name now (bearer token, else session cookie), or
    /// `nil` once it is revoked, expired or its account deactivated: for a long-lived answer
    /// (the live stream) to check again while it runs.
    static func currentSession(of request: Request) async throws -> SignedIn? {
        let now = request.services.now()
        if let bearer = request.headers.bearerAuthorization?.token {
            return try await AuthSessions.lookup(token: bearer, app: request.application, now: now).flatMap { $0.kind == "api" ? $0 : nil }
        }
        guard let cookie = request.cookies[AuthSessions.cookieName]?.string else { return nil }
        return try await AuthSessions.lookup(token: cookie, app: request.application, now: now).flatMap { $0.kind == "web" ? $0 : nil }
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let now = request.services.now()
        if let bearer = request.headers.bearerAuthorization?.token {
            guard let session = try await AuthSessions.lookup(token: bearer, app: request.application, now: now), session.kind == "api" else {
                throw Abort(.unauthorized, headers: ["WWW-Authenticate": "Bearer realm=\"safegrid\", error=\"invalid_token\""],
                            reason: "the token is invalid or has expired; ask POST /api/v1/auth/token for a new one")
            }
            request.signedIn = session
        } else if request.headers.first(name: .authorization) != nil, !request.url.path.hasPrefix("/open311/") {
            throw Abort(.unauthorized, headers: ["WWW-Authenticate": "Bearer realm=\"safegrid\""],
                        reason: "send the token as 'Authorization: Bearer <token>'")
        } else if let cookie = request.cookies[AuthSessions.cookieName]?.string,
                  let session = try await AuthSessions.lookup(token: cookie, app: request.application, now: now), session.kind == "web" {
            request.signedIn = session
            if let until = AuthSessions.renewal(of: session, now: now) {
                return try await renew(session, token: cookie, until: until, request: request, next: next)
            }
        }
        guard let session = request.signedIn else { return try await next.respond(to: request) }
        return try await Layout.$signedIn.withValue(session) { try await next.respond(to: request) }
    }

    /// Moves a web session's expiry to `until` and sends the browser the cookie again with the
    /// new age. Answers as usual when the renewal cannot be stored (the session keeps its
    /// expiry; the next request tries again).
    private func renew(_ session: SignedIn, token: String, until: Date, request: Request, next: any AsyncResponder) async throws -> Response {
        let now = request.services.now()
        var renewed = session
        do {
            try await request.application.writeGate.transaction(on: request.db, changesCampaign: false) { sql in
                try await AccountStore(sql: sql).extendSession(session.sessionID, until: until)
            }
            renewed = SignedIn(account: session.account, sessionID: session.sessionID, kind: session.kind,
                               csrfToken: session.csrfToken, expiresAt: until, createdAt: session.createdAt)
            request.application.sessionCache.evict(session: session.sessionID)
        } catch {
            request.logger.warning("could not renew a web session: \(String(reflecting: error))")
        }
        request.signedIn = renewed
        let response = try await Layout.$signedIn.withValue(renewed) { try await next.respond(to: request) }
        // Signing out in this request already cleared the cookie; do not set it again.
        if renewed.expiresAt == until, response.cookies[AuthSessions.cookieName] == nil {
            response.cookies[AuthSessions.cookieName] = AuthSessions.cookie(token, maxAge: until.timeIntervalSince(now),
                                                                            secure: AccountsController.secureCookies(request))
        }
        return response
    }
}

/// Lets only signed-in requests through; checks the anti-forgery token of cookie-authenticated
/// writes and keeps viewers from writing.
///
/// - API routes: 401 `application/problem+json` with `WWW-Authenticate: Bearer`.
/// - Pages: a browser's GET is sent to `/login?next=…`; anything else is 401.
/// - A write (POST, PUT, PATCH, DELETE) authenticated by the session cookie must carry the
///   session's CSRF token in `X-CSRF-Token` or the form field `_csrf`, else 403. Bearer tokens
///   are not sent by browsers on their own, so they need none.
/// - A write by a role that does not write (``Role/writes``) is 403, unless `allowViewerWrites`
///   (signing out).
struct RequireAccount: AsyncMiddleware {
    var pages = false
    var allowViewerWrites = false

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let session = request.signedIn else {
            if pages, request.method == .GET {
                let target = request.url.path + (request.url.query.map { "?" + $0 } ?? "")
                return request.redirect(to: "/login?next=" + (target.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/"))
            }
            throw Abort(.unauthorized, headers: ["WWW-Authenticate": "Bearer realm=\"safegrid\""],
                        reason: "sign in first: POST /api/v1/auth/token with username and password, then send 'Authorization: Bearer <token>'")
        }
        let writes = ![.GET, .HEAD, .OPTIONS].contains(request.method)
        if writes, session.kind == "web" {
            var sent = request.headers.first(name: "X-CSRF-Token")
            if sent == nil, let type = request.headers.contentType,
               type == .formData || type == .urlEncodedForm {
                // A form's field: a large upload (the ledger page) may still be streaming, so
                // collect it first — up to the ledger upload's limit there, the default elsewhere.
                let max = request.url.path.hasPrefix("/imports") ? ImportsController.maxSize.value
                    : request.application.routes.defaultMaxBodySize.value
                _ = try await request.body.collect(max: max).get()
                sent = try? request.content.get(String.self, at: "_csrf")
            }
            guard let sent, Self.equal(sent, session.csrfToken) else {
                throw Abort(.forbidden, reason: "the form has expired or did not come from SafeGrid (CSRF token missing or wrong); reload the page")
            }
        }
        if writes, !allowViewerWrites, !session.account.role.writes {
            throw Abort(.forbidden, reason: "the role \(session.account.role.rawValue) may only read")
        }
        return try await next.respond(to: request)
    }

    /// Constant-time comparison of two tokens.
    static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// Lets through only roles that pass `allowed` (after ``RequireAccount``); others get 403.
struct RequireRole: AsyncMiddleware {
    let allowed: @Sendable (Role) -> Bool
    let description: String

    static let administrators = RequireRole(allowed: { $0.administers }, description: "district and town admins")

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let role = request.signedIn?.account.role, allowed(role) else {
            throw Abort(.forbidden, reason: "only \(description) may do this")
        }
        return try await next.respond(to: request)
    }
}

extension Request {
    /// Refuses an action on a hazard of another department by a department inspector
    /// (inspectors sign off only their department's items).
    /// - Throws: 403 naming the hazard's department.
    func checkMayAct(onHazard hazard: HazardRow) throws {
        let account = try account()
        let department = Department(rawValue: hazard.department) ?? .fireRescue
        guard account.mayAct(onHazardOf: department) else {
            throw Abort(.forbidden, reason: "hazard \(hazard.itemCode) belongs to \(department.zh) (\(department.rawValue)); a department inspector of \(account.department?.zh ?? "-") may not sign it off")
        }
    }
}

extension Request {
    /// The actor a hazard event records: the name the person gave (a team member may sign off
    /// on the worker's phone) followed by the signed-in account — `李伟（wangge.worker）` — so the
    /// tamper-evident timeline always says whose account made the change. The name is shortened
    /// to keep the whole within ``TextRules/personName``; a blank name stays blank (the rules
    /// refuse it, naming `actor`).
    func recordedActor(_ named: String) throws -> String {
        let name = named.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else { return name }
        let suffix = "（\(try account().username)）"
        return String(name.prefix(max(1, TextRules.personName - suffix.count))) + suffix
    }
}

extension Request {
    /// - Throws: 403 unless the account may order closures (``Account/mayOrderClosure``).
    func checkMayOrderClosure() throws {
        guard try account().mayOrderClosure else {
            throw Abort(.forbidden, reason: "only district and town admins and comprehensive law enforcement (综合执法) inspectors may order a closure (关停)")
        }
    }
}

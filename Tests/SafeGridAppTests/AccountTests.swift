import Foundation
import NIOConcurrencyHelpers
import SafeGridCore
import Testing
import Vapor
import VaporTesting
@testable import SafeGridApp

@Suite("Accounts: sign-in, tokens, lockout, CSRF, last admin")
struct AccountTests {
    func token(_ app: Application, _ username: String, _ password: String) async throws -> Reply {
        try await app.send(.POST, "/api/v1/auth/token", object: ["username": username, "password": password], token: "")
    }

    @Test func aTokenSignsInAndSignsOut() async throws {
        try await withSafeGrid { app in
            try await makeAccount(app, "guali.admin", role: .townAdmin, area: BundledAreas.gualiTownCode)
            let r = try await token(app, " Guali.Admin ", testPassword)
            #expect(r.status == .created, "\(r.body)")
            let issued = try r.decoded(AccountsController.TokenDTO.self)
            #expect(issued.tokenType == "Bearer")
            #expect(issued.expiresIn == 43_200)
            #expect(r.headers.first(name: .cacheControl) == "no-store")
            let t = issued.token
            let me = try await app.send(.GET, "/api/v1/auth/me", token: t)
            let account = try me.decoded(AccountDTO.self)
            #expect(account.username == "guali.admin")
            #expect(account.role == "townAdmin")
            #expect(try await app.send(.DELETE, "/api/v1/auth/token", token: t).status == .noContent)
            let after = try await app.send(.GET, "/api/v1/auth/me", token: t)
            #expect(after.status == .unauthorized)
            #expect(after.headers.first(name: .wwwAuthenticate)?.hasPrefix("Bearer") == true)
        }
    }

    @Test func anExpiredTokenIsRefused() async throws {
        try await withSafeGrid { app in
            let t = try await makeAccount(app, "late.worker", role: .viewer, area: BundledAreas.gualiTownCode)
            #expect(try await app.send(.GET, "/api/v1/auth/me", token: t).status == .ok)
            app.services.now = { testNow.addingTimeInterval(12 * 3600 + 1) }
            let r = try await app.send(.GET, "/api/v1/subjects", token: t)
            #expect(r.status == .unauthorized)
            #expect(r.body.contains("expired"))
            #expect(try await app.send(.GET, "/api/v1/subjects", headers: ["Authorization": "Basic dXNlcjpwYXNz"], token: app.adminToken).status == .unauthorized)
        }
    }

    @Test func wrongPasswordsLockTheNameWithoutTellingWhetherItExists() async throws {
        try await withSafeGrid { app in
            try await makeAccount(app, "grid.worker", role: .viewer, area: BundledAreas.gualiTownCode)
            var known: [Reply] = []
            var unknown: [Reply] = []
            for _ in 0..<5 {
                known.append(try await token(app, "grid.worker", "wrong password"))
                unknown.append(try await token(app, "nobody.here", "wrong password"))
            }
            #expect(known.allSatisfy { $0.status == .unauthorized })
            #expect(unknown.allSatisfy { $0.status == .unauthorized })
            #expect(try known[0].problem().detail == unknown[0].problem().detail)
            // The sixth attempt is refused even with the right password, for 15 minutes.
            let locked = try await token(app, "grid.worker", testPassword)
            #expect(locked.status == .tooManyRequests)
            #expect(locked.headers.first(name: "Retry-After") == "900")
            let lockedUnknown = try await token(app, "nobody.here", testPassword)
            #expect(lockedUnknown.status == .tooManyRequests)
            app.services.now = { testNow.addingTimeInterval(15 * 60 + 1) }
            #expect(try await token(app, "grid.worker", testPassword).status == .created)
            // Bad bodies name the field.
            let missing = try await app.send(.POST, "/api/v1/auth/token", object: ["username": "x"], token: "")
            #expect(missing.status == .unprocessableEntity)
            #expect(try missing.problem().field == "password")
        }
    }

    @Test func oneAddressTryingManyNamesIsSlowedDown() async throws {
        try await withSafeGrid { app in
            var statuses: [HTTPStatus] = []
            for i in 0..<31 { statuses.append(try await token(app, "sprayed.\(i)", "Summer2026!").status) }
            #expect(statuses.prefix(30).allSatisfy { $0 == .unauthorized })
            #expect(statuses.last == .tooManyRequests)
            // Correct passwords from one address (an office behind one NAT) never count.
            try await makeAccount(app, "office.user", role: .viewer, area: BundledAreas.gualiTownCode)
            app.services.now = { testNow.addingTimeInterval(5 * 60) }
            for _ in 0..<40 { #expect(try await token(app, "office.user", testPassword).status == .created) }
            #expect(try await token(app, "sprayed.31", "Summer2026!").status == .unauthorized)
        }
    }

    @Test func aViewerOnlyReads() async throws {
        try await withSafeGrid { app in
            let t = try await makeAccount(app, "screen", role: .viewer, area: BundledAreas.gualiTownCode)
            let mg = try await addMicroGrid(app)
            let r = try await app.send(.POST, "/api/v1/subjects", object: enterpriseBody(microGrid: mg, credit: creditCode("MA2AB3CD")), token: t)
            #expect(r.status == .forbidden)
            #expect(try await app.send(.GET, "/api/v1/subjects", token: t).decoded(Page<SubjectDTO>.self).total == 0)
        }
    }

    @Test func theLastDistrictAdminCannotDemoteThemselves() async throws {
        try await withSafeGrid { app in
            let me = try await app.send(.GET, "/api/v1/auth/me", token: app.adminToken)
            let id = try me.decoded(AccountDTO.self).id
            let demote = try await app.send(.PATCH, "/api/v1/users/\(id)", object: ["role": "viewer", "areaCode": BundledAreas.districtCode], token: app.adminToken)
            #expect(demote.status == .conflict)
            #expect(try demote.problem().field == "role")
            let deactivate = try await app.send(.PATCH, "/api/v1/users/\(id)", object: ["active": false], token: app.adminToken)
            #expect(deactivate.status == .conflict)
            // With a second district admin it may.
            let second = try await app.send(.POST, "/api/v1/users", object: [
                "username": "qu.admin2", "password": "another secret 7", "role": "districtAdmin", "areaCode": BundledAreas.districtCode], token: app.adminToken)
            #expect(second.status == .created, "\(second.body)")
            let ok = try await app.send(.PATCH, "/api/v1/users/\(id)", object: ["role": "viewer", "areaCode": BundledAreas.districtCode], token: app.adminToken)
            #expect(ok.status == .ok, "\(ok.body)")
            // Demotion ends the sessions: the old token no longer works.
            #expect(try await app.send(.GET, "/api/v1/auth/me", token: app.adminToken).status == .unauthorized)
            // The last admin of a town cannot deactivate themselves either.
            let town = try await makeAccount(app, "only.town", role: .townAdmin, area: BundledAreas.gualiTownCode)
            let townID = try await app.send(.GET, "/api/v1/auth/me", token: town).decoded(AccountDTO.self).id
            let quit = try await app.send(.PATCH, "/api/v1/users/\(townID)", object: ["active": false], token: town)
            #expect(try quit.status == .conflict && quit.problem().field == "active")
        }
    }

    @Test func accountsAreCheckedAndTownAdminsStayInTheirTown() async throws {
        try await withSafeGrid { app in
            let town = try await makeAccount(app, "guali.admin", role: .townAdmin, area: BundledAreas.gualiTownCode)
            let village = "330109113201"
            func make(_ body: [String: Any], _ t: String? = nil) async throws -> Reply { try await app.send(.POST, "/api/v1/users", object: body, token: t ?? app.adminToken) }
            let ok = try await make(["username": "v.officer", "password": "village pass 1", "role": "villageOfficer", "areaCode": village], town)
            #expect(ok.status == .created, "\(ok.body)")
            #expect(try await make(["username": "v.officer", "password": "village pass 1", "role": "villageOfficer", "areaCode": village]).status == .conflict)
            let wrongLevel = try await make(["username": "g.w", "password": "grid pass 123", "role": "gridWorker", "areaCode": village])
            #expect(try wrongLevel.status == .unprocessableEntity && wrongLevel.problem().field == "areaCode")
            let noDept = try await make(["username": "dept.x", "password": "inspector 123", "role": "departmentInspector", "areaCode": BundledAreas.gualiTownCode])
            #expect(try noDept.problem().field == "department")
            let short = try await make(["username": "shorty", "password": "short", "role": "viewer", "areaCode": village])
            #expect(try short.problem().field == "password")
            let badName = try await make(["username": "王 五", "password": "long enough 1", "role": "viewer", "areaCode": village])
            #expect(try badName.problem().field == "username")
            // A town admin may not make a district admin, nor reach another town.
            #expect(try await make(["username": "up.admin", "password": "long enough 1", "role": "districtAdmin", "areaCode": BundledAreas.districtCode], town).status == .unprocessableEntity)
            let users = try await app.send(.GET, "/api/v1/users", token: town)
            #expect(Set(try users.decoded([AccountDTO].self).map(\.username)) == ["guali.admin", "v.officer"])
            // Raw: no member of the answer may carry a password (AccountDTO has none to decode).
            #expect(!users.body.contains("password"))
        }
    }

    @Test func webSignInSetsASessionAndFormsNeedTheirCSRFToken() async throws {
        try await withSafeGrid { app in
            try await makeAccount(app, "guali.admin", role: .townAdmin, area: BundledAreas.gualiTownCode)
            // A page without a session goes to the sign-in form.
            let page = try await app.send(.GET, "/subjects/x", token: "")
            #expect(page.status == .seeOther)
            let form = try await app.send(.GET, "/login", token: "")
            #expect(form.status == .ok && form.body.contains("name=\"_csrf\""))
            let cookie = try #require(form.headers.setCookie?[AccountsController.loginCSRFCookie]?.string)
            func post(_ fields: String, cookie: String?) async throws -> Reply {
                var h: HTTPHeaders = ["Content-Type": "application/x-www-form-urlencoded"]
                if let cookie { h.add(name: .cookie, value: cookie) }
                let r = try await app.testing().sendRequest(.POST, "/login", headers: h, body: ByteBuffer(string: fields))
                return Reply(status: r.status, headers: r.headers, body: r.body.string)
            }
            // Without the form's token: refused, no session.
            let forged = try await post("username=guali.admin&password=\(testPassword.replacingOccurrences(of: " ", with: "+"))", cookie: nil)
            #expect(forged.status == .forbidden)
            #expect(forged.headers.setCookie?[AuthSessions.cookieName] == nil)
            let wrong = try await post("username=guali.admin&password=nope&_csrf=\(cookie)", cookie: "\(AccountsController.loginCSRFCookie)=\(cookie)")
            #expect(wrong.status == .unauthorized && wrong.body.contains("用户名或密码错误"))
            let ok = try await post("username=guali.admin&password=\(testPassword.replacingOccurrences(of: " ", with: "+"))&_csrf=\(cookie)&next=%2Fmessages",
                                    cookie: "\(AccountsController.loginCSRFCookie)=\(cookie)")
            #expect(ok.status == .seeOther)
            #expect(ok.headers.first(name: .location) == "/messages")
            let session = try #require(ok.headers.setCookie?[AuthSessions.cookieName])
            #expect(session.isHTTPOnly && session.sameSite == .lax)
            let sessionCookie = "\(AuthSessions.cookieName)=\(session.string)"
            // The session opens pages and reads the API; a write needs the session's CSRF token.
            let home = try await app.testing().sendRequest(.GET, "/messages", headers: ["Cookie": sessionCookie])
            #expect(home.status == .ok && home.body.string.contains("guali.admin"))
            let csrf = try #require(home.body.string.range(of: "name=\"_csrf\" value=\"").map { r in
                String(home.body.string[r.upperBound...].prefix { $0 != "\"" }) })
            let mg = try await addMicroGrid(app)
            let body = try JSONSerialization.data(withJSONObject: enterpriseBody(microGrid: mg, credit: creditCode("MA2AB3CD")))
            let noToken = try await app.testing().sendRequest(.POST, "/api/v1/subjects", headers: ["Cookie": sessionCookie, "Content-Type": "application/json"],
                                                              body: ByteBuffer(data: body))
            #expect(noToken.status == .forbidden)
            let withToken = try await app.testing().sendRequest(.POST, "/api/v1/subjects", headers: [
                "Cookie": sessionCookie, "Content-Type": "application/json", "X-CSRF-Token": csrf], body: ByteBuffer(data: body))
            #expect(withToken.status == .created)
            // The ledger upload page's form carries the token, and a real multipart upload passes.
            let imports = try await app.testing().sendRequest(.GET, "/imports", headers: ["Cookie": sessionCookie])
            #expect(imports.body.string.contains("name=\"_csrf\" value=\"\(csrf)\""))
            var multipart = ByteBuffer()
            let csv = "类型,名称,地址,村(社区),联系人,联系电话\r\n" + String(repeating: "沿街店铺,测试店,航坞路1号,不存在村,王五,13800000009\r\n", count: 60)
            multipart.writeString("--sgB\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nsubjects\r\n")
            multipart.writeString("--sgB\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\n\(csv)\r\n")
            multipart.writeString("--sgB\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n\(csrf)\r\n--sgB--\r\n")
            let upload = try await app.testing().sendRequest(.POST, "/imports", headers: [
                "Cookie": sessionCookie, "Content-Type": "multipart/form-data; boundary=sgB"], body: multipart)
            #expect(upload.status == .seeOther, "\(upload.body.string.prefix(300))")
            // Sign-out without the token is refused; with it, the session ends.
            let h: HTTPHeaders = ["Cookie": sessionCookie, "Content-Type": "application/x-www-form-urlencoded"]
            #expect(try await app.testing().sendRequest(.POST, "/logout", headers: h, body: ByteBuffer(string: "")).status == .forbidden)
            let out = try await app.testing().sendRequest(.POST, "/logout", headers: h, body: ByteBuffer(string: "_csrf=\(csrf)"))
            #expect(out.status == .seeOther)
            #expect(try await app.testing().sendRequest(.GET, "/messages", headers: ["Cookie": sessionCookie]).status == .seeOther)
            // An open redirect is not possible through `next`.
            #expect(AccountsController.safeNext("//evil.example/x") == "/")
            #expect(AccountsController.safeNext("https://evil.example") == "/")
            #expect(AccountsController.safeNext("/\t/evil.example") == "/")
            #expect(AccountsController.safeNext("/\\evil.example") == "/")
            #expect(AccountsController.safeNext("/subjects/1?x=2") == "/subjects/1?x=2")
        }
    }

    @Test func aWebSessionInUseIsRenewedForUpToSevenDaysAndABearerTokenIsNot() async throws {
        let clock = NIOLockedValueBox(testNow)
        try await withApp(configure: { app in
            try await configure(app, storage: .sqliteMemory, services: SafeGridServices(now: { clock.withLockedValue { $0 } }))
        }, { app in
            let bearer = try await makeAccount(app, "wall.viewer", role: .viewer, area: BundledAreas.gualiTownCode)
            let account = try #require(try await AccountStore(sql: app.sql).user(username: "wall.viewer")).account
            let token = try await AuthSessions.open(account, kind: "web", sql: app.sql, now: testNow).token
            func me(atHour hours: Double, bearer: String? = nil) async throws -> (status: HTTPStatus, cookie: HTTPCookies.Value?) {
                clock.withLockedValue { $0 = testNow.addingTimeInterval(hours * 3600) }
                let headers: HTTPHeaders = bearer.map { ["Authorization": "Bearer \($0)"] } ?? ["Cookie": "\(AuthSessions.cookieName)=\(token)"]
                let r = try await app.testing().sendRequest(.GET, "/api/v1/auth/me", headers: headers)
                return (r.status, r.headers.setCookie?[AuthSessions.cookieName])
            }
            // With more than half of its 12 hours left the session keeps its expiry.
            let fresh = try await me(atHour: 1)
            #expect(fresh.status == .ok && fresh.cookie == nil)
            // Used 7 h after opening: now + 12 h, and the browser gets the cookie again with that age.
            let renewed = try await me(atHour: 7)
            #expect(renewed.status == .ok)
            #expect(renewed.cookie?.string == token && renewed.cookie?.maxAge == 12 * 3600 && renewed.cookie?.isHTTPOnly == true)
            // A wall asking every 8 hours stays signed in all week (the last renewal stops at 168 h).
            var hour = 15.0
            while hour <= 167 {
                #expect(try await me(atHour: hour).status == .ok, "hour \(hour)")
                hour += 8
            }
            let last = try await me(atHour: 167.5)
            #expect(last.status == .ok && last.cookie == nil, "already renewed to its limit at 167 h")
            // Seven days after opening it ends, used or not.
            #expect(try await me(atHour: 168.5).status == .unauthorized)
            // A bearer token is never renewed: 13 h after it was made it is gone.
            #expect(try await me(atHour: 0, bearer: bearer).status == .ok)
            #expect(try await me(atHour: 11, bearer: bearer).status == .ok)
            #expect(try await me(atHour: 13, bearer: bearer).status == .unauthorized)
        })
    }
}

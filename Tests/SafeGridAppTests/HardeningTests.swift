import Foundation
import NIOConcurrencyHelpers
import NIOCore
import SQLKit
import SafeGridCore
import SafeGridLedger
import Testing
import Vapor
@testable import SafeGridApp

/// Shared steps of the hardening tests. Every request names the account it acts as.
enum Hardening {
    static func admin(_ app: Application, _ name: String = "h.admin") async throws -> String {
        try await makeAccount(app, name, role: .districtAdmin, area: BundledAreas.districtCode)
    }

    /// An enterprise in a test micro-grid, made by `token`'s account; answers its id.
    static func subject(_ app: Application, token: String, serial: String = "MA2AB3CD") async throws -> String {
        let mg = try await addMicroGrid(app)
        let r = try await app.send(.POST, "/api/v1/subjects", object: enterpriseBody(microGrid: mg, credit: creditCode(serial)), token: token)
        #expect(r.status == .created, "\(r.body)")
        return try r.decoded(SubjectDTO.self).id.uuidString
    }

    static func count(_ app: Application, _ table: String) async throws -> Int {
        try await app.sql.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first()?.decode(column: "n", as: Int.self) ?? -1
    }
}

@Suite("Ledger upload limits over HTTP")
struct ImportLimitTests {
    @Test func aSheetWiderThan256ColumnsIsA422NamingTheFile() async throws {
        try await withSafeGrid { app in
            let token = try await Hardening.admin(app)
            let header = (1...300).map { "列\($0)" }
            let xlsx = try XLSXWriter.write([LedgerSheet(name: "主体", header: header, rows: [header.map { _ in LedgerValue.text("x") }])])
            var headers: HTTPHeaders = ["Content-Type": "application/octet-stream"]
            headers.bearerAuthorization = BearerAuthorization(token: token)
            let r = try await app.testing().sendRequest(.POST, "/api/v1/imports?kind=subjects&dryRun=true", headers: headers, body: ByteBuffer(data: xlsx))
            #expect(r.status == .unprocessableEntity)
            #expect(r.headers.first(name: .contentType)?.hasPrefix("application/problem+json") == true)
            let problem = try Reply(status: r.status, headers: r.headers, body: r.body.string).problem()
            #expect(problem.field == "file")
            #expect(problem.extra["problem"] == "tooLarge")
            #expect(problem.detail.hasPrefix("cell IW1 holds a value in column 257; a ledger sheet may use at most 256 columns") == true, "\(problem)")
            #expect(try await Hardening.count(app, "ledger_imports") == 0)
        }
    }
}

@Suite("Inspections: department rule and the recorded account")
struct InspectionSignOffTests {
    @Test func aFireInspectorCannotFixAChemicalHazardOnTheSpot() async throws {
        try await withSafeGrid { app in
            let admin = try await Hardening.admin(app)
            let fire = try await makeAccount(app, "fire.insp", role: .departmentInspector, area: BundledAreas.gualiTownCode, department: .fireRescue)
            let subject = try await Hardening.subject(app, token: admin)
            let first = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(
                subject: subject, at: "2026-11-30T09:00:00+08:00", results: [["itemCode": "CHEM-01", "outcome": "hazard"]]), token: admin)
            #expect(first.status == .created, "\(first.body)")
            let chem = try first.decoded(InspectionDTO.self).hazards.first?.id.uuidString ?? ""

            let bypass = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(
                subject: subject, at: "2026-11-30T09:30:00+08:00",
                results: [["itemCode": "ELEC-01", "outcome": "pass"], ["itemCode": "CHEM-01", "outcome": "hazard", "rectifiedOnSite": true]]),
                token: fire)
            #expect(bypass.status == .forbidden, "\(bypass.body)")
            let refusal = try bypass.problem()
            #expect(refusal.field == "results[1].rectifiedOnSite")
            #expect(refusal.detail == "item CHEM-01 belongs to 应急管理 (emergencyManagement); a department inspector of 消防救援 may not sign it off as fixed on the spot")
            let hazard = try await app.send(.GET, "/api/v1/hazards/\(chem)", token: admin)
            #expect(try hazard.decoded(HazardDTO.self).state == "open")
            #expect(try await Hardening.count(app, "inspections") == 1)
            #expect(try await Hardening.count(app, "hazard_events") == 1)

            // The fire inspector's own item, fixed on the spot: accepted, and recorded under the account.
            let own = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(
                subject: subject, at: "2026-11-30T09:40:00+08:00",
                results: [["itemCode": "ELEC-01", "outcome": "hazard", "rectifiedOnSite": true]]), token: fire)
            #expect(own.status == .created, "\(own.body)")
            let ownDTO = try own.decoded(InspectionDTO.self)
            #expect(ownDTO.inspector == "李伟（fire.insp）")
            #expect(ownDTO.team.map(\.name) == ["李伟", "张敏"])
            let stored = try await app.send(.GET, "/api/v1/inspections/\(ownDTO.id.uuidString)", token: admin)
            #expect(try stored.decoded(InspectionDTO.self).inspector == "李伟（fire.insp）")
            let elec = ownDTO.hazards.first?.id.uuidString ?? ""
            let actors = try await app.sql.raw("SELECT actor FROM hazard_events WHERE hazard_id = \(bind: UUID(uuidString: elec) ?? UUID()) ORDER BY seq")
                .all().map { try $0.decode(column: "actor", as: String.self) }
            #expect(actors == ["李伟（fire.insp）", "李伟（fire.insp）"])
        }
    }
}

/// Bcrypt (cost 4) that counts its checks.
struct CountingHasher: PasswordHasher {
    let checks: NIOLockedValueBox<Int>

    func hash<Password: DataProtocol>(_ password: Password) throws -> [UInt8] {
        Array(try Bcrypt.hash(String(decoding: Array(password), as: UTF8.self), cost: 4).utf8)
    }

    func verify<Password: DataProtocol, Digest: DataProtocol>(_ password: Password, created digest: Digest) throws -> Bool {
        checks.withLockedValue { $0 += 1 }
        return try Bcrypt.verify(String(decoding: Array(password), as: UTF8.self), created: String(decoding: Array(digest), as: UTF8.self))
    }
}

@Suite("Sign-in: attempts counted before Bcrypt, client address, session cache")
struct SignInHardeningTests {
    func signIn(_ app: Application, _ username: String, _ password: String, headers: HTTPHeaders = [:]) async throws -> Reply {
        try await app.send(.POST, "/api/v1/auth/token", object: ["username": username, "password": password], headers: headers, token: "")
    }

    @Test func fiftyParallelGuessesReachBcryptOnlyFiveTimes() async throws {
        try await withSafeGrid { app in
            try await makeAccount(app, "target.user", role: .viewer, area: BundledAreas.gualiTownCode)
            let checks = NIOLockedValueBox(0)
            app.passwords.use { _ in CountingHasher(checks: checks) }
            let statuses = try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                for i in 0..<50 {
                    group.addTask { try await signIn(app, "target.user", "wrong guess \(i)").status }
                }
                return try await group.reduce(into: [HTTPStatus]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .unauthorized }.count == 5)
            #expect(statuses.filter { $0 == .tooManyRequests }.count == 45)
            #expect(checks.withLockedValue { $0 } == 5)
            let failures = try await app.sql.select().column("failures").from("login_failures")
                .where("username", .equal, SQLBind("target.user")).first()?.decode(column: "failures", as: Int.self)
            #expect(failures == 5)
            // Still locked for the right password, without a check.
            #expect(try await signIn(app, "target.user", testPassword).status == .tooManyRequests)
            #expect(checks.withLockedValue { $0 } == 5)
        }
    }

    @Test func aRightPasswordTakesItsCountBackAndBcryptHasItsOwnThreads() async throws {
        try await withSafeGrid { app in
            try await makeAccount(app, "right.user", role: .viewer, area: BundledAreas.gualiTownCode)
            for _ in 0..<3 { #expect(try await signIn(app, "right.user", "wrong password").status == .unauthorized) }
            #expect(try await signIn(app, "right.user", testPassword).status == .created)
            #expect(try await app.sql.select().column("failures").from("login_failures").where("username", .equal, SQLBind("right.user")).first() == nil)
            #expect(ObjectIdentifier(app.passwordThreads) != ObjectIdentifier(app.threadPool))
        }
    }

    @Test func theAddressComesFromAProxyHeaderOnlyWhenThePeerIsTheTrustedProxy() async throws {
        var proxies = TrustedProxies()
        #expect(proxies.clientAddress(peer: "198.51.100.7", headers: ["X-Forwarded-For": "203.0.113.9"]) == "198.51.100.7")
        #expect(proxies.clientAddress(peer: nil, headers: ["X-Forwarded-For": "203.0.113.9"]) == "unknown")
        proxies.addresses = try IPRange.list("10.0.0.1, 10.0.1.0/24")
        // From the proxy: the right-most address that is not a trusted proxy.
        #expect(proxies.clientAddress(peer: "10.0.0.1", headers: ["X-Forwarded-For": "1.2.3.4, 203.0.113.9, 10.0.1.5"]) == "203.0.113.9")
        #expect(proxies.clientAddress(peer: "10.0.0.1", headers: [:]) == "10.0.0.1")
        #expect(proxies.clientAddress(peer: "10.0.0.1", headers: ["X-Forwarded-For": "not-an-address"]) == "10.0.0.1")
        // Not from the proxy: the header is ignored.
        #expect(proxies.clientAddress(peer: "198.51.100.7", headers: ["X-Forwarded-For": "203.0.113.9"]) == "198.51.100.7")
        proxies.header = "X-Real-IP"
        #expect(proxies.clientAddress(peer: "10.0.0.1", headers: ["X-Real-IP": "203.0.113.10", "X-Forwarded-For": "1.1.1.1"]) == "203.0.113.10")
        #expect(throws: ConfigurationError.self) { try Settings.fromEnvironment(["SAFEGRID_TRUSTED_PROXY": "10.0.0.0/33"]) }
        #expect(try Settings.fromEnvironment(["SAFEGRID_TRUSTED_PROXY": "10.0.0.5"]).proxies.addresses == [IPRange("10.0.0.5/32")!])

        try await withSafeGrid { app in
            app.settings.proxies = proxies
            let viaProxy = Request(application: app, method: .POST, url: "/api/v1/auth/token", headers: ["X-Real-IP": "203.0.113.10"],
                                   remoteAddress: try SocketAddress(ipAddress: "10.0.1.20", port: 4000), on: app.eventLoopGroup.next())
            #expect(viaProxy.clientAddress == "203.0.113.10")
            let direct = Request(application: app, method: .POST, url: "/api/v1/auth/token", headers: ["X-Real-IP": "203.0.113.10"],
                                 remoteAddress: try SocketAddress(ipAddress: "198.51.100.7", port: 4000), on: app.eventLoopGroup.next())
            #expect(direct.clientAddress == "198.51.100.7")

            // A client that is not the proxy cannot escape the per-address limit by inventing headers.
            app.settings.proxies = TrustedProxies()
            for i in 0..<SignInAttempts.limit {
                let r = try await signIn(app, "sprayed\(i)", "wrong password", headers: ["X-Forwarded-For": "192.0.2.\(i)", "X-Real-IP": "192.0.2.\(i)"])
                #expect(r.status == .unauthorized)
            }
            let refused = try await signIn(app, "sprayed.last", "wrong password", headers: ["X-Forwarded-For": "192.0.2.200"])
            #expect(refused.status == .tooManyRequests)
            #expect(try refused.problem().detail.contains("too many sign-in attempts from this address") == true)
        }
    }

    @Test func aRevokedOrDeactivatedSessionIsRefusedAtOnceDespiteTheCache() async throws {
        try await withSafeGrid { app in
            // A cache that outlives the test even on a loaded machine (the default keeps 5 s):
            // what is refused below is refused by eviction, not by expiry.
            app.storage[SessionCacheKey.self] = SessionCache(ttl: .seconds(600))
            let admin = try await Hardening.admin(app)
            try await makeAccount(app, "cached.user", role: .viewer, area: BundledAreas.gualiTownCode)
            let token = try await signIn(app, "cached.user", testPassword).decoded(AccountsController.TokenDTO.self).token
            let me = try await app.send(.GET, "/api/v1/auth/me", token: token)
            #expect(me.status == .ok)
            #expect(app.sessionCache.session(AuthSessions.digest(token), now: testNow)?.account.username == "cached.user")
            #expect(try await app.send(.DELETE, "/api/v1/auth/token", token: token).status == .noContent)
            #expect(try await app.send(.GET, "/api/v1/auth/me", token: token).status == .unauthorized)

            // Deactivated by an admin: refused at once.
            let second = try await signIn(app, "cached.user", testPassword).decoded(AccountsController.TokenDTO.self).token
            #expect(try await app.send(.GET, "/api/v1/auth/me", token: second).status == .ok)
            let id = try await app.send(.GET, "/api/v1/auth/me", token: second).decoded(AccountDTO.self).id
            #expect(try await app.send(.PATCH, "/api/v1/users/\(id)", object: ["active": false], token: admin).status == .ok)
            #expect(try await app.send(.GET, "/api/v1/auth/me", token: second).status == .unauthorized)
        }
    }

    @Test func anotherInstancesRevocationTakesEffectWithinTheTTL() async throws {
        try await withSafeGrid { app in
            let elapsed = NIOLockedValueBox(Duration.zero)
            app.storage[SessionCacheKey.self] = SessionCache(ttl: .seconds(5), clock: { elapsed.withLockedValue { $0 } })
            let token = try await makeAccount(app, "other.instance", role: .viewer, area: BundledAreas.gualiTownCode)
            #expect(try await app.send(.GET, "/api/v1/auth/me", token: token).status == .ok)
            // Revoked in the database only, as another instance would: the cached session serves until the TTL.
            try await app.sql.update("auth_sessions").set("revoked_at", to: SQLBind(testNow))
                .where("token_sha256", .equal, SQLBind(AuthSessions.digest(token))).run()
            elapsed.withLockedValue { $0 = .milliseconds(4_900) }
            #expect(try await app.send(.GET, "/api/v1/auth/me", token: token).status == .ok)
            elapsed.withLockedValue { $0 = .seconds(5) }
            #expect(try await app.send(.GET, "/api/v1/auth/me", token: token).status == .unauthorized)
        }
    }
}

/// A receiver on 127.0.0.1: `/hook` answers as told, `/landed` counts visits (a redirect's target).
final class LoopbackReceiver: Sendable {
    enum Mode: Sendable { case accept, fail, redirect }
    let app: Application
    let port: Int
    let hooks = NIOLockedValueBox(0)
    let landed = NIOLockedValueBox(0)
    let mode = NIOLockedValueBox(Mode.accept)

    private init(app: Application, port: Int) {
        self.app = app
        self.port = port
    }

    static func start() async throws -> LoopbackReceiver {
        let app = try await Application.make(.testing)
        app.logger.logLevel = .warning
        let box = NIOLockedValueBox<LoopbackReceiver?>(nil)
        app.post("hook") { req -> Response in
            guard let me = box.withLockedValue({ $0 }) else { return Response(status: .serviceUnavailable) }
            me.hooks.withLockedValue { $0 += 1 }
            switch me.mode.withLockedValue({ $0 }) {
            case .accept: return Response(status: .noContent)
            case .fail: return Response(status: .internalServerError, body: .init(string: "stack trace: db password hunter2 at 10.0.0.7"))
            case .redirect:
                let r = Response(status: .found)
                r.headers.replaceOrAdd(name: .location, value: "http://127.0.0.1:\(me.port)/landed")
                return r
            }
        }
        app.on(.POST, "landed") { req -> HTTPStatus in
            box.withLockedValue { $0 }?.landed.withLockedValue { $0 += 1 }
            return .noContent
        }
        app.get("landed") { req -> HTTPStatus in
            box.withLockedValue { $0 }?.landed.withLockedValue { $0 += 1 }
            return .noContent
        }
        try await app.asyncBoot()
        try await app.server.start(address: .hostname("127.0.0.1", port: 0))
        let me = LoopbackReceiver(app: app, port: app.http.server.shared.localAddress?.port ?? 0)
        box.withLockedValue { $0 = me }
        return me
    }

    func shutdown() async {
        await app.server.shutdown()
        try? await app.asyncShutdown()
    }
}

@Suite("Webhooks go only to allowed addresses")
struct WebhookAddressTests {
    @Test func literalInternalAddressesAreRefusedAtCreation() async throws {
        try await withSafeGrid { app in
            let admin = try await Hardening.admin(app)
            let refused: [(String, String)] = [
                ("http://127.0.0.1:8080/h", "a loopback address (127.0.0.1)"), ("http://10.1.2.3/h", "a private address (10.1.2.3)"),
                ("http://172.16.5.4/h", "a private address (172.16.5.4)"), ("https://192.168.1.1/h", "a private address (192.168.1.1)"),
                ("http://100.64.0.9/h", "a shared (carrier-grade NAT) address (100.64.0.9)"),
                ("http://169.254.169.254/latest/meta-data", "a link-local address (169.254.169.254)"),
                ("http://0.0.0.0:80/h", "a unspecified address (0.0.0.0)"), ("http://224.0.0.1/h", "a multicast address (224.0.0.1)"),
                ("http://[::1]:8080/h", "a loopback address (::1)"), ("http://[fd00::1]/h", "a unique local address (fd00::1)"),
                ("http://[fe80::1]/h", "a link-local address (fe80::1)"), ("http://[::ffff:127.0.0.1]/h", "a loopback address (::ffff:127.0.0.1)"),
                ("http://2130706433/h", "a loopback address (127.0.0.1)"), ("http://0x7f.1/h", "a loopback address (127.0.0.1)"),
                ("http://localhost:8080/h", "localhost (a loopback address)"), ("http://LOCALHOST./h", "localhost (a loopback address)"),
            ]
            for (url, what) in refused {
                let r = try await app.send(.POST, "/api/v1/webhooks", object: ["url": url], token: admin)
                #expect(r.status == .unprocessableEntity, "\(url): \(r.status)")
                let problem = try r.problem()
                #expect(problem.field == "url")
                #expect(problem.detail == "url points at \(what); webhooks go only to public addresses (an intranet receiver must be listed in SAFEGRID_WEBHOOK_ALLOW)", "\(url)")
            }
            #expect(try await Hardening.count(app, "webhook_subscriptions") == 0)
            // A public address and a name pass creation (a name is judged when delivering).
            #expect(try await app.send(.POST, "/api/v1/webhooks", object: ["url": "https://203.0.113.5/h"], token: admin).status == .created)
            #expect(try await app.send(.POST, "/api/v1/webhooks", object: ["url": "https://hooks.example.com/h"], token: admin).status == .created)
            // An allowed intranet block passes.
            app.settings.webhooks.policy = WebhookPolicy(allowed: try IPRange.list("10.20.0.0/16"))
            #expect(try await app.send(.POST, "/api/v1/webhooks", object: ["url": "http://10.20.3.4/h"], token: admin).status == .created)
            #expect(try await app.send(.POST, "/api/v1/webhooks", object: ["url": "http://10.21.3.4/h"], token: admin).status == .unprocessableEntity)
            #expect(throws: ConfigurationError.self) { try Settings.fromEnvironment(["SAFEGRID_WEBHOOK_ALLOW": "10.0.0.0/8, intranet"]) }
            // Plain HTTP connects to the checked address; the Host header keeps what was written.
            let loopback = WebhookPolicy(allowed: try IPRange.list("127.0.0.1, ::1"))
            let v6 = try await WebhookTarget.resolve("http://[::1]:9/h?x=1", policy: loopback)
            #expect(v6.connectURL == "http://[::1]:9/h?x=1")
            #expect(v6.hostHeader == "[::1]:9")
            let numeric = try await WebhookTarget.resolve("http://2130706433:9/h", policy: loopback)
            #expect(numeric.connectURL == "http://127.0.0.1:9/h")
            #expect(numeric.hostHeader == "2130706433:9")
        }
    }

    @Test func noDeliveryToARefusedAddressNoRedirectAndOnlyOurOwnErrorText() async throws {
        let receiver = try await LoopbackReceiver.start()
        do {
            try await withSafeGrid { app in
                let admin = try await Hardening.admin(app)
                app.settings.webhooks.policy = WebhookPolicy(allowed: try IPRange.list("127.0.0.1"))
                let made = try await app.send(.POST, "/api/v1/webhooks", object: ["url": "http://127.0.0.1:\(receiver.port)/hook", "from": "beginning"], token: admin)
                #expect(made.status == .created, "\(made.body)")
                let id = try made.decoded(Webhooks.Subscription.self).id.uuidString
                let subject = try await Hardening.subject(app, token: admin)
                #expect(try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: subject), token: admin).status == .created)

                // The allowance withdrawn: the delivery is not attempted.
                app.settings.webhooks.policy = WebhookPolicy()
                #expect(try await Webhooks.pass(app: app, now: testNow) == (0, 1))
                #expect(receiver.hooks.withLockedValue { $0 } == 0)

                // Allowed again; the subscriber redirects: not followed, a failed delivery.
                app.settings.webhooks.policy = WebhookPolicy(allowed: try IPRange.list("127.0.0.1"))
                receiver.mode.withLockedValue { $0 = .redirect }
                #expect(try await Webhooks.pass(app: app, now: testNow.addingTimeInterval(31)) == (0, 1))
                #expect(receiver.hooks.withLockedValue { $0 } == 1)
                #expect(receiver.landed.withLockedValue { $0 } == 0)

                // It fails with a body: only our words are kept.
                receiver.mode.withLockedValue { $0 = .fail }
                #expect(try await Webhooks.pass(app: app, now: testNow.addingTimeInterval(200)) == (0, 1))
                let deliveries = try await app.send(.GET, "/api/v1/webhooks/\(id)/deliveries", token: admin).decoded([Webhooks.Delivery].self)
                #expect(deliveries.map(\.status) == [500, 302, nil])
                #expect(deliveries.map(\.error) == ["answered 500", "answered 302", "refused: the host is a loopback address (127.0.0.1)"])
                let listed = try await app.send(.GET, "/api/v1/webhooks", token: admin).decoded([Webhooks.Subscription].self).first
                #expect(listed?.lastError == "answered 500")

                // A closed port: a generic text, not the client's error.
                receiver.mode.withLockedValue { $0 = .accept }
                try await app.sql.update("webhook_subscriptions").set("url", to: SQLBind("http://127.0.0.1:1/hook")).run()
                #expect(try await Webhooks.pass(app: app, now: testNow.addingTimeInterval(3_600)) == (0, 1))
                #expect(try await app.send(.GET, "/api/v1/webhooks", token: admin).decoded([Webhooks.Subscription].self).first?.lastError == "could not connect or send")

                // Back on the receiver: delivered.
                try await app.sql.update("webhook_subscriptions").set("url", to: SQLBind("http://127.0.0.1:\(receiver.port)/hook")).run()
                #expect(try await Webhooks.pass(app: app, now: testNow.addingTimeInterval(7_200)) == (1, 0))
                #expect(receiver.hooks.withLockedValue { $0 } == 3)
            }
        } catch {
            await receiver.shutdown()
            throw error
        }
        await receiver.shutdown()
    }
}

@Suite("Open311 reads: no inspectors' notes, bounded id lists")
struct Open311ExposureTests {
    @Test func aHazardsDescriptionIsTheChecklistTextNotTheInspectorsNote() async throws {
        try await withSafeGrid { app in
            let admin = try await Hardening.admin(app)
            let subject = try await Hardening.subject(app, token: admin)
            let visit = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(
                subject: subject, results: [["itemCode": "ELEC-01", "outcome": "hazard", "note": "老板王建国说钥匙在13800000000手里"]]), token: admin)
            #expect(visit.status == .created, "\(visit.body)")
            let hazard = try visit.decoded(InspectionDTO.self).hazards.first?.id.uuidString ?? ""
            let checklist = try await app.checklists.current(sql: app.sql)
            let text = try #require(checklist.item("ELEC-01")?.zh)
            // Open311 answers are read raw: their members are named by the GeoReport v2 spec, not by our DTOs.

            let list = try await app.send(.GET, "/open311/v2/requests.json", token: "")
            #expect(list.status == .ok)
            #expect(list.array.map { $0["description"] as? String } == [text])
            #expect(!list.body.contains("王建国") && !list.body.contains("13800000000"))
            let one = try await app.send(.GET, "/open311/v2/requests/\(hazard).json", token: "")
            #expect(one.array.first?["description"] as? String == text)
            let xml = try await app.send(.GET, "/open311/v2/requests.xml", token: "")
            #expect(!xml.body.contains("王建国"))
            let byID = try await app.send(.GET, "/open311/v2/requests.json?service_request_id=\(hazard)", token: "")
            #expect(byID.array.map { $0["description"] as? String } == [text])
        }
    }

    @Test func atMostFiftyIdsPerRequest() async throws {
        try await withSafeGrid { app in
            let fifty = (0..<50).map { _ in UUID().uuidString }.joined(separator: ",")
            // Raw: GeoReport v2 shapes (a list of requests, a list of errors with `code` and `description`).
            let ok = try await app.send(.GET, "/open311/v2/requests.json?service_request_id=\(fifty)", token: "")
            #expect(ok.status == .ok)
            #expect(ok.array.isEmpty)
            let many = (0..<1_000).map { _ in UUID().uuidString }.joined(separator: ",")
            let refused = try await app.send(.GET, "/open311/v2/requests.json?service_request_id=\(many)", token: "")
            #expect(refused.status == .badRequest)
            #expect(refused.array.first?["code"] as? Int == 400)
            #expect(refused.array.first?["description"] as? String == "service_request_id: at most 50 ids per request, got 1000; ask in several requests")
            let xml = try await app.send(.GET, "/open311/v2/requests.xml?service_request_id=\(many)", token: "")
            #expect(xml.status == .badRequest)
            #expect(xml.body.contains("<error>"))
        }
    }
}

@Suite("Evidence uploads are capped per hazard and per link")
struct EvidenceCapTests {
    /// A distinct JPEG (by content) for each `n`.
    static func photo(_ n: Int) -> [UInt8] { tinyJPEG + [UInt8(n & 0xFF), UInt8(n >> 8)] }

    @Test func tenPhotosPerHazardAndThirtyPerLink() async throws {
        try await withSafeGrid { app in
            let admin = try await Hardening.admin(app)
            let subject = try await Hardening.subject(app, token: admin)
            let visit = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: subject, results: [
                ["itemCode": "ELEC-01", "outcome": "hazard"], ["itemCode": "EVAC-01", "outcome": "hazard"],
                ["itemCode": "FIRE-03", "outcome": "hazard"], ["itemCode": "FIRE-04", "outcome": "hazard"]]), token: admin)
            let hazards = try visit.decoded(InspectionDTO.self).hazards.map(\.id.uuidString)
            #expect(hazards.count == 4)
            let subjectID = try #require(UUID(uuidString: subject))
            let link = "/e/" + EvidenceToken(subjectID: subjectID, expiresAt: testNow.addingTimeInterval(7 * 86_400)).signed(key: app.linkSigning.key)
            func upload(_ link: String, _ hazard: String, _ n: Int) async throws -> Reply {
                try await app.upload("\(link)/hazards/\(hazard)/evidence", multipart([("photo", "p.jpg", "image/jpeg", Self.photo(n))]))
            }

            for n in 0..<10 { #expect(try await upload(link, hazards[0], n).status == .created) }
            let eleventh = try await upload(link, hazards[0], 10)
            #expect(eleventh.status == .conflict, "\(eleventh.body)")
            let perHazard = try eleventh.problem()
            #expect(perHazard.field == "photo")
            #expect(perHazard.extra["limit"] == "10")
            #expect(perHazard.detail.contains("this link has taken 10 photos for this hazard") == true)
            // The same photo again is no new photo: accepted, stored once.
            #expect(try await upload(link, hazards[0], 3).status == .created)
            for n in 100..<110 { #expect(try await upload(link, hazards[1], n).status == .created) }
            for n in 200..<210 { #expect(try await upload(link, hazards[2], n).status == .created) }
            let thirtyFirst = try await upload(link, hazards[3], 300)
            #expect(thirtyFirst.status == .conflict, "\(thirtyFirst.body)")
            let perLink = try thirtyFirst.problem()
            #expect(perLink.extra["limit"] == "30")
            #expect(perLink.detail.contains("this link has taken 30 photos") == true)
            #expect(try await Hardening.count(app, "evidence") == 30)
            // The refused upload changed nothing: the fourth hazard is still untouched.
            #expect(try await app.send(.GET, "/api/v1/hazards/\(hazards[3])", token: admin).decoded(HazardDTO.self).state == "open")

            // A new link (a reminder's) has its own allowance.
            let next = "/e/" + EvidenceToken(subjectID: subjectID, expiresAt: testNow.addingTimeInterval(14 * 86_400)).signed(key: app.linkSigning.key)
            #expect(try await upload(next, hazards[3], 300).status == .created)
            #expect(try await Hardening.count(app, "evidence") == 31)
        }
    }
}

/// Keeps what is logged.
struct CapturingLogHandler: LogHandler {
    let lines: NIOLockedValueBox<[String]>
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String,
             file: String, function: String, line: UInt) {
        lines.withLockedValue { $0.append(message.description) }
    }
}

@Suite("SMS: delivery reports need the gateway's token; the log keeps no link token")
struct SMSHardeningTests {
    static let gatewayToken = "kannel-dlr-secret-42"

    /// Two sent recipients (by the log provider); answers their ids in phone order.
    func sentRecipients(_ app: Application) async throws -> [String] {
        try await app.writeGate.transaction(on: app.db) { sql in
            try await Outbox.enqueue(OutgoingMessage(kind: .notice, subjectID: nil, inspectionID: nil, hazardID: nil, body: "测试",
                                                     segments: 1, recipients: ["13800000000", "13900000000"], dedupeKey: "dlr"),
                                     sql: sql, at: testNow)
        }
        _ = try await app.outboxSender.runOnce(now: testNow)
        return try await app.sql.select().column("id").from("message_recipients").orderBy("phone").all()
            .map { try $0.decode(column: "id", as: UUID.self).uuidString.lowercased() }
    }

    func states(_ app: Application) async throws -> [String] {
        try await app.sql.select().column("state").from("message_recipients").orderBy("phone").all()
            .map { try $0.decode(column: "state", as: String.self) }
    }

    @Test func aReportWithoutTheGatewaysTokenChangesNothing() async throws {
        try await withSafeGrid { app in
            let ids = try await sentRecipients(app)
            // No token configured: nothing is accepted.
            let unset = try await app.send(.GET, "/sms/dlr/\(ids[0])?type=1&token=anything-at-all-0000", token: "")
            #expect(unset.status == .forbidden)
            #expect(unset.headers.first(name: .contentType)?.hasPrefix("application/problem+json") == true)

            app.settings.sms.deliveryReportTokens = ["log": Self.gatewayToken]
            let none = try await app.send(.GET, "/sms/dlr/\(ids[0])?type=1", token: "")
            #expect(none.status == .unauthorized)
            #expect(try none.problem().detail == "a delivery report must carry the gateway's token (token=… in the dlr-url, or X-SafeGrid-DLR-Token)")
            let wrong = try await app.send(.GET, "/sms/dlr/\(ids[0])?type=1&token=kannel-dlr-secret-43", token: "")
            #expect(wrong.status == .forbidden)
            #expect(try await app.send(.POST, "/sms/dlr/\(ids[1])?type=2", headers: ["X-SafeGrid-DLR-Token": "nope"], token: "").status == .forbidden)
            #expect(try await states(app) == ["sent", "sent"])

            // The gateway's own reports: by query and by header.
            #expect(try await app.send(.GET, "/sms/dlr/\(ids[0])?type=1&token=\(Self.gatewayToken)", token: "").status == .ok)
            #expect(try await app.send(.GET, "/sms/dlr/\(ids[1])?type=16", headers: ["X-SafeGrid-DLR-Token": Self.gatewayToken], token: "").status == .ok)
            #expect(try await states(app) == ["delivered", "failed"])

            // Another provider's token does not report on the log provider's messages.
            app.settings.sms.deliveryReportTokens = ["log": Self.gatewayToken, "kannel": "another-gateway-token"]
            #expect(try await app.send(.GET, "/sms/dlr/\(ids[0])?type=2&token=another-gateway-token", token: "").status == .notFound)
            #expect(try await states(app) == ["delivered", "failed"])
        }
    }

    @Test func tokensComeFromTheEnvironmentPerProvider() throws {
        let env = ["SAFEGRID_SMS_DLR_TOKEN": "configured-provider-token", "SAFEGRID_SMS_DLR_TOKEN_ALIYUN": "aliyun-token-0123456789"]
        let kannel = ["SAFEGRID_SMS_PROVIDER": "kannel", "SAFEGRID_SMS_URL": "http://127.0.0.1:13013/cgi-bin/sendsms",
                      "SAFEGRID_SMS_USERNAME": "u", "SAFEGRID_SMS_PASSWORD": "p"]
        #expect(try Settings.fromEnvironment(kannel.merging(env) { $1 }).sms.deliveryReportTokens
                == ["kannel": "configured-provider-token", "aliyun": "aliyun-token-0123456789"])
        #expect(throws: ConfigurationError.self) { try Settings.fromEnvironment(kannel.merging(["SAFEGRID_SMS_DLR_TOKEN": "short"]) { $1 }) }
        #expect(DeliveryReports.provider(presenting: "aliyun-token-0123456789", tokens: ["kannel": "configured-provider-token", "aliyun": "aliyun-token-0123456789"]) == "aliyun")
        #expect(DeliveryReports.provider(presenting: "aliyun-token-012345678", tokens: ["aliyun": "aliyun-token-0123456789"]) == nil)
    }

    @Test func theLogProviderLeavesTheLinksTokenOut() async throws {
        let lines = NIOLockedValueBox<[String]>([])
        let provider = LogSMSProvider(logger: Logger(label: "sms-test") { _ in CapturingLogHandler(lines: lines) })
        let token = EvidenceToken(subjectID: UUID(), expiresAt: testNow.addingTimeInterval(86_400)).signed(key: SymmetricKey(size: .bits256))
        let text = "【瓜沥镇】请于12月15日前整改，上传照片：https://safegrid.example/e/\(token) 。另见 http://127.0.0.1:8080/e/\(token)?ok=1"
        _ = try await provider.send(to: "13800000000", text: text, messageID: "m-1")
        let logged = lines.withLockedValue { $0 }
        #expect(logged.count == 1)
        #expect(!(logged.first ?? token).contains(token))
        #expect(logged.first == "SMS (log provider) to 138****0000 [m-1]: 【瓜沥镇】请于12月15日前整改，上传照片：https://safegrid.example/e/[redacted] 。另见 http://127.0.0.1:8080/e/[redacted]?ok=1")
        #expect(SMSFormat.redactingLinks("no link here") == "no link here")
        #expect(SMSFormat.redactingLinks("trailing /e/") == "trailing /e/")
    }
}

@Suite("Offline sync: a device's sequence belongs to the account that sends it")
struct OfflineSyncAccountTests {
    @Test func anotherAccountCannotPreemptOrReplayADevicesEvents() async throws {
        let evening = try Timestamp.parse("2026-11-30T18:00:00+08:00")
        try await withSafeGrid(now: evening) { app in
            let admin = try await Hardening.admin(app)
            let owner = try await makeAccount(app, "phone.owner", role: .townAdmin, area: BundledAreas.gualiTownCode)
            let other = try await makeAccount(app, "other.user", role: .townAdmin, area: BundledAreas.gualiTownCode)
            let subject = try await Hardening.subject(app, token: admin)
            let visit = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(
                subject: subject, at: "2026-11-30T10:00:00+08:00",
                results: [["itemCode": "ELEC-01", "outcome": "hazard"], ["itemCode": "EVAC-01", "outcome": "hazard"]]), token: admin)
            let hazards = try visit.decoded(InspectionDTO.self).hazards.map(\.id.uuidString)
            #expect(hazards.count == 2)

            // The other account sends first under the owner's device id and seq (it saw them on a timeline).
            let preempt = try await app.send(.POST, "/api/v1/sync", object: ["deviceId": "phone-A", "events": [
                ["seq": 5, "hazardId": hazards[1], "action": "startRectification", "clientTime": "2026-11-30T11:00:00+08:00", "actor": "张敏"]]], token: other)
            #expect(try preempt.decoded([OfflineSyncController.SyncResult].self).first?.status == "applied")
            // The owner's own event with that seq is still applied, not taken for a duplicate.
            let own = try await app.send(.POST, "/api/v1/sync", object: ["deviceId": "phone-A", "events": [
                ["seq": 5, "hazardId": hazards[0], "action": "startRectification", "clientTime": "2026-11-30T10:30:00+08:00", "actor": "李伟"]]], token: owner)
            #expect(try own.decoded([OfflineSyncController.SyncResult].self).first?.status == "applied", "\(own.body)")
            // A retry by the owner is a duplicate; the same pair from the other account is its own.
            let retry = try await app.send(.POST, "/api/v1/sync", object: ["deviceId": "phone-A", "events": [
                ["seq": 5, "hazardId": hazards[0], "action": "startRectification", "clientTime": "2026-11-30T10:30:00+08:00", "actor": "李伟"]]], token: owner)
            #expect(try retry.decoded([OfflineSyncController.SyncResult].self).first?.status == "duplicate")
            let replay = try await app.send(.POST, "/api/v1/sync", object: ["deviceId": "phone-A", "events": [
                ["seq": 6, "hazardId": hazards[0], "action": "verifyRectified", "clientTime": "2026-11-30T12:00:00+08:00", "actor": "张敏"]]], token: other)
            #expect(try replay.decoded([OfflineSyncController.SyncResult].self).first?.status == "applied")

            let stored = try await app.sql.raw("SELECT device_id, device_seq FROM hazard_events WHERE device_id IS NOT NULL ORDER BY seq").all()
                .map { "\(try $0.decode(column: "device_id", as: String.self))#\(try $0.decode(column: "device_seq", as: Int64.self))" }
            #expect(stored == ["other.user/phone-A#5", "phone.owner/phone-A#5", "other.user/phone-A#6"])
            let events = try await app.send(.GET, "/api/v1/hazards/\(hazards[0])", token: admin).decoded(HazardDTO.self).events ?? []
            #expect(events.compactMap(\.deviceId) == ["phone-A", "phone-A"])
            #expect(events.map(\.actor) == ["李伟（h.admin）", "李伟（phone.owner）", "张敏（other.user）"])
            #expect(try await Audit.verify(sql: app.sql).intact)
        }
    }
}

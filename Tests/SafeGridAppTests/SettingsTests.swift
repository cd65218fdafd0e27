import Foundation
import SafeGridCore
import Testing
@testable import SafeGridApp

@Suite("Settings read once from the environment")
struct SettingsTests {
    static let secret = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

    /// Every variable the server reads set to a value other than its default, with the Kannel
    /// gateway (the Aliyun variables are set too and must be left alone).
    static let full: [String: String] = [
        "DATABASE_URL": "postgres://safegrid:pw@db.internal:5433/safegrid",
        "SAFEGRID_SQLITE": "/var/lib/safegrid/town.sqlite",
        "SAFEGRID_DEMO_SQLITE": "/tmp/safegrid-demo.sqlite",
        "SAFEGRID_HOST": "0.0.0.0",
        "SAFEGRID_PORT": "9090",
        "SAFEGRID_PUBLIC_URL": "https://safegrid.example.gov.cn/",
        "SAFEGRID_SECURE_COOKIES": "1",
        "SAFEGRID_SECRET": secret,
        "SAFEGRID_REMINDER_DAYS": "3",
        "SAFEGRID_DEVICE_OFFLINE_AFTER": "3600",
        "SAFEGRID_JOBS": "off",
        "SAFEGRID_SMS_PROVIDER": "kannel",
        "SAFEGRID_SMS_URL": "http://10.0.0.9:13013/cgi-bin/sendsms",
        "SAFEGRID_SMS_USERNAME": "gateway-user",
        "SAFEGRID_SMS_PASSWORD": "gateway-password",
        "SAFEGRID_SMS_FROM": "10690000",
        "SAFEGRID_SMS_DLR_MASK": "19",
        "SAFEGRID_SMS_DLR_URL": "http://10.0.0.2:9090/sms/dlr/{id}?type=%d",
        "SAFEGRID_SMS_METHOD": "post",
        "SAFEGRID_SMS_ACCESS_KEY_ID": "LTAI-id",
        "SAFEGRID_SMS_ACCESS_KEY_SECRET": "aliyun-secret",
        "SAFEGRID_SMS_SIGN_NAME": "瓜沥镇",
        "SAFEGRID_SMS_TEMPLATE_CODE": "SMS_1",
        "SAFEGRID_SMS_REGION": "cn-shanghai",
        "SAFEGRID_SMS_TIMEOUT": "2.5",
        "SAFEGRID_SMS_CONCURRENCY": "4",
        "SAFEGRID_SMS_BATCH": "64",
        "SAFEGRID_SMS_MAX_ATTEMPTS": "3",
        "SAFEGRID_SMS_SENDER": "off",
        "SAFEGRID_SMS_DLR_TOKEN": "configured-gateway-token",
        "SAFEGRID_SMS_DLR_TOKEN_KANNEL": "overridden-kannel-token",
        "SAFEGRID_SMS_DLR_TOKEN_ALIYUN": "aliyun-token-0123456789",
        "SAFEGRID_SMS_DLR_TOKEN_LOG": "log-token-0123456789ab",
        "SAFEGRID_WEBHOOKS": "off",
        "SAFEGRID_WEBHOOK_ALLOW": "10.20.0.0/16, 192.168.1.5",
        "SAFEGRID_TRUSTED_PROXY": "10.0.0.1 10.0.1.0/24",
        "SAFEGRID_CLIENT_IP_HEADER": "x-real-ip",
        "SAFEGRID_DASHBOARD_CACHE": "off",
        "SAFEGRID_OPEN311_READ": "key",
        "SAFEGRID_FIELD_DIR": NSTemporaryDirectory(),
        "SAFEGRID_SCREEN_DIR": NSTemporaryDirectory(),
        "SAFEGRID_REPORT_DIR": NSTemporaryDirectory(),
        "SAFEGRID_MAP_TILES": "http://tiles.intranet:8088/vec/{z}/{x}/{y}.png",
        "SAFEGRID_STREAMS_PER_ACCOUNT": "600",
    ]

    /// ``full`` with the Aliyun gateway, whose endpoint is then `SAFEGRID_SMS_URL`.
    static let aliyun = full.merging(["SAFEGRID_SMS_PROVIDER": "aliyun", "SAFEGRID_SMS_URL": "https://dysmsapi.example.com/"]) { $1 }

    @Test func theDefaultsAreWhatAnEmptyEnvironmentGives() throws {
        let all = try [Settings(), Settings.fromEnvironment([:]), Settings.fromEnvironment(["SAFEGRID_PORT": "", "SAFEGRID_JOBS": ""])]
        for s in all {
            #expect(s.storage == Settings.Storage())
            #expect(s.storage.databaseURL == nil && s.storage.sqlitePath == "data/safegrid.sqlite")
            #expect(s.storage.demoSQLitePath == "data/demo.sqlite")
            guard case .sqliteFile("data/safegrid.sqlite") = s.storage.choice else { Issue.record("\(s.storage.choice)"); continue }
            #expect(s.http == Settings.HTTP(host: "127.0.0.1", port: 8080, publicURL: nil, secureCookies: false))
            #expect(s.http.publicBase == "http://127.0.0.1:8080")
            #expect(s.secret == nil)
            #expect(s.jobs == Settings.Jobs(reminderDays: 2, run: true))
            guard case .log = s.sms.gateway else { Issue.record("\(s.sms.gateway)"); continue }
            #expect(s.sms.outbox.timeout == 10 && s.sms.outbox.concurrency == 8 && s.sms.outbox.batchSize == 32)
            #expect(s.sms.outbox.maxAttempts == 6 && s.sms.outbox.backgroundLoop)
            #expect(s.sms.deliveryReportTokens.isEmpty)
            #expect(s.webhooks.enabled && s.webhooks.policy.allowed.isEmpty)
            #expect(s.proxies.addresses.isEmpty && s.proxies.header == "X-Forwarded-For")
            #expect(s.dashboardCache)
            #expect(s.open311Read == .public)
            #expect(s.fieldAppFolder == nil && s.screenAppFolder == nil && s.reportAppFolder == nil && s.mapTileURL == nil)
        }
    }

    @Test func aFullEnvironmentSetsEveryField() throws {
        let s = try Settings.fromEnvironment(Self.full)
        #expect(s.storage == Settings.Storage(databaseURL: "postgres://safegrid:pw@db.internal:5433/safegrid",
                                              sqlitePath: "/var/lib/safegrid/town.sqlite", demoSQLitePath: "/tmp/safegrid-demo.sqlite"))
        guard case .postgres("postgres://safegrid:pw@db.internal:5433/safegrid") = s.storage.choice else {
            Issue.record("\(s.storage.choice)")
            return
        }
        #expect(s.http == Settings.HTTP(host: "0.0.0.0", port: 9090, publicURL: "https://safegrid.example.gov.cn", secureCookies: true))
        #expect(s.http.publicBase == "https://safegrid.example.gov.cn")
        #expect(s.secret == Self.secret)
        #expect(s.jobs == Settings.Jobs(reminderDays: 3, run: false, deviceOfflineAfter: 3600))

        guard case .kannel(let k) = s.sms.gateway else { Issue.record("\(s.sms.gateway)"); return }
        #expect(s.sms.gateway.name == "kannel")
        #expect(k.url == "http://10.0.0.9:13013/cgi-bin/sendsms")
        #expect(k.username == "gateway-user" && k.password == "gateway-password")
        #expect(k.from == "10690000" && k.dlrMask == 19 && k.dlrURL == "http://10.0.0.2:9090/sms/dlr/{id}?type=%d")
        #expect(k.usePOST && k.timeout == 2.5)
        let o = s.sms.outbox
        #expect(o.timeout == 2.5 && o.concurrency == 4 && o.batchSize == 64 && o.maxAttempts == 3 && !o.backgroundLoop)
        // The unnamed token is the configured provider's and wins over its named one.
        #expect(s.sms.deliveryReportTokens == ["kannel": "configured-gateway-token", "aliyun": "aliyun-token-0123456789",
                                               "log": "log-token-0123456789ab"])

        #expect(!s.webhooks.enabled)
        #expect(s.webhooks.policy.allowed == [try #require(IPRange("10.20.0.0/16")), try #require(IPRange("192.168.1.5/32"))])
        #expect(s.proxies.addresses == [try #require(IPRange("10.0.0.1/32")), try #require(IPRange("10.0.1.0/24"))])
        #expect(s.proxies.header == "X-Real-IP")
        #expect(!s.dashboardCache)
        #expect(s.open311Read == .key)
        #expect(s.fieldAppFolder == NSTemporaryDirectory() && s.screenAppFolder == NSTemporaryDirectory()
            && s.reportAppFolder == NSTemporaryDirectory())
        #expect(s.mapTileURL == "http://tiles.intranet:8088/vec/{z}/{x}/{y}.png" && s.mapTileOrigin == "http://tiles.intranet:8088")
        #expect(s.streamsPerAccount == 600)
    }

    @Test func theAliyunGatewayTakesItsOwnVariables() throws {
        let s = try Settings.fromEnvironment(Self.aliyun)
        guard case .aliyun(let a) = s.sms.gateway else { Issue.record("\(s.sms.gateway)"); return }
        #expect(a.endpoint == "https://dysmsapi.example.com/" && a.regionID == "cn-shanghai")
        #expect(a.accessKeyID == "LTAI-id" && a.accessKeySecret == "aliyun-secret")
        #expect(a.signName == "瓜沥镇" && a.templateCode == "SMS_1" && a.timeout == 2.5)
        #expect(s.sms.deliveryReportTokens["aliyun"] == "configured-gateway-token")
        #expect(s.sms.deliveryReportTokens["kannel"] == "overridden-kannel-token")
        let defaults = try Settings.fromEnvironment(["SAFEGRID_SMS_PROVIDER": "Aliyun", "SAFEGRID_SMS_ACCESS_KEY_ID": "i",
                                                     "SAFEGRID_SMS_ACCESS_KEY_SECRET": "s", "SAFEGRID_SMS_SIGN_NAME": "n",
                                                     "SAFEGRID_SMS_TEMPLATE_CODE": "t"])
        guard case .aliyun(let d) = defaults.sms.gateway else { Issue.record("\(defaults.sms.gateway)"); return }
        #expect(d.endpoint == "https://dysmsapi.aliyuncs.com/" && d.regionID == "cn-hangzhou" && d.timeout == 10)
    }

    @Test func switchesTakeTheUsualWords() throws {
        for on in ["on", "ON", "1", "true", "yes", " on "] {
            #expect(try Settings.fromEnvironment(["SAFEGRID_SECURE_COOKIES": on]).http.secureCookies, "\(on)")
        }
        for off in ["off", "Off", "0", "false", "no"] {
            #expect(try !Settings.fromEnvironment(["SAFEGRID_JOBS": off]).jobs.run, "\(off)")
        }
        #expect(try Settings.fromEnvironment(["SAFEGRID_OPEN311_READ": "public"]).open311Read == .public)
        #expect(try Settings.fromEnvironment(["SAFEGRID_CLIENT_IP_HEADER": "X-Forwarded-For"]).proxies.header == "X-Forwarded-For")
    }

    /// Each case: the variable at fault, its bad value, and the other variables it needs.
    static let refusals: [(variable: String, value: String?, with: [String: String])] = {
        let kannel = ["SAFEGRID_SMS_PROVIDER": "kannel", "SAFEGRID_SMS_URL": "http://127.0.0.1:13013/cgi-bin/sendsms",
                      "SAFEGRID_SMS_USERNAME": "u", "SAFEGRID_SMS_PASSWORD": "p"]
        let aliyun = ["SAFEGRID_SMS_PROVIDER": "aliyun", "SAFEGRID_SMS_ACCESS_KEY_ID": "i", "SAFEGRID_SMS_ACCESS_KEY_SECRET": "s",
                      "SAFEGRID_SMS_SIGN_NAME": "n", "SAFEGRID_SMS_TEMPLATE_CODE": "t"]
        return [
            ("DATABASE_URL", "mysql://root:hunter2@db/safegrid", [:]),
            ("DATABASE_URL", "db.internal:5432", [:]),
            ("SAFEGRID_PORT", "80a", [:]),
            ("SAFEGRID_PORT", "70000", [:]),
            ("SAFEGRID_PUBLIC_URL", "safegrid.example.gov.cn", [:]),
            ("SAFEGRID_PUBLIC_URL", "ftp://safegrid.example.gov.cn", [:]),
            ("SAFEGRID_SECURE_COOKIES", "sometimes", [:]),
            ("SAFEGRID_SECRET", "abc", [:]),
            ("SAFEGRID_SECRET", String(repeating: "zq", count: 32), [:]),
            ("SAFEGRID_REMINDER_DAYS", "two", [:]),
            ("SAFEGRID_REMINDER_DAYS", "-1", [:]),
            ("SAFEGRID_DEVICE_OFFLINE_AFTER", "59", [:]),
            ("SAFEGRID_DEVICE_OFFLINE_AFTER", "a day", [:]),
            ("SAFEGRID_JOBS", "later", [:]),
            ("SAFEGRID_SMS_PROVIDER", "twilio", [:]),
            ("SAFEGRID_SMS_URL", nil, kannel),
            ("SAFEGRID_SMS_URL", "ftp://gateway/sendsms", kannel),
            ("SAFEGRID_SMS_USERNAME", nil, kannel),
            ("SAFEGRID_SMS_PASSWORD", nil, kannel),
            ("SAFEGRID_SMS_DLR_MASK", "300", kannel),
            ("SAFEGRID_SMS_METHOD", "PUT", kannel),
            ("SAFEGRID_SMS_ACCESS_KEY_ID", nil, aliyun),
            ("SAFEGRID_SMS_ACCESS_KEY_SECRET", nil, aliyun),
            ("SAFEGRID_SMS_SIGN_NAME", nil, aliyun),
            ("SAFEGRID_SMS_TEMPLATE_CODE", nil, aliyun),
            ("SAFEGRID_SMS_URL", "dysmsapi", aliyun),
            ("SAFEGRID_SMS_TIMEOUT", "soon", [:]),
            ("SAFEGRID_SMS_TIMEOUT", "0", [:]),
            ("SAFEGRID_SMS_CONCURRENCY", "1000", [:]),
            ("SAFEGRID_SMS_BATCH", "many", [:]),
            ("SAFEGRID_SMS_MAX_ATTEMPTS", "0", [:]),
            ("SAFEGRID_SMS_SENDER", "perhaps", [:]),
            ("SAFEGRID_SMS_DLR_TOKEN", "short", [:]),
            ("SAFEGRID_SMS_DLR_TOKEN_KANNEL", "short", [:]),
            ("SAFEGRID_SMS_DLR_TOKEN_ALIYUN", "short", [:]),
            ("SAFEGRID_SMS_DLR_TOKEN_LOG", "short", [:]),
            ("SAFEGRID_WEBHOOKS", "nope", [:]),
            ("SAFEGRID_WEBHOOK_ALLOW", "10.0.0.0/8, intranet", [:]),
            ("SAFEGRID_TRUSTED_PROXY", "10.0.0.0/33", [:]),
            ("SAFEGRID_CLIENT_IP_HEADER", "Forwarded", [:]),
            ("SAFEGRID_DASHBOARD_CACHE", "sometimes", [:]),
            ("SAFEGRID_OPEN311_READ", "token", [:]),
            ("SAFEGRID_FIELD_DIR", "/no/such/folder", [:]),
            ("SAFEGRID_SCREEN_DIR", "/no/such/folder", [:]),
            ("SAFEGRID_REPORT_DIR", "/no/such/folder", [:]),
            ("SAFEGRID_MAP_TILES", "ftp://tiles/{z}/{x}/{y}", [:]),
            ("SAFEGRID_STREAMS_PER_ACCOUNT", "0", [:]),
            ("SAFEGRID_MAP_TILES", "http://tiles.intranet/{z}/{x}.png", [:]),
            ("SAFEGRID_MAP_TILES", "http://tiles'; script-src *;/{z}/{x}/{y}", [:]),
        ]
    }()

    @Test func badValuesAreRefusedNamingTheVariable() {
        for (variable, value, with) in Self.refusals {
            var env = with
            env[variable] = value
            do {
                let s = try Settings.fromEnvironment(env)
                Issue.record("\(variable)=\(value ?? "(unset)") was accepted: \(s)")
            } catch let error as ConfigurationError {
                #expect(error.variable == variable, "\(variable)=\(value ?? "(unset)"): \(error)")
                #expect(error.description.hasPrefix(variable + " "), "\(error)")
                #expect(!error.description.contains("\n"))
            } catch {
                Issue.record("\(variable)=\(value ?? "(unset)"): not a ConfigurationError: \(error)")
            }
        }
    }

    @Test func secretsAreNotRepeatedInTheErrors() {
        let cases = [["DATABASE_URL": "mysql://root:hunter2@db/safegrid"],
                     ["SAFEGRID_SECRET": "hunter2" + String(repeating: "0", count: 57)]]
        for env in cases {
            #expect(throws: ConfigurationError.self) { try Settings.fromEnvironment(env) }
            do { _ = try Settings.fromEnvironment(env) } catch { #expect(!"\(error)".contains("hunter2"), "\(error)") }
        }
    }

    /// The repository's root, from this file's path (Tests/SafeGridAppTests/SettingsTests.swift).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The variables named in README.md's table of variables (every name in its rows).
    static func readmeVariables() throws -> Set<String> {
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let lines = readme.components(separatedBy: "\n")
        let header = try #require(lines.firstIndex { $0.hasPrefix("| variable |") }, "README.md has a table of variables")
        let rows = lines[(header + 2)...].prefix { $0.hasPrefix("|") }
        #expect(rows.count > 10)
        return Set(rows.flatMap { names(in: $0) })
    }

    /// `SAFEGRID_…` and `DATABASE_URL` names in `text`.
    static func names(in text: String) -> [String] {
        // A name ends in a letter or digit: `SAFEGRID_BENCH_*` names SAFEGRID_BENCH.
        let regex = #/\b(?:SAFEGRID_[A-Z0-9_]*[A-Z0-9]|DATABASE_URL)/#
        return text.matches(of: regex).map { String($0.output) }
    }

    @Test func everyVariableIsReadAndTheREADMEListsExactlyThem() throws {
        // Read by the parser with either gateway, or by `safegrid user create` (the password).
        var read: Set<Settings.Variable> = [.password]
        for env in [Self.full, Self.aliyun] {
            var reader = EnvironmentReader(env)
            _ = try Settings.parse(&reader)
            read.formUnion(reader.read)
        }
        #expect(read == Set(Settings.Variable.allCases), "never read: \(Set(Settings.Variable.allCases).subtracting(read))")
        #expect(Set(Self.full.keys).union(["SAFEGRID_PASSWORD"]) == Set(Settings.variables), "the full environment sets every variable")

        let documented = try Self.readmeVariables()
        let known = Set(Settings.variables)
        #expect(documented.subtracting(known).isEmpty, "in README.md's table but never read: \(documented.subtracting(known).sorted())")
        #expect(known.subtracting(documented).isEmpty, "read but not in README.md's table: \(known.subtracting(documented).sorted())")
    }

    @Test func nothingButTheSettingsReadsTheEnvironment() throws {
        // Knobs of the tests and benchmarks, which the sources may mention.
        let testKnobs: Set = ["SAFEGRID_TEST_POSTGRES", "SAFEGRID_BENCH", "SAFEGRID_LEDGER_SAMPLES"]
        let sources = Self.root.appendingPathComponent("Sources")
        let files = try #require(FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil))
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }
        #expect(files.count > 50)
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            let name = file.lastPathComponent
            for variable in Self.names(in: text) where !Settings.variables.contains(variable) && !testKnobs.contains(variable) {
                Issue.record("\(name) names \(variable), which is not a Settings.Variable")
            }
            // The settings read the environment; `safegrid user create` reads its password.
            guard name != "Settings.swift", name != "UserCommand.swift" else { continue }
            for reader in ["Environment.get(", "processInfo.environment", "getenv("] where text.contains(reader) {
                Issue.record("\(name) reads the environment (\(reader)); read it in Settings instead")
            }
        }
    }
}

import Foundation
import FluentPostgresDriver
import SafeGridCore
import Vapor

/// Everything the server takes from its environment, as one typed value: read and checked once
/// at start-up by ``fromEnvironment(_:)`` (``SafeGridMain/run()`` calls it), passed to
/// ``configure(_:storage:services:settings:)`` and kept in `app.settings`. Nothing else in the
/// server reads the environment, so a bad value stops the start with one line naming its
/// variable instead of surfacing at the first request that needs it.
///
/// `Settings()` is the defaults, what a server runs with when no variable is set; the tests
/// start from it and change fields (`app.settings.proxies = …`) instead of the process
/// environment, which all tests share.
///
/// An empty variable counts as unset. Switches (`SAFEGRID_JOBS`, …) take `on`/`off`, also
/// `1`/`0`, `true`/`false`, `yes`/`no`, in any case. Every variable read is a case of
/// ``Variable``, and README.md's table of variables lists exactly those (a test keeps both true).
///
/// Read elsewhere, on purpose:
/// - `SAFEGRID_PASSWORD`, the password of `safegrid user create`, is read by that command when it
///   runs: a one-off secret the running server has no use for. It is a ``Variable`` all the same.
/// - `SAFEGRID_TEST_POSTGRES`, `SAFEGRID_BENCH`, `SAFEGRID_BENCH_*` and `SAFEGRID_LEDGER_SAMPLES`
///   are knobs of the tests and benchmarks, read by them; the server never sees them.
public struct Settings: Sendable {
    /// Where the campaign is stored.
    public var storage = Storage()
    /// Where the server listens and how it names itself.
    public var http = HTTP()
    /// The key signing evidence links (`SAFEGRID_SECRET`): 64 hexadecimal digits, checked when
    /// read. `nil` (default): a key made on first start and kept in the database (`app_secrets`),
    /// so every instance on one database signs alike.
    public var secret: String?
    /// The deadline jobs.
    public var jobs = Jobs()
    /// The SMS gateway, the sender and delivery reports.
    var sms = SMS()
    /// Outgoing webhooks.
    var webhooks = Webhooks()
    /// Which reverse proxies may name the client (`SAFEGRID_TRUSTED_PROXY`,
    /// `SAFEGRID_CLIENT_IP_HEADER`); default none, so the TCP peer is the client.
    var proxies = TrustedProxies()
    /// Whether dashboard figures are cached per area until the next write on this instance or
    /// ``DashboardCache/maxAge`` (`SAFEGRID_DASHBOARD_CACHE`, default on). Off computes them from
    /// the counters on every request (the benchmark measures both ways).
    public var dashboardCache = true
    /// Who may read Open311 (`SAFEGRID_OPEN311_READ`, default ``Open311Read/public``).
    public var open311Read = Open311Read.public
    /// A folder the field app's files are read from on every request (`SAFEGRID_FIELD_DIR`), for
    /// working on them without a rebuild. `nil` (default): the copy built into the server.
    public var fieldAppFolder: String?
    /// The same for the wall screen's files (`SAFEGRID_SCREEN_DIR`).
    public var screenAppFolder: String?
    /// The same for the residents' page (`SAFEGRID_REPORT_DIR`).
    public var reportAppFolder: String?
    /// An intranet tile server for the wall screen's map (`SAFEGRID_MAP_TILES`): an http(s) URL
    /// template with `{z}`, `{x}` and `{y}` (e.g. a 天地图 mirror), its origin allowed for images
    /// in the pages' Content-Security-Policy. `nil` (default): no base tiles, our own layers only.
    public var mapTileURL: String?
    /// Live streams one account may hold open on an instance (`SAFEGRID_STREAMS_PER_ACCOUNT`,
    /// 1–100,000, default 50): a town's walls and desks share an account; ten thousand streams
    /// from one would be a way to exhaust the server.
    public var streamsPerAccount = 50

    /// The defaults.
    public init() {}

    /// Where the campaign is stored.
    public struct Storage: Sendable, Equatable {
        /// A PostgreSQL database instead of SQLite (`DATABASE_URL`,
        /// `postgres://user:pass@host:5432/db`; checked as the driver reads it). Default `nil`.
        public var databaseURL: String?
        /// The SQLite file of every command but `demo` (`SAFEGRID_SQLITE`, default
        /// `data/safegrid.sqlite`, relative to the working directory).
        public var sqlitePath = "data/safegrid.sqlite"
        /// The SQLite file `safegrid demo` makes anew on each run (`SAFEGRID_DEMO_SQLITE`, default
        /// `data/demo.sqlite`); unused when ``databaseURL`` is set.
        public var demoSQLitePath = "data/demo.sqlite"

        /// PostgreSQL when ``databaseURL`` is set, else the SQLite file ``sqlitePath``.
        public var choice: StorageChoice { databaseURL.map { .postgres($0) } ?? .sqliteFile(sqlitePath) }
    }

    /// Where the server listens and how it names itself.
    public struct HTTP: Sendable, Equatable {
        /// The address to listen on (`SAFEGRID_HOST`, default `127.0.0.1`).
        public var host = "127.0.0.1"
        /// The TCP port to listen on (`SAFEGRID_PORT`, 0–65535, default 8080).
        public var port = 8080
        /// The base of the links put in SMS and of `/openapi.json`'s server (`SAFEGRID_PUBLIC_URL`):
        /// an `http` or `https` URL, kept without a trailing `/`. Default `nil`: ``publicBase``.
        public var publicURL: String?
        /// Whether session cookies are always marked `Secure` (`SAFEGRID_SECURE_COOKIES`, default
        /// off): behind HTTPS. They are also `Secure` on a request the proxy says came over HTTPS.
        public var secureCookies = false

        /// ``publicURL``, or `http://127.0.0.1:` and ``port``.
        public var publicBase: String { publicURL ?? "http://127.0.0.1:\(port)" }
    }

    /// The deadline jobs: reminders, overdue marks, alerts, the key hazard ranking.
    public struct Jobs: Sendable, Equatable {
        /// A reminder SMS goes this many days before a deadline (`SAFEGRID_REMINDER_DAYS`, days,
        /// 0–365, default 2).
        public var reminderDays = 2
        /// Whether this instance runs the jobs every minute while it serves (`SAFEGRID_JOBS`,
        /// default on). Off leaves them to another instance or to `safegrid jobs`.
        public var run = true
        /// Seconds without any message after which the jobs mark a smart fire device offline
        /// (`SAFEGRID_DEVICE_OFFLINE_AFTER`, 60–2,592,000, default 86,400: a day, as battery smoke
        /// detectors report daily).
        public var deviceOfflineAfter: TimeInterval = DeviceConnectivity.defaultOfflinePeriod
    }

    /// The SMS gateway, the sender and delivery reports.
    struct SMS: Sendable {
        /// The gateway and its credentials (`SAFEGRID_SMS_PROVIDER` and the variables of that
        /// provider); default ``SMSGateway/log``.
        var gateway = SMSGateway.log
        /// The sender: seconds per request to the gateway, connection included
        /// (`SAFEGRID_SMS_TIMEOUT`, 0.1–300, default 10), sends in flight (`SAFEGRID_SMS_CONCURRENCY`,
        /// 1–256, default 8), rows claimed per pass (`SAFEGRID_SMS_BATCH`, 1–10,000, default 32),
        /// attempts before a recipient fails (`SAFEGRID_SMS_MAX_ATTEMPTS`, 1–100, default 6) and
        /// whether this instance sends at all (`SAFEGRID_SMS_SENDER`, default on). Counts given
        /// with a fraction are cut to whole numbers.
        var outbox = OutboxSettings()
        /// Per provider name (`kannel`, `aliyun`, `log`), the token its delivery reports must carry
        /// (`SAFEGRID_SMS_DLR_TOKEN` for the configured provider, `SAFEGRID_SMS_DLR_TOKEN_KANNEL`,
        /// `…_ALIYUN`, `…_LOG` by name for messages sent before a switch of provider; at least 16
        /// characters each). Default none: every report is refused.
        var deliveryReportTokens: [String: String] = [:]
    }

    /// Outgoing webhooks.
    struct Webhooks: Sendable {
        /// Whether this instance delivers them (`SAFEGRID_WEBHOOKS`, default on).
        var enabled = true
        /// The addresses they may reach although not public (`SAFEGRID_WEBHOOK_ALLOW`, addresses
        /// or CIDR blocks separated by commas or spaces, such as `10.20.0.0/16`); default none.
        var policy = WebhookPolicy()
    }

    /// Who may read Open311 (`SAFEGRID_OPEN311_READ`).
    public enum Open311Read: String, Sendable, Equatable {
        /// Anyone, as GeoReport v2 describes it (a town publishing its hazards to residents' apps).
        case `public`
        /// Only API clients with a key of scope `open311` (`api_key`).
        case key
    }
}

/// An SMS gateway with its settings (``Settings/SMS/gateway``).
enum SMSGateway: Sendable {
    /// Messages are written to the application log; nothing leaves the machine.
    case log
    /// Kannel's `sendsms` (`SAFEGRID_SMS_PROVIDER=kannel`). Required: `SAFEGRID_SMS_URL` (the
    /// `sendsms` URL, http or https), `SAFEGRID_SMS_USERNAME`, `SAFEGRID_SMS_PASSWORD`. Optional:
    /// `SAFEGRID_SMS_FROM`, `SAFEGRID_SMS_DLR_MASK` (0–255), `SAFEGRID_SMS_DLR_URL` (`{id}` is our
    /// id of the message), `SAFEGRID_SMS_METHOD` (`GET`, default, or `POST`).
    case kannel(KannelSMSProvider.Config)
    /// Aliyun's signed API (`SAFEGRID_SMS_PROVIDER=aliyun`). Required:
    /// `SAFEGRID_SMS_ACCESS_KEY_ID`, `SAFEGRID_SMS_ACCESS_KEY_SECRET`, `SAFEGRID_SMS_SIGN_NAME`,
    /// `SAFEGRID_SMS_TEMPLATE_CODE`. Optional: `SAFEGRID_SMS_URL` (the endpoint, default
    /// `https://dysmsapi.aliyuncs.com/`), `SAFEGRID_SMS_REGION` (default `cn-hangzhou`).
    case aliyun(AliyunSMSProvider.Config)

    /// The provider's name, stored with each message it sends.
    var name: String {
        switch self {
        case .log: "log"
        case .kannel: "kannel"
        case .aliyun: "aliyun"
        }
    }
}

/// A setting the server cannot start with: its variable and what was wrong, in one line.
struct ConfigurationError: Error, CustomStringConvertible {
    /// The variable at fault (`SAFEGRID_PORT`).
    let variable: String
    /// What was wrong, starting with the variable.
    let description: String

    init(_ variable: Settings.Variable, _ problem: String) {
        self.variable = variable.rawValue
        self.description = "\(variable.rawValue) \(problem)"
    }
}

extension Settings {
    /// Every environment variable SafeGrid reads: by ``fromEnvironment(_:)``, except
    /// ``password`` (read by `safegrid user create`).
    public enum Variable: String, CaseIterable, Sendable {
        case databaseURL = "DATABASE_URL"
        case sqlite = "SAFEGRID_SQLITE"
        case demoSQLite = "SAFEGRID_DEMO_SQLITE"
        case host = "SAFEGRID_HOST"
        case port = "SAFEGRID_PORT"
        case publicURL = "SAFEGRID_PUBLIC_URL"
        case secureCookies = "SAFEGRID_SECURE_COOKIES"
        case secret = "SAFEGRID_SECRET"
        case reminderDays = "SAFEGRID_REMINDER_DAYS"
        case deviceOfflineAfter = "SAFEGRID_DEVICE_OFFLINE_AFTER"
        case jobs = "SAFEGRID_JOBS"
        case smsProvider = "SAFEGRID_SMS_PROVIDER"
        case smsURL = "SAFEGRID_SMS_URL"
        case smsUsername = "SAFEGRID_SMS_USERNAME"
        case smsPassword = "SAFEGRID_SMS_PASSWORD"
        case smsFrom = "SAFEGRID_SMS_FROM"
        case smsDLRMask = "SAFEGRID_SMS_DLR_MASK"
        case smsDLRURL = "SAFEGRID_SMS_DLR_URL"
        case smsMethod = "SAFEGRID_SMS_METHOD"
        case smsAccessKeyID = "SAFEGRID_SMS_ACCESS_KEY_ID"
        case smsAccessKeySecret = "SAFEGRID_SMS_ACCESS_KEY_SECRET"
        case smsSignName = "SAFEGRID_SMS_SIGN_NAME"
        case smsTemplateCode = "SAFEGRID_SMS_TEMPLATE_CODE"
        case smsRegion = "SAFEGRID_SMS_REGION"
        case smsTimeout = "SAFEGRID_SMS_TIMEOUT"
        case smsConcurrency = "SAFEGRID_SMS_CONCURRENCY"
        case smsBatch = "SAFEGRID_SMS_BATCH"
        case smsMaxAttempts = "SAFEGRID_SMS_MAX_ATTEMPTS"
        case smsSender = "SAFEGRID_SMS_SENDER"
        case smsDLRToken = "SAFEGRID_SMS_DLR_TOKEN"
        case smsDLRTokenKannel = "SAFEGRID_SMS_DLR_TOKEN_KANNEL"
        case smsDLRTokenAliyun = "SAFEGRID_SMS_DLR_TOKEN_ALIYUN"
        case smsDLRTokenLog = "SAFEGRID_SMS_DLR_TOKEN_LOG"
        case webhooks = "SAFEGRID_WEBHOOKS"
        case webhookAllow = "SAFEGRID_WEBHOOK_ALLOW"
        case trustedProxy = "SAFEGRID_TRUSTED_PROXY"
        case clientIPHeader = "SAFEGRID_CLIENT_IP_HEADER"
        case dashboardCache = "SAFEGRID_DASHBOARD_CACHE"
        case open311Read = "SAFEGRID_OPEN311_READ"
        case password = "SAFEGRID_PASSWORD"
        case fieldDir = "SAFEGRID_FIELD_DIR"
        case screenDir = "SAFEGRID_SCREEN_DIR"
        case reportDir = "SAFEGRID_REPORT_DIR"
        case mapTiles = "SAFEGRID_MAP_TILES"
        case streamsPerAccount = "SAFEGRID_STREAMS_PER_ACCOUNT"
    }

    /// The names of every ``Variable``, in declaration order.
    public static var variables: [String] { Variable.allCases.map(\.rawValue) }

    /// Reads and checks every setting.
    ///
    /// - Parameter env: the environment (default: the process's, which Vapor has completed from
    ///   `.env` files once the application is made).
    /// - Throws: ``ConfigurationError`` naming the first variable whose value cannot be used (a
    ///   number out of range, an unknown word, a malformed URL or address, a missing credential
    ///   of the chosen SMS provider). Secrets are never repeated in the message.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> Settings {
        var reader = EnvironmentReader(env)
        return try parse(&reader)
    }

    /// ``fromEnvironment(_:)`` through a reader that remembers what was read (for the test that
    /// every ``Variable`` is read).
    static func parse(_ env: inout EnvironmentReader) throws -> Settings {
        var s = Settings()

        if let url = env.text(.databaseURL) {
            // The driver's own reading of it; its error would repeat the URL and its password.
            guard (try? SQLPostgresConfiguration(url: url)) != nil else {
                throw ConfigurationError(.databaseURL, "is not a PostgreSQL URL (postgres://user:password@host:5432/database)")
            }
            s.storage.databaseURL = url
        }
        if let path = env.text(.sqlite) { s.storage.sqlitePath = path }
        if let path = env.text(.demoSQLite) { s.storage.demoSQLitePath = path }

        if let host = env.trimmed(.host) { s.http.host = host }
        if let port = try env.integer(.port, 0...65_535) { s.http.port = port }
        s.http.publicURL = try env.httpURL(.publicURL).map { url in
            var url = Substring(url)
            while url.hasSuffix("/") { url = url.dropLast() }
            return String(url)
        }
        s.http.secureCookies = try env.flag(.secureCookies, default: false)

        if let hex = env.trimmed(.secret) {
            do { _ = try EvidenceToken.makeKey(hex: hex) } catch {
                throw ConfigurationError(.secret, "must be 64 hexadecimal digits: \(error.reason)")
            }
            s.secret = hex
        }

        if let days = try env.integer(.reminderDays, 0...365) { s.jobs.reminderDays = days }
        if let seconds = try env.integer(.deviceOfflineAfter, 60...2_592_000) { s.jobs.deviceOfflineAfter = TimeInterval(seconds) }
        s.jobs.run = try env.flag(.jobs, default: true)

        s.sms = try parseSMS(&env)

        s.webhooks.enabled = try env.flag(.webhooks, default: true)
        s.webhooks.policy = WebhookPolicy(allowed: try env.addresses(.webhookAllow))

        s.proxies.addresses = try env.addresses(.trustedProxy)
        if let header = env.trimmed(.clientIPHeader) {
            switch header.lowercased() {
            case "x-forwarded-for": s.proxies.header = "X-Forwarded-For"
            case "x-real-ip": s.proxies.header = "X-Real-IP"
            default: throw ConfigurationError(.clientIPHeader, "must be X-Forwarded-For or X-Real-IP, got '\(header)'")
            }
        }

        s.dashboardCache = try env.flag(.dashboardCache, default: true)
        if let read = env.trimmed(.open311Read) {
            guard let value = Open311Read(rawValue: read.lowercased()) else {
                throw ConfigurationError(.open311Read, "must be public or key, got '\(read)'")
            }
            s.open311Read = value
        }
        s.fieldAppFolder = try folder(&env, .fieldDir)
        s.screenAppFolder = try folder(&env, .screenDir)
        s.reportAppFolder = try folder(&env, .reportDir)
        if let template = env.trimmed(.mapTiles) {
            guard let url = URL(string: template.replacingOccurrences(of: "{", with: "").replacingOccurrences(of: "}", with: "")),
                  ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil,
                  ["{z}", "{x}", "{y}"].allSatisfy(template.contains), !template.contains(where: { $0 == " " || $0 == "'" || $0 == ";" }) else {
                throw ConfigurationError(.mapTiles, "must be an http(s) URL template with {z}, {x} and {y}, got '\(template.prefix(200))'")
            }
            s.mapTileURL = template
        }
        if let n = try env.integer(.streamsPerAccount, 1...100_000) { s.streamsPerAccount = n }
        return s
    }

    /// A folder variable: an existing folder, or unset.
    private static func folder(_ env: inout EnvironmentReader, _ v: Variable) throws -> String? {
        guard let folder = env.text(v) else { return nil }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw ConfigurationError(v, "is not a folder: '\(folder)'")
        }
        return folder
    }

    /// The origin (`scheme://host[:port]`) of ``mapTileURL``, for the Content-Security-Policy.
    var mapTileOrigin: String? {
        guard let t = mapTileURL, let url = URL(string: t.replacingOccurrences(of: "{", with: "").replacingOccurrences(of: "}", with: "")),
              let scheme = url.scheme, let host = url.host else { return nil }
        return "\(scheme)://\(host)" + (url.port.map { ":\($0)" } ?? "")
    }

    /// The SMS settings: the sender's knobs, the gateway of `SAFEGRID_SMS_PROVIDER` with its
    /// variables (only those of the chosen provider are read), and the delivery report tokens.
    private static func parseSMS(_ env: inout EnvironmentReader) throws -> SMS {
        var sms = SMS()
        if let v = try env.number(.smsTimeout, 0.1...300) { sms.outbox.timeout = v }
        if let v = try env.number(.smsConcurrency, 1...256) { sms.outbox.concurrency = Int(v) }
        if let v = try env.number(.smsBatch, 1...10_000) { sms.outbox.batchSize = Int(v) }
        if let v = try env.number(.smsMaxAttempts, 1...100) { sms.outbox.maxAttempts = Int(v) }
        sms.outbox.backgroundLoop = try env.flag(.smsSender, default: true)

        let provider = env.trimmed(.smsProvider) ?? "log"
        func required(_ v: Variable) throws -> String {
            guard let value = env.text(v) else { throw ConfigurationError(v, "is required with SAFEGRID_SMS_PROVIDER=\(provider)") }
            return value
        }
        switch provider.lowercased() {
        case "log":
            sms.gateway = .log
        case "kannel":
            guard let url = try env.httpURL(.smsURL) else { throw ConfigurationError(.smsURL, "is required with SAFEGRID_SMS_PROVIDER=\(provider)") }
            var config = KannelSMSProvider.Config(url: url, username: try required(.smsUsername), password: try required(.smsPassword),
                                                  timeout: sms.outbox.timeout)
            config.from = env.text(.smsFrom)
            config.dlrMask = try env.integer(.smsDLRMask, 0...255)
            config.dlrURL = env.text(.smsDLRURL)
            if let method = env.trimmed(.smsMethod) {
                switch method.uppercased() {
                case "GET": config.usePOST = false
                case "POST": config.usePOST = true
                default: throw ConfigurationError(.smsMethod, "must be GET or POST, got '\(method)'")
                }
            }
            sms.gateway = .kannel(config)
        case "aliyun":
            var config = AliyunSMSProvider.Config(accessKeyID: try required(.smsAccessKeyID),
                                                  accessKeySecret: try required(.smsAccessKeySecret),
                                                  signName: try required(.smsSignName), templateCode: try required(.smsTemplateCode),
                                                  timeout: sms.outbox.timeout)
            if let url = try env.httpURL(.smsURL) { config.endpoint = url }
            if let region = env.trimmed(.smsRegion) { config.regionID = region }
            sms.gateway = .aliyun(config)
        default:
            throw ConfigurationError(.smsProvider, "must be log, kannel or aliyun, got '\(provider)'")
        }

        // By name first; the unnamed token is the configured provider's and wins over its named one.
        var tokens: [String: (token: String, from: Variable)] = [:]
        for (name, v) in [("kannel", Variable.smsDLRTokenKannel), ("aliyun", .smsDLRTokenAliyun), ("log", .smsDLRTokenLog)] {
            if let t = env.text(v) { tokens[name] = (t, v) }
        }
        if let t = env.text(.smsDLRToken) { tokens[sms.gateway.name] = (t, .smsDLRToken) }
        for (_, entry) in tokens.sorted(by: { $0.key < $1.key }) where entry.token.count < 16 {
            throw ConfigurationError(entry.from, "must have at least 16 characters (it has \(entry.token.count))")
        }
        sms.deliveryReportTokens = tokens.mapValues(\.token)
        return sms
    }
}

/// Reads variables for ``Settings/fromEnvironment(_:)``: an empty value counts as unset, and
/// every read is remembered in ``read``.
struct EnvironmentReader {
    let env: [String: String]
    /// The variables asked for so far, set or not.
    private(set) var read: Set<Settings.Variable> = []

    init(_ env: [String: String]) { self.env = env }

    /// The value as it is (secrets and paths are not trimmed), `nil` when unset or empty.
    mutating func text(_ v: Settings.Variable) -> String? {
        read.insert(v)
        guard let value = env[v.rawValue], !value.isEmpty else { return nil }
        return value
    }

    /// The value without surrounding white space, `nil` when that leaves nothing.
    mutating func trimmed(_ v: Settings.Variable) -> String? {
        guard let value = text(v)?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }

    /// A switch: `on`/`off`, `1`/`0`, `true`/`false`, `yes`/`no`, any case; `fallback` when unset.
    mutating func flag(_ v: Settings.Variable, default fallback: Bool) throws -> Bool {
        guard let value = trimmed(v) else { return fallback }
        switch value.lowercased() {
        case "on", "1", "true", "yes": return true
        case "off", "0", "false", "no": return false
        default: throw ConfigurationError(v, "must be on or off, got '\(value)'")
        }
    }

    /// A whole number within `range`, `nil` when unset.
    mutating func integer(_ v: Settings.Variable, _ range: ClosedRange<Int>) throws -> Int? {
        guard let value = trimmed(v) else { return nil }
        guard let n = Int(value), range.contains(n) else {
            throw ConfigurationError(v, "must be a whole number from \(range.lowerBound) to \(range.upperBound), got '\(value)'")
        }
        return n
    }

    /// A number within `range` (fractions allowed), `nil` when unset.
    mutating func number(_ v: Settings.Variable, _ range: ClosedRange<Double>) throws -> Double? {
        guard let value = trimmed(v) else { return nil }
        guard let n = Double(value), range.contains(n) else {
            throw ConfigurationError(v, "must be a number from \(range.lowerBound) to \(range.upperBound), got '\(value)'")
        }
        return n
    }

    /// An `http` or `https` URL with a host, `nil` when unset.
    mutating func httpURL(_ v: Settings.Variable) throws -> String? {
        guard let value = trimmed(v) else { return nil }
        guard let url = URL(string: value), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              url.host?.isEmpty == false else {
            throw ConfigurationError(v, "must be an http(s) URL, got '\(value)'")
        }
        return value
    }

    /// Addresses or CIDR blocks separated by commas or spaces; empty when unset.
    mutating func addresses(_ v: Settings.Variable) throws -> [IPRange] {
        guard let value = trimmed(v) else { return [] }
        do { return try IPRange.list(value) } catch {
            throw ConfigurationError(v, "must list IP addresses or CIDR blocks: \(error.reason)")
        }
    }
}

struct SettingsKey: StorageKey { typealias Value = Settings }

extension Application {
    /// The settings `configure` was given (``Settings``; the defaults before it ran).
    var settings: Settings {
        get { storage[SettingsKey.self] ?? Settings() }
        set { storage[SettingsKey.self] = newValue }
    }
}

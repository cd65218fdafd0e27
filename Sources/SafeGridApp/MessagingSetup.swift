import Foundation
import Vapor

/// Sets up the SMS provider and the background sender.
///
/// The provider comes from the environment (``MessagingConfig``) unless one was already put in
/// `app.smsProvider` before ``configure(_:storage:services:)`` ran; the same holds for
/// `app.outboxSettings`. The background loop runs from boot to shutdown, except under
/// `.testing` (tests call ``OutboxSender/runOnce(now:)``, or set `backgroundLoop` beforehand),
/// for commands other than `serve` and `demo`, or with `SAFEGRID_SMS_SENDER=off`.
func configureMessaging(_ app: Application) throws {
    let env: @Sendable (String) -> String? = { Environment.get($0) }
    if app.storage[OutboxSettingsKey.self] == nil {
        var settings = try MessagingConfig.settings(env)
        // Only a serving process sends: not `migrate`, `routes`, … nor the tests.
        settings.backgroundLoop = settings.backgroundLoop && (app.runsBackgroundJobs || app.isDemo)
        app.outboxSettings = settings
    }
    if app.storage[SMSProviderKey.self] == nil {
        app.smsProvider = try MessagingConfig.provider(env, client: app.client, logger: app.logger,
                                                       timeout: app.outboxSettings.timeout)
    }
    if app.storage[DeliveryReportTokensKey.self] == nil {
        app.deliveryReportTokens = try MessagingConfig.deliveryReportTokens(env, provider: app.smsProvider.name)
    }
    if app.outboxSettings.backgroundLoop, !app.isDemo {
        app.lifecycle.use(app.outboxLoop)
    }
}

/// `GET /api/v1/messages` and the `/messages` page.
func messagingRoutes(_ app: Application, api: any RoutesBuilder, pages: any RoutesBuilder) {
    api.get("messages", use: MessagesController.list)
    pages.get("messages", use: MessagesController.page)
    app.get("sms", "dlr", ":id", use: DeliveryReports.receive)
    app.post("sms", "dlr", ":id", use: DeliveryReports.receive)
}

struct SMSProviderKey: StorageKey { typealias Value = any SMSProvider }
struct OutboxSettingsKey: StorageKey { typealias Value = OutboxSettings }
struct OutboxLoopKey: StorageKey { typealias Value = OutboxLoop }

extension Application {
    /// Whether this process serves (`serve` or no command) outside tests: only then do the
    /// background loops (SMS sender, deadline jobs) start at boot. `demo` starts them itself once
    /// the campaign is built.
    var runsBackgroundJobs: Bool {
        let command = environment.arguments.dropFirst().first { !$0.hasPrefix("-") }
        return environment != .testing && (command == nil || command == "serve")
    }

    /// Whether this process is the demo (which starts the background loops after building).
    var isDemo: Bool {
        environment != .testing && environment.arguments.dropFirst().first { !$0.hasPrefix("-") } == "demo"
    }

    /// The gateway messages go to (default: the log).
    package var smsProvider: any SMSProvider {
        get { storage[SMSProviderKey.self] ?? LogSMSProvider(logger: logger) }
        set { storage[SMSProviderKey.self] = newValue }
    }

    package var outboxSettings: OutboxSettings {
        get { storage[OutboxSettingsKey.self] ?? OutboxSettings() }
        set { storage[OutboxSettingsKey.self] = newValue }
    }

    /// Delivers the outbox; `runOnce(now:)` is one pass.
    package var outboxSender: OutboxSender { OutboxSender(app: self) }

    /// The background loop (registered with the lifecycle when enabled).
    var outboxLoop: OutboxLoop {
        if let loop = storage[OutboxLoopKey.self] { return loop }
        let loop = OutboxLoop()
        storage[OutboxLoopKey.self] = loop
        return loop
    }
}

/// Reads the SMS configuration from the environment.
///
/// | variable | meaning |
/// |---|---|
/// | `SAFEGRID_SMS_PROVIDER` | `log` (default), `kannel` or `aliyun` |
/// | `SAFEGRID_SMS_URL` | kannel: the `sendsms` URL (required); aliyun: the endpoint (default `https://dysmsapi.aliyuncs.com/`) |
/// | `SAFEGRID_SMS_USERNAME`, `SAFEGRID_SMS_PASSWORD` | kannel credentials |
/// | `SAFEGRID_SMS_FROM`, `SAFEGRID_SMS_DLR_MASK`, `SAFEGRID_SMS_DLR_URL`, `SAFEGRID_SMS_METHOD=GET\|POST` | kannel options |
/// | `SAFEGRID_SMS_ACCESS_KEY_ID`, `SAFEGRID_SMS_ACCESS_KEY_SECRET`, `SAFEGRID_SMS_SIGN_NAME`, `SAFEGRID_SMS_TEMPLATE_CODE` | aliyun (all required) |
/// | `SAFEGRID_SMS_REGION` | aliyun region (default `cn-hangzhou`) |
/// | `SAFEGRID_SMS_TIMEOUT` | seconds per request (default 10) |
/// | `SAFEGRID_SMS_CONCURRENCY`, `SAFEGRID_SMS_BATCH`, `SAFEGRID_SMS_MAX_ATTEMPTS` | sender (8, 32, 6) |
/// | `SAFEGRID_SMS_SENDER` | `off` disables the background sender |
/// | `SAFEGRID_SMS_DLR_TOKEN` | the token the configured provider's delivery reports carry (at least 16 characters; without it reports are refused) |
/// | `SAFEGRID_SMS_DLR_TOKEN_KANNEL`, `…_ALIYUN`, `…_LOG` | the same for a provider by name (messages sent before a switch of provider) |
enum MessagingConfig {
    struct Invalid: Error, CustomStringConvertible, AbortError {
        let description: String
        var status: HTTPResponseStatus { .internalServerError }
        var reason: String { description }
    }

    static func settings(_ env: (String) -> String?) throws -> OutboxSettings {
        func number(_ name: String, _ range: ClosedRange<Double>) throws -> Double? {
            guard let raw = env(name)?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            guard let v = Double(raw), range.contains(v) else {
                throw Invalid(description: "\(name) must be a number from \(range.lowerBound) to \(range.upperBound), got '\(raw)'")
            }
            return v
        }
        var s = OutboxSettings()
        if let v = try number("SAFEGRID_SMS_TIMEOUT", 0.1...300) { s.timeout = v }
        if let v = try number("SAFEGRID_SMS_CONCURRENCY", 1...256) { s.concurrency = Int(v) }
        if let v = try number("SAFEGRID_SMS_BATCH", 1...10_000) { s.batchSize = Int(v) }
        if let v = try number("SAFEGRID_SMS_MAX_ATTEMPTS", 1...100) { s.maxAttempts = Int(v) }
        switch env("SAFEGRID_SMS_SENDER")?.lowercased() {
        case nil, "", "on", "1", "true": s.backgroundLoop = true
        case "off", "0", "false": s.backgroundLoop = false
        case let other?: throw Invalid(description: "SAFEGRID_SMS_SENDER must be on or off, got '\(other)'")
        }
        return s
    }

    /// Delivery report tokens by provider name: `SAFEGRID_SMS_DLR_TOKEN` for `provider`, and
    /// `SAFEGRID_SMS_DLR_TOKEN_<NAME>` for each provider by name.
    /// - Throws: ``Invalid`` for a token shorter than 16 characters.
    static func deliveryReportTokens(_ env: (String) -> String?, provider: String) throws -> [String: String] {
        var tokens: [String: String] = [:]
        for name in ["kannel", "aliyun", "log"] {
            if let t = env("SAFEGRID_SMS_DLR_TOKEN_\(name.uppercased())"), !t.isEmpty { tokens[name] = t }
        }
        if let t = env("SAFEGRID_SMS_DLR_TOKEN"), !t.isEmpty { tokens[provider] = t }
        for (name, token) in tokens where token.count < 16 {
            throw Invalid(description: "the delivery report token of \(name) must have at least 16 characters")
        }
        return tokens
    }

    static func provider(_ env: (String) -> String?, client: @autoclosure () -> any Client, logger: Logger,
                         timeout: TimeInterval) throws -> any SMSProvider {
        func required(_ name: String) throws -> String {
            guard let v = env(name), !v.isEmpty else {
                throw Invalid(description: "\(name) is required with SAFEGRID_SMS_PROVIDER=\(env("SAFEGRID_SMS_PROVIDER") ?? "")")
            }
            return v
        }
        func optional(_ name: String) -> String? { env(name).flatMap { $0.isEmpty ? nil : $0 } }

        switch (env("SAFEGRID_SMS_PROVIDER") ?? "log").lowercased() {
        case "", "log":
            return LogSMSProvider(logger: logger)
        case "kannel":
            let url = try required("SAFEGRID_SMS_URL")
            guard URL(string: url)?.scheme.map({ ["http", "https"].contains($0) }) == true else {
                throw Invalid(description: "SAFEGRID_SMS_URL must be an http(s) URL, got '\(url)'")
            }
            var dlrMask: Int? = nil
            if let raw = optional("SAFEGRID_SMS_DLR_MASK") {
                guard let m = Int(raw), (0...255).contains(m) else {
                    throw Invalid(description: "SAFEGRID_SMS_DLR_MASK must be 0…255, got '\(raw)'")
                }
                dlrMask = m
            }
            let method = (optional("SAFEGRID_SMS_METHOD") ?? "GET").uppercased()
            guard ["GET", "POST"].contains(method) else {
                throw Invalid(description: "SAFEGRID_SMS_METHOD must be GET or POST, got '\(method)'")
            }
            return KannelSMSProvider(config: .init(url: url, username: try required("SAFEGRID_SMS_USERNAME"),
                                                   password: try required("SAFEGRID_SMS_PASSWORD"),
                                                   from: optional("SAFEGRID_SMS_FROM"), dlrMask: dlrMask,
                                                   dlrURL: optional("SAFEGRID_SMS_DLR_URL"), usePOST: method == "POST",
                                                   timeout: timeout),
                                     client: client())
        case "aliyun":
            var config = AliyunSMSProvider.Config(accessKeyID: try required("SAFEGRID_SMS_ACCESS_KEY_ID"),
                                                  accessKeySecret: try required("SAFEGRID_SMS_ACCESS_KEY_SECRET"),
                                                  signName: try required("SAFEGRID_SMS_SIGN_NAME"),
                                                  templateCode: try required("SAFEGRID_SMS_TEMPLATE_CODE"), timeout: timeout)
            if let url = optional("SAFEGRID_SMS_URL") { config.endpoint = url }
            if let region = optional("SAFEGRID_SMS_REGION") { config.regionID = region }
            return AliyunSMSProvider(config: config, client: client())
        case let other:
            throw Invalid(description: "SAFEGRID_SMS_PROVIDER must be log, kannel or aliyun, got '\(other)'")
        }
    }
}

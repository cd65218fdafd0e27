import Foundation
import Vapor

/// Sets up the SMS provider and the background sender from ``Settings/sms``.
///
/// The provider is made from `app.settings.sms.gateway` unless one was already put in
/// `app.smsProvider` before ``configure(_:storage:services:settings:)`` ran; the same holds for
/// `app.outboxSettings`. The background loop runs from boot to shutdown, except under
/// `.testing` (tests call ``OutboxSender/runOnce(now:)``, or set `backgroundLoop` beforehand),
/// for commands other than `serve` and one that starts the background work itself (the demo),
/// or with `SAFEGRID_SMS_SENDER=off`.
func configureMessaging(_ app: Application) {
    if app.storage[OutboxSettingsKey.self] == nil {
        var outbox = app.settings.sms.outbox
        // Only a serving process sends: not `migrate`, `routes`, … nor the tests.
        outbox.backgroundLoop = outbox.backgroundLoop && (app.runsBackgroundJobs || app.startsBackgroundWorkLater)
        app.outboxSettings = outbox
    }
    if app.storage[SMSProviderKey.self] == nil {
        app.smsProvider = app.settings.sms.gateway.provider(client: app.client, logger: app.logger,
                                                            timeout: app.outboxSettings.timeout)
    }
    if app.outboxSettings.backgroundLoop, !app.startsBackgroundWorkLater {
        app.lifecycle.use(app.outboxLoop)
    }
}

struct SMSProviderKey: StorageKey { typealias Value = any SMSProvider }
struct OutboxSettingsKey: StorageKey { typealias Value = OutboxSettings }
struct OutboxLoopKey: StorageKey { typealias Value = OutboxLoop }
struct StartsBackgroundWorkLaterKey: StorageKey { typealias Value = Bool }

extension Application {
    /// Whether this process serves (`serve` or no command) outside tests: only then do the
    /// background loops (SMS sender, deadline jobs) start at boot. A command that starts them
    /// itself when ready (``startsBackgroundWorkLater``) calls ``startBackgroundWork()``.
    var runsBackgroundJobs: Bool {
        let command = environment.arguments.dropFirst().first { !$0.hasPrefix("-") }
        return environment != .testing && (command == nil || command == "serve")
    }

    /// Whether this process's command starts the background work itself once it is ready (the
    /// demo, after building its campaign, so the loops do not compete with the build); set by
    /// ``SafeGridMain`` from ``ExtraCommand/startsBackgroundWork``.
    var startsBackgroundWorkLater: Bool {
        get { storage[StartsBackgroundWorkLaterKey.self] ?? false }
        set { storage[StartsBackgroundWorkLaterKey.self] = newValue }
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

extension SMSGateway {
    /// The provider sending through this gateway.
    /// - Parameter timeout: seconds per request, connection included (the sender's, which
    ///   tests may have changed since the settings were read).
    func provider(client: @autoclosure () -> any Client, logger: Logger, timeout: TimeInterval) -> any SMSProvider {
        switch self {
        case .log:
            return LogSMSProvider(logger: logger)
        case .kannel(var config):
            config.timeout = timeout
            return KannelSMSProvider(config: config, client: client())
        case .aliyun(var config):
            config.timeout = timeout
            return AliyunSMSProvider(config: config, client: client())
        }
    }
}

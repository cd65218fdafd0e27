import Foundation
import Vapor

/// A command another module of the package adds to the `safegrid` executable (the demo's
/// `safegrid demo`), with the check it makes before the application is configured.
package struct ExtraCommand: Sendable {
    package let name: String
    package let command: any AsyncCommand
    /// Called with the arguments after the command's name and the settings, before the
    /// database is opened: may refuse the arguments (with a message naming the option) and may
    /// choose another storage.
    package let prepare: @Sendable (_ arguments: [String], _ settings: Settings, _ storage: inout StorageChoice) throws -> Void
    /// The command starts the background work (SMS sender, webhooks, deadline jobs) itself
    /// when ready (``Application/startBackgroundWork()``) instead of at boot.
    package let startsBackgroundWork: Bool

    package init(name: String, command: any AsyncCommand, startsBackgroundWork: Bool = false,
                 prepare: @escaping @Sendable (_ arguments: [String], _ settings: Settings, _ storage: inout StorageChoice) throws -> Void) {
        self.name = name
        self.command = command
        self.startsBackgroundWork = startsBackgroundWork
        self.prepare = prepare
    }
}

/// The entry point of the `safegrid` executable.
public enum SafeGridMain {
    /// Reads the settings once (``Settings/fromEnvironment(_:)``) and runs the command. Every
    /// command uses `DATABASE_URL` or ``Settings/Storage/sqlitePath`` unless an extra command's
    /// `prepare` chooses otherwise (the demo makes its own file anew). A bad setting or option,
    /// or any other failure to start, is one line on standard error and exit status 1.
    package static func run(extra: [ExtraCommand] = []) async throws {
        var env = try Environment.detect()
        try LoggingSystem.bootstrap(from: &env)
        Telemetry.bootstrap()
        // Made before the settings are read: making it loads `.env` files into the environment.
        let app = try await Application.make(env)
        do {
            let settings = try Settings.fromEnvironment()
            var storage = settings.storage.choice
            if let name = env.arguments.dropFirst().first, let command = extra.first(where: { $0.name == name }) {
                // Refuse bad options before anything is made anew, so a typo loses nothing.
                try command.prepare(Array(env.arguments.dropFirst(2)), settings, &storage)
                app.startsBackgroundWorkLater = command.startsBackgroundWork && app.environment != .testing
            }
            try await configure(app, storage: storage, settings: settings)
            for command in extra { app.asyncCommands.use(command.command, as: command.name) }
            try await app.execute()
            await InFlight.shared.drain(timeout: 10)
        } catch {
            // A clear line and a non-zero exit, not a crash with a backtrace.
            let reason = (error as? any AbortError)?.reason ?? String(describing: error)
            FileHandle.standardError.write(Data("safegrid: \(reason)\n".utf8))
            try? await app.asyncShutdown()
            exit(1)
        }
        try await app.asyncShutdown()
    }
}

import Foundation
import SQLKit
import SafeGridCore
import Vapor

/// The entry point of the `safegrid` executable.
public enum SafeGridMain {
    /// Reads the settings once (``Settings/fromEnvironment(_:)``) and runs the command.
    /// `safegrid demo` uses its own file (``Settings/Storage/demoSQLitePath``, default
    /// `data/demo.sqlite`), made anew on each run, unless `DATABASE_URL` names a PostgreSQL
    /// database, which must then be empty; every other command uses `DATABASE_URL` or
    /// ``Settings/Storage/sqlitePath``. A bad setting or option, or any other failure to start,
    /// is one line on standard error and exit status 1.
    public static func run() async throws {
        var env = try Environment.detect()
        try LoggingSystem.bootstrap(from: &env)
        Telemetry.bootstrap()
        let isDemo = env.arguments.dropFirst().first == "demo"
        if isDemo {
            // Refuse bad options before the demo file is made anew, so a typo loses nothing.
            do { try DemoCommand.preflight(Array(env.arguments.dropFirst(2))) } catch {
                FileHandle.standardError.write(Data("safegrid: \(error)\n".utf8))
                exit(1)
            }
        }
        // Made before the settings are read: making it loads `.env` files into the environment.
        let app = try await Application.make(env)
        do {
            let settings = try Settings.fromEnvironment()
            var storage = settings.storage.choice
            if isDemo, case .sqliteFile = storage {
                let path = settings.storage.demoSQLitePath
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
                storage = .sqliteFile(path)
            }
            try await configure(app, storage: storage, settings: settings)
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

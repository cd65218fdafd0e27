import Foundation
import SQLKit
import SafeGridCore
import Vapor

/// The entry point of the `safegrid` executable.
public enum SafeGridMain {
    /// `safegrid demo` uses its own file, `data/demo.sqlite`, made anew on each run (unless
    /// `DATABASE_URL` names a PostgreSQL database, which must then be empty); every other command
    /// uses `data/safegrid.sqlite` or `DATABASE_URL`.
    public static func run() async throws {
        var env = try Environment.detect()
        try LoggingSystem.bootstrap(from: &env)
        Telemetry.bootstrap()
        var storage = StorageChoice.fromEnvironment()
        if env.arguments.dropFirst().first == "demo" {
            // Refuse bad options before the demo file is made anew, so a typo loses nothing.
            do { try DemoCommand.preflight(Array(env.arguments.dropFirst(2))) } catch {
                FileHandle.standardError.write(Data("safegrid: \(error)\n".utf8))
                exit(1)
            }
        }
        if env.arguments.dropFirst().first == "demo", case .sqliteFile = storage {
            let path = Environment.get("SAFEGRID_DEMO_SQLITE") ?? "data/demo.sqlite"
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            storage = .sqliteFile(path)
        }
        let app = try await Application.make(env)
        do {
            try await configure(app, storage: storage)
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

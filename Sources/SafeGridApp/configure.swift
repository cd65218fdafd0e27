import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import SQLKit
import SafeGridCore
import Vapor

/// Where the campaign lives.
public enum StorageChoice: Sendable {
    /// `./data/safegrid.sqlite` by default (WAL mode); created and migrated on first start.
    case sqliteFile(String)
    /// A private in-memory SQLite database (tests).
    case sqliteMemory
    /// `postgres://user:pass@host:port/db` (from `DATABASE_URL`).
    case postgres(String)
}

/// What the server needs besides the database: its clock and the district outline.
/// Tests replace the clock.
public struct SafeGridServices: Sendable {
    public var now: @Sendable () -> Date
    public var boundary: DistrictBoundary

    public init(now: @escaping @Sendable () -> Date = { Date() }, boundary: DistrictBoundary = .xiaoshan) {
        self.now = now
        self.boundary = boundary
    }
}

struct SafeGridServicesKey: StorageKey { typealias Value = SafeGridServices }
struct WriteGateKey: StorageKey { typealias Value = WriteGate }

extension Application {
    var services: SafeGridServices {
        get { storage[SafeGridServicesKey.self] ?? SafeGridServices() }
        set { storage[SafeGridServicesKey.self] = newValue }
    }

    package var writeGate: WriteGate {
        if let gate = storage[WriteGateKey.self] { return gate }
        let gate = WriteGate()
        storage[WriteGateKey.self] = gate
        return gate
    }

    package var sql: any SQLDatabase { db as! any SQLDatabase }
}

extension Request {
    var services: SafeGridServices { application.services }
    var sql: any SQLDatabase { db as! any SQLDatabase }
    /// Reads restricted to the signed-in account's area (see ``CampaignQueries``).
    var queries: CampaignQueries { CampaignQueries(sql: sql, scope: jurisdiction) }
    /// The same reads inside a write transaction.
    func queries(_ sql: any SQLDatabase) -> CampaignQueries { CampaignQueries(sql: sql, scope: jurisdiction) }
}

/// Threads for SQLite's blocking calls, per application (instead of NIO's process-wide pool of
/// one per core). SQLiteNIO's busy handler retries at once while another process holds the
/// write lock, holding its thread meanwhile; with only two threads, two waiting writers of two
/// apps in one process (the tests' several-instance cases) starved the lock holder forever.
let sqliteThreads = 8

/// Sets up the server: database, migrations, middleware, routes and commands. The tests build
/// their application with the same function.
///
/// - Parameters:
///   - storage: the database; `nil` (default): `settings.storage.choice`.
///   - services: the clock and the district outline.
///   - settings: what the environment set (``Settings/fromEnvironment(_:)``); default the
///     defaults, so that tests do not depend on the environment they run in. Kept in
///     `app.settings`, where everything else reads it.
/// - Throws: when the database cannot be opened or migrated, or the evidence link key cannot be
///   loaded.
public func configure(_ app: Application, storage: StorageChoice? = nil,
                      services: SafeGridServices = SafeGridServices(), settings: Settings = Settings()) async throws {
    app.settings = settings
    let storage = storage ?? settings.storage.choice
    app.services = services
    _ = app.writeGate
    _ = app.liveFeed
    _ = app.liveRenderings
    _ = app.mapCentroids
    _ = app.residentContexts
    _ = app.liveInstanceID
    app.lifecycle.use(LiveFeedShutdown())
    app.lifecycle.use(MapWarmUp())
    _ = app.dashboardCache
    _ = app.checklists
    _ = app.signInAttempts
    app.storage[SessionCacheKey.self] = SessionCache()
    await PasswordThreads.start(app)

    switch storage {
    case .sqliteFile(let path):
        app.threadPool = NIOThreadPool(numberOfThreads: sqliteThreads)
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        app.databases.use(.sqlite(.file(path)), as: .sqlite)
    case .sqliteMemory:
        app.threadPool = NIOThreadPool(numberOfThreads: sqliteThreads)
        app.databases.use(.sqlite(.memory), as: .sqlite)
    case .postgres(let url):
        try app.databases.use(.postgres(url: url), as: .psql)
    }

    app.migrations.add(CreateCampaignSchema())
    app.migrations.add(SeedReferenceData())
    app.migrations.add(CreateClosedLoop())
    app.migrations.add(CreateDashboardCounters())
    app.migrations.add(CreateExchange())
    app.migrations.add(CreateLedgerImports())
    app.migrations.add(CreateAccounts())
    app.migrations.add(CreateRankings())
    app.migrations.add(CreateEnforcement())
    app.migrations.add(AddEvidenceLink())
    app.migrations.add(AddWebhookRemoval())
    app.migrations.add(CreatePhotos())
    app.migrations.add(AddSubjectPositionIndex())
    app.migrations.add(CreateIncidents())
    app.migrations.add(CreateDevices())
    app.migrations.add(CreateResidentReports())
    app.storage[InspectionIntakeKey.self] = InspectionIntake()
    app.storage[WebhookLoopKey.self] = WebhookLoop()
    app.lifecycle.use(app.storage[WebhookLoopKey.self]!)
    if case .postgres(let url) = storage {
        // Other instances' writes reach this one's screens and cache (LISTEN/NOTIFY).
        let listener = LiveListener(url: url)
        app.storage[LiveListenerKey.self] = listener
        app.lifecycle.use(listener)
    }

    app.middleware = Middlewares()
    app.middleware.use(SecurityHeadersMiddleware(tileOrigin: settings.mapTileOrigin))
    app.middleware.use(RequestIDMiddleware())
    app.middleware.use(ProblemMiddleware())
    app.middleware.use(MethodNotAllowedMiddleware())
    app.middleware.use(Authenticator())
    // Bcrypt cost 12 (≈0.25 s a check on one core); 4 in tests, which make hundreds of accounts.
    app.passwords.use(.bcrypt(cost: app.environment == .testing ? 4 : 12))
    app.http.server.configuration.hostname = settings.http.host
    app.http.server.configuration.port = settings.http.port
    app.routes.defaultMaxBodySize = "2mb"

    if case .sqliteFile(let path) = storage {
        app.storage[SQLiteFileKey.self] = path
        try await SQLiteTuning.apply(app)
    }
    try await app.autoMigrate()
    app.storage[LinkSigningKey.self] = try await LinkSigning.load(app: app)

    configureMessaging(app)
    try routes(app)
    app.asyncCommands.use(JobsCommand(), as: "jobs")
    app.asyncCommands.use(AuditCommand(), as: "audit")
    app.asyncCommands.use(CheckCommand(), as: "check")
    app.asyncCommands.use(RecountCommand(), as: "recount")
    app.asyncCommands.use(ApiKeyCommand(), as: "apikey")
    app.asyncCommands.use(BackupCommand(), as: "backup")
    app.asyncCommands.use(ImportCommand(), as: "import")
    app.asyncCommands.use(UserCommand(), as: "user")
    app.lifecycle.use(DeadlineJobsRunner())
}

extension Application {
    /// The server's clock (``SafeGridServices/now``), for other modules of the package.
    package func now() -> Date { services.now() }
}

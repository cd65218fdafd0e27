import SafeGridCore
import Vapor

/// Every route of the server, in one place; the handlers live in their controllers.
///
/// Groups carry the middleware: `RequireAccount` (a signed-in person; `pages: true` sends a
/// browser without a session to /login), `RequireRole.administrators`, and `JSONBodyMiddleware`
/// on the JSON API. A route's body limit is the default 2 MB unless it says otherwise.
func routes(_ app: Application) throws {
    // Public: sign-in, assets, health, the SMS link of responsible parties (a signed token, no
    // account), the API description. SMS delivery reports and Open311 (its own API keys) are
    // public too, registered at the end.
    app.get("login", use: AccountsController.loginPage)
    app.post("login", use: AccountsController.login)
    app.get("assets", "app.css", use: PagesController.stylesheet)
    app.get("assets", ":script", use: Assets.script)
    // The field app (phones): its shell and files hold no data; it reads and writes through the API.
    app.get("field", use: WebApp.field.shell)
    app.get("field", ":file", use: WebApp.field.asset)
    app.get("screen", ":file", use: WebApp.screen.asset)
    // The residents' page (沥家园): no account; it reports through /api/v1/resident.
    app.get("report", use: WebApp.report.shell)
    app.get("report", ":file", use: WebApp.report.asset)
    app.get("e", ":token", use: EvidenceController.page)
    app.on(.POST, "e", ":token", "hazards", ":hazard", "evidence", body: .collect(maxSize: "12mb"), use: EvidenceController.upload)
    app.get("e", ":token", "evidence", ":evidence", use: EvidenceController.photo)
    app.get("healthz", use: Operations.health)
    app.get("readyz", use: Operations.ready)
    app.get("metrics", use: Telemetry.scrape)
    app.get("openapi.json", use: OpenAPIDocument.serve)

    // Pages (zh-CN first), for signed-in people; a browser without a session goes to /login.
    app.grouped(RequireAccount(pages: true, allowViewerWrites: true)).post("logout", use: AccountsController.logout)
    let pages = app.grouped(RequireAccount(pages: true))
    pages.get(use: PagesController.dashboard)
    pages.get("dashboard", use: PagesController.dashboard)
    pages.get("villages", ":code", use: PagesController.area)
    pages.get("grids", ":code", use: PagesController.area)
    pages.get("areas", ":code", use: PagesController.area)
    pages.get("subjects", ":id", use: PagesController.subject)
    pages.get("hazards", ":id", use: PagesController.hazard)
    pages.get("inspections", ":id", "sign", use: SignaturesController.signPage)
    pages.get("inspections", ":id", "notice", use: SignaturesController.noticePage)
    pages.get("inspections", ":id", "signature.png", use: SignaturesController.image)
    pages.get("evidence", ":evidence", use: EvidenceController.photo)
    pages.get("photos", ":id", use: PhotosController.image)
    // The wall screen's shell (its data comes from the API and the stream).
    pages.get("screen", use: WebApp.screen.shell)
    pages.get("key-hazards", use: KeyHazards.page)
    pages.get("tasks", use: TaskLists.page)
    pages.get("performance", use: Performance.page)
    let adminPages = pages.grouped(RequireRole.administrators)
    adminPages.get("imports", use: ImportsPage.form)
    adminPages.on(.POST, "imports", body: .collect(maxSize: ImportsController.maxSize), use: ImportsPage.dryRun)
    adminPages.get("imports", ":id", use: ImportsPage.show)
    adminPages.post("imports", ":id", "apply", use: ImportsPage.apply)

    // JSON API.
    // Every route but the token's answers 401 without a valid bearer token (or session cookie
    // with its CSRF token for writes); viewers only read.
    let open = app.grouped("api", "v1").grouped(JSONBodyMiddleware())
    open.post("auth", "token", use: AccountsController.token)
    // Licensing systems: their own API key (scope clearance) instead of a person's token.
    open.get("clearance", use: ClearanceController.check)
    // Residents (the residents' page): no account; a one-time SMS code proves a mobile, and
    // per-number and per-address limits hold back abuse. A report carries up to 3 photos.
    open.get("resident", "context", use: ResidentController.context)
    open.post("resident", "codes", use: ResidentController.sendCode)
    open.get("resident", "nearby", use: ResidentController.nearby)
    open.on(.POST, "resident", "reports", body: .collect(maxSize: "9mb"), use: ResidentController.report)
    open.get("resident", "reports", ":token", use: ResidentController.track)
    let session = open.grouped(RequireAccount(allowViewerWrites: true))
    session.delete("auth", "token", use: AccountsController.revoke)
    session.get("auth", "me", use: AccountsController.me)
    let api = open.grouped(RequireAccount())
    // Large reads a phone makes on a slow link, sent gzip-compressed when asked (their hazard
    // and subject lists shrink about fivefold). Not the live stream (compression buffers it),
    // nor answers carrying a session's secret.
    let compressed = api.responseCompression(.enable)
    let admin = api.grouped(RequireRole.administrators)

    // Accounts (admins, inside their area).
    admin.get("users", use: AccountsController.list)
    admin.post("users", use: AccountsController.create)
    admin.patch("users", ":id", use: AccountsController.update)

    // The work of people: key hazard enterprises, task lists, performance.
    api.get("key-hazards", use: KeyHazards.list)
    api.get("key-hazards", "changes", use: KeyHazards.changes)
    admin.post("key-hazards", "rank", use: KeyHazards.rankNow)
    compressed.get("tasks", use: TaskLists.list)
    api.get("performance", use: Performance.ranking)
    admin.post("tasks", "directed", use: TaskLists.direct)

    // Joint enforcement: figures, actions; teams are made by admins.
    api.get("enforcement", use: EnforcementController.figures)
    api.get("enforcement", "actions", use: EnforcementController.list)
    api.post("enforcement", "actions", use: EnforcementController.record)
    api.get("enforcement", "teams", use: EnforcementController.teams)
    admin.post("enforcement", "teams", use: EnforcementController.createTeam)

    // Results: incident counts per area with 同比 and 环比 (imported as ledgers of kind incidents).
    api.get("incidents", use: IncidentsController.figures)

    // The campaign: dashboard, areas, checklists, subjects, inspections, hazards.
    compressed.get("dashboard", use: DashboardController.json)
    // The wall screen: live figures (Server-Sent Events) and the map.
    api.get("stream", use: StreamController.stream)
    compressed.get("map", use: MapController.map)
    api.get("map", "outline", use: MapController.outline)
    compressed.get("areas", use: ReferenceController.areas)
    compressed.get("areas", ":code", use: ReferenceController.area)
    compressed.get("checklists", "current", use: ReferenceController.currentChecklist)
    compressed.get("checklists", ":version", use: ReferenceController.checklist)
    compressed.get("subjects", use: SubjectsController.list)
    api.post("subjects", use: SubjectsController.create)
    compressed.get("subjects", ":id", use: SubjectsController.show)
    api.post("subjects", ":id", "close-down", use: SubjectsController.closeDown)
    compressed.get("inspections", use: InspectionsController.list)
    api.post("inspections", use: InspectionsController.submit)
    api.get("inspections", ":id", use: InspectionsController.show)
    api.on(.POST, "inspections", ":id", "signature", body: .collect(maxSize: "1mb"), use: SignaturesController.sign)
    compressed.get("hazards", use: HazardsController.list)
    compressed.get("hazards", ":id", use: HazardsController.show)
    api.post("hazards", ":id", "actions", use: HazardsController.act)
    api.post("reinspections", use: ReinspectionController.reinspect)
    api.post("sync", use: OfflineSyncController.sync)

    // Smart fire devices (智建): platforms and devices registered by admins; the area's devices,
    // their summary and alarms for readers; alarm steps for the workers of the area.
    admin.post("iot-platforms", use: DevicesController.createPlatform)
    admin.get("iot-platforms", use: DevicesController.platforms)
    admin.post("devices", use: DevicesController.register)
    compressed.get("devices", use: DevicesController.list)
    api.get("devices", "summary", use: DevicesController.summary)
    api.get("devices", ":id", use: DevicesController.show)
    api.get("alarms", use: AlarmsController.list)
    api.get("alarms", ":id", use: AlarmsController.show)
    api.post("alarms", ":id", "actions", use: AlarmsController.act)

    // Residents' reports (沥家园, Open311): the area's, for its workers to verify or dismiss.
    compressed.get("reports", use: ReportsController.list)
    api.get("reports", "summary", use: ReportsController.summary)
    api.get("reports", "changes", use: ReportsController.changes)
    api.get("reports", ":id", use: ReportsController.show)
    api.get("reports", ":id", "photos", ":n", use: ReportsController.photo)
    api.post("reports", ":id", "actions", use: ReportsController.act)

    // Other platforms: the change feed and outgoing webhooks (admins).
    compressed.get("changes", use: ChangesController.list)
    admin.post("webhooks", use: Webhooks.create)
    admin.get("webhooks", use: Webhooks.list)
    admin.delete("webhooks", ":id", use: Webhooks.remove)
    admin.get("webhooks", ":id", "deliveries", use: Webhooks.deliveries)

    // Ledger imports: the spreadsheet itself is the body (up to ImportsController.maxSize), not
    // JSON, so outside JSONBodyMiddleware; admins only, into their area.
    let imports = app.grouped("api", "v1").grouped(RequireAccount()).grouped(RequireRole.administrators)
    imports.on(.POST, "imports", body: .collect(maxSize: ImportsController.maxSize), use: ImportsController.create)
    imports.get("imports", ":id", use: ImportsController.show)
    // Field photos: the image is the body (not JSON), up to 10 MB and a little room for the
    // precise message of ImageContent; anyone who inspects (not viewers).
    app.grouped("api", "v1").grouped(RequireAccount())
        .on(.POST, "photos", body: .collect(maxSize: "11mb"), use: PhotosController.upload)
    imports.post("imports", ":id", "apply", use: ImportsController.apply)
    imports.get("imports", ":id", "rejected.csv") { try await ImportsController.rejected($0, csv: true) }
    imports.get("imports", ":id", "rejected.xlsx") { try await ImportsController.rejected($0, csv: false) }

    // Ledger exports, with the list endpoints' filters.
    for format in [ExportsController.Format.xlsx, .csv] {
        api.get("exports", "subjects.\(format.rawValue)") { try await ExportsController.subjects($0, format) }
        api.get("exports", "hazards.\(format.rawValue)") { try await ExportsController.hazards($0, format) }
        api.get("exports", "villages.\(format.rawValue)") { try await ExportsController.villages($0, format) }
    }

    // SMS: the outbox (API and page), and the gateway's delivery reports (its own token, no account).
    api.get("messages", use: MessagesController.list)
    pages.get("messages", use: MessagesController.page)
    // IoT platforms post device events, signed with their own key (no account); the raw body
    // is what the signature covers.
    app.on(.POST, "api", "v1", "iot", ":platform", "events", body: .collect(maxSize: "2mb"), use: IoTEventsController.receive)
    app.get("sms", "dlr", ":id", use: DeliveryReports.receive)
    app.post("sms", "dlr", ":id", use: DeliveryReports.receive)

    // Open311 GeoReport v2, JSON or XML by the extension; public reads (unless
    // SAFEGRID_OPEN311_READ=key) and reports with an API key of its own.
    let open311 = app.grouped("open311", "v2")
    for format in Open311Controller.Format.allCases {
        open311.get("services.\(format.rawValue)") { try await Open311Controller.listServices($0, format) }
        open311.get("requests.\(format.rawValue)") { try await Open311Controller.listRequests($0, format) }
        open311.post("requests.\(format.rawValue)") { try await Open311Controller.submitRequest($0, format) }
    }
    open311.get("services", ":file", use: Open311Controller.showService)
    open311.get("requests", ":file", use: Open311Controller.showRequest)
    open311.get("tokens", ":file", use: Open311Controller.showToken)
}

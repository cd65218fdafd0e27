import SafeGridCore
import Vapor

/// Every route of the server, in one place.
func routes(_ app: Application) throws {
    // Public: sign-in, assets, health, the SMS link of responsible parties (a signed token, no
    // account), SMS delivery reports, the API description and Open311 (its own API keys).
    app.get("login", use: AccountsController.loginPage)
    app.post("login", use: AccountsController.login)
    app.get("assets", "app.css", use: PagesController.stylesheet)
    app.get("assets", "sign.js", use: Assets.signScript)
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
    let session = open.grouped(RequireAccount(allowViewerWrites: true))
    session.delete("auth", "token", use: AccountsController.revoke)
    session.get("auth", "me", use: AccountsController.me)
    let api = open.grouped(RequireAccount())
    let admin = api.grouped(RequireRole.administrators)
    admin.get("users", use: AccountsController.list)
    admin.post("users", use: AccountsController.create)
    admin.patch("users", ":id", use: AccountsController.update)
    api.get("dashboard", use: DashboardController.json)
    api.get("areas", use: ReferenceController.areas)
    api.get("areas", ":code", use: ReferenceController.area)
    api.get("checklists", "current", use: ReferenceController.currentChecklist)
    api.get("checklists", ":version", use: ReferenceController.checklist)
    api.get("subjects", use: SubjectsController.list)
    api.post("subjects", use: SubjectsController.create)
    api.get("subjects", ":id", use: SubjectsController.show)
    api.post("subjects", ":id", "close-down", use: SubjectsController.closeDown)
    api.get("inspections", use: InspectionsController.list)
    api.post("inspections", use: InspectionsController.submit)
    api.get("inspections", ":id", use: InspectionsController.show)
    api.on(.POST, "inspections", ":id", "signature", body: .collect(maxSize: "1mb"), use: SignaturesController.sign)
    api.get("hazards", use: HazardsController.list)
    api.get("hazards", ":id", use: HazardsController.show)
    api.post("hazards", ":id", "actions", use: HazardsController.act)
    api.post("reinspections", use: ReinspectionController.reinspect)
    api.post("sync", use: OfflineSyncController.sync)
    api.get("changes", use: ChangesController.list)
    admin.post("webhooks", use: Webhooks.create)
    admin.get("webhooks", use: Webhooks.list)
    admin.delete("webhooks", ":id", use: Webhooks.remove)
    admin.get("webhooks", ":id", "deliveries", use: Webhooks.deliveries)
    // Imports take the spreadsheet itself as the body (not JSON); admins only, into their area.
    ImportsController.routes(app.grouped("api", "v1").grouped(RequireAccount()).grouped(RequireRole.administrators))
    ExportsController.routes(api)
    messagingRoutes(app, api: api, pages: pages)
    Open311Controller.routes(app)
}

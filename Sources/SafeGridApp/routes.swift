import SafeGridCore
import Vapor

/// Every route of the server, in one place.
func routes(_ app: Application) throws {
    // Pages (zh-CN first).
    app.get(use: PagesController.dashboard)
    app.get("dashboard", use: PagesController.dashboard)
    app.get("villages", ":code", use: PagesController.area)
    app.get("grids", ":code", use: PagesController.area)
    app.get("areas", ":code", use: PagesController.area)
    app.get("subjects", ":id", use: PagesController.subject)
    app.get("hazards", ":id", use: PagesController.hazard)
    app.get("assets", "app.css", use: PagesController.stylesheet)
    app.get("assets", "sign.js", use: Assets.signScript)
    app.get("inspections", ":id", "sign", use: SignaturesController.signPage)
    app.get("inspections", ":id", "notice", use: SignaturesController.noticePage)
    app.get("inspections", ":id", "signature.png", use: SignaturesController.image)
    app.get("e", ":token", use: EvidenceController.page)
    app.on(.POST, "e", ":token", "hazards", ":hazard", "evidence", body: .collect(maxSize: "12mb"), use: EvidenceController.upload)
    app.get("e", ":token", "evidence", ":evidence", use: EvidenceController.photo)
    app.get("evidence", ":evidence", use: EvidenceController.photo)
    app.get("healthz", use: Operations.health)
    app.get("readyz", use: Operations.ready)
    app.get("metrics", use: Telemetry.scrape)

    // JSON API.
    let api = app.grouped("api", "v1").grouped(JSONBodyMiddleware())
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
    messagingRoutes(app, api: api)
}

import Foundation
import SQLKit
import SafeGridApp
import SafeGridCore
import Vapor

/// `safegrid demo`: builds the 瓜沥 campaign from a fixed seed through the domain rules, writes
/// it in batches in one transaction, prints what it built and how long it took, then serves.
package struct DemoCommand: AsyncCommand {
    /// `safegrid demo`: checks the options, then (on SQLite) uses its own file made anew,
    /// ``Settings/Storage/demoSQLitePath`` (`data/demo.sqlite`); with `DATABASE_URL` the
    /// database must be empty.
    package static let registration = ExtraCommand(name: "demo", command: DemoCommand(), startsBackgroundWork: true) { arguments, settings, storage in
        try preflight(arguments)
        if case .sqliteFile = storage {
            let path = settings.storage.demoSQLitePath
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            storage = .sqliteFile(path)
        }
    }

    package init() {}

    package struct Signature: CommandSignature {
        @Option(name: "as-of", help: "Last day of the campaign, YYYY-MM-DD (Asia/Shanghai); default today")
        var asOf: String?
        @Option(name: "seed", help: "Random seed (default 20220725); the same seed and date give the same campaign")
        var seed: UInt64?
        @Option(name: "scale", help: "guali (default: 瓜沥镇 as in the article), district (萧山区: every town, ≈500,000 subjects, ≈1,000,000 hazards) or a hazard count (10000, 100k, 1m)")
        var scale: String?
        @Flag(name: "no-serve", help: "Build the database and exit")
        var noServe: Bool
        package init() {}
    }

    package var help: String { "Build the 瓜沥镇 demo campaign (data/demo.sqlite) and serve it on 127.0.0.1:8080" }

    package func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let started = Date()
        let asOf: CalendarDate
        if let s = signature.asOf {
            do { asOf = try CalendarDate(s) } catch { throw Abort(.badRequest, reason: "--as-of: \(error.reason)") }
        } else {
            asOf = CalendarDate(shanghai: app.now())
        }
        guard asOf <= CalendarDate(shanghai: app.now()) else {
            throw Abort(.badRequest, reason: "--as-of \(asOf) is in the future; the demo builds a campaign that has happened")
        }
        let scale: DemoScale
        do { scale = try DemoScale(argument: signature.scale ?? "guali") } catch { throw Abort(.badRequest, reason: "--scale: \(error)") }
        let figures = try await Self.build(app: app, asOf: asOf, seed: signature.seed ?? 20220725, scale: scale) { line in
            context.console.print(line)
        }
        let elapsed = Date().timeIntervalSince(started)
        context.console.print(String(format: "demo built in %.1f s", elapsed))
        for k in figures.kinds where k.hazardsFound > 0 {
            let inspected = k.roomsInspected.map { "\($0) rooms" } ?? "\(k.subjectsInspected)"
            context.console.print("  \(k.zh) inspected \(inspected), hazards \(k.hazardsFound), rectified \(k.hazardsRectified), rate \(k.rectificationRateText)")
        }
        guard !signature.noServe else { return }
        // The SMS sender and the deadline jobs start once the campaign is built.
        try await app.startBackgroundWork()
        let config = app.http.server.configuration
        context.console.print("accounts (password \(DemoAccounts.password)):")
        for row in try await AccountStore(sql: app.sql).users(in: .everything) {
            context.console.print("  \(row.account.username.padding(toLength: 20, withPad: " ", startingAt: 0)) \(row.account.role.zh) · \(row.account.role.rawValue) · \(row.account.areaCode)")
        }
        context.console.print("SafeGrid serves the dashboard at http://\(config.hostname):\(config.port)/ (Ctrl-C to stop; sign in at /login)")
        var serveInput = CommandInput(arguments: ["safegrid", "serve"])
        let serve = try ServeCommand.Signature(from: &serveInput)
        try await app.servers.asyncCommand.run(using: context, signature: serve)
    }

    /// Builds the campaign into the (empty) database of `app`.
    /// - Returns: the town dashboard figures after the build.
    /// - Throws: if the database already holds subjects, or a rule refuses a generated record.
    package static func build(app: Application, asOf: CalendarDate, seed: UInt64, scale: DemoScale = .guali,
                      log: @escaping @Sendable (String) -> Void = { _ in }) async throws -> DashboardFigures {
        let sql = app.sql
        let existing = try await CampaignQueries(sql: sql, scope: .everything).subjectCount()
        guard existing == 0 else {
            throw Abort(.conflict, reason: "the database already holds \(existing) subjects; the demo needs an empty one")
        }
        let checklist = try await app.checklists.current(sql: sql)
        let base = try BundledAreas.load()
        if scale != .guali {
            let figures = try await buildAtScale(app: app, asOf: asOf, seed: seed, scale: scale, checklist: checklist, base: base, log: log)
            try await DemoAccounts.create(app: app)
            return figures
        }
        var t = Date()
        let campaign = try DemoCampaign(seed: seed, asOf: asOf, checklist: checklist, baseAreas: base)
        log(String(format: "  generated %d subjects through the domain rules in %.1f s", campaign.subjects.count, Date().timeIntervalSince(t)))
        t = Date()
        let now = app.now()
        let newAreas = campaign.areas.filter { $0.level == .grid || $0.level == .microGrid }
        let batches: [(Subject, DossierChanges)] = zip(campaign.subjects, campaign.dossiers).map { s, l in
            var dossier = l
            return (s, dossier.takeChanges())
        }
        let subjects = campaign.subjects
        try await app.campaignWrite(scope: .everything, recordedAt: now) { tx in
            try await tx.insert(areas: newAreas)
            try await tx.create(subjects, dossiers: batches)
        }
        let enforcement = try await DemoEnforcementWriter.record(campaign: campaign, base: base, app: app)
        log("  joint enforcement: \(enforcement.actions) actions (\(enforcement.share) of the district), \(enforcement.enterprisesClosed) closed, "
            + "\(enforcement.enterprisesWithDemolitions) with demolitions")
        log(String(format: "  wrote %d grids, %d micro-grids and the campaign in %.1f s",
                   newAreas.filter { $0.level == .grid }.count, newAreas.filter { $0.level == .microGrid }.count,
                   Date().timeIntervalSince(t)))
        try await writeIncidents(app: app, asOf: asOf, seed: seed, villages: campaign.areas.filter {
            $0.level == .village && $0.parentCode == BundledAreas.gualiTownCode
        }, log: log)
        t = Date()
        let workers = campaign.gridWorkers
        try await app.campaignWrite(scope: .everything, recordedAt: now) { tx in
            try await tx.insert(gridWorkers: workers.map { ($0.gridCode, $0.worker.name, $0.worker.phone) })
        }
        let devices = try await DemoDevices.record(campaign: campaign, app: app, now: now)
        log("  smart fire devices: \(devices.installed) installed of \(devices.planned) planned, \(devices.offline) offline, "
            + "\(devices.openAlarms) alarms open, \(devices.closedAlarms) false alarms handled; "
            + "IoT platform \(DemoDevices.platformID), key \(devices.platformKey) (signs its events: README, Smart fire devices)")
        let reports = try await DemoReports.record(campaign: campaign, app: app, now: now)
        log("  residents' reports (沥家园): \(reports.received) received, \(reports.verified) verified, \(reports.dismissed) dismissed, "
            + "\(reports.received - reports.verified - reports.dismissed) waiting (residents' page: /report/)")
        // The most recent visits with open hazards are signed on site, the way inspectors close a visit.
        let recent = try await CampaignQueries(sql: sql, scope: .everything).latestInspectionsWithHazards(limit: signedVisits)
        let links = app.linkSigning
        let checklists = app.checklists
        for id in recent {
            try await app.writeGate.transaction(on: app.db) { sql in
                let q = CampaignQueries(sql: sql, scope: .everything)
                guard let inspection = try await q.inspection(id), let subject = try await q.subject(inspection.subjectId),
                      let phone = subject.phone else { return }
                _ = try await SignatureService.sign(sql: sql, scope: .everything, inspectionID: id, signerName: subject.partyName, signerPhone: phone,
                                                    signedAt: inspection.inspectedAt.addingTimeInterval(20 * 60),
                                                    imagePNG: demoSignature, location: subject.location, now: now, links: links, checklists: checklists)
            }
        }
        try await DemoAccounts.create(app: app)
        let jobs = try await DeadlineJobs.runOnce(app: app, now: now)
        log(String(format: "  signed %d visits, queued %d reminders, grid workers for %d grids in %.1f s",
                   recent.count, jobs.remindersQueued, workers.count, Date().timeIntervalSince(t)))
        guard let town = try await CampaignQueries(sql: sql, scope: .everything).area(BundledAreas.gualiTownCode) else {
            throw Abort(.internalServerError, reason: "瓜沥镇 is missing from the area tree")
        }
        return try await DashboardController.compute(area: town, sql: sql,
                                                     children: try await CampaignQueries(sql: sql, scope: .everything).children(of: town.code),
                                                     now: now)
    }
}

extension DemoCommand {
    /// Writes two years of 瓜沥's incident counts (``DemoIncidents``) in one bulk write and logs
    /// the campaign period's figures as the API computes them (``IncidentFigures``).
    static func writeIncidents(app: Application, asOf: CalendarDate, seed: UInt64, villages: [Area],
                               log: @escaping @Sendable (String) -> Void) async throws {
        let t = Date()
        let incidents = try DemoIncidents(seed: seed, asOf: asOf, villages: villages)
        let records = incidents.records
        let now = app.now()
        try await app.writeGate.transaction(on: app.db) { sql in
            try await IncidentStore(sql: sql).put(records, source: .demo, importID: nil, at: now)
        }
        guard let town = try await CampaignQueries(sql: app.sql, scope: .everything).area(BundledAreas.gualiTownCode),
              let figures = try await IncidentFigures.compute(area: town, period: incidents.period, sql: app.sql) else {
            throw Abort(.internalServerError, reason: "瓜沥镇 is missing from the area tree")
        }
        let shown = figures.kinds.map { "\($0.zh) \($0.count) (同比 \($0.yearOnYear.base), \($0.yearOnYear.percentText))" }
        log(String(format: "  incidents: %d daily records over %d days; %@ %@ in %.1f s", records.count, DemoIncidents.recordDays,
                   incidents.period.description, shown.joined(separator: ", "), Date().timeIntervalSince(t)))
    }

    /// Checks every argument the way the command will — `--scale`, `--as-of` (not after today,
    /// Asia/Shanghai) and `--seed` (as `--name value` or `--name=value`), `--no-serve`, nothing
    /// else — before anything is deleted.
    /// - Throws: a message naming the option and what is wrong.
    static func preflight(_ arguments: [String]) throws {
        struct Refused: Error, CustomStringConvertible { let description: String }
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            var name = a, value: String? = nil
            if let eq = a.firstIndex(of: "="), a.hasPrefix("--") { name = String(a[..<eq]); value = String(a[a.index(after: eq)...]) }
            if ["--scale", "--as-of", "--seed"].contains(name) {
                if value == nil { i += 1; value = i < arguments.count ? arguments[i] : nil }
                guard let v = value else { throw Refused(description: "\(name) needs a value") }
                switch name {
                case "--scale":
                    do { _ = try DemoScale(argument: v) } catch { throw Refused(description: "--scale: \(error)") }
                case "--as-of":
                    let day: CalendarDate
                    do { day = try CalendarDate(v) } catch { throw Refused(description: "--as-of: \(error.reason)") }
                    let today = CalendarDate(shanghai: Date())
                    guard day <= today else {
                        throw Refused(description: "--as-of \(day) is in the future; the demo builds a campaign that has happened")
                    }
                default:
                    guard UInt64(v) != nil else { throw Refused(description: "--seed must be a whole number from 0 to 18446744073709551615, got '\(v)'") }
                }
            } else if !Self.flags.contains(name) {
                // An unknown option or a stray word is refused here, before the file is made
                // anew, rather than by the command after it was.
                throw Refused(description: a.hasPrefix("-") ? "unknown option \(a) (options: --as-of, --seed, --scale, --no-serve)"
                                                             : "unexpected argument '\(a)'")
            }
            i += 1
        }
    }

    /// The options without a value `safegrid demo` takes (Vapor's own help flags included).
    static let flags: Set<String> = ["--no-serve", "--help", "-h"]

    /// `--scale district|N`: builds and writes one town at a time (each in its own transaction,
    /// so memory holds one town), through the same dossiers and the same bulk write as the 瓜沥
    /// demo. Overdue hazards are marked by their dossiers as of now in the same write (the rule
    /// the deadline job applies, at the start of the `--as-of` day), so the server's first job
    /// run has only reminders left to send.
    /// - Returns: the district's dashboard figures.
    static func buildAtScale(app: Application, asOf: CalendarDate, seed: UInt64, scale: DemoScale, checklist: Checklist,
                             base: [Area], log: @escaping @Sendable (String) -> Void) async throws -> DashboardFigures {
        let plans = try scale.towns(seed: seed, baseAreas: base)
        log("  \(scale): \(plans.count) town\(plans.count == 1 ? "" : "s"), \(plans.map(\.hazards).reduce(0, +)) hazards planned")
        let now = app.now()
        // Overdue as of the campaign's day (its events end the day before), not the wall clock:
        // the same seed and --as-of give the same hazards.
        let markedAt = min(now, asOf.startUTC)
        var totals = (subjects: 0, hazards: 0)
        for plan in plans {
            let t = Date()
            let campaign = try DemoCampaign(plan: plan, asOf: asOf, checklist: checklist, baseAreas: base)
            let generated = Date().timeIntervalSince(t)
            let newAreas = campaign.newAreas
            var hazards = 0
            let batches: [(Subject, DossierChanges)] = zip(campaign.subjects, campaign.dossiers).map { s, l in
                var dossier = l
                if dossier.closedDownAt == nil { _ = dossier.markOverdue(at: markedAt) }
                let changes = dossier.takeChanges()
                hazards += changes.inspections.map(\.hazards.count).reduce(0, +)
                return (s, changes)
            }
            let subjects = campaign.subjects
            let workers = campaign.gridWorkers
            try await app.campaignWrite(scope: .everything, recordedAt: now) { tx in
                try await tx.insert(areas: newAreas)
                try await tx.create(subjects, dossiers: batches)
                try await tx.insert(gridWorkers: workers.map { ($0.gridCode, $0.worker.name, $0.worker.phone) })
            }
            totals.subjects += subjects.count
            totals.hazards += hazards
            log("  \(plan.townName) (\(plan.townCode)): \(subjects.count) subjects, \(hazards) hazards, \(newAreas.count) areas; "
                + String(format: "generated %.1f s, written %.1f s", generated, Date().timeIntervalSince(t) - generated))
        }
        log("  \(totals.subjects) subjects, \(totals.hazards) hazards in all")
        guard let district = try await CampaignQueries(sql: app.sql, scope: .everything).area(BundledAreas.districtCode) else {
            throw Abort(.internalServerError, reason: "萧山区 is missing from the area tree")
        }
        return try await DashboardController.compute(area: district, sql: app.sql,
                                                     children: try await CampaignQueries(sql: app.sql, scope: .everything).children(of: district.code),
                                                     now: now)
    }
}

/// How many of the latest visits the demo signs on site.
let signedVisits = 300

/// A drawn signature (240 × 80 PNG) for the demo's on-site signatures.
let demoSignature = [UInt8](Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAPAAAABQCAAAAAACIqegAAACHElEQVR42u3ZW3LDIAwFUC3i7n+r9KszBgvQAxMnXL46bWpzQAhQpBzWhGCCCSaYYIIJJphgggkmmGCCCSaY4EsDcBwYBP86GCeBv1Kcy9JHgnES+AvF2YPHkWAcA8Z/O2kfPhOM1KreOmiSXb6NODDne8MkCW7nJxDkyxaG7SGSnOD6RQj0HovExodIdoIvYlQ/+MZNywSPBIqkJ7ieJHgTVxUn8Q3vklAeBHeH197XZjmEw/yaUDaAbwvIBdbt8GxX0ANlIbh9LpQBiCyMKgvCP26fAhcHuN1XAHv3R3HyLFib4vDCqLvvfMxELIu8t1+ZuqrGiaP3gzjpVZHXgpEE37ffwGMuK8MINrxD+8i9qwuqB72RhSVO1oH1h7nnBoFBUTC9ONkChkODFBjTIECxg+GPaL/YloK7idyZyTPg7geG4HbYEQDjfid1XrOkBGJ6CMZgn4ocPzE6ffqriBKItcGf+yKELxj6MQrm+9Gj4NID68fGxIUqWjiQQDqZgTGam0CRoHMTihVKAuD5aEAvimTuuugcONyFIQvYl2y0j3ZicXfZa3CWHlQfZq9VsirG1QKHuDwPRrPVw7RLj2s17r4vLF2LJVHAtw2o4GQ/l5XqxZwo7AtJm+LylibzPOH/VuH+X+X1YDUYgVDl5lVNHkkUL/4OVWap8cM5Zic4nVUJ/mVwOQ781kYwwQQTTDDBBBNMMMEEE2xqf9+9wL5X82SzAAAAAElFTkSuQmCC")!)

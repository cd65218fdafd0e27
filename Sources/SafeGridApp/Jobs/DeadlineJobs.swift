import Foundation
import SQLKit
import SafeGridCore
import Vapor

/// The deadline scheduler: a reminder SMS N days before a deadline (``Settings/Jobs/reminderDays``,
/// default 2), and when a deadline passes an overdue mark (an event, and the
/// subject's colour rises one level), plus an alert to the grid worker of the subject's grid.
/// Deadlines are the end of an Asia/Shanghai calendar day. Hazards that are rectified or
/// closed down are never touched. Each subject is handled in its own transaction that re-reads
/// its hazards, and reminders are keyed per deadline, so two runs at once send nothing twice.
package enum DeadlineJobs {
    package struct Report: Content, Equatable {
        package var remindersQueued = 0
        var hazardsReminded = 0
        var hazardsMarkedOverdue = 0
        var alertsQueued = 0
        /// Key hazard enterprises listed by today's ranking, when it ran in this pass.
        var keyHazardEnterprisesListed: Int?
        /// Smart fire devices newly marked offline (silent for ``Settings/Jobs/deviceOfflineAfter``).
        var devicesMarkedOffline = 0
        /// How long the offline marking took (ms); not part of what a pass did (``==``).
        var devicesOfflineMilliseconds = 0
        /// Residents' reports waiting beyond 24 hours whose village officer was alerted now.
        var reportsEscalated = 0

        /// Two passes did the same, however long they took.
        package static func == (a: Report, b: Report) -> Bool {
            a.remindersQueued == b.remindersQueued && a.hazardsReminded == b.hazardsReminded
                && a.hazardsMarkedOverdue == b.hazardsMarkedOverdue && a.alertsQueued == b.alertsQueued
                && a.keyHazardEnterprisesListed == b.keyHazardEnterprisesListed && a.devicesMarkedOffline == b.devicesMarkedOffline
                && a.reportsEscalated == b.reportsEscalated
        }
    }

    /// One pass of every job.
    /// - Parameter reminderDays: days before a deadline that a reminder goes; `nil` (default):
    ///   ``Settings/Jobs/reminderDays``.
    package static func runOnce(app: Application, now: Date, reminderDays: Int? = nil) async throws -> Report {
        let reminderDays = reminderDays ?? app.settings.jobs.reminderDays
        var report = Report()
        let sql = app.sql
        // Overdue: subjects with an open hazard past its deadline and not yet marked (their
        // dossiers apply ``DeadlineRules/needsOverdueMark(state:dueAt:overdueSince:now:)``).
        let overdueSubjects = try await DeadlineQueries(sql: sql).subjectsWithOverdueCandidates(now: now)
        for id in overdueSubjects {
            // One subject that cannot be written (a stored row the domain cannot read) is logged
            // and left for the next run; the others are marked.
            let done = await app.logging("overdue marks of subject \(id)") {
                try await app.campaignWrite(scope: .everything, recordedAt: now) { tx in
                    try await markOverdue(subject: id, in: tx, now: now)
                }
            }
            guard let (marked, alert) = done else { continue }
            report.hazardsMarkedOverdue += marked
            if alert { report.alertsQueued += 1 }
        }

        // Reminders: open hazards due within N days whose deadline has had no reminder.
        let candidates = DeadlineQueries(sql: sql)
        let reminderSubjects = Set(try await candidates.reminders(subject: nil, now: now, reminderDays: reminderDays).map(\.subject))
            .sorted { $0.uuidString < $1.uuidString }
        let links = app.linkSigning
        for id in reminderSubjects {
            let done = await app.logging("reminders of subject \(id)") {
                try await app.writeGate.transaction(on: app.db) { sql -> (Int, Bool) in
                let q = CampaignQueries(sql: sql, scope: .everything)
                guard let subject = try await q.subject(id), subject.closedDownAt == nil else { return (0, false) }
                let deadlines = DeadlineQueries(sql: sql)
                let due = try await deadlines.reminders(subject: id, now: now, reminderDays: reminderDays)
                    .map { ($0.hazard, $0.dueAt) }
                guard let earliest = due.map(\.1).min(), let latest = due.map(\.1).max() else { return (0, false) }
                try await deadlines.markReminded(due)
                guard let phone = subject.phone, phone.isSMSCapable else { return (due.count, false) }
                let link = links.evidenceLink(subject: id, expiresAt: max(latest, now).addingTimeInterval(SignatureService.linkGrace))
                let text = SMSTemplate.deadlineReminder(subjectName: subject.name, hazardCount: due.count,
                                                        dueOn: CalendarDate(shanghai: earliest), link: link)
                let message = try await Outbox.enqueue(OutgoingMessage(
                    kind: .reminder, subjectID: id, inspectionID: nil, hazardID: due.count == 1 ? due[0].0 : nil, body: text,
                    segments: SMSText.segments(text).segments, recipients: [phone.stored],
                    dedupeKey: DeadlineRules.reminderKey(subject: id, earliestDue: earliest, hazards: due.map(\.0))), sql: sql, at: now)
                return (due.count, message != nil)
                }
            }
            guard let (count, queued) = done else { continue }
            report.hazardsReminded += count
            if queued { report.remindersQueued += 1 }
        }
        // Devices silent too long: marked offline once (the mark stays until their next message).
        let offlineStarted = ContinuousClock.now
        report.devicesMarkedOffline = try await markDevicesOffline(app: app, now: now)
        let offlineTook = ContinuousClock.now - offlineStarted
        report.devicesOfflineMilliseconds = Int(offlineTook.components.seconds * 1_000 + offlineTook.components.attoseconds / 1_000_000_000_000_000)
        report.reportsEscalated = try await escalateReports(app: app, now: now)
        // Once a day (Asia/Shanghai): rank the key hazard enterprises.
        if try await KeyHazards.isDue(sql: sql, now: now) {
            report.keyHazardEnterprisesListed = try await KeyHazards.rank(app: app, asOf: CalendarDate(shanghai: now), now: now,
                                                                          trigger: "schedule", scheduled: true)?.enterprisesListed
        }
        return report
    }

    /// Marks the overdue hazards of one subject (``SubjectDossier/markOverdue(at:)``) and queues
    /// the alert to the grid worker of its grid, once per subject and day.
    /// - Returns: the hazards marked, and whether an alert was queued.
    static func markOverdue(subject id: UUID, in tx: CampaignTransaction, now: Date) async throws -> (Int, Bool) {
        let q = tx.queries
        guard let subject = try await q.subject(id), subject.closedDownAt == nil else { return (0, false) }
        var dueDates: [Date] = []
        let ids: [UUID] = try await tx.change(subject) { dossier in
            let marked = dossier.markOverdue(at: now)
            dueDates = marked.compactMap { dossier.hazards[$0]?.dueAt }
            return marked
        }
        guard !ids.isEmpty else { return (0, false) }
        guard let worker = try await q.gridWorker(of: subject.gridCode) else { return (ids.count, false) }
        let stored: String
        do { stored = try worker.decode(column: "phone", as: String.self) } catch { return (ids.count, false) }
        guard let phone = try? PhoneNumber(stored: stored), phone.isSMSCapable else { return (ids.count, false) }
        let grid = try await q.area(subject.gridCode)
        let earliest = dueDates.min() ?? now
        let text = SMSTemplate.overdueAlert(gridName: grid?.shortName ?? subject.gridCode, subjectName: subject.name,
                                            hazardCount: ids.count, dueOn: CalendarDate(shanghai: earliest))
        let queued = try await Outbox.enqueue(OutgoingMessage(
            kind: .overdueAlert, subjectID: subject.id, inspectionID: nil, hazardID: ids.count == 1 ? ids[0] : nil,
            body: text, segments: SMSText.segments(text).segments, recipients: [phone.stored],
            dedupeKey: DeadlineRules.overdueAlertKey(subject: subject.id, now: now)), sql: tx.sql, at: now)
        return (ids.count, queued != nil)
    }
}

extension DeadlineJobs {
    /// Marks offline every device with no message for the configured period
    /// (``DeviceConnectivity``); answers how many. The screens of the areas
    /// are told through a campaign write only when some were marked.
    package static func markDevicesOffline(app: Application, now: Date) async throws -> Int {
        let cutoff = DeviceConnectivity.cutoff(now: now, offlinePeriod: app.settings.jobs.deviceOfflineAfter)
        // Most minutes nobody falls silent: no write then.
        guard try await !DeviceStore(sql: app.sql).silent(since: cutoff, limit: 1).isEmpty else { return 0 }
        return try await app.campaignWrite(scope: .everything, recordedAt: now) { tx in
            let store = DeviceStore(sql: tx.sql)
            let silent = try await store.silent(since: cutoff)
            try await store.markOffline(silent.map(\.id), at: now)
            tx.touch(microGrids: silent.map(\.microGrid))
            return silent.count
        }
    }

}

extension DeadlineJobs {
    /// Residents' reports not verified or dismissed within 24 hours
    /// (``ResidentReportRules/verifyWithin``): one SMS per village to its village officer (the
    /// contact entered for the village's code, as grid workers are for grids) — for a report
    /// nothing placed in a village, to the town's duty phone (the entry under the town's code) —
    /// and each report marked alerted so it is escalated once. An area without a contact is
    /// marked too: the dashboard's overdue count shows it either way.
    /// - Returns: how many reports were escalated.
    package static func escalateReports(app: Application, now: Date) async throws -> Int {
        let waiting = try await ResidentReportStore(sql: app.sql).unalerted(receivedBefore: now.addingTimeInterval(-ResidentReportRules.verifyWithin))
        var escalated = 0
        for (village, ids) in waiting.sorted(by: { $0.key < $1.key }) {
            let done = await app.logging("report escalation of area \(village)") {
                try await app.writeGate.transaction(on: app.db, changesCampaign: false) { sql -> Int in
                    let q = CampaignQueries(sql: sql, scope: .everything)
                    try await ResidentReportStore(sql: sql).markAlerted(ids, at: now)
                    guard let contact = try await q.gridWorker(of: village),
                          let stored = try? contact.decode(column: "phone", as: String.self),
                          let phone = try? PhoneNumber(stored: stored), phone.isSMSCapable else {
                        app.logger.warning("\(ids.count) residents' reports of area \(village) wait beyond 24 h and the area has no contact with a mobile in grid_workers: nobody was texted")
                        return ids.count
                    }
                    let name = try await q.area(village)?.name ?? village
                    let text = SMSTemplate.unverifiedReports(villageName: name, count: ids.count)
                    try await Outbox.enqueue(OutgoingMessage(
                        kind: .reportAlert, subjectID: nil, inspectionID: nil, hazardID: nil, body: text,
                        segments: SMSText.segments(text).segments, recipients: [phone.stored],
                        dedupeKey: "report-alert:\(village):\(ids.map { $0.uuidString.lowercased() }.min() ?? "")"),
                        sql: sql, at: now)
                    return ids.count
                }
            }
            escalated += done ?? 0
        }
        return escalated
    }
}

extension Application {
    /// `body`'s result, or nil when it throws: the error is logged with `what`, and a job goes on
    /// with its next item instead of stopping at one it cannot do.
    func logging<T: Sendable>(_ what: String, _ body: () async throws -> T) async -> T? {
        do { return try await body() } catch {
            logger.error("job step failed", metadata: ["step": .string(what), "error": .string(String(describing: error))])
            return nil
        }
    }
}

/// Runs the deadline jobs every minute while the server runs (not in tests nor other commands),
/// in one instance at a time when several share the database (``JobLease``).
struct DeadlineJobsRunner: LifecycleHandler {
    final class State: @unchecked Sendable { var task: Task<Void, Never>? }
    let state = State()

    func didBootAsync(_ app: Application) async throws {
        guard app.runsBackgroundJobs, app.settings.jobs.run else { return }
        start(app)
    }

    func start(_ app: Application) {
        state.task = Task { [app] in
            while !Task.isCancelled {
                do {
                    let started = ContinuousClock.now
                    // One instance runs the jobs; the lease outlives a run and its pause.
                    guard try await JobLease(sql: app.sql).acquire(Self.leaseName, holder: leaseHolderID,
                                                                   now: app.services.now(), duration: 150) else {
                        try? await Task.sleep(for: .seconds(60))
                        continue
                    }
                    let r = try await DeadlineJobs.runOnce(app: app, now: app.services.now())
                    Telemetry.recordJob("deadlines", ContinuousClock.now - started)
                    if r != DeadlineJobs.Report() { app.logger.info("deadline jobs: \(r)") }
                } catch {
                    app.logger.report(error: error)
                }
                try? await Task.sleep(for: .seconds(60))
            }
        }
    }

    static let leaseName = "deadline-jobs"

    func shutdownAsync(_ app: Application) async {
        state.task?.cancel()
        _ = await state.task?.value
        try? await JobLease(sql: app.sql).release(Self.leaseName, holder: leaseHolderID)
    }
}

extension Application {
    /// Starts the SMS sender, webhook deliveries and the deadline jobs in a process whose boot
    /// did not (the demo starts them once its campaign is built, so they do not compete with
    /// the build). Each honours its own off switch.
    package func startBackgroundWork() async throws {
        if outboxSettings.backgroundLoop {
            lifecycle.use(outboxLoop)
            try await outboxLoop.didBootAsync(self)
        }
        storage[WebhookLoopKey.self]?.start(self)
        storage[LiveListenerKey.self]?.start(self)
        if settings.jobs.run {
            let jobs = DeadlineJobsRunner()
            lifecycle.use(jobs)
            jobs.start(self)
        }
    }
}

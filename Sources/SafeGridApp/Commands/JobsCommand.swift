import Foundation
import SQLKit
import SafeGridCore
import Vapor

/// `safegrid jobs`: runs the deadline jobs once and prints what they did.
struct JobsCommand: AsyncCommand {
    struct Signature: CommandSignature { init() {} }
    var help: String { "Run the deadline jobs (reminders, overdue marks and alerts, devices offline, unverified reports) once" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let r = try await DeadlineJobs.runOnce(app: context.application, now: context.application.services.now())
        context.console.print("reminders queued \(r.remindersQueued) (hazards \(r.hazardsReminded)), overdue marked \(r.hazardsMarkedOverdue), alerts queued \(r.alertsQueued), "
                              + "devices marked offline \(r.devicesMarkedOffline) in \(r.devicesOfflineMilliseconds) ms, "
                              + "residents' reports escalated \(r.reportsEscalated)")
    }
}

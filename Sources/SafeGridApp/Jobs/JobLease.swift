import NIOConcurrencyHelpers
import Foundation
import SQLKit
import Vapor

/// A named lease in the database (`job_leases`) so that, when several app instances share one
/// database, one of them runs a periodic job (the deadline jobs) and the others skip it. The
/// holder renews its lease each run; a crashed holder's lease expires after `duration` and
/// another instance takes over. The per-subject transactions and dedupe keys of the jobs stay the
/// safety net: even two holders would send nothing twice.
struct JobLease {
    let sql: any SQLDatabase

    /// Takes or renews the lease `name` for `holder` until `now + duration`.
    /// - Returns: `true` when `holder` holds the lease now; `false` while another holder's lease
    ///   has not expired.
    func acquire(_ name: String, holder: String, now: Date, duration: TimeInterval) async throws -> Bool {
        let store = JobLeaseStore(sql: sql)
        try await store.take(name, holder: holder, until: now.addingTimeInterval(duration), now: now)
        return try await store.holder(of: name) == holder
    }

    /// Gives the lease up (on shutdown), so another instance need not wait for it to expire.
    func release(_ name: String, holder: String) async throws {
        try await JobLeaseStore(sql: sql).delete(name, holder: holder)
    }
}

/// This process's identity as a lease holder: host name, process id and a random suffix.
let leaseHolderID = "\(ProcessInfo.processInfo.hostName)/\(ProcessInfo.processInfo.processIdentifier)/\(UUID().uuidString.prefix(8))"

extension NIOLockedValueBox where Value == Task<Void, Never>? {
    /// Takes a background loop's task out, cancels it and waits until the step in progress has
    /// recorded its outcome (a shutdown loses no half-done pass).
    func cancelAndWait() async {
        let running = withLockedValue { t -> Task<Void, Never>? in
            let r = t
            t = nil
            return r
        }
        running?.cancel()
        await running?.value
    }
}

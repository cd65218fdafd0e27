import Foundation
import Synchronization
import SQLKit
import Vapor

/// Echoes the request id (Vapor's, or the caller's `X-Request-Id`) in the response, so a user's
/// report can be matched with the log lines, which carry it as `request-id`.
struct RequestIDMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        // A caller's id is kept when it is a sane token (≤ 128 printable ASCII characters);
        // anything else is replaced, so logs and answers never carry pasted junk.
        var id = request.id
        if id.count > 128 || !id.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 32 && $0.value < 127 }) {
            id = UUID().uuidString
            request.logger[metadataKey: "request-id"] = .string(id)
        }
        InFlight.shared.enter()
        defer { InFlight.shared.leave() }
        let response = try await next.respond(to: request)
        response.headers.replaceOrAdd(name: "X-Request-Id", value: id)
        return response
    }
}

/// Requests being handled in this process: on SIGTERM the server stops accepting, and the
/// process waits for these to finish before it closes the database (a handler that touched the
/// database after it closed would crash the process).
final class InFlight: Sendable {
    static let shared = InFlight()
    private let count = Atomic<Int>(0)

    func enter() { count.add(1, ordering: .relaxed) }
    func leave() { count.subtract(1, ordering: .relaxed) }
    var current: Int { count.load(ordering: .relaxed) }

    /// Waits until no request is in flight, at most `timeout` seconds.
    func drain(timeout: Double) async {
        let deadline = ContinuousClock.now + .milliseconds(Int64(timeout * 1000))
        while current > 0, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
    }
}

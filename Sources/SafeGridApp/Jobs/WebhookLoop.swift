import Crypto
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SQLKit
import SafeGridCore
import Vapor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Delivers webhooks every 5 seconds while the server runs (not in tests nor other commands;
/// the demo starts it once its campaign is built, so it does not compete with the build).
final class WebhookLoop: LifecycleHandler, @unchecked Sendable {
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)

    func didBootAsync(_ app: Application) async throws {
        guard app.runsBackgroundJobs else { return }
        start(app)
    }

    func start(_ app: Application) {
        guard app.settings.webhooks.enabled else { return }
        task.withLockedValue { current in
            guard current == nil else { return }
            current = Task {
                while !Task.isCancelled {
                    do { try await Webhooks.pass(app: app, now: app.services.now()) } catch {
                        app.logger.error("webhook pass failed: \(String(reflecting: error))")
                    }
                    try? await Task.sleep(for: .seconds(5))
                }
            }
        }
    }

    func shutdownAsync(_ app: Application) async { await task.cancelAndWait() }
}

struct WebhookLoopKey: StorageKey { typealias Value = WebhookLoop }

/// A webhook URL checked for delivery: its host resolved and every address allowed.
struct WebhookTarget {
    /// The URL to connect to: for `http`, the host replaced by the checked address.
    let connectURL: String
    /// The `Host` header: the URL's own host (and port when given).
    let hostHeader: String

    /// A delivery that was not attempted because of where it would go.
    struct Refused: Error, CustomStringConvertible {
        let description: String
    }

    /// - Throws: ``Refused`` when the URL cannot be read, its host does not resolve, or one of
    ///   its addresses is not allowed by `policy`.
    static func resolve(_ url: String, policy: WebhookPolicy) async throws -> WebhookTarget {
        guard var parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased(), let rawHost = parts.host, !rawHost.isEmpty else {
            throw Refused(description: "refused: the url cannot be read")
        }
        let host = rawHost.hasPrefix("[") && rawHost.hasSuffix("]") ? String(rawHost.dropFirst().dropLast()) : rawHost
        if let literal = policy.refusalOfLiteral(host) { throw Refused(description: "refused: the host is \(literal)") }
        let addresses = try await NIOThreadPool.singleton.runIfActive { try lookUp(host) }
        guard let first = addresses.first else { throw Refused(description: "refused: the host has no address") }
        for a in addresses {
            if let why = policy.refusal(a) { throw Refused(description: "refused: the host resolves to \(why)") }
        }
        let hostHeader = (host.contains(":") ? "[\(host)]" : host) + (parts.port.map { ":\($0)" } ?? "")
        guard scheme == "http" else { return WebhookTarget(connectURL: url, hostHeader: hostHeader) }
        parts.host = first.isIPv4 ? first.description : "[\(first)]"
        guard let pinned = parts.string else { throw Refused(description: "refused: the url cannot be read") }
        return WebhookTarget(connectURL: pinned, hostHeader: hostHeader)
    }

    /// The addresses of `host` from the system resolver (blocking; run on a thread pool).
    /// - Throws: ``Refused`` when it does not resolve.
    static func lookUp(_ host: String, numericOnly: Bool = false) throws -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        if numericOnly { hints.ai_flags = AI_NUMERICHOST }
        var list: UnsafeMutablePointer<addrinfo>? = nil
        guard getaddrinfo(host, nil, &hints, &list) == 0, let head = list else {
            throw Refused(description: "refused: the host does not resolve")
        }
        defer { freeaddrinfo(head) }
        var out: [IPAddress] = []
        var next: UnsafeMutablePointer<addrinfo>? = head
        while let info = next {
            if let sa = info.pointee.ai_addr {
                switch info.pointee.ai_family {
                case AF_INET:
                    let bytes = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { p in
                        withUnsafeBytes(of: p.pointee.sin_addr) { Array($0) }
                    }
                    if let a = IPAddress(bytes: bytes) { out.append(a) }
                case AF_INET6:
                    let bytes = sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p in
                        withUnsafeBytes(of: p.pointee.sin6_addr) { Array($0) }
                    }
                    if let a = IPAddress(bytes: bytes) { out.append(a) }
                default:
                    break
                }
            }
            next = info.pointee.ai_next
        }
        return out
    }

    /// `host` read as a numeric address the way the system resolver reads one (inet_aton forms
    /// such as `127.1`, `0x7f.0.0.1`, `2130706433`), without any lookup; `nil` for a name.
    static func numericAddress(_ host: String) -> IPAddress? {
        (try? lookUp(host, numericOnly: true))?.first
    }
}

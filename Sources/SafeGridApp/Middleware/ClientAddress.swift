import Foundation
import SafeGridCore
import Vapor

/// Which reverse proxies may say who the client is.
///
/// The address a request counts against (sign-in attempts per address) is the TCP peer's,
/// unless the peer is one of `proxies`: then it is taken from `header`. A header from anyone
/// else is ignored, so a client cannot pick the address it is counted under.
///
/// Part of ``Settings`` (``Settings/proxies``).
struct TrustedProxies: Sendable {
    /// The proxies' addresses or CIDR blocks (`SAFEGRID_TRUSTED_PROXY`, separated by commas or
    /// spaces: `10.0.0.5` or `10.0.0.0/24, ::1`); default none.
    var addresses: [IPRange] = []
    /// The header they name the client in (`SAFEGRID_CLIENT_IP_HEADER`): `X-Forwarded-For`
    /// (default) or `X-Real-IP`.
    var header = "X-Forwarded-For"

    func isTrusted(_ address: IPAddress) -> Bool { addresses.contains { $0.contains(address) } }

    /// The client's address as text (`203.0.113.7`), or `"unknown"` when the peer is unknown.
    ///
    /// - Parameters:
    ///   - peer: the TCP peer's address.
    ///   - headers: the request's headers, read only when the peer is a trusted proxy.
    /// With `X-Forwarded-For` (each proxy appends the address it received from), the list is
    /// read from the right and the first address that is not a trusted proxy is the client;
    /// anything unreadable there stops the walk and the nearest proxy's view is kept.
    func clientAddress(peer: String?, headers: HTTPHeaders) -> String {
        guard let peer, let peerAddress = IPAddress(peer) else { return peer ?? "unknown" }
        guard isTrusted(peerAddress) else { return peerAddress.description }
        if header == "X-Real-IP" {
            guard let value = headers.first(name: "X-Real-IP"), let a = IPAddress(value.trimmingCharacters(in: .whitespaces)) else {
                return peerAddress.description
            }
            return a.description
        }
        let hops = headers[header].flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        var client = peerAddress
        for hop in hops.reversed() {
            guard let a = IPAddress(hop) else { break }
            client = a
            if !isTrusted(a) { break }
        }
        return client.description
    }
}

extension Request {
    /// The client's address for per-address limits (``TrustedProxies``).
    var clientAddress: String {
        application.settings.proxies.clientAddress(peer: remoteAddress?.ipAddress, headers: headers)
    }
}

/// Bcrypt runs on these threads: never on the event loops, and never on `app.threadPool`, which
/// is SQLite's (a burst of sign-ins would otherwise hold every database thread for a quarter
/// second each). Its own small pool also bounds how many checks run at once.
enum PasswordThreads {
    struct Key: StorageKey { typealias Value = NIOThreadPool }

    /// Starts the pool (one thread per core, at least two) and stops it at shutdown.
    static func start(_ app: Application) async {
        let pool = NIOThreadPool(numberOfThreads: max(2, System.coreCount))
        pool.start()
        await app.storage.setWithAsyncShutdown(Key.self, to: pool) { try await $0.shutdownGracefully() }
    }
}

extension Application {
    /// The password threads (started in `configure`).
    var passwordThreads: NIOThreadPool {
        guard let pool = storage[PasswordThreads.Key.self] else { fatalError("configure() starts the password threads") }
        return pool
    }

    /// Whether `password` matches the Bcrypt `hash`, checked on ``passwordThreads``.
    func verifyPassword(_ password: String, hash: String) async throws -> Bool {
        let hasher = self.password.sync
        return try await passwordThreads.runIfActive { try hasher.verify(password, created: hash) }
    }

    /// A Bcrypt hash of `password`, made on ``passwordThreads``.
    func hashPassword(_ password: String) async throws -> String {
        let hasher = self.password.sync
        return try await passwordThreads.runIfActive { try hasher.hash(password) }
    }
}

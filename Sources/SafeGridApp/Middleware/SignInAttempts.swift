import Foundation
import SQLKit
import SafeGridCore
import Vapor

/// Failed sign-ins per client address in fixed windows (in this process): the second limit,
/// beside ``LoginThrottle``'s per user name, against one address trying many user names.
/// An attempt is reserved before its password is checked and given back when it succeeds (or
/// was refused unchecked), so people behind one office NAT are not locked out by signing in,
/// and parallel guesses cannot all slip past the count.
actor SignInAttempts {
    static let limit = 30
    static let window: TimeInterval = 5 * 60
    private var windows: [String: (start: Date, count: Int)] = [:]

    /// The seconds to wait when the address has used ``limit`` attempts in this window (the
    /// attempt is not counted then); otherwise counts it and answers `nil`.
    func reserve(for address: String, at now: Date) -> Int? {
        if windows.count > 10_000 { windows = windows.filter { now.timeIntervalSince($0.value.start) < Self.window } }
        var w = windows[address] ?? (now, 0)
        if now.timeIntervalSince(w.start) >= Self.window { w = (now, 0) }
        guard w.count < Self.limit else {
            return max(1, Int((w.start.addingTimeInterval(Self.window).timeIntervalSince(now)).rounded(.up)))
        }
        w.count += 1
        windows[address] = w
        return nil
    }

    /// Gives back an attempt reserved at `now` (it succeeded, or no password was checked).
    func release(for address: String, at now: Date) {
        guard var w = windows[address], now.timeIntervalSince(w.start) < Self.window, w.count > 0 else { return }
        w.count -= 1
        windows[address] = w
    }
}

struct SignInAttemptsKey: StorageKey { typealias Value = SignInAttempts }

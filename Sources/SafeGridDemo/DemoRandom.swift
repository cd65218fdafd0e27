import Foundation
import SafeGridCore

/// SplitMix64 (Steele, Lea & Flood 2014): a small seeded generator whose sequence is the same
/// on every platform and Swift version, so the demo campaign is reproducible from its seed.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in `range`, without modulo bias (Lemire's multiply-shift with rejection).
    public mutating func int(_ range: ClosedRange<Int>) -> Int {
        let span = UInt64(range.upperBound - range.lowerBound) &+ 1
        if span == 0 { return Int(truncatingIfNeeded: next()) }
        let threshold = (0 &- span) % span
        while true {
            let x = next()
            let m = x.multipliedFullWidth(by: span)
            if m.low >= threshold { return range.lowerBound + Int(m.high) }
        }
    }

    /// Uniform in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    public mutating func chance(_ p: Double) -> Bool { unit() < p }

    public mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }

    /// A version-4 UUID made from the stream.
    public mutating func uuid() -> UUID {
        let a = next(), b = next()
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<8 { bytes[i] = UInt8(truncatingIfNeeded: a >> (8 * i)); bytes[8 + i] = UInt8(truncatingIfNeeded: b >> (8 * i)) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                           bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }

    /// Fisher–Yates shuffle driven by this stream.
    public mutating func shuffle<T>(_ items: inout [T]) {
        guard items.count > 1 else { return }
        for i in stride(from: items.count - 1, to: 0, by: -1) { items.swapAt(i, int(0...i)) }
    }

    /// `k` distinct indices of `weights`, each drawn with probability proportional to its weight
    /// among those not yet drawn.
    public mutating func weightedSample(_ weights: [Double], count k: Int) -> [Int] {
        var w = weights
        var out: [Int] = []
        for _ in 0..<min(k, w.count) {
            let total = w.reduce(0, +)
            guard total > 0 else { break }
            var r = unit() * total
            var chosen = w.count - 1
            for (i, x) in w.enumerated() where x > 0 {
                if r < x { chosen = i; break }
                r -= x
            }
            out.append(chosen)
            w[chosen] = 0
        }
        return out
    }
}

public enum Apportion {
    /// Splits `total` into integers proportional to `weights`, each at most `caps[i]`
    /// (largest remainder method, overflow passed on to the others).
    /// - Precondition: `total ≤ Σ caps` and `weights.count == caps.count`.
    public static func largestRemainder(total: Int, weights: [Double], caps: [Int]) -> [Int] {
        precondition(weights.count == caps.count && total <= caps.reduce(0, +), "cannot place \(total)")
        var result = [Int](repeating: 0, count: weights.count)
        var remaining = total
        var active = Set(weights.indices.filter { weights[$0] > 0 && caps[$0] > 0 })
        while remaining > 0 {
            if active.isEmpty { active = Set(weights.indices.filter { result[$0] < caps[$0] }) }
            let sum = active.reduce(0.0) { $0 + max(weights[$1], 1e-9) }
            var fractions: [(Int, Double)] = []
            var placed = 0
            for i in active.sorted() {
                let exact = Double(remaining) * max(weights[i], 1e-9) / sum
                let room = caps[i] - result[i]
                let whole = min(Int(exact), room)
                result[i] += whole
                placed += whole
                if result[i] < caps[i] { fractions.append((i, exact - Double(whole))) }
            }
            remaining -= placed
            fractions.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
            for (i, _) in fractions where remaining > 0 {
                result[i] += 1
                remaining -= 1
            }
            active = active.filter { result[$0] < caps[$0] }
        }
        return result
    }
}

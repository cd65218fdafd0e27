import Foundation

/// The median of measured times (the dashboard's "median time to respond / to verify"): the
/// middle value, or the mean of the two middle values of an even count; `nil` for none.
public enum Median {
    public static func of(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let s = values.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}

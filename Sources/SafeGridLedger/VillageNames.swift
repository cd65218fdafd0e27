import Foundation
import SafeGridCore

/// Village and community names as ledgers spell them.
///
/// The committee's official name (东湖村委会, 东湖村村民委员会, 航坞社区居民委员会, 航坞居委会)
/// and the name people use (东湖村, 航坞社区) are the same place: a 村民委员会 governs a 村 and a
/// 居民委员会 a 社区 (中华人民共和国村民委员会组织法, 城市居民委员会组织法).
public enum VillageNames {
    /// The comparable form of a village or community name.
    ///
    /// Steps: full-width → half-width and all whitespace removed (half-width, full-width U+3000,
    /// NBSP, zero-width); then the committee suffix becomes the place word — `…村民委员会`,
    /// `…村委会`, `…村委` → `…村`; `…社区居民委员会`, `…社区居委会`, `…居民委员会`, `…居委会` →
    /// `…社区` — and a doubled place word is folded (`东湖村村民委员会` → `东湖村`).
    ///
    /// `" 东湖村委会 "` → `"东湖村"`, `"航坞社区居民委员会"` → `"航坞社区"`, `"航坞居委会"` → `"航坞社区"`.
    public static func normalise(_ name: String) -> String {
        var s = String(LedgerValues.cleanText(name).unicodeScalars.filter { !$0.properties.isWhitespace })
        let rules: [(String, String)] = [
            ("社区居民委员会", "社区"), ("社区居委会", "社区"), ("居民委员会", "社区"), ("居委会", "社区"),
            ("村民委员会", "村"), ("村委会", "村"), ("村委", "村"),
        ]
        for (suffix, replacement) in rules where s.hasSuffix(suffix) {
            s = String(s.dropLast(suffix.count)) + replacement
            break
        }
        if s.hasSuffix("村村") { s.removeLast() }
        if s.hasSuffix("社区社区") { s.removeLast(2) }
        return s
    }

    /// Finds villages by name among a list of areas (normally one town's villages and communities).
    public struct Resolver: Sendable {
        private var byName: [String: [Area]] = [:]
        private var byCode: [String: Area] = [:]
        private var prefixes: [String] = []
        /// The places of the list's level, for messages.
        public let count: Int

        /// - Parameter areas: any areas; only `.village` ones are used. Their `name` and
        ///   `shortName` are both known. Names of the district and towns in `areas`, plus
        ///   浙江省, 杭州市 and 萧山区, are accepted (and dropped) as prefixes: `瓜沥镇东湖村`.
        public init(areas: [Area]) {
            var prefixes: Set<String> = ["浙江省", "杭州市", "萧山区"]
            var count = 0
            for a in areas {
                switch a.level {
                case .village:
                    count += 1
                    byCode[a.code] = a
                    for n in Set([Self.key(a.name), Self.key(a.shortName)]) where !n.isEmpty {
                        if !(byName[n]?.contains(where: { $0.code == a.code }) ?? false) { byName[n, default: []].append(a) }
                    }
                case .district, .town:
                    prefixes.insert(LedgerValues.cleanText(a.name))
                default: break
                }
            }
            self.prefixes = prefixes.sorted { $0.count > $1.count }
            self.count = count
        }

        private static func key(_ s: String) -> String { VillageNames.normalise(s) }

        /// The village named (or coded) `raw`.
        ///
        /// Tries, in order: a 12-digit village code; the normalised name; the name without a
        /// province/city/district/town prefix; the name plus `村` or `社区` when exactly one matches
        /// (`东湖` → 东湖村).
        ///
        /// - Throws: ``InvalidValue`` for an empty name, an unknown one (the reason lists up to
        ///   3 known names that contain it, if any), or a name two villages share (give the code).
        public func resolve(_ raw: String) throws(InvalidValue) -> Area {
            let cleaned = LedgerValues.cleanText(raw)
            guard !cleaned.isEmpty else { throw InvalidValue("the village or community is empty") }
            if cleaned.count == 12, cleaned.allSatisfy({ $0.isASCII && $0.isNumber }) {
                if let a = byCode[cleaned] { return a }
                throw InvalidValue("no village or community has the code \(cleaned)")
            }
            var k = Self.key(cleaned)
            if let found = try unique(k, raw) { return found }
            var stripped = true
            while stripped {
                stripped = false
                for p in prefixes where k.hasPrefix(p) && k.count > p.count {
                    k = String(k.dropFirst(p.count))
                    stripped = true
                }
            }
            if let found = try unique(k, raw) { return found }
            let extended = [k + "村", k + "社区"].compactMap { byName[$0] }.flatMap { $0 }
            if extended.count == 1 { return extended[0] }
            let similar = byName.keys.filter { $0.contains(k) || (k.count >= 2 && k.contains($0)) }.sorted().prefix(3)
            if similar.isEmpty {
                throw InvalidValue("'\(raw)' is not one of the \(count) known villages and communities")
            }
            throw InvalidValue("'\(raw)' is not one of the \(count) known villages and communities; did you mean \(similar.joined(separator: ", "))?")
        }

        private func unique(_ k: String, _ raw: String) throws(InvalidValue) -> Area? {
            guard let found = byName[k] else { return nil }
            if found.count > 1 {
                throw InvalidValue("'\(raw)' is the name of \(found.count) villages (\(found.map(\.code).joined(separator: ", "))); write the 12-digit code instead")
            }
            return found[0]
        }
    }
}

import Foundation
import SafeGridCore

/// Which micro-grid an imported subject is placed in. Areas carry no positions, so the rule is
/// by code, deterministic, and explained in the README:
///
/// 1. a 17-digit micro-grid code in the row (`微网格`, or a 17-digit `网格`) wins; it must exist
///    and lie under the row's village;
/// 2. else, for a subject already stored inside the named grid (or, without a grid, inside the
///    row's village), its stored micro-grid is kept — a re-import never moves a subject;
/// 3. else a grid named by its 14-digit code, or by its name or short name within the village
///    (compared as ``SubjectImporter/matchText(_:)``), gives that grid's first micro-grid by code;
/// 4. else the village's first micro-grid by code (its first grid's first micro-grid).
///
/// A village without micro-grids (the area tree not loaded yet) rejects the row.
public struct MicroGridChoice: Sendable {
    /// Micro-grids by village code, each list sorted by code.
    private let microGridsByVillage: [String: [String]]
    private let microGrids: Set<String>
    private let grids: [String: Area]
    private let gridsByVillageAndName: [String: String]

    /// - Parameter areas: the grids and micro-grids (other levels are ignored).
    public init(areas: [Area]) {
        var mg: [String: [String]] = [:]
        var set = Set<String>()
        var grids: [String: Area] = [:]
        var byName: [String: String] = [:]
        for a in areas {
            switch a.level {
            case .microGrid:
                mg[String(a.code.prefix(12)), default: []].append(a.code)
                set.insert(a.code)
            case .grid:
                grids[a.code] = a
                let village = String(a.code.prefix(12))
                for n in [a.name, a.shortName] {
                    let key = village + "|" + SubjectImporter.matchText(n)
                    if byName[key] == nil || a.code < byName[key]! { byName[key] = a.code }
                }
            default: break
            }
        }
        self.microGridsByVillage = mg.mapValues { $0.sorted() }
        self.microGrids = set
        self.grids = grids
        self.gridsByVillageAndName = byName
    }

    /// The micro-grid for a row, or why there is none.
    /// - Parameters:
    ///   - villageCode: the row's village (12 digits); `nil` only when the file had no village column.
    ///   - current: the micro-grid of the stored subject the row matched, if any.
    public func choose(villageCode: String?, gridCode: String?, gridName: String?, microGridCode: String?,
                       current: String?) -> Result<String, InvalidValue> {
        if let m = microGridCode {
            guard microGrids.contains(m) else { return .failure(InvalidValue("no micro-grid with code \(m)")) }
            if let v = villageCode, !m.hasPrefix(v) { return .failure(InvalidValue("micro-grid \(m) is not in village \(v)")) }
            return .success(m)
        }
        var grid: String? = nil
        if let g = gridCode, g.count == 14 {
            guard grids[g] != nil else { return .failure(InvalidValue("no grid with code \(g)")) }
            grid = g
        } else if let name = gridName {
            guard let v = villageCode, let g = gridsByVillageAndName[v + "|" + SubjectImporter.matchText(name)] else {
                return .failure(InvalidValue("no grid named '\(name)' in the row's village"))
            }
            grid = g
        }
        let village = villageCode ?? grid.map { String($0.prefix(12)) } ?? current.map { String($0.prefix(12)) }
        if let current, let scope = grid ?? village, current.hasPrefix(scope) { return .success(current) }
        guard let village, let list = microGridsByVillage[village], !list.isEmpty else {
            return .failure(InvalidValue("the village \(villageCode ?? "?") has no micro-grids yet; load its grids and micro-grids first"))
        }
        if let grid {
            guard let first = list.first(where: { $0.hasPrefix(grid) }) else {
                return .failure(InvalidValue("grid \(grid) has no micro-grids"))
            }
            return .success(first)
        }
        return .success(list[0])
    }
}

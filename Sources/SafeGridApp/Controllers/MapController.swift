import Foundation
import NIOConcurrencyHelpers
import SafeGridCore
import Vapor

/// The wall screen's map: `GET /api/v1/map` and `GET /api/v1/map/outline`.
///
/// Everything is GCJ-02, the datum of the district outline (positions stored as WGS-84 are
/// converted). The map never ships a million points: a town or the district comes as one bubble
/// per child area; subjects one by one only for a grid or micro-grid, or zoomed in (Leaflet zoom
/// ≥ ``pointsFromZoom``) inside the box shown, at most ``maxPoints``.
enum MapController {
    static let pointsFromZoom = 14
    static let maxPoints = 3_000

    struct AreaBubble: Content {
        let code: String
        let name: String
        /// GCJ-02 degrees: the mean position of the area's subjects.
        let latitude: Double
        let longitude: Double
        /// Subjects with a position.
        let subjects: Int
        let hazardsOpen: Int
        let overdue: Int
        /// Key hazard enterprises (重点隐患企业) listed in the area.
        let keyHazard: Int
    }

    struct Point: Content {
        let id: UUID
        let name: String
        let kind: String
        /// Colour key (`serious.inProgress`); absent before the first inspection.
        let colour: String?
        /// The colour as `#rrggbb` (GB 2893 safety colours).
        let hex: String?
        let keyHazard: Bool
        let overdue: Bool
        let latitude: Double
        let longitude: Double
    }

    struct MapDTO: Content {
        /// `GCJ-02`.
        let datum: String
        /// `areas` (bubbles per child area) or `points` (subjects).
        let mode: String
        let areas: [AreaBubble]
        let points: [Point]
        /// More subjects lie in the box than ``maxPoints``.
        let truncated: Bool
        /// The intranet tile server (`SAFEGRID_MAP_TILES`, `{z}/{x}/{y}` template); absent: no base tiles.
        let tileURL: String?
    }

    /// `GET /api/v1/map?areaCode=&zoom=&bbox=south,west,north,east`.
    /// - Throws: 404 for an area outside the reader's jurisdiction; 422 on `zoom` (0…22) or `bbox`
    ///   (four numbers, south < north, west < east, within −90…90 and −180…180).
    static func map(_ req: Request) async throws -> MapDTO {
        let code = req.query[String.self, at: "areaCode"].flatMap { $0.isEmpty ? nil : $0 } ?? req.homeAreaCode
        guard req.queries.sees(area: code), let area = try await req.queries.area(code) else {
            throw DomainError(.notFound, field: "areaCode", reason: "no area with code \(code)")
        }
        let zoom = try Input.integer(req.query[String.self, at: "zoom"].flatMap { $0.isEmpty ? nil : Double($0) ?? -1 }, "zoom", in: 0...22)
        let box = try bbox(req.query[String.self, at: "bbox"])
        let tiles = req.application.settings.mapTileURL
        let onePerSubject = area.level == .grid || area.level == .microGrid || (zoom ?? 0) >= pointsFromZoom
        if onePerSubject {
            let (subjects, truncated) = try await req.queries.mapSubjects(area: code, box: box, limit: maxPoints)
            // The subjects come from the reader's scope; their overdue marks are asked by id.
            let overdue = try await req.queries.subjectsWithOverdueHazards(among: subjects.map(\.id))
            let listed = try await KeyHazardStore(sql: req.sql).subjects(listedIn: code)
            let points = subjects.map { s in
                let colour = s.colour.flatMap(SubjectColour.init(key:))
                return Point(id: s.id, name: s.name, kind: s.kind, colour: s.colour, hex: colour?.hex, keyHazard: listed.contains(s.id),
                             overdue: overdue.contains(s.id), latitude: s.position.latitude, longitude: s.position.longitude)
            }
            return MapDTO(datum: "GCJ-02", mode: "points", areas: [], points: points, truncated: truncated, tileURL: tiles)
        }
        let children = try await req.queries.children(of: code)
        guard !children.isEmpty, let column = CampaignQueries.areaColumn(for: children[0].code) else {
            return MapDTO(datum: "GCJ-02", mode: "areas", areas: [], points: [], truncated: false, tileURL: tiles)
        }
        let centroids = try await req.application.mapCentroids.value(code, now: req.services.now()) {
            try await req.queries.centroids(childrenOf: code, childLevel: column)
        }
        let figures = try await DashboardController.figures(for: code, req: req)
        let counts = Dictionary(figures.ranking.map { ($0.code, ($0.hazardsOpen, $0.hazardsOverdue)) }) { a, _ in a }
        let listed = try await KeyHazardStore(sql: req.sql).listedCounts(in: code, by: column)
        let bubbles = children.compactMap { child -> AreaBubble? in
            guard let c = centroids[child.code] else { return nil }
            let (open, overdue) = counts[child.code] ?? (0, 0)
            return AreaBubble(code: child.code, name: child.name, latitude: c.latitude, longitude: c.longitude, subjects: c.subjects,
                              hazardsOpen: open, overdue: overdue, keyHazard: listed[child.code] ?? 0)
        }
        return MapDTO(datum: "GCJ-02", mode: "areas", areas: bubbles, points: [], truncated: false, tileURL: tiles)
    }

    static func bbox(_ raw: String?) throws(DomainError) -> (south: Double, west: Double, north: Double, east: Double)? {
        guard let raw, !raw.isEmpty else { return nil }
        let parts = raw.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 4, let s = parts[0], let w = parts[1], let n = parts[2], let e = parts[3],
              s.isFinite, w.isFinite, n.isFinite, e.isFinite, -90 <= s, s < n, n <= 90, -180 <= w, w < e, e <= 180 else {
            throw .invalid("bbox", "bbox is south,west,north,east in degrees (south < north, west < east), got '\(raw.prefix(80))'")
        }
        return (s, w, n, e)
    }

    /// `GET /api/v1/map/outline`: 萧山区's outline, GeoJSON in GCJ-02.
    static func outline(_ req: Request) async throws -> Response {
        let r = Response(status: .ok, body: .init(data: DistrictBoundary.xiaoshanGeoJSON))
        r.headers.replaceOrAdd(name: .contentType, value: "application/geo+json")
        r.headers.cacheControl = .init(isPrivate: true, maxAge: 86_400)
        return r
    }
}

/// Where each child area's subjects lie on average, per area, kept for ``maxAge``: reading it
/// scans every subject of the area (half a million for the district), and it moves only when
/// subjects are registered or move, so a wall screen's map does not rescan on every write or
/// zoom. Screens asking at once (every screen of an area after a write) share one read. A
/// served instance reads the district's and its towns' at start (``MapWarmUp``), so the first
/// screen of the day does not wait for the scan. The answer's counts come from the dashboard
/// figures, which are current; only the bubbles' subject counts may be up to 10 minutes old.
typealias MapCentroids = KeptReads<[String: (latitude: Double, longitude: Double, subjects: Int)]>

/// Reads the district's and its towns' map centroids in the background when a served instance
/// starts (the district's scan takes seconds at half a million subjects); stops at shutdown.
final class MapWarmUp: LifecycleHandler, Sendable {
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)

    func didBootAsync(_ app: Application) async throws {
        // The demo boots before it writes its campaign: nothing to read yet.
        guard app.runsBackgroundJobs, !app.startsBackgroundWorkLater else { return }
        let t = Task {
            let queries = CampaignQueries(sql: app.sql, scope: .everything)
            var areas = [BundledAreas.districtCode]
            areas += ((try? await queries.children(of: BundledAreas.districtCode)) ?? []).map(\.code)
            for code in areas {
                guard !Task.isCancelled else { return }
                let children = (try? await queries.children(of: code)) ?? []
                guard let first = children.first, let column = CampaignQueries.areaColumn(for: first.code) else { continue }
                _ = try? await app.mapCentroids.value(code, now: app.services.now()) {
                    try await queries.centroids(childrenOf: code, childLevel: column)
                }
            }
        }
        task.withLockedValue { $0 = t }
    }

    func shutdownAsync(_ application: Application) async {
        let running = task.withLockedValue { t -> Task<Void, Never>? in
            let r = t
            t = nil
            return r
        }
        running?.cancel()
        await running?.value
    }
}

struct MapCentroidsKey: StorageKey { typealias Value = MapCentroids }

extension Application {
    /// The process's one ``MapCentroids`` (made in `configure`).
    var mapCentroids: MapCentroids {
        if let m = storage[MapCentroidsKey.self] { return m }
        let m = MapCentroids(maxAge: 600)
        storage[MapCentroidsKey.self] = m
        return m
    }
}

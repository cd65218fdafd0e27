import Foundation

/// The geodetic datum a coordinate pair is expressed in.
///
/// - `wgs84`: GPS / WGS-84 (EPSG:4326), what a phone's raw GNSS fix and OpenStreetMap use.
/// - `gcj02`: GCJ-02 ("Mars coordinates", 国测局坐标系), the obfuscated datum that maps published in
///   China must use (AMap/高德, Tencent, WeChat `wx.getLocation` with `type: 'gcj02'`). It is
///   WGS-84 shifted by up to several hundred metres inside China.
public enum Datum: String, Codable, Sendable, CaseIterable {
    case wgs84
    case gcj02
}

/// A latitude/longitude pair in decimal degrees, tagged with its ``Datum``.
///
/// Codable as `{"latitude": 30.18, "longitude": 120.46, "datum": "gcj02"}`; decoding validates
/// like ``init(latitude:longitude:datum:)`` (`DecodingError.dataCorrupted` with the reason).
public struct GeoPoint: Hashable, Sendable, Codable {
    /// Degrees north, −90…90.
    public let latitude: Double
    /// Degrees east, −180…180.
    public let longitude: Double
    public let datum: Datum

    /// - Throws: ``InvalidValue`` when a coordinate is NaN/infinite, latitude is outside −90…90
    ///   (the reason says the axes look swapped when the values would fit the other way round, as
    ///   with `(120.46, 30.18)`), or longitude is outside −180…180.
    public init(latitude: Double, longitude: Double, datum: Datum) throws(InvalidValue) {
        guard latitude.isFinite, longitude.isFinite else {
            throw InvalidValue("coordinates must be finite numbers, got latitude \(latitude), longitude \(longitude)")
        }
        guard (-90.0...90.0).contains(latitude) else {
            if (-90.0...90.0).contains(longitude) && (-180.0...180.0).contains(latitude) {
                throw InvalidValue("latitude \(latitude) is outside −90…90; latitude and longitude look swapped (萧山 is about latitude 30.2, longitude 120.3)")
            }
            throw InvalidValue("latitude \(latitude) is outside −90…90")
        }
        guard (-180.0...180.0).contains(longitude) else {
            throw InvalidValue("longitude \(longitude) is outside −180…180")
        }
        self.latitude = latitude
        self.longitude = longitude
        self.datum = datum
    }

    package init(unchecked latitude: Double, _ longitude: Double, _ datum: Datum) {
        self.latitude = latitude
        self.longitude = longitude
        self.datum = datum
    }

    private enum CodingKeys: String, CodingKey { case latitude, longitude, datum }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let lat = try c.decode(Double.self, forKey: .latitude)
        let lon = try c.decode(Double.self, forKey: .longitude)
        let datum = try c.decode(Datum.self, forKey: .datum)
        do {
            self = try GeoPoint(latitude: lat, longitude: lon, datum: datum)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.reason))
        }
    }

    /// The same place in another datum.
    ///
    /// WGS-84 → GCJ-02 is the widely published forward transform (Krasovsky ellipsoid
    /// `a = 6378245.0`, `ee = 0.00669342162296594323`); points outside the rough China box
    /// (longitude 72.004…137.8347, latitude 0.8293…55.8271) are not shifted. GCJ-02 → WGS-84
    /// inverts it by fixed-point iteration until the residual is below 1e-9° (accuracy well
    /// under 1e-7°, i.e. centimetres); a WGS→GCJ→WGS round trip returns within 1e-6°.
    public func converted(to target: Datum) -> GeoPoint {
        if target == datum { return self }
        switch target {
        case .gcj02:
            let (lat, lon) = GCJ02.forward(latitude: latitude, longitude: longitude)
            return GeoPoint(unchecked: lat, lon, .gcj02)
        case .wgs84:
            let (lat, lon) = GCJ02.inverse(latitude: latitude, longitude: longitude)
            return GeoPoint(unchecked: lat, lon, .wgs84)
        }
    }
}

/// The public GCJ-02 algorithm ("eviltransform" and its many ports).
enum GCJ02 {
    static let a = 6378245.0
    static let ee = 0.00669342162296594323

    static func outOfChina(latitude: Double, longitude: Double) -> Bool {
        longitude < 72.004 || longitude > 137.8347 || latitude < 0.8293 || latitude > 55.8271
    }

    private static func transformLatitude(_ x: Double, _ y: Double) -> Double {
        var r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * abs(x).squareRoot()
        r += (20.0 * sin(6.0 * x * .pi) + 20.0 * sin(2.0 * x * .pi)) * 2.0 / 3.0
        r += (20.0 * sin(y * .pi) + 40.0 * sin(y / 3.0 * .pi)) * 2.0 / 3.0
        r += (160.0 * sin(y / 12.0 * .pi) + 320.0 * sin(y * .pi / 30.0)) * 2.0 / 3.0
        return r
    }

    private static func transformLongitude(_ x: Double, _ y: Double) -> Double {
        var r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * abs(x).squareRoot()
        r += (20.0 * sin(6.0 * x * .pi) + 20.0 * sin(2.0 * x * .pi)) * 2.0 / 3.0
        r += (20.0 * sin(x * .pi) + 40.0 * sin(x / 3.0 * .pi)) * 2.0 / 3.0
        r += (150.0 * sin(x / 12.0 * .pi) + 300.0 * sin(x / 30.0 * .pi)) * 2.0 / 3.0
        return r
    }

    /// WGS-84 → GCJ-02.
    static func forward(latitude lat: Double, longitude lon: Double) -> (Double, Double) {
        if outOfChina(latitude: lat, longitude: lon) { return (lat, lon) }
        var dLat = transformLatitude(lon - 105.0, lat - 35.0)
        var dLon = transformLongitude(lon - 105.0, lat - 35.0)
        let radLat = lat / 180.0 * .pi
        var magic = sin(radLat)
        magic = 1 - ee * magic * magic
        let sqrtMagic = magic.squareRoot()
        dLat = (dLat * 180.0) / ((a * (1 - ee)) / (magic * sqrtMagic) * .pi)
        dLon = (dLon * 180.0) / (a / sqrtMagic * cos(radLat) * .pi)
        return (lat + dLat, lon + dLon)
    }

    /// GCJ-02 → WGS-84 by fixed-point iteration of ``forward(latitude:longitude:)``.
    static func inverse(latitude lat: Double, longitude lon: Double) -> (Double, Double) {
        if outOfChina(latitude: lat, longitude: lon) { return (lat, lon) }
        var wLat = lat
        var wLon = lon
        for _ in 0..<30 {
            let (gLat, gLon) = forward(latitude: wLat, longitude: wLon)
            let eLat = gLat - lat
            let eLon = gLon - lon
            wLat -= eLat
            wLon -= eLon
            if abs(eLat) < 1e-10 && abs(eLon) < 1e-10 { break }
        }
        return (wLat, wLon)
    }
}

/// The boundary of an administrative district, as polygons in GCJ-02 (longitude, latitude).
///
/// Loaded from GeoJSON: a `FeatureCollection` (first feature), a `Feature`, or a bare geometry,
/// whose geometry is a `Polygon` or `MultiPolygon`. In each polygon the first ring is the outer
/// boundary and any further rings are holes. Coordinates must be GCJ-02 (AMap data is).
public struct DistrictBoundary: Sendable {
    /// GB/T 2260 division code from the feature's `properties.code`, e.g. `"330109"`.
    public let code: String
    /// Name from `properties.name`, e.g. `"萧山区"`.
    public let name: String
    /// polygons → rings → vertices (longitude, latitude), GCJ-02.
    let polygons: [[[Vertex]]]
    private let minLongitude: Double, maxLongitude: Double, minLatitude: Double, maxLatitude: Double

    struct Vertex: Sendable, Hashable {
        var lon: Double
        var lat: Double
    }

    /// 萧山区, Hangzhou (330109), from the bundled `Resources/xiaoshan-330109-gcj02.geojson`
    /// (AMap district boundary, GCJ-02). Loaded once on first use (Swift `static let` is lazy and
    /// thread-safe). Stops the process only if the bundled resource is missing or corrupt.
    /// The bundled outline of 萧山区 as stored: GeoJSON, GCJ-02 (`Resources/xiaoshan-330109-gcj02.geojson`);
    /// empty when the resource is missing (``xiaoshan`` stops the process then).
    public static let xiaoshanGeoJSON: Data = {
        let url = Bundle.module.url(forResource: "xiaoshan-330109-gcj02", withExtension: "geojson", subdirectory: "Resources")
            ?? Bundle.module.url(forResource: "xiaoshan-330109-gcj02", withExtension: "geojson")
        return url.flatMap { try? Data(contentsOf: $0) } ?? Data()
    }()

    public static let xiaoshan: DistrictBoundary = {
        guard let url = Bundle.module.url(forResource: "xiaoshan-330109-gcj02", withExtension: "geojson",
                                          subdirectory: "Resources")
                ?? Bundle.module.url(forResource: "xiaoshan-330109-gcj02", withExtension: "geojson") else {
            fatalError("bundled resource Resources/xiaoshan-330109-gcj02.geojson is missing")
        }
        do {
            let data = try Data(contentsOf: url)
            return try DistrictBoundary(geoJSON: data)
        } catch {
            fatalError("bundled resource xiaoshan-330109-gcj02.geojson is corrupt: \(error)")
        }
    }()

    /// Parses a GeoJSON boundary (see the type's documentation for accepted shapes).
    ///
    /// - Parameters:
    ///   - code, name: override `properties.code` / `properties.name` (required when the GeoJSON has none).
    /// - Throws: ``InvalidValue`` when the data is not JSON, not a Polygon/MultiPolygon, or a ring has
    ///   fewer than 3 vertices.
    public init(geoJSON data: Data, code: String? = nil, name: String? = nil) throws(InvalidValue) {
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw InvalidValue("boundary is not valid JSON")
        }
        guard var object = root as? [String: Any] else {
            throw InvalidValue("boundary GeoJSON must be an object")
        }
        if object["type"] as? String == "FeatureCollection" {
            guard let features = object["features"] as? [Any], let first = features.first as? [String: Any] else {
                throw InvalidValue("boundary FeatureCollection has no features")
            }
            object = first
        }
        var properties: [String: Any] = [:]
        if object["type"] as? String == "Feature" {
            properties = object["properties"] as? [String: Any] ?? [:]
            guard let geometry = object["geometry"] as? [String: Any] else {
                throw InvalidValue("boundary Feature has no geometry")
            }
            object = geometry
        }
        let type = object["type"] as? String
        let polygonsAny: [Any]
        switch type {
        case "MultiPolygon":
            guard let p = object["coordinates"] as? [Any] else { throw InvalidValue("MultiPolygon has no coordinates") }
            polygonsAny = p
        case "Polygon":
            guard let p = object["coordinates"] as? [Any] else { throw InvalidValue("Polygon has no coordinates") }
            polygonsAny = [p]
        default:
            throw InvalidValue("boundary geometry must be a Polygon or MultiPolygon, found \(type ?? "none")")
        }
        var polygons: [[[Vertex]]] = []
        for polygonAny in polygonsAny {
            guard let ringsAny = polygonAny as? [Any], !ringsAny.isEmpty else {
                throw InvalidValue("boundary polygon has no rings")
            }
            var rings: [[Vertex]] = []
            for ringAny in ringsAny {
                guard let positions = ringAny as? [Any] else { throw InvalidValue("boundary ring is not an array") }
                var ring: [Vertex] = []
                ring.reserveCapacity(positions.count)
                for position in positions {
                    guard let pair = position as? [Any], pair.count >= 2,
                          let lon = Self.number(pair[0]), let lat = Self.number(pair[1]) else {
                        throw InvalidValue("boundary position is not [longitude, latitude]")
                    }
                    ring.append(Vertex(lon: lon, lat: lat))
                }
                if ring.count > 1, ring.first == ring.last { ring.removeLast() }
                guard ring.count >= 3 else { throw InvalidValue("boundary ring has fewer than 3 vertices") }
                rings.append(ring)
            }
            polygons.append(rings)
        }
        guard !polygons.isEmpty else { throw InvalidValue("boundary has no polygons") }
        guard let code = code ?? properties["code"] as? String ?? (properties["adcode"] as? NSNumber)?.stringValue,
              let name = name ?? properties["name"] as? String else {
            throw InvalidValue("boundary has no code/name properties; pass them explicitly")
        }
        self.code = code
        self.name = name
        self.polygons = polygons
        let all = polygons.lazy.flatMap { $0[0] }
        minLongitude = all.map(\.lon).min()!
        maxLongitude = all.map(\.lon).max()!
        minLatitude = all.map(\.lat).min()!
        maxLatitude = all.map(\.lat).max()!
    }

    private static func number(_ any: Any) -> Double? {
        if let d = any as? Double { return d }
        if let n = any as? NSNumber { return n.doubleValue }
        return nil
    }

    /// Whether the point lies inside the district (converted to GCJ-02 first; even-odd ray casting;
    /// a point inside a hole is outside).
    public func contains(_ p: GeoPoint) -> Bool {
        let g = p.converted(to: .gcj02)
        return containsGCJ(lon: g.longitude, lat: g.latitude)
    }

    private func containsGCJ(lon: Double, lat: Double) -> Bool {
        guard lon >= minLongitude, lon <= maxLongitude, lat >= minLatitude, lat <= maxLatitude else { return false }
        for polygon in polygons where Self.ring(polygon[0], contains: lon, lat) {
            if !polygon.dropFirst().contains(where: { Self.ring($0, contains: lon, lat) }) { return true }
        }
        return false
    }

    private static func ring(_ ring: [Vertex], contains x: Double, _ y: Double) -> Bool {
        var inside = false
        var j = ring.count - 1
        for i in 0..<ring.count {
            let a = ring[i], b = ring[j]
            if (a.lat > y) != (b.lat > y) && x < (b.lon - a.lon) * (y - a.lat) / (b.lat - a.lat) + a.lon {
                inside.toggle()
            }
            j = i
        }
        return inside
    }

    /// Approximate distance in kilometres from the point to the district: 0 inside, else the
    /// distance to the nearest boundary edge in an equirectangular projection centred on the point
    /// (mean Earth radius 6371.0088 km, IUGG). Good to well under 1% for a few hundred km;
    /// coarser for very distant points.
    public func distanceKilometres(from p: GeoPoint) -> Double {
        let g = p.converted(to: .gcj02)
        if containsGCJ(lon: g.longitude, lat: g.latitude) { return 0 }
        let k = Double.pi / 180 * 6371.0088
        let cx = cos(g.latitude * .pi / 180)
        var best = Double.infinity
        for polygon in polygons {
            for ring in polygon {
                var j = ring.count - 1
                for i in 0..<ring.count {
                    let ax = (ring[j].lon - g.longitude) * cx * k, ay = (ring[j].lat - g.latitude) * k
                    let bx = (ring[i].lon - g.longitude) * cx * k, by = (ring[i].lat - g.latitude) * k
                    let dx = bx - ax, dy = by - ay
                    let len2 = dx * dx + dy * dy
                    let t = len2 == 0 ? 0 : max(0, min(1, -(ax * dx + ay * dy) / len2))
                    let px = ax + t * dx, py = ay + t * dy
                    best = min(best, (px * px + py * py).squareRoot())
                    j = i
                }
            }
        }
        return best
    }

    /// Checks that a reported location is in the district, allowing GPS error near the border.
    ///
    /// - Parameter toleranceKilometres: how far outside is still accepted (default 3 km).
    /// - Throws: ``InvalidValue`` "point is 8.4 km outside 萧山区 (330109)" when farther than the
    ///   tolerance; when swapping latitude and longitude would put the point inside, the reason
    ///   says the axes look swapped.
    public func check(_ p: GeoPoint, toleranceKilometres: Double = 3) throws(InvalidValue) {
        let d = distanceKilometres(from: p)
        guard d > toleranceKilometres else { return }
        var reason = "point is \(Self.formatKm(d)) km outside \(name) (\(code))"
        if let swapped = try? GeoPoint(latitude: p.longitude, longitude: p.latitude, datum: p.datum),
           distanceKilometres(from: swapped) <= toleranceKilometres {
            reason += "; latitude and longitude look swapped"
        }
        throw InvalidValue(reason)
    }

    private static func formatKm(_ d: Double) -> String {
        let tenths = (d * 10).rounded()
        let whole = Int(tenths / 10)
        let fraction = Int(tenths) - whole * 10
        return "\(whole).\(fraction)"
    }
}

import Foundation
import Testing
@testable import SafeGridCore

// Expected values were computed with an independent Python implementation of the published
// GCJ-02 algorithm and of ray casting / equirectangular distance over the bundled GeoJSON.
@Suite struct GeoTests {
    private func point(_ lat: Double, _ lon: Double, _ datum: Datum = .gcj02) throws -> GeoPoint {
        try GeoPoint(latitude: lat, longitude: lon, datum: datum)
    }

    private func reason(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as InvalidValue {
            return error.reason
        } catch {
            return "unexpected error \(error)"
        }
    }

    @Test func pointValidation() throws {
        #expect(throws: Never.self) { try point(90, 180) }
        #expect(throws: Never.self) { try point(-90, -180, .wgs84) }
        #expect(reason { _ = try point(120.46, 30.18) } ==
                "latitude 120.46 is outside −90…90; latitude and longitude look swapped (萧山 is about latitude 30.2, longitude 120.3)")
        #expect(reason { _ = try point(95, 100) } == "latitude 95.0 is outside −90…90")
        #expect(reason { _ = try point(30, 181) } == "longitude 181.0 is outside −180…180")
        #expect(reason { _ = try point(.nan, 120) } != nil)
        #expect(reason { _ = try point(30, .infinity) } != nil)
    }

    @Test func forwardTransformMatchesReference() throws {
        let cases: [(Double, Double, Double, Double)] = [
            (30.162932, 120.27069, 30.16048042189446, 120.27515081339199),
            (39.9, 116.4, 39.901403529849404, 116.40624278491117),
            (30.183, 120.46, 30.180656038399235, 120.46447104637899),
        ]
        for (lat, lon, gLat, gLon) in cases {
            let g = try point(lat, lon, .wgs84).converted(to: .gcj02)
            #expect(g.datum == .gcj02)
            #expect(abs(g.latitude - gLat) <= 1e-9)
            #expect(abs(g.longitude - gLon) <= 1e-9)
        }
    }

    @Test func inverseTransformMatchesReference() throws {
        let w = try point(30.162932, 120.27069, .gcj02).converted(to: .wgs84)
        #expect(w.datum == .wgs84)
        #expect(abs(w.latitude - 30.165386614730046) <= 1e-7)
        #expect(abs(w.longitude - 120.26622931609597) <= 1e-7)
    }

    @Test func roundTrip() throws {
        var lat = 18.0
        while lat < 54 {
            var lon = 74.0
            while lon < 135 {
                let w = try point(lat, lon, .wgs84)
                let back = w.converted(to: .gcj02).converted(to: .wgs84)
                #expect(abs(back.latitude - lat) <= 1e-6)
                #expect(abs(back.longitude - lon) <= 1e-6)
                lon += 3.7
            }
            lat += 2.9
        }
    }

    @Test func noOffsetOutsideChinaAndSameDatum() throws {
        let paris = try point(48.8566, 2.3522, .wgs84)
        let g = paris.converted(to: .gcj02)
        #expect(g.latitude == 48.8566)
        #expect(g.longitude == 2.3522)
        #expect(g.datum == .gcj02)
        let p = try point(30, 120)
        #expect(p.converted(to: .gcj02) == p)
    }

    @Test func codable() throws {
        let p = try point(30.183, 120.46)
        let data = try JSONEncoder().encode(p)
        #expect(try JSONDecoder().decode(GeoPoint.self, from: data) == p)
        let swapped = Data(#"{"latitude":120.46,"longitude":30.18,"datum":"gcj02"}"#.utf8)
        #expect(throws: (any Error).self) { try JSONDecoder().decode(GeoPoint.self, from: swapped) }
        #expect(throws: (any Error).self) { try JSONDecoder().decode(GeoPoint.self, from: Data(#"{"latitude":30,"longitude":120,"datum":"bd09"}"#.utf8)) }
    }

    @Test func xiaoshanLoads() {
        let x = DistrictBoundary.xiaoshan
        #expect(x.code == "330109")
        #expect(x.name == "萧山区")
        #expect(x.polygons.count == 1)
        #expect(x.polygons[0][0].count == 1408) // 1409 positions, closing one dropped
    }

    @Test func contains() throws {
        let x = DistrictBoundary.xiaoshan
        #expect(x.contains(try point(30.183, 120.460)))        // 瓜沥镇
        #expect(x.contains(try point(30.162932, 120.27069)))   // district centre
        #expect(!x.contains(try point(39.9, 116.4)))           // Beijing
        #expect(!x.contains(try point(30.2, 120.75)))
        // The WGS-84 position of 瓜沥 (GCJ 30.183, 120.46) is also inside after conversion.
        let wgs = try point(30.185333544003527, 120.45551477079388, .wgs84)
        #expect(x.contains(wgs))
        #expect(x.distanceKilometres(from: wgs) == 0)
    }

    @Test func distance() throws {
        let x = DistrictBoundary.xiaoshan
        #expect(x.distanceKilometres(from: try point(30.183, 120.46)) == 0)
        #expect(abs(x.distanceKilometres(from: try point(39.9, 116.4)) - 1113.508) <= 0.01)
        #expect(abs(x.distanceKilometres(from: try point(30.2, 120.75)) - 8.406) <= 0.01)
        #expect(abs(x.distanceKilometres(from: try point(30.25, 120.2)) - 2.444) <= 0.01)
    }

    @Test func check() throws {
        let x = DistrictBoundary.xiaoshan
        #expect(reason { try x.check(try point(30.183, 120.46)) } == nil)
        #expect(reason { try x.check(try point(30.25, 120.2)) } == nil)               // 2.4 km out, within 3 km
        #expect(reason { try x.check(try point(30.25, 120.2), toleranceKilometres: 1) } ==
                "point is 2.4 km outside 萧山区 (330109)")
        #expect(reason { try x.check(try point(30.2, 120.75)) } == "point is 8.4 km outside 萧山区 (330109)")
        #expect(reason { try x.check(try point(39.9, 116.4)) } == "point is 1113.5 km outside 萧山区 (330109)")
    }

    @Test func checkDetectsSwappedAxes() throws {
        // A district whose swapped coordinates are both valid latitudes: a square at 40–41°N, 50–51°E.
        let json = #"""
        {"type":"Feature","properties":{"code":"T1","name":"Square"},
         "geometry":{"type":"Polygon","coordinates":[
           [[50,40],[51,40],[51,41],[50,41],[50,40]],
           [[50.4,40.4],[50.6,40.4],[50.6,40.6],[50.4,40.6],[50.4,40.4]]]}}
        """#
        let square = try DistrictBoundary(geoJSON: Data(json.utf8))
        #expect(square.contains(try point(40.2, 50.2)))
        #expect(!square.contains(try point(40.5, 50.5)))   // in the hole
        // Nearest hole edge is 0.1° of longitude away: 0.1 · cos 40.5° · 111.195 km.
        #expect(abs(square.distanceKilometres(from: try point(40.5, 50.5)) -
                0.1 * cos(40.5 * .pi / 180) * 6371.0088 * .pi / 180) <= 1e-6)
        let r = reason { try square.check(try point(50.2, 40.2)) }
        #expect(r != nil)
        #expect(r?.hasSuffix("km outside Square (T1); latitude and longitude look swapped") ?? false, "\(r ?? "")")
    }

    @Test func badGeoJSON() {
        #expect(throws: (any Error).self) { try DistrictBoundary(geoJSON: Data("nope".utf8)) }
        #expect(throws: (any Error).self) {
            try DistrictBoundary(geoJSON: Data(#"{"type":"Point","coordinates":[1,2]}"#.utf8), code: "x", name: "y")
        }
    }
}

import Foundation
import XCTest
@testable import SafeGridCore

// Expected values were computed with an independent Python implementation of the published
// GCJ-02 algorithm and of ray casting / equirectangular distance over the bundled GeoJSON.
final class GeoTests: XCTestCase {
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

    func testPointValidation() throws {
        XCTAssertNoThrow(try point(90, 180))
        XCTAssertNoThrow(try point(-90, -180, .wgs84))
        XCTAssertEqual(reason { _ = try point(120.46, 30.18) },
                       "latitude 120.46 is outside −90…90; latitude and longitude look swapped (萧山 is about latitude 30.2, longitude 120.3)")
        XCTAssertEqual(reason { _ = try point(95, 100) }, "latitude 95.0 is outside −90…90")
        XCTAssertEqual(reason { _ = try point(30, 181) }, "longitude 181.0 is outside −180…180")
        XCTAssertNotNil(reason { _ = try point(.nan, 120) })
        XCTAssertNotNil(reason { _ = try point(30, .infinity) })
    }

    func testForwardTransformMatchesReference() throws {
        let cases: [(Double, Double, Double, Double)] = [
            (30.162932, 120.27069, 30.16048042189446, 120.27515081339199),
            (39.9, 116.4, 39.901403529849404, 116.40624278491117),
            (30.183, 120.46, 30.180656038399235, 120.46447104637899),
        ]
        for (lat, lon, gLat, gLon) in cases {
            let g = try point(lat, lon, .wgs84).converted(to: .gcj02)
            XCTAssertEqual(g.datum, .gcj02)
            XCTAssertEqual(g.latitude, gLat, accuracy: 1e-9)
            XCTAssertEqual(g.longitude, gLon, accuracy: 1e-9)
        }
    }

    func testInverseTransformMatchesReference() throws {
        let w = try point(30.162932, 120.27069, .gcj02).converted(to: .wgs84)
        XCTAssertEqual(w.datum, .wgs84)
        XCTAssertEqual(w.latitude, 30.165386614730046, accuracy: 1e-7)
        XCTAssertEqual(w.longitude, 120.26622931609597, accuracy: 1e-7)
    }

    func testRoundTrip() throws {
        var lat = 18.0
        while lat < 54 {
            var lon = 74.0
            while lon < 135 {
                let w = try point(lat, lon, .wgs84)
                let back = w.converted(to: .gcj02).converted(to: .wgs84)
                XCTAssertEqual(back.latitude, lat, accuracy: 1e-6)
                XCTAssertEqual(back.longitude, lon, accuracy: 1e-6)
                lon += 3.7
            }
            lat += 2.9
        }
    }

    func testNoOffsetOutsideChinaAndSameDatum() throws {
        let paris = try point(48.8566, 2.3522, .wgs84)
        let g = paris.converted(to: .gcj02)
        XCTAssertEqual(g.latitude, 48.8566)
        XCTAssertEqual(g.longitude, 2.3522)
        XCTAssertEqual(g.datum, .gcj02)
        let p = try point(30, 120)
        XCTAssertEqual(p.converted(to: .gcj02), p)
    }

    func testCodable() throws {
        let p = try point(30.183, 120.46)
        let data = try JSONEncoder().encode(p)
        XCTAssertEqual(try JSONDecoder().decode(GeoPoint.self, from: data), p)
        let swapped = Data(#"{"latitude":120.46,"longitude":30.18,"datum":"gcj02"}"#.utf8)
        XCTAssertThrowsError(try JSONDecoder().decode(GeoPoint.self, from: swapped))
        XCTAssertThrowsError(try JSONDecoder().decode(GeoPoint.self, from: Data(#"{"latitude":30,"longitude":120,"datum":"bd09"}"#.utf8)))
    }

    func testXiaoshanLoads() {
        let x = DistrictBoundary.xiaoshan
        XCTAssertEqual(x.code, "330109")
        XCTAssertEqual(x.name, "萧山区")
        XCTAssertEqual(x.polygons.count, 1)
        XCTAssertEqual(x.polygons[0][0].count, 1408) // 1409 positions, closing one dropped
    }

    func testContains() throws {
        let x = DistrictBoundary.xiaoshan
        XCTAssertTrue(x.contains(try point(30.183, 120.460)))        // 瓜沥镇
        XCTAssertTrue(x.contains(try point(30.162932, 120.27069)))   // district centre
        XCTAssertFalse(x.contains(try point(39.9, 116.4)))           // Beijing
        XCTAssertFalse(x.contains(try point(30.2, 120.75)))
        // The WGS-84 position of 瓜沥 (GCJ 30.183, 120.46) is also inside after conversion.
        let wgs = try point(30.185333544003527, 120.45551477079388, .wgs84)
        XCTAssertTrue(x.contains(wgs))
        XCTAssertEqual(x.distanceKilometres(from: wgs), 0)
    }

    func testDistance() throws {
        let x = DistrictBoundary.xiaoshan
        XCTAssertEqual(x.distanceKilometres(from: try point(30.183, 120.46)), 0)
        XCTAssertEqual(x.distanceKilometres(from: try point(39.9, 116.4)), 1113.508, accuracy: 0.01)
        XCTAssertEqual(x.distanceKilometres(from: try point(30.2, 120.75)), 8.406, accuracy: 0.01)
        XCTAssertEqual(x.distanceKilometres(from: try point(30.25, 120.2)), 2.444, accuracy: 0.01)
    }

    func testCheck() throws {
        let x = DistrictBoundary.xiaoshan
        XCTAssertNil(reason { try x.check(try point(30.183, 120.46)) })
        XCTAssertNil(reason { try x.check(try point(30.25, 120.2)) })               // 2.4 km out, within 3 km
        XCTAssertEqual(reason { try x.check(try point(30.25, 120.2), toleranceKilometres: 1) },
                       "point is 2.4 km outside 萧山区 (330109)")
        XCTAssertEqual(reason { try x.check(try point(30.2, 120.75)) }, "point is 8.4 km outside 萧山区 (330109)")
        XCTAssertEqual(reason { try x.check(try point(39.9, 116.4)) }, "point is 1113.5 km outside 萧山区 (330109)")
    }

    func testCheckDetectsSwappedAxes() throws {
        // A district whose swapped coordinates are both valid latitudes: a square at 40–41°N, 50–51°E.
        let json = #"""
        {"type":"Feature","properties":{"code":"T1","name":"Square"},
         "geometry":{"type":"Polygon","coordinates":[
           [[50,40],[51,40],[51,41],[50,41],[50,40]],
           [[50.4,40.4],[50.6,40.4],[50.6,40.6],[50.4,40.6],[50.4,40.4]]]}}
        """#
        let square = try DistrictBoundary(geoJSON: Data(json.utf8))
        XCTAssertTrue(square.contains(try point(40.2, 50.2)))
        XCTAssertFalse(square.contains(try point(40.5, 50.5)))   // in the hole
        // Nearest hole edge is 0.1° of longitude away: 0.1 · cos 40.5° · 111.195 km.
        XCTAssertEqual(square.distanceKilometres(from: try point(40.5, 50.5)),
                       0.1 * cos(40.5 * .pi / 180) * 6371.0088 * .pi / 180, accuracy: 1e-6)
        let r = reason { try square.check(try point(50.2, 40.2)) }
        XCTAssertNotNil(r)
        XCTAssertTrue(r?.hasSuffix("km outside Square (T1); latitude and longitude look swapped") ?? false, r ?? "")
    }

    func testBadGeoJSON() {
        XCTAssertThrowsError(try DistrictBoundary(geoJSON: Data("nope".utf8)))
        XCTAssertThrowsError(try DistrictBoundary(geoJSON: Data(#"{"type":"Point","coordinates":[1,2]}"#.utf8),
                                                  code: "x", name: "y"))
    }
}

import Foundation
import XCTest
@testable import SafeGridCore

final class RectificationRateTests: XCTestCase {
    private func rate(_ rectified: Int, _ found: Int) -> RectificationRate {
        RectificationRate(found: found, rectified: rectified)
    }

    func testArticleEnterprises() {
        let r = rate(5_521, 16_241)
        XCTAssertEqual(r.description, "33.99%")
        XCTAssertEqual("\(r)", "33.99%")
        XCTAssertEqual(r.basisPoints, 3_399)
        XCTAssertEqual(r.percent, 33.99, accuracy: 1e-9)
    }

    func testArticleStreetShops() {
        let r = rate(5_075, 16_180)
        XCTAssertEqual(r.description, "31.37%")
        XCTAssertEqual(r.basisPoints, 3_137)
        XCTAssertEqual(r.percent, 31.37, accuracy: 1e-9)
    }

    func testDemoRentalRooms() {
        XCTAssertEqual(rate(3_487, 9_821).description, "35.51%")
    }

    func testNothingFound() {
        let r = rate(0, 0)
        XCTAssertEqual(r.basisPoints, 0)
        XCTAssertEqual(r.percent, 0)
        XCTAssertEqual(r.description, "0.00%")
    }

    func testHalfUpRounding() {
        let cases: [(Int, Int, String, Int)] = [
            (1, 8, "12.50%", 1_250),       // exact
            (1, 3, "33.33%", 3_333),       // 33.333… down
            (2, 3, "66.67%", 6_667),       // 66.666… up
            (1, 16, "6.25%", 625),         // 6.25 exact
            (1, 200, "0.50%", 50),         // single-digit fraction padded
            (1, 20_000, "0.01%", 1),       // 0.005 % → half up to 0.01
            (1, 20_001, "0.00%", 0),       // just under half
            (1, 40_000, "0.00%", 0),       // 0.0025 %
            (1, 1_600, "0.06%", 6),        // 0.0625 % → 0.06
            (3, 1_600, "0.19%", 19),       // 0.1875 % → 0.19
            (1, 6, "16.67%", 1_667),       // 16.666…
            (5, 6, "83.33%", 8_333),
            (1, 1, "100.00%", 10_000),
            (0, 7, "0.00%", 0),
            (1, 10, "10.00%", 1_000),
            (101, 10_000, "1.01%", 101),
        ]
        for (r, f, text, bp) in cases {
            let x = rate(r, f)
            XCTAssertEqual(x.description, text, "\(r)/\(f)")
            XCTAssertEqual(x.basisPoints, bp, "\(r)/\(f)")
            XCTAssertEqual(x.percent, Double(bp) / 100, accuracy: 1e-12, "\(r)/\(f)")
        }
    }

    func testEveryHalfwayRoundsUp() {
        // r/f lies exactly halfway between two basis points when 20000·r / f is an odd integer.
        var checked = 0
        for f in [32, 64, 160, 1_600, 20_000, 40_000] {
            for r in 0...f {
                guard (20_000 * r) % f == 0 else { continue }
                let twice = 20_000 * r / f        // 2 × the exact basis points
                guard twice % 2 == 1 else { continue }
                XCTAssertEqual(rate(r, f).basisPoints, (twice + 1) / 2, "\(r)/\(f) should round half up")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 100)
    }
}

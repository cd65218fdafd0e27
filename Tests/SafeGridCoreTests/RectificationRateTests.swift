import Foundation
import Testing
@testable import SafeGridCore

@Suite struct RectificationRateTests {
    private func rate(_ rectified: Int, _ found: Int) -> RectificationRate {
        RectificationRate(found: found, rectified: rectified)
    }

    @Test func articleEnterprises() {
        let r = rate(5_521, 16_241)
        #expect(r.description == "33.99%")
        #expect("\(r)" == "33.99%")
        #expect(r.basisPoints == 3_399)
        #expect(abs(r.percent - 33.99) <= 1e-9)
    }

    @Test func articleStreetShops() {
        let r = rate(5_075, 16_180)
        #expect(r.description == "31.37%")
        #expect(r.basisPoints == 3_137)
        #expect(abs(r.percent - 31.37) <= 1e-9)
    }

    @Test func demoRentalRooms() {
        #expect(rate(3_487, 9_821).description == "35.51%")
    }

    @Test func nothingFound() {
        let r = rate(0, 0)
        #expect(r.basisPoints == 0)
        #expect(r.percent == 0)
        #expect(r.description == "0.00%")
    }

    @Test func halfUpRounding() {
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
            #expect(x.description == text, "\(r)/\(f)")
            #expect(x.basisPoints == bp, "\(r)/\(f)")
            #expect(abs(x.percent - Double(bp) / 100) <= 1e-12, "\(r)/\(f)")
        }
    }

    @Test func everyHalfwayRoundsUp() {
        // r/f lies exactly halfway between two basis points when 20000·r / f is an odd integer.
        var checked = 0
        for f in [32, 64, 160, 1_600, 20_000, 40_000] {
            for r in 0...f {
                guard (20_000 * r) % f == 0 else { continue }
                let twice = 20_000 * r / f        // 2 × the exact basis points
                guard twice % 2 == 1 else { continue }
                #expect(rate(r, f).basisPoints == (twice + 1) / 2, "\(r)/\(f) should round half up")
                checked += 1
            }
        }
        #expect(checked > 100)
    }
}

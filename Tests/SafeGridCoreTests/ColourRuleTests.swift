import Foundation
import XCTest
@testable import SafeGridCore

final class ColourRuleTests: XCTestCase {
    private let due = Date(timeIntervalSince1970: 1_729_699_199)

    private func h(_ state: HazardState, _ severity: Severity, rebounds: Int = 0) -> HazardStatus {
        HazardStatus(state: state, severity: severity, dueAt: due, reboundCount: rebounds)
    }

    private func colour(_ hazards: [HazardStatus], closedDown: Bool = false) -> String {
        ColourRule.colour(closedDown: closedDown, hazards: hazards).key
    }

    /// Each category × situation from a concrete hazard list.
    func testNineHazardColours() {
        let categories: [(Severity, String)] = [(.extremelySevere, "extremelySevere"), (.serious, "serious"),
                                                (.general, "general")]
        for (sev, cat) in categories {
            // 未整改: only open hazards, none rectified, none rebounding.
            XCTAssertEqual(colour([h(.open, sev)]), "\(cat).notRectified")
            XCTAssertEqual(colour([h(.open, sev), h(.open, .general)]), "\(cat).notRectified")
            // 整改中: one being rectified.
            XCTAssertEqual(colour([h(.rectifying, sev)]), "\(cat).inProgress")
            XCTAssertEqual(colour([h(.open, sev), h(.rectifying, .general)]), "\(cat).inProgress")
            // 隐患反弹: a hazard that came back.
            XCTAssertEqual(colour([h(.rebound, sev, rebounds: 1)]), "\(cat).rebound")
            XCTAssertEqual(colour([h(.open, sev), h(.rebound, .general, rebounds: 1)]), "\(cat).rebound")
            // Rebound being rectified again is still a rebound.
            XCTAssertEqual(colour([h(.rectifying, sev, rebounds: 2)]), "\(cat).rebound")
        }
    }

    func testWorstSeverityWins() {
        XCTAssertEqual(colour([h(.open, .general), h(.open, .extremelySevere), h(.open, .serious)]),
                       "extremelySevere.notRectified")
        XCTAssertEqual(colour([h(.open, .general), h(.rectifying, .serious)]), "serious.inProgress")
        // A rectified or closed hazard's severity does not count.
        XCTAssertEqual(colour([h(.rectified, .extremelySevere), h(.open, .general)]), "general.inProgress")
        XCTAssertEqual(colour([h(.closedDown, .extremelySevere), h(.open, .serious)]), "serious.notRectified")
        // Order of the list does not matter.
        let list = [h(.open, .serious), h(.rectifying, .general), h(.rebound, .extremelySevere, rebounds: 1)]
        XCTAssertEqual(colour(list), "extremelySevere.rebound")
        XCTAssertEqual(colour(list.reversed()), "extremelySevere.rebound")
    }

    func testSituationPrecedence() {
        // rebound beats in-progress beats not-rectified.
        XCTAssertEqual(colour([h(.open, .serious), h(.rectifying, .serious), h(.rebound, .general, rebounds: 1)]),
                       "serious.rebound")
        XCTAssertEqual(colour([h(.open, .serious), h(.rectifying, .general)]), "serious.inProgress")
        XCTAssertEqual(colour([h(.open, .serious), h(.open, .general)]), "serious.notRectified")
        // A rectified hazard that came back earlier and is rectified now no longer counts as rebound.
        XCTAssertEqual(colour([h(.open, .general), h(.rectified, .general, rebounds: 1)]), "general.inProgress")
    }

    func testRectifiedBesideOpenIsInProgress() {
        XCTAssertEqual(colour([h(.rectified, .general), h(.open, .serious)]), "serious.inProgress")
        XCTAssertEqual(colour([h(.open, .extremelySevere), h(.rectified, .general), h(.rectified, .serious)]),
                       "extremelySevere.inProgress")
    }

    func testRectified() {
        XCTAssertEqual(colour([h(.rectified, .extremelySevere), h(.rectified, .general)]), "rectified")
        XCTAssertEqual(colour([h(.rectified, .serious, rebounds: 3)]), "rectified")
        XCTAssertEqual(colour([]), "rectified", "an inspection that found nothing")
        let c = ColourRule.colour(closedDown: false, hazards: [])
        XCTAssertEqual(c.category, .rectified)
        XCTAssertNil(c.situation)
    }

    func testClosedDownOverridesEverything() {
        let lists: [[HazardStatus]] = [[], [h(.open, .extremelySevere)], [h(.rebound, .serious, rebounds: 1)],
                                       [h(.rectified, .general)], [h(.closedDown, .serious), h(.closedDown, .general)]]
        for list in lists {
            let c = ColourRule.colour(closedDown: true, hazards: list)
            XCTAssertEqual(c.key, "closedDown")
            XCTAssertNil(c.situation)
        }
        // Hazards closed with the subject but the flag unset: nothing open → rectified.
        XCTAssertEqual(colour([h(.closedDown, .serious)]), "rectified")
    }

    func testAllColours() {
        XCTAssertEqual(SubjectColour.all.count, 11)
        XCTAssertEqual(Set(SubjectColour.all).count, 11)
        XCTAssertEqual(SubjectColour.all.map(\.key), [
            "extremelySevere.notRectified", "extremelySevere.inProgress", "extremelySevere.rebound",
            "serious.notRectified", "serious.inProgress", "serious.rebound",
            "general.notRectified", "general.inProgress", "general.rebound",
            "rectified", "closedDown",
        ])
        XCTAssertEqual(Set(SubjectColour.all.map(\.hex)).count, 11, "every colour has its own hex")
        for c in SubjectColour.all {
            XCTAssertTrue(c.hex.hasPrefix("#") && c.hex.count == 7, c.hex)
            XCTAssertEqual(SubjectColour(key: c.key), c, c.key)
            XCTAssertEqual(c.description, c.key)
            let hazardous = c.category != .rectified && c.category != .closedDown
            XCTAssertEqual(c.situation != nil, hazardous, c.key)
        }
        XCTAssertEqual(SubjectColour.all.first { $0.key == "closedDown" }?.hex, "#757575")
        XCTAssertEqual(SubjectColour.all.first { $0.key == "rectified" }?.hex, "#2E7D32")
        XCTAssertEqual(SubjectColour(key: "serious.inProgress")?.zh, "较严重隐患·整改中")
    }

    func testBadKeys() {
        for key in ["", "serious", "rectified.notRectified", "closedDown.rebound", "serious.inprogress",
                    "urgent.rebound", "general.rebound.x", "general."] {
            XCTAssertNil(SubjectColour(key: key), key)
        }
    }
}

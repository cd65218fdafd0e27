import Foundation
import Testing
@testable import SafeGridCore

@Suite struct ColourRuleTests {
    private let due = Date(timeIntervalSince1970: 1_729_699_199)

    private func h(_ state: HazardState, _ severity: Severity, rebounds: Int = 0) -> HazardStatus {
        HazardStatus(state: state, severity: severity, dueAt: due, reboundCount: rebounds)
    }

    private func colour(_ hazards: [HazardStatus], closedDown: Bool = false) -> String {
        ColourRule.colour(closedDown: closedDown, hazards: hazards).key
    }

    /// Each category × situation from a concrete hazard list.
    @Test func nineHazardColours() {
        let categories: [(Severity, String)] = [(.extremelySevere, "extremelySevere"), (.serious, "serious"),
                                                (.general, "general")]
        for (sev, cat) in categories {
            // 未整改: only open hazards, none rectified, none rebounding.
            #expect(colour([h(.open, sev)]) == "\(cat).notRectified")
            #expect(colour([h(.open, sev), h(.open, .general)]) == "\(cat).notRectified")
            // 整改中: one being rectified.
            #expect(colour([h(.rectifying, sev)]) == "\(cat).inProgress")
            #expect(colour([h(.open, sev), h(.rectifying, .general)]) == "\(cat).inProgress")
            // 隐患反弹: a hazard that came back.
            #expect(colour([h(.rebound, sev, rebounds: 1)]) == "\(cat).rebound")
            #expect(colour([h(.open, sev), h(.rebound, .general, rebounds: 1)]) == "\(cat).rebound")
            // Rebound being rectified again is still a rebound.
            #expect(colour([h(.rectifying, sev, rebounds: 2)]) == "\(cat).rebound")
        }
    }

    @Test func worstSeverityWins() {
        #expect(colour([h(.open, .general), h(.open, .extremelySevere), h(.open, .serious)]) ==
                "extremelySevere.notRectified")
        #expect(colour([h(.open, .general), h(.rectifying, .serious)]) == "serious.inProgress")
        // A rectified or closed hazard's severity does not count.
        #expect(colour([h(.rectified, .extremelySevere), h(.open, .general)]) == "general.inProgress")
        #expect(colour([h(.closedDown, .extremelySevere), h(.open, .serious)]) == "serious.notRectified")
        // Order of the list does not matter.
        let list = [h(.open, .serious), h(.rectifying, .general), h(.rebound, .extremelySevere, rebounds: 1)]
        #expect(colour(list) == "extremelySevere.rebound")
        #expect(colour(list.reversed()) == "extremelySevere.rebound")
    }

    @Test func situationPrecedence() {
        // rebound beats in-progress beats not-rectified.
        #expect(colour([h(.open, .serious), h(.rectifying, .serious), h(.rebound, .general, rebounds: 1)]) ==
                "serious.rebound")
        #expect(colour([h(.open, .serious), h(.rectifying, .general)]) == "serious.inProgress")
        #expect(colour([h(.open, .serious), h(.open, .general)]) == "serious.notRectified")
        // A rectified hazard that came back earlier and is rectified now no longer counts as rebound.
        #expect(colour([h(.open, .general), h(.rectified, .general, rebounds: 1)]) == "general.inProgress")
    }

    @Test func rectifiedBesideOpenIsInProgress() {
        #expect(colour([h(.rectified, .general), h(.open, .serious)]) == "serious.inProgress")
        #expect(colour([h(.open, .extremelySevere), h(.rectified, .general), h(.rectified, .serious)]) ==
                "extremelySevere.inProgress")
    }

    @Test func rectified() {
        #expect(colour([h(.rectified, .extremelySevere), h(.rectified, .general)]) == "rectified")
        #expect(colour([h(.rectified, .serious, rebounds: 3)]) == "rectified")
        #expect(colour([]) == "rectified", "an inspection that found nothing")
        let c = ColourRule.colour(closedDown: false, hazards: [])
        #expect(c.category == .rectified)
        #expect(c.situation == nil)
    }

    @Test func closedDownOverridesEverything() {
        let lists: [[HazardStatus]] = [[], [h(.open, .extremelySevere)], [h(.rebound, .serious, rebounds: 1)],
                                       [h(.rectified, .general)], [h(.closedDown, .serious), h(.closedDown, .general)]]
        for list in lists {
            let c = ColourRule.colour(closedDown: true, hazards: list)
            #expect(c.key == "closedDown")
            #expect(c.situation == nil)
        }
        // Hazards closed with the subject but the flag unset: nothing open → rectified.
        #expect(colour([h(.closedDown, .serious)]) == "rectified")
    }

    @Test func allColours() {
        #expect(SubjectColour.all.count == 11)
        #expect(Set(SubjectColour.all).count == 11)
        #expect(SubjectColour.all.map(\.key) == [
            "extremelySevere.notRectified", "extremelySevere.inProgress", "extremelySevere.rebound",
            "serious.notRectified", "serious.inProgress", "serious.rebound",
            "general.notRectified", "general.inProgress", "general.rebound",
            "rectified", "closedDown",
        ])
        #expect(Set(SubjectColour.all.map(\.hex)).count == 11, "every colour has its own hex")
        for c in SubjectColour.all {
            #expect(c.hex.hasPrefix("#") && c.hex.count == 7, "\(c.hex)")
            #expect(SubjectColour(key: c.key) == c, "\(c.key)")
            #expect(c.description == c.key)
            let hazardous = c.category != .rectified && c.category != .closedDown
            #expect((c.situation != nil) == hazardous, "\(c.key)")
        }
        #expect(SubjectColour.all.first { $0.key == "closedDown" }?.hex == "#757575")
        #expect(SubjectColour.all.first { $0.key == "rectified" }?.hex == "#2E7D32")
        #expect(SubjectColour(key: "serious.inProgress")?.zh == "较严重隐患·整改中")
    }

    @Test func badKeys() {
        for key in ["", "serious", "rectified.notRectified", "closedDown.rebound", "serious.inprogress",
                    "urgent.rebound", "general.rebound.x", "general."] {
            #expect(SubjectColour(key: key) == nil, "\(key)")
        }
    }
}

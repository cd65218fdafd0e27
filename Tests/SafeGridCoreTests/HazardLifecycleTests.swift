import Foundation
import Testing
@testable import SafeGridCore

@Suite struct HazardLifecycleTests {
    /// 2024-10-16T09:30:00+08:00.
    private let t0 = Date(timeIntervalSince1970: 1_729_042_200)
    /// 2024-10-23T23:59:59+08:00.
    private let due = Date(timeIntervalSince1970: 1_729_699_199)

    /// The transition table, written out independently of `HazardLifecycle.target`.
    /// `nil` = forbidden.
    private let expected: [HazardAction: [HazardState: HazardState?]] = [
        .startRectification: [.open: .rectifying, .rectifying: nil, .rectified: nil, .rebound: .rectifying, .closedDown: nil],
        .verifyRectified: [.open: .rectified, .rectifying: .rectified, .rectified: nil, .rebound: .rectified, .closedDown: nil],
        .notYetRectified: [.open: .open, .rectifying: .open, .rectified: nil, .rebound: .rebound, .closedDown: nil],
        .reportRebound: [.open: nil, .rectifying: nil, .rectified: .rebound, .rebound: nil, .closedDown: nil],
        .closeDown: [.open: .closedDown, .rectifying: .closedDown, .rectified: nil, .rebound: .closedDown, .closedDown: nil],
    ]

    private func status(_ state: HazardState, version: Int = 3, reboundCount: Int = 0,
                        rectifiedAt: Date? = nil) -> HazardStatus {
        HazardStatus(state: state, severity: .serious, dueAt: due, rectifiedAt: rectifiedAt,
                     reboundCount: reboundCount, version: version)
    }

    private func domainError(_ body: () throws(DomainError) -> Void) -> DomainError? {
        do {
            try body()
            return nil
        } catch {
            return error
        }
    }

    @Test func tableCoversEveryPair() {
        #expect(Set(expected.keys) == Set(HazardAction.allCases))
        for action in HazardAction.allCases {
            #expect(Set(expected[action]!.keys) == Set(HazardState.allCases), "\(action)")
        }
        // 25 pairs, 12 allowed.
        let allowed = expected.values.flatMap(\.values).filter { $0 != nil }.count
        #expect(allowed == 12)
    }

    @Test func targetMatchesTable() {
        for action in HazardAction.allCases {
            for state in HazardState.allCases {
                #expect(HazardLifecycle.target(of: action, from: state) == expected[action]![state]!, "\(action) from \(state)")
            }
        }
    }

    @Test func applyEveryPair() {
        for action in HazardAction.allCases {
            for state in HazardState.allCases {
                let before = status(state, version: 3)
                let label = "\(action) from \(state)"
                do {
                    let (after, event) = try HazardLifecycle.apply(action, to: before, at: t0, actor: "张伟",
                                                                   reason: "复查记录")
                    guard let target = expected[action]![state]! else {
                        Issue.record("\(label) should be refused, got \(after.state)")
                        continue
                    }
                    #expect(after.state == target, "\(label)")
                    #expect(after.version == 4, "\(label)")
                    #expect(after.severity == .serious, "\(label)")
                    // A rebound without a date gets the default rebound deadline; nothing else moves it.
                    let expectedDue = action == .reportRebound
                        ? Deadline.due(foundAt: t0, days: HazardLifecycle.defaultReboundDays) : due
                    #expect(after.dueAt == expectedDue, "\(label)")
                    #expect(event.kind == HazardEventKind(action), "\(label)")
                    #expect(event.kind.rawValue == action.rawValue, "\(label)")
                    #expect(event.fromState == state, "\(label)")
                    #expect(event.toState == target, "\(label)")
                    #expect(event.actor == "张伟", "\(label)")
                    #expect(event.reason == "复查记录", "\(label)")
                    #expect(event.occurredAt == t0, "\(label)")
                    #expect(event.dueAt == (action == .reportRebound ? expectedDue : nil), "\(label)")
                } catch {
                    guard expected[action]![state]! == nil else {
                        Issue.record("\(label) should be allowed, got \(error)")
                        continue
                    }
                    #expect(error.kind == .conflict, "\(label)")
                    #expect(error.field == "action", "\(label)")
                    #expect(error.extra["currentState"] == state.rawValue, "\(label)")
                    #expect(error.extra["currentVersion"] == "3", "\(label)")
                }
            }
        }
    }

    @Test func versionIncrementsAlongAPath() throws {
        var s = HazardStatus(severity: .general, dueAt: due)
        #expect(s.version == 1)
        #expect(s.state == .open)
        let steps: [(HazardAction, HazardState)] = [
            (.startRectification, .rectifying), (.notYetRectified, .open), (.verifyRectified, .rectified),
            (.reportRebound, .rebound), (.startRectification, .rectifying), (.verifyRectified, .rectified),
        ]
        for (n, (action, target)) in steps.enumerated() {
            (s, _) = try HazardLifecycle.apply(action, to: s, at: t0.addingTimeInterval(Double(n) * 3600), actor: "李明",
                                               reason: "r", expectedVersion: n + 1)
            #expect(s.state == target)
            #expect(s.version == n + 2)
        }
        #expect(s.reboundCount == 1)
    }

    @Test func staleVersionIsConflict() throws {
        let s = status(.open, version: 5)
        for stale in [4, 6, 1] {
            let error = domainError { () throws(DomainError) in
                _ = try HazardLifecycle.apply(.startRectification, to: s, at: t0, actor: "李明", reason: nil,
                                              expectedVersion: stale)
            }
            #expect(error?.kind == .conflict)
            #expect(error?.field == "version")
            #expect(error?.extra["currentVersion"] == "5")
            #expect(error?.extra["currentState"] == "open")
        }
        // The stale check comes first, even for a forbidden action.
        let error = domainError { () throws(DomainError) in
            _ = try HazardLifecycle.apply(.reportRebound, to: s, at: t0, actor: "李明", reason: "r", expectedVersion: 2)
        }
        #expect(error?.field == "version")
        // The right version passes.
        let (next, _) = try HazardLifecycle.apply(.startRectification, to: s, at: t0, actor: "李明", reason: nil,
                                                  expectedVersion: 5)
        #expect(next.version == 6)
    }

    @Test func reasonRequired() throws {
        let cases: [(HazardAction, HazardState)] = [(.notYetRectified, .rectifying), (.reportRebound, .rectified),
                                                    (.closeDown, .open)]
        for (action, state) in cases {
            #expect(action.requiresReason)
            for reason in [nil, "", "  \n "] as [String?] {
                let error = domainError { () throws(DomainError) in
                    _ = try HazardLifecycle.apply(action, to: status(state), at: t0, actor: "李明", reason: reason)
                }
                #expect(error?.kind == .invalid, "\(action) reason \(String(describing: reason))")
                #expect(error?.field == "reason", "\(action) reason \(String(describing: reason))")
            }
        }
        #expect(!HazardAction.startRectification.requiresReason)
        #expect(!HazardAction.verifyRectified.requiresReason)
        // Optional reasons: blank becomes nil, text is trimmed.
        let (_, e1) = try HazardLifecycle.apply(.startRectification, to: status(.open), at: t0, actor: "李明", reason: nil)
        #expect(e1.reason == nil)
        let (_, e2) = try HazardLifecycle.apply(.verifyRectified, to: status(.open), at: t0, actor: "李明", reason: "   ")
        #expect(e2.reason == nil)
        let (_, e3) = try HazardLifecycle.apply(.closeDown, to: status(.open), at: t0, actor: "李明", reason: " 关停 ")
        #expect(e3.reason == "关停")
    }

    @Test func blankActorRefused() throws {
        for actor in ["", "   ", "\n\t"] {
            let error = domainError { () throws(DomainError) in
                _ = try HazardLifecycle.apply(.startRectification, to: status(.open), at: t0, actor: actor, reason: nil)
            }
            #expect(error?.kind == .invalid)
            #expect(error?.field == "actor")
        }
        let (_, event) = try HazardLifecycle.apply(.startRectification, to: status(.open), at: t0, actor: "  王芳 ",
                                                   reason: nil)
        #expect(event.actor == "王芳")
    }

    @Test func newDueAt() throws {
        // Before `at`: refused.
        let error = domainError { () throws(DomainError) in
            _ = try HazardLifecycle.apply(.notYetRectified, to: status(.rectifying), at: t0, actor: "李明",
                                          reason: "未整改", newDueAt: t0.addingTimeInterval(-1))
        }
        #expect(error?.kind == .invalid)
        #expect(error?.field == "dueOn")
        // Equal to `at`: accepted, sets dueAt and the event's dueAt.
        let (s1, e1) = try HazardLifecycle.apply(.notYetRectified, to: status(.rectifying), at: t0, actor: "李明",
                                                 reason: "未整改", newDueAt: t0)
        #expect(s1.dueAt == t0)
        #expect(e1.dueAt == t0)
        #expect(s1.state == .open)
        // A rebound's deadline.
        let later = due.addingTimeInterval(7 * 86_400)
        let (s2, e2) = try HazardLifecycle.apply(.reportRebound, to: status(.rectified, rectifiedAt: t0), at: t0,
                                                 actor: "李明", reason: "再次发现", newDueAt: later)
        #expect(s2.dueAt == later)
        #expect(e2.dueAt == later)
        // Other actions cannot carry a deadline.
        let other = domainError { () throws(DomainError) in
            _ = try HazardLifecycle.apply(.startRectification, to: status(.open), at: t0, actor: "李明", reason: nil,
                                          newDueAt: later)
        }
        #expect(other?.kind == .invalid)
        #expect(other?.field == "dueOn")
    }

    @Test func reboundIncrementsCountAndClearsRectifiedAt() throws {
        let s = status(.rectified, version: 4, reboundCount: 1, rectifiedAt: t0)
        let at = t0.addingTimeInterval(86_400)
        let (next, event) = try HazardLifecycle.apply(.reportRebound, to: s, at: at, actor: "李明", reason: "再次发现")
        #expect(next.state == .rebound)
        #expect(next.reboundCount == 2)
        #expect(next.rectifiedAt == nil)
        #expect(next.version == 5)
        #expect(next.dueAt == Deadline.due(foundAt: at, days: HazardLifecycle.defaultReboundDays), "no new deadline given: the default rebound period from the rebound")
        #expect(event.kind == .reportRebound)
        #expect(event.fromState == .rectified)
    }

    @Test func verifySetsRectifiedAt() throws {
        for state in [HazardState.open, .rectifying, .rebound] {
            let s = status(state, reboundCount: state == .rebound ? 1 : 0)
            #expect(s.rectifiedAt == nil)
            let at = t0.addingTimeInterval(12_345)
            let (next, _) = try HazardLifecycle.apply(.verifyRectified, to: s, at: at, actor: "李明", reason: nil)
            #expect(next.rectifiedAt == at, "\(state)")
            #expect(next.state == .rectified)
            #expect(next.reboundCount == s.reboundCount, "verification keeps the rebound count")
        }
        // Other actions leave rectifiedAt alone.
        let (n2, _) = try HazardLifecycle.apply(.startRectification, to: status(.open), at: t0, actor: "李明", reason: nil)
        #expect(n2.rectifiedAt == nil)
    }

    @Test func isOpenAndOverdue() {
        #expect(HazardState.allCases.filter(\.isOpen) == [.open, .rectifying, .rebound])
        let s = status(.open)
        #expect(!s.isOverdue(at: due))
        #expect(s.isOverdue(at: due.addingTimeInterval(1)))
        #expect(!status(.rectified).isOverdue(at: due.addingTimeInterval(1)))
        #expect(!status(.closedDown).isOverdue(at: due.addingTimeInterval(1)))
    }
}

import Foundation
import XCTest
@testable import SafeGridCore

final class HazardLifecycleTests: XCTestCase {
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

    func testTableCoversEveryPair() {
        XCTAssertEqual(Set(expected.keys), Set(HazardAction.allCases))
        for action in HazardAction.allCases {
            XCTAssertEqual(Set(expected[action]!.keys), Set(HazardState.allCases), "\(action)")
        }
        // 25 pairs, 12 allowed.
        let allowed = expected.values.flatMap(\.values).filter { $0 != nil }.count
        XCTAssertEqual(allowed, 12)
    }

    func testTargetMatchesTable() {
        for action in HazardAction.allCases {
            for state in HazardState.allCases {
                XCTAssertEqual(HazardLifecycle.target(of: action, from: state), expected[action]![state]!,
                               "\(action) from \(state)")
            }
        }
    }

    func testApplyEveryPair() {
        for action in HazardAction.allCases {
            for state in HazardState.allCases {
                let before = status(state, version: 3)
                let label = "\(action) from \(state)"
                do {
                    let (after, event) = try HazardLifecycle.apply(action, to: before, at: t0, actor: "张伟",
                                                                   reason: "复查记录")
                    guard let target = expected[action]![state]! else {
                        XCTFail("\(label) should be refused, got \(after.state)")
                        continue
                    }
                    XCTAssertEqual(after.state, target, label)
                    XCTAssertEqual(after.version, 4, label)
                    XCTAssertEqual(after.severity, .serious, label)
                    // A rebound without a date gets the default rebound deadline; nothing else moves it.
                    let expectedDue = action == .reportRebound
                        ? Deadline.due(foundAt: t0, days: HazardLifecycle.defaultReboundDays) : due
                    XCTAssertEqual(after.dueAt, expectedDue, label)
                    XCTAssertEqual(event.kind, HazardEventKind(action), label)
                    XCTAssertEqual(event.kind.rawValue, action.rawValue, label)
                    XCTAssertEqual(event.fromState, state, label)
                    XCTAssertEqual(event.toState, target, label)
                    XCTAssertEqual(event.actor, "张伟", label)
                    XCTAssertEqual(event.reason, "复查记录", label)
                    XCTAssertEqual(event.occurredAt, t0, label)
                    XCTAssertEqual(event.dueAt, action == .reportRebound ? expectedDue : nil, label)
                } catch {
                    guard expected[action]![state]! == nil else {
                        XCTFail("\(label) should be allowed, got \(error)")
                        continue
                    }
                    XCTAssertEqual(error.kind, .conflict, label)
                    XCTAssertEqual(error.field, "action", label)
                    XCTAssertEqual(error.extra["currentState"], state.rawValue, label)
                    XCTAssertEqual(error.extra["currentVersion"], "3", label)
                }
            }
        }
    }

    func testVersionIncrementsAlongAPath() throws {
        var s = HazardStatus(severity: .general, dueAt: due)
        XCTAssertEqual(s.version, 1)
        XCTAssertEqual(s.state, .open)
        let steps: [(HazardAction, HazardState)] = [
            (.startRectification, .rectifying), (.notYetRectified, .open), (.verifyRectified, .rectified),
            (.reportRebound, .rebound), (.startRectification, .rectifying), (.verifyRectified, .rectified),
        ]
        for (n, (action, target)) in steps.enumerated() {
            (s, _) = try HazardLifecycle.apply(action, to: s, at: t0.addingTimeInterval(Double(n) * 3600), actor: "李明",
                                               reason: "r", expectedVersion: n + 1)
            XCTAssertEqual(s.state, target)
            XCTAssertEqual(s.version, n + 2)
        }
        XCTAssertEqual(s.reboundCount, 1)
    }

    func testStaleVersionIsConflict() throws {
        let s = status(.open, version: 5)
        for stale in [4, 6, 1] {
            let error = domainError { () throws(DomainError) in
                _ = try HazardLifecycle.apply(.startRectification, to: s, at: t0, actor: "李明", reason: nil,
                                              expectedVersion: stale)
            }
            XCTAssertEqual(error?.kind, .conflict)
            XCTAssertEqual(error?.field, "version")
            XCTAssertEqual(error?.extra["currentVersion"], "5")
            XCTAssertEqual(error?.extra["currentState"], "open")
        }
        // The stale check comes first, even for a forbidden action.
        let error = domainError { () throws(DomainError) in
            _ = try HazardLifecycle.apply(.reportRebound, to: s, at: t0, actor: "李明", reason: "r", expectedVersion: 2)
        }
        XCTAssertEqual(error?.field, "version")
        // The right version passes.
        let (next, _) = try HazardLifecycle.apply(.startRectification, to: s, at: t0, actor: "李明", reason: nil,
                                                  expectedVersion: 5)
        XCTAssertEqual(next.version, 6)
    }

    func testReasonRequired() throws {
        let cases: [(HazardAction, HazardState)] = [(.notYetRectified, .rectifying), (.reportRebound, .rectified),
                                                    (.closeDown, .open)]
        for (action, state) in cases {
            XCTAssertTrue(action.requiresReason)
            for reason in [nil, "", "  \n "] as [String?] {
                let error = domainError { () throws(DomainError) in
                    _ = try HazardLifecycle.apply(action, to: status(state), at: t0, actor: "李明", reason: reason)
                }
                XCTAssertEqual(error?.kind, .invalid, "\(action) reason \(String(describing: reason))")
                XCTAssertEqual(error?.field, "reason", "\(action) reason \(String(describing: reason))")
            }
        }
        XCTAssertFalse(HazardAction.startRectification.requiresReason)
        XCTAssertFalse(HazardAction.verifyRectified.requiresReason)
        // Optional reasons: blank becomes nil, text is trimmed.
        let (_, e1) = try HazardLifecycle.apply(.startRectification, to: status(.open), at: t0, actor: "李明", reason: nil)
        XCTAssertNil(e1.reason)
        let (_, e2) = try HazardLifecycle.apply(.verifyRectified, to: status(.open), at: t0, actor: "李明", reason: "   ")
        XCTAssertNil(e2.reason)
        let (_, e3) = try HazardLifecycle.apply(.closeDown, to: status(.open), at: t0, actor: "李明", reason: " 关停 ")
        XCTAssertEqual(e3.reason, "关停")
    }

    func testBlankActorRefused() throws {
        for actor in ["", "   ", "\n\t"] {
            let error = domainError { () throws(DomainError) in
                _ = try HazardLifecycle.apply(.startRectification, to: status(.open), at: t0, actor: actor, reason: nil)
            }
            XCTAssertEqual(error?.kind, .invalid)
            XCTAssertEqual(error?.field, "actor")
        }
        let (_, event) = try HazardLifecycle.apply(.startRectification, to: status(.open), at: t0, actor: "  王芳 ",
                                                   reason: nil)
        XCTAssertEqual(event.actor, "王芳")
    }

    func testNewDueAt() throws {
        // Before `at`: refused.
        let error = domainError { () throws(DomainError) in
            _ = try HazardLifecycle.apply(.notYetRectified, to: status(.rectifying), at: t0, actor: "李明",
                                          reason: "未整改", newDueAt: t0.addingTimeInterval(-1))
        }
        XCTAssertEqual(error?.kind, .invalid)
        XCTAssertEqual(error?.field, "dueOn")
        // Equal to `at`: accepted, sets dueAt and the event's dueAt.
        let (s1, e1) = try HazardLifecycle.apply(.notYetRectified, to: status(.rectifying), at: t0, actor: "李明",
                                                 reason: "未整改", newDueAt: t0)
        XCTAssertEqual(s1.dueAt, t0)
        XCTAssertEqual(e1.dueAt, t0)
        XCTAssertEqual(s1.state, .open)
        // A rebound's deadline.
        let later = due.addingTimeInterval(7 * 86_400)
        let (s2, e2) = try HazardLifecycle.apply(.reportRebound, to: status(.rectified, rectifiedAt: t0), at: t0,
                                                 actor: "李明", reason: "再次发现", newDueAt: later)
        XCTAssertEqual(s2.dueAt, later)
        XCTAssertEqual(e2.dueAt, later)
        // Other actions cannot carry a deadline.
        let other = domainError { () throws(DomainError) in
            _ = try HazardLifecycle.apply(.startRectification, to: status(.open), at: t0, actor: "李明", reason: nil,
                                          newDueAt: later)
        }
        XCTAssertEqual(other?.kind, .invalid)
        XCTAssertEqual(other?.field, "dueOn")
    }

    func testReboundIncrementsCountAndClearsRectifiedAt() throws {
        let s = status(.rectified, version: 4, reboundCount: 1, rectifiedAt: t0)
        let at = t0.addingTimeInterval(86_400)
        let (next, event) = try HazardLifecycle.apply(.reportRebound, to: s, at: at, actor: "李明", reason: "再次发现")
        XCTAssertEqual(next.state, .rebound)
        XCTAssertEqual(next.reboundCount, 2)
        XCTAssertNil(next.rectifiedAt)
        XCTAssertEqual(next.version, 5)
        XCTAssertEqual(next.dueAt, Deadline.due(foundAt: at, days: HazardLifecycle.defaultReboundDays),
                       "no new deadline given: the default rebound period from the rebound")
        XCTAssertEqual(event.kind, .reportRebound)
        XCTAssertEqual(event.fromState, .rectified)
    }

    func testVerifySetsRectifiedAt() throws {
        for state in [HazardState.open, .rectifying, .rebound] {
            let s = status(state, reboundCount: state == .rebound ? 1 : 0)
            XCTAssertNil(s.rectifiedAt)
            let at = t0.addingTimeInterval(12_345)
            let (next, _) = try HazardLifecycle.apply(.verifyRectified, to: s, at: at, actor: "李明", reason: nil)
            XCTAssertEqual(next.rectifiedAt, at, "\(state)")
            XCTAssertEqual(next.state, .rectified)
            XCTAssertEqual(next.reboundCount, s.reboundCount, "verification keeps the rebound count")
        }
        // Other actions leave rectifiedAt alone.
        let (n2, _) = try HazardLifecycle.apply(.startRectification, to: status(.open), at: t0, actor: "李明", reason: nil)
        XCTAssertNil(n2.rectifiedAt)
    }

    func testIsOpenAndOverdue() {
        XCTAssertEqual(HazardState.allCases.filter(\.isOpen), [.open, .rectifying, .rebound])
        let s = status(.open)
        XCTAssertFalse(s.isOverdue(at: due))
        XCTAssertTrue(s.isOverdue(at: due.addingTimeInterval(1)))
        XCTAssertFalse(status(.rectified).isOverdue(at: due.addingTimeInterval(1)))
        XCTAssertFalse(status(.closedDown).isOverdue(at: due.addingTimeInterval(1)))
    }
}

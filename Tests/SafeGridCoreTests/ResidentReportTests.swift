import Foundation
import Testing
@testable import SafeGridCore

@Suite struct ResidentReportTests {
    let received = Date(timeIntervalSince1970: 1_796_000_000)

    @Test func aReportIsVerifiedOrDismissedOnceThenRectifiedWithItsHazards() throws {
        let r = ResidentReport(state: .received, receivedAt: received)
        let verified = try r.verifying(at: received.addingTimeInterval(3_600), by: "王网格（wangge）")
        #expect(verified.state == .verified && verified.verifiedAt == received.addingTimeInterval(3_600))
        // A clock behind the receipt never dates the verification before it.
        #expect(try r.verifying(at: received.addingTimeInterval(-60), by: "x").verifiedAt == received)
        #expect(throws: DomainError(.conflict, field: "action",
                                    reason: "the report is verified (已核实，整改中); only a report awaiting verification can be dismissed",
                                    extra: ["currentState": "verified"])) {
            try verified.dismissing(at: received, by: "x", reason: .notHazard, duplicateOf: nil, note: "n")
        }
        #expect(verified.rectifying(at: received.addingTimeInterval(86_400)).state == .rectified)
        #expect(verified.rectifying(at: received, closedDown: true).state == .closedDown)
        // A rebound reopens a rectified report only.
        #expect(verified.rectifying(at: received).reopening().state == .verified)
        #expect(verified.rectifying(at: received).reopening().rectifiedAt == nil)
        #expect(r.reopening().state == .received)
        #expect(ResidentReportState.allCases.filter(\.isOpen) == [.received, .verified])
        #expect(ResidentReportState.closedDown.open311Status == "closed")
        // Only a verified report is rectified.
        #expect(r.rectifying(at: received).state == .received)
        #expect(ResidentReportState.verified.open311Status == "open" && ResidentReportState.rectified.open311Status == "closed")
        #expect(ResidentReportState.dismissed.open311Status == "closed" && ResidentReportState.received.open311Status == "open")
    }

    @Test func aDismissalSaysWhyAndADuplicateNamesItsOriginal() throws {
        let r = ResidentReport(state: .received, receivedAt: received)
        let original = UUID()
        #expect(throws: DomainError.invalid("duplicateOf", "a duplicate names the report it repeats")) {
            try r.dismissing(at: received, by: "x", reason: .duplicate, duplicateOf: nil, note: "同一处")
        }
        #expect(throws: DomainError.invalid("duplicateOf", "only a duplicate names another report")) {
            try r.dismissing(at: received, by: "x", reason: .cannotFind, duplicateOf: original, note: "找不到")
        }
        #expect(throws: DomainError.invalid("note", "give note")) {
            try r.dismissing(at: received, by: "x", reason: .notHazard, duplicateOf: nil, note: "  \n ")
        }
        let d = try r.dismissing(at: received, by: "x", reason: .duplicate, duplicateOf: original, note: " 与上一条同一处 ")
        #expect(d.state == .dismissed && d.duplicateOf == original && d.note == "与上一条同一处" && d.dismissReason == .duplicate)
    }

    @Test func aReportWaitingTwentyFourHoursIsOverdue() {
        let r = ResidentReport(state: .received, receivedAt: received)
        #expect(!r.isOverdue(now: received.addingTimeInterval(24 * 3600 - 1)))
        #expect(r.isOverdue(now: received.addingTimeInterval(24 * 3600)))
        #expect(!ResidentReport(state: .dismissed, receivedAt: received).isOverdue(now: received.addingTimeInterval(48 * 3600)))
    }

    @Test func limitsAnswerHowLongToWait() {
        let now = received
        // One code a minute: 20 s after the last, 40 s to wait.
        #expect(RateLimit.retryAfter(ResidentCodeRules.codesPerNumber, earlier: [now.addingTimeInterval(-20)], now: now) == 40)
        // Five an hour: the sixth waits until the first of them is an hour old.
        let five = (1...5).map { now.addingTimeInterval(Double(-600 * $0)) }
        #expect(RateLimit.retryAfter(ResidentCodeRules.codesPerNumber, earlier: five, now: now) == 600)
        #expect(RateLimit.retryAfter(ResidentCodeRules.codesPerNumber, earlier: Array(five.prefix(4)), now: now) == nil)
        // Ten reports an hour per network address; older ones do not count.
        let ten = (0..<10).map { now.addingTimeInterval(Double(-60 * $0 - 1)) }
        #expect(RateLimit.retryAfter(ResidentCodeRules.reportsPerAddress, earlier: ten, now: now) == 3_600 - 9 * 60 - 1)
        #expect(RateLimit.retryAfter(ResidentCodeRules.reportsPerAddress, earlier: ten.map { $0.addingTimeInterval(-3_600) }, now: now) == nil)
        #expect(ResidentCodeRules.isWellFormed("012345") && !ResidentCodeRules.isWellFormed("12345") && !ResidentCodeRules.isWellFormed("١٢٣٤٥٦"))
    }

    @Test func theResidentsAnswersFitOneOrTwoMessages() throws {
        let due = try CalendarDate(year: 2026, month: 12, day: 20)
        let verified = SMSTemplate.residentVerified(item: "消防车道被占用、堵塞，或设置隔离桩", dueOn: due)
        #expect(verified == "【瓜沥除险保安】您上报的隐患（消防车道被占用）已核实，已交办整改，整改期限2026-12-20。感谢您参与除险保安！")
        #expect(SMSTemplate.residentVerified(item: "消防车道被占用", dueOn: due, overdue: true)
            == "【瓜沥除险保安】您上报的隐患（消防车道被占用）已核实，该隐患已在督办整改（期限2026-12-20，已逾期）。感谢您参与除险保安！")
        let dismissed = SMSTemplate.residentDismissed(item: "消防车道被占用", reason: .cannotFind, note: String(repeating: "门", count: 60))
        #expect(dismissed.hasPrefix("【瓜沥除险保安】您上报的隐患（消防车道被占用）经核查不予受理：现场未找到（" + String(repeating: "门", count: 40) + "…）"))
        #expect(SMSText.segments(dismissed).segments <= 2)
        #expect(SMSTemplate.residentCode(code: "123456") == "【瓜沥除险保安】您的隐患上报验证码为123456，10分钟内有效，请勿告诉他人。")
        #expect(SMSText.segments(SMSTemplate.residentCode(code: "123456")).segments == 1)
        #expect(SMSTemplate.unverifiedReports(villageName: "坎山村", count: 2) == "【瓜沥除险保安】坎山村有2条居民上报超过24小时未核实，请督促网格员尽快核实。")
    }

    @Test func residentsReadTheItemsFirstClauseAndNeverManagementItems() throws {
        let items = try Checklist.bundledDefault().items
        func plain(_ code: String) -> String? { items.first { $0.code == code }.map { ResidentReportRules.plainWords($0) } }
        #expect(plain("LANE-01") == "消防车道被占用、堵塞")
        #expect(plain("ELEC-03") == "配电箱（柜）箱门缺失或防护损坏，周边堆放可燃物".prefix { $0 != "，" }.description)
        #expect(plain("EVAC-02") == "生产、经营或住人期间安全出口、疏散门被锁闭、封堵")
        #expect(plain("EBIKE-04") == "销售或改装不符合GB 17761-2018《电…", "23 characters and the ellipsis")
        #expect(items.filter { !ResidentReportRules.reportable($0) }.allSatisfy { $0.category == .management })
        #expect(throws: DomainError.invalid("description", "description contains a text-direction control (U+202E)")) {
            try ResidentReportRules.checkDirection("通道\u{202E}evil", "description")
        }
        try ResidentReportRules.checkDirection("消防通道 العربية", "description")
    }
}

@Suite struct MedianTests {
    @Test func middleValueOrMeanOfTheTwoMiddleOnes() {
        #expect(Median.of([]) == nil)
        #expect(Median.of([600, 60, 6_000]) == 600)
        #expect(Median.of([60, 600, 120, 6_000]) == 360)
    }
}

@Suite struct ResidentReportWordsTests {
    @Test func statusNotesSayTheStateAndWhatComesNext() throws {
        let received = try Timestamp.parse("2026-11-30T10:00:00+08:00")
        #expect(ResidentReport(state: .received, receivedAt: received).statusNotes(dueOn: nil)
            == "待核实 awaiting verification; 网格员将于 2026-12-01 10:00 前核实")
        #expect(ResidentReport(state: .verified, receivedAt: received).statusNotes(dueOn: try CalendarDate(year: 2026, month: 12, day: 20))
            == "已核实，整改中 verified, being rectified; 整改期限 due 2026-12-20")
        #expect(ResidentReport(state: .dismissed, receivedAt: received, dismissReason: .cannotFind, note: "worker's words").statusNotes(dueOn: nil)
            == "不予受理 dismissed; 现场未找到 cannot be found")
    }

    @Test func theStreetOfAnAddress() {
        #expect(ResidentReportRules.streetPart("杭州市萧山区瓜沥镇坎山村工业路12号") == "工业路12号")
        #expect(ResidentReportRules.streetPart("瓜沥镇航坞社区") == "")
        #expect(ResidentReportRules.streetPart("瓜沥镇明朗村50%_路3号") == "50路3号", "LIKE wildcards dropped")
    }
}

import Foundation
import Testing
@testable import SafeGridCore

@Suite struct SMSTextTests {
    private func seg(_ s: String) -> SMSSegments { SMSText.segments(s) }
    private func rep(_ s: String, _ n: Int) -> String { String(repeating: s, count: n) }

    // MARK: - Segment counting

    @Test func empty() {
        #expect(seg("") == SMSSegments(encoding: .gsm7, units: 0, segments: 1))
    }

    @Test func asciiBoundaries() {
        #expect(seg(rep("a", 160)) == SMSSegments(encoding: .gsm7, units: 160, segments: 1))
        #expect(seg(rep("a", 161)) == SMSSegments(encoding: .gsm7, units: 161, segments: 2))
        #expect(seg(rep("a", 306)).segments == 2)
        #expect(seg(rep("a", 307)).segments == 3)
        #expect(seg(rep("a", 459)).segments == 3)
        #expect(seg(rep("a", 460)).segments == 4)
        #expect(seg("Hello, world! 0123 @$_").encoding == .gsm7)
        #expect(seg("\r\n").units == 2)
    }

    @Test func gsmExtensionCharactersCountTwo() {
        for c in ["^", "{", "}", "\\", "[", "~", "]", "|", "€"] {
            #expect(seg(c) == SMSSegments(encoding: .gsm7, units: 2, segments: 1), "\(c)")
        }
        #expect(seg(rep("{", 80)) == SMSSegments(encoding: .gsm7, units: 160, segments: 1))
        #expect(seg(rep("{", 80) + "a") == SMSSegments(encoding: .gsm7, units: 161, segments: 2))
        #expect(seg("price 5€").units == 9)
        // An escape sequence is not split across parts: 152 + [2] + 152 = 306 septets, but the
        // '[' does not fit in the first part's last septet, so three parts are needed.
        #expect(seg(rep("a", 152) + "[" + rep("a", 152)) == SMSSegments(encoding: .gsm7, units: 306, segments: 3))
        #expect(seg(rep("a", 151) + "[" + rep("a", 153)) == SMSSegments(encoding: .gsm7, units: 306, segments: 2))
    }

    @Test func gsmBasicNonASCII() {
        #expect(seg("éèùìòÇØøÅåÆæßÉÄÖÑÜäöñüà£¥§¿¡¤").encoding == .gsm7)
        #expect(seg("\u{0394}\u{03A9}\u{03A3}").encoding == .gsm7) // Greek capitals of the alphabet
        #expect(seg("ç").encoding == .ucs2) // only capital Ç is in the table
        #expect(seg("\u{2126}").encoding == .ucs2) // OHM SIGN, not GREEK CAPITAL OMEGA
        #expect(seg("`").encoding == .ucs2)
    }

    @Test func chineseBoundaries() {
        #expect(seg(rep("中", 70)) == SMSSegments(encoding: .ucs2, units: 70, segments: 1))
        #expect(seg(rep("中", 71)) == SMSSegments(encoding: .ucs2, units: 71, segments: 2))
        #expect(seg(rep("中", 134)) == SMSSegments(encoding: .ucs2, units: 134, segments: 2))
        #expect(seg(rep("中", 135)) == SMSSegments(encoding: .ucs2, units: 135, segments: 3))
        #expect(seg(rep("中", 201)).segments == 3)
        #expect(seg(rep("中", 202)).segments == 4)
        // One Chinese character switches ASCII to UCS-2: every character is then one unit.
        #expect(seg(rep("a", 69) + "中") == SMSSegments(encoding: .ucs2, units: 70, segments: 1))
        #expect(seg(rep("a", 70) + "中") == SMSSegments(encoding: .ucs2, units: 71, segments: 2))
        #expect(seg("【瓜沥除险保安】").units == 8)
    }

    @Test func emojiCountsTwoUnits() {
        #expect(seg("😀") == SMSSegments(encoding: .ucs2, units: 2, segments: 1))
        #expect(seg(rep("😀", 35)) == SMSSegments(encoding: .ucs2, units: 70, segments: 1))
        #expect(seg(rep("😀", 36)) == SMSSegments(encoding: .ucs2, units: 72, segments: 2))
        #expect(seg("整改😀").units == 4)
        // A surrogate pair is not split: 66 + 😀 + 66 = 134 units, but three parts.
        #expect(seg(rep("中", 66) + "😀" + rep("中", 66)) == SMSSegments(encoding: .ucs2, units: 134, segments: 3))
    }

    // MARK: - Templates

    private let inspected = try! CalendarDate(year: 2026, month: 11, day: 30)
    private let due = try! CalendarDate(year: 2026, month: 12, day: 15)
    private let link = "https://sg.guali.example.cn/e/EjRWeJq83vASNFZ4mrze8GscC0DokM6mDR3Bx8jkHzE"

    private let pool = ["电气线路未穿管保护，存在漏电隐患", "疏散通道被占用", "灭火器过期（压力不足）",
                        "消防通道堵塞、杂物堆放", "安全出口指示灯损坏", "员工宿舍与仓库未有效分隔",
                        "燃气软管老化开裂需要更换并加装报警器", "配电箱周边堆放可燃物", "未建立安全生产责任制度。",
                        "动火作业未办理审批手续"]

    private func hazards(_ n: Int) -> [SMSHazardLine] {
        (0..<n).map { SMSHazardLine(code: "H\($0)", text: pool[$0 % pool.count]) }
    }

    @Test func noticeExactFullForm() {
        let s = SMSTemplate.rectificationNotice(
            subjectName: "杭州恒增纺织有限公司", inspectedOn: inspected,
            hazards: [SMSHazardLine(code: "E1", text: "电气线路未穿管保护"), SMSHazardLine(code: "F2", text: "疏散通道被占用"),
                      SMSHazardLine(code: "F3", text: "灭火器过期")],
            dueOn: due, link: "https://x/e/TOKEN")
        #expect(s == "【瓜沥除险保安】杭州恒增纺织有限公司：2026-11-30联合检查发现隐患3处：电气线路未穿管保护；疏散通道被占用；灭火器过期，请于2026-12-15前整改完毕。整改后上传照片：https://x/e/TOKEN 咨询请联系网格员。")
        #expect(SMSText.segments(s).segments == 2)
    }

    @Test func noticeWithoutLinkAndOtherSign() {
        let s = SMSTemplate.rectificationNotice(
            sign: "【测试】", subjectName: " 小店\n ", inspectedOn: inspected,
            hazards: [SMSHazardLine(code: "F3", text: "灭火器过期。")], dueOn: due, link: nil)
        #expect(s == "【测试】小店：2026-11-30联合检查发现隐患1处：灭火器过期，请于2026-12-15前整改完毕。咨询请联系网格员。")
        let none = SMSTemplate.rectificationNotice(subjectName: "小店", inspectedOn: inspected, hazards: [], dueOn: due, link: nil)
        #expect(none == "【瓜沥除险保安】小店：2026-11-30联合检查发现隐患0处，请于2026-12-15前整改完毕。咨询请联系网格员。")
    }

    @Test func noticeShortensHazardTextsFirst() {
        let s = SMSTemplate.rectificationNotice(
            subjectName: "杭州恒增纺织有限公司", inspectedOn: inspected,
            hazards: [SMSHazardLine(code: "a", text: "电气线路未穿管保护，存在漏电隐患，须立即整改并由持证电工重新敷设"),
                      SMSHazardLine(code: "b", text: "灭火器过期（压力不足，已无法正常使用）"),
                      SMSHazardLine(code: "c", text: "燃气软管老化开裂需要更换并加装报警器")],
            dueOn: due, link: "https://x/e/TOKEN", maxSegments: 2)
        #expect(s == "【瓜沥除险保安】杭州恒增纺织有限公司：2026-11-30联合检查发现隐患3处：电气线路未穿管保护；灭火器过期；燃气软管老化开裂需要更换，请于2026-12-15前整改完毕。整改后上传照片：https://x/e/TOKEN 咨询请联系网格员。")
        #expect(SMSText.segments(s).segments <= 2)
    }

    @Test func noticeDropsHazardsWithCount() {
        let s = SMSTemplate.rectificationNotice(
            subjectName: "杭州恒增纺织有限公司", inspectedOn: inspected, hazards: hazards(8), dueOn: due,
            link: "https://x/e/TOKEN", maxSegments: 2)
        #expect(SMSText.segments(s).segments <= 2)
        #expect(s == "【瓜沥除险保安】杭州恒增纺织有限公司：2026-11-30联合检查发现隐患：电气线路未穿管保护；疏散通道被占用；灭火器过期；消防通道堵塞等8处，请于2026-12-15前整改完毕。整改后上传照片：https://x/e/TOKEN 咨询请联系网格员。")
        #expect(s.contains("等8处，请于2026-12-15前整改完毕。"), "\(s)")
        #expect(s.contains("联合检查发现隐患：电气线路未穿管保护；"), "\(s)")
        #expect(s.contains("杭州恒增纺织有限公司："), "\(s)")
    }

    @Test func noticeLongCasesStayWithinThreeSegments() {
        let longName = String(repeating: "杭州恒增纺织有限公司", count: 20) // 200 characters
        #expect(longName.count == 200)
        for n in [1, 5, 30] {
            for name in ["杭州恒增纺织有限公司", longName] {
                let s = SMSTemplate.rectificationNotice(subjectName: name, inspectedOn: inspected, hazards: hazards(n),
                                                        dueOn: due, link: link)
                let count = SMSText.segments(s)
                #expect(count.segments <= 3, "\(n) \(name.count): \(s)")
                #expect(s.hasPrefix("【瓜沥除险保安】"), "\(s)")
                #expect(s.contains(link + " "), "\(s)")
                #expect(s.contains("请于2026-12-15前整改完毕"), "\(s)")
                #expect(s.contains("2026-11-30联合检查"), "\(s)")
                if n > 1, s.contains("等") {
                    #expect(s.contains("等\(n)处"), "\(s)")
                } else {
                    #expect(s.contains("隐患\(n)处"), "\(s)")
                }
                if name == longName {
                    #expect(s.contains("杭州恒增纺织"), "\(s)")
                    #expect(s.contains("…："), "\(s)")
                }
            }
        }
        // 30 hazards never fit in full: the count is carried by 等30处.
        let thirty = SMSTemplate.rectificationNotice(subjectName: longName, inspectedOn: inspected, hazards: hazards(30),
                                                     dueOn: due, link: link)
        #expect(thirty.contains("等30处"), "\(thirty)")
        #expect(thirty.contains("电气线路未穿管保护等30处"), "\(thirty)")
    }

    @Test func noticeGuaranteeOverManyShapes() {
        let names = ["", "店", "杭州恒增纺织有限公司", String(repeating: "名", count: 60), String(repeating: "a", count: 200)]
        for maxSegments in 1...4 {
            for n in [0, 1, 2, 3, 7, 12, 40] {
                for name in names {
                    let s = SMSTemplate.rectificationNotice(subjectName: name, inspectedOn: inspected, hazards: hazards(n),
                                                            dueOn: due, link: link, maxSegments: maxSegments)
                    // The fixed parts with this 73-character link and a 7-character name take 147
                    // units: they fit from 3 segments (201 units) on.
                    if maxSegments >= 3 {
                        #expect(SMSText.segments(s).segments <= maxSegments, "\(maxSegments) \(n) \(name.count)")
                    }
                    #expect(s.contains(link), "\(s)")
                    #expect(s.contains("2026-12-15"), "\(s)")
                    #expect(s.contains("隐患\(n)处") || s.contains("等\(n)处"), "\(s)")
                }
            }
        }
    }

    @Test func noticeMinimalFormWhenFixedPartsDoNotFit() {
        let hugeLink = "https://x/e/" + String(repeating: "A", count: 400)
        let s = SMSTemplate.rectificationNotice(subjectName: "杭州恒增纺织有限公司滨江分公司", inspectedOn: inspected,
                                                hazards: hazards(4), dueOn: due, link: hugeLink)
        #expect(s == "【瓜沥除险保安】杭州恒增纺织…：2026-11-30联合检查发现隐患4处，请于2026-12-15前整改完毕。整改后上传照片：\(hugeLink) 咨询请联系网格员。")
        #expect(SMSText.segments(s).segments > 3)
    }

    @Test func shortForm() {
        #expect(SMSTemplate.shortForm("电气线路未穿管保护，存在漏电隐患") == "电气线路未穿管保护")
        #expect(SMSTemplate.shortForm("消防通道堵塞、杂物堆放") == "消防通道堵塞")
        #expect(SMSTemplate.shortForm("灭火器过期（压力不足）") == "灭火器过期")
        #expect(SMSTemplate.shortForm("燃气软管老化开裂需要更换并加装报警器") == "燃气软管老化开裂需要更换")
        #expect(SMSTemplate.shortForm("未建立安全生产责任制度。") == "未建立安全生产责任制度")
        #expect(SMSTemplate.shortForm("（一）灭火器过期") == "（一）灭火器过期")
    }

    @Test func deadlineReminder() {
        #expect(SMSTemplate.deadlineReminder(subjectName: "杭州恒增纺织有限公司", hazardCount: 3, dueOn: due,
                                             link: "https://x/e/TOKEN") ==
                "【瓜沥除险保安】杭州恒增纺织有限公司：您有3处隐患将于2026-12-15到期，请尽快整改并上传照片：https://x/e/TOKEN")
        #expect(SMSTemplate.deadlineReminder(sign: "【测试】", subjectName: "小店", hazardCount: 1, dueOn: due, link: nil) ==
                "【测试】小店：您有1处隐患将于2026-12-15到期，请尽快整改。")
    }

    @Test func overdueAlert() {
        #expect(SMSTemplate.overdueAlert(gridName: "瓜沥第3网格", subjectName: "杭州恒增纺织有限公司", hazardCount: 2, dueOn: due) ==
                "【瓜沥除险保安】瓜沥第3网格：杭州恒增纺织有限公司有2处隐患已于2026-12-15逾期未整改，请督促整改。")
        #expect(SMSTemplate.overdueAlert(gridName: "07", subjectName: "小店", hazardCount: 1, dueOn: due) ==
                "【瓜沥除险保安】网格07：小店有1处隐患已于2026-12-15逾期未整改，请督促整改。")
    }
}

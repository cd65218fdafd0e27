import Foundation

// SMS length rules (3GPP TS 23.038 §6.2.1 "GSM 7 bit default alphabet" and §6.2.1.1 its extension
// table; 3GPP TS 23.040 §9.2.3.24.1 concatenated short messages). A short message carries 140
// octets of user data: 160 GSM-7 septets or 70 UCS-2 (UTF-16) code units. A concatenated message
// spends 6 octets per part on the user-data header (IEI 0x00, 8-bit reference), leaving 153
// septets or 67 code units per part. Chinese carriers (China Mobile, China Unicom, China Telecom)
// and SMS gateways bill Chinese text the same way: 70 characters in one message, 67 per part
// beyond that.

/// How a text is encoded on the air interface.
public enum SMSEncoding: String, Sendable {
    /// GSM 03.38 / 3GPP TS 23.038 default 7-bit alphabet (with its extension table).
    case gsm7
    /// UCS-2 / UTF-16 big-endian: any text with a character outside the GSM-7 alphabet.
    case ucs2
}

/// The length of an SMS text and the number of messages it is sent (and billed) as.
public struct SMSSegments: Equatable, Sendable {
    public let encoding: SMSEncoding
    /// Septets for ``SMSEncoding/gsm7`` (a character of the extension table `^ { } \ [ ~ ] | €` and
    /// form feed is an escape plus a character: 2 septets); UTF-16 code units for
    /// ``SMSEncoding/ucs2`` (a character outside the Basic Multilingual Plane, e.g. an emoji, is a
    /// surrogate pair: 2 units).
    public let units: Int
    /// Number of messages: 1 when `units` ≤ 160 (GSM-7) or ≤ 70 (UCS-2); otherwise the number of
    /// 153-septet / 67-unit parts. Always ≥ 1.
    public let segments: Int

    public init(encoding: SMSEncoding, units: Int, segments: Int) {
        self.encoding = encoding
        self.units = units
        self.segments = segments
    }
}

/// Counting SMS length.
public enum SMSText {
    /// GSM 7-bit default alphabet, basic character set (3GPP TS 23.038 §6.2.1, table 6.2.1.1-1
    /// with its 0x1B escape left out). Greek capitals are spelled as code points so that
    /// look-alike characters (e.g. U+2126 OHM SIGN) cannot slip in.
    private static let basic: Set<Unicode.Scalar> = Set(
        ("@£$¥èéùìòÇ\nØø\rÅå\u{0394}_\u{03A6}\u{0393}\u{039B}\u{03A9}\u{03A0}\u{03A8}\u{03A3}\u{0398}\u{039E}ÆæßÉ"
            + " !\"#¤%&'()*+,-./0123456789:;<=>?"
            + "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
            + "¿abcdefghijklmnopqrstuvwxyzäöñüà").unicodeScalars)

    /// GSM 7-bit default alphabet extension table (3GPP TS 23.038 §6.2.1.1): each is sent as the
    /// escape septet 0x1B followed by one septet.
    private static let extensionTable: Set<Unicode.Scalar> = Set("\u{0C}^{}\\[~]|€".unicodeScalars)

    /// The encoding, length and number of messages of `text`.
    ///
    /// - GSM-7 when every Unicode scalar is in the default alphabet or its extension table,
    ///   otherwise UCS-2 (one character outside the alphabet, e.g. a Chinese character, switches
    ///   the whole message).
    /// - One message holds 160 septets / 70 UTF-16 units; a longer text is split into parts of at
    ///   most 153 septets / 67 units (3GPP TS 23.040 concatenation header). A part never ends
    ///   between an escape septet and its character or between the two halves of a surrogate pair
    ///   (as handsets and SMS centres split), so a text with such characters at a part boundary
    ///   may need one part more than `ceil(units / 153)` (or `/ 67`).
    /// - Empty text: 1 message of 0 units (GSM-7).
    public static func segments(_ text: String) -> SMSSegments {
        var septets: [Int] = []
        var isGSM = true
        for scalar in text.unicodeScalars {
            if basic.contains(scalar) {
                septets.append(1)
            } else if extensionTable.contains(scalar) {
                septets.append(2)
            } else {
                isGSM = false
                break
            }
        }
        if isGSM {
            return SMSSegments(encoding: .gsm7, units: septets.reduce(0, +),
                               segments: count(septets, single: 160, part: 153))
        }
        let units = text.unicodeScalars.map { $0.utf16.count }
        return SMSSegments(encoding: .ucs2, units: units.reduce(0, +), segments: count(units, single: 70, part: 67))
    }

    /// Messages needed for characters of the given widths, splitting only between characters.
    private static func count(_ widths: [Int], single: Int, part: Int) -> Int {
        let total = widths.reduce(0, +)
        if total <= single { return 1 }
        var parts = 1
        var used = 0
        for w in widths {
            if used + w > part {
                parts += 1
                used = 0
            }
            used += w
        }
        return parts
    }
}

/// One hazard as listed in a rectification notice.
public struct SMSHazardLine: Sendable, Equatable {
    /// The checklist item code (not shown in the SMS; kept for the caller's bookkeeping).
    public let code: String
    /// The Chinese item text, e.g. `"电气线路未穿管保护"`.
    public let text: String

    public init(code: String, text: String) {
        self.code = code
        self.text = text
    }
}

/// The Chinese SMS texts sent to responsible parties and grid workers.
///
/// Every text starts with the signature `sign` in 【】 (the carriers' and MIIT's rule that a
/// commercial SMS carries a registered signature, 《通信短信息服务管理规定》 2015 第二十条 and the
/// gateways' template rules); the default is `【瓜沥除险保安】`. Dates are `YYYY-MM-DD` Asia/Shanghai
/// calendar days. Names and item texts have line breaks and runs of white space collapsed to one
/// space and are trimmed.
public enum SMSTemplate {
    /// The default signature.
    public static let defaultSign = "【瓜沥除险保安】"

    /// The rectification notice (整改通知) sent to a subject's responsible party after an inspection.
    ///
    /// Full form:
    /// `"【瓜沥除险保安】杭州恒增纺织有限公司：2026-11-30联合检查发现隐患3处：电气线路未穿管保护；疏散通道被占用；灭火器过期，请于2026-12-15前整改完毕。整改后上传照片：https://x/e/TOKEN 咨询请联系网格员。"`.
    /// Without a link the sentence `整改后上传照片：…` is left out. With no hazards the list is left
    /// out (`…发现隐患0处，请于…`).
    ///
    /// - Parameters:
    ///   - inspectedOn: the inspection day.
    ///   - hazards: the hazards found, in display order.
    ///   - dueOn: the earliest rectification deadline of those hazards.
    ///   - link: the evidence upload link (see ``EvidenceToken``); a space follows it so that
    ///     handsets do not run the Chinese text into the URL.
    ///   - maxSegments: the most UCS-2 messages (70 / 67 units, ``SMSText/segments(_:)``) the text
    ///     may take.
    /// - Returns: the first of these forms that fits in `maxSegments` messages:
    ///   1. the full form;
    ///   2. every hazard text shortened: cut before the first `，` `、` `（` `,` `(` and to at most 12
    ///      characters, nothing added (`"灭火器过期，压力不足"` → `"灭火器过期"`);
    ///   3. shortened hazards dropped from the end, the rest followed by `等N处` with the total
    ///      count, which then replaces the count after `发现隐患`:
    ///      `"…联合检查发现隐患：电气线路未穿管保护；疏散通道被占用等3处，请于…"` (down to one hazard);
    ///   4. with one hazard kept, the subject name cut to its longest prefix of at least 6
    ///      characters that fits, followed by `…`;
    ///   5. with no hazard named (`…发现隐患3处，请于…`), the subject name cut likewise;
    ///   6. otherwise the minimal form (no hazard named, the name cut to 6 characters + `…`), which
    ///      may exceed `maxSegments` when the link is very long.
    ///   The signature, the inspection day, the hazard count, the deadline and the link are never
    ///   dropped.
    public static func rectificationNotice(sign: String = defaultSign, subjectName: String, inspectedOn: CalendarDate,
                                           hazards: [SMSHazardLine], dueOn: CalendarDate, link: String?,
                                           maxSegments: Int = 3) -> String {
        let name = clean(subjectName)
        let fullTexts = hazards.map { trimmingEnd(clean($0.text)) }
        let shortTexts = fullTexts.map(shortForm)
        let total = hazards.count
        let link = link.map(clean)

        func render(_ subject: String, _ texts: [String], kept: Int) -> String {
            var s = sign + subject + "：" + inspectedOn.description + "联合检查发现隐患"
            if total == 0 || kept == 0 {
                s += "\(total)处"
            } else if kept >= total {
                s += "\(total)处：" + texts.joined(separator: "；")
            } else {
                s += "：" + texts.prefix(kept).joined(separator: "；") + "等\(total)处"
            }
            s += "，请于" + dueOn.description + "前整改完毕。"
            if let link, !link.isEmpty { s += "整改后上传照片：" + link + " " }
            s += "咨询请联系网格员。"
            return s
        }
        func fits(_ s: String) -> Bool { SMSText.segments(s).segments <= maxSegments }

        // 1–2.
        for texts in [fullTexts, shortTexts] {
            let s = render(name, texts, kept: total)
            if fits(s) { return s }
        }
        // 3.
        if total > 1 {
            for kept in stride(from: total - 1, through: 1, by: -1) {
                let s = render(name, shortTexts, kept: kept)
                if fits(s) { return s }
            }
        }
        // 4–5.
        let nameCharacters = Array(name)
        let minimumKept = 6
        for kept in total > 0 ? [1, 0] : [0] {
            if nameCharacters.count > minimumKept + 1 {
                for length in stride(from: nameCharacters.count - 1, through: minimumKept, by: -1) {
                    let s = render(String(nameCharacters.prefix(length)) + "…", shortTexts, kept: kept)
                    if fits(s) { return s }
                }
            } else if kept == 0 {
                let s = render(name, shortTexts, kept: 0)
                if fits(s) { return s }
            }
        }
        // 6.
        let minimalName = nameCharacters.count > minimumKept + 1
            ? String(nameCharacters.prefix(minimumKept)) + "…" : name
        return render(minimalName, shortTexts, kept: 0)
    }

    /// Reminder to the responsible party before the deadline:
    /// `"【瓜沥除险保安】杭州恒增纺织有限公司：您有3处隐患将于2026-12-15到期，请尽快整改并上传照片：https://x/e/TOKEN"`;
    /// without a link it ends `…到期，请尽快整改。`.
    ///
    /// - Parameters:
    ///   - hazardCount: open hazards of the subject.
    ///   - dueOn: the earliest deadline among them.
    public static func deadlineReminder(sign: String = defaultSign, subjectName: String, hazardCount: Int,
                                        dueOn: CalendarDate, link: String?) -> String {
        let head = sign + clean(subjectName) + "：您有\(hazardCount)处隐患将于" + dueOn.description + "到期，"
        if let link = link.map(clean), !link.isEmpty {
            return head + "请尽快整改并上传照片：" + link
        }
        return head + "请尽快整改。"
    }

    /// Alert to the grid worker (网格员) about an overdue subject:
    /// `"【瓜沥除险保安】瓜沥第3网格：杭州恒增纺织有限公司有2处隐患已于2026-12-15逾期未整改，请督促整改。"`.
    ///
    /// - Parameters:
    ///   - gridName: the grid's name; `网格` is put in front when the name does not already contain
    ///     it (`"3"` → `"网格3"`, `"瓜沥第3网格"` unchanged).
    ///   - hazardCount: overdue hazards of the subject.
    ///   - dueOn: the (earliest) deadline that passed.
    public static func overdueAlert(sign: String = defaultSign, gridName: String, subjectName: String,
                                    hazardCount: Int, dueOn: CalendarDate) -> String {
        let grid = clean(gridName)
        let addressee = grid.contains("网格") ? grid : "网格" + grid
        return sign + addressee + "：" + clean(subjectName) + "有\(hazardCount)处隐患已于" + dueOn.description
            + "逾期未整改，请督促整改。"
    }

    /// Alert to the grid and micro-grid workers about a device alarm at a subject:
    /// `"【瓜沥除险保安】烟雾报警：杭州恒增纺织有限公司（3号楼201室）12-06 14:05，请立即到场核查并在手机上确认。"`.
    /// A smoke or fire-point alarm at a key hazard enterprise adds `[重点隐患企业]` after the kind.
    ///
    /// - Parameters:
    ///   - kindZh: the alarm kind in Chinese (``DeviceEventKind/zh``).
    ///   - room: the room of a rental house, when the device is bound to one.
    ///   - raisedAt: when the device raised it; shown as `MM-dd HH:mm` Asia/Shanghai.
    public static func deviceAlarm(sign: String = defaultSign, kindZh: String, subjectName: String, room: String?,
                                   raisedAt: Date, keyHazardEnterprise: Bool) -> String {
        let place = clean(subjectName) + (room.map { "（" + clean($0) + "）" } ?? "")
        // "2026-12-06T14:05:00+08:00" → "12-06 14:05".
        let full = Array(Timestamp.format(raisedAt))
        let time = String(full[5..<10]) + " " + String(full[11..<16])
        return sign + kindZh + (keyHazardEnterprise ? "[重点隐患企业]" : "") + "：" + place + " " + time
            + "，请立即到场核查并在手机上确认。"
    }

    /// The one-time code a resident types on the residents' page (``ResidentCodeRules``):
    /// `"【瓜沥除险保安】您的隐患上报验证码为123456，10分钟内有效，请勿告诉他人。"`.
    public static func residentCode(sign: String = defaultSign, code: String) -> String {
        sign + "您的隐患上报验证码为" + code + "，\(Int(ResidentCodeRules.validFor / 60))分钟内有效，请勿告诉他人。"
    }

    /// The answer to a resident whose report was verified:
    /// `"【瓜沥除险保安】您上报的隐患（消防通道被堵）已核实，已交办整改，整改期限2026-12-20。感谢您参与除险保安！"`.
    /// - Parameters:
    ///   - item: the checklist item's text; shortened (``shortForm(_:)``).
    ///   - dueOn: the deadline given to the responsible party (Asia/Shanghai calendar day).
    ///   - overdue: the hazard was already on record and its deadline has passed: the text says it
    ///     is being pressed (`…已核实，该隐患已在督办整改（期限2026-10-25，已逾期）。…`).
    public static func residentVerified(sign: String = defaultSign, item: String, dueOn: CalendarDate, overdue: Bool = false) -> String {
        // "交办" (handed over for rectification), not "责令" (ordered): the party's notice may not be signed yet.
        let said = overdue ? "已核实，该隐患已在督办整改（期限" + dueOn.description + "，已逾期）。"
            : "已核实，已交办整改，整改期限" + dueOn.description + "。"
        return sign + "您上报的隐患（" + shortForm(clean(item)) + "）" + said + "感谢您参与除险保安！"
    }

    /// The answer to a resident whose report was dismissed, with the reason and the worker's note
    /// cut to ``ResidentReportRules/answerNoteMax`` characters:
    /// `"【瓜沥除险保安】您上报的隐患（消防通道被堵）经核查不予受理：现场未找到（门口已清理）。如有疑问请联系所在村社。"`.
    public static func residentDismissed(sign: String = defaultSign, item: String, reason: ReportDismissalReason,
                                         note: String?) -> String {
        if reason == .duplicate {
            // Not a refusal: the same hazard is already being handled, and its answers reach this resident too.
            return sign + "您上报的隐患（" + shortForm(clean(item)) + "）已有他人上报，已合并处理，整改结果将短信告知您。感谢您参与除险保安！"
        }
        let cut = note.map(clean).map { $0.count > ResidentReportRules.answerNoteMax ? String($0.prefix(ResidentReportRules.answerNoteMax)) + "…" : $0 }
        let said = cut.flatMap { $0.isEmpty ? nil : "（" + $0 + "）" } ?? ""
        return sign + "您上报的隐患（" + shortForm(clean(item)) + "）经核查不予受理：" + reason.zh + said + "。如有疑问请联系所在村社。"
    }

    /// The answer to a resident whose reported hazard came back after rectification (反弹):
    /// `"【瓜沥除险保安】您上报的隐患（消防车道被占用）复查发现反弹，已重新交办整改，整改期限2026-12-20。"`.
    public static func residentRebound(sign: String = defaultSign, item: String, dueOn: CalendarDate) -> String {
        sign + "您上报的隐患（" + shortForm(clean(item)) + "）复查发现反弹，已重新交办整改，整改期限" + dueOn.description + "。"
    }

    /// The answer to a resident whose reported place was closed down (关停) with the hazard open:
    /// `"【瓜沥除险保安】您上报的隐患（消防车道被占用）所在场所已依法关停。感谢您参与除险保安！"`.
    public static func residentClosedDown(sign: String = defaultSign, item: String) -> String {
        sign + "您上报的隐患（" + shortForm(clean(item)) + "）所在场所已依法关停。感谢您参与除险保安！"
    }

    /// The answer to a resident whose reported hazard was rectified and re-inspected:
    /// `"【瓜沥除险保安】您上报的隐患（消防通道被堵）已整改完毕，经复查确认。感谢您参与除险保安！"`.
    public static func residentRectified(sign: String = defaultSign, item: String) -> String {
        sign + "您上报的隐患（" + shortForm(clean(item)) + "）已整改完毕，经复查确认。感谢您参与除险保安！"
    }

    /// The alert to a village officer when residents' reports of the village wait for
    /// verification beyond ``ResidentReportRules/verifyWithin``:
    /// `"【瓜沥除险保安】坎山村有2条居民上报超过24小时未核实，请督促网格员尽快核实。"`.
    /// - Parameter villageName: the village, or the town for reports nothing placed in a village.
    public static func unverifiedReports(sign: String = defaultSign, villageName: String, count: Int) -> String {
        sign + clean(villageName) + "有\(count)条居民上报超过\(Int(ResidentReportRules.verifyWithin / 3600))小时未核实，请督促网格员尽快核实。"
    }

    /// Collapses runs of white space (including line breaks) to one space and trims.
    private static func clean(_ s: String) -> String {
        s.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    /// The short form of an item text: the part before the first `，` `、` `（` `,` `(` (the whole
    /// text when that part is empty), at most 12 characters, trailing `。；;.` removed.
    public static func shortForm(_ text: String) -> String {
        let stops: Set<Character> = ["，", "、", "（", ",", "("]
        var head = text.prefix(while: { !stops.contains($0) })
        if head.trimmingCharacters(in: .whitespaces).isEmpty { head = Substring(text) }
        return trimmingEnd(String(head.prefix(12)))
    }

    /// `s` without trailing white space and `。；;.` (the list supplies its own separators).
    private static func trimmingEnd(_ s: String) -> String {
        var t = Substring(s)
        while let last = t.last, last.isWhitespace || "。；;.".contains(last) { t.removeLast() }
        return String(t)
    }
}

import Foundation
import SafeGridCore

/// Believable, deterministic Chinese names for the demo (people, enterprises, shops, streets).
/// Uniqueness of enterprise and shop names within a town is kept by a counter suffix.
///
/// The defaults are those of the 瓜沥 campaign of the article; a synthesised town of a
/// district-scale demo sets ``place``, ``streetNames`` and ``serialSpace``.
struct DemoNames {
    private var usedEnterprises = Set<String>()
    private var usedShops = Set<String>()
    private var serial = 0
    /// The town's short name, at the head of shop names (瓜沥王记面馆).
    var place = "瓜沥"
    /// First parts of street names (航坞路).
    var streetNames = DemoNames.streetNames
    /// `nil`: organisation serials are `MA` + 4 random characters + 2 digits (the 瓜沥 campaign).
    /// A number `t` (the town's position in the district's list, 0…26): serials are `MA` + 5
    /// characters + 1 letter encoding `t × 2,000,000 + n` for the town's `n`-th serial, so that
    /// they are unique across the towns of a district and never equal a 瓜沥 one (whose last
    /// character is a digit).
    var serialSpace: Int?

    static let surnames = Array("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
    static let given = ["建国", "国强", "伟", "芳", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀兰",
                        "霞", "平", "刚", "桂英", "建华", "文", "华", "金凤", "玉兰", "志强", "海燕", "小红", "红梅", "建平", "卫东", "晓东",
                        "福勤", "成康", "婷", "佳怡", "子涵", "浩然", "宇航", "雨桐", "国庆", "建军", "丽娟", "春燕", "永明", "根生", "阿土"]
    static let brands = ["恒增", "卓逸", "荣新", "宏达", "金鑫", "永盛", "华峰", "天成", "兴旺", "汇丰", "鼎盛", "万利", "东恒", "瑞丰", "新航",
                         "航民", "富达", "祥和", "顺发", "联创", "佳宝", "裕隆", "中意", "金达", "国泰", "振华", "盛泰", "嘉瑞", "明辉", "远大",
                         "钱塘", "越丰", "沙地", "江南", "东海", "长青", "宝丰", "立新", "德胜", "三联"]
    static let trades = ["纺织", "化纤", "印染", "经编", "服饰", "机械", "五金", "汽配", "电子", "塑料", "包装", "建材", "家纺", "线带",
                         "羽绒", "钢构", "轴承", "阀门", "化工", "装饰材料", "木业", "印刷", "食品", "物流"]
    static let shopTrades = ["面馆", "小吃店", "五金店", "超市", "便利店", "理发店", "副食品店", "电动车行", "饭店", "早餐店", "水果店",
                             "服装店", "烟酒店", "药店", "手机店", "快递站", "棋牌室", "建材店", "汽修店", "洗衣店", "烧烤店", "花店"]
    static let streets = ["路", "街", "大道", "弄", "巷"]
    /// Street names found in any town of 萧山 (a synthesised town adds its own short name).
    static let commonStreetNames = ["人民", "建设", "工业", "兴园", "富民", "友谊", "运河", "沿塘", "金城", "市心", "通惠",
                                    "育才", "文化", "振兴", "创业", "江滨", "湘湖", "新华"]
    /// Letters of the GB 32100 charset (the last character of a synthesised town's serial).
    static let creditLetters = Array("ABCDEFGHJKLMNPQRTUWXY")
    static let streetNames = ["航坞", "瓜沥", "友谊", "东灵", "明朗", "航民", "沿塘", "八里桥", "运河", "建设", "工业", "兴园", "人民", "长联", "富民"]
    static let mobilePrefixes = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155", "157",
                                 "158", "159", "166", "173", "177", "180", "181", "182", "183", "186", "187", "188", "189", "191", "199"]
    static let creditCharset = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")

    func person(_ rng: inout SeededGenerator) -> String {
        "\(rng.pick(Self.surnames))\(rng.pick(Self.given))"
    }

    /// An 11-digit mobile number (a prefix of ``mobilePrefixes`` and 8 digits), the value
    /// `PhoneNumber(digits)` gives, made without parsing it.
    func mobile(_ rng: inout SeededGenerator) -> PhoneNumber {
        let prefix = rng.pick(Self.mobilePrefixes)
        let number = String(rng.int(0...99_999_999))
        return .mobile(prefix + String(repeating: "0", count: 8 - number.count) + number)
    }

    mutating func enterprise(_ rng: inout SeededGenerator) -> String {
        if serialSpace != nil {
            // A synthesised town: 杭州宏达纺织有限公司, 杭州衙前宏达纺织有限公司, 杭州衙前宏达纺织二厂, …
            let brand = rng.pick(Self.brands), trade = rng.pick(Self.trades)
            for name in ["杭州\(brand)\(trade)有限公司", "杭州\(place)\(brand)\(trade)有限公司"]
            where usedEnterprises.insert(name).inserted { return name }
            var n = 2
            while !usedEnterprises.insert("杭州\(place)\(brand)\(trade)\(Self.numeral(n))厂").inserted { n += 1 }
            return "杭州\(place)\(brand)\(trade)\(Self.numeral(n))厂"
        }
        let base = "杭州\(rng.pick(Self.brands))\(rng.pick(Self.trades))"
        var name = "\(base)有限公司"
        var n = 1
        while !usedEnterprises.insert(name).inserted {
            n += 1
            name = "\(base)\(["", "二", "三", "四", "五", "六", "七", "八", "九"][min(n, 8)])\(n > 8 ? String(n) : "")厂"
        }
        return name
    }

    mutating func shop(_ rng: inout SeededGenerator) -> String {
        let base = "\(place)\(rng.pick(Self.surnames))记\(rng.pick(Self.shopTrades))"
        var name = base
        var n = 1
        while !usedShops.insert(name).inserted {
            n += 1
            name = "\(base)（\(n)号店）"
        }
        return name
    }

    func street(_ rng: inout SeededGenerator) -> String {
        "\(rng.pick(streetNames))\(rng.pick(Self.streets))"
    }

    /// Eight characters of the GB 32100 charset, unique across the demo.
    mutating func organizationSerial(_ rng: inout SeededGenerator) -> String {
        serial += 1
        if let space = serialSpace {
            precondition(serial < 2_000_000, "more than 2,000,000 organisation serials in one town")
            var v = space * 2_000_000 + serial
            let last = Self.creditLetters[v % Self.creditLetters.count]
            v /= Self.creditLetters.count
            var body = [Character](repeating: "0", count: 5)
            for i in stride(from: 4, through: 0, by: -1) {
                body[i] = Self.creditCharset[v % Self.creditCharset.count]
                v /= Self.creditCharset.count
            }
            return "MA" + String(body) + String(last)
        }
        var chars = [Character]()
        for _ in 0..<4 { chars.append(rng.pick(Self.creditCharset)) }
        return "MA" + String(chars) + String(format: "%02d", serial % 100)
    }

    func team(_ rng: inout SeededGenerator) -> [TeamMember] {
        var departments = Department.allCases.filter { $0 != .fireRescue }
        rng.shuffle(&departments)
        let size = rng.int(1...3)
        return [TeamMember(name: person(&rng), department: .fireRescue)]
            + departments.prefix(size).map { TeamMember(name: person(&rng), department: $0) }
    }

    /// A Chinese numeral for 1…9,999 as written in names (二, 十二, 二十, 一百零五).
    static func numeral(_ n: Int) -> String {
        precondition(n >= 1 && n < 10_000, "numeral out of range: \(n)")
        let digits = Array("零一二三四五六七八九")
        let units = ["", "十", "百", "千"]
        var parts: [String] = []
        let s = Array(String(n)).map { Int(String($0))! }
        var pendingZero = false
        for (i, d) in s.enumerated() {
            let unit = units[s.count - 1 - i]
            if d == 0 {
                pendingZero = !parts.isEmpty
                continue
            }
            if pendingZero { parts.append("零"); pendingZero = false }
            // 十二, not 一十二, at the head of a number.
            parts.append(d == 1 && unit == "十" && i == 0 ? unit : "\(digits[d])\(unit)")
        }
        return parts.joined()
    }
}

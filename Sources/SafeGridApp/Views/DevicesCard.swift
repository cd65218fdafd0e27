import Foundation
import Plot
import SafeGridCore

/// The dashboard's cards for smart fire devices (智建) and the campaign's results (警情同比).
enum DevicesCard {
    /// 智慧消防: installed of planned, online, offline, alarming; per kind; the open alarms with
    /// their age (minutes) and the median response times of the last 30 days.
    static func card(_ s: DevicesController.SummaryDTO) -> Node<HTML.BodyContext> {
        .div(.class("card"), .id("devices"),
             .h3(.text("智慧消防"), .span(.class("en"), .text("Smart fire devices"))),
             .div(.class("stats"),
                  s.planned > 0 ? Layout.stat("已装/计划", "\(s.installed)/\(s.planned)", "installed of planned")
                                : Layout.stat("已装", String(s.installed), "installed"),
                  Layout.stat("在线", String(s.online), "online"),
                  Layout.stat("离线", String(s.offline), "offline"),
                  Layout.stat("告警中", String(s.openAlarmCount), "open alarms"),
                  Layout.stat("接警中位(分钟)", s.medianAcknowledgeSeconds.map { String(max(1, Int((Double($0) / 60).rounded()))) } ?? "—", "to acknowledge, median"),
                  Layout.stat("到场中位(分钟)", s.medianOnSiteSeconds.map { String(max(1, Int((Double($0) / 60).rounded()))) } ?? "—", "to arrive, median")),
             .div(.class("scroll-x"), .table(.class("compact"),
                    .thead(.tr(.th("类型 Kind"), .th("计划 Planned"), .th("已装 Installed"), .th("安装率 Rate"), .th("离线 Offline"),
                               .th("故障 Fault"), .th("需维保 Service"), .th("告警 Alarming"))),
                    .tbody(.forEach(s.kinds) { k in
                        .tr(.td(.text(k.name)), .td(.text(String(k.planned))), .td(.text(String(k.installed))),
                            .td(.text(k.installedRate.map { String(format: "%.2f%%", $0) } ?? "—")), .td(.text(String(k.offline))),
                            .td(.text(String(k.fault))), .td(.text(String(k.maintenance))), .td(.text(String(k.alarming))))
                    }))),
             .if(!s.openAlarms.isEmpty,
                 .ul(.class("alarms"), .forEach(s.openAlarms) { a in
                     .li(.text("\(a.kindName) · \(a.subjectName) · \(Self.age(a.ageSeconds)) · \(DeviceAlarmState(rawValue: a.state)?.zh ?? a.state)"),
                         .if(a.townAlerted, .span(.class("warn"), .text(" 已报镇 town alerted"))))
                 })))
    }

    /// An alarm's age: `25 分钟`, `3 小时 5 分`, `2 天 4 小时`.
    static func age(_ seconds: Int) -> String {
        let m = max(0, seconds / 60)
        if m < 60 { return "\(m) 分钟" }
        if m < 1_440 { return "\(m / 60) 小时 \(m % 60) 分" }
        return "\(m / 1_440) 天 \(m % 1_440 / 60) 小时"
    }

    /// 警情同比: the period's incidents per kind against the same days a year before (同比) and
    /// the period just before (环比), as the article reports its results.
    static func incidents(_ f: IncidentFigures) -> Node<HTML.BodyContext> {
        .div(.class("card"), .id("incidents"),
             .h3(.text("警情同比"), .span(.class("en"), .text("Incidents \(f.period.from) – \(f.period.to)"))),
             .div(.class("scroll-x"), .table(.class("compact"),
                    .thead(.tr(.th("类型 Kind"), .th("本期 This period"), .th("去年同期 Last year"), .th("同比 y/y"),
                               .th("上期 Previous"), .th("环比 p/p"))),
                    .tbody(.forEach(f.kinds) { k in
                        .tr(.td(.text(k.zh)), .td(.text(String(k.count))), .td(.text(String(k.yearOnYear.base))),
                            .td(.class(k.yearOnYear.direction == "down" ? "good" : k.yearOnYear.direction == "flat" ? "" : "bad"),
                                .text(k.yearOnYear.percentText)),
                            .td(.text(String(k.periodOnPeriod.base))), .td(.text(k.periodOnPeriod.percentText)))
                    }))))
    }
}

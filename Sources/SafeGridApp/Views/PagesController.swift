import Foundation
import Plot
import SafeGridCore
import Vapor

/// The HTML pages: town dashboard, area (village / grid / micro-grid), subject and hazard.
enum PagesController {
    static func stylesheet(_ req: Request) -> Response {
        let r = Response(status: .ok, body: .init(string: Layout.css + Layout.swatchCSS))
        r.headers.contentType = .css
        r.headers.cacheControl = .init(maxAge: 3600)
        return r
    }

    static func dashboard(_ req: Request) async throws -> Response {
        if req.homeAreaCode != BundledAreas.gualiTownCode { return req.redirect(to: "/areas/\(req.homeAreaCode)") }
        let f = try await DashboardController.figures(for: BundledAreas.gualiTownCode, req: req)
        let enforcement = try await EnforcementStore.figures(townCode: BundledAreas.gualiTownCode, sql: req.sql)
        let results = try await resultCards(BundledAreas.gualiTownCode, req)
        return Layout.page(title: "瓜沥镇除险保安 一屏归集", subtitle: "Guali town hazard campaign dashboard",
                           .div(.class("grid"), EnforcementCard.card(enforcement)),
                           results,
                           figuresNodes(f, childPath: "villages", childLabel: "村社排名", childEn: "Villages ranked"))
    }

    static func area(_ req: Request) async throws -> Response {
        let code = req.parameters.get("code") ?? ""
        let q = req.queries
        let expected: AreaLevel? = switch req.url.path.split(separator: "/").first {
        case "villages": .village
        case "grids": .grid
        default: nil
        }
        guard let area = try await q.area(code), expected == nil || area.level == expected else {
            throw DomainError(.notFound, field: "code", reason: "no \(expected?.en.lowercased() ?? "area") with code \(code)")
        }
        let f = try await DashboardController.figures(for: code, req: req)
        let lineage = try await q.lineage(code)
        let (subjects, total) = try await q.subjects(.init(areaCode: code), limit: 200, offset: 0)
        let childPath = area.level == .village ? "grids" : "areas"
        return Layout.page(
            title: "\(area.shortName) \(area.level.zh)", subtitle: "\(area.level.en) \(area.code)",
            crumbs(Array(lineage.dropLast()), req),
            figuresNodes(f, childPath: childPath, childLabel: "下级排名", childEn: "Children ranked"),
            try await resultCards(code, req),
            .h2(.text("检查对象"), .span(.class("en"), .text("Subjects (\(total))"))),
            subjectTable(subjects),
            .if(total > subjects.count, .p(.text("仅显示前 \(subjects.count) 个，完整列表见 /api/v1/subjects?areaCode=\(code)")))
        )
    }

    /// The smart fire devices of the area, for a village, town or the district its incidents
    /// year on year (the default period of ``IncidentsController``), and its residents' reports.
    static func resultCards(_ code: String, _ req: Request) async throws -> Node<HTML.BodyContext> {
        let devices = try await DevicesController.summary(area: code, queries: req.queries, now: req.services.now())
        var incidents: IncidentFigures?
        if let area = try await req.queries.area(code) {
            incidents = try await IncidentsController.figures(of: area, from: nil, to: nil, now: req.services.now(), sql: req.sql)
        }
        let reports = try await ReportsController.summary(area: code, queries: req.queries, now: req.services.now())
        return .div(.class("grid"), DevicesCard.card(devices), .if(incidents != nil, incidents.map(DevicesCard.incidents) ?? .empty),
                    ReportsCard.card(reports))
    }

    /// The area's ancestors: links inside the reader's jurisdiction, plain names above it.
    static func crumbs(_ lineage: [Area], _ req: Request) -> Node<HTML.BodyContext> {
        let q = req.queries
        return .div(.class("crumbs"), .forEach(lineage) { a in
            q.sees(area: a.code) ? .a(.href(areaHref(a)), .text(a.shortName)) : .span(.text(a.shortName + " ›"))
        })
    }

    static func areaHref(_ a: Area) -> String {
        switch a.level {
        case .district, .town: "/"
        case .village: "/villages/\(a.code)"
        case .grid: "/grids/\(a.code)"
        case .microGrid: "/areas/\(a.code)"
        }
    }

    static func subjectTable(_ rows: [SubjectRow]) -> Node<HTML.BodyContext> {
        .table(
            .tr(.th("名称 Name"), .th("类型 Kind"), .th("地址 Address"), .th("颜色 Colour")),
            .forEach(rows) { s in
                .tr(.td(.a(.href("/subjects/\(s.id.uuidString.lowercased())"), .text(s.name))),
                    .td(.text(s.subjectKind.zh + (s.rooms.map { " \($0)间" } ?? ""))),
                    .td(.text(s.address)), .td(Layout.swatch(s.subjectColour)))
            }
        )
    }

    static func figuresNodes(_ f: DashboardFigures, childPath: String, childLabel: String, childEn: String) -> Node<HTML.BodyContext> {
        let kinds = f.kinds.filter { $0.hazardsFound > 0 || $0.subjectsInspected > 0 }
        let maxRate = 100.0
        return .group(
            .p(.class("en"), .text("数据更新于 \(Layout.time(Timestamp.parseOrNil(f.generatedAt))) · Updated")),
            .div(.class("grid"),
                 .forEach(kinds) { k in
                     .div(.class("card"),
                          .h3(.text(k.zh), .span(.class("en"), .text(k.en))),
                          .div(.class("stats"),
                               Layout.stat(k.kind == SubjectKind.rentalHousing.rawValue ? "排查(间)" : "排查(家)",
                                           String(k.roomsInspected ?? k.subjectsInspected), "inspected"),
                               Layout.stat("隐患(处)", String(k.hazardsFound), "hazards"),
                               Layout.stat("已整改(处)", String(k.hazardsRectified), "rectified"),
                               .div(.class("stat rate"), .div(.class("v"), .text(k.rectificationRateText)),
                                    .div(.class("l"), .text("整改率"), .span(.class("en"), .text("rate"))))))
                 },
                 .div(.class("card"),
                      .h3(.text("逾期隐患"), .span(.class("en"), .text("Overdue hazards"))),
                      .div(.class("stats"),
                           Layout.stat("逾期(处)", String(f.overdueCount), "overdue"),
                           .forEach(Severity.allCases.reversed()) { s in
                               Layout.stat(s.zh, String(f.overdueBySeverity[s.rawValue] ?? 0), s.en)
                           })),
                 .div(.class("card key"),
                      .h3(.text("重点隐患企业"), .span(.class("en"), .text("Key hazard enterprises (worst 15% per village)"))),
                      .div(.class("stats"),
                           Layout.stat("名单(家)", String(f.keyHazardEnterprises), "listed"),
                           .a(.href("/key-hazards?areaCode=\(f.area.code)"), .text("查看名单 See the list"))))),
            .div(.class("grid"),
                 .div(.h2(.text("整改率"), .span(.class("en"), .text("Rectification rate by kind"))),
                      Layout.svg(SVG.bars(kinds.map { ($0.zh, $0.rectificationRate, $0.rectificationRateText, "#0b5cad") },
                                          max: maxRate, title: "整改率 Rectification rate"))),
                 .div(.h2(.text("分色管理"), .span(.class("en"), .text("Subjects by colour"))),
                      Layout.svg(SVG.stacked(f.colours.map { ($0.colour.zh, $0.subjects, $0.colour.hex) },
                                             title: "分色 Colours")))),
            .h2(.text("近30天趋势"), .span(.class("en"), .text("Last 30 days: hazards found and rectified per day"))),
            Layout.svg(SVG.trend(days: f.trend.map(\.date),
                                 series: [("发现 found", f.trend.map(\.found), "#c62828"),
                                          ("整改 rectified", f.trend.map(\.rectified), "#2e7d32")],
                                 width: 1100, height: 220, title: "30-day trend")),
            .if(!f.ranking.isEmpty, .group(
                .h2(.text(childLabel), .span(.class("en"), .text(childEn))),
                .table(
                    .tr(.th(.class("n"), .text("名次")), .th("名称 Name"), .th(.class("n"), .text("隐患 Found")),
                        .th(.class("n"), .text("已整改 Rectified")), .th(.class("n"), .text("未整改 Open")),
                        .th(.class("n"), .text("逾期 Overdue")), .th(.class("n"), .text("整改率 Rate"))),
                    .forEach(f.ranking) { r in
                        .tr(.td(.class("n"), .text(String(r.rank))),
                            .td(.a(.href("/\(childPath)/\(r.code)"), .text(r.name))),
                            .td(.class("n"), .text(String(r.hazardsFound))), .td(.class("n"), .text(String(r.hazardsRectified))),
                            .td(.class("n"), .text(String(r.hazardsOpen))), .td(.class("n"), .text(String(r.hazardsOverdue))),
                            .td(.class("n"), .text(r.rectificationRateText)))
                    }))),
            .if(!f.overdueOldest.isEmpty, .group(
                .h2(.text("逾期最久的隐患"), .span(.class("en"), .text("Longest overdue"))),
                .table(
                    .tr(.th("对象 Subject"), .th("检查项 Item"), .th("严重程度 Severity"), .th("期限 Due"), .th(.class("n"), .text("逾期天数 Days"))),
                    .forEach(f.overdueOldest) { h in
                        .tr(.td(.a(.href("/subjects/\(h.subjectId.uuidString.lowercased())"), .text(h.subjectName))),
                            .td(.a(.href("/hazards/\(h.id.uuidString.lowercased())"), .text(h.itemCode))),
                            .td(.text(Severity(rawValue: h.severity)?.zh ?? h.severity)),
                            .td(.text(h.dueOn)), .td(.class("n overdue"), .text(String(h.daysOverdue))))
                    })))
        )
    }

    static func subject(_ req: Request) async throws -> Response {
        let id = try Input.uuid(req.parameters.get("id"), "id", kind: .notFound)
        let q = req.queries
        guard let s = try await q.subject(id) else { throw DomainError(.notFound, field: "id", reason: "no subject \(id)") }
        let hazards = try await req.hazardDTOs(try await q.hazards(subject: id),
                                               events: Dictionary(grouping: try await q.events(subject: id), by: \.hazardId))
        let history = try await q.colourHistory(subject: id)
        var inspections: [(InspectionRow, [TeamMember], String?)] = []
        for row in try await q.inspections(subject: id) {
            inspections.append((row, try await q.team(inspection: row.id),
                                try await SignatureStore(sql: req.sql).signature(inspection: row.id)?.noticeNumber))
        }
        let lineage = try await q.lineage(s.microGridCode)
        let parent = try await s.parentId.asyncMap { try await q.subject($0) } ?? nil
        let (tenants, tenantCount) = try await q.subjects(.init(parentID: id), limit: 100, offset: 0)
        let dto = SubjectDTO(s, revealPhone: req.revealsPhoneNumbers)
        let listed = try await KeyHazardStore(sql: req.sql).isListed(id)
        let reports = try await ResidentReportStore(sql: req.sql).reports(subject: id, limit: 50)
        let checklist = try await req.checklists.current(sql: req.sql)
        return Layout.page(
            title: s.name, subtitle: "\(s.subjectKind.en)",
            .if(listed, .p(.a(.href("/key-hazards?areaCode=\(s.villageCode)"), .class("overdue"),
                              .text("重点隐患企业 · Key hazard enterprise (inspected every 7 days)")))),
            crumbs(lineage, req),
            .dl(.class("kv"),
                .dt("颜色 Colour"), .dd(Layout.swatch(s.subjectColour)),
                .dt("类型 Kind"), .dd(.text(s.subjectKind.zh + (s.aboveScale ? "（规上企业）" : "") + (s.rooms.map { "，\($0)间" } ?? ""))),
                .dt("地址 Address"), .dd(.text(s.address)),
                .dt("统一社会信用代码"), .dd(.text(s.creditCode ?? "—")),
                .dt("当事人 Party"), .dd(.text("\(dto.party.name) \(dto.party.phone)\(dto.party.smsCapable ? "" : "（座机，不发短信）")")),
                .dt("位置 Location"), .dd(.text(dto.locationGCJ02.map { String(format: "%.6f, %.6f (GCJ-02)", $0.latitude, $0.longitude) } ?? "—")),
                .if(parent != nil, .group(.dt("所在 Inside"), .dd(.a(.href("/subjects/\(parent?.id.uuidString.lowercased() ?? "")"), .text(parent?.name ?? ""))))),
                .if(s.closedDownAt != nil, .group(.dt("关停 Closed"), .dd(.text(Layout.time(s.closedDownAt)))))),
            .if(tenantCount > 0, .group(.h2(.text("园区/厂内企业"), .span(.class("en"), .text("Tenants (\(tenantCount))"))), subjectTable(tenants))),
            .if(!reports.isEmpty, .group(
                .h2(.text("居民上报"), .span(.class("en"), .text("Residents' reports (\(reports.count))"))),
                .table(.tr(.th("收到 Received"), .th("隐患 Item"), .th("描述 Description"), .th("状态 State")),
                       .forEach(reports) { r in
                           .tr(.td(.text(Layout.time(r.receivedAt))), .td(.text(checklist.item(r.serviceCode).map { SMSTemplate.shortForm($0.zh) } ?? r.serviceCode)),
                               .td(.text(r.description ?? "—")),
                               .td(.text(r.reportState.zh + (r.dismissReason.flatMap(ReportDismissalReason.init(rawValue:)).map { "：\($0.zh)" } ?? ""))))
                       }))),
            .h2(.text("检查记录"), .span(.class("en"), .text("Inspections (\(inspections.count))"))),
            .table(.tr(.th("时间 Time"), .th("检查人 Inspector"), .th("联合检查组 Team"), .th(.class("n"), .text("检查表版本 Checklist")),
                       .th(.class("n"), .text("隐患 Hazards")), .th("签字 Signature")),
                   .forEach(inspections) { (i, team, notice) in
                       .tr(.td(.text(Layout.time(i.inspectedAt))), .td(.text(i.inspector)),
                           .td(.text(team.map { "\($0.name)（\($0.department.zh)）" }.joined(separator: "、"))),
                           .td(.class("n"), .text("v\(i.checklistVersion)")), .td(.class("n"), .text(String(i.hazardCount))),
                           .td(notice.map { n in .a(.href("/inspections/\(i.id.uuidString.lowercased())/notice"), .text("整改通知书 \(n)")) }
                               ?? .a(.href("/inspections/\(i.id.uuidString.lowercased())/sign"), .text("待签字 Sign"))))
                   }),
            .h2(.text("隐患"), .span(.class("en"), .text("Hazards (\(hazards.count))"))),
            hazardTable(hazards),
            .h2(.text("隐患时间线"), .span(.class("en"), .text("Timelines"))),
            .forEach(hazards) { h in
                .div(.class("card"), .h3(.a(.href("/hazards/\(h.id.uuidString.lowercased())"), .text("\(h.itemCode) \(h.item?.zh ?? "")"))),
                     timeline(h.events ?? []))
            },
            .h2(.text("颜色历史"), .span(.class("en"), .text("Colour history"))),
            .table(.tr(.th("时间 Time"), .th("颜色 Colour"), .th("原因 Cause")),
                   .forEach(history.reversed()) { c in
                       .tr(.td(.text(Layout.time(c.changedAt))), .td(Layout.swatch(SubjectColour(key: c.colour))), .td(.text(c.cause)))
                   })
        )
    }

    static func hazardTable(_ hazards: [HazardDTO]) -> Node<HTML.BodyContext> {
        .table(
            .tr(.th("检查项 Item"), .th("部门 Department"), .th("严重程度 Severity"), .th("状态 State"), .th("发现 Found"), .th("期限 Due")),
            .forEach(hazards) { h in
                .tr(.td(.a(.href("/hazards/\(h.id.uuidString.lowercased())"), .text("\(h.itemCode) \(h.item?.zh ?? "")"))),
                    .td(.text(Department(rawValue: h.department)?.zh ?? h.department)),
                    .td(.text(Severity(rawValue: h.severity)?.zh ?? h.severity)),
                    .td(.class("state-\(h.state)"), .text(h.stateLabel.zh)),
                    .td(.text(String(h.foundAt.prefix(10)))),
                    .td(.class(h.overdue ? "overdue" : ""), .text(h.dueOn + (h.overdue ? " 逾期" : ""))))
            })
    }

    static func timeline(_ events: [HazardEventDTO]) -> Node<HTML.BodyContext> {
        .ol(.class("timeline"), .forEach(events) { e in
            .li(.strong(.text(e.label)), .text(" · \(Layout.time(Timestamp.parseOrNil(e.occurredAt))) · \(e.actor)"),
                .if(e.reason != nil, .text(" · \(e.reason ?? "")")),
                .if(e.dueAt != nil, .text(" · 期限 \(String((e.dueAt ?? "").prefix(10)))")),
                .if(e.deviceId != nil, .text(" · 设备 \(e.deviceId ?? "") #\(e.deviceSeq.map(String.init) ?? "")")),
                .if(e.late, .span(.class("overdue"), .text(" · 迟到同步 late"))),
                .span(.class("en"), .text("\(e.fromState ?? "—") → \(e.toState) · 记录于 \(Layout.time(Timestamp.parseOrNil(e.recordedAt)))")))
        })
    }

    static func hazard(_ req: Request) async throws -> Response {
        let h = try await HazardsController.show(req)
        let subject = try await req.queries.subject(h.subjectId)
        let evidence = try await EvidenceStore(sql: req.sql).photos(hazard: h.id)
        let fieldPhotos = try await PhotoStore(sql: req.sql).photos(hazard: h.id)
        return Layout.page(
            title: "\(h.itemCode) \(h.item?.zh ?? "")", subtitle: h.item?.en ?? "Hazard",
            .dl(.class("kv"),
                .dt("对象 Subject"), .dd(.a(.href("/subjects/\(h.subjectId.uuidString.lowercased())"), .text(subject?.name ?? ""))),
                .dt("状态 State"), .dd(.class("state-\(h.state)"), .text("\(h.stateLabel.zh) \(h.stateLabel.en)")),
                .dt("严重程度 Severity"), .dd(.text(Severity(rawValue: h.severity)?.zh ?? h.severity)),
                .dt("部门 Department"), .dd(.text(Department(rawValue: h.department)?.zh ?? h.department)),
                .dt("整改方式 Mode"), .dd(.text(RectificationMode(rawValue: h.mode)?.zh ?? h.mode)),
                .dt("发现 Found"), .dd(.text(Layout.time(Timestamp.parseOrNil(h.foundAt)))),
                .dt("整改期限 Due"), .dd(.class(h.overdue ? "overdue" : ""), .text(Layout.time(Timestamp.parseOrNil(h.dueAt)) + (h.overdue ? " 已逾期 overdue" : ""))),
                .dt("依据 Legal basis"), .dd(.text(h.legalBasis ?? "—")),
                .dt("版本 Version"), .dd(.text(String(h.version)))),
            .h2(.text("时间线"), .span(.class("en"), .text("Timeline: who, when, what, why, from which device"))),
            timeline(h.events ?? []),
            .if(!fieldPhotos.isEmpty, .group(
                .h2(.text("现场照片"), .span(.class("en"), .text("Field photos (\(fieldPhotos.count))"))),
                .forEach(fieldPhotos) { p in
                    .div(.class("photo"), EvidencePage.photo(src: "/photos/\(p.sha256)", type: p.contentType, note: "现场照片"),
                         .p(.text(Self.photoCaption(source: p.source, usedAt: p.usedAt, takenAt: p.takenAt,
                                                    latitude: p.latitude, longitude: p.longitude))))
                })),
            .if(!evidence.isEmpty, .group(
                .h2(.text("整改照片"), .span(.class("en"), .text("Evidence (\(evidence.count))"))),
                .forEach(evidence) { e in
                    .div(EvidencePage.photo(src: "/evidence/\(e.id.uuidString.lowercased())", type: e.type, note: e.note),
                         .p(.text("\(Layout.time(e.at)) \(e.note ?? "")")))
                }))
        )
    }
}

extension PagesController {
    /// `检查 Inspection · 拍摄 2026-12-05 09:30 · 30.175000, 120.460000 (WGS-84)`.
    static func photoCaption(source: String, usedAt: Date, takenAt: Date?, latitude: Double?, longitude: Double?) -> String {
        var parts = [source == "reinspection" ? "复查 Re-inspection \(Layout.time(usedAt))" : "检查 Inspection \(Layout.time(usedAt))"]
        if let takenAt { parts.append("拍摄 taken \(Layout.time(takenAt))") }
        if let latitude, let longitude { parts.append(String(format: "%.6f, %.6f (WGS-84)", latitude, longitude)) }
        return parts.joined(separator: " · ")
    }
}

extension Timestamp {
    static func parseOrNil(_ s: String) -> Date? { try? parse(s) }
}

extension Optional {
    func asyncMap<U>(_ f: (Wrapped) async throws -> U) async rethrows -> U? {
        guard let self else { return nil }
        return try await f(self)
    }
}

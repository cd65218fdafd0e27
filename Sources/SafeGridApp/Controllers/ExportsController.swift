import Foundation
import SQLKit
import SafeGridCore
import SafeGridLedger
import Vapor

/// `GET /api/v1/exports/{subjects,hazards,villages}.{xlsx,csv}`: the dashboard's views as ledgers.
///
/// - Same filters as the list endpoints (`areaCode`, `kind`, `colour`, `q` for subjects;
///   `areaCode`, `kind`, `state`, `severity`, `department`, `itemCode`, `overdue`, `foundFrom`,
///   `foundTo` for hazards; `areaCode` — a town or district, whose villages are listed — and
///   `kind` for villages).
/// - Every read goes through ``CampaignQueries`` (jurisdiction filters added there apply here).
/// - CSV is streamed in pages of ``pageSize`` rows (UTF-8 with BOM, CRLF, formula-injection
///   apostrophe: ``CSVTableWriter``); XLSX is built in memory (a ZIP needs its whole sheet) and
///   is refused above ``xlsxRowLimit`` rows (use CSV or a filter).
/// - Subject and hazard exports use the headers ``SubjectImporter`` and ``HazardImporter`` read,
///   so an exported file imports again as it is (round trip).
/// - Phone numbers are shown per ``Vapor/Request/revealsPhoneNumbers``.
enum ExportsController {
    static let pageSize = 2_000
    static let xlsxRowLimit = 200_000

    enum Format: String { case xlsx, csv }

    // MARK: Layouts

    static let subjectHeader: [LedgerField] = [.kind, .name, .creditCode, .address, .village, .grid, .microGrid, .party, .phone,
                                               .aboveScale, .rooms, .latitude, .longitude, .inspectedOn, .colour, .closedDownOn]
    static let hazardHeader: [LedgerField] = [.kind, .name, .creditCode, .address, .village, .itemCode, .item, .department,
                                              .severity, .inspectedOn, .dueOn, .state, .stateOn, .rectifiedOn, .note, .events]

    static func phone(_ stored: String, _ req: Request) -> String {
        guard let p = try? PhoneNumber(stored: stored) else { return stored }
        return req.revealsPhoneNumbers ? p.stored : p.masked
    }

    static func subjectValues(_ s: SubjectRow, villages: [String: Area], lastVisit: String?, req: Request) -> [LedgerValue] {
        let point = s.location?.converted(to: .gcj02)
        return [
            .text(s.subjectKind.zh), .text(s.name), s.creditCode.map(LedgerValue.text) ?? .empty, .text(s.address),
            .text(villages[s.villageCode]?.name ?? s.villageCode), .text(s.gridCode), .text(s.microGridCode),
            .text(s.partyName), .text(phone(s.partyPhone, req)),
            s.subjectKind == .enterprise ? .text(s.aboveScale ? "是" : "否") : .empty,
            s.rooms.map { .number(Double($0)) } ?? .empty,
            point.map { .number($0.latitude) } ?? .empty, point.map { .number($0.longitude) } ?? .empty,
            lastVisit.flatMap { try? CalendarDate($0) }.map { LedgerValue.date($0) } ?? .empty,
            s.subjectColour.map { .text($0.zh) } ?? .empty,
            s.closedDownAt.map { .date(CalendarDate(shanghai: $0)) } ?? .empty,
        ]
    }

    static func hazardValues(_ h: HazardRow, subject s: SubjectRow?, events: [HazardEventRow], villages: [String: Area],
                             items: [String: ChecklistItem]) -> [LedgerValue] {
        let state = h.hazardState
        // The day of the last verification: the stored rectified day, else (a rebound) the last verify event.
        let rectified = h.rectifiedAt ?? events.last { $0.kind == HazardEventKind.verifyRectified.rawValue }?.occurredAt
        // 状态日期: the day the hazard entered its state. An overdue mark changes no state (and no
        // deadline); dating the state by it would put a rebound after its own deadline, and the
        // import would then give the rebound a fresh default deadline (and lose the overdue mark).
        let stateOn = events.last { $0.kind != HazardEventKind.markedOverdue.rawValue }?.occurredAt ?? h.lastEventAt
        let timeline = events.map { e in
            "\(Layout.time(e.occurredAt)) \(HazardEventKind(rawValue: e.kind)?.zh ?? e.kind) \(e.actor)" + (e.reason.map { "：\($0)" } ?? "")
        }.joined(separator: "\n")
        let kind = SubjectKind(rawValue: h.subjectKind) ?? .enterprise
        return [
            .text(kind.zh), .text(s?.name ?? ""), s?.creditCode.map(LedgerValue.text) ?? .empty, .text(s?.address ?? ""),
            .text(villages[h.villageCode]?.name ?? h.villageCode), .text(h.itemCode), .text(items[h.itemCode]?.zh ?? ""),
            .text(items[h.itemCode]?.department.zh ?? h.department),
            .text((Severity(rawValue: h.severity) ?? .general).zh),
            (try? CalendarDate(h.foundOn)).map(LedgerValue.date) ?? .empty, .date(CalendarDate(shanghai: h.dueAt)), .text(state.zh),
            .date(CalendarDate(shanghai: stateOn)),
            (state == .rectified || state == .rebound || h.reboundCount > 0) ? (rectified.map { .date(CalendarDate(shanghai: $0)) } ?? .empty) : .empty,
            h.note.map(LedgerValue.text) ?? .empty, .text(timeline),
        ]
    }

    // MARK: Handlers

    static func subjects(_ req: Request, _ format: Format) async throws -> Response {
        var f = CampaignQueries.SubjectFilter()
        f.kind = try Input.optionalEnum(req.query[String.self, at: "kind"], "kind")
        f.areaCode = try await Input.areaCode(req)
        if let c = req.query[String.self, at: "colour"], !c.isEmpty {
            guard let colour = SubjectColour(key: c) else { throw DomainError.invalid("colour", "'\(c)' is not a colour key") }
            f.colour = colour
        }
        f.search = try Input.search(req)
        let filter = f
        let villages = try await villageNames(req)
        let name = try await fileName(req, "主体台账", "subjects", format)
        // Read through one handle taken now: a streamed page runs after the handler returned,
        // when the request may no longer reach the application's databases (shutdown).
        let queries = req.queries
        return try await export(req, format: format, name: name, sheet: "主体 Subjects", header: subjectHeader.map(\.zh)) { cursor in
            let rows = try await queries.subjectsPage(filter, after: cursor, limit: pageSize)
            let visits = try await queries.lastInspectionDays(rows.map(\.id))
            return (rows.map { subjectValues($0, villages: villages, lastVisit: visits[$0.id], req: req) }, rows.last?.id)
        }
    }

    static func hazards(_ req: Request, _ format: Format) async throws -> Response {
        let filter = try await HazardsController.filter(req)
        let villages = try await villageNames(req)
        let checklist = try await req.checklists.current(sql: req.sql)
        var items: [String: ChecklistItem] = [:]
        for v in try await req.queries.checklistVersions() {
            for i in try await req.checklists.checklist(v, sql: req.sql)?.items ?? [] { items[i.code] = i }
        }
        for i in checklist.items { items[i.code] = i }
        let allItems = items
        let name = try await fileName(req, "隐患台账", "hazards", format)
        let queries = req.queries
        return try await export(req, format: format, name: name, sheet: "隐患 Hazards", header: hazardHeader.map(\.zh)) { cursor in
            let rows = try await queries.hazardsPage(filter, after: cursor, limit: pageSize)
            let subjects = try await queries.subjects(rows.map(\.subjectId))
            let events = try await queries.events(hazards: rows.map(\.id))
            return (rows.map { hazardValues($0, subject: subjects[$0.subjectId], events: events[$0.id] ?? [], villages: villages, items: allItems) },
                    rows.last?.id)
        }
    }

    /// The per-village summary of the dashboard: subjects inspected, hazards found, rectified,
    /// rate per kind, open and overdue, in the dashboard's ranking order.
    static func villages(_ req: Request, _ format: Format) async throws -> Response {
        let code = try await Input.areaCode(req) ?? req.homeAreaCode
        let kind: SubjectKind? = try Input.optionalEnum(req.query[String.self, at: "kind"], "kind")
        let kinds = kind.map { [$0] } ?? SubjectKind.allCases
        guard let area = try await req.queries.area(code) else { throw DomainError(.notFound, field: "areaCode", reason: "no area \(code)") }
        let figures = try await DashboardController.compute(area: area, sql: req.sql, children: try await req.queries.children(of: code),
                                                            now: req.services.now())
        let children = try await req.queries.children(of: code)
        let counts = try await req.queries.counters(of: children.map(\.code))
        var header = ["排名", "编码", "名称", "检查主体 (合计)", "隐患 (合计)", "已整改 (合计)", "整改率% (合计)", "未整改", "逾期"]
        for k in kinds { header += ["\(k.zh) 检查主体", "\(k.zh) 隐患", "\(k.zh) 已整改", "\(k.zh) 整改率%"] }
        let byCode = Dictionary(uniqueKeysWithValues: children.map { ($0.code, $0) })
        let rows: [[LedgerValue]] = figures.ranking.map { r in
            let c = counts[r.code] ?? [:]
            func n(_ m: String) -> Int { c[m] ?? 0 }
            let inspected = kinds.map { n("inspected.\($0.rawValue)") }.reduce(0, +)
            var found = 0, rectified = 0
            var perKind: [LedgerValue] = []
            for k in kinds {
                let rate = RectificationRate(found: n("found.\(k.rawValue)"), rectified: n("rectified.\(k.rawValue)"))
                found += rate.found
                rectified += rate.rectified
                perKind += [.number(Double(n("inspected.\(k.rawValue)"))), .number(Double(rate.found)), .number(Double(rate.rectified)),
                            .number(rate.percent)]
            }
            let total = RectificationRate(found: found, rectified: rectified)
            let open = kind.map { n("open.\($0.rawValue)") } ?? r.hazardsOpen
            return [.number(Double(r.rank)), .text(r.code), .text(byCode[r.code]?.name ?? r.name), .number(Double(inspected)),
                    .number(Double(total.found)), .number(Double(total.rectified)), .number(total.percent),
                    .number(Double(open)), .number(Double(r.hazardsOverdue))] + perKind
        }
        let name = try await fileName(req, "村社汇总", "villages", format)
        return try await export(req, format: format, name: name, sheet: "村社 Villages", header: header) { cursor in
            cursor == nil ? (rows, nil) : ([], nil)
        }
    }

    // MARK: Writing

    /// Village names by code: the names of administrative divisions are public (a grid worker's
    /// rows name their own village, which lies above their jurisdiction); the rows are scoped.
    static func villageNames(_ req: Request) async throws -> [String: Area] {
        Dictionary(uniqueKeysWithValues: try await CampaignQueries(sql: req.sql, scope: .everything).areas(level: .village).map { ($0.code, $0) })
    }

    /// `瓜沥镇-主体台账-2026-11-30.xlsx` (and an ASCII fallback `subjects-330109113-2026-11-30.xlsx`).
    static func fileName(_ req: Request, _ zh: String, _ en: String, _ format: Format) async throws -> (utf8: String, ascii: String) {
        let code = req.query[String.self, at: "areaCode"].flatMap { $0.isEmpty ? nil : $0 }
        var areaName = "SafeGrid"
        if let code, let a = try await req.queries.area(code) { areaName = a.name }
        let day = CalendarDate(shanghai: req.services.now()).description
        return ("\(areaName)-\(zh)-\(day).\(format.rawValue)", "\(en)-\(code ?? "all")-\(day).\(format.rawValue)")
    }

    /// RFC 6266: `attachment; filename="ascii"; filename*=UTF-8''percent-encoded`.
    static func contentDisposition(_ name: (utf8: String, ascii: String)) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(127)))
        allowed.insert(charactersIn: "-._~")
        let encoded = name.utf8.addingPercentEncoding(withAllowedCharacters: allowed) ?? name.ascii
        return "attachment; filename=\"\(name.ascii)\"; filename*=UTF-8''\(encoded)"
    }

    /// Pages `next` until it returns no cursor: CSV streamed page by page, XLSX assembled.
    static func export(_ req: Request, format: Format, name: (utf8: String, ascii: String), sheet: String, header: [String],
                       next: @escaping @Sendable (UUID?) async throws -> ([[LedgerValue]], UUID?)) async throws -> Response {
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .contentDisposition, value: contentDisposition(name))
        headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        switch format {
        case .xlsx:
            var rows: [[LedgerValue]] = []
            var cursor: UUID? = nil
            repeat {
                let (page, last) = try await next(cursor)
                rows += page
                if rows.count > xlsxRowLimit {
                    throw DomainError(.invalid, field: "format", reason: "more than \(xlsxRowLimit) rows: export as CSV (streamed) or narrow with areaCode or kind")
                }
                cursor = page.count < pageSize ? nil : last
            } while cursor != nil
            let data = try XLSXWriter.write([LedgerSheet(name: sheet, header: header, rows: rows)])
            headers.replaceOrAdd(name: .contentType, value: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            return Response(status: .ok, headers: headers, body: .init(data: data))
        case .csv:
            headers.replaceOrAdd(name: .contentType, value: "text/csv; charset=utf-8")
            // The first page is read before answering, so a bad filter still gets its 4xx.
            let (first, firstCursor) = try await next(nil)
            let firstData = try CSVTableWriter.write(LedgerSheet(name: sheet, header: header, rows: first))
            let more = first.count >= pageSize ? firstCursor : nil
            let logger = req.logger
            return Response(status: .ok, headers: headers, body: .init(asyncStream: { writer in
                do {
                    try await writer.write(.buffer(ByteBuffer(data: firstData)))
                    var cursor = more
                    while let c = cursor {
                        let (page, last) = try await next(c)
                        if !page.isEmpty {
                            let data = try CSVTableWriter.write(LedgerSheet(name: sheet, header: header, rows: page))
                            try await writer.write(.buffer(ByteBuffer(data: withoutHeader(data))))
                        }
                        cursor = page.count < pageSize ? nil : last
                    }
                    try await writer.write(.end)
                } catch {
                    logger.error("export stopped: \(error)")
                    try await writer.write(.error(error))
                }
            }))
        }
    }

    /// The CSV's rows without its BOM and header line (the header holds no line breaks).
    static func withoutHeader(_ data: Data) -> Data {
        guard let i = data.firstIndex(of: 0x0A) else { return Data() }
        return data[(i + 1)...]
    }
}

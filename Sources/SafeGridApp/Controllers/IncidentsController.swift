import Foundation
import SQLKit
import SafeGridCore
import Vapor

/// The incident figures of an area for a period, as the campaign is judged by them (the
/// article: 行动期间，全镇有效警情较去年同期下降19.16%，火警较去年同期下降37%，交通事故较去年同期下降7.58%):
/// per kind the count, its 同比 (the same days a year earlier, ``ReportingPeriod/sameLastYear``)
/// and 环比 (the period of the same length just before, ``ReportingPeriod/previous``), each a
/// ``IncidentComparison/Change``; and the same per child area for the village ranking.
///
/// A town's counts are its own rows (counts it keeps for the town as a whole) plus its
/// villages'; the district's are every town's. Computed from the `incidents` rows on each call
/// (one indexed read, ``IncidentStore/sums(in:periods:)``).
package struct IncidentFigures: Content {
    /// A span of days, both ends included.
    package struct Period: Content {
        /// `YYYY-MM-DD`, Asia/Shanghai.
        package let from: String
        package let to: String
        package let days: Int

        init(_ p: ReportingPeriod) {
            from = p.first.description
            to = p.last.description
            days = p.dayCount
        }
    }

    /// A count against a base count (``IncidentComparison/Change``).
    package struct Comparison: Content {
        /// The base period's count.
        package let base: Int
        /// Current − base.
        package let difference: Int
        /// The change in percent, two decimals, half away from zero (−19.16); absent for a zero base.
        package let percent: Double?
        /// `"−19.16%"` (U+2212), `"+5.00%"`, `"0.00%"`; `"—"` for a zero base.
        package let percentText: String
        /// `up`, `down`, `flat` or `new` (a rise from a zero base).
        package let direction: String
        /// 上升, 下降, 持平 or 新增.
        package let directionZh: String

        init(_ c: IncidentComparison.Change) {
            base = c.base
            difference = c.difference
            percent = c.hundredths.map { Double($0) / 100 }
            percentText = c.formatted
            direction = c.direction.rawValue
            directionZh = c.direction.zh
        }
    }

    /// One kind's figures.
    package struct KindFigures: Content {
        /// ``IncidentKind`` raw value.
        package let kind: String
        package let zh: String
        package let en: String
        /// Incidents in the period.
        package let count: Int
        /// 同比: against the same days a year earlier.
        package let yearOnYear: Comparison
        /// 环比: against the period of the same length just before.
        package let periodOnPeriod: Comparison

        /// - Parameter sums: current, same period last year, previous period.
        init(_ kind: IncidentKind, sums: [Int]) throws(InvalidValue) {
            self.kind = kind.rawValue
            zh = kind.zh
            en = kind.en
            count = sums[0]
            yearOnYear = Comparison(try IncidentComparison.Change(current: sums[0], base: sums[1]))
            periodOnPeriod = Comparison(try IncidentComparison.Change(current: sums[0], base: sums[2]))
        }
    }

    /// A child area's figures: a village of a town, a town of the district.
    package struct ChildFigures: Content {
        package let code: String
        package let name: String
        /// Every kind, in ``IncidentKind`` order.
        package let kinds: [KindFigures]
    }

    let area: AreaDTO
    package let period: Period
    /// 同比's base period.
    package let sameLastYear: Period
    /// 环比's base period.
    package let previous: Period
    /// Every kind, in ``IncidentKind`` order (有效警情, 火警, 交通事故).
    package let kinds: [KindFigures]
    /// The child areas in code order (the villages of a town, the towns of the district); empty for a village.
    package let children: [ChildFigures]
    /// A town only: the counts recorded for the town as a whole (not attributed to a village),
    /// which its figures include.
    package let townOwn: [KindFigures]?

    /// The figures of `area` for `period`; `nil` for a grid or micro-grid, which have no
    /// incident counts (they are recorded per village and town).
    ///
    /// Unscoped: the caller checks that the reader sees `area` (its children then lie inside
    /// the reader's area too).
    /// - Throws: when the database cannot be read.
    package static func compute(area: Area, period: ReportingPeriod, sql: any SQLDatabase) async throws -> IncidentFigures? {
        guard area.level <= .village else { return nil }
        let periods = [period, period.sameLastYear, period.previous]
        let sums = try await IncidentStore(sql: sql).sums(in: area, periods: periods)
        let zero = Array(repeating: 0, count: periods.count)
        func figures(_ byKind: [IncidentKind: [Int]]) throws -> [KindFigures] {
            var out: [KindFigures] = []
            for kind in IncidentKind.allCases {
                do throws(InvalidValue) { out.append(try KindFigures(kind, sums: byKind[kind] ?? zero)) } catch {
                    // Counts are ≥ 0 by the table's CHECK: a negative sum is a damaged row.
                    throw Abort(.internalServerError, reason: "a stored incident count is negative: \(error.reason)")
                }
            }
            return out
        }
        var total: [IncidentKind: [Int]] = [:]
        for (_, byKind) in sums {
            for (kind, s) in byKind { total[kind] = zip(total[kind] ?? zero, s).map { $0 + $1 } }
        }
        var children: [ChildFigures] = []
        if area.level < .village {
            for child in try await CampaignQueries(sql: sql, scope: .everything).children(of: area.code) {
                children.append(ChildFigures(code: child.code, name: child.name, kinds: try figures(sums[child.code] ?? [:])))
            }
        }
        return IncidentFigures(area: AreaDTO(area), period: Period(period), sameLastYear: Period(period.sameLastYear),
                               previous: Period(period.previous), kinds: try figures(total), children: children,
                               townOwn: area.level == .town ? try figures(sums[nil] ?? [:]) : nil)
    }
}

/// `GET /api/v1/incidents`: ``IncidentFigures`` of an area for a period.
enum IncidentsController {
    /// Days of the default period: 72, the length of the demo campaign (its visits fall on the
    /// 72 days before its `--as-of` day, ``DemoIncidents``), so that the demo served on its own
    /// day shows the article's figures without a query.
    static let defaultDays = 72

    /// The default period: the ``defaultDays`` days ending on `last` — the last day with records
    /// of the area, and never after yesterday (Asia/Shanghai; today's counts are still coming
    /// in). Police and fire figures arrive with a lag, so a period ending on the last recorded
    /// day compares whole days with whole days; the demo's records end the day before its as-of.
    /// - Throws: 422 on `from` when no valid period ends there (a clock before 1901).
    static func defaultPeriod(last: CalendarDate) throws(DomainError) -> ReportingPeriod {
        do { return try ReportingPeriod(first: last.adding(days: -(defaultDays - 1)), last: last) } catch { throw .invalid("from", error) }
    }

    /// The period of `from` and `to` (`YYYY-MM-DD`, Asia/Shanghai; each optional).
    ///
    /// Neither: ``defaultPeriod(last:)`` ending on `lastRecorded` (not after yesterday). Only `from`: through yesterday. Only `to`: the
    /// ``defaultDays`` days ending on `to`.
    /// - Throws: 422 naming `from` or `to`: not a date; `to` before `from`; `from` before 1901 or
    ///   the period longer than ``ReportingPeriod/maximumDays`` (named `from`).
    static func period(from rawFrom: String?, to rawTo: String?, today: CalendarDate, lastRecorded: CalendarDate? = nil) throws(DomainError) -> ReportingPeriod {
        let from = try Input.calendarDate(rawFrom, "from")
        let to = try Input.calendarDate(rawTo, "to")
        let yesterday = today.adding(days: -1)
        // Today's counts are still coming in, and later days have none yet: a period reaching
        // past yesterday would report a fall that has not happened.
        if let to, to > yesterday { throw .invalid("to", "incidents are counted through yesterday (\(yesterday)); to \(to) is later") }
        if let from, from > yesterday { throw .invalid("from", "incidents are counted through yesterday (\(yesterday)); from \(from) is later") }
        let last = to ?? (from == nil ? min(yesterday, lastRecorded ?? yesterday) : yesterday)
        let first: CalendarDate
        if let from { first = from } else { first = try defaultPeriod(last: last).first }
        guard first <= last else { throw .invalid("to", "to \(last) is before from \(first)") }
        do { return try ReportingPeriod(first: first, last: last) } catch { throw .invalid("from", error) }
    }

    /// `GET /api/v1/incidents?areaCode=&from=&to=`: the figures of an area (default: the
    /// reader's home area) for a period (default: the ``defaultDays`` days ending on the last recorded day, ``defaultPeriod(last:)``).
    /// - Throws: 404 on `areaCode` for an area outside the reader's jurisdiction (as for an
    ///   unknown one); 422 on `areaCode` for a grid or micro-grid, on `from`/`to` as ``period(from:to:today:)``.
    static func figures(_ req: Request) async throws -> IncidentFigures {
        let code = req.query[String.self, at: "areaCode"].flatMap { $0.isEmpty ? nil : $0 } ?? req.homeAreaCode
        guard req.queries.sees(area: code), let area = try await req.queries.area(code) else {
            throw DomainError(.notFound, field: "areaCode", reason: "no area with code \(code)")
        }
        guard let figures = try await figures(of: area, from: req.query[String.self, at: "from"], to: req.query[String.self, at: "to"],
                                              now: req.services.now(), sql: req.sql) else {
            throw DomainError.invalid("areaCode", "incidents are counted per village and town, not per \(area.level.en.lowercased()) (\(area.code))")
        }
        return figures
    }

    /// The figures of `area` for `from`…`to` (``period(from:to:today:lastRecorded:)``; neither:
    /// the default period ending on the town's last recorded day); `nil` for a grid or micro-grid.
    /// The caller has checked the reader sees `area`. The API and the dashboard pages use it.
    static func figures(of area: Area, from: String?, to: String?, now: Date, sql: any SQLDatabase) async throws -> IncidentFigures? {
        guard area.level != .grid, area.level != .microGrid else { return nil }
        let today = CalendarDate(shanghai: now)
        let lastRecorded = try await IncidentStore(sql: sql).lastRecordedDay(in: area, notAfter: today.adding(days: -1))
        let period = try period(from: from, to: to, today: today, lastRecorded: lastRecorded)
        return try await IncidentFigures.compute(area: area, period: period, sql: sql)
    }
}

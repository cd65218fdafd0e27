import Foundation
import SQLKit
import SafeGridCore

/// Finds the micro-grid a resident's report belongs to. Micro-grids have no drawn boundary in
/// SafeGrid: they are the subjects their workers look after. So a position goes to the
/// micro-grid of the nearest registered subject within ``reach`` (and is matched to that
/// subject when it lies within ``ResidentReportRules/autoMatchMetres``); an address goes to the
/// village it names (or the village the resident chose), then to the micro-grid of a subject of
/// that village whose address it shares, else to the village's first micro-grid, whose worker
/// passes it on. A report nothing places stays with its town.
enum ReportRouting {
    /// How far the nearest subject may lie for a position to take its micro-grid (m).
    static let reach = 1_000.0

    /// Open subjects (not closed down) within `metres` of `point`, nearest first, with their
    /// distance in metres; at most `limit`. Positions are stored in the datum they came in
    /// (GCJ-02 from most maps and ledgers, WGS-84 from phones), so the box is drawn around the
    /// point in each datum and matched against the rows of that datum (the two lie up to ~700 m
    /// apart around 萧山); distances are measured after conversion.
    static func subjectsNear(_ point: GeoPoint, metres: Double, limit: Int, queries: CampaignQueries) async throws -> [(SubjectRow, Double)] {
        let p = point.converted(to: .wgs84)
        let g = point.converted(to: .gcj02)
        let (dLat, dLon) = ResidentReportStore.box(metres: metres, at: p.latitude)
        func inBox<B: SQLPredicateBuilder>(_ c: GeoPoint, _ w: B) -> B {
            w.where("latitude", .greaterThanOrEqual, SQLBind(c.latitude - dLat)).where("latitude", .lessThanOrEqual, SQLBind(c.latitude + dLat))
                .where("longitude", .greaterThanOrEqual, SQLBind(c.longitude - dLon)).where("longitude", .lessThanOrEqual, SQLBind(c.longitude + dLon))
        }
        let rows = try await queries.scoped(queries.sql.select().columns("*").from("subjects"))
            .where { w in
                w.where { inBox(g, $0.where("datum", .equal, SQLBind(Datum.gcj02.rawValue))) }
                    .orWhere { inBox(p, $0.where("datum", .notEqual, SQLBind(Datum.gcj02.rawValue))) }
            }
            .where("closed_down_at", .is, SQLLiteral.null).limit(5_000).rows(SubjectRow.self)
        return rows.compactMap { s in s.location.map { (s, $0.distanceMetres(to: p)) } }
            .filter { $0.1 <= metres }.sorted { $0.1 < $1.1 }.prefix(limit).map { $0 }
    }

    /// The route of a report in `townCode` (9 digits).
    /// - Parameters:
    ///   - position: WGS-84, already checked to lie in the district.
    ///   - villageCode: the village the resident chose (checked to be a village of the town).
    static func route(position: GeoPoint?, address: String?, villageCode: String?, townCode: String,
                      sql: any SQLDatabase) async throws -> ReportRoute {
        let queries = CampaignQueries(sql: sql, scope: .everything)
        if let position, let (nearest, metres) = try await subjectsNear(position, metres: reach, limit: 1, queries: queries).first {
            return ReportRoute(townCode: nearest.townCode, villageCode: nearest.villageCode, gridCode: nearest.gridCode,
                               microGridCode: nearest.microGridCode,
                               subjectId: metres <= ResidentReportRules.autoMatchMetres ? nearest.id : nil)
        }
        let villages = try await queries.children(of: townCode).filter { $0.level == .village }
        let village = villages.first { $0.code == villageCode }
            ?? address.flatMap { a in
                // The longest name first: 坎山村 before 坎山.
                villages.sorted { $0.name.count > $1.name.count }.first { a.contains($0.name) || (a.contains($0.shortName) && $0.shortName.count >= 2) }
            }
        guard let village else { return ReportRoute(townCode: townCode) }
        var subjects = queries.sql.select().columns("*").from("subjects").where("village_code", .equal, SQLBind(village.code))
            .where("closed_down_at", .is, SQLLiteral.null)
        if let street = address.map(ResidentReportRules.streetPart), !street.isEmpty {
            subjects = subjects.where("address", .like, SQLBind("%" + street + "%"))
        } else {
            subjects = subjects.where(CampaignQueries.noRow)
        }
        if let s = try await subjects.orderBy("micro_grid_code").limit(1).rows(SubjectRow.self).first {
            return ReportRoute(townCode: townCode, villageCode: village.code, gridCode: s.gridCode, microGridCode: s.microGridCode)
        }
        let grids = try await queries.sql.select().columns("code", "parent_code").from("areas")
            .where("code", .like, SQLBind(village.code + "%")).where("level", .equal, SQLBind(AreaLevel.microGrid.rawValue))
            .orderBy("code").limit(1).all()
        if let mg = grids.first, let code = try? mg.decode(column: "code", as: String.self),
           let parent = try? mg.decode(column: "parent_code", as: String?.self) {
            return ReportRoute(townCode: townCode, villageCode: village.code, gridCode: parent, microGridCode: code)
        }
        return ReportRoute(townCode: townCode, villageCode: village.code)
    }
}

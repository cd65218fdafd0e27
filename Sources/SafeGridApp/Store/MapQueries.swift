import Foundation
import SQLKit
import SafeGridCore

/// Reads of the wall screen's map: where subjects are, by child area or one by one.
extension CampaignQueries {
    /// Where the subjects of each child area of `area` lie on average (GCJ-02) and how many have
    /// a position, by child code. Positions stored as WGS-84 are converted first.
    func centroids(childrenOf area: String, childLevel column: String) async throws -> [String: (latitude: Double, longitude: Double, subjects: Int)] {
        var q = sql.select().column(SQLIdentifier(column), as: "code").column("datum")
            .column(SQLFunction("AVG", args: SQLIdentifier("latitude")), as: "lat")
            .column(SQLFunction("AVG", args: SQLIdentifier("longitude")), as: "lon")
            .column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
            .from("subjects").where("latitude", .isNot, SQLLiteral.null).where("closed_down_at", .is, SQLLiteral.null)
        if let parent = Self.areaColumn(for: area) { q = q.where(SQLIdentifier(parent), .equal, SQLBind(area)) }
        var sums: [String: (lat: Double, lon: Double, n: Int)] = [:]
        for row in try await q.groupBy(SQLIdentifier(column)).groupBy("datum").all() {
            let n = try row.decode(column: "n", as: Int.self)
            guard n > 0, let lat = try row.decode(column: "lat", as: Double?.self), let lon = try row.decode(column: "lon", as: Double?.self) else { continue }
            let datum = Datum(rawValue: try row.decode(column: "datum", as: String?.self) ?? "") ?? .gcj02
            guard let p = try? GeoPoint(latitude: lat, longitude: lon, datum: datum).converted(to: .gcj02) else { continue }
            let code = try row.decode(column: "code", as: String.self)
            let s = sums[code] ?? (0, 0, 0)
            sums[code] = (s.lat + p.latitude * Double(n), s.lon + p.longitude * Double(n), s.n + n)
        }
        return sums.mapValues { ($0.lat / Double($0.n), $0.lon / Double($0.n), $0.n) }
    }

    /// A subject on the map.
    struct MapSubject: Sendable {
        let id: UUID
        let name: String
        let kind: String
        let colour: String?
        /// GCJ-02.
        let position: GeoPoint
    }

    /// Subjects of `area` with a position (not closed down), inside `box` (GCJ-02 south, west,
    /// north, east) when given: at most `limit`, and whether more were left out.
    func mapSubjects(area: String, box: (south: Double, west: Double, north: Double, east: Double)?, limit: Int) async throws -> (subjects: [MapSubject], truncated: Bool) {
        var q = scoped(sql.select().columns("id", "name", "kind", "colour", "latitude", "longitude", "datum").from("subjects")
            .where("latitude", .isNot, SQLLiteral.null).where("closed_down_at", .is, SQLLiteral.null))
        if let column = Self.areaColumn(for: area) { q = q.where(SQLIdentifier(column), .equal, SQLBind(area)) }
        if let box {
            // GCJ-02 and WGS-84 differ by well under 0.01° here: a margin, then the exact test.
            q = q.where("latitude", .greaterThanOrEqual, SQLBind(box.south - 0.01)).where("latitude", .lessThanOrEqual, SQLBind(box.north + 0.01))
                .where("longitude", .greaterThanOrEqual, SQLBind(box.west - 0.01)).where("longitude", .lessThanOrEqual, SQLBind(box.east + 0.01))
        }
        var out: [MapSubject] = []
        var truncated = false
        for row in try await q.orderBy("id").limit(limit * 2 + 1).all() {
            let datum = Datum(rawValue: try row.decode(column: "datum", as: String?.self) ?? "") ?? .gcj02
            guard let lat = try row.decode(column: "latitude", as: Double?.self), let lon = try row.decode(column: "longitude", as: Double?.self),
                  let p = try? GeoPoint(latitude: lat, longitude: lon, datum: datum).converted(to: .gcj02) else { continue }
            if let box, !(box.south...box.north).contains(p.latitude) || !(box.west...box.east).contains(p.longitude) { continue }
            if out.count == limit { truncated = true; break }
            out.append(MapSubject(id: try row.decode(column: "id", as: UUID.self), name: try row.decode(column: "name", as: String.self),
                                  kind: try row.decode(column: "kind", as: String.self), colour: try row.decode(column: "colour", as: String?.self),
                                  position: p))
        }
        return (out, truncated)
    }

    /// Which of `subjects` have an overdue open hazard, asked for those subjects only (through
    /// the hazards' subject index, 500 at a time), not for the whole area: the district has
    /// hundreds of thousands of overdue hazards. The state and overdue tests are made here, not
    /// in SQL, so that no planner takes the state or overdue index (which would read every open
    /// hazard of the district) instead of the subject index.
    func subjectsWithOverdueHazards(among subjects: [UUID]) async throws -> Set<UUID> {
        var out = Set<UUID>()
        var start = 0
        while start < subjects.count {
            let chunk = Array(subjects[start..<min(start + 500, subjects.count)])
            start += chunk.count
            let rows = try await sql.select().columns("subject_id", "state", "overdue_at").from("hazards")
                .where("subject_id", .in, SQLBind.group(chunk)).all()
            for row in rows {
                guard try row.decode(column: "overdue_at", as: Date?.self) != nil,
                      HazardState(rawValue: try row.decode(column: "state", as: String.self))?.isOpen == true else { continue }
                out.insert(try row.decode(column: "subject_id", as: UUID.self))
            }
        }
        return out
    }
}

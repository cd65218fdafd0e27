import Foundation
import SQLKit
import SafeGridCore
import Vapor

enum Audit {
    struct Outcome: Sendable {
        var intact = true
        var lines: [String] = []
        /// The first broken event's `seq` per town.
        var broken: [String: Int64] = [:]
    }

    static func verify(sql: any SQLDatabase, town: String? = nil) async throws -> Outcome {
        var towns: [String] = []
        if let town { towns = [town] } else {
            towns = try await sql.select().distinct().column("town_code").from("hazard_events").all()
                .map { try $0.decode(column: "town_code", as: String.self) }.sorted()
        }
        var result = Outcome()
        for town in towns {
            var previous = EventChain.genesis
            var after: Int64 = 0
            var count = 0
            var brokenAt: HazardEventRow? = nil
            pages: while true {
                let rows = try await sql.select().columns("*").from("hazard_events").where("town_code", .equal, SQLBind(town))
                    .where("seq", .greaterThan, SQLBind(after)).orderBy("seq").limit(10_000)
                    .rows(HazardEventRow.self)
                if rows.isEmpty { break }
                for row in rows {
                    if row.prevHash != previous || EventChain.hash(previous: previous, row.link) != row.hash {
                        brokenAt = row
                        break pages
                    }
                    previous = row.hash
                    count += 1
                }
                after = rows.last?.seq ?? after
            }
            // Deleting a hazard's newest events leaves the chain whole; a hazard's version counts
            // its events, so compare the two.
            let mismatched = try await sql.select().column("id").from("hazards").where("town_code", .equal, SQLBind(town))
                .where(SQLIdentifier("version"), .notEqual,
                       SQLGroupExpression(SQLRaw("SELECT COUNT(*) FROM hazard_events e WHERE e.hazard_id = hazards.id")))
                .limit(5).all().map { try $0.decode(column: "id", as: UUID.self).uuidString.lowercased() }
            if !mismatched.isEmpty {
                result.intact = false
                result.lines.append("town \(town): event count differs from the version of hazard(s) \(mismatched.joined(separator: ", ")) — events deleted or added")
            }
            if let b = brokenAt {
                result.intact = false
                result.broken[town] = b.seq
                result.lines.append("town \(town): BROKEN at event seq \(b.seq) (hazard \(b.hazardId.uuidString.lowercased()), \(b.kind) at \(Timestamp.format(b.occurredAt))) after \(count) intact events")
            } else {
                result.lines.append("town \(town): \(count) events, chain intact")
            }
        }
        return result
    }
}

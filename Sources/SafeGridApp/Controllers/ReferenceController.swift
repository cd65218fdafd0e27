import Foundation
import SQLKit
import SafeGridCore
import Vapor

/// `/api/v1/areas` and `/api/v1/checklists`.
enum ReferenceController {
    struct AreaDetailDTO: Content {
        let area: AreaDTO
        let lineage: [AreaDTO]
        let children: [AreaDTO]
    }

    static func area(_ req: Request) async throws -> AreaDetailDTO {
        let code = req.parameters.get("code") ?? ""
        let q = req.queries
        guard let area = try await q.area(code) else { throw DomainError(.notFound, field: "code", reason: "no area with code \(code)") }
        return AreaDetailDTO(area: AreaDTO(area), lineage: try await q.lineage(code).map(AreaDTO.init),
                             children: try await q.children(of: code).map(AreaDTO.init))
    }

    /// `GET /api/v1/areas?level=village` (default: the district).
    static func areas(_ req: Request) async throws -> [AreaDTO] {
        let level: AreaLevel = try Input.optionalEnum(req.query[String.self, at: "level"], "level") ?? .district
        if let parent = try await Input.areaCode(req, "parentCode") {
            return try await req.queries.children(of: parent).filter { $0.level == level }.map(AreaDTO.init)
        }
        return try await req.queries.areas(level: level).map(AreaDTO.init)
    }

    static func currentChecklist(_ req: Request) async throws -> ChecklistDTO {
        dto(try await req.checklists.current(sql: req.sql))
    }

    static func checklist(_ req: Request) async throws -> ChecklistDTO {
        guard let v = req.parameters.get("version").flatMap(Int.init),
              let c = try await req.checklists.checklist(v, sql: req.sql) else {
            throw DomainError(.notFound, field: "version", reason: "no checklist version \(req.parameters.get("version") ?? "")")
        }
        return dto(c)
    }

    static func dto(_ c: Checklist) -> ChecklistDTO {
        ChecklistDTO(version: c.version, title: c.title, publishedOn: c.publishedOn, items: c.items)
    }
}

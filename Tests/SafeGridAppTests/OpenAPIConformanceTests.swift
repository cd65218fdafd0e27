import Foundation
import SafeGridCore
import Testing
import Vapor
import VaporTesting
@testable import SafeGridApp

/// Real answers (and the bodies that made them) checked against the schemas of `/openapi.json`,
/// so the document and the DTO types cannot drift apart unnoticed. The answers are read raw on
/// purpose: a typed decode would pass over members the DTOs do not name.
@Suite("OpenAPI document matches real answers")
struct OpenAPIConformanceTests {
    /// A small JSON Schema checker for the keywords the document uses: `$ref`, `type`,
    /// `properties`, `required`, `additionalProperties`, `items`, `enum`, `const`, `pattern`,
    /// `minimum`/`maximum`, `minLength`/`maxLength`, `minItems`/`maxItems`, `propertyNames`, `anyOf`,
    /// `allOf` and `if`/`then`/`else`. Returns the failures as JSON paths with a reason.
    struct Checker {
        let schemas: [String: Any]

        func check(_ value: Any, _ schema: [String: Any], at path: String = "$") -> [String] {
            if let ref = schema["$ref"] as? String {
                let name = String(ref.split(separator: "/").last ?? "")
                guard let target = schemas[name] as? [String: Any] else { return ["\(path): no schema \(name)"] }
                return check(value, target, at: path)
            }
            var failures: [String] = []
            if let types = (schema["type"] as? [String]) ?? (schema["type"] as? String).map({ [$0] }),
               !types.contains(where: { Self.isOf($0, value) }) {
                return ["\(path): \(Self.describe(value)) is not \(types.joined(separator: " or "))"]
            }
            if let values = schema["enum"] as? [Any], !values.contains(where: { Self.equal($0, value) }) {
                failures.append("\(path): \(value) is not one of \(values)")
            }
            if let c = schema["const"], !Self.equal(c, value) { failures.append("\(path): \(value) is not \(c)") }
            if let s = value as? String {
                if let p = schema["pattern"] as? String, s.range(of: p, options: .regularExpression) == nil {
                    failures.append("\(path): '\(s.prefix(60))' does not match \(p)")
                }
                if let n = schema["minLength"] as? Int, s.unicodeScalars.count < n { failures.append("\(path): shorter than \(n)") }
                if let n = schema["maxLength"] as? Int, s.unicodeScalars.count > n { failures.append("\(path): longer than \(n)") }
            }
            if Self.isNumber(value), let n = value as? NSNumber {
                if let m = schema["minimum"] as? NSNumber, n.doubleValue < m.doubleValue { failures.append("\(path): \(n) < \(m)") }
                if let m = schema["maximum"] as? NSNumber, n.doubleValue > m.doubleValue { failures.append("\(path): \(n) > \(m)") }
            }
            if let object = value as? [String: Any] {
                let properties = schema["properties"] as? [String: Any] ?? [:]
                for name in schema["required"] as? [String] ?? [] where object[name] == nil {
                    failures.append("\(path).\(name): required, missing")
                }
                for (name, member) in object {
                    if let names = schema["propertyNames"] as? [String: Any] { failures += check(name, names, at: "\(path).\(name) (name)") }
                    if let s = properties[name] as? [String: Any] {
                        failures += check(member, s, at: "\(path).\(name)")
                    } else if let extra = schema["additionalProperties"] as? [String: Any] {
                        failures += check(member, extra, at: "\(path).\(name)")
                    } else if schema["additionalProperties"] as? Bool == false {
                        failures.append("\(path).\(name): not in the schema")
                    }
                }
            }
            if let array = value as? [Any] {
                if let n = schema["minItems"] as? Int, array.count < n { failures.append("\(path): fewer than \(n) items") }
                if let n = schema["maxItems"] as? Int, array.count > n { failures.append("\(path): more than \(n) items") }
                if let items = schema["items"] as? [String: Any] {
                    for (i, item) in array.enumerated() { failures += check(item, items, at: "\(path)[\(i)]") }
                }
            }
            if let any = schema["anyOf"] as? [[String: Any]], !any.contains(where: { check(value, $0, at: path).isEmpty }) {
                failures.append("\(path): matches none of anyOf")
            }
            for s in schema["allOf"] as? [[String: Any]] ?? [] { failures += check(value, s, at: path) }
            if let condition = schema["if"] as? [String: Any] {
                let branch = check(value, condition, at: path).isEmpty ? schema["then"] : schema["else"]
                if let b = branch as? [String: Any] { failures += check(value, b, at: path) }
            }
            return failures
        }

        static func isOf(_ type: String, _ value: Any) -> Bool {
            switch type {
            case "null": value is NSNull
            case "boolean": isBoolean(value)
            case "integer": isNumber(value) && (value as? NSNumber).map { $0.doubleValue.rounded() == $0.doubleValue } ?? false
            case "number": isNumber(value)
            case "string": value is String
            case "array": value is [Any]
            case "object": value is [String: Any]
            default: false
            }
        }

        /// JSON `true`/`false` parse as numbers of Objective-C type `c` (char), numbers as `q` or `d`.
        static func isBoolean(_ value: Any) -> Bool {
            guard let n = value as? NSNumber else { return value is Bool }
            return String(cString: n.objCType) == "c"
        }

        static func isNumber(_ value: Any) -> Bool {
            guard value is NSNumber || value is Int || value is Double else { return false }
            return !isBoolean(value)
        }

        static func equal(_ a: Any, _ b: Any) -> Bool {
            if a is NSNull || b is NSNull { return a is NSNull && b is NSNull }
            if let x = a as? String, let y = b as? String { return x == y }
            if isNumber(a), isNumber(b), let x = a as? NSNumber, let y = b as? NSNumber { return x == y }
            if isBoolean(a), isBoolean(b), let x = a as? Bool, let y = b as? Bool { return x == y }
            return false
        }

        static func describe(_ value: Any) -> String {
            if value is NSNull { return "null" }
            if isNumber(value) { return "number \(value)" }
            if value is String { return "string" }
            if value is [Any] { return "array" }
            if value is [String: Any] { return "object" }
            return "boolean"
        }
    }

    @Test func answersAndBodiesMatchTheirSchemas() async throws {
        try await withSafeGrid { app in
            let document = try await app.send(.GET, "/openapi.json").json
            let components = document["components"] as? [String: Any] ?? [:]
            let checker = Checker(schemas: components["schemas"] as? [String: Any] ?? [:])
            let paths = document["paths"] as? [String: [String: Any]] ?? [:]
            let token = app.adminToken
            // The checker itself refuses what it should.
            #expect(checker.check(["id": 1], ["$ref": "#/components/schemas/Account"]).count >= 2)
            #expect(!checker.check(["state": "lost"], ["type": "object", "properties": ["state": ["enum": ["open"]]]]).isEmpty)
            #expect(!checker.check(true, ["type": "integer"]).isEmpty && !checker.check(2, ["type": "boolean"]).isEmpty)
            #expect(!checker.check("13", ["type": "string", "pattern": "^[0-9]{3}$"]).isEmpty)

            /// Checks an answer against the operation's schema for its status, and a body against its request schema.
            func expectConforms(_ method: String, _ template: String, _ reply: Reply, body: [String: Any]? = nil,
                                sourceLocation: SourceLocation = #_sourceLocation) {
                let operation = paths[template]?[method] as? [String: Any] ?? [:]
                #expect(!operation.isEmpty, "\(method) \(template) is not described", sourceLocation: sourceLocation)
                if let body {
                    let content = (operation["requestBody"] as? [String: Any])?["content"] as? [String: Any]
                    let schema = (content?["application/json"] as? [String: Any])?["schema"] as? [String: Any] ?? [:]
                    let failures = checker.check(body, schema)
                    #expect(failures.isEmpty, "\(method) \(template) body: \(failures)", sourceLocation: sourceLocation)
                }
                let responses = operation["responses"] as? [String: Any] ?? [:]
                guard let response = responses[String(reply.status.code)] as? [String: Any] else {
                    Issue.record("\(method) \(template): status \(reply.status.code) is not documented (\(reply.body.prefix(200)))",
                                 sourceLocation: sourceLocation)
                    return
                }
                let type = reply.headers.contentType.map { "\($0.type)/\($0.subType)" } ?? ""
                let content = response["content"] as? [String: Any] ?? [:]
                guard let media = content[type] as? [String: Any] else {
                    Issue.record("\(method) \(template): \(type) is not documented for \(reply.status.code)", sourceLocation: sourceLocation)
                    return
                }
                guard type.hasSuffix("json"), let schema = media["schema"] as? [String: Any] else { return }
                let value = (try? JSONSerialization.jsonObject(with: Data(reply.body.utf8), options: [.fragmentsAllowed])) ?? NSNull()
                let failures = checker.check(value, schema)
                #expect(failures.isEmpty, "\(method) \(template) \(reply.status.code): \(failures.prefix(10))", sourceLocation: sourceLocation)
            }

            let mg = try await addMicroGrid(app)
            let subjectBody = enterpriseBody(microGrid: mg, credit: creditCode("MA2AB3CD"))
            let created = try await app.send(.POST, "/api/v1/subjects", object: subjectBody, token: token)
            expectConforms("post", "/api/v1/subjects", created, body: subjectBody)
            let subject = try created.decoded(SubjectDTO.self).id.uuidString
            expectConforms("get", "/api/v1/subjects/{id}", try await app.send(.GET, "/api/v1/subjects/\(subject)", token: token))
            expectConforms("get", "/api/v1/subjects", try await app.send(.GET, "/api/v1/subjects?per=5", token: token))

            let visit = inspectionBody(subject: subject)
            let inspection = try await app.send(.POST, "/api/v1/inspections", object: visit, token: token)
            expectConforms("post", "/api/v1/inspections", inspection, body: visit)
            let inspectionID = try inspection.decoded(InspectionDTO.self).id.uuidString
            expectConforms("get", "/api/v1/inspections/{id}", try await app.send(.GET, "/api/v1/inspections/\(inspectionID)", token: token))
            expectConforms("get", "/api/v1/inspections", try await app.send(.GET, "/api/v1/inspections?subjectId=\(subject)", token: token))

            let hazards = try await app.send(.GET, "/api/v1/hazards?subjectId=\(subject)", token: token)
            expectConforms("get", "/api/v1/hazards", hazards)
            let hazard = try hazards.decoded(Page<HazardDTO>.self).items.first?.id.uuidString ?? ""
            expectConforms("get", "/api/v1/hazards/{id}", try await app.send(.GET, "/api/v1/hazards/\(hazard)", token: token))
            let action: [String: Any] = ["action": "startRectification", "actor": "王建国", "version": 1]
            expectConforms("post", "/api/v1/hazards/{id}/actions",
                           try await app.send(.POST, "/api/v1/hazards/\(hazard)/actions", object: action, token: token), body: action)
            let recheck: [String: Any] = ["subjectId": subject, "inspector": "李伟",
                                          "results": [["hazardId": hazard, "outcome": "rectified", "version": 2]]]
            expectConforms("post", "/api/v1/reinspections",
                           try await app.send(.POST, "/api/v1/reinspections", object: recheck, token: token), body: recheck)

            for (template, path) in [("/api/v1/areas", "/api/v1/areas?level=town"), ("/api/v1/areas/{code}", "/api/v1/areas/330109113"),
                                     ("/api/v1/checklists/current", "/api/v1/checklists/current"),
                                     ("/api/v1/dashboard", "/api/v1/dashboard?areaCode=330109113"), ("/api/v1/auth/me", "/api/v1/auth/me"),
                                     ("/api/v1/users", "/api/v1/users"), ("/api/v1/changes", "/api/v1/changes?limit=5"),
                                     ("/api/v1/messages", "/api/v1/messages"), ("/api/v1/key-hazards", "/api/v1/key-hazards"),
                                     ("/api/v1/key-hazards/changes", "/api/v1/key-hazards/changes"),
                                     ("/api/v1/performance", "/api/v1/performance?areaCode=330109113"),
                                     ("/api/v1/tasks", "/api/v1/tasks?areaCode=\(mg)"), ("/api/v1/enforcement", "/api/v1/enforcement"),
                                     ("/api/v1/enforcement/teams", "/api/v1/enforcement/teams"),
                                     ("/api/v1/enforcement/actions", "/api/v1/enforcement/actions"),
                                     ("/api/v1/webhooks", "/api/v1/webhooks"),
                                     ("/api/v1/hazards/{id}", "/api/v1/hazards/\(UUID().uuidString)"),
                                     ("/api/v1/exports/subjects.csv", "/api/v1/exports/subjects.csv"),
                                     ("/api/v1/exports/villages.xlsx", "/api/v1/exports/villages.xlsx")] {
                expectConforms("get", template, try await app.send(.GET, path, token: token))
            }
            // Incidents: an import (a replaced count, a rejected row), then the figures with and without a base.
            let incidents = "日期,村(社区),类型,数量\r\n2026-11-20,330109113201,火警,2\r\n2025-11-20,330109113201,火警,3\r\n2026-11-21,330109113201,火警,-1\r\n"
            for _ in 0..<2 {
                expectConforms("post", "/api/v1/imports", try await app.send(.POST, "/api/v1/imports?kind=incidents", json: incidents,
                                                                              contentType: "text/csv", token: token))
            }
            for path in ["/api/v1/incidents", "/api/v1/incidents?areaCode=330109&from=2026-11-01&to=2026-11-30",
                         "/api/v1/incidents?areaCode=330109113201&from=2026-11-20&to=2026-11-20", "/api/v1/incidents?from=2026-11-30&to=2026-11-01",
                         "/api/v1/incidents?areaCode=\(mg)", "/api/v1/incidents?areaCode=330109113999"] {
                expectConforms("get", "/api/v1/incidents", try await app.send(.GET, path, token: token))
            }
            expectConforms("post", "/api/v1/key-hazards/rank", try await app.send(.POST, "/api/v1/key-hazards/rank", token: token))
            let hook: [String: Any] = ["url": "https://hooks.example.com/safegrid", "from": "now"]
            expectConforms("post", "/api/v1/webhooks", try await app.send(.POST, "/api/v1/webhooks", object: hook, token: token), body: hook)
            let me = try await app.send(.GET, "/api/v1/auth/me", token: "")
            expectConforms("get", "/api/v1/auth/me", me)
            for (template, path) in [("/open311/v2/services.json", "/open311/v2/services.json"),
                                     ("/open311/v2/requests.json", "/open311/v2/requests.json"),
                                     ("/open311/v2/requests.xml", "/open311/v2/requests.xml"),
                                     ("/open311/v2/requests.json", "/open311/v2/requests.json?start_date=nope"),
                                     ("/open311/v2/requests/{file}", "/open311/v2/requests/\(hazard).json"),
                                     ("/open311/v2/requests/{file}", "/open311/v2/requests/\(hazard)"),
                                     ("/open311/v2/services/{file}", "/open311/v2/services/ELEC-01.json")] {
                expectConforms("get", template, try await app.send(.GET, path))
            }
        }
    }
}

import Foundation
import SQLKit
import SafeGridCore
import Testing
import Vapor
@testable import SafeGridApp

/// Validates a JSON value against the Open311 schemas (the keywords they use: `$ref` to a
/// sibling file, `type`, `required`, `properties`, `enum`, `anyOf`, `maxLength`, `items`,
/// `minItems`, `format` date-time/uri).
struct SchemaValidator {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Open311Schemas")

    static func schema(_ file: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent(file))) as? [String: Any] ?? [:]
    }

    static func errors(_ value: Any?, _ schema: [String: Any], at path: String = "$") throws -> [String] {
        if let ref = schema["$ref"] as? String { return try errors(value, try Self.schema(ref), at: path) }
        var found: [String] = []
        if let options = schema["anyOf"] as? [[String: Any]] {
            let fits = try options.contains { try errors(value, $0, at: path).isEmpty }
            if !fits { found.append("\(path): matches no anyOf option") }
        }
        if let type = schema["type"] as? String {
            let ok: Bool
            switch type {
            case "string": ok = value is String
            case "boolean": ok = value is Bool
            case "integer": ok = (value as? NSNumber).map { $0.doubleValue.rounded() == $0.doubleValue } ?? false
            case "number": ok = value is NSNumber || value is Double || value is Int
            case "array": ok = value is [Any]
            case "object": ok = value is [String: Any]
            case "null": ok = value == nil || value is NSNull
            default: ok = false
            }
            if !ok { return found + ["\(path): not \(type): \(String(describing: value))"] }
        }
        if let s = value as? String {
            if let max = schema["maxLength"] as? Int, s.count > max { found.append("\(path): longer than \(max)") }
            if let values = schema["enum"] as? [String], !values.contains(s) { found.append("\(path): \(s) not in \(values)") }
            if schema["format"] as? String == "date-time", (try? Timestamp.parse(s)) == nil { found.append("\(path): not a date-time: \(s)") }
            if schema["format"] as? String == "uri", URL(string: s)?.scheme == nil { found.append("\(path): not a uri: \(s)") }
        }
        if let object = value as? [String: Any] {
            for key in schema["required"] as? [String] ?? [] where object[key] == nil { found.append("\(path).\(key): required") }
            for (key, sub) in schema["properties"] as? [String: [String: Any]] ?? [:] where object[key] != nil {
                found += try errors(object[key] is NSNull ? nil : object[key], sub, at: "\(path).\(key)")
            }
        }
        if let array = value as? [Any], let items = schema["items"] as? [String: Any] {
            if let min = items["minItems"] as? Int, array.count < min { found.append("\(path): fewer than \(min) items") }
            for (i, item) in array.enumerated() { found += try errors(item, items, at: "\(path)[\(i)]") }
        }
        return found
    }
}

@Suite("Open311 GeoReport v2")
struct Open311Tests {
    func form(_ fields: [String: String]) -> String {
        fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.sorted().joined(separator: "&")
    }

    @Test func servicesRequestsAndReportsValidateAgainstTheSchemas() async throws {
        try await withSafeGrid { app in
            let services = try await app.send(.GET, "/open311/v2/services.json")
            #expect(services.status == .ok)
            #expect(services.array.count == 68)
            #expect(services.array.first?["service_code"] as? String == "ELEC-01")
            #expect(try SchemaValidator.errors(try JSONSerialization.jsonObject(with: Data(services.body.utf8)), try SchemaValidator.schema("services.json")) == [])
            // The validator can fail: services are not requests.
            #expect(!(try SchemaValidator.errors(try JSONSerialization.jsonObject(with: Data(services.body.utf8)), try SchemaValidator.schema("requests.json"))).isEmpty)
            let definition = try await app.send(.GET, "/open311/v2/services/ELEC-01.json")
            #expect(try SchemaValidator.errors(definition.json, try SchemaValidator.schema("service-definition.json")) == [])
            #expect(try await app.send(.GET, "/open311/v2/services/NOPE-99.json").status == .notFound)

            // Our hazards are service requests.
            let mg = try await addMicroGrid(app)
            let subject = try await createEnterprise(app, microGrid: mg)
            let inspection = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: subject), token: app.adminToken)
            let hazard = try inspection.decoded(InspectionDTO.self).hazards.first?.id.uuidString ?? ""
            // From here on raw: Open311 answers are GeoReport v2 shapes, checked as the spec names them.
            let list = try await app.send(.GET, "/open311/v2/requests.json")
            #expect(list.status == .ok)
            #expect(list.array.count == 2)
            #expect(try SchemaValidator.errors(try JSONSerialization.jsonObject(with: Data(list.body.utf8)), try SchemaValidator.schema("requests.json")) == [])
            let one = try await app.send(.GET, "/open311/v2/requests/\(hazard).json")
            #expect(one.array.first?["status"] as? String == "open")
            #expect((one.array.first?["status_notes"] as? String)?.contains("due 2026-12-15") == true)
            #expect(one.array.first?["requested_datetime"] as? String == "2026-11-30T09:30:00+08:00")
            // Filters: fractional seconds and another offset; closed ones; a code.
            let window = try await app.send(.GET, "/open311/v2/requests.json?start_date=2026-11-30T01:29:59.5Z&end_date=2026-11-30T09:30:00.000%2B08:00")
            #expect(window.array.count == 2)
            let later = try await app.send(.GET, "/open311/v2/requests.json?start_date=2026-11-30T01:30:00.001Z")
            #expect(later.array.isEmpty)
            #expect(try await app.send(.GET, "/open311/v2/requests.json?status=closed").array.isEmpty)
            #expect(try await app.send(.GET, "/open311/v2/requests.json?service_code=EVAC-01").array.count == 1)
            let bad = try await app.send(.GET, "/open311/v2/requests.json?start_date=2026-11-30")
            #expect(bad.status == .unprocessableEntity)
            #expect((bad.array.first?["description"] as? String)?.hasPrefix("start_date:") == true)

            // XML.
            let xml = try await app.send(.GET, "/open311/v2/services.xml")
            #expect(xml.headers.contentType == .xml)
            #expect(xml.body.hasPrefix("<?xml version=\"1.0\" encoding=\"utf-8\"?>"))
            #expect(xml.body.components(separatedBy: "<service>").count == 69)
            #expect(xml.body.contains("<service_code>ELEC-01</service_code>"))
            let requestsXML = try await app.send(.GET, "/open311/v2/requests.xml")
            #expect(requestsXML.body.contains("<service_requests>"))
            #expect(requestsXML.body.components(separatedBy: "<request>").count == 3)

            // Reporting: a key is needed; the same report twice is one request.
            let key = try await ApiClients.create(sql: app.sql, name: "四平台", scopes: ["open311"], at: testNow)
            let report = form(["api_key": key, "service_code": "LANE-01", "lat": "30.1855", "long": "120.4553",
                               "description": "楼道堆放杂物，堵塞通道", "first_name": "张"])
            let headers: HTTPHeaders = ["Content-Type": "application/x-www-form-urlencoded"]
            let first = try await app.testing().sendRequest(.POST, "/open311/v2/requests.json", headers: headers, body: ByteBuffer(string: report))
            #expect(first.status == .created, "\(first.body.string)")
            let created = (try? JSONSerialization.jsonObject(with: Data(first.body.string.utf8))) as? [[String: Any]] ?? []
            let token = created.first?["token"] as? String ?? ""
            let id = created.first?["service_request_id"] as? String ?? ""
            let again = try await app.testing().sendRequest(.POST, "/open311/v2/requests.json", headers: headers, body: ByteBuffer(string: report))
            #expect(again.status == .ok)
            #expect(again.body.string == first.body.string)
            let byToken = try await app.send(.GET, "/open311/v2/tokens/\(token).json")
            #expect(byToken.array.first?["service_request_id"] as? String == id)
            let reported = try await app.send(.GET, "/open311/v2/requests/\(id).json")
            #expect(reported.array.first?["status"] as? String == "open")
            #expect(try SchemaValidator.errors(try JSONSerialization.jsonObject(with: Data(reported.body.utf8)), try SchemaValidator.schema("requests.json")) == [])
            #expect(try await app.send(.GET, "/open311/v2/requests.json").array.count == 3)

            for (fields, status, field) in [
                (["service_code": "LANE-01", "lat": "30.18", "long": "120.45"], HTTPStatus.unauthorized, "api_key"),
                (["api_key": "sg_wrong", "service_code": "LANE-01", "lat": "30.18", "long": "120.45"], .forbidden, "api_key"),
                (["api_key": key, "service_code": "XX-1", "lat": "30.18", "long": "120.45"], .unprocessableEntity, "service_code"),
                (["api_key": key, "service_code": "LANE-01", "lat": "57983", "long": "120.45"], .unprocessableEntity, "lat"),
                (["api_key": key, "service_code": "LANE-01", "lat": "120.45", "long": "30.18"], .unprocessableEntity, "lat"),
                (["api_key": key, "service_code": "LANE-01"], .unprocessableEntity, "lat"),
                (["api_key": key, "service_code": "LANE-01", "address_string": "瓜沥镇", "description": String(repeating: "长", count: 4_001)],
                 .unprocessableEntity, "description"),
            ] {
                let r = try await app.testing().sendRequest(.POST, "/open311/v2/requests.json", headers: headers, body: ByteBuffer(string: form(fields)))
                #expect(r.status == status, "\(fields): \(r.body.string)")
                let errors = (try? JSONSerialization.jsonObject(with: Data(r.body.string.utf8))) as? [[String: Any]] ?? []
                #expect((errors.first?["description"] as? String)?.hasPrefix("\(field):") == true, "\(r.body.string)")
                #expect(errors.first?["code"] as? Int == Int(status.code))
            }
        }
    }
}

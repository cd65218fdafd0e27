import Foundation
import SafeGridCore
import Vapor

/// The OpenAPI 3.1 description of the JSON API and Open311, served at `GET /openapi.json`. Built from the
/// table ``operations``; a test compares that table with the router, so a route added without a
/// description (or described but gone) fails the build's tests.
enum OpenAPIDocument {
    /// One operation: method, path in OpenAPI form (`/api/v1/subjects/{id}`), what it does, its
    /// parameters, body and answer.
    struct Operation {
        let method: String
        let path: String
        let tag: String
        let summary: String
        var query: [(name: String, schema: [String: Any], description: String)] = []
        var body: String? = nil
        var answer: (status: Int, schema: String?) = (200, nil)
        var errors: [Int] = [422]
        /// Whether the operation needs a bearer token (every `/api/v1` route but the token's).
        var secured = true
    }

    static var idParam: [String: Any] { ["type": "string", "format": "uuid"] }
    static var text: [String: Any] { ["type": "string"] }
    static var int: [String: Any] { ["type": "integer"] }
    static var areaCode: [String: Any] { ["type": "string", "pattern": "^[0-9]{6}([0-9]{3}([0-9]{3}([0-9]{2}([0-9]{3})?)?)?)?$"] }
    static var date: [String: Any] { ["type": "string", "format": "date"] }

    static var operations: [Operation] { [
        Operation(method: "post", path: "/api/v1/auth/token", tag: "accounts",
                  summary: "Sign in: a bearer token for 12 hours (429 with Retry-After after 5 failures in 15 minutes)",
                  body: "Credentials", answer: (201, "Token"), errors: [401, 422, 429], secured: false),
        Operation(method: "get", path: "/api/v1/clearance", tag: "accounts",
                  summary: "前置入口管: passed or blocked (open hazards with deadlines, or closed down); X-API-Key of a licensing system (scope clearance); every call logged",
                  query: [("creditCode", text, "统一社会信用代码 (GB 32100)"), ("subjectId", idParam, "or the subject's id")],
                  answer: (200, nil), errors: [401, 404, 422], secured: false),
        Operation(method: "get", path: "/api/v1/key-hazards", tag: "rankings",
                  summary: "重点隐患企业: the listed enterprises per village, worst first (score, open and overdue hazards, since)",
                  query: [("areaCode", areaCode, "within this area")], answer: (200, nil), errors: [404]),
        Operation(method: "get", path: "/api/v1/key-hazards/changes", tag: "rankings", summary: "Who entered and left the key list, newest first",
                  query: [("areaCode", areaCode, "within this area"), ("limit", int, "1…2000, default 200")], answer: (200, nil), errors: [404]),
        Operation(method: "post", path: "/api/v1/key-hazards/rank", tag: "rankings", summary: "Rank now (admins); also runs daily",
                  answer: (201, nil), errors: [403]),
        Operation(method: "get", path: "/api/v1/tasks", tag: "tasks",
                  summary: "网格日常管: a grid's or micro-grid's inspection tasks for a day (routine by risk, directed), nearest first, with open hazards and the month's quota",
                  query: [("areaCode", areaCode, "grid or micro-grid (default: the worker's own)"), ("date", date, "default today (Asia/Shanghai)"),
                          ("latitude", ["type": "number"], "WGS-84"), ("longitude", ["type": "number"], "WGS-84")],
                  answer: (200, nil), errors: [404, 422]),
        Operation(method: "get", path: "/api/v1/performance", tag: "rankings",
                  summary: "绩效: villages of a town or grids of a village ranked by the composite score (weights 30/20/10/20/20) and grade A–E for a period",
                  query: [("areaCode", areaCode, "a district, town or village (default: the reader's area)"), ("from", date, "default: this month's first day"),
                          ("to", date, "default: this month's last day")], answer: (200, nil), errors: [404, 422]),
        Operation(method: "post", path: "/api/v1/tasks/directed", tag: "tasks", summary: "定向: the town directs an inspection of a subject by a day (admins)",
                  body: "DirectedTaskInput", answer: (201, nil), errors: [403, 422]),
        Operation(method: "delete", path: "/api/v1/auth/token", tag: "accounts", summary: "Sign out: revoke this token",
                  answer: (204, nil), errors: []),
        Operation(method: "get", path: "/api/v1/auth/me", tag: "accounts", summary: "The signed-in account",
                  answer: (200, "Account"), errors: []),
        Operation(method: "get", path: "/api/v1/users", tag: "accounts", summary: "Accounts inside the admin's area (admins)",
                  answer: (200, nil), errors: [403]),
        Operation(method: "post", path: "/api/v1/users", tag: "accounts", summary: "Make an account (district admins; town admins in their town)",
                  body: "UserInput", answer: (201, "Account"), errors: [403, 409, 422]),
        Operation(method: "patch", path: "/api/v1/users/{id}", tag: "accounts",
                  summary: "Change role, area, department, name, password or active; the last district admin stays (409)",
                  body: "UserInput", answer: (200, "Account"), errors: [403, 404, 409, 422]),
        Operation(method: "get", path: "/api/v1/dashboard", tag: "dashboard", summary: "一屏归集: the figures of an area (default 瓜沥镇), read from counters",
                  query: [("areaCode", areaCode, "district, town, village, grid or micro-grid code")], answer: (200, "DashboardFigures"), errors: [404]),
        Operation(method: "get", path: "/api/v1/areas", tag: "reference", summary: "The area tree, one level at a time",
                  query: [("level", ["type": "string", "enum": AreaLevel.allCases.map(\.rawValue)], "area level"),
                          ("parentCode", areaCode, "children of this area")], answer: (200, "AreaList")),
        Operation(method: "get", path: "/api/v1/areas/{code}", tag: "reference", summary: "An area with its lineage and children",
                  answer: (200, "Area"), errors: [404]),
        Operation(method: "get", path: "/api/v1/checklists/current", tag: "reference", summary: "The unified checklist (一张表) in force",
                  answer: (200, "Checklist"), errors: []),
        Operation(method: "get", path: "/api/v1/checklists/{version}", tag: "reference", summary: "A checklist version",
                  answer: (200, "Checklist"), errors: [404]),
        Operation(method: "get", path: "/api/v1/subjects", tag: "subjects", summary: "Subjects, filtered and paged",
                  query: [("kind", ["type": "string", "enum": SubjectKind.allCases.map(\.rawValue)], "subject kind"),
                          ("areaCode", areaCode, "within this area"), ("colour", text, "colour key, e.g. serious.inProgress"),
                          ("q", text, "name contains (wildcards literal)"), ("parentId", idParam, "tenants of a park"),
                          ("page", int, "1…100000"), ("per", int, "1…200, default 50")], answer: (200, "SubjectPage")),
        Operation(method: "post", path: "/api/v1/subjects", tag: "subjects", summary: "Register a subject (credit code checked by GB 32100)",
                  body: "SubjectInput", answer: (201, "Subject"), errors: [409, 422]),
        Operation(method: "get", path: "/api/v1/subjects/{id}", tag: "subjects", summary: "A subject with colour history and hazards",
                  answer: (200, "Subject"), errors: [404]),
        Operation(method: "post", path: "/api/v1/subjects/{id}/close-down", tag: "subjects", summary: "关停: close a subject and its open hazards",
                  body: "CloseDownInput", answer: (200, "Subject"), errors: [404, 409, 422]),
        Operation(method: "get", path: "/api/v1/inspections", tag: "inspections", summary: "A subject's inspections",
                  query: [("subjectId", idParam, "required")], answer: (200, "InspectionList")),
        Operation(method: "post", path: "/api/v1/inspections", tag: "inspections",
                  summary: "Submit a joint inspection; idempotent by clientId (a repeat answers the same with Idempotent-Replayed)",
                  body: "InspectionSubmission", answer: (201, "Inspection"), errors: [409, 422]),
        Operation(method: "get", path: "/api/v1/inspections/{id}", tag: "inspections", summary: "An inspection",
                  answer: (200, "Inspection"), errors: [404]),
        Operation(method: "post", path: "/api/v1/inspections/{id}/signature", tag: "closed loop",
                  summary: "The responsible party's on-site signature; queues the SMS notice",
                  body: "SignatureInput", answer: (201, nil), errors: [404, 409, 413, 422]),
        Operation(method: "get", path: "/api/v1/hazards", tag: "hazards", summary: "Hazards, filtered and paged",
                  query: [("areaCode", areaCode, "within this area"), ("subjectId", idParam, "of this subject"),
                          ("state", ["type": "string", "enum": HazardState.allCases.map(\.rawValue)], "repeatable"),
                          ("severity", ["type": "string", "enum": Severity.allCases.map(\.rawValue)], "severity"),
                          ("kind", ["type": "string", "enum": SubjectKind.allCases.map(\.rawValue)], "subject kind"),
                          ("department", text, "department of the checklist item"), ("itemCode", text, "checklist item"),
                          ("overdue", ["type": "boolean"], "only open hazards past their deadline"),
                          ("foundFrom", date, "found on or after (Asia/Shanghai day)"), ("foundTo", date, "found on or before"),
                          ("page", int, "1…100000"), ("per", int, "1…200, default 50")], answer: (200, "HazardPage")),
        Operation(method: "get", path: "/api/v1/hazards/{id}", tag: "hazards", summary: "A hazard with its timeline",
                  answer: (200, "Hazard"), errors: [404]),
        Operation(method: "post", path: "/api/v1/hazards/{id}/actions", tag: "hazards",
                  summary: "A transition of the hazard state machine; version in the body or If-Match",
                  body: "HazardActionInput", answer: (200, "Hazard"), errors: [404, 409, 422]),
        Operation(method: "post", path: "/api/v1/reinspections", tag: "closed loop", summary: "复查 of several hazards of one subject, all or nothing",
                  body: "ReinspectionInput", answer: (201, nil), errors: [404, 409, 422]),
        Operation(method: "post", path: "/api/v1/sync", tag: "closed loop", summary: "Offline events from a device, idempotent by device id and seq",
                  body: "SyncInput", answer: (200, nil)),
        Operation(method: "get", path: "/api/v1/changes", tag: "exchange",
                  summary: "Change feed: hazard events in commit order after a cursor",
                  query: [("after", text, "the `next` of the previous page; empty for the beginning"),
                          ("limit", int, "1…5000, default 500"), ("townCode", areaCode, "only this town")],
                  answer: (200, "ChangesPage")),
        Operation(method: "post", path: "/api/v1/webhooks", tag: "exchange",
                  summary: "Subscribe a URL to the change feed (HMAC-SHA256 signed POSTs, retried with backoff)",
                  body: "WebhookInput", answer: (201, nil), errors: [422]),
        Operation(method: "get", path: "/api/v1/webhooks", tag: "exchange", summary: "Webhook subscriptions (secrets not shown)",
                  answer: (200, nil), errors: []),
        Operation(method: "delete", path: "/api/v1/webhooks/{id}", tag: "exchange", summary: "Stop a subscription",
                  answer: (200, nil), errors: [404]),
        Operation(method: "get", path: "/api/v1/webhooks/{id}/deliveries", tag: "exchange", summary: "The latest 100 delivery attempts",
                  answer: (200, nil), errors: [404]),
        Operation(method: "post", path: "/api/v1/imports", tag: "exchange",
                  summary: "Import a ledger (台账): the .xlsx or .csv file is the raw body (≤ 64 MB); per-row report, stored under its id",
                  query: [("kind", ["type": "string", "enum": ImportKind.allCases.map(\.rawValue)], "subjects (default) or hazards"),
                          ("dryRun", ["type": "boolean"], "report only, write nothing (the file is kept to apply later)"),
                          ("fileName", text, "shown in the report"), ("town", areaCode, "resolve village names within this town")],
                  answer: (201, "ImportReport"), errors: [413, 422]),
        Operation(method: "get", path: "/api/v1/imports/{id}", tag: "exchange", summary: "A stored import report",
                  answer: (200, "ImportReport"), errors: [404]),
        Operation(method: "post", path: "/api/v1/imports/{id}/apply", tag: "exchange", summary: "Apply the file of a stored dry run (once)",
                  answer: (201, "ImportReport"), errors: [404, 409, 422]),
        Operation(method: "get", path: "/api/v1/imports/{id}/rejected.csv", tag: "exchange",
                  summary: "The rejected rows with a 导入问题 column, as CSV (UTF-8 BOM), to fix and import again", answer: (200, nil), errors: [404]),
        Operation(method: "get", path: "/api/v1/imports/{id}/rejected.xlsx", tag: "exchange",
                  summary: "The rejected rows with a 导入问题 column, as XLSX", answer: (200, nil), errors: [404]),
    ] + exports + enforcement + [
        Operation(method: "get", path: "/api/v1/messages", tag: "closed loop", summary: "The SMS outbox (phones masked, links redacted)",
                  query: [("state", text, "recipient state: queued, sending, sent, delivered, failed"),
                          ("kind", text, "notice, reminder, overdueAlert"), ("subjectId", idParam, "of this subject"),
                          ("page", int, "1…100000"), ("per", int, "1…200, default 50")], answer: (200, nil)),
    ] + open311 }

    /// Ledger exports: subjects, hazards (with timelines) and the per-village summary, as XLSX and CSV.
    static var exports: [Operation] {
        let subjectFilters: [(name: String, schema: [String: Any], description: String)] = [
            ("areaCode", areaCode, "within this area"), ("kind", ["type": "string", "enum": SubjectKind.allCases.map(\.rawValue)], "subject kind"),
            ("colour", text, "colour key"), ("q", text, "name contains")]
        let hazardFilters: [(name: String, schema: [String: Any], description: String)] = [
            ("areaCode", areaCode, "within this area"), ("kind", ["type": "string", "enum": SubjectKind.allCases.map(\.rawValue)], "subject kind"),
            ("state", text, "comma list of states"), ("severity", text, "severity"), ("department", text, "department"),
            ("itemCode", text, "checklist item"), ("overdue", ["type": "boolean"], "open and past the deadline"),
            ("foundFrom", date, "found on or after"), ("foundTo", date, "found on or before")]
        let villageFilters: [(name: String, schema: [String: Any], description: String)] = [
            ("areaCode", areaCode, "the town (default 瓜沥镇) or district whose children are listed"),
            ("kind", ["type": "string", "enum": SubjectKind.allCases.map(\.rawValue)], "only this kind's columns")]
        var out: [Operation] = []
        for ext in ["xlsx", "csv"] {
            let what = ext == "xlsx" ? "XLSX (date and number cells)" : "CSV (UTF-8 BOM, streamed)"
            out.append(Operation(method: "get", path: "/api/v1/exports/subjects.\(ext)", tag: "exchange",
                                 summary: "Subjects as a ledger, \(what); importable as it is", query: subjectFilters, answer: (200, nil)))
            out.append(Operation(method: "get", path: "/api/v1/exports/hazards.\(ext)", tag: "exchange",
                                 summary: "Hazards with their days, state and timeline, \(what); importable as it is", query: hazardFilters,
                                 answer: (200, nil)))
            out.append(Operation(method: "get", path: "/api/v1/exports/villages.\(ext)", tag: "exchange",
                                 summary: "The dashboard's per-village summary, \(what)", query: villageFilters, answer: (200, nil),
                                 errors: [404, 422]))
        }
        return out
    }

    /// Open311 GeoReport v2, each in `.json` and `.xml`.
    static var open311: [Operation] {
        Open311Controller.Format.allCases.flatMap { f -> [Operation] in
            let x = f.rawValue
            return [
                Operation(method: "get", path: "/open311/v2/services.\(x)", tag: "open311", summary: "Services: one per checklist item",
                          answer: (200, nil), errors: []),
                Operation(method: "get", path: "/open311/v2/requests.\(x)", tag: "open311",
                          summary: "Service requests: hazards and reported requests (last 90 days, ≤ 1,000)",
                          query: [("service_request_id", text, "comma-separated ids; other filters then ignored"),
                                  ("service_code", text, "checklist item code"), ("start_date", text, "RFC 3339"),
                                  ("end_date", text, "RFC 3339"), ("status", ["type": "string", "enum": ["open", "closed"]], "open or closed")],
                          answer: (200, nil)),
                Operation(method: "post", path: "/open311/v2/requests.\(x)", tag: "open311",
                          summary: "Report a service request (form fields api_key, service_code, lat/long or address_string, description …)",
                          answer: (201, nil), errors: [401, 403, 422]),
            ]
        } + [
            Operation(method: "get", path: "/open311/v2/services/{file}", tag: "open311", summary: "Service definition: `{code}.json` or `{code}.xml`",
                      answer: (200, nil), errors: [404]),
            Operation(method: "get", path: "/open311/v2/requests/{file}", tag: "open311", summary: "One service request: `{id}.json` or `{id}.xml`",
                      answer: (200, nil), errors: [404]),
            Operation(method: "get", path: "/open311/v2/tokens/{file}", tag: "open311", summary: "The request id of a token: `{token}.json`",
                      answer: (200, nil), errors: [404]),
        ]
    }

    /// Request bodies and main answers (JSON Schema 2020-12, as OpenAPI 3.1 uses).
    static var schemas: [String: Any] {
        func object(_ properties: [String: Any], required: [String], open: Bool = false) -> [String: Any] {
            ["type": "object", "properties": properties, "required": required, "additionalProperties": open]
        }
        let timestamp: [String: Any] = ["type": "string", "format": "date-time", "description": "RFC 3339 with an offset; answered in +08:00"]
        let party = object(["name": text, "phone": ["type": "string", "description": "mobile or landline in any common form"]],
                           required: ["name", "phone"])
        let location = object(["latitude": ["type": "number"], "longitude": ["type": "number"],
                               "datum": ["type": "string", "enum": ["wgs84", "gcj02"]]], required: ["latitude", "longitude"])
        let member = object(["name": text, "department": ["type": "string", "enum": Department.allCases.map(\.rawValue)]],
                            required: ["name", "department"])
        let result = object(["itemCode": text, "outcome": ["type": "string", "enum": ["pass", "hazard", "notApplicable"]],
                             "note": text, "photos": ["type": "array", "items": text],
                             "severity": ["type": "string", "enum": Severity.allCases.map(\.rawValue)],
                             "dueOn": date, "mode": text, "rectifiedOnSite": ["type": "boolean"]],
                            required: ["itemCode", "outcome"])
        return [
            "DirectedTaskInput": object(["subjectId": idParam, "dueOn": date, "reason": text], required: ["subjectId", "dueOn", "reason"]),
            "Credentials": object(["username": text, "password": text], required: ["username", "password"]),
            "Token": object(["token": text, "tokenType": ["type": "string", "enum": ["Bearer"]], "expiresIn": int, "expiresAt": timestamp,
                             "account": ["$ref": "#/components/schemas/Account"]], required: ["token", "tokenType", "expiresIn"]),
            "Account": object(["id": idParam, "username": text, "displayName": text,
                               "role": ["type": "string", "enum": Role.allCases.map(\.rawValue)], "roleZh": text, "areaCode": areaCode,
                               "department": ["type": ["string", "null"]], "active": ["type": "boolean"]],
                              required: ["id", "username", "role", "areaCode"]),
            "UserInput": object(["username": text, "displayName": text, "password": ["type": "string", "minLength": 8],
                                 "role": ["type": "string", "enum": Role.allCases.map(\.rawValue)], "areaCode": areaCode,
                                 "department": ["type": "string", "enum": Department.allCases.map(\.rawValue)], "active": ["type": "boolean"]],
                                required: []),
            "Problem": object(["type": text, "title": text, "status": int, "detail": text,
                               "field": ["type": "string", "description": "the input at fault, e.g. results[2].itemCode"]],
                              required: ["title", "status"], open: true),
            "SubjectInput": object(["kind": ["type": "string", "enum": SubjectKind.allCases.map(\.rawValue)], "name": text,
                                    "address": text, "creditCode": ["type": "string", "description": "GB 32100 (18 characters)"],
                                    "aboveScale": ["type": "boolean"], "rooms": int, "parentId": idParam,
                                    "microGridCode": areaCode, "party": party, "location": location],
                                   required: ["kind", "name", "address", "microGridCode", "party"]),
            "ImportReport": object(["id": idParam, "kind": text, "dryRun": ["type": "boolean"], "format": text,
                                    "totals": object(["rows": int, "created": int, "updated": int, "unchanged": int, "rejected": int],
                                                     required: ["rows", "created", "updated", "unchanged", "rejected"]),
                                    "fileProblems": ["type": "array", "items": ["type": "object"]],
                                    "rows": ["type": "array", "items": object([
                                        "row": int, "action": ["type": "string", "enum": ["created", "updated", "unchanged", "rejected"]],
                                        "subjectId": idParam, "changed": ["type": "array", "items": text],
                                        "problems": ["type": "array", "items": object(["column": text, "columnLetters": text, "reason": text,
                                                                                        "severity": text], required: ["reason", "severity"])]],
                                        required: ["row", "action", "changed", "problems"])],
                                    "failedBatches": ["type": "array", "items": text],
                                    "seconds": ["type": "number"], "rowsPerSecond": ["type": "number"]],
                                   required: ["kind", "dryRun", "format", "totals", "rows"], open: true),
            "CloseDownInput": object(["actor": text, "reason": text, "occurredAt": timestamp], required: ["actor", "reason"]),
            "InspectionSubmission": object(["clientId": ["type": "string", "minLength": 1, "maxLength": 100],
                                            "subjectId": idParam, "checklistVersion": int, "inspectedAt": timestamp,
                                            "inspector": text, "team": ["type": "array", "items": member],
                                            "results": ["type": "array", "items": result]],
                                           required: ["clientId", "subjectId", "inspectedAt", "inspector", "team", "results"]),
            "SignatureInput": object(["signerName": text, "signerPhone": text, "signedAt": timestamp,
                                      "image": ["type": "string", "description": "data:image/png;base64,… (≤ 512 KB)"],
                                      "location": location], required: ["signerName", "image"]),
            "HazardActionInput": object(["action": ["type": "string", "enum": ["startRectification", "verifyRectified", "notYetRectified", "reportRebound"]],
                                         "actor": text, "reason": text, "dueOn": date, "occurredAt": timestamp, "version": int],
                                        required: ["action", "actor"]),
            "ReinspectionInput": object(["subjectId": idParam, "inspector": text, "reinspectedAt": timestamp,
                                         "results": ["type": "array", "items": object(
                                            ["hazardId": idParam, "outcome": ["type": "string", "enum": ["rectified", "notYet", "rebound"]],
                                             "reason": text, "dueOn": date, "version": int], required: ["hazardId", "outcome"])]],
                                        required: ["subjectId", "inspector", "results"]),
            "SyncInput": object(["deviceId": text, "events": ["type": "array", "items": object(
                ["seq": int, "hazardId": idParam, "action": text, "clientTime": timestamp, "actor": text, "reason": text, "dueOn": date],
                required: ["seq", "hazardId", "action", "clientTime", "actor"])]], required: ["deviceId", "events"]),
            "WebhookInput": object(["url": ["type": "string", "format": "uri"], "secret": ["type": "string", "minLength": 16],
                                    "from": ["type": "string", "enum": ["now", "beginning"]]], required: ["url"]),
            "DashboardFigures": object(["area": ["type": "object"], "generatedAt": timestamp,
                                        "byKind": ["type": "object", "additionalProperties": ["type": "object"]],
                                        "hazardsFound": int, "hazardsRectified": int, "rectificationRate": ["type": "number"],
                                        "colours": ["type": "array"], "ranking": ["type": "array"], "overdueCount": int,
                                        "trend": ["type": "array"]], required: ["area", "byKind", "hazardsFound", "hazardsRectified"], open: true),
            "ChangesPage": object(["changes": ["type": "array", "items": object(
                ["cursor": text, "hazardId": idParam, "subjectId": idParam, "townCode": text, "event": ["type": "object"]],
                required: ["cursor", "hazardId", "subjectId", "townCode", "event"])], "next": text, "hasMore": ["type": "boolean"]],
                                  required: ["changes", "next", "hasMore"]),
            "Area": ["type": "object"], "AreaList": ["type": "array", "items": ["type": "object"]], "Checklist": ["type": "object"],
            "Subject": ["type": "object"], "SubjectPage": ["type": "object"], "Inspection": ["type": "object"],
            "InspectionList": ["type": "array", "items": ["type": "object"]], "Hazard": ["type": "object"], "HazardPage": ["type": "object"],
        ]
    }

    /// The document as a JSON object tree.
    static func document(serverURL: String) -> [String: Any] {
        var paths: [String: [String: Any]] = [:]
        for op in operations {
            var parameters: [[String: Any]] = []
            for segment in op.path.split(separator: "/") where segment.hasPrefix("{") {
                parameters.append(["name": String(segment.dropFirst().dropLast()), "in": "path", "required": true, "schema": text])
            }
            for q in op.query { parameters.append(["name": q.name, "in": "query", "schema": q.schema, "description": q.description]) }
            var responses: [String: Any] = [:]
            var ok: [String: Any] = ["description": op.summary]
            if let schema = op.answer.schema {
                ok["content"] = ["application/json": ["schema": ["$ref": "#/components/schemas/\(schema)"]]]
            } else {
                ok["content"] = ["application/json": ["schema": ["type": "object"]]]
            }
            responses[String(op.answer.status)] = ok
            let unauthenticated = op.secured && op.path.hasPrefix("/api/") ? [401] : []
            for status in Set(op.errors + unauthenticated + (op.body == nil ? [] : [400, 415])) {
                responses[String(status)] = ["description": HTTPResponseStatus(statusCode: status).reasonPhrase,
                                             "content": ["application/problem+json": ["schema": ["$ref": "#/components/schemas/Problem"]]]]
            }
            var operation: [String: Any] = ["summary": op.summary, "tags": [op.tag], "responses": responses,
                                            "operationId": "\(op.method)\(op.path.replacingOccurrences(of: "/api/v1", with: "").replacingOccurrences(of: "/open311/v2", with: "/open311").replacingOccurrences(of: ".", with: "").split(separator: "/").map { $0.replacingOccurrences(of: "{", with: "By").replacingOccurrences(of: "}", with: "").replacingOccurrences(of: "-", with: "") .capitalized }.joined())"]
            if !parameters.isEmpty { operation["parameters"] = parameters }
            if !op.secured || !op.path.hasPrefix("/api/") { operation["security"] = [[String: Any]]() }
            if let body = op.body {
                operation["requestBody"] = ["required": true,
                                            "content": ["application/json": ["schema": ["$ref": "#/components/schemas/\(body)"]]]]
            }
            paths[op.path, default: [:]][op.method] = operation
        }
        return [
            "openapi": "3.1.0",
            "info": ["title": "SafeGrid API", "version": "1",
                     "description": "除险保安 closed loop: subjects, joint inspections, hazards, re-inspections, dashboard, change feed. Errors are RFC 9457 problem+json naming the field."],
            "servers": [["url": serverURL]],
            "paths": paths,
            "components": ["schemas": schemas,
                           "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer",
                                                          "description": "POST /api/v1/auth/token; pages use the session cookie"]]],
            "security": [["bearer": [String]()]],
        ]
    }

    /// `GET /openapi.json`.
    static func serve(_ req: Request) throws -> Response {
        let base = Environment.get("SAFEGRID_PUBLIC_URL") ?? "http://127.0.0.1:8080"
        let data = try JSONSerialization.data(withJSONObject: document(serverURL: base),
                                              options: [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted])
        return Response.json(encoded: data)
    }
}

import Foundation
import SafeGridCore
import Vapor

/// The OpenAPI 3.1 description of the JSON API and Open311, served at `GET /openapi.json`. Built from the
/// table ``operations``; a test compares that table with the router, so a route added without a
/// description (or described but gone) fails the build's tests, and another validates real answers
/// against the schemas here (``schemas``), which follow the DTO types field by field.
///
/// Conventions: an optional DTO member that is absent is left out of the JSON (never `null`);
/// a query value that is empty counts as not given; errors are `application/problem+json`
/// (``Problem``) except Open311's, which are GeoReport error lists in the format asked for.
enum OpenAPIDocument {
    /// A query parameter.
    struct Param {
        let name: String
        let schema: [String: Any]
        let description: String
        var required = false
    }

    /// One operation: method, path in OpenAPI form (`/api/v1/subjects/{id}`), what it does, its
    /// parameters, body and answers.
    struct Operation {
        let method: String
        let path: String
        let tag: String
        let summary: String
        var query: [Param] = []
        /// The JSON request body: a schema name under `components/schemas`.
        var body: String? = nil
        /// A request body in other media types (media type → schema), for uploads and forms.
        var rawBody: [String: [String: Any]]? = nil
        /// The success status and the name of its JSON schema (`nil`: no body, as for 204).
        var answer: (status: Int, schema: String?) = (200, nil)
        /// A success body in other media types (media type → schema), instead of JSON.
        var answerTypes: [String: [String: Any]]? = nil
        /// Error statuses besides those every operation of its kind has (401 for a signed-in
        /// route, 403 for a write, 400/413/415 with a body); answered as problem+json.
        var errors: [Int] = [422]
        /// Whether the operation needs a bearer token (every `/api/v1` route but the token's).
        var secured = true
        /// Open311: errors are GeoReport lists in this format (`json` or `xml`); `nil` for both
        /// (a path whose file name picks the format).
        var geoReport: Open311Controller.Format?? = .none
        /// Response headers of the success answer (name → description).
        var headers: [String: String] = [:]
        /// A 200 answer of the same shape for a repeat of an earlier request (what it means).
        var replay: String? = nil
    }

    // MARK: Schema pieces

    static func ref(_ name: String) -> [String: Any] { ["$ref": "#/components/schemas/\(name)"] }
    static func array(_ items: [String: Any], max: Int? = nil) -> [String: Any] {
        var a: [String: Any] = ["type": "array", "items": items]
        if let max { a["maxItems"] = max }
        return a
    }
    static func object(_ properties: [String: Any], required: [String], open: Bool = false) -> [String: Any] {
        ["type": "object", "properties": properties, "required": required, "additionalProperties": open]
    }
    /// A request body object: its optional members may also be `null` (read as absent), and
    /// members it does not name are ignored (clients may send more).
    static func input(_ properties: [String: Any], required: [String]) -> [String: Any] {
        var members = properties
        for (name, schema) in properties where !required.contains(name) {
            guard var s = schema as? [String: Any] else { continue }
            if let type = s["type"] as? String {
                s["type"] = [type, "null"]
                if let values = s["enum"] as? [Any] { s["enum"] = values + [NSNull()] }
                members[name] = s
            } else {
                members[name] = ["anyOf": [s, ["type": "null"]]]
            }
        }
        return object(members, required: required, open: true)
    }
    static func oneOf(_ values: [String]) -> [String: Any] { ["type": "string", "enum": values] }
    static func oneOf<E: RawRepresentable & CaseIterable>(_ type: E.Type) -> [String: Any] where E.RawValue == String {
        oneOf(E.allCases.map(\.rawValue))
    }
    /// A query filter: one of the values, or empty for no filter.
    static func filter<E: RawRepresentable & CaseIterable>(_ type: E.Type) -> [String: Any] where E.RawValue == String {
        ["type": "string", "enum": [""] + E.allCases.map(\.rawValue)]
    }

    static var idParam: [String: Any] { ["type": "string", "format": "uuid"] }
    static var text: [String: Any] { ["type": "string"] }
    static var int: [String: Any] { ["type": "integer"] }
    static var number: [String: Any] { ["type": "number"] }
    static var bool: [String: Any] { ["type": "boolean"] }
    static func int(_ range: ClosedRange<Int>) -> [String: Any] { ["type": "integer", "minimum": range.lowerBound, "maximum": range.upperBound] }
    static var count: [String: Any] { ["type": "integer", "minimum": 0] }
    /// A whole number in `range`, or empty for the default (a query value; see the conventions).
    static func intOrEmpty(_ range: ClosedRange<Int>) -> [String: Any] {
        ["anyOf": [int(range), ["type": "string", "maxLength": 0]]]
    }
    /// District (6 digits), town (9), village (12), grid (14) or micro-grid (17).
    static let areaCodePattern = "[0-9]{6}([0-9]{3}([0-9]{3}([0-9]{2}([0-9]{3})?)?)?)?"
    static var areaCode: [String: Any] { ["type": "string", "pattern": "^\(areaCodePattern)$"] }
    /// An area code filter; empty for none.
    static var areaFilter: [String: Any] { ["type": "string", "pattern": "^(\(areaCodePattern))?$"] }
    static var date: [String: Any] { ["type": "string", "format": "date", "description": "YYYY-MM-DD, Asia/Shanghai calendar"] }
    /// An optional day: a date, or empty for none.
    static var dateOrEmpty: [String: Any] {
        ["type": "string", "anyOf": [["format": "date"], ["maxLength": 0]], "description": "YYYY-MM-DD (Asia/Shanghai); empty for none"]
    }
    static var timestamp: [String: Any] {
        ["type": "string", "format": "date-time", "description": "RFC 3339 with an offset; answered in +08:00"]
    }
    /// Characters other than C0/C1 controls.
    static let printable = "[^\\x00-\\x1F\\x7F-\\x9F]"
    /// Characters other than controls and spaces.
    static let visible = "[^\\s\\x00-\\x1F\\x7F-\\x9F]"
    /// One line of text without control characters, at most `max` characters.
    static func line(_ max: Int) -> [String: Any] { ["type": "string", "maxLength": max, "pattern": "^\(printable)*$"] }
    /// As ``line(_:)`` with at least one character that is not a space.
    static func words(_ max: Int) -> [String: Any] {
        ["type": "string", "minLength": 1, "maxLength": max, "pattern": "^\(printable)*[^\\s\\x00-\\x1F\\x7F-\\x9F]\(printable)*$"]
    }
    /// Text that may span lines (tabs and line breaks allowed, other controls not).
    static func paragraph(_ max: Int) -> [String: Any] {
        ["type": "string", "maxLength": max, "pattern": "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$"]
    }
    /// A whole number of a page query (`page` 1…100000, `per` 1…200).
    static var paging: [Param] {
        [Param(name: "page", schema: intOrEmpty(1...100_000), description: "1…100000, default 1 (also when empty)"),
         Param(name: "per", schema: intOrEmpty(1...200), description: "1…200, default 50 (also when empty)")]
    }
    static func q(_ name: String, _ schema: [String: Any], _ description: String, required: Bool = false) -> Param {
        Param(name: name, schema: schema, description: description, required: required)
    }
    static let xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    /// A spreadsheet body: XLSX bytes or CSV text.
    static var spreadsheet: [String: [String: Any]] {
        [xlsxType: ["type": "string", "format": "binary", "contentMediaType": xlsxType, "minLength": 1],
         "text/csv": ["type": "string", "contentMediaType": "text/csv", "minLength": 1,
                      "description": "a header row of known columns, then one row per record; UTF-8 (with or without BOM) or GB18030; comma or semicolon"]]
    }
    /// An image body, recognised by its content.
    static var binary: [String: Any] { ["type": "string", "format": "binary", "minLength": 1] }
    /// A file answer: CSV text or XLSX bytes.
    static func file(_ type: String) -> [String: [String: Any]] {
        type == "text/csv" ? [type: ["type": "string", "contentMediaType": type]]
            : [type: ["type": "string", "format": "binary", "contentMediaType": type]]
    }

    // MARK: Operations

    static var operations: [Operation] { accounts + rankings + reference + campaign + devices + reports + exchange + exports + enforcement + results + open311 }

    static var accounts: [Operation] { [
        Operation(method: "post", path: "/api/v1/auth/token", tag: "accounts",
                  summary: "Sign in: a bearer token for 12 hours (429 with Retry-After after 5 failures in 15 minutes, or 30 from one address in 5)",
                  body: "Credentials", answer: (201, "Token"), errors: [401, 422, 429], secured: false),
        Operation(method: "delete", path: "/api/v1/auth/token", tag: "accounts", summary: "Sign out: revoke this token",
                  answer: (204, nil), errors: []),
        Operation(method: "get", path: "/api/v1/auth/me", tag: "accounts", summary: "The signed-in account",
                  answer: (200, "Account"), errors: []),
        Operation(method: "get", path: "/api/v1/users", tag: "accounts", summary: "Accounts inside the admin's area (admins)",
                  answer: (200, "AccountList"), errors: [403]),
        Operation(method: "post", path: "/api/v1/users", tag: "accounts", summary: "Make an account (district admins; town admins in their town)",
                  body: "NewUserInput", answer: (201, "Account"), errors: [409, 422], headers: ["Location": "/api/v1/users/{id}"]),
        Operation(method: "patch", path: "/api/v1/users/{id}", tag: "accounts",
                  summary: "Change role, area, department, name, password or active; the last active admin of the district or of a town stays one (409)",
                  body: "UserChangeInput", answer: (200, "Account"), errors: [404, 409, 422]),
        Operation(method: "get", path: "/api/v1/clearance", tag: "accounts",
                  summary: "前置入口管: passed or blocked (open hazards with deadlines, closed down, or never inspected); X-API-Key of a licensing system (scope clearance); every call logged",
                  query: [q("creditCode", ["type": "string", "pattern": "^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"],
                            "统一社会信用代码 (GB 32100, 18 characters with its check character); give this or subjectId"),
                          q("subjectId", idParam, "or the subject's id")],
                  answer: (200, "Clearance"), errors: [401, 404, 422], secured: false),
    ] }

    static var rankings: [Operation] { [
        Operation(method: "get", path: "/api/v1/key-hazards", tag: "rankings",
                  summary: "重点隐患企业: the listed enterprises per village, worst first (score, open and overdue hazards, since)",
                  query: [q("areaCode", areaFilter, "within this area")], answer: (200, "KeyHazardEnterprises"), errors: [404]),
        Operation(method: "get", path: "/api/v1/key-hazards/changes", tag: "rankings", summary: "Who entered and left the key list, newest first",
                  query: [q("areaCode", areaFilter, "within this area"), q("limit", int(1...2_000), "1…2000, default 200")],
                  answer: (200, "KeyHazardChanges"), errors: [404, 422]),
        Operation(method: "post", path: "/api/v1/key-hazards/rank", tag: "rankings", summary: "Rank now (admins); also runs daily",
                  answer: (201, "KeyHazardRun"), errors: []),
        Operation(method: "get", path: "/api/v1/tasks", tag: "tasks",
                  summary: "网格日常管: a grid's or micro-grid's inspection tasks for a day (routine by risk, directed), nearest first, with open hazards and the month's quota",
                  query: [q("areaCode", ["type": "string", "pattern": "^([0-9]{14}|[0-9]{17})$"],
                            "the grid (14 digits) or micro-grid (17 digits); a grid or micro-grid worker may leave it out for their own", required: true),
                          q("date", dateOrEmpty, "default today (Asia/Shanghai)"),
                          q("latitude", ["type": "number", "minimum": -90, "maximum": 90], "WGS-84 degrees; give with longitude"),
                          q("longitude", ["type": "number", "minimum": -180, "maximum": 180], "WGS-84 degrees; give with latitude")],
                  answer: (200, "TaskList"), errors: [404, 422]),
        Operation(method: "post", path: "/api/v1/tasks/directed", tag: "tasks", summary: "定向: the town directs an inspection of a subject by a day (admins)",
                  body: "DirectedTaskInput", answer: (201, "DirectedTask"), errors: [404, 422]),
        Operation(method: "get", path: "/api/v1/performance", tag: "rankings",
                  summary: "绩效: villages of a town or grids of a village ranked by the composite score (weights 30/20/10/20/20) and grade A–E for a period of at most a year",
                  query: [q("areaCode", areaFilter, "a district, town or village (default: the reader's area)"),
                          q("from", dateOrEmpty, "default: this month's first day"),
                          q("to", dateOrEmpty, "default: this month's last day; from…to at most 366 days")],
                  answer: (200, "Performance"), errors: [404, 422]),
    ] }

    static var reference: [Operation] { [
        Operation(method: "get", path: "/api/v1/dashboard", tag: "dashboard", summary: "一屏归集: the figures of an area (default: the reader's), read from counters",
                  query: [q("areaCode", areaCode, "district, town, village, grid or micro-grid code")], answer: (200, "DashboardFigures"),
                  errors: [404]),
        Operation(method: "get", path: "/api/v1/areas", tag: "reference", summary: "The area tree, one level at a time",
                  query: [q("level", filter(AreaLevel.self), "area level (default district)"),
                          q("parentCode", areaFilter, "children of this area")], answer: (200, "AreaList"), errors: [404, 422]),
        Operation(method: "get", path: "/api/v1/areas/{code}", tag: "reference", summary: "An area with its lineage and children",
                  answer: (200, "AreaDetail"), errors: [404]),
        Operation(method: "get", path: "/api/v1/checklists/current", tag: "reference", summary: "The unified checklist (一张表) in force",
                  answer: (200, "Checklist"), errors: []),
        Operation(method: "get", path: "/api/v1/checklists/{version}", tag: "reference", summary: "A checklist version",
                  answer: (200, "Checklist"), errors: [404]),
    ] }

    static var hazardFilters: [Param] {
        let states = HazardState.allCases.map(\.rawValue).joined(separator: "|")
        return [q("areaCode", areaFilter, "within this area"), q("subjectId", ["type": "string", "pattern": "^([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})?$"], "of this subject (a UUID)"),
                q("state", ["type": "string", "pattern": "^((\(states))(,(\(states)))*)?$"], "comma list of states"),
                q("severity", filter(Severity.self), "severity"), q("kind", filter(SubjectKind.self), "subject kind"),
                q("department", filter(Department.self), "department of the checklist item"), q("itemCode", text, "checklist item code"),
                q("overdue", bool, "only open hazards past their deadline"),
                q("foundFrom", dateOrEmpty, "found on or after (Asia/Shanghai day)"), q("foundTo", dateOrEmpty, "found on or before")]
    }

    static var campaign: [Operation] { [
        Operation(method: "get", path: "/api/v1/stream", tag: "dashboard",
                  summary: "Live figures of an area as Server-Sent Events: change events (id = seq), figures (the dashboard JSON) within a second of every write, a heartbeat event every 15 s; Last-Event-ID resumes",
                  query: [q("areaCode", areaFilter, "the area (default the account's home area)")],
                  answerTypes: ["text/event-stream": ["type": "string", "contentMediaType": "text/event-stream"]], errors: [404]),
        Operation(method: "get", path: "/api/v1/map", tag: "dashboard",
                  summary: "The wall screen's map (GCJ-02): bubbles per child area, or subjects one by one for a grid or micro-grid or from zoom 14 inside bbox (≤ 3,000)",
                  query: [q("areaCode", areaFilter, "the area (default the account's home area)"),
                          q("zoom", intOrEmpty(0...22), "Leaflet zoom level"),
                          q("bbox", ["type": "string", "pattern": "^(-?[0-9]+(\\.[0-9]+)?,){3}-?[0-9]+(\\.[0-9]+)?$|^$"],
                            "south,west,north,east in GCJ-02 degrees")],
                  answer: (200, "Map"), errors: [404, 422]),
        Operation(method: "get", path: "/api/v1/map/outline", tag: "dashboard", summary: "萧山区's outline, GeoJSON (GCJ-02)",
                  answerTypes: ["application/geo+json": ["type": "object"]], errors: []),
        Operation(method: "get", path: "/api/v1/subjects", tag: "subjects", summary: "Subjects, filtered and paged",
                  query: [q("kind", filter(SubjectKind.self), "subject kind"), q("areaCode", areaFilter, "within this area"),
                          q("colour", ["type": "string", "enum": [""] + SubjectColour.all.map(\.key)], "colour key, e.g. serious.inProgress"),
                          q("q", line(Input.maxSearch), "name, address or credit code contains (wildcards literal, trimmed, full-width folded); at most 200 characters, no control characters"), q("parentId", idParam, "tenants of a park")] + paging,
                  answer: (200, "SubjectPage"), errors: [404, 422]),
        Operation(method: "post", path: "/api/v1/subjects", tag: "subjects",
                  summary: "Register a subject (credit code checked by GB 32100); the same id and particulars again answer 200 with the stored subject",
                  body: "SubjectInput", answer: (201, "Subject"), errors: [409, 422], headers: ["Location": "/api/v1/subjects/{id}"],
                  replay: "the same id and particulars again: the stored subject"),
        Operation(method: "post", path: "/api/v1/photos", tag: "closed loop",
                  summary: "Upload a field photo (the JPEG, PNG or HEIC is the raw body, ≤ 10 MB); 200 when the same content was stored before. Records name it by its id",
                  query: [q("takenAt", timestamp, "when it was taken, if the photo carries no EXIF time"),
                          q("latitude", number, "WGS-84, if the photo carries no EXIF position"), q("longitude", number, "WGS-84")],
                  rawBody: ["image/jpeg": binary, "image/png": binary, "image/heic": binary], answer: (201, "Photo"), errors: [422],
                  replay: "the same content was stored before: the stored photo (this account is now one of its uploaders)"),
        Operation(method: "get", path: "/api/v1/subjects/{id}", tag: "subjects", summary: "A subject with colour history and hazards",
                  answer: (200, "SubjectDetail"), errors: [404]),
        Operation(method: "post", path: "/api/v1/subjects/{id}/close-down", tag: "subjects",
                  summary: "关停: close a subject and its open hazards (admins and comprehensive law enforcement inspectors)",
                  body: "CloseDownInput", answer: (200, "SubjectDetail"), errors: [404, 409, 422]),
        Operation(method: "get", path: "/api/v1/inspections", tag: "inspections", summary: "A subject's inspections",
                  query: [q("subjectId", idParam, "the subject", required: true)], answer: (200, "InspectionList"), errors: [404, 422]),
        Operation(method: "post", path: "/api/v1/inspections", tag: "inspections",
                  summary: "Submit a joint inspection; idempotent by clientId (a repeat answers the same with Idempotent-Replayed)",
                  body: "InspectionSubmission", answer: (201, "Inspection"), errors: [404, 409, 422]),
        Operation(method: "get", path: "/api/v1/inspections/{id}", tag: "inspections", summary: "An inspection",
                  answer: (200, "Inspection"), errors: [404]),
        Operation(method: "post", path: "/api/v1/inspections/{id}/signature", tag: "closed loop",
                  summary: "The responsible party's on-site signature; queues the SMS notice",
                  body: "SignatureInput", answer: (201, "SignatureReceipt"), errors: [404, 409, 422]),
        Operation(method: "get", path: "/api/v1/hazards", tag: "hazards", summary: "Hazards, filtered and paged",
                  query: hazardFilters + paging, answer: (200, "HazardPage"), errors: [404, 422]),
        Operation(method: "get", path: "/api/v1/hazards/{id}", tag: "hazards", summary: "A hazard with its timeline",
                  answer: (200, "Hazard"), errors: [404]),
        Operation(method: "post", path: "/api/v1/hazards/{id}/actions", tag: "hazards",
                  summary: "A transition of the hazard state machine; version in the body or If-Match (409 with the current state when stale)",
                  body: "HazardActionInput", answer: (200, "Hazard"), errors: [404, 409, 422], headers: ["ETag": "the hazard's new version, quoted"]),
        Operation(method: "post", path: "/api/v1/reinspections", tag: "closed loop",
                  summary: "复查 of several hazards of one subject, all or nothing; answers the subject as it stands after",
                  body: "ReinspectionInput", answer: (200, "SubjectDetail"), errors: [404, 409, 422]),
        Operation(method: "post", path: "/api/v1/sync", tag: "closed loop", summary: "Offline events from a device, idempotent by device id and seq",
                  body: "SyncInput", answer: (200, "SyncResults"), errors: [422]),
        Operation(method: "get", path: "/api/v1/messages", tag: "closed loop", summary: "The SMS outbox (phones masked, links redacted)",
                  query: [q("state", filter(RecipientState.self), "recipient state"), q("kind", filter(MessageKind.self), "message kind"),
                          q("subjectId", ["type": "string", "pattern": "^([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})?$"], "of this subject (a UUID)")] + paging,
                  answer: (200, "MessagePage"), errors: [404, 422]),
    ] }

    static var exchange: [Operation] { [
        Operation(method: "get", path: "/api/v1/changes", tag: "exchange",
                  summary: "Change feed: hazard events in commit order after a cursor",
                  query: [q("after", ["type": "string", "pattern": "^[0-9]{0,18}$"], "the `next` of the previous page; empty for the beginning"),
                          q("limit", int(1...5_000), "1…5000, default 500"), q("townCode", ["type": "string", "pattern": "^([0-9]{9})?$"], "only this town")],
                  answer: (200, "ChangesPage")),
        Operation(method: "post", path: "/api/v1/webhooks", tag: "exchange",
                  summary: "Subscribe a public http(s) URL to the change feed (HMAC-SHA256 signed POSTs, retried with backoff; admins)",
                  body: "WebhookInput", answer: (201, "Webhook"), errors: [422]),
        Operation(method: "get", path: "/api/v1/webhooks", tag: "exchange", summary: "Webhook subscriptions, active and stopped (secrets not shown; admins)",
                  answer: (200, "WebhookList"), errors: [403]),
        Operation(method: "delete", path: "/api/v1/webhooks/{id}", tag: "exchange", summary: "Stop a subscription; answers it as stopped",
                  answer: (200, "Webhook"), errors: [404]),
        Operation(method: "get", path: "/api/v1/webhooks/{id}/deliveries", tag: "exchange", summary: "The latest 100 delivery attempts of an active subscription",
                  answer: (200, "WebhookDeliveries"), errors: [403, 404]),
        Operation(method: "post", path: "/api/v1/imports", tag: "exchange",
                  summary: "Import a ledger (台账): the .xlsx or .csv file is the raw body (≤ 64 MB); per-row report, stored under its id (admins)",
                  query: [q("kind", oneOf(ImportKind.self), "subjects (default), hazards, incidents (日期, 村(社区) or 镇街, 类型 + 数量 or a column per kind: 有效警情, 火警, 交通事故) or devices (平台, 设备编号, 设备类型, 厂商, 统一社会信用代码 or 检查对象名称 + 村(社区), 安装日期; 房间, 经度, 纬度 optional)"),
                          q("dryRun", bool, "report only, write nothing (the file is kept to apply later)"),
                          q("fileName", text, "shown in the report"), q("town", areaFilter, "resolve village names within this town")],
                  rawBody: spreadsheet, answer: (201, "ImportReport"), errors: [422]),
        Operation(method: "get", path: "/api/v1/imports/{id}", tag: "exchange", summary: "A stored import report (admins)",
                  answer: (200, "ImportReport"), errors: [403, 404]),
        Operation(method: "post", path: "/api/v1/imports/{id}/apply", tag: "exchange", summary: "Apply the file of a stored dry run (once)",
                  answer: (201, "ImportReport"), errors: [404, 409, 422]),
        Operation(method: "get", path: "/api/v1/imports/{id}/rejected.csv", tag: "exchange",
                  summary: "The rejected rows with a 导入问题 column, as CSV (UTF-8 BOM), to fix and import again",
                  answerTypes: file("text/csv"), errors: [403, 404]),
        Operation(method: "get", path: "/api/v1/imports/{id}/rejected.xlsx", tag: "exchange",
                  summary: "The rejected rows with a 导入问题 column, as XLSX", answerTypes: file(xlsxType), errors: [403, 404]),
    ] }

    /// Ledger exports: subjects, hazards (with timelines) and the per-village summary, as XLSX and CSV.
    static var exports: [Operation] {
        let subjectFilters: [Param] = [
            q("areaCode", areaFilter, "within this area"), q("kind", filter(SubjectKind.self), "subject kind"),
            q("colour", ["type": "string", "enum": [""] + SubjectColour.all.map(\.key)], "colour key"), q("q", line(Input.maxSearch), "name, address or credit code contains; at most 200 characters, no control characters")]
        let villageFilters: [Param] = [
            q("areaCode", areaFilter, "the town (default 瓜沥镇) or district whose children are listed"),
            q("kind", filter(SubjectKind.self), "only this kind's columns")]
        var out: [Operation] = []
        for ext in ["xlsx", "csv"] {
            let what = ext == "xlsx" ? "XLSX (date and number cells; at most \(ExportsController.xlsxRowLimit) rows, else 422)" : "CSV (UTF-8 BOM, streamed)"
            let type = ext == "xlsx" ? xlsxType : "text/csv"
            out.append(Operation(method: "get", path: "/api/v1/exports/subjects.\(ext)", tag: "exchange",
                                 summary: "Subjects as a ledger, \(what); importable as it is", query: subjectFilters,
                                 answerTypes: file(type), errors: [404, 422], headers: ["Content-Disposition": "attachment; the file name"]))
            out.append(Operation(method: "get", path: "/api/v1/exports/hazards.\(ext)", tag: "exchange",
                                 summary: "Hazards with their days, state and timeline, \(what); importable as it is", query: hazardFilters,
                                 answerTypes: file(type), errors: [404, 422], headers: ["Content-Disposition": "attachment; the file name"]))
            out.append(Operation(method: "get", path: "/api/v1/exports/villages.\(ext)", tag: "exchange",
                                 summary: "The dashboard's per-village summary, \(what)", query: villageFilters,
                                 answerTypes: file(type), errors: [404, 422], headers: ["Content-Disposition": "attachment; the file name"]))
        }
        return out
    }

    static var enforcement: [Operation] { [
        Operation(method: "get", path: "/api/v1/enforcement", tag: "enforcement",
                  summary: "综合执法: actions, share of the district total (%), enterprises closed and with demolitions, m² demolished, 亩 freed",
                  query: [q("areaCode", areaFilter, "district, town (default: yours) or an area below a town")],
                  answer: (200, "EnforcementFigures"), errors: [404]),
        Operation(method: "get", path: "/api/v1/enforcement/actions", tag: "enforcement",
                  summary: "Enforcement actions concerning subjects in your area, latest first",
                  query: [q("areaCode", areaFilter, "within this area")] + paging,
                  answer: (200, "EnforcementActionPage"), errors: [404, 422]),
        Operation(method: "post", path: "/api/v1/enforcement/actions", tag: "enforcement",
                  summary: "Record an action of a joint team at subjects in your area (a closure ordered closes them down)",
                  body: "EnforcementActionInput", answer: (201, "EnforcementAction"), errors: [404, 422]),
        Operation(method: "get", path: "/api/v1/enforcement/teams", tag: "enforcement", summary: "The joint teams of your town",
                  query: [q("townCode", ["type": "string", "pattern": "^([0-9]{9})?$"], "district readers: this town's")],
                  answer: (200, "EnforcementTeams"), errors: [422]),
        Operation(method: "post", path: "/api/v1/enforcement/teams", tag: "enforcement",
                  summary: "Make a joint team (admins): members from at least 2 departments", body: "EnforcementTeamInput",
                  answer: (201, "EnforcementTeam"), errors: [422]),
    ] }

    /// The campaign's results: incident counts with 同比 and 环比.
    static var results: [Operation] { [
        Operation(method: "get", path: "/api/v1/incidents", tag: "results",
                  summary: "有效警情 / 火警 / 交通事故: counts of an area (a town: its own and its villages'; the district: every town's) for a period, with 同比 (the same days a year earlier) and 环比 (the period of the same length before), per kind and per child area",
                  query: [q("areaCode", areaFilter, "district, town or village (default: the reader's home area); a grid or micro-grid is 422"),
                          q("from", dateOrEmpty, "first day (Asia/Shanghai); default: \(IncidentsController.defaultDays) days before to"),
                          q("to", dateOrEmpty, "last day; default yesterday; from…to at most \(ReportingPeriod.maximumDays) days")],
                  answer: (200, "IncidentFigures"), errors: [404, 422]),
    ] }

    /// Open311 GeoReport v2, each in `.json` and `.xml`; errors are GeoReport error lists in the same format.
    static var open311: [Operation] {
        let xml: [String: Any] = ["type": "string", "contentMediaType": "application/xml"]
        return Open311Controller.Format.allCases.flatMap { f -> [Operation] in
            let x = f.rawValue
            func body(_ schema: String) -> [String: [String: Any]] {
                f == .json ? ["application/json": ref(schema)] : ["application/xml": xml]
            }
            return [
                Operation(method: "get", path: "/open311/v2/services.\(x)", tag: "open311", summary: "Services: one per checklist item",
                          answerTypes: body("Open311Services"), errors: [401, 403], secured: false, geoReport: f),
                Operation(method: "get", path: "/open311/v2/requests.\(x)", tag: "open311",
                          summary: "Service requests: hazards and reported requests (default the last 90 days; newest first, ≤ 1,000)",
                          query: [q("service_request_id", text, "comma-separated ids (at most 50, else 400); other filters then ignored"),
                                  q("service_code", text, "checklist item code"), q("start_date", ["type": "string", "format": "date-time"], "RFC 3339"),
                                  q("end_date", ["type": "string", "format": "date-time"], "RFC 3339; default now"),
                                  q("status", ["type": "string", "enum": ["", "open", "closed"]], "open or closed")],
                          answerTypes: body("Open311Requests"), errors: [400, 401, 403, 422], secured: false, geoReport: f),
                Operation(method: "post", path: "/open311/v2/requests.\(x)", tag: "open311",
                          summary: "Report a service request with the api_key of a client of scope open311 (a repeat answers the first, 200 with Idempotent-Replayed)",
                          rawBody: ["application/x-www-form-urlencoded": ref("Open311ReportInput"), "application/json": ref("Open311ReportInput")],
                          answerTypes: body("Open311Created"), errors: [400, 401, 403, 413, 415, 422], secured: false, geoReport: f),
            ]
        } + [
            Operation(method: "get", path: "/open311/v2/services/{file}", tag: "open311", summary: "Service definition: `{code}.json` or `{code}.xml`",
                      answerTypes: ["application/json": ref("Open311ServiceDefinition"), "application/xml": xml], errors: [401, 403, 404],
                      secured: false, geoReport: .some(nil)),
            Operation(method: "get", path: "/open311/v2/requests/{file}", tag: "open311", summary: "One service request: `{id}.json` or `{id}.xml`",
                      answerTypes: ["application/json": ref("Open311Requests"), "application/xml": xml], errors: [401, 403, 404],
                      secured: false, geoReport: .some(nil)),
            Operation(method: "get", path: "/open311/v2/tokens/{file}", tag: "open311", summary: "The request id of a token: `{token}.json` or `{token}.xml`",
                      answerTypes: ["application/json": ref("Open311Tokens"), "application/xml": xml], errors: [401, 403, 404],
                      secured: false, geoReport: .some(nil)),
        ]
    }

    // MARK: Schemas

    /// Request bodies and answers (JSON Schema 2020-12, as OpenAPI 3.1 uses), member by member
    /// as the DTO types encode them.
    static var schemas: [String: Any] {
        let name = words(TextRules.personName)
        let reason = paragraph(TextRules.note)
        let uuid = idParam
        let photoID: [String: Any] = ["type": "string", "pattern": "^[0-9a-f]{64}$", "description": "SHA-256 of an uploaded photo (POST /api/v1/photos)"]
        let phone: [String: Any] = [
            "type": "string", "maxLength": 40,
            "pattern": "^(\\+?86[ -]?)?1[3-9][0-9]([ -]?[0-9]{4}){2}$|^0[0-9]{2,3}-?[1-9][0-9]{6,7}$",
            "description": "a mainland mobile (13800000000, +86 138 0000 0000) or landline with its area code (0571-82345678)"]
        let location = input(["latitude": ["type": "number", "minimum": -90, "maximum": 90],
                               "longitude": ["type": "number", "minimum": -180, "maximum": 180],
                               "datum": oneOf(Datum.self)], required: ["latitude", "longitude"])
        let locationOut = object(["latitude": number, "longitude": number, "datum": oneOf(Datum.self)],
                                 required: ["latitude", "longitude", "datum"])
        let member = input(["name": name, "department": oneOf(Department.self)], required: ["name", "department"])
        let memberOut = object(["name": text, "department": oneOf(Department.self)], required: ["name", "department"])
        let result = input(["itemCode": ["type": "string", "pattern": "^[A-Z]+-[0-9]{2}$"], "outcome": oneOf(ItemOutcome.self),
                             "note": paragraph(TextRules.note),
                             "photos": array(line(TextRules.photoReference), max: TextRules.photosPerItem),
                             "severity": oneOf(Severity.self), "dueOn": dateOrEmpty, "mode": oneOf(RectificationMode.self),
                             "rectifiedOnSite": bool],
                            required: ["itemCode", "outcome"])
        let localized = object(["zh": text, "en": text], required: ["zh", "en"])
        let problemItem = object(["column": text, "columnLetters": text, "reason": text, "severity": oneOf(["error", "warning"])],
                                 required: ["reason", "severity"])
        func page(_ item: String) -> [String: Any] {
            object(["items": array(ref(item)), "page": int(1...100_000), "per": int(1...200), "total": count],
                   required: ["items", "page", "per", "total"])
        }
        let userProperties: [String: Any] = [
            "username": ["type": "string", "pattern": "^\\s*[a-z0-9._-]{3,32}\\s*$", "description": "3–32 of a-z 0-9 . _ - (stored lowered)"],
            "displayName": line(TextRules.personName),
            "password": ["type": "string", "minLength": 8, "maxLength": 24,
                         "description": "8 characters or more, at most 72 bytes (UTF-8), not containing the user name"],
            "role": oneOf(Role.self), "areaCode": areaCode,
            "department": oneOf(Department.self), "active": bool]
        let geoReportError = object(["code": int, "description": text], required: ["code", "description"])
        return [
            // Accounts
            "Credentials": object(["username": ["type": "string", "maxLength": 200], "password": ["type": "string", "maxLength": 200]],
                                  required: ["username", "password"]),
            "Token": object(["token": text, "tokenType": oneOf(["Bearer"]), "expiresIn": count, "expiresAt": timestamp,
                             "account": ref("Account")], required: ["token", "tokenType", "expiresIn", "expiresAt", "account"]),
            "Account": object(["id": uuid, "username": text, "displayName": text, "role": oneOf(Role.self), "roleZh": text,
                               "areaCode": areaCode, "department": oneOf(Department.self), "active": bool,
                               "csrfToken": text.merging(["description": "GET /api/v1/auth/me with the session cookie: the token scripts send in X-CSRF-Token"]) { $1 }],
                              required: ["id", "username", "displayName", "role", "roleZh", "areaCode", "active"]),
            "AccountList": array(ref("Account")),
            "NewUserInput": input(userProperties, required: ["username", "password", "role", "areaCode"]),
            "UserChangeInput": input(userProperties.filter { $0.key != "username" }, required: []),
            "Clearance": object(["result": oneOf(["passed", "blocked"]), "reason": text, "subjectId": uuid, "name": text,
                                 "creditCode": text, "kind": oneOf(SubjectKind.self), "closedDown": bool, "inspected": bool,
                                 "blockingHazards": array(object(["id": uuid, "itemCode": text, "item": text, "department": oneOf(Department.self),
                                                                  "severity": oneOf(Severity.self), "state": oneOf(HazardState.self),
                                                                  "dueOn": date, "overdue": bool],
                                                                 required: ["id", "itemCode", "department", "severity", "state", "dueOn", "overdue"])),
                                 "checkedAt": timestamp],
                                required: ["result", "reason", "subjectId", "name", "kind", "closedDown", "inspected", "blockingHazards", "checkedAt"]),
            "Problem": object(["type": text, "title": text, "status": ["type": "integer", "minimum": 400, "maximum": 599], "detail": text,
                               "field": ["type": "string", "description": "the input at fault, e.g. results[2].itemCode"]],
                              required: ["type", "title", "status", "detail"], open: true)
                .merging(["description": "RFC 9457; extra members (such as currentState) are strings"]) { $1 },

            // Reference
            "Area": object(["code": areaCode, "name": text, "shortName": text, "level": oneOf(AreaLevel.self), "parentCode": areaCode,
                            "villageKind": oneOf(VillageKind.self)], required: ["code", "name", "shortName", "level"]),
            "AreaList": array(ref("Area")),
            "AreaDetail": object(["area": ref("Area"), "lineage": array(ref("Area")), "children": array(ref("Area"))],
                                 required: ["area", "lineage", "children"]),
            "LocalizedText": localized,
            "ChecklistItem": object(["code": text, "zh": text, "en": text, "department": oneOf(Department.self),
                                     "category": oneOf(HazardCategory.self), "defaultSeverity": oneOf(Severity.self),
                                     "defaultDays": count, "legalBasis": text, "subjectKinds": array(oneOf(SubjectKind.self))],
                                    required: ["code", "zh", "en", "department", "category", "defaultSeverity", "defaultDays", "legalBasis", "subjectKinds"]),
            "Checklist": object(["version": int, "title": ref("LocalizedText"), "publishedOn": date, "items": array(ref("ChecklistItem"))],
                                required: ["version", "title", "publishedOn", "items"]),

            // Subjects and hazards
            "Colour": object(["key": oneOf(SubjectColour.all.map(\.key)), "category": oneOf(ColourCategory.self),
                              "situation": oneOf(ColourSituation.self), "zh": text, "en": text,
                              "hex": ["type": "string", "pattern": "^#[0-9A-Fa-f]{6}$"]], required: ["key", "category", "zh", "en", "hex"]),
            "Location": locationOut,
            "Subject": object(["id": uuid, "kind": oneOf(SubjectKind.self), "name": text, "address": text, "creditCode": text,
                               "aboveScale": bool, "rooms": int, "parentId": uuid, "townCode": areaCode, "villageCode": areaCode,
                               "gridCode": areaCode, "microGridCode": areaCode,
                               "party": object(["name": text, "phone": ["type": "string", "description": "masked (138****0000) unless the reader's role calls parties"],
                                                "smsCapable": bool], required: ["name", "phone", "smsCapable"]),
                               "location": ref("Location"), "locationGCJ02": ref("Location"), "colour": ref("Colour"),
                               "closedDownAt": timestamp, "createdAt": timestamp],
                              required: ["id", "kind", "name", "address", "aboveScale", "townCode", "villageCode", "gridCode", "microGridCode",
                                         "party", "createdAt"]),
            "SubjectPage": page("Subject"),
            "SubjectDetail": object(["subject": ref("Subject"), "keyHazardEnterprise": bool, "hazards": array(ref("Hazard")),
                                     "colourHistory": array(object(["colour": ref("Colour"), "previous": text, "cause": text, "changedAt": timestamp],
                                                                   required: ["cause", "changedAt"]))],
                                    required: ["subject", "keyHazardEnterprise", "hazards", "colourHistory"]),
            "Map": object(["datum": oneOf(["GCJ-02"]), "mode": oneOf(["areas", "points"]),
                           "areas": array(object(["code": areaCode, "name": text, "latitude": number, "longitude": number, "subjects": count,
                                                  "hazardsOpen": count, "overdue": count, "keyHazard": count],
                                                 required: ["code", "name", "latitude", "longitude", "subjects", "hazardsOpen", "overdue", "keyHazard"])),
                           "points": array(object(["id": uuid, "name": text, "kind": oneOf(SubjectKind.self), "colour": text,
                                                   "hex": ["type": "string", "pattern": "^#[0-9a-fA-F]{6}$"], "keyHazard": bool, "overdue": bool,
                                                   "latitude": number, "longitude": number],
                                                  required: ["id", "name", "kind", "keyHazard", "overdue", "latitude", "longitude"])),
                           "truncated": bool, "tileURL": text],
                          required: ["datum", "mode", "areas", "points", "truncated"]),
            "Photo": object(["id": photoID, "sha256": photoID, "format": oneOf(["jpeg", "png", "heic"]), "byteCount": count,
                             "takenAt": timestamp, "latitude": number, "longitude": number, "metadataSource": oneOf(["exif", "client", "exif+client"]),
                             "url": text], required: ["id", "sha256", "format", "byteCount", "url"]),
            "SubjectInput": input(["id": uuid.merging(["description": "chosen by the client (UUID) so a replay from an offline phone is idempotent"]) { $1 },
                                    "kind": oneOf(SubjectKind.self), "name": words(TextRules.subjectName),
                                    "address": words(TextRules.address),
                                    "creditCode": ["type": "string", "pattern": "^([0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10})?$",
                                                   "description": "统一社会信用代码, GB 32100: 18 characters with its check character; empty for none"],
                                    "aboveScale": bool, "rooms": int(1...10_000), "parentId": uuid,
                                    "microGridCode": ["type": "string", "pattern": "^[0-9]{17}$"],
                                    "party": object(["name": name, "phone": phone], required: ["name", "phone"]), "location": location],
                                   required: ["kind", "name", "address", "microGridCode", "party"]).merging(["allOf": [
                // An enterprise has its credit code and may be above designated size; only rental housing has rooms (and must).
                ["if": ["properties": ["kind": ["const": SubjectKind.enterprise.rawValue]]],
                 "then": ["required": ["creditCode"], "properties": ["creditCode": ["type": "string", "minLength": 18]]],
                 "else": ["properties": ["aboveScale": ["enum": [false, NSNull()]]]]],
                ["if": ["properties": ["kind": ["const": SubjectKind.rentalHousing.rawValue]]],
                 "then": ["required": ["rooms"], "properties": ["rooms": ["type": "integer"]]],
                 "else": ["properties": ["rooms": ["type": "null"]]]],
            ]]) { $1 },
            "CloseDownInput": input(["actor": name, "reason": words(TextRules.note), "occurredAt": timestamp], required: ["actor", "reason"]),
            "HazardEvent": object(["seq": int, "kind": oneOf(HazardEventKind.self), "label": text, "fromState": oneOf(HazardState.self),
                                   "toState": oneOf(HazardState.self), "actor": text, "reason": text, "occurredAt": timestamp,
                                   "recordedAt": timestamp, "dueAt": timestamp, "deviceId": text, "deviceSeq": int, "late": bool,
                                   "hash": ["type": "string", "pattern": "^[0-9a-f]{64}$"]],
                                  required: ["seq", "kind", "label", "toState", "actor", "occurredAt", "recordedAt", "late", "hash"]),
            "Hazard": object(["id": uuid, "subjectId": uuid, "subjectKind": oneOf(SubjectKind.self), "inspectionId": uuid,
                              "villageCode": areaCode, "gridCode": areaCode, "microGridCode": areaCode, "checklistVersion": int,
                              "itemCode": text, "item": ref("LocalizedText"), "legalBasis": text, "department": oneOf(Department.self),
                              "category": oneOf(HazardCategory.self), "severity": oneOf(Severity.self), "mode": oneOf(RectificationMode.self),
                              "state": oneOf(HazardState.self), "stateLabel": ref("LocalizedText"), "foundAt": timestamp, "dueAt": timestamp,
                              "dueOn": date, "rectifiedAt": timestamp, "overdue": bool, "reboundCount": count, "version": int,
                              "note": text, "photos": array(text), "events": array(ref("HazardEvent"))],
                             required: ["id", "subjectId", "subjectKind", "inspectionId", "villageCode", "gridCode", "microGridCode",
                                        "checklistVersion", "itemCode", "department", "category", "severity", "mode", "state", "stateLabel",
                                        "foundAt", "dueAt", "dueOn", "overdue", "reboundCount", "photos", "version"]),
            "HazardPage": page("Hazard"),
            "HazardActionInput": input(["action": oneOf(HazardAction.allCases.filter { $0 != .closeDown }.map(\.rawValue)),
                                         "actor": name, "reason": reason, "dueOn": dateOrEmpty, "occurredAt": timestamp,
                                         "version": int(1...Int(Int32.max))],
                                        required: ["action", "actor"]),

            // Inspections and the closed loop
            "InspectionSubmission": input(["clientId": ["type": "string", "minLength": 1, "maxLength": 100, "pattern": "^\(visible)(\(printable)*\(visible))?$"],
                                            "subjectId": uuid, "checklistVersion": int(1...100_000), "inspectedAt": timestamp,
                                            "inspector": name, "team": array(member, max: TextRules.teamMembers).merging(["minItems": 1]) { $1 },
                                            "results": array(result).merging(["minItems": 1]) { $1 }],
                                           required: ["clientId", "subjectId", "inspectedAt", "inspector", "team", "results"]),
            "Inspection": object(["id": uuid, "clientId": text, "subjectId": uuid, "checklistVersion": int, "inspectedAt": timestamp,
                                  "inspector": text, "team": array(memberOut),
                                  "results": array(object(["itemCode": text, "outcome": oneOf(ItemOutcome.self), "note": text,
                                                           "hazardId": uuid, "linked": bool], required: ["itemCode", "outcome"])),
                                  "hazards": array(ref("Hazard")), "subjectColour": ref("Colour")],
                                 required: ["id", "clientId", "subjectId", "checklistVersion", "inspectedAt", "inspector", "team", "results", "hazards"]),
            "InspectionList": array(ref("Inspection")),
            "SignatureInput": input(["signerName": name, "signerPhone": phone, "signedAt": timestamp,
                                      "image": ["type": "string", "minLength": 136, "maxLength": 720_000,
                                                "pattern": "^(data:image/png;base64,)?([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$",
                                                "description": "PNG as data:image/png;base64,… or bare base64 (100 bytes … 512 KB decoded)"],
                                      "location": location], required: ["signerName", "image"]),
            "SignatureReceipt": object(["inspectionId": uuid, "noticeNumber": text, "signedAt": timestamp,
                                        "recordSha256": ["type": "string", "pattern": "^[0-9a-f]{64}$"], "smsQueued": bool, "smsBody": text,
                                        "smsSegments": int, "noticeUrl": text],
                                       required: ["inspectionId", "noticeNumber", "signedAt", "recordSha256", "smsQueued", "noticeUrl"]),
            "ReinspectionInput": input(["subjectId": uuid, "inspector": name, "reinspectedAt": timestamp,
                                         "results": array(input(
                                            ["hazardId": uuid, "outcome": oneOf(ReinspectionController.Outcome.self),
                                             "reason": reason, "dueOn": dateOrEmpty, "version": int(1...Int(Int32.max)),
                                             "photos": array(photoID, max: TextRules.photosPerItem)], required: ["hazardId", "outcome"]))
                                            .merging(["minItems": 1]) { $1 }],
                                        required: ["subjectId", "inspector", "results"]),
            "SyncInput": input(["deviceId": words(100), "events": array(input(
                ["seq": int(0...Int(Int32.max)), "hazardId": uuid, "action": oneOf(HazardAction.allCases.filter { $0 != .closeDown }.map(\.rawValue)),
                 "clientTime": timestamp, "actor": line(TextRules.personName).merging(["description": "a blank actor rejects the event (status rejected), not the batch"]) { $1 },
                 "reason": reason, "dueOn": dateOrEmpty],
                required: ["seq", "hazardId", "action", "clientTime", "actor"]), max: 1_000)], required: ["deviceId", "events"]),
            "SyncResults": array(object(["seq": int, "status": oneOf(["applied", "duplicate", "rejected"]), "late": bool, "reason": text],
                                        required: ["seq", "status", "late"])),
            "MessagePage": page("Message"),
            "Message": object(["id": uuid, "kind": oneOf(MessageKind.self), "subjectId": uuid, "inspectionId": uuid, "hazardId": uuid,
                               "body": text, "segments": count, "createdAt": timestamp,
                               "recipients": array(object(["phone": text, "state": oneOf(RecipientState.self), "attempts": count,
                                                           "lastError": text, "nextAttemptAt": timestamp, "sentAt": timestamp,
                                                           "deliveredAt": timestamp, "provider": text],
                                                          required: ["phone", "state", "attempts"]))],
                              required: ["id", "kind", "body", "segments", "createdAt", "recipients"]),

            // Dashboard
            "DashboardFigures": {
                let rate: [String: Any] = ["type": "number", "minimum": 0, "maximum": 100]
                let kind = object(["kind": oneOf(SubjectKind.self), "zh": text, "en": text, "subjectsInspected": count, "roomsInspected": count,
                                   "hazardsFound": count, "hazardsRectified": count, "hazardsOpen": count,
                                   "rectificationRate": rate, "rectificationRateText": text],
                                  required: ["kind", "zh", "en", "subjectsInspected", "hazardsFound", "hazardsRectified", "hazardsOpen",
                                             "rectificationRate", "rectificationRateText"])
                return object([
                    "area": ref("Area"), "generatedAt": timestamp,
                    "byKind": ["type": "object", "propertyNames": oneOf(SubjectKind.self), "additionalProperties": kind],
                    "kinds": array(kind), "hazardsFound": count, "hazardsRectified": count, "rectificationRate": rate,
                    "rectificationRateText": text,
                    "colours": array(object(["colour": ref("Colour"), "subjects": count], required: ["colour", "subjects"])),
                    "ranking": array(object(["rank": int, "code": areaCode, "name": text, "hazardsFound": count, "hazardsRectified": count,
                                             "hazardsOpen": count, "hazardsOverdue": count, "rectificationRate": rate, "rectificationRateText": text],
                                            required: ["rank", "code", "name", "hazardsFound", "hazardsRectified", "hazardsOpen", "hazardsOverdue",
                                                       "rectificationRate", "rectificationRateText"])),
                    "overdueCount": count, "keyHazardEnterprises": count,
                    "overdueBySeverity": ["type": "object", "propertyNames": oneOf(Severity.self), "additionalProperties": count],
                    "overdueOldest": array(object(["id": uuid, "subjectId": uuid, "subjectName": text, "itemCode": text,
                                                   "severity": oneOf(Severity.self), "state": oneOf(HazardState.self), "dueOn": date,
                                                   "daysOverdue": count],
                                                  required: ["id", "subjectId", "subjectName", "itemCode", "severity", "state", "dueOn", "daysOverdue"])),
                    "trend": array(object(["date": date, "found": count, "rectified": count], required: ["date", "found", "rectified"])),
                ], required: ["area", "generatedAt", "byKind", "kinds", "hazardsFound", "hazardsRectified", "rectificationRate",
                              "rectificationRateText", "colours", "ranking", "overdueCount", "keyHazardEnterprises", "overdueBySeverity",
                              "overdueOldest", "trend"])
            }(),

            // Rankings and tasks
            "KeyHazardEnterprises": array(object(["subjectId": uuid, "name": text, "villageCode": areaCode, "gridCode": areaCode,
                                                  "rank": int, "quota": int, "points": count, "openHazards": count, "overdueHazards": count,
                                                  "since": date],
                                                 required: ["subjectId", "name", "villageCode", "gridCode", "rank", "quota", "points",
                                                            "openHazards", "overdueHazards", "since"])),
            "KeyHazardChanges": array(object(["subjectId": uuid, "name": text, "villageCode": areaCode, "change": oneOf(["entered", "left"]),
                                              "why": text, "points": count, "rank": int, "asOf": date],
                                             required: ["subjectId", "villageCode", "change", "why", "asOf"])),
            "KeyHazardRun": object(["id": uuid, "asOf": date, "ranAt": timestamp, "trigger": text, "villagesRanked": count,
                                    "villagesNotRanked": count, "enterprisesListed": count, "entered": count, "left": count],
                                   required: ["id", "asOf", "ranAt", "trigger", "villagesRanked", "villagesNotRanked", "enterprisesListed",
                                              "entered", "left"]),
            "DirectedTaskInput": input(["subjectId": uuid, "dueOn": date, "reason": words(TextRules.note)],
                                        required: ["subjectId", "dueOn", "reason"]),
            "DirectedTask": object(["id": uuid, "subjectId": uuid, "assignedBy": text, "assignedOn": date, "dueOn": date,
                                    "reason": text, "completedOn": date],
                                   required: ["id", "subjectId", "assignedBy", "assignedOn", "dueOn", "reason"]),
            "TaskList": object([
                "date": date, "areaCode": areaCode,
                "quota": object(["worker": oneOf(TaskQuota.Worker.self), "period": oneOf(QuotaPeriod.self), "from": date, "through": date,
                                 "target": count, "done": count, "remaining": count, "met": bool],
                                required: ["worker", "period", "from", "through", "target", "done", "remaining", "met"]),
                "tasks": array(object([
                    "subjectId": uuid, "name": text, "address": text, "kind": oneOf(SubjectKind.self), "colour": ref("Colour"),
                    "keyHazardEnterprise": bool, "dueOn": date, "overdue": bool, "overdueDays": count,
                    "reason": oneOf(InspectionFrequency.Reason.self), "intervalDays": count, "directed": array(ref("DirectedTask")),
                    "distanceMetres": count,
                    "openHazards": array(object(["id": uuid, "itemCode": text, "item": text, "severity": oneOf(Severity.self),
                                                 "dueOn": date, "overdue": bool], required: ["id", "itemCode", "severity", "dueOn", "overdue"]))],
                    required: ["subjectId", "name", "address", "kind", "keyHazardEnterprise", "dueOn", "overdue", "overdueDays",
                               "directed", "openHazards"])),
                "reports": array(object(["id": uuid, "item": text, "description": text, "address": text, "subjectId": uuid, "subjectName": text,
                                         "receivedAt": timestamp, "ageMinutes": count, "overdue": bool],
                                        required: ["id", "item", "receivedAt", "ageMinutes", "overdue"]))],
                required: ["date", "areaCode", "quota", "reports", "tasks"]),
            "Performance": object([
                "areaCode": areaCode, "from": date, "to": date,
                "weights": ["type": "object", "propertyNames": oneOf(PerformanceScore.Component.self), "additionalProperties": count],
                "rows": array(object(["rank": int, "code": areaCode, "name": text, "worker": text, "score": ["type": "number", "minimum": 0, "maximum": 100],
                                      "grade": oneOf(PerformanceGrade.self), "gradeZh": text, "tasksDue": count, "tasksDoneOnTime": count,
                                      "hazardsReported": count, "reportsConfirmed": count, "reinspectionsDue": count,
                                      "reinspectionsDoneOnTime": count, "rectificationRateText": text,
                                      "parts": ["type": "object", "propertyNames": oneOf(PerformanceScore.Component.self), "additionalProperties": number]],
                                     required: ["code", "name", "tasksDue", "tasksDoneOnTime", "hazardsReported", "reportsConfirmed",
                                                "reinspectionsDue", "reinspectionsDoneOnTime", "rectificationRateText", "parts"]))],
                required: ["areaCode", "from", "to", "weights", "rows"]),

            // Exchange
            "ChangesPage": object(["changes": array(object(
                ["cursor": ["type": "string", "pattern": "^[0-9]+$"], "hazardId": uuid, "subjectId": uuid, "townCode": areaCode,
                 "event": ref("HazardEvent")],
                required: ["cursor", "hazardId", "subjectId", "townCode", "event"])),
                "next": ["type": "string", "pattern": "^[0-9]+$"], "hasMore": bool], required: ["changes", "next", "hasMore"]),
            "WebhookInput": input(["url": ["type": "string", "format": "uri", "maxLength": 1_000, "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://",
                                            "description": "http or https, to a public address (loopback, private and reserved addresses are refused)"],
                                    "secret": ["type": "string", "minLength": 16, "maxLength": 200, "pattern": "^[\\x21-\\x7E]*$",
                                               "description": "printable ASCII; made for you when absent"],
                                    "from": oneOf(["now", "beginning"])], required: ["url"]),
            "Webhook": object(["id": uuid, "url": text, "secret": ["type": "string", "description": "only in the answer to its creation"],
                               "cursor": ["type": "string", "pattern": "^[0-9]+$"], "active": bool, "failures": count,
                               "nextAttemptAt": timestamp, "lastError": text],
                              required: ["id", "url", "cursor", "active", "failures", "nextAttemptAt"]),
            "WebhookList": array(ref("Webhook")),
            "WebhookDeliveries": array(object(["deliveryId": uuid, "firstCursor": text, "lastCursor": text, "events": count,
                                               "status": int, "error": text, "attemptedAt": timestamp, "durationMs": count],
                                              required: ["deliveryId", "firstCursor", "lastCursor", "events", "attemptedAt", "durationMs"])),
            "ImportReport": object(["id": uuid, "kind": oneOf(ImportKind.self), "dryRun": bool, "format": text,
                                    "totals": object(["rows": count, "created": count, "updated": count, "unchanged": count, "rejected": count],
                                                     required: ["rows", "created", "updated", "unchanged", "rejected"]),
                                    "fileProblems": array(problemItem),
                                    "rows": array(object([
                                        "row": int, "action": oneOf(["created", "updated", "unchanged", "rejected"]),
                                        "subjectId": uuid, "changed": array(text), "problems": array(problemItem),
                                        "areaCode": areaCode, "deviceId": uuid],
                                        required: ["row", "action", "changed", "problems"])),
                                    "failedBatches": array(text), "seconds": number, "rowsPerSecond": number],
                                   required: ["kind", "dryRun", "format", "totals", "fileProblems", "rows", "failedBatches", "seconds", "rowsPerSecond"]),

            // Results
            "IncidentPeriod": object(["from": date, "to": date, "days": int(1...ReportingPeriod.maximumDays)], required: ["from", "to", "days"]),
            "IncidentComparison": object(["base": count, "difference": int,
                                          "percent": number.merging(["description": "two decimals, half away from zero; absent for a zero base"]) { $1 },
                                          "percentText": ["type": "string", "pattern": "^([+\u{2212}]?[0-9]+\\.[0-9]{2}%|\u{2014})$",
                                                          "description": "−19.16% (U+2212), +5.00%, 0.00%; — (U+2014) for a zero base"],
                                          "direction": oneOf(IncidentComparison.Change.Direction.self), "directionZh": text],
                                         required: ["base", "difference", "percentText", "direction", "directionZh"]),
            "IncidentKindFigures": object(["kind": oneOf(IncidentKind.self), "zh": text, "en": text, "count": count,
                                           "yearOnYear": ref("IncidentComparison"), "periodOnPeriod": ref("IncidentComparison")],
                                          required: ["kind", "zh", "en", "count", "yearOnYear", "periodOnPeriod"]),
            "IncidentFigures": object(["area": ref("Area"), "period": ref("IncidentPeriod"), "sameLastYear": ref("IncidentPeriod"),
                                       "previous": ref("IncidentPeriod"),
                                       "kinds": array(ref("IncidentKindFigures"), max: IncidentKind.allCases.count),
                                       "children": array(object(["code": areaCode, "name": text,
                                                                 "kinds": array(ref("IncidentKindFigures"), max: IncidentKind.allCases.count)],
                                                                required: ["code", "name", "kinds"])),
                                       "townOwn": array(ref("IncidentKindFigures"), max: IncidentKind.allCases.count)],
                                      required: ["area", "period", "sameLastYear", "previous", "kinds", "children"]),

            // Enforcement
            "EnforcementFigures": object(["areaCode": areaCode, "townCode": areaCode, "actions": count,
                                          "actionsByKind": ["type": "object", "propertyNames": oneOf(EnforcementAction.Kind.self), "additionalProperties": count],
                                          "districtActions": count, "sharePercent": ["type": "number", "minimum": 0, "maximum": 100], "shareText": text,
                                          "enterprisesClosed": count, "enterprisesWithDemolitions": count,
                                          "squareMetresDemolished": ["type": "number", "minimum": 0], "muFreed": ["type": "number", "minimum": 0],
                                          "from": date, "through": date],
                                         required: ["areaCode", "actions", "actionsByKind", "districtActions", "sharePercent", "shareText",
                                                    "enterprisesClosed", "enterprisesWithDemolitions", "squareMetresDemolished", "muFreed"]),
            "EnforcementAction": object(["id": uuid, "teamId": uuid, "townCode": areaCode, "kind": oneOf(EnforcementAction.Kind.self),
                                         "kindZh": text, "kindEn": text, "on": date, "subjectIds": array(uuid),
                                         "squareMetres": number, "mu": number, "note": text],
                                        required: ["id", "teamId", "townCode", "kind", "kindZh", "kindEn", "on", "subjectIds"]),
            "EnforcementActionPage": page("EnforcementAction"),
            "EnforcementActionInput": input(["teamId": uuid, "kind": oneOf(EnforcementAction.Kind.self), "on": date,
                                              "subjectIds": array(uuid), "squareMetres": ["type": "number", "exclusiveMinimum": 0],
                                              "mu": ["type": "number", "exclusiveMinimum": 0], "note": reason],
                                             required: ["teamId", "kind", "on", "subjectIds"]),
            "EnforcementTeam": object(["id": uuid, "name": text, "townCode": areaCode, "departments": array(oneOf(Department.self)),
                                       "members": array(memberOut), "createdAt": timestamp],
                                      required: ["id", "name", "townCode", "departments", "members", "createdAt"]),
            "EnforcementTeams": array(ref("EnforcementTeam")),
            "EnforcementTeamInput": input(["name": words(100), "members": array(member, max: TextRules.teamMembers).merging(["minItems": 2]) { $1 },
                                            "townCode": ["type": "string", "pattern": "^[0-9]{9}$"]],
                                           required: ["name", "members"]),

            // Open311 (GeoReport v2 member names)
            "Open311Services": array(object(["service_code": text, "service_name": text, "description": text, "metadata": bool,
                                             "type": oneOf(["realtime", "batch", "blackbox"]), "keywords": text, "group": text],
                                            required: ["service_code", "service_name", "metadata", "type"])),
            "Open311ServiceDefinition": object(["service_code": text, "attributes": array(object(
                ["variable": bool, "code": text, "datatype": oneOf(["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]),
                 "required": bool, "datatype_description": text, "order": int, "description": text],
                required: ["variable", "code", "datatype", "required", "order", "description"]))], required: ["service_code", "attributes"]),
            "Open311Requests": array(object(["service_request_id": text, "status": oneOf(["open", "closed"]), "status_notes": text,
                                             "service_name": text, "service_code": text, "description": text, "agency_responsible": text,
                                             "service_notice": text, "requested_datetime": timestamp, "updated_datetime": timestamp,
                                             "expected_datetime": timestamp, "address": text, "lat": number, "long": number, "media_url": text],
                                            required: ["service_request_id", "status", "service_code", "requested_datetime"])),
            "Open311Created": array(object(["service_request_id": text, "token": text, "service_notice": text],
                                           required: ["service_request_id", "token"])),
            "Open311Tokens": array(object(["service_request_id": text, "token": text], required: ["service_request_id", "token"])),
            "Open311Errors": array(geoReportError),
            "Open311ReportInput": input(["api_key": line(200), "service_code": line(40), "lat": line(40), "long": line(40),
                                          "address_string": line(300), "address_id": line(200), "description": paragraph(4_000),
                                          "first_name": line(100), "last_name": line(100), "email": line(200), "phone": line(40),
                                          "device_id": line(100), "account_id": line(100), "media_url": line(1_000)],
                                         required: ["api_key", "service_code"]),
        ]
    }

    // MARK: The document

    /// The schema of a path parameter, by its name.
    static func pathSchema(_ name: String) -> [String: Any] {
        switch name {
        case "id": idParam
        case "code": areaCode
        case "version": ["type": "integer", "minimum": 1]
        case "file": ["type": "string", "pattern": "^[^/]+\\.(json|xml)$", "description": "the id or code with .json or .xml"]
        default: text
        }
    }

    /// The error answer of `status` for `op`: problem+json, or GeoReport errors for Open311.
    static func errorContent(_ op: Operation, status: Int) -> [String: Any] {
        let problem: [String: Any] = ["application/problem+json": ["schema": ref("Problem")]]
        guard case .some(let format) = op.geoReport, status != 413 else { return problem }
        let json: [String: Any] = ["application/json": ["schema": ref("Open311Errors")]]
        let xml: [String: Any] = ["application/xml": ["schema": ["type": "string", "contentMediaType": "application/xml",
                                                                 "description": "<errors><error><code/><description/></error></errors>"]]]
        switch format {
        case .json?: return json
        case .xml?: return xml
        // The format comes from the file name; a name without .json or .xml is answered as a problem.
        case nil: return json.merging(xml) { $1 }.merging(status == 404 ? problem : [:]) { $1 }
        }
    }

    static func operationID(_ op: Operation) -> String {
        op.method + op.path.replacingOccurrences(of: "/api/v1", with: "").replacingOccurrences(of: "/open311/v2", with: "/open311")
            .replacingOccurrences(of: ".", with: "").split(separator: "/")
            .map { $0.replacingOccurrences(of: "{", with: "By").replacingOccurrences(of: "}", with: "").replacingOccurrences(of: "-", with: "").capitalized }
            .joined()
    }

    /// The document as a JSON object tree.
    static func document(serverURL: String) -> [String: Any] {
        var paths: [String: [String: Any]] = [:]
        for op in operations {
            let isOpen311 = op.geoReport != nil
            var parameters: [[String: Any]] = []
            for segment in op.path.split(separator: "/") where segment.hasPrefix("{") {
                let name = String(segment.dropFirst().dropLast())
                parameters.append(["name": name, "in": "path", "required": true, "schema": pathSchema(name)])
            }
            var query = op.query
            if isOpen311, op.method == "get" {
                query.append(q("api_key", text, "an API key of scope open311; required only where the server sets SAFEGRID_OPEN311_READ=key"))
            }
            for p in query {
                parameters.append(["name": p.name, "in": "query", "required": p.required, "schema": p.schema, "description": p.description])
            }
            var ok: [String: Any] = ["description": op.summary]
            if let types = op.answerTypes {
                ok["content"] = types.mapValues { ["schema": $0] }
            } else if let schema = op.answer.schema {
                ok["content"] = ["application/json": ["schema": ref(schema)]]
            }
            if !op.headers.isEmpty {
                ok["headers"] = op.headers.mapValues { ["description": $0, "schema": text] }
            }
            var responses: [String: Any] = [String(op.answer.status): ok]
            if isOpen311, op.method == "post" {
                var replay = ok
                replay["description"] = "a repeat of an earlier report by the same client: the first request, with Idempotent-Replayed: true"
                responses["200"] = replay
            }
            if let description = op.replay {
                var replay = ok
                replay["description"] = description
                responses["200"] = replay
            }
            let hasBody = op.body != nil || op.rawBody != nil
            var statuses = Set(op.errors)
            if op.secured, op.path.hasPrefix("/api/") {
                statuses.insert(401)
                // Viewers only read; writes answer them 403.
                if op.method != "get" { statuses.insert(403) }
            }
            if hasBody { statuses.formUnion(isOpen311 ? [413] : [400, 413, 415]) }
            for status in statuses {
                responses[String(status)] = ["description": HTTPResponseStatus(statusCode: status).reasonPhrase,
                                             "content": errorContent(op, status: status)]
            }
            var operation: [String: Any] = ["summary": op.summary, "tags": [op.tag], "responses": responses, "operationId": operationID(op)]
            if !parameters.isEmpty { operation["parameters"] = parameters }
            if op.path == "/api/v1/clearance" {
                operation["security"] = [["apiKey": [String]()]]
            } else if !op.secured || !op.path.hasPrefix("/api/") {
                operation["security"] = [[String: Any]]()
            }
            if let body = op.body {
                operation["requestBody"] = ["required": true, "content": ["application/json": ["schema": ref(body)]]]
            } else if let raw = op.rawBody {
                operation["requestBody"] = ["required": true, "content": raw.mapValues { ["schema": $0] }]
            }
            paths[op.path, default: [:]][op.method] = operation
        }
        return [
            "openapi": "3.1.0",
            "info": ["title": "SafeGrid API", "version": "1",
                     "description": """
                        除险保安 closed loop: subjects, joint inspections, hazards, re-inspections, dashboard, change feed. \
                        Errors are RFC 9457 problem+json naming the field (Open311: GeoReport error lists). \
                        A known path asked with another method answers 405 with Allow. \
                        An empty query value counts as not given. Times are RFC 3339 (answered in +08:00); days are YYYY-MM-DD in Asia/Shanghai.
                        """],
            "servers": [["url": serverURL]],
            "paths": paths,
            "components": ["schemas": schemas.merging(deviceSchemas) { a, _ in a }.merging(reportSchemas) { a, _ in a },
                           "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer",
                                                          "description": "POST /api/v1/auth/token; pages use the session cookie"],
                                               "apiKey": ["type": "apiKey", "in": "header", "name": "X-API-Key",
                                                          "description": "a licensing system's key (safegrid apikey create … --scope clearance)"]]],
            "security": [["bearer": [String]()]],
        ]
    }

    /// `GET /openapi.json`.
    static func serve(_ req: Request) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: document(serverURL: req.application.settings.http.publicBase),
                                              options: [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted])
        return Response.json(encoded: data)
    }
}

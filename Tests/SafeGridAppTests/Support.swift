import FluentPostgresDriver
import Foundation
import NIOCore
import NIOPosix
import SafeGridCore
import Testing
import SQLKit
import Vapor
import VaporTesting
@testable import SafeGridApp

/// The fixed "now" of the app tests: 2026-11-30 10:00 Asia/Shanghai.
let testNow = try! Timestamp.parse("2026-11-30T10:00:00+08:00")

/// Runs `body` against a fresh app on a private database: in-memory SQLite, or — when
/// `SAFEGRID_TEST_POSTGRES` names a PostgreSQL server (`postgres://user:pass@127.0.0.1:5432/postgres`,
/// a role that may create databases) — a new PostgreSQL database made for this test and dropped after.
func withSafeGrid(now: Date = testNow, _ body: (Application) async throws -> Void) async throws {
    guard let admin = ProcessInfo.processInfo.environment["SAFEGRID_TEST_POSTGRES"], !admin.isEmpty else {
        try await withApp(configure: { app in
            try await configure(app, storage: .sqliteMemory, services: SafeGridServices(now: { now }))
        }, { app in
            try await signInAdmin(app)
            try await body(app)
        })
        return
    }
    await TestPostgres.slots.acquire()
    defer { Task { await TestPostgres.slots.release() } }
    let name = "sg_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    try await TestPostgres.createDatabase(admin, name)
    var url = URLComponents(string: admin)!
    url.path = "/\(name)"
    do {
        try await withApp(configure: { app in
            try await configure(app, storage: .postgres(url.string!), services: SafeGridServices(now: { now }))
        }, { app in
            try await signInAdmin(app)
            try await body(app)
        })
    } catch {
        try? await TestPostgres.execute(admin, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        // PSQLError hides its details from `description`; tests should show them.
        if String(describing: type(of: error)).contains("PSQLError") {
            throw TestPostgres.Failure(description: String(reflecting: error))
        }
        throw error
    }
    try? await TestPostgres.execute(admin, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
}

/// Statements on the PostgreSQL test server outside any app (creating and dropping databases).
enum TestPostgres {
    struct Failure: Error, CustomStringConvertible { let description: String }

    /// Swift Testing runs tests in parallel; each app holds a few connections. At most this many
    /// PostgreSQL-backed tests run at once, well under the server's `max_connections`.
    static let slots = Slots(count: 6)

    actor Slots {
        private var available: Int
        private var waiters: [CheckedContinuation<Void, Never>] = []
        init(count: Int) { available = count }
        func acquire() async {
            if available > 0 { available -= 1; return }
            await withCheckedContinuation { waiters.append($0) }
        }
        func release() {
            if waiters.isEmpty { available += 1 } else { waiters.removeFirst().resume() }
        }
    }

    /// A new database from `template0` (which nobody connects to, so tests running in parallel
    /// do not trip over "source database is being accessed by other users"), retried briefly.
    static func createDatabase(_ adminURL: String, _ name: String) async throws {
        var last: (any Error)?
        for attempt in 0..<8 {
            do {
                try await execute(adminURL, "CREATE DATABASE \(name) TEMPLATE template0 ENCODING 'UTF8'")
                return
            } catch {
                last = error
                try await Task.sleep(for: .milliseconds(100 * (attempt + 1)))
            }
        }
        throw Failure(description: "CREATE DATABASE \(name) failed: \(String(reflecting: last!))")
    }

    static func execute(_ adminURL: String, _ statement: String) async throws {
        guard let url = URLComponents(string: adminURL), let host = url.host, let user = url.user else {
            throw Abort(.internalServerError, reason: "SAFEGRID_TEST_POSTGRES is not a postgres:// URL")
        }
        let config = PostgresConnection.Configuration(host: host, port: url.port ?? 5432, username: user,
                                                      password: url.password, database: String(url.path.dropFirst()),
                                                      tls: .disable)
        let connection = try await PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.next(),
                                                              configuration: config, id: 1,
                                                              logger: Logger(label: "safegrid.tests.postgres"))
        do {
            try await connection.query(PostgresQuery(unsafeSQL: statement), logger: Logger(label: "safegrid.tests.postgres"))
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }
}

/// The bearer token of the district admin (`test.admin`) every test app is made with. Requests
/// are anonymous unless a test names the account it acts as (`token: app.adminToken`, or a token
/// from ``makeAccount(_:_:role:area:department:)``).
struct AdminTokenKey: StorageKey { typealias Value = String }

extension Application {
    /// The district admin's bearer token (see ``AdminTokenKey``).
    var adminToken: String { storage[AdminTokenKey.self] ?? "" }
}

/// The password of every test account.
let testPassword = "correct horse 42"

/// Makes an account and opens an API session for it, without HTTP; answers its bearer token.
@discardableResult
func makeAccount(_ app: Application, _ username: String, role: Role, area: String, department: Department? = nil) async throws -> String {
    let account = Account(id: UUID(), username: username, displayName: username, role: role, areaCode: area, department: department)
    let hash = try app.password.hash(testPassword)
    let now = app.services.now()
    return try await app.writeGate.transaction(on: app.db, changesCampaign: false) { sql in
        try await AccountStore(sql: sql).insert(account, passwordHash: hash, at: now)
        return try await AuthSessions.open(account, kind: "api", sql: sql, now: now).token
    }
}

func signInAdmin(_ app: Application) async throws {
    app.storage[AdminTokenKey.self] = try await makeAccount(app, "test.admin", role: .districtAdmin, area: BundledAreas.districtCode)
}

struct Reply {
    let status: HTTPStatus
    let headers: HTTPHeaders
    let body: String

    /// The body as untyped JSON. Only for tests that inspect the raw shape (the OpenAPI document,
    /// Open311's GeoReport formats, a member that must be absent); read answers with ``decoded(_:)``.
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
    var array: [[String: Any]] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [[String: Any]] ?? [] }

    /// The body decoded as one of the app's own answer types (`InspectionDTO`, `Page<HazardDTO>`, …),
    /// so that a field renamed in the app fails to compile here instead of reading `nil`. The app
    /// encodes with a plain `JSONEncoder` (sorted keys, unescaped slashes; times are strings), so a
    /// plain `JSONDecoder` reads it back. Throws, naming the status and body, when it does not decode.
    func decoded<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(body.utf8))
        } catch {
            throw UndecodableReply(description: "\(status.code) is not a \(T.self): \(error)\nbody: \(body.prefix(2000))")
        }
    }

    /// The body as an RFC 9457 problem (`application/problem+json`): `field` names the input,
    /// `extra` holds members such as `currentState`.
    func problem() throws -> Problem { try decoded(Problem.self) }
}

struct UndecodableReply: Error, CustomStringConvertible { let description: String }

extension Application {
    /// Sends a request without credentials, or with the bearer `token` of the account the test
    /// acts as (`""` is no token); headers that carry `Authorization` are sent as given.
    func send(_ method: HTTPMethod, _ path: String, json: String? = nil, contentType: String = "application/json",
              headers: HTTPHeaders = [:], token: String? = nil) async throws -> Reply {
        var h = headers
        if h.first(name: .authorization) == nil, let t = token, !t.isEmpty {
            h.bearerAuthorization = BearerAuthorization(token: t)
        }
        var body: ByteBuffer? = nil
        if let json {
            h.replaceOrAdd(name: .contentType, value: contentType)
            body = ByteBuffer(string: json)
        }
        let r = try await testing().sendRequest(method, path, headers: h, body: body)
        return Reply(status: r.status, headers: r.headers, body: r.body.string)
    }

    /// Sends `bytes` as the raw body (a photo upload).
    func send(_ method: HTTPMethod, _ path: String, bytes: [UInt8], contentType: String = "image/jpeg",
              headers: HTTPHeaders = [:], token: String? = nil) async throws -> Reply {
        var h = headers
        if let t = token, !t.isEmpty { h.bearerAuthorization = BearerAuthorization(token: t) }
        h.replaceOrAdd(name: .contentType, value: contentType)
        let r = try await testing().sendRequest(method, path, headers: h, body: ByteBuffer(bytes: bytes))
        return Reply(status: r.status, headers: r.headers, body: r.body.string)
    }

    func send(_ method: HTTPMethod, _ path: String, object: [String: Any], headers: HTTPHeaders = [:],
              token: String? = nil) async throws -> Reply {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return try await send(method, path, json: String(decoding: data, as: UTF8.self), headers: headers, token: token)
    }
}

/// A micro-grid, grid and village for tests (the reference data has villages only).
func addMicroGrid(_ app: Application, village: String = "330109113201") async throws -> String {
    let grid = AreaCodes.grid(villageCode: village, index: 1)
    let micro = AreaCodes.microGrid(gridCode: grid, index: 1)
    try await CampaignStore(sql: app.sql).insert(areas: [
        Area(code: grid, name: "测试网格", level: .grid, parentCode: village),
        Area(code: micro, name: "测试微网格", level: .microGrid, parentCode: grid),
    ])
    return micro
}

/// A valid credit code made by the GB 32100 rule.
func creditCode(_ serial: String) -> String {
    CreditCode.make(division: "330109", organizationSerial: serial).value
}

func enterpriseBody(microGrid: String, credit: String, phone: String = "+86 138 0000 0000",
                    location: [String: Any]? = ["latitude": 30.18, "longitude": 120.46, "datum": "gcj02"]) -> [String: Any] {
    var b: [String: Any] = [
        "kind": "enterprise", "name": "杭州恒增纺织有限公司", "address": "瓜沥镇民丰河村", "creditCode": credit,
        "aboveScale": true, "microGridCode": microGrid, "party": ["name": "王建国", "phone": phone],
    ]
    if let location { b["location"] = location }
    return b
}

func createEnterprise(_ app: Application, microGrid: String, serial: String = "MA2AB3CD") async throws -> String {
    let r = try await app.send(.POST, "/api/v1/subjects", object: enterpriseBody(microGrid: microGrid, credit: creditCode(serial)), token: app.adminToken)
    #expect(r.status == .created, "\(r.body)")
    return try r.decoded(SubjectDTO.self).id.uuidString
}

func inspectionBody(subject: String, clientId: String = UUID().uuidString, at: String = "2026-11-30T09:30:00+08:00",
                    results: [[String: Any]]? = nil, team: [[String: Any]]? = nil) -> [String: Any] {
    [
        "clientId": clientId, "subjectId": subject, "inspectedAt": at, "inspector": "李伟",
        "team": team ?? [["name": "李伟", "department": "fireRescue"], ["name": "张敏", "department": "emergencyManagement"]],
        "results": results ?? [
            ["itemCode": "ELEC-01", "outcome": "hazard", "note": "车间电线未穿管"],
            ["itemCode": "EVAC-01", "outcome": "hazard"],
            ["itemCode": "FIRE-01", "outcome": "pass"],
        ],
    ]
}

/// A JPEG as a phone camera writes it, 254 bytes: EXIF taken 2026-11-30 09:12:00 +08:00 at
/// 30°10'30" N 120°27'36" E (30.175, 120.46), then a token scan. Browsers cannot draw it; the
/// server only reads its markers.
let cameraJPEG: [UInt8] = Array(Data(hex: "ffd8ffe000104a46494600010100000100010000ffe100da45786966000049492a0008000000030012010300010000000100000069870400010000003200000025880400010000005000000000000000020003900200140000008600000011900200070000009a00000000000000040001000200020000004e0000000200050003000000a20000000300020002000000450000000400050003000000ba00000000000000323032363a31313a33302030393a31323a3030002b30383a303000001e000000010000000a00000001000000b80b00006400000078000000010000001b00000001000000100e000064000000ffda0008010100003f001234ffd9"))

/// A whole JPEG without EXIF (SOI, JFIF, a token scan, EOI) whose scan differs by `seed`, so each
/// is a photo of its own.
func plainJPEG(_ seed: String) -> [UInt8] {
    [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10] + Array("JFIF\0".utf8) + [1, 1, 0, 0, 1, 0, 1, 0, 0]
        + [0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00] + Array(seed.utf8).filter { $0 != 0xFF } + [0xFF, 0xD9]
}

/// ``plainJPEG(_:)`` with a frame header (SOF0: 8-bit, 1200 × 1600, three components), as every
/// camera's JPEG has: what the residents' intake needs to read a photo's size.
func framedJPEG(_ seed: String) -> [UInt8] {
    let plain = plainJPEG(seed)
    let sof: [UInt8] = [0xFF, 0xC0, 0x00, 0x11, 8, 0x04, 0xB0, 0x06, 0x40, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]
    return Array(plain[0..<20]) + sof + Array(plain[20...])
}

extension Data {
    /// Bytes from hex digits (test fixtures only; stops at the first pair that is not hex).
    init(hex: String) {
        var bytes: [UInt8] = []
        var i = hex.startIndex
        while i < hex.endIndex, let j = hex.index(i, offsetBy: 2, limitedBy: hex.endIndex), let b = UInt8(hex[i..<j], radix: 16) {
            bytes.append(b)
            i = j
        }
        self.init(bytes)
    }
}

import Foundation
import NIOCore
import SQLKit
import SafeGridCore
import Testing
import Vapor
import VaporTesting
@testable import SafeGridApp

/// What the fake gateway does with one request.
enum GatewayBehaviour: Sendable {
    /// `202 0: Accepted for delivery`.
    case accept
    /// `500` with a Kannel-like body.
    case fail500
    /// Waits, then accepts (the client should have given up by then).
    case hang(Duration)
    /// `200` with a body that is not a Kannel answer.
    case garbage
    /// A 4xx refusal with `body`.
    case refuse(Int, String)
}

/// One request as the fake gateway saw it (query or form decoded).
struct GatewayRequest: Sendable {
    let method: String
    let params: [String: String]
    var to: String { params["to"] ?? params["PhoneNumbers"] ?? "" }
    var text: String { params["text"] ?? "" }
}

/// The script and the log of the fake gateway: per recipient, a queue of behaviours (then accept).
actor GatewayScript {
    private var plans: [String: [GatewayBehaviour]] = [:]
    private(set) var received: [GatewayRequest] = []
    /// Accepted messages only, as (to, text).
    private(set) var accepted: [(String, String)] = []
    var acceptDelay: Duration = .zero

    func plan(_ phone: String, _ behaviours: [GatewayBehaviour]) { plans[phone, default: []] += behaviours }
    func setAcceptDelay(_ d: Duration) { acceptDelay = d }

    func next(for request: GatewayRequest) -> GatewayBehaviour {
        received.append(request)
        guard var queue = plans[request.to], !queue.isEmpty else { return .accept }
        let b = queue.removeFirst()
        plans[request.to] = queue
        return b
    }

    func didAccept(_ request: GatewayRequest) { accepted.append((request.to, request.text)) }

    func count(to phone: String) -> Int { received.filter { $0.to == phone }.count }
    var total: Int { received.count }
}

/// A real HTTP server on 127.0.0.1 (a second Vapor application) playing a Kannel `sendsms`
/// gateway at `/cgi-bin/sendsms` and an Aliyun endpoint at `/aliyun/`.
final class FakeGateway: Sendable {
    let app: Application
    let script: GatewayScript
    let port: Int

    var kannelURL: String { "http://127.0.0.1:\(port)/cgi-bin/sendsms" }
    var aliyunURL: String { "http://127.0.0.1:\(port)/aliyun/" }

    private init(app: Application, port: Int, script: GatewayScript) {
        self.app = app
        self.port = port
        self.script = script
    }

    /// Splits `a=1&b=%2B` form-style (`+` is a space).
    static func decode(_ raw: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in raw.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func dec(_ s: Substring) -> String {
                (String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding) ?? String(s)
            }
            out[dec(kv[0])] = kv.count > 1 ? dec(kv[1]) : ""
        }
        return out
    }

    static func start() async throws -> FakeGateway {
        let app = try await Application.make(.testing)
        app.logger.logLevel = .warning
        app.http.server.configuration.hostname = "127.0.0.1"
        app.http.server.configuration.port = 0
        let script = GatewayScript()
        let kannel: @Sendable (Request) async throws -> Response = { req in
            let raw: String
            if req.method == .POST {
                raw = req.body.string ?? ""
            } else {
                raw = req.url.query ?? ""
            }
            let request = GatewayRequest(method: req.method.rawValue, params: decode(raw))
            switch await script.next(for: request) {
            case .accept:
                let delay = await script.acceptDelay
                if delay > .zero { try await Task.sleep(for: delay) }
                await script.didAccept(request)
                return Response(status: .accepted, body: "0: Accepted for delivery")
            case .fail500:
                return Response(status: .internalServerError, body: "Sending failed.")
            case .hang(let d):
                try await Task.sleep(for: d)
                await script.didAccept(request)
                return Response(status: .accepted, body: "0: Accepted for delivery")
            case .garbage:
                return Response(status: .ok, body: "<html><body>Welcome to nginx!</body></html>")
            case .refuse(let status, let body):
                return Response(status: HTTPResponseStatus(statusCode: status), body: .init(string: body))
            }
        }
        app.on(.GET, "cgi-bin", "sendsms", use: kannel)
        app.on(.POST, "cgi-bin", "sendsms", use: kannel)
        // Aliyun: checks the signature, answers by the number's scripted behaviour.
        app.on(.GET, "aliyun") { req async throws -> Response in
            var params = decode(req.url.query ?? "")
            let signature = params.removeValue(forKey: "Signature") ?? ""
            let request = GatewayRequest(method: "GET", params: params)
            let behaviour = await script.next(for: request)
            func json(_ status: HTTPResponseStatus, _ body: String) -> Response {
                let r = Response(status: status, body: .init(string: body))
                r.headers.contentType = .json
                return r
            }
            guard signature == AliyunSMSProvider.signature(params, secret: "gateway-secret") else {
                return json(.badRequest, #"{"Code":"SignatureDoesNotMatch","Message":"bad signature"}"#)
            }
            switch behaviour {
            case .accept:
                await script.didAccept(request)
                return json(.ok, #"{"Code":"OK","Message":"OK","BizId":"900619746936498440^0","RequestId":"F655A8D5"}"#)
            case .fail500:
                return json(.internalServerError, #"{"Code":"isp.SYSTEM_ERROR","Message":"系统错误"}"#)
            case .hang(let d):
                try await Task.sleep(for: d)
                return json(.ok, #"{"Code":"OK","BizId":"late"}"#)
            case .garbage:
                return Response(status: .ok, body: "not json")
            case .refuse(_, let code):
                return json(.ok, #"{"Code":"\#(code)","Message":"refused"}"#)
            }
        }
        try await app.asyncBoot()
        try await app.server.start(address: .hostname("127.0.0.1", port: 0))
        guard let port = app.http.server.shared.localAddress?.port else {
            await app.server.shutdown()
            try await app.asyncShutdown()
            throw Abort(.internalServerError, reason: "fake gateway has no port")
        }
        return FakeGateway(app: app, port: port, script: script)
    }

    func shutdown() async {
        await app.server.shutdown()
        try? await app.asyncShutdown()
    }
}

/// Runs `body` with a fresh fake gateway, shut down afterwards.
func withGateway<T>(_ body: (FakeGateway) async throws -> T) async throws -> T {
    let gateway = try await FakeGateway.start()
    do {
        let result = try await body(gateway)
        await gateway.shutdown()
        return result
    } catch {
        await gateway.shutdown()
        throw error
    }
}

extension Application {
    /// Points the app at the fake Kannel gateway.
    func useKannel(_ gateway: FakeGateway, timeout: TimeInterval = 10, post: Bool = false) {
        smsProvider = KannelSMSProvider(config: .init(url: gateway.kannelURL, username: "safegrid", password: "s3cret+&=",
                                                      usePOST: post, timeout: timeout),
                                        client: client)
    }
}

/// A valid stored mobile number, `139` + 8 digits.
func mobile(_ i: Int) -> String { "139" + String(format: "%08d", i) }

/// Queues one message for `phones` (in its own transaction, like a cause that committed).
@discardableResult
func enqueue(_ app: Application, phones: [String], body: String = "【瓜沥镇除险保安】您有2处隐患请于12月7日前整改 + 复查",
             key: String = UUID().uuidString, kind: MessageKind = .notice, subject: UUID? = nil,
             at: Date = testNow) async throws -> UUID {
    let message = OutgoingMessage(kind: kind, subjectID: subject, inspectionID: nil, hazardID: nil, body: body, segments: 1,
                                  recipients: phones, dedupeKey: key)
    let id = try await app.writeGate.transaction(on: app.db) { sql in
        try await Outbox.enqueue(message, sql: sql, at: at)
    }
    return try #require(id)
}

/// The recipient rows of a message, by phone.
func recipientRows(_ app: Application, _ message: UUID) async throws -> [String: RecipientRow] {
    let rows = try await app.sql.select().columns("*").from("message_recipients").where("message_id", .equal, SQLBind(message))
        .all(decoding: RecipientRow.self, keyDecodingStrategy: .convertFromSnakeCase)
    return Dictionary(uniqueKeysWithValues: rows.map { ($0.phone, $0) })
}

func recipientStates(_ app: Application) async throws -> [String: Int] {
    try await OutboxQueries(sql: app.sql, scope: .everything).countsByState()
}

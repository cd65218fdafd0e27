import Crypto
import Foundation
import SQLKit
import SafeGridCore
import Vapor

/// `/api/v1/resident/…`: what the residents' page (沥家园 隐患随手拍, `/report/`) asks, with no
/// account. A resident proves their mobile with a one-time SMS code, or reports anonymously
/// (then no SMS answers); reports are routed to the micro-grid they lie in (``ReportRouting``)
/// and tracked with the token the answer gives.
///
/// Abuse limits (``ResidentCodeRules``): codes and reports per mobile and per network address,
/// answered 429 with `Retry-After` and the field (`phone` or `address`) whose limit was hit.
enum ResidentController {
    // MARK: Context

    struct ItemDTO: Content {
        let code: String
        /// The item in a resident's words: the checklist text's short form.
        let plain: String
        let zh: String
        let en: String
    }

    struct CategoryDTO: Content {
        let code: String
        let zh: String
        let en: String
        let items: [ItemDTO]
    }

    struct ContextDTO: Content {
        struct Town: Content { let code: String; let name: String }
        struct Point: Content { let latitude: Double; let longitude: Double }
        struct Bounds: Content { let south: Double; let west: Double; let north: Double; let east: Double }
        struct Village: Content { let code: String; let name: String }
        struct Limits: Content {
            let photos: Int
            let photoBytes: Int
            let description: Int
            let address: Int
            let nearbyMetres: Int
            let nearbyDays: Int
            let codeSeconds: Int
            let resendSeconds: Int
        }
        let town: Town
        let centre: Point
        let bounds: Bounds
        let tiles: String?
        let villages: [Village]
        let categories: [CategoryDTO]
        let limits: Limits
        let notice: String
        let anonymousNotice: String
    }

    static let anonymousNotice = "匿名上报不留手机号，不会收到核实和整改结果的短信；可凭回执链接查看进度。Anonymous reports get no SMS answers; follow them with the receipt link."

    /// The town a request is about: `town` (9 digits, a town of the district), else 瓜沥镇.
    static func town(_ req: Request) async throws -> Area {
        let code = req.query[String.self, at: "town"].flatMap { $0.isEmpty ? nil : $0 } ?? BundledAreas.gualiTownCode
        guard AreaLevel(codeLength: code.count) == .town, let town = try await CampaignQueries(sql: req.sql, scope: .everything).area(code),
              town.level == .town else {
            throw DomainError(.notFound, field: "town", reason: "no town with code \(code.prefix(20))")
        }
        return town
    }

    /// `GET /api/v1/resident/context?town=`: the town, its villages, where its subjects lie
    /// (WGS-84), what a resident may report (the checklist by category, management items left
    /// out: a resident cannot see a training record), and the limits. Kept per town for 10
    /// minutes (``Application/residentContexts``): every resident opening the page asks, with no
    /// account, and the extent reads the town's subjects.
    static func context(_ req: Request) async throws -> ContextDTO {
        let town = try await town(req)
        let sql = req.sql, checklists = req.application.checklists, tiles = req.application.settings.mapTileURL
        return try await req.application.residentContexts.value(town.code, now: req.services.now()) {
            try await context(town: town, tiles: tiles, checklist: try await checklists.current(sql: sql), sql: sql)
        }
    }

    static func context(town: Area, tiles: String?, checklist: Checklist, sql: any SQLDatabase) async throws -> ContextDTO {
        let queries = CampaignQueries(sql: sql, scope: .everything)
        let villages = try await queries.children(of: town.code).filter { $0.level == .village }
        let categories = HazardCategory.allCases.compactMap { c -> CategoryDTO? in
            let items = checklist.items.filter { $0.category == c && ResidentReportRules.reportable($0) }
            guard !items.isEmpty else { return nil }
            return CategoryDTO(code: c.rawValue, zh: c.zh, en: c.en,
                               items: items.map { ItemDTO(code: $0.code, plain: ResidentReportRules.plainWords($0), zh: $0.zh, en: $0.en) })
        }
        let extent = try await extent(town: town.code, sql: sql)
        let r = ResidentReportRules.self, c = ResidentCodeRules.self
        return ContextDTO(
            town: .init(code: town.code, name: town.name),
            centre: .init(latitude: (extent.south + extent.north) / 2, longitude: (extent.west + extent.east) / 2),
            bounds: extent, tiles: tiles,
            villages: villages.map { .init(code: $0.code, name: $0.name) }, categories: categories,
            limits: .init(photos: r.maxPhotos, photoBytes: r.photoBytes, description: r.descriptionMax, address: r.addressMax,
                          nearbyMetres: Int(r.nearbyMetres), nearbyDays: r.nearbyDays, codeSeconds: Int(c.validFor),
                          resendSeconds: Int(c.resendAfter)),
            notice: Open311Controller.notice, anonymousNotice: anonymousNotice)
    }

    /// The box of the town's subjects' positions in WGS-84 (a town with none: 瓜沥's centre ±3 km).
    static func extent(town: String, sql: any SQLDatabase) async throws -> ContextDTO.Bounds {
        let row = try await sql.select()
            .column(SQLFunction("MIN", args: SQLIdentifier("latitude")), as: "s").column(SQLFunction("MAX", args: SQLIdentifier("latitude")), as: "n")
            .column(SQLFunction("MIN", args: SQLIdentifier("longitude")), as: "w").column(SQLFunction("MAX", args: SQLIdentifier("longitude")), as: "e")
            .from("subjects").where("town_code", .equal, SQLBind(town)).first()
        if let row, let s = try? row.decode(column: "s", as: Double?.self), let n = try? row.decode(column: "n", as: Double?.self),
           let w = try? row.decode(column: "w", as: Double?.self), let e = try? row.decode(column: "e", as: Double?.self),
           let sw = try? GeoPoint(latitude: s, longitude: w, datum: .gcj02), let ne = try? GeoPoint(latitude: n, longitude: e, datum: .gcj02) {
            // Stored positions are mostly GCJ-02 (the demo's and most ledgers'); the page speaks WGS-84.
            let a = sw.converted(to: .wgs84), b = ne.converted(to: .wgs84)
            return .init(south: a.latitude, west: a.longitude, north: b.latitude, east: b.longitude)
        }
        return .init(south: 30.20, west: 120.43, north: 30.26, east: 120.50)
    }

    // MARK: Codes

    struct CodeInput: Content { let phone: String? }
    struct CodeSent: Content {
        let sentTo: String
        let expiresInSeconds: Int
        let resendAfterSeconds: Int
    }

    /// A mainland mobile from what a resident typed (full-width digits, spaces and `+86` allowed).
    /// - Throws: 422 on `field`.
    static func mobile(_ raw: String?, _ field: String) throws(DomainError) -> PhoneNumber {
        let text = halfWidthASCII(raw ?? "").trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { throw DomainError.invalid(field, "give your mobile number 请填写手机号") }
        guard text.count <= 40, let phone = try? PhoneNumber(text), phone.isSMSCapable else {
            throw DomainError.invalid(field, "not a mainland mobile number 不是有效的手机号")
        }
        return phone
    }

    /// 429 with `Retry-After`, naming the limited field.
    static func tooMany(_ field: String, retryAfter: Int, _ reason: String) -> RateLimited {
        let minutes = max(1, (retryAfter + 59) / 60)
        return RateLimited(field: field, retryAfter: retryAfter, reason: "\(reason)，请 \(minutes) 分钟后再试 (try again in \(minutes) min)")
    }

    /// `POST /api/v1/resident/codes` `{phone}`: texts a 6-digit code (202).
    /// - Throws: 422 on `phone`; 429 on `phone` (this number's limit) or `address` (this network's).
    static func sendCode(_ req: Request) async throws -> Response {
        let input = try req.content.decode(CodeInput.self)
        let phone = try mobile(input.phone, "phone")
        let now = req.services.now()
        let address = req.clientAddress
        let code = String(format: "%06d", Int.random(in: 0...999_999))
        try await req.application.writeGate.transaction(on: req.db, changesCampaign: false) { sql in
            let store = ResidentReportStore(sql: sql)
            let times = try await store.codeTimes(phone: phone.stored, address: address, since: now.addingTimeInterval(-86_400))
            if let wait = RateLimit.retryAfter(ResidentCodeRules.codesPerNumber, earlier: times.phone, now: now) {
                throw tooMany("phone", retryAfter: wait, "此号码获取验证码过于频繁 too many codes for this number")
            }
            if let wait = RateLimit.retryAfter(ResidentCodeRules.codesPerAddress, earlier: times.address, now: now) {
                throw tooMany("address", retryAfter: wait, "此网络获取验证码过于频繁 too many codes from this network")
            }
            try await store.insertCode(phone: phone.stored, code: code, address: address, at: now)
            let text = SMSTemplate.residentCode(code: code)
            try await Outbox.enqueue(OutgoingMessage(kind: .residentCode, subjectID: nil, inspectionID: nil, hazardID: nil, body: text,
                                                     segments: SMSText.segments(text).segments, recipients: [phone.stored],
                                                     dedupeKey: "code:\(UUID().uuidString.lowercased())"), sql: sql, at: now)
        }
        let response = try await CodeSent(sentTo: phone.masked, expiresInSeconds: Int(ResidentCodeRules.validFor),
                                          resendAfterSeconds: Int(ResidentCodeRules.resendAfter)).encodeResponse(for: req)
        response.status = .accepted
        return response
    }

    // MARK: Nearby

    struct NearbyDTO: Content {
        let id: UUID
        let serviceCode: String
        let item: String
        let categoryZh: String
        let state: String
        let stateName: String
        let receivedAt: String
        let distanceMetres: Int
        let description: String?
        let address: String?
        let additions: Int
    }

    struct NearbyList: Content { let items: [NearbyDTO] }

    /// A WGS-84 position inside 萧山区 from `latitude`/`longitude` (both or neither).
    /// - Throws: 422 on `latitude`.
    static func position(_ latitude: Double?, _ longitude: Double?) throws(DomainError) -> GeoPoint? {
        switch (latitude, longitude) {
        case (nil, nil): return nil
        case let (la?, lo?):
            do {
                let p = try GeoPoint(latitude: la, longitude: lo, datum: .wgs84)
                try DistrictBoundary.xiaoshan.check(p)
                return p
            } catch { throw DomainError.invalid("latitude", error) }
        default: throw DomainError.invalid("latitude", "give both latitude and longitude, or neither")
        }
    }

    /// `GET /api/v1/resident/nearby?latitude=&longitude=&serviceCode=`: reports of the same hazard
    /// category within 50 m received in the last 30 days and not dismissed, nearest first (no
    /// names, no phones).
    static func nearby(_ req: Request) async throws -> NearbyList {
        func number(_ name: String) throws(DomainError) -> Double? {
            guard let raw = req.query[String.self, at: name], !raw.isEmpty else { return nil }
            guard let v = Double(raw), v.isFinite else { throw DomainError.invalid(name, "\(name) must be decimal degrees") }
            return v
        }
        guard let point = try position(try number("latitude"), try number("longitude")) else {
            throw DomainError.invalid("latitude", "give latitude and longitude")
        }
        let checklist = try await req.checklists.current(sql: req.sql)
        guard let code = req.query[String.self, at: "serviceCode"], let item = checklist.item(code) else {
            throw DomainError.invalid("serviceCode", "unknown serviceCode; see /api/v1/resident/context")
        }
        return NearbyList(items: try await nearby(point, category: item.category, sql: req.sql, checklist: checklist, now: req.services.now()))
    }

    static func nearby(_ point: GeoPoint, category: HazardCategory, sql: any SQLDatabase, checklist: Checklist, now: Date) async throws -> [NearbyDTO] {
        let store = ResidentReportStore(sql: sql)
        let since = now.addingTimeInterval(-Double(ResidentReportRules.nearbyDays) * 86_400)
        let found = try await store.candidates(near: point, category: category.rawValue, since: since)
            .compactMap { r in r.position.map { (r, $0.distanceMetres(to: point)) } }
            .filter { $0.1 <= ResidentReportRules.nearbyMetres }.sorted { $0.1 < $1.1 }.prefix(10)
        let additions = try await store.additions(of: found.map(\.0.id))
        return found.map { r, d in
            NearbyDTO(id: r.id, serviceCode: r.serviceCode, item: checklist.item(r.serviceCode).map { ResidentReportRules.plainWords($0) } ?? r.serviceCode,
                      categoryZh: category.zh, state: r.state, stateName: r.reportState.zh, receivedAt: Timestamp.format(r.receivedAt),
                      distanceMetres: Int(d.rounded()), description: r.description, address: r.address, additions: additions[r.id] ?? 0)
        }
    }

    // MARK: Reporting

    struct ReportInput: Content {
        var serviceCode: String?
        var description: String?
        var latitude: Double?
        var longitude: Double?
        var address: String?
        var villageCode: String?
        var anonymous: Bool?
        var phone: String?
        var code: String?
        var name: String?
        /// Data URLs (`data:image/jpeg;base64,…`) or bare base64.
        var photos: [String]?
        var addTo: String?
    }

    struct Receipt: Content {
        let id: UUID
        let token: String
        let state: String
        let stateName: String
        let notice: String
        let trackPath: String
        let addedTo: UUID?
    }

    /// `POST /api/v1/resident/reports`: a report from the residents' page (201).
    /// - Throws: 422 naming `serviceCode`, `description`, `latitude`, `address`, `villageCode`,
    ///   `name`, `phone`, `code`, `photos[i]`, `addTo`; 429 on `phone` or `address`.
    static func report(_ req: Request) async throws -> Response {
        let input: ReportInput
        do { input = try req.content.decode(ReportInput.self) } catch {
            throw DomainError(.malformed, field: "body", reason: "send the report as JSON: \(String(describing: error).prefix(200))")
        }
        let now = req.services.now()
        let checklist = try await req.checklists.current(sql: req.sql)
        let fields = try await ReportIntake.Fields.checked(serviceCode: input.serviceCode, description: input.description,
                                                           latitude: input.latitude, longitude: input.longitude, address: input.address,
                                                           villageCode: input.villageCode, name: input.name, checklist: checklist, sql: req.sql,
                                                           residentsOnly: true)
        let photos = try ReportIntake.photos(input.photos ?? [], now: now)
        let anonymous = input.anonymous ?? false
        let phone: PhoneNumber? = anonymous ? nil : try mobile(input.phone, "phone")
        let code = halfWidthASCII(input.code ?? "").trimmingCharacters(in: .whitespaces)
        if phone != nil, !ResidentCodeRules.isWellFormed(code) {
            throw DomainError.invalid("code", "enter the 6-digit code sent to your mobile 请输入短信中的6位验证码")
        }
        let addTo = try input.addTo.flatMap { $0.isEmpty ? nil : $0 }.map { s throws(DomainError) in try Input.uuid(s, "addTo") }
        let address = req.clientAddress
        let reporter = ReportIntake.Reporter(name: fields.name, phone: phone?.stored, anonymous: anonymous, clientAddress: address)
        enum Outcome: Sendable { case stored(ResidentReportRow), wrongCode }
        // One write: the limits are counted where the report is stored (parallel requests cannot
        // all pass them), the code is spent only with a report, and a wrong code's try is kept
        // (the write commits without a report).
        let outcome: Outcome = try await req.application.campaignWrite(scope: .everything, recordedAt: now) { tx in
            let store = ResidentReportStore(sql: tx.sql)
            let times = try await store.reportTimes(phone: phone?.stored, address: address, since: now.addingTimeInterval(-86_400))
            if let wait = RateLimit.retryAfter(ResidentCodeRules.reportsPerNumber, earlier: times.phone, now: now) {
                throw tooMany("phone", retryAfter: wait, "此号码今日上报已达上限 this number's reports for today are used up")
            }
            if let wait = RateLimit.retryAfter(ResidentCodeRules.reportsPerAddress, earlier: times.address, now: now) {
                throw tooMany("address", retryAfter: wait, "此网络上报过于频繁 too many reports from this network")
            }
            let original = try await addTo.asyncMap { try await ReportIntake.original($0, for: fields, sql: tx.sql, now: now) }
            if let phone, try await !store.redeem(phone: phone.stored, code: code, at: now) { return .wrongCode }
            return .stored(try await ReportIntake.receive(fields, reporter: reporter, channel: "page", id: UUID(), token: ReportIntake.newToken(),
                                                          photos: photos, addTo: original, checklist: checklist, tx: tx, now: now))
        }
        guard case .stored(let row) = outcome else {
            throw DomainError.invalid("code", "the code is wrong or has expired; ask for a new one 验证码不正确或已过期，请重新获取")
        }
        // An addition to a report already verified is not waiting for a worker: say what comes next.
        var verifiedOriginal = false
        if let original = row.addedTo {
            verifiedOriginal = try await ResidentReportStore(sql: req.sql).reports(ids: [original])[original]?.reportState == .verified
        }
        let notice = verifiedOriginal ? "已并入正在整改的同一上报，整改结果将短信告知。Added to a report being rectified; you will hear the result."
            : Open311Controller.notice
        let receipt = Receipt(id: row.id, token: row.token, state: row.state, stateName: row.reportState.zh, notice: notice,
                              trackPath: "/report/#t=\(row.token)", addedTo: row.addedTo)
        let response = try await receipt.encodeResponse(for: req)
        response.status = .created
        return response
    }

    // MARK: Tracking

    struct TrackDTO: Content {
        let id: UUID
        let serviceCode: String
        let item: String
        let state: String
        let stateName: String
        let statusNotes: String
        let receivedAt: String
        let updatedAt: String
        let dueOn: String?
        let dismissReason: String?
        let dismissReasonName: String?
        /// The worker's words to the resident (a dismissal's note).
        let note: String?
        let anonymous: Bool
        /// For an addition: the report it was added to (whose state this shows).
        let addedTo: UUID?
    }

    /// `GET /api/v1/resident/reports/{token}`: the report's state as its resident sees it; an
    /// addition shows the state of the report it was added to.
    static func track(_ req: Request) async throws -> TrackDTO {
        let token = req.parameters.get("token") ?? ""
        let store = ResidentReportStore(sql: req.sql)
        guard token.count <= 100, let own = try await store.report(token: token) else {
            throw DomainError(.notFound, field: "token", reason: "no report with this token")
        }
        var shown = own
        if let original = own.addedTo, let o = try await store.reports(ids: [original])[original] { shown = o }
        let checklist = try await req.checklists.current(sql: req.sql)
        let due = shown.reportState == .verified ? try await ResidentAnswers.dueOn(shown.id, sql: req.sql) : nil
        let reason = shown.dismissReason.flatMap(ReportDismissalReason.init(rawValue:))
        return TrackDTO(id: own.id, serviceCode: shown.serviceCode, item: checklist.item(shown.serviceCode)?.zh ?? shown.serviceCode,
                        state: shown.state, stateName: shown.reportState.zh, statusNotes: shown.report.statusNotes(dueOn: due),
                        receivedAt: Timestamp.format(own.receivedAt), updatedAt: Timestamp.format(shown.updatedAt),
                        dueOn: due?.description, dismissReason: reason?.rawValue, dismissReasonName: reason?.zh,
                        note: shown.reportState == .dismissed ? shown.note : nil, anonymous: own.anonymous, addedTo: own.addedTo)
    }
}

struct ResidentContextsKey: StorageKey { typealias Value = KeptReads<ResidentController.ContextDTO> }

extension Application {
    /// The residents' page's context per town, kept 10 minutes (made in `configure`).
    var residentContexts: KeptReads<ResidentController.ContextDTO> {
        if let k = storage[ResidentContextsKey.self] { return k }
        let k = KeptReads<ResidentController.ContextDTO>(maxAge: 600)
        storage[ResidentContextsKey.self] = k
        return k
    }
}

import Crypto
import Foundation
import SQLKit
import SafeGridCore

/// A resident's report as stored (`resident_reports`, migration 015).
package struct ResidentReportRow: Codable, StoredRow {
    static let table = "resident_reports"
    let id: UUID
    let channel: String
    let token: String
    let serviceCode: String
    let category: String
    let description: String?
    let latitude: Double?
    let longitude: Double?
    let address: String?
    let townCode: String
    let villageCode: String?
    let gridCode: String?
    let microGridCode: String?
    let subjectId: UUID?
    let reporterName: String?
    let reporterPhone: String?
    let anonymous: Bool
    let clientAddress: String?
    let state: String
    let addedTo: UUID?
    let receivedAt: Date
    let updatedAt: Date
    let verifiedAt: Date?
    let verifiedBy: String?
    let inspectionId: UUID?
    let dismissedAt: Date?
    let dismissedBy: String?
    let dismissReason: String?
    let duplicateOf: UUID?
    let note: String?
    let rectifiedAt: Date?
    let alertedAt: Date?

    func validate() throws {
        try checkRaw(state, ResidentReportState.self, "state")
        try checkRaw(dismissReason, ReportDismissalReason.self, "dismiss_reason")
        try checkRaw(category, HazardCategory.self, "category")
        if let microGridCode { try checkMicroGrid(microGridCode, "micro_grid_code") }
        for (value, column) in [(receivedAt, "received_at"), (updatedAt, "updated_at")] { try checkInstant(value, column) }
        for (value, column) in [(verifiedAt, "verified_at"), (dismissedAt, "dismissed_at"), (rectifiedAt, "rectified_at"),
                                (alertedAt, "alerted_at")] { try checkInstant(value, column) }
    }

    var reportState: ResidentReportState { ResidentReportState(rawValue: state) ?? .received }

    /// The handling as the domain sees it.
    var report: ResidentReport {
        ResidentReport(state: reportState, receivedAt: receivedAt, verifiedAt: verifiedAt, verifiedBy: verifiedBy,
                       dismissedAt: dismissedAt, dismissedBy: dismissedBy,
                       dismissReason: dismissReason.flatMap(ReportDismissalReason.init(rawValue:)),
                       duplicateOf: duplicateOf, note: note, rectifiedAt: rectifiedAt)
    }

    var position: GeoPoint? {
        guard let latitude, let longitude else { return nil }
        return try? GeoPoint(latitude: latitude, longitude: longitude, datum: .wgs84)
    }
}

/// Where a report was routed: the areas it lies in, and the subject it is about when one was
/// found within ``ResidentReportRules/autoMatchMetres``.
package struct ReportRoute: Sendable, Equatable {
    var townCode: String
    var villageCode: String?
    var gridCode: String?
    var microGridCode: String?
    var subjectId: UUID?
}

/// The reads and writes of residents' reports, their photos, the hazards their verification
/// found, and the one-time codes of residents' mobiles.
struct ResidentReportStore {
    let sql: any SQLDatabase

    // MARK: Reports

    func insert(_ r: ResidentReportRow) async throws {
        try await CampaignStore(sql: sql).insert("resident_reports",
            ["id", "channel", "token", "service_code", "category", "description", "latitude", "longitude", "address", "town_code",
             "village_code", "grid_code", "micro_grid_code", "subject_id", "reporter_name", "reporter_phone", "anonymous",
             "client_address", "state", "added_to", "received_at", "updated_at"],
            [[r.id, r.channel, r.token, r.serviceCode, r.category, r.description, r.latitude, r.longitude, r.address, r.townCode,
              r.villageCode, r.gridCode, r.microGridCode, r.subjectId, r.reporterName, r.reporterPhone, r.anonymous,
              r.clientAddress, r.state, r.addedTo, r.receivedAt, r.updatedAt]])
    }

    /// Writes the handling `report` says, with the subject, inspection and hazards of a verification.
    func update(_ id: UUID, to report: ResidentReport, subject: UUID? = nil, inspection: UUID? = nil, at now: Date) async throws {
        var q = sql.update("resident_reports")
            .set("state", to: SQLBind(report.state.rawValue)).set("updated_at", to: SQLBind(now))
            .set("verified_at", to: SQLBind(report.verifiedAt)).set("verified_by", to: SQLBind(report.verifiedBy))
            .set("dismissed_at", to: SQLBind(report.dismissedAt)).set("dismissed_by", to: SQLBind(report.dismissedBy))
            .set("dismiss_reason", to: SQLBind(report.dismissReason?.rawValue)).set("duplicate_of", to: SQLBind(report.duplicateOf))
            .set("note", to: SQLBind(report.note)).set("rectified_at", to: SQLBind(report.rectifiedAt))
        if let subject { q = q.set("subject_id", to: SQLBind(subject)) }
        if let inspection { q = q.set("inspection_id", to: SQLBind(inspection)) }
        try await q.where("id", .equal, SQLBind(id)).run()
    }

    /// The report `id` if the reader's scope holds it.
    func report(_ id: UUID, queries: CampaignQueries) async throws -> ResidentReportRow? {
        try await queries.scoped(sql.select().columns("*").from("resident_reports").where("id", .equal, SQLBind(id)))
            .firstRow(ResidentReportRow.self)
    }

    /// The report whose tracking token is `token` (public: the token is the resident's proof).
    func report(token: String) async throws -> ResidentReportRow? {
        try await sql.select().columns("*").from("resident_reports").where("token", .equal, SQLBind(token)).firstRow(ResidentReportRow.self)
    }

    /// Reports by id, whatever the scope (Open311 reads the district, as for hazards).
    func reports(ids: [UUID]) async throws -> [UUID: ResidentReportRow] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await sql.select().columns("*").from("resident_reports").where("id", .in, SQLBind.group(ids))
            .rows(ResidentReportRow.self)
        return Dictionary(rows.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    }


    /// The area's reports (not additions): `open` (awaiting verification) oldest first, `closed`
    /// newest first, or all newest first; at most `limit`.
    func reports(area: String, open: Bool?, limit: Int, queries: CampaignQueries) async throws -> [ResidentReportRow] {
        var q = queries.scoped(sql.select().columns("*").from("resident_reports"))
            .where("state", .notEqual, SQLBind(ResidentReportState.added.rawValue))
        if let column = CampaignQueries.areaColumn(for: area) { q = q.where(SQLIdentifier(column), .equal, SQLBind(area)) }
        if let open {
            q = q.where("state", open ? .equal : .notEqual, SQLBind(ResidentReportState.received.rawValue))
        }
        return try await q.orderBy("received_at", open == true ? .ascending : .descending).orderBy("id").limit(limit)
            .rows(ResidentReportRow.self)
    }

    /// Reports of a subject, newest first (its page and dossier).
    func reports(subject: UUID, limit: Int) async throws -> [ResidentReportRow] {
        try await sql.select().columns("*").from("resident_reports").where("subject_id", .equal, SQLBind(subject))
            .where("state", .notEqual, SQLBind(ResidentReportState.added.rawValue))
            .orderBy("received_at", .descending).limit(limit).rows(ResidentReportRow.self)
    }

    /// Reports received in a period, for Open311's list: newest first, at most `limit`.
    func reports(from start: Date, through end: Date, serviceCode: String?, status: String?, limit: Int) async throws -> [ResidentReportRow] {
        var q = sql.select().columns("*").from("resident_reports")
            .where("received_at", .greaterThanOrEqual, SQLBind(start)).where("received_at", .lessThanOrEqual, SQLBind(end))
            .where("state", .notEqual, SQLBind(ResidentReportState.added.rawValue))
        if let serviceCode { q = q.where("service_code", .equal, SQLBind(serviceCode)) }
        if let status {
            let closed = ResidentReportState.allCases.filter { $0.open311Status == "closed" }.map(\.rawValue)
            q = q.where("state", status == "closed" ? .in : .notIn, SQLBind.group(closed))
        }
        return try await q.orderBy("received_at", .descending).limit(limit).rows(ResidentReportRow.self)
    }

    /// Open reports (awaiting verification or being rectified) of `category` received since `since` whose
    /// position lies in the box around `point`; the caller measures the distance.
    func candidates(near point: GeoPoint, category: String, since: Date) async throws -> [ResidentReportRow] {
        let (dLat, dLon) = Self.box(metres: ResidentReportRules.nearbyMetres * 2, at: point.latitude)
        return try await sql.select().columns("*").from("resident_reports")
            .where("latitude", .greaterThanOrEqual, SQLBind(point.latitude - dLat)).where("latitude", .lessThanOrEqual, SQLBind(point.latitude + dLat))
            .where("longitude", .greaterThanOrEqual, SQLBind(point.longitude - dLon)).where("longitude", .lessThanOrEqual, SQLBind(point.longitude + dLon))
            .where("category", .equal, SQLBind(category)).where("received_at", .greaterThanOrEqual, SQLBind(since))
            .where("state", .in, SQLBind.group(ResidentReportState.allCases.filter(\.isOpen).map(\.rawValue)))
            .limit(200).rows(ResidentReportRow.self)
    }

    /// Degrees of latitude and longitude spanning `metres` at `latitude`.
    static func box(metres: Double, at latitude: Double) -> (Double, Double) {
        let dLat = metres / 111_000
        return (dLat, dLat / max(0.2, cos(latitude * .pi / 180)))
    }

    /// How many additions each report has.
    func additions(of ids: [UUID]) async throws -> [UUID: Int] { try await counts("resident_reports", by: "added_to", ids) }

    /// The additions to each report, oldest first.
    func additionRows(of ids: [UUID]) async throws -> [UUID: [ResidentReportRow]] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await sql.select().columns("*").from("resident_reports").where("added_to", .in, SQLBind.group(ids))
            .orderBy("received_at").rows(ResidentReportRow.self)
        return Dictionary(grouping: rows) { $0.addedTo ?? $0.id }
    }

    /// How many rows of `table` name each of `ids` in `column`.
    private func counts(_ table: String, by column: String, _ ids: [UUID]) async throws -> [UUID: Int] {
        guard !ids.isEmpty else { return [:] }
        var out: [UUID: Int] = [:]
        for row in try await sql.select().column(SQLIdentifier(column)).column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
            .from(table).where(SQLIdentifier(column), .in, SQLBind.group(ids)).groupBy(SQLIdentifier(column)).all() {
            if let id = try? row.decode(column: column, as: UUID.self), let n = try? row.decode(column: "n", as: Int.self) { out[id] = n }
        }
        return out
    }

    /// The verified mobiles of a report, of its additions and of the reports dismissed as its
    /// duplicates: who hears the answers.
    func answerPhones(of id: UUID) async throws -> [String] {
        let rows = try await sql.select().column("reporter_phone").from("resident_reports")
            .where { $0.where("id", .equal, SQLBind(id)).orWhere("added_to", .equal, SQLBind(id)).orWhere("duplicate_of", .equal, SQLBind(id)) }
            .where("anonymous", .equal, SQLBind(false)).all()
        return Array(Set(rows.compactMap { try? $0.decode(column: "reporter_phone", as: String?.self) })).sorted()
    }

    /// Appends the report's new state to its change feed.
    func recordEvent(report: UUID, townCode: String, state: ResidentReportState, at: Date) async throws {
        try await sql.insert(into: "resident_report_events").columns("report_id", "town_code", "state", "at")
            .values(SQLBind(report), SQLBind(townCode), SQLBind(state.rawValue), SQLBind(at)).run()
    }

    /// Events after `seq`, in commit order, of the reports within the reader's scope, at most `limit`.
    func events(after seq: Int64, limit: Int, queries: CampaignQueries) async throws -> [(seq: Int64, report: UUID, state: String, at: Date)] {
        // Scoped by the report's area columns, as the reports are (a village's or grid's reader too).
        var q = sql.select().columns("seq", "report_id", "state", "at").from("resident_report_events").where("seq", .greaterThan, SQLBind(seq))
        if !queries.scope.isEverything {
            let visible = queries.scoped(sql.select().column("id").from("resident_reports"))
            q = q.where("report_id", .in, SQLSubquery(visible.select))
        }
        let rows = try await q.orderBy("seq").limit(limit).all()
        return rows.compactMap { r in
            guard let s = try? r.decode(column: "seq", as: Int64.self), let id = try? r.decode(column: "report_id", as: UUID.self),
                  let state = try? r.decode(column: "state", as: String.self), let at = try? r.decode(column: "at", as: Date.self) else { return nil }
            return (s, id, state, at)
        }
    }

    // MARK: Photos

    func insertPhoto(report: UUID, position: Int, contentType: String, data: [UInt8], sha256: String, takenAt: Date?,
                     exifPosition: GeoPoint?) async throws {
        try await sql.insert(into: "resident_report_photos")
            .columns("report_id", "position", "content_type", "data", "sha256", "taken_at", "latitude", "longitude")
            .values(SQLBind(report), SQLBind(position), SQLBind(contentType), SQLBind(Data(data)), SQLBind(sha256), SQLBind(takenAt),
                    SQLBind(exifPosition?.latitude), SQLBind(exifPosition?.longitude))
            .run()
    }

    /// How many photos each report has.
    func photoCounts(of ids: [UUID]) async throws -> [UUID: Int] { try await counts("resident_report_photos", by: "report_id", ids) }

    /// Photo `position` of report `id`: its media type and bytes.
    func photo(report id: UUID, position: Int) async throws -> (type: String, data: Data)? {
        guard let row = try await sql.select().columns("content_type", "data").from("resident_report_photos")
            .where("report_id", .equal, SQLBind(id)).where("position", .equal, SQLBind(position)).first() else { return nil }
        return (try row.decode(column: "content_type", as: String.self), try row.decode(column: "data", as: Data.self))
    }

    // MARK: Hazards

    func link(report: UUID, hazards: [UUID]) async throws {
        try await CampaignStore(sql: sql).insert("resident_report_hazards", ["report_id", "hazard_id"], hazards.map { [report, $0] })
    }

    /// The hazards of each report, in id order.
    func hazards(of reports: [UUID]) async throws -> [UUID: [UUID]] {
        guard !reports.isEmpty else { return [:] }
        var out: [UUID: [UUID]] = [:]
        for row in try await sql.select().columns("report_id", "hazard_id").from("resident_report_hazards")
            .where("report_id", .in, SQLBind.group(reports)).orderBy("hazard_id").all() {
            if let r = try? row.decode(column: "report_id", as: UUID.self), let h = try? row.decode(column: "hazard_id", as: UUID.self) {
                out[r, default: []].append(h)
            }
        }
        return out
    }

    /// The reports in `state` one of whose hazards is among `hazards`, oldest first.
    func reports(linkedTo hazards: [UUID], in state: ResidentReportState) async throws -> [ResidentReportRow] {
        guard !hazards.isEmpty else { return [] }
        // Bulk writes (imports, the demo) close thousands of hazards that no report names.
        guard try await sql.select().column("report_id").from("resident_report_hazards").limit(1).first() != nil else { return [] }
        var ids: Set<UUID> = []
        for chunk in stride(from: 0, to: hazards.count, by: 500).map({ Array(hazards[$0..<min($0 + 500, hazards.count)]) }) {
            for row in try await sql.select().column("report_id").from("resident_report_hazards")
                .where("hazard_id", .in, SQLBind.group(chunk)).all() {
                if let id = try? row.decode(column: "report_id", as: UUID.self) { ids.insert(id) }
            }
        }
        guard !ids.isEmpty else { return [] }
        return try await reports(ids: Array(ids)).values.filter { $0.reportState == state }.sorted { $0.receivedAt < $1.receivedAt }
    }

    /// The states of the report's hazards (``HazardState`` raw values).
    func hazardStates(of report: UUID) async throws -> [String] {
        try await sql.select().column("state").from("hazards")
            .where("id", .in, SQLSubquery.select { $0.column("hazard_id").from("resident_report_hazards").where("report_id", .equal, SQLBind(report)) })
            .all().compactMap { try? $0.decode(column: "state", as: String.self) }
    }

    // MARK: Limits

    /// When reports came from this mobile and from this network address since `since`.
    func reportTimes(phone: String?, address: String?, since: Date) async throws -> (phone: [Date], address: [Date]) {
        (try await times("resident_reports", at: "received_at", where: "reporter_phone", is: phone, since: since),
         try await times("resident_reports", at: "received_at", where: "client_address", is: address, since: since))
    }

    /// The times (column `timeColumn`) of `table`'s rows whose `column` is `value`, since `since`;
    /// none for no value.
    private func times(_ table: String, at timeColumn: String, where column: String, is value: String?, since: Date) async throws -> [Date] {
        guard let value else { return [] }
        return try await sql.select().column(SQLIdentifier(timeColumn)).from(table).where(SQLIdentifier(column), .equal, SQLBind(value))
            .where(SQLIdentifier(timeColumn), .greaterThanOrEqual, SQLBind(since)).all()
            .compactMap { try? $0.decode(column: timeColumn, as: Date.self) }
    }

    // MARK: Codes

    /// SHA-256 of the mobile and the code: the stored code proves nothing to a database reader.
    static func codeHash(phone: String, code: String) -> String {
        Hex.encode(SHA256.hash(data: Data("\(phone):\(code)".utf8)))
    }

    /// When codes were sent to this mobile and to this network address since `since`.
    func codeTimes(phone: String, address: String?, since: Date) async throws -> (phone: [Date], address: [Date]) {
        (try await times("resident_codes", at: "created_at", where: "phone", is: phone, since: since),
         try await times("resident_codes", at: "created_at", where: "client_address", is: address, since: since))
    }

    func insertCode(phone: String, code: String, address: String?, at now: Date) async throws {
        try await sql.insert(into: "resident_codes")
            .columns("id", "phone", "code_hash", "client_address", "created_at", "expires_at", "attempts")
            .values(SQLBind(UUID()), SQLBind(phone), SQLBind(Self.codeHash(phone: phone, code: code)), SQLBind(address), SQLBind(now),
                    SQLBind(now.addingTimeInterval(ResidentCodeRules.validFor)), SQLBind(0))
            .run()
    }

    /// Uses the mobile's newest unexpired, unused code if `code` is it; every wrong try counts,
    /// and after ``ResidentCodeRules/maxAttempts`` the code is spent.
    /// - Returns: whether the code was right.
    func redeem(phone: String, code: String, at now: Date) async throws -> Bool {
        guard let row = try await sql.select().columns("id", "code_hash", "attempts").from("resident_codes")
            .where("phone", .equal, SQLBind(phone)).where("used_at", .is, SQLLiteral.null)
            .where("expires_at", .greaterThan, SQLBind(now)).orderBy("created_at", .descending).first(),
            let id = try? row.decode(column: "id", as: UUID.self),
            let hash = try? row.decode(column: "code_hash", as: String.self),
            let attempts = try? row.decode(column: "attempts", as: Int.self), attempts < ResidentCodeRules.maxAttempts else { return false }
        let right = hash == Self.codeHash(phone: phone, code: code)
        var q = sql.update("resident_codes").set("attempts", to: SQLBind(attempts + 1))
        if right { q = q.set("used_at", to: SQLBind(now)) }
        try await q.where("id", .equal, SQLBind(id)).run()
        return right
    }

    // MARK: Figures

    /// Counts of an area's reports (additions aside) received in `start…end`, per state and per
    /// child area, and the verification times (seconds from receipt to verification or dismissal).
    struct Figures: Sendable {
        var byState: [ResidentReportState: Int] = [:]
        var overdue = 0
        var perChild: [String: [ResidentReportState: Int]] = [:]
        var handlingSeconds: [Double] = []
    }

    func figures(area: String, childColumn: String?, queries: CampaignQueries, now: Date) async throws -> Figures {
        var q = queries.scoped(sql.select().columns("state", "received_at", "verified_at", "dismissed_at").from("resident_reports"))
            .where("state", .notEqual, SQLBind(ResidentReportState.added.rawValue))
        if let childColumn { q = q.column(SQLIdentifier(childColumn)) }
        if let column = CampaignQueries.areaColumn(for: area) { q = q.where(SQLIdentifier(column), .equal, SQLBind(area)) }
        var f = Figures()
        for row in try await q.all() {
            guard let state = (try? row.decode(column: "state", as: String.self)).flatMap(ResidentReportState.init(rawValue:)),
                  let received = try? row.decode(column: "received_at", as: Date.self) else { continue }
            f.byState[state, default: 0] += 1
            if state == .received, now >= ResidentReportRules.verifyBy(received) { f.overdue += 1 }
            if let handled = (try? row.decode(column: "verified_at", as: Date?.self)) ?? (try? row.decode(column: "dismissed_at", as: Date?.self)) ?? nil {
                f.handlingSeconds.append(handled.timeIntervalSince(received))
            }
            if let childColumn, let child = try? row.decode(column: childColumn, as: String?.self) {
                f.perChild[child, default: [:]][state, default: 0] += 1
            }
        }
        return f
    }

    // MARK: Alerts

    /// Reports awaiting verification since before `before` not yet escalated, grouped by their
    /// village, or their town when nothing placed them in a village.
    func unalerted(receivedBefore before: Date) async throws -> [String: [UUID]] {
        let rows = try await sql.select().columns("id", "village_code", "town_code").from("resident_reports")
            .where("state", .equal, SQLBind(ResidentReportState.received.rawValue)).where("received_at", .lessThan, SQLBind(before))
            .where("alerted_at", .is, SQLLiteral.null).limit(10_000).all()
        var out: [String: [UUID]] = [:]
        for row in rows {
            guard let id = try? row.decode(column: "id", as: UUID.self),
                  let area = (try? row.decode(column: "village_code", as: String?.self)) ?? nil ?? (try? row.decode(column: "town_code", as: String.self))
            else { continue }
            out[area, default: []].append(id)
        }
        return out
    }

    func markAlerted(_ ids: [UUID], at now: Date) async throws {
        guard !ids.isEmpty else { return }
        try await sql.update("resident_reports").set("alerted_at", to: SQLBind(now)).where("id", .in, SQLBind.group(ids)).run()
    }
}

import Foundation
import SQLKit
import SafeGridCore
import SafeGridLedger
import Vapor

/// Device ledgers: each valid row checked by ``DeviceRegistration/check(_:platform:subject:subjectName:existing:updates:now:)``
/// (the rules of `POST /api/v1/devices`) against the stored platforms, subjects and devices, then
/// the new devices inserted and the changed ones updated, all in one write transaction.
///
/// The subject is found by credit code, else by name within the village (punctuation, spaces and
/// width ignored); only subjects inside the importer's jurisdiction are found, so one outside is
/// unknown. Two subjects of that name in the village reject the row, naming both. A serial already
/// on the platform is the same device: `unchanged` when vendor, room, installed day and position
/// are equal (a row without a position keeps the stored one), else `updated`; a different subject
/// or kind rejects the row (the device is re-registered, not moved).
extension LedgerImport {
    static func devices(_ table: LedgerTable, villages: [Area], options: Options, app: Application) async throws -> Outcome {
        let now = app.services.now()
        let validated = DeviceImporter.validate(table, villages: villages, options: DeviceImportOptions(boundary: app.services.boundary))
        if let e = fileErrors(validated.problems) { throw e }
        var (report, rows) = startReport(table, kind: .devices, dryRun: options.dryRun, problems: validated.problems,
                                         rejected: validated.rejectedRows)
        let candidates = validated.candidates
        let scope = options.scope
        let mapping = validated.mapping
        let kindField = validated.kindField ?? .deviceKind

        /// The row's column for an API field of ``DeviceRegistration``'s errors.
        @Sendable func field(_ api: String?, _ c: DeviceImportRow) -> LedgerField? {
            switch api {
            case "platformId": .platform
            case "serial": .deviceSerial
            case "kind": kindField
            case "vendor": .vendor
            case "room": .room
            case "installedOn": .installedOn
            case "latitude", "longitude", "position": mapping[.latitude] != nil ? .latitude : .location
            case "subjectId": c.subject.isCreditCode ? .creditCode : .name
            default: nil
            }
        }
        @Sendable func problem(_ f: LedgerField?, _ c: DeviceImportRow, _ reason: String, _ severity: LedgerProblem.Severity = .error) -> ImportReport.Problem {
            let index = f.flatMap { mapping[$0] }
            return .init(LedgerProblem(row: c.row, column: index.map { table.header[$0] } ?? f?.zh, columnIndex: index, reason: reason,
                                       severity: severity))
        }

        /// The report rows, the devices to insert and those to update, against what `sql` holds now.
        @Sendable func plan(_ sql: any SQLDatabase) async throws -> (rows: [Int: ImportReport.Row], inserts: [DeviceRow], updates: [DeviceRow]) {
            let store = DeviceStore(sql: sql)
            var platforms: [String: IoTPlatformRow] = [:]
            var existing: [String: [String: DeviceRow]] = [:]
            for id in Set(candidates.map(\.platformID)) {
                guard let p = try await store.platform(id) else { continue }
                platforms[id] = p
                existing[id] = try await store.devices(platform: id, serials: candidates.filter { $0.platformID == id }.map(\.serial))
            }
            var credit: [String] = [], villageCodes = Set<String>()
            for c in candidates {
                switch c.subject {
                case .creditCode(let code): credit.append(code)
                case .name(let village, _, _): villageCodes.insert(village)
                }
            }
            let subjects = try await CampaignQueries(sql: sql, scope: scope).subjects(creditCodes: credit, villageCodes: Array(villageCodes))
            var byCredit: [String: SubjectRow] = [:], byName: [String: [SubjectRow]] = [:]
            for s in subjects {
                if let code = s.creditCode { byCredit[code] = s }
                byName["\(s.villageCode)|\(SubjectImporter.matchText(s.name))", default: []].append(s)
            }

            var out: [Int: ImportReport.Row] = [:]
            var inserts: [DeviceRow] = [], updates: [DeviceRow] = []
            for c in candidates {
                var row = ImportReport.Row(row: c.row, action: "rejected", subjectId: nil, changed: [], problems: [])
                let subject: SubjectRow?
                switch c.subject {
                case .creditCode(let code):
                    subject = byCredit[code]
                case .name(let village, let written, let match):
                    let found = (byName["\(village)|\(match)"] ?? []).sorted { $0.createdAt < $1.createdAt }
                    if found.count > 1 {
                        let named = found.map { "\($0.name) (\($0.address), id \($0.id.uuidString.lowercased()))" }.joined(separator: " and ")
                        row.problems.append(problem(.name, c, "\(found.count) subjects in the village are named \(written): \(named); give the 统一社会信用代码 to say which"))
                        out[c.row] = row
                        continue
                    }
                    subject = found.first
                }
                let particulars = DeviceParticulars(platformID: c.platformID, serial: c.serial, kind: c.kind, vendor: c.vendor, room: c.room,
                                                    installedOn: c.installedOn, position: c.position)
                do throws(DomainError) {
                    let outcome = try DeviceRegistration.check(particulars, platform: platforms[c.platformID], subject: subject,
                                                               subjectName: "\(c.subject) in your area", existing: existing[c.platformID]?[c.serial],
                                                               updates: true, now: now)
                    switch outcome {
                    case .new(let d):
                        row.action = "created"
                        row.subjectId = d.subjectId
                        row.deviceId = options.dryRun ? nil : d.id
                        inserts.append(d)
                    case .unchanged(let d):
                        row.action = "unchanged"
                        row.subjectId = d.subjectId
                        row.deviceId = d.id
                    case .updated(let d, let changed):
                        row.action = "updated"
                        row.subjectId = d.subjectId
                        row.deviceId = d.id
                        row.changed = changed.map { ($0 == "position" ? LedgerField.location : field($0, c))?.zh ?? $0 }
                        updates.append(d)
                    }
                } catch {
                    row.problems.append(problem(field(error.field, c), c, error.reason))
                }
                out[c.row] = row
            }
            return (out, inserts, updates)
        }

        var planned: [Int: ImportReport.Row] = [:]
        do {
            if options.dryRun {
                planned = try await plan(app.sql).rows
            } else {
                planned = try await app.writeGate.transaction(on: app.db, changesCampaign: false) { sql in
                    let (rows, inserts, updates) = try await plan(sql)
                    let store = DeviceStore(sql: sql)
                    try await store.insert(devices: inserts)
                    for d in updates { try await store.update(particulars: d) }
                    return rows
                }
            }
        } catch {
            // Nothing of the file was written: the transaction rolled back whole.
            if let first = candidates.first?.row, let last = candidates.last?.row {
                let reason = "rows \(first)–\(last) were not written (the whole import was rolled back): \(String(describing: error))"
                report.failedBatches.append(reason)
                for c in candidates {
                    planned[c.row] = .init(row: c.row, action: "rejected", subjectId: nil, changed: [], problems: [.init(column: nil, reason: reason)])
                }
            }
        }
        merge(planned, into: &rows)
        let rejected = finish(&report, rows: rows, table: table)
        return Outcome(report: report, rejected: rejected)
    }
}

extension DeviceSubjectReference {
    var isCreditCode: Bool { if case .creditCode = self { true } else { false } }
}

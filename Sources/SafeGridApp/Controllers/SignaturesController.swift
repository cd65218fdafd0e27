import Crypto
import Foundation
import Plot
import SafeGridCore
import Vapor

/// `POST /api/v1/inspections/{id}/signature`, the signing page and the printable notice.
enum SignaturesController {
    struct SignatureInput: Content {
        let signerName: String
        /// Defaults to the subject's responsible party's number.
        let signerPhone: String?
        /// RFC 3339 with offset; defaults to now.
        let signedAt: String?
        /// PNG as a data URL (`data:image/png;base64,…`) or bare base64.
        let image: String
        let location: SubjectsController.LocationInput?
    }

    static func sign(_ req: Request) async throws -> Response {
        let id = try Input.uuid(req.parameters.get("id"), "id", kind: .notFound)
        let input = try req.content.decode(SignatureInput.self)
        let now = req.services.now()
        let signedAt = try input.signedAt.map { s throws(DomainError) in try Input.timestamp(s, "signedAt") } ?? now
        var base64 = input.image.trimmingCharacters(in: .whitespacesAndNewlines)
        if base64.hasPrefix("data:") {
            guard let comma = base64.firstIndex(of: ","), base64[..<comma].lowercased() == "data:image/png;base64" else {
                throw DomainError.invalid("image", "the signature must be a PNG data URL")
            }
            base64 = String(base64[base64.index(after: comma)...])
        }
        guard base64.count <= SignatureService.maxImageBytes * 4 / 3 + 8 else {
            throw DomainError.invalid("image", "the signature image is larger than \(SignatureService.maxImageBytes / 1024) KB")
        }
        guard let data = Data(base64Encoded: base64) else {
            throw DomainError.invalid("image", base64.isEmpty ? "the signature is empty" : "the signature is not valid base64")
        }
        var location: GeoPoint? = nil
        if let l = input.location {
            let datum: Datum = try Input.optionalEnum(l.datum, "location.datum") ?? .wgs84
            do { location = try GeoPoint(latitude: l.latitude, longitude: l.longitude, datum: datum) } catch {
                throw DomainError.invalid("location", error)
            }
        }
        let links = req.application.linkSigning
        let checklists = req.checklists
        let position = location
        let signed = try await req.application.writeGate.transaction(on: req.db) { sql in
            let q = req.queries(sql)
            guard let inspection = try await q.inspection(id), let subject = try await q.subject(inspection.subjectId) else {
                throw DomainError(.notFound, field: "id", reason: "no inspection \(id)")
            }
            let phone: PhoneNumber
            if let raw = input.signerPhone, !raw.trimmingCharacters(in: .whitespaces).isEmpty {
                do throws(InvalidValue) { phone = try PhoneNumber(raw) } catch { throw DomainError.invalid("signerPhone", error) }
            } else if let p = subject.phone {
                phone = p
            } else {
                throw DomainError.invalid("signerPhone", "the signer's phone number is required")
            }
            return try await SignatureService.sign(sql: sql, scope: req.jurisdiction, inspectionID: id, signerName: input.signerName, signerPhone: phone,
                                                   signedAt: signedAt, imagePNG: [UInt8](data), location: position, now: now,
                                                   links: links, checklists: checklists)
        }
        return try Response.json(signed, status: .created)
    }

    static func image(_ req: Request) async throws -> Response {
        let id = try Input.uuid(req.parameters.get("id"), "id", kind: .notFound)
        guard try await req.queries.inspection(id) != nil, let data = try await SignatureStore(sql: req.sql).image(inspection: id) else {
            throw DomainError(.notFound, field: "id", reason: "the inspection is not signed")
        }
        let r = Response(status: .ok, body: .init(data: data))
        r.headers.contentType = .png
        r.headers.cacheControl = .init(isPrivate: true, maxAge: 86_400)
        return r
    }

    /// The page the inspector hands to the responsible party: the record to sign and a pad.
    static func signPage(_ req: Request) async throws -> Response {
        let id = try Input.uuid(req.parameters.get("id"), "id", kind: .notFound)
        let q = req.queries
        guard let inspection = try await q.inspection(id), let subject = try await q.subject(inspection.subjectId) else {
            throw DomainError(.notFound, field: "id", reason: "no inspection \(id)")
        }
        let store = SignatureStore(sql: req.sql)
        if let signed = try await store.signature(inspection: id) {
            return Layout.page(title: "已签字", subtitle: "Already signed",
                               .p(.text("该检查已由 \(signed.signerName) 于 \(Layout.time(signed.signedAt)) 签字确认。")),
                               .p(.a(.href("/inspections/\(id.uuidString.lowercased())/notice"), .text("查看整改通知书 View the notice"))))
        }
        let hazards = try await req.hazardDTOs(try await q.hazardsOfVisit(id))
        return Layout.page(
            title: "现场签字确认", subtitle: "On-site signature · \(subject.name)",
            .p(.text("检查时间 \(Layout.time(inspection.inspectedAt)) · 检查人 \(inspection.inspector)")),
            .h2(.text("发现的隐患"), .span(.class("en"), .text("Hazards found (\(hazards.count))"))),
            .ol(.forEach(hazards) { h in
                .li(.text("\(h.item?.zh ?? h.itemCode)"), .span(.class("en"), .text("整改期限 \(h.dueOn)")))
            }),
            .form(.id("sign-form"), .attribute(named: "data-inspection", value: id.uuidString.lowercased()),
                  .attribute(named: "data-subject-name", value: subject.name),
                  .attribute(named: "data-csrf", value: Layout.signedIn?.csrfToken ?? ""),
                  .label(.text("当事人姓名 Name"), .input(.type(.text), .name("signerName"), .value(subject.partyName), .required(true))),
                  .label(.text("手机号码 Mobile（留空则用登记号码 \(subject.phone?.masked ?? "")）"),
                         .input(.type(.tel), .name("signerPhone"), .attribute(named: "autocomplete", value: "tel"))),
                  .p(.text("请在下框内签名 Sign below")),
                  .element(named: "canvas", nodes: [.attribute(named: "id", value: "pad"), .attribute(named: "class", value: "pad")]),
                  .div(.class("actions"),
                       .button(.type(.button), .id("clear"), .text("清除 Clear")),
                       .button(.type(.submit), .id("submit"), .text("确认签字 Confirm"))),
                  .p(.id("status"), .class("status"))),
            .element(named: "script", nodes: [.attribute(named: "src", value: "/assets/sign.js")])
        )
    }

    /// 整改通知书: printable notice of the signed inspection.
    static func noticePage(_ req: Request) async throws -> Response {
        let id = try Input.uuid(req.parameters.get("id"), "id", kind: .notFound)
        let q = req.queries
        guard let inspection = try await q.inspection(id), let subject = try await q.subject(inspection.subjectId) else {
            throw DomainError(.notFound, field: "id", reason: "no inspection \(id)")
        }
        let store = SignatureStore(sql: req.sql)
        guard let signed = try await store.signature(inspection: id) else {
            throw DomainError(.notFound, field: "id", reason: "the inspection is not signed yet")
        }
        let record = try await SignatureService.record(id, sql: req.sql, scope: req.jurisdiction)
        let image = try await store.image(inspection: id) ?? Data()
        let imageHash = Hex.encode(SHA256.hash(data: image))
        let seal = SignatureSeal.sha256(recordSHA256: signed.recordSha256, signerName: signed.signerName,
                                        signerPhone: signed.signerPhone, signedAt: signed.signedAt, latitude: signed.latitude,
                                        longitude: signed.longitude, imageSHA256: imageHash)
        let intact = record?.sha256 == signed.recordSha256 && imageHash == signed.imageSha256 && seal == signed.sealSha256
        let hazards = try await req.hazardDTOs(try await q.hazardsOfVisit(id))
        let team = try await q.team(inspection: id)
        return Layout.page(
            title: "整改通知书", subtitle: "Rectification notice \(signed.noticeNumber)",
            .div(.class("notice"),
                 .p(.class("number"), .text(signed.noticeNumber)),
                 .p(.text("\(subject.name)（\(subject.address)）：")),
                 .p(.text("\(Layout.time(inspection.inspectedAt)) 联合检查组（\(team.map { "\($0.name)·\($0.department.zh)" }.joined(separator: "、"))）依据“一张表”对你单位进行了综合检查，发现下列安全隐患，请在期限内整改完毕，整改后通过短信链接上传整改照片，等待复查。")),
                 .table(.tr(.th("序号"), .th("隐患 Hazard"), .th("依据 Legal basis"), .th("严重程度"), .th("整改期限 Due"), .th("状态 State")),
                        .forEach(Array(hazards.enumerated())) { (i, h) in
                            .tr(.td(.text(String(i + 1))), .td(.text(h.item?.zh ?? h.itemCode)), .td(.text(h.legalBasis ?? "")),
                                .td(.text(Severity(rawValue: h.severity)?.zh ?? h.severity)), .td(.text(h.dueOn)),
                                .td(.class("state-\(h.state)"), .text(h.stateLabel.zh)))
                        }),
                 .div(.class("sign-block"),
                      .p(.text("当事人签字 Signed by \(signed.signerName)，\(Layout.time(signed.signedAt))")),
                      .img(.src("/inspections/\(id.uuidString.lowercased())/signature.png"), .alt("签名 signature"), .class("signature")),
                      .p(.class("en"), .text("记录摘要 SHA-256 \(signed.recordSha256)")),
                      .p(.class(intact ? "ok" : "overdue"),
                         .text(intact ? "记录与签字时一致 ✓ The record is as signed"
                                      : "记录在签字后被改动 ✗ The record changed after signing")))),
            .p(.class("no-print"), .a(.href("/subjects/\(subject.id.uuidString.lowercased())"), .text("返回检查对象 Back to the subject")))
        )
    }
}

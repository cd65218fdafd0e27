import Foundation
import Plot
import SQLKit
import SafeGridCore
import Testing
import Vapor
@testable import SafeGridApp

/// What a stranger can reach: the routes that need no account, tested without one; values typed
/// by people escaped wherever they land in a page; security headers on every answer.
@Suite("Trust: public routes anonymously, escaping, headers")
struct TrustTests {
    /// A signed inspection of two hazards and the party's SMS link (`/e/{token}`).
    func signedWithLink(_ app: Application, partyName: String = "王建国") async throws -> (subject: String, inspection: String, hazards: [String], link: String) {
        let mg = try await addMicroGrid(app)
        var body = enterpriseBody(microGrid: mg, credit: creditCode("MA2AB3CD"))
        body["party"] = ["name": partyName, "phone": "+86 138 0000 0000"]
        let created = try await app.send(.POST, "/api/v1/subjects", object: body, token: app.adminToken)
        #expect(created.status == .created, "\(created.body)")
        let subject = try created.decoded(SubjectDTO.self).id.uuidString
        let r = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: subject), token: app.adminToken)
        let visit = try r.decoded(InspectionDTO.self)
        let inspection = visit.id.uuidString
        let hazards = visit.hazards.map(\.id.uuidString)
        let sign = try await app.send(.POST, "/api/v1/inspections/\(inspection)/signature",
                                      object: ["signerName": "王建国", "image": signaturePNG], token: app.adminToken)
        #expect(sign.status == .created, "\(sign.body)")
        let sms = try sign.decoded(SignatureService.Signed.self).smsBody ?? ""
        guard let at = sms.range(of: "/e/") else {
            Issue.record("no link in the SMS: \(sms)")
            return (subject, inspection, hazards, "")
        }
        return (subject, inspection, hazards, "/e/" + sms[at.upperBound...].prefix(EvidenceToken.length))
    }

    @Test func theSMSLinkWorksForThePartyWithoutAnAccount() async throws {
        try await withSafeGrid { app in
            let (_, _, hazards, link) = try await signedWithLink(app)
            // The page, without any credentials: both open hazards with an upload form each.
            let page = try await app.send(.GET, link)
            #expect(page.status == .ok, "\(page.body)")
            #expect(page.body.contains("整改照片上传"))
            #expect(page.body.components(separatedBy: "/evidence\" method=\"post\"").count - 1 == 2
                    || page.body.components(separatedBy: "enctype=\"multipart/form-data\"").count - 1 == 2)
            #expect(page.body.contains(hazards[0].lowercased()))
            // The upload, anonymously: the hazard moves to rectification in progress.
            let up = try await app.upload("\(link)/hazards/\(hazards[0])/evidence",
                                          multipart([("photo", "a.jpg", "image/jpeg", tinyJPEG), ("note", nil, nil, Array("已整改".utf8))]))
            #expect(up.status == .created, "\(up.body)")
            // Raw: the party's upload answers a bare {"state", "sha256"}, no API type.
            #expect(up.json["state"] as? String == "rectifying")
            // The photo, anonymously, through the link (and not without it).
            let photoID = try await app.sql.select().column("id").from("evidence").first()?.decode(column: "id", as: UUID.self)
            let id = photoID?.uuidString.lowercased() ?? ""
            let photo = try await app.send(.GET, "\(link)/evidence/\(id)")
            #expect(photo.status == .ok)
            #expect(photo.headers.first(name: .contentType) == "image/jpeg")
            #expect(Array(photo.body.utf8.prefix(2)) == [0xFF, 0xD8] || photo.body.utf8.count > 0)
            #expect(try await app.send(.GET, "/evidence/\(id)").status != .ok)
            // The page shows the uploaded photo and the hazard's new state to the party.
            let after = try await app.send(.GET, link)
            #expect(after.body.contains("/e/"))
            #expect(after.body.contains("\(link)/evidence/\(id)"))
        }
    }

    @Test func publicRoutesAnswerWithoutAnAccount() async throws {
        try await withSafeGrid { app in
            #expect(try await app.send(.GET, "/healthz").status == .ok)
            #expect(try await app.send(.GET, "/readyz").status == .ok)
            // Raw: the OpenAPI document and Open311 (GeoReport v2 shapes) are read as a client reads them.
            let api = try await app.send(.GET, "/openapi.json")
            #expect(api.status == .ok)
            #expect(api.json["openapi"] as? String != nil)
            let login = try await app.send(.GET, "/login")
            #expect(login.status == .ok)
            #expect(login.body.contains("name=\"password\""))
            #expect(try await app.send(.GET, "/assets/app.css").status == .ok)
            #expect(try await app.send(.GET, "/assets/sign.js").status == .ok)
            #expect(try await app.send(.GET, "/assets/tasks.js").status == .ok)
            #expect(try await app.send(.GET, "/assets/nope.js").status == .notFound)
            #expect(try await app.send(.GET, "/open311/v2/services.json").array.count > 10)
            #expect(try await app.send(.GET, "/open311/v2/requests.json").status == .ok)
            // Everything else refuses a stranger.
            #expect(try await app.send(.GET, "/api/v1/dashboard").status == .unauthorized)
            let page = try await app.send(.GET, "/dashboard")
            #expect(page.status == .seeOther)
            #expect(page.headers.first(name: .location) == "/login?next=%2Fdashboard")
        }
    }

    @Test func everyAnswerCarriesTheSecurityHeaders() async throws {
        try await withSafeGrid { app in
            for (path, token) in [("/login", ""), ("/healthz", ""), ("/api/v1/dashboard", ""), ("/api/v1/dashboard", app.adminToken),
                                  ("/nowhere", ""), ("/e/not-a-token", ""), ("/dashboard", app.adminToken)] {
                let r = try await app.send(.GET, path, token: token)
                let csp = r.headers.first(name: "Content-Security-Policy") ?? ""
                #expect(csp.contains("default-src 'self'"), "\(path)")
                #expect(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "\(path)")
                #expect(csp.contains("frame-ancestors 'none'"), "\(path)")
                #expect(r.headers.first(name: "X-Content-Type-Options") == "nosniff", "\(path)")
                #expect(r.headers.first(name: "Referrer-Policy") == "same-origin", "\(path)")
            }
        }
    }

    @Test func aKnownPathWithAnotherMethodIs405WithAllow() async throws {
        try await withSafeGrid { app in
            let r = try await app.send(.DELETE, "/api/v1/dashboard", token: app.adminToken)
            #expect(r.status == .methodNotAllowed)
            #expect(r.headers.first(name: "Allow") == "GET, HEAD")
            #expect(r.headers.first(name: .contentType)?.hasPrefix("application/problem+json") == true)
            let subjects = try await app.send(.PUT, "/api/v1/subjects/\(UUID())")
            #expect(subjects.status == .methodNotAllowed)
            #expect(subjects.headers.first(name: "Allow") == "GET, HEAD")
            #expect(try await app.send(.PATCH, "/api/v1/subjects").headers.first(name: "Allow") == "GET, HEAD, POST")
            #expect(try await app.send(.GET, "/api/v1/no-such-thing", token: app.adminToken).status == .notFound)
        }
    }

    @Test func theSignInPageKeepsNextALocalPathAndInert() async throws {
        try await withSafeGrid { app in
            let hostile = "/%22%3E%3Cscript%3Ealert(document.domain)%3C/script%3E"
            let r = try await app.send(.GET, "/login?next=\(hostile)")
            #expect(r.status == .ok)
            #expect(!r.body.contains("<script>alert"))
            #expect(!r.body.lowercased().contains("<script>"))
            #expect(r.body.contains("name=\"next\" value=\"/\""))
            for bad in ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)", "/x'onmouseover='alert(1)"] {
                #expect(AccountsController.safeNext(bad) == "/", "\(bad)")
            }
            #expect(AccountsController.safeNext("/subjects/1?tab=hazards") == "/subjects/1?tab=hazards")
        }
    }

    @Test func attributesAndTextAreEscapedWhateverBuildsThem() async throws {
        try await withSafeGrid { app in
            let hostileName = "\"><script>alert(1)</script><x a='"
            let (_, inspection, hazards, link) = try await signedWithLink(app, partyName: hostileName)
            // A party's evidence note lands in the `alt` of the hazard page's photo.
            let note = "\" onerror=\"alert(1)"
            let up = try await app.upload("\(link)/hazards/\(hazards[0])/evidence",
                                          multipart([("photo", "a.jpg", "image/jpeg", tinyJPEG), ("note", nil, nil, Array(note.utf8))]))
            #expect(up.status == .created, "\(up.body)")
            let hazardPage = try await app.send(.GET, "/hazards/\(hazards[0])", token: app.adminToken)
            #expect(hazardPage.status == .ok)
            #expect(!tags(hazardPage.body).contains { $0.contains("onerror") && !$0.contains("&quot; onerror=&quot;") })
            #expect(hazardPage.body.contains("alt=\"&quot; onerror=&quot;alert(1)\""))
            // A second inspection, unsigned, shows the party name in the signature page's form.
            let subject = try await app.sql.select().column("id").from("subjects").first()?.decode(column: "id", as: UUID.self)
            let again = try await app.send(.POST, "/api/v1/inspections",
                                           object: inspectionBody(subject: subject?.uuidString.lowercased() ?? "", at: "2026-11-30T09:40:00+08:00",
                                                                  results: [["itemCode": "FIRE-01", "outcome": "hazard"]]), token: app.adminToken)
            let unsigned = (try? again.decoded(InspectionDTO.self))?.id.uuidString ?? inspection
            let sign = try await app.send(.GET, "/inspections/\(unsigned)/sign", token: app.adminToken)
            #expect(sign.status == .ok)
            #expect(!sign.body.contains("<script>alert"))
            #expect(sign.body.contains("value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;x a=&#39;\""))
            #expect(sign.body.contains("data-subject-name=\"杭州恒增纺织有限公司\""))
            // Text keeps what was typed: an entity-like text is shown as typed, not as a character.
            #expect(Node<HTML.BodyContext>.p(.text("&lt;b&gt; & <i>")).render() == "<p>&amp;lt;b&amp;gt; &amp; &lt;i&gt;</p>")
            #expect(Node<HTML.BodyContext>.a(.href("/x?a=1&b=\"2\"'")).render() == "<a href=\"/x?a=1&amp;b=&quot;2&quot;&#39;\"></a>")
        }
    }

    /// The start tags of a page (`<img class="evidence" src=… alt=…/>`), for checks that an
    /// attribute value did not escape into the tag.
    func tags(_ html: String) -> [String] {
        html.split(separator: "<").dropFirst().compactMap { part in part.split(separator: ">", maxSplits: 1).first.map(String.init) }
    }
}

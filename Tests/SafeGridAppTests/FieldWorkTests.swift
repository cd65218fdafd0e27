import Crypto
import Foundation
import SQLKit
import SafeGridCore
import Testing
import Vapor
@testable import SafeGridApp

/// What the field app stands on: photos uploaded before the records that name them, a subject
/// registered offline sent again, search by what a worker knows, the app's files, and the
/// session's CSRF token for its script.
@Suite("Field work: photos, offline registration, the field app")
struct FieldWorkTests {
    @Test func aPhotoKeepsItsEXIFIsStoredOnceAndShowsOnItsHazard() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app)
            let subject = try await createEnterprise(app, microGrid: mg)
            let first = try await app.send(.POST, "/api/v1/photos", bytes: cameraJPEG, token: app.adminToken)
            #expect(first.status == .created, "\(first.body)")
            let photo = try first.decoded(PhotosController.PhotoDTO.self)
            #expect(photo.id == Hex.encode(SHA256.hash(data: cameraJPEG)) && photo.sha256 == photo.id)
            #expect(photo.format == "jpeg" && photo.byteCount == 254 && photo.metadataSource == "exif")
            #expect(photo.takenAt == "2026-11-30T09:12:00+08:00")
            #expect(abs((photo.latitude ?? 0) - 30.175) < 1e-9 && abs((photo.longitude ?? 0) - 120.46) < 1e-9)
            #expect(photo.url == "/photos/\(photo.id)")
            // The same bytes again: 200, one row; the query cannot override what EXIF says.
            let again = try await app.send(.POST, "/api/v1/photos?takenAt=2026-11-29T08:00:00%2B08:00&latitude=1&longitude=2",
                                           bytes: cameraJPEG, token: app.adminToken)
            #expect(again.status == .ok)
            #expect(try again.decoded(PhotosController.PhotoDTO.self).takenAt == "2026-11-30T09:12:00+08:00")
            let rows = try await app.sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("photos").first()
            #expect(try rows?.decode(column: "n", as: Int.self) == 1)

            // A photo the phone shrank (no EXIF) keeps what the phone read from the original.
            let shrunk = try await app.send(.POST, "/api/v1/photos?takenAt=2026-11-30T09:15:00%2B08:00&latitude=30.18&longitude=120.47",
                                            bytes: plainJPEG("shrunk"), token: app.adminToken)
            let shrunkPhoto = try shrunk.decoded(PhotosController.PhotoDTO.self)
            #expect(shrunk.status == .created && shrunkPhoto.metadataSource == "client" && shrunkPhoto.takenAt == "2026-11-30T09:15:00+08:00")
            #expect(shrunkPhoto.latitude == 30.18 && shrunkPhoto.longitude == 120.47)

            let inspection = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: subject, results: [
                ["itemCode": "ELEC-01", "outcome": "hazard", "note": "电线未穿管", "photos": [photo.id, shrunkPhoto.id]],
                ["itemCode": "FIRE-01", "outcome": "pass"],
            ]), token: app.adminToken)
            #expect(inspection.status == .created, "\(inspection.body)")
            let hazard = try #require(try inspection.decoded(InspectionDTO.self).hazards.first)
            #expect(hazard.photos == [photo.id, shrunkPhoto.id])
            // The hazard page shows both with their time and place.
            let page = try await app.send(.GET, "/hazards/\(hazard.id.uuidString)", token: app.adminToken)
            #expect(page.status == .ok)
            #expect(page.body.contains("现场照片") && page.body.contains("src=\"/photos/\(photo.id)\"") && page.body.contains("src=\"/photos/\(shrunkPhoto.id)\""))
            #expect(page.body.contains("30.175000, 120.460000 (WGS-84)"))
            let image = try await app.send(.GET, "/photos/\(photo.id)", token: app.adminToken)
            #expect(image.status == .ok && image.headers.contentType?.description == "image/jpeg")
            #expect(image.headers.first(name: "X-Content-Type-Options") == "nosniff")
        }
    }

    @Test func badPhotosAndUnknownReferencesAreRefusedNamingTheField() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app)
            let subject = try await createEnterprise(app, microGrid: mg)
            for (bytes, reason) in [([UInt8](), "the file is empty"), (Array("<svg onload=alert(1)>".utf8), "the file is not a JPEG, PNG or HEIC image"),
                                    ([0x25, 0x50, 0x44, 0x46, 0x2D], "the file is not a JPEG, PNG or HEIC image")] {
                let r = try await app.send(.POST, "/api/v1/photos", bytes: bytes, token: app.adminToken)
                #expect(r.status == .unprocessableEntity, "\(r.body)")
                #expect(try (r.problem().field) == "photo", "\(r.body)")
                #expect(try (r.problem().detail).contains(reason), "\(r.body)")
            }
            // Over 10 MB: ImageContent's message.
            let over = try await app.send(.POST, "/api/v1/photos", bytes: plainJPEG("x") + [UInt8](repeating: 0, count: 10 * 1024 * 1024), token: app.adminToken)
            #expect(over.status == .unprocessableEntity, "\(over.body.prefix(300))")
            #expect(try (over.problem().detail).contains("at most 10 MB"), "\(over.body.prefix(300))")
            // 30 MB (a served request stops at the route's 11 MB with 413; in memory the body arrives whole).
            let huge = try await app.send(.POST, "/api/v1/photos", bytes: [UInt8](repeating: 0xFF, count: 30 * 1024 * 1024), token: app.adminToken)
            #expect(huge.status == .unprocessableEntity)
            #expect(try huge.problem().detail.contains("the file is 30 MB; at most 10 MB"))
            // Only whole files: the first bytes of a JPEG, PNG or HEIC are not a photo.
            for (bytes, name) in [([0xFF, 0xD8, 0xFF] as [UInt8], "JPEG"), (Array(plainJPEG("cut").dropLast(2)), "JPEG"),
                                  ([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x3C, 0x68] + Array("<html><script>".utf8), "JPEG"),
                                  ([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "PNG"),
                                  ([0, 0, 0, 24] + Array("ftypheic".utf8) + [0, 0, 0, 0] + Array("mif1heic".utf8) + Array("not a box".utf8), "HEIC")] {
                let r = try await app.send(.POST, "/api/v1/photos", bytes: bytes, token: app.adminToken)
                #expect(r.status == .unprocessableEntity, "\(name) \(bytes.count) bytes")
                #expect(try r.problem().detail == "the \(name) file is incomplete or damaged; take or choose the photo again", "\(r.body)")
            }
            for (query, field) in [("takenAt=yesterday", "takenAt"),
                                   ("latitude=30.1", "longitude"), ("latitude=north&longitude=120", "latitude"),
                                   ("latitude=120.4&longitude=30.1", "latitude")] {
                let r = try await app.send(.POST, "/api/v1/photos?\(query)", bytes: plainJPEG(query), token: app.adminToken)
                #expect(r.status == .unprocessableEntity, "\(query): \(r.body)")
                #expect(try (r.problem().field) == field, "\(query): \(r.body)")
            }
            let stored = try await app.sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("photos").first()
            #expect(try stored?.decode(column: "n", as: Int.self) == 0)
            // A wrong camera clock or a position of 0°, 0° is left out, never refused.
            for query in ["takenAt=2027-01-01T00:00:00%2B08:00", "takenAt=0001-01-01T00:00:00Z", "latitude=0&longitude=0"] {
                let r = try await app.send(.POST, "/api/v1/photos?\(query)", bytes: plainJPEG(query), token: app.adminToken)
                let p = try r.decoded(PhotosController.PhotoDTO.self)
                #expect(r.status == .created && p.takenAt == nil && p.latitude == nil && p.metadataSource == nil, "\(query): \(r.body)")
            }

            // A record naming a photo nobody uploaded, or someone else's: refused, nothing written.
            let grid = try await makeAccount(app, "g.worker", role: .gridWorker, area: String(mg.prefix(14)))
            let mine = try await app.send(.POST, "/api/v1/photos", bytes: plainJPEG("admin's"), token: app.adminToken)
            let adminPhoto = try mine.decoded(PhotosController.PhotoDTO.self).id
            let unknown = String(repeating: "ab", count: 32)
            for (photos, token, field) in [([unknown], app.adminToken, "results[0].photos[0]"), (["IMG_1.jpg", adminPhoto], grid, "results[0].photos[1]")] {
                let r = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: subject, results: [
                    ["itemCode": "ELEC-01", "outcome": "hazard", "photos": photos]]), token: token)
                #expect(r.status == .unprocessableEntity, "\(r.body)")
                #expect(try (r.problem().field) == field, "\(r.body)")
            }
            let hazards = try await app.send(.GET, "/api/v1/hazards", token: app.adminToken)
            #expect(try hazards.decoded(Page<HazardDTO>.self).total == 0)
            // The grid worker cannot see the admin's photo until a record shows it on a subject of the grid.
            #expect(try await app.send(.GET, "/photos/\(adminPhoto)", token: grid).status == .notFound)
            // Unless it uploads the same picture itself: then it may read it and name it.
            let same = try await app.send(.POST, "/api/v1/photos", bytes: plainJPEG("shared"), token: app.adminToken)
            let sameAgain = try await app.send(.POST, "/api/v1/photos", bytes: plainJPEG("shared"), token: grid)
            #expect(same.status == .created && sameAgain.status == .ok)
            let shared = try sameAgain.decoded(PhotosController.PhotoDTO.self).id
            #expect(try await app.send(.GET, "/photos/\(shared)", token: grid).status == .ok)
            #expect(try await PhotoStore(sql: app.sql).missing([shared, adminPhoto], uploadedBy: "g.worker") == [adminPhoto])
            let shown = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: subject, results: [
                ["itemCode": "ELEC-01", "outcome": "hazard", "photos": [adminPhoto]]]), token: app.adminToken)
            #expect(shown.status == .created)
            #expect(try await app.send(.GET, "/photos/\(adminPhoto)", token: grid).status == .ok)
            #expect(try await app.send(.GET, "/photos/\(unknown)", token: app.adminToken).status == .notFound)
            #expect(try await app.send(.GET, "/photos/..%2F..%2Fetc", token: app.adminToken).status == .notFound)
        }
    }

    @Test func aReinspectionCarriesPhotosAndNamesEachHazardOnce() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app)
            let subject = try await createEnterprise(app, microGrid: mg)
            let i = try await app.send(.POST, "/api/v1/inspections", object: inspectionBody(subject: subject), token: app.adminToken)
            let hazard = try #require(try i.decoded(InspectionDTO.self).hazards.first).id.uuidString
            let photo = try await app.send(.POST, "/api/v1/photos", bytes: plainJPEG("rectified"), token: app.adminToken)
            let id = try photo.decoded(PhotosController.PhotoDTO.self).id
            let twice = try await app.send(.POST, "/api/v1/reinspections", object: [
                "subjectId": subject, "inspector": "李伟", "results": [["hazardId": hazard, "outcome": "rectified"],
                                                                     ["hazardId": hazard, "outcome": "rectified"]]], token: app.adminToken)
            #expect(twice.status == .unprocessableEntity, "\(twice.body)")
            #expect(try (twice.problem().field) == "results[1].hazardId", "\(twice.body)")
            let name = try await app.send(.POST, "/api/v1/reinspections", object: [
                "subjectId": subject, "inspector": "李伟", "results": [["hazardId": hazard, "outcome": "rectified", "photos": ["IMG_2.jpg"]]]],
                                          token: app.adminToken)
            #expect(name.status == .unprocessableEntity)
            #expect(try (name.problem().field) == "results[0].photos[0]")
            let ok = try await app.send(.POST, "/api/v1/reinspections", object: [
                "subjectId": subject, "inspector": "李伟", "results": [["hazardId": hazard, "outcome": "rectified", "photos": [id]]]],
                                        token: app.adminToken)
            #expect(ok.status == .ok, "\(ok.body)")
            let uses = try await PhotoStore(sql: app.sql).photos(hazard: try #require(UUID(uuidString: hazard)))
            #expect(uses.map(\.sha256) == [id] && uses.map(\.source) == ["reinspection"])
        }
    }

    @Test func aSubjectRegisteredOfflineCanBeSentAgain() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app)
            let id = UUID().uuidString.lowercased()
            var body = enterpriseBody(microGrid: mg, credit: creditCode("MA2AB3CD"))
            body["id"] = id
            let first = try await app.send(.POST, "/api/v1/subjects", object: body, token: app.adminToken)
            #expect(first.status == .created, "\(first.body)")
            #expect(try first.decoded(SubjectDTO.self).id.uuidString.lowercased() == id)
            let again = try await app.send(.POST, "/api/v1/subjects", object: body, token: app.adminToken)
            #expect(again.status == .ok, "\(again.body)")
            #expect(try (again.decoded(SubjectDTO.self).id.uuidString.lowercased()) == id, "\(again.body)")
            for (key, value) in [("name", "另一家企业" as Any), ("location", ["latitude": 30.2, "longitude": 120.46, "datum": "gcj02"] as Any),
                                 ("aboveScale", false as Any)] {
                var other = body
                other[key] = value
                let clash = try await app.send(.POST, "/api/v1/subjects", object: other, token: app.adminToken)
                #expect(clash.status == .conflict, "\(key)")
                #expect(try clash.problem().field == "id", "\(key)")
            }
            body["id"] = "not-a-uuid"
            #expect(try await app.send(.POST, "/api/v1/subjects", object: body, token: app.adminToken).problem().field == "id")
            let page = try await app.send(.GET, "/api/v1/subjects", token: app.adminToken)
            #expect(try page.decoded(Page<SubjectDTO>.self).total == 1)
        }
    }

    @Test func subjectsAreFoundByNameAddressOrCreditCode() async throws {
        try await withSafeGrid { app in
            let mg = try await addMicroGrid(app)
            _ = try await createEnterprise(app, microGrid: mg)
            let code = creditCode("MA2AB3CD")
            let fullWidth = String(String.UnicodeScalarView(code.prefix(6).unicodeScalars.compactMap { Unicode.Scalar($0.value + 0xFEE0) }))
            for q in ["恒增纺织", "民丰河村", code, code.lowercased(), String(code.suffix(8)), "  恒增纺织　", fullWidth] {
                let r = try await app.send(.GET, "/api/v1/subjects?q=\(q.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? q)", token: app.adminToken)
                #expect(try r.decoded(Page<SubjectDTO>.self).total == 1, "q=\(q)")
            }
            let none = try await app.send(.GET, "/api/v1/subjects?q=%25", token: app.adminToken)
            #expect(try none.decoded(Page<SubjectDTO>.self).total == 0)
            let control = try await app.send(.GET, "/api/v1/subjects?q=a%00b", token: app.adminToken)
            #expect(control.status == .unprocessableEntity)
            #expect(try control.problem().field == "q")
        }
    }

    @Test func theFieldAppIsServedWithoutAnAccountUnderItsPolicy() async throws {
        try await withSafeGrid { app in
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("field-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            try Data("<!doctype html><title>现场</title><script src=\"app.js\"></script>".utf8).write(to: folder.appendingPathComponent("index.html"))
            try Data("console.log(1)".utf8).write(to: folder.appendingPathComponent("app.js"))
            try Data("secret".utf8).write(to: folder.appendingPathComponent("notes.md"))
            app.settings.fieldAppFolder = folder.path
            let bare = try await app.send(.GET, "/field", token: "")
            #expect(bare.status == .movedPermanently && bare.headers.first(name: .location) == "/field/")
            let shell = try await app.send(.GET, "/field/", token: "")
            #expect(shell.status == .ok && shell.body.contains("现场") && shell.headers.contentType?.description.hasPrefix("text/html") == true)
            #expect(shell.headers.first(name: "Content-Security-Policy")?.contains("script-src 'self'") == true)
            let script = try await app.send(.GET, "/field/app.js", token: "")
            #expect(script.status == .ok && script.headers.first(name: .contentType) == "text/javascript; charset=utf-8")
            let etag = try #require(script.headers.first(name: .eTag))
            let cached = try await app.send(.GET, "/field/app.js", headers: ["If-None-Match": etag], token: "")
            #expect(cached.status == .notModified && cached.body.isEmpty)
            // The files built into the server: the shell loads only its own scripts, no inline one.
            app.settings.fieldAppFolder = nil
            let builtIn = try await app.send(.GET, "/field/", token: "")
            #expect(builtIn.status == .ok && builtIn.body.contains("manifest.webmanifest"))
            let scripts = builtIn.body.components(separatedBy: "<script").dropFirst()
            #expect(!scripts.isEmpty && scripts.allSatisfy { $0.prefix(while: { $0 != ">" }).contains("src=") })
            #expect(!builtIn.body.contains(" style=") && !builtIn.body.contains(" onclick="))
            for name in ["sw.js", "app.js", "manifest.webmanifest", "icon-192.png"] {
                #expect(try await app.send(.GET, "/field/\(name)", token: "").status == .ok, "\(name)")
            }
            app.settings.fieldAppFolder = folder.path
            for path in ["/field/notes.md", "/field/..%2Fsecret.js", "/field/.hidden.js", "/field/missing.js"] {
                #expect(try await app.send(.GET, path, token: "").status == .notFound, "\(path)")
            }
        }
    }

    @Test func theSessionGivesItsScriptTheCSRFTokenAndATokenDoesNot() async throws {
        try await withSafeGrid { app in
            try await makeAccount(app, "guali.admin", role: .townAdmin, area: BundledAreas.gualiTownCode)
            let form = try await app.send(.GET, "/login", token: "")
            let login = try #require(form.headers.setCookie?[AccountsController.loginCSRFCookie]?.string)
            var h: HTTPHeaders = ["Content-Type": "application/x-www-form-urlencoded", "Cookie": "\(AccountsController.loginCSRFCookie)=\(login)"]
            let signedIn = try await app.testing().sendRequest(.POST, "/login", headers: h,
                body: ByteBuffer(string: "username=guali.admin&password=\(testPassword.replacingOccurrences(of: " ", with: "+"))&_csrf=\(login)&next=%2Ffield%2F"))
            #expect(signedIn.status == .seeOther && signedIn.headers.first(name: .location) == "/field/")
            let session = try #require(signedIn.headers.setCookie?[AuthSessions.cookieName]?.string)
            h = ["Cookie": "\(AuthSessions.cookieName)=\(session)"]
            let me = try await app.testing().sendRequest(.GET, "/api/v1/auth/me", headers: h)
            let csrf = try #require(try JSONDecoder().decode(AccountDTO.self, from: me.body).csrfToken)
            // A write with the cookie needs it; with it, it goes through.
            let mg = try await addMicroGrid(app)
            let body = try JSONSerialization.data(withJSONObject: enterpriseBody(microGrid: mg, credit: creditCode("MA2AB3CD")))
            h.add(name: .contentType, value: "application/json")
            #expect(try await app.testing().sendRequest(.POST, "/api/v1/subjects", headers: h, body: ByteBuffer(data: body)).status == .forbidden)
            h.add(name: "X-CSRF-Token", value: csrf)
            #expect(try await app.testing().sendRequest(.POST, "/api/v1/subjects", headers: h, body: ByteBuffer(data: body)).status == .created)
            // A bearer token's answer carries none.
            let api = try await app.send(.GET, "/api/v1/auth/me", token: app.adminToken)
            #expect(try api.decoded(AccountDTO.self).csrfToken == nil && !api.body.contains("csrfToken"))
        }
    }
}

import Crypto
import Foundation
import SafeGridCore
import Vapor

/// The field app (`/field/`): the phone app of grid workers and inspectors, an offline-first web
/// app whose files live in `Resources/field` (built into the server) or, for working on them,
/// in the folder of `SAFEGRID_FIELD_DIR` (read on every request).
///
/// The files are public, like `/assets/…`: they hold no data. The app reads and writes through
/// the JSON API with the session cookie of `/login` (`X-CSRF-Token` from `GET /api/v1/auth/me`).
enum FieldApp {
    /// Media types by file extension; a file with another extension is not served.
    static let mediaTypes: [String: String] = [
        "html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8",
        "webmanifest": "application/manifest+json", "json": "application/json", "svg": "image/svg+xml", "png": "image/png",
    ]

    /// A file of the app: its bytes, media type and entity tag (SHA-256 of the bytes, quoted).
    struct File: Sendable {
        let data: Data
        let mediaType: String
        let etag: String
    }

    /// The built-in files by name, read once.
    static let builtIn: [String: File] = {
        guard let folder = Bundle.module.resourceURL?.appendingPathComponent("field") else { return [:] }
        return read(folder: folder.path)
    }()

    /// Every servable file directly in `folder` (names of lower-case letters, digits, `.`, `-`, `_`).
    static func read(folder: String) -> [String: File] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        var files: [String: File] = [:]
        for name in names where isFileName(name) {
            guard let type = mediaTypes[String(name.split(separator: ".").last ?? "")],
                  let data = FileManager.default.contents(atPath: folder + "/" + name) else { continue }
            files[name] = File(data: data, mediaType: type, etag: "\"\(Hex.encode(SHA256.hash(data: data)).prefix(32))\"")
        }
        return files
    }

    static func isFileName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && !name.hasPrefix(".")
            && name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0) }
    }

    static func file(_ name: String, app: Application) -> File? {
        if let folder = app.settings.fieldAppFolder {
            guard isFileName(name), let type = mediaTypes[String(name.split(separator: ".").last ?? "")],
                  let data = FileManager.default.contents(atPath: folder + "/" + name) else { return nil }
            return File(data: data, mediaType: type, etag: "\"\(Hex.encode(SHA256.hash(data: data)).prefix(32))\"")
        }
        return builtIn[name]
    }

    /// `GET /field` and `GET /field/`: the app's shell. Without the trailing slash the browser
    /// is sent to it, so the page lies inside the service worker's scope (`/field/`).
    static func shell(_ req: Request) async throws -> Response {
        guard req.url.path.hasSuffix("/") else { return req.redirect(to: "/field/", redirectType: .permanent) }
        return try serve("index.html", req)
    }

    /// `GET /field/{file}`.
    static func asset(_ req: Request) async throws -> Response {
        try serve(req.parameters.get("file") ?? "", req)
    }

    /// A file with its entity tag, gzip-compressed when asked; `If-None-Match` with the same tag
    /// answers 304. Always
    /// revalidated (`no-cache`): the service worker keeps the copy a phone uses offline, and a
    /// new server's files reach phones at their next start online.
    static func serve(_ name: String, _ req: Request) throws -> Response {
        guard let file = file(name, app: req.application) else {
            throw DomainError(.notFound, field: "file", reason: "the field app has no file \(name)")
        }
        let response: Response
        if req.headers.first(name: .ifNoneMatch) == file.etag {
            response = Response(status: .notModified)
        } else {
            response = Response(status: .ok, body: .init(data: file.data))
            response.headers.replaceOrAdd(name: .contentType, value: file.mediaType)
        }
        // Compressed (gzip) for browsers that ask: the app's ~160 KB of script and style are
        // ~50 KB on the wire. Only these public files: they carry no secret a compressed size
        // could leak (BREACH), unlike pages with a CSRF token beside reflected input.
        response.headers.responseCompression = .enable
        response.headers.replaceOrAdd(name: .eTag, value: file.etag)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-cache")
        return response
    }
}

import Crypto
import Foundation
import SafeGridCore
import Vapor

/// The web apps the server carries as files rather than rendered pages:
///
/// - ``field`` (`/field/`): the phone app of grid workers and inspectors, offline-first, its
///   shell and files public (they hold no data; it reads and writes through the API with the
///   session cookie of `/login` and `X-CSRF-Token` from `GET /api/v1/auth/me`);
/// - ``screen`` (`/screen`): the wall screen (一屏归集), its shell for signed-in people only, its
///   scripts, styles and the vendored Leaflet public.
/// - ``report`` (`/report/`): the residents' page (沥家园 隐患随手拍), public, no account.
///
/// Their files live in `Resources/field` and `Resources/screen` (built into the server) or, for
/// working on them, in the folder of `SAFEGRID_FIELD_DIR` / `SAFEGRID_SCREEN_DIR` (read on every
/// request). A folder is flat: names of lower-case letters, digits, `.`, `-`, `_`.
struct WebApp: Sendable {
    /// Media types by file extension; a file with another extension is not served.
    static let mediaTypes: [String: String] = [
        "html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8",
        "webmanifest": "application/manifest+json", "json": "application/json", "svg": "image/svg+xml", "png": "image/png",
        "txt": "text/plain; charset=utf-8",
    ]

    /// A file of an app: its bytes, media type and entity tag (SHA-256 of the bytes, quoted).
    struct File: Sendable {
        let data: Data
        let mediaType: String
        let etag: String
    }

    /// `field` or `screen`: the URL path and the resource folder.
    let name: String
    /// The working folder that replaces the built-in files, if set.
    let folder: @Sendable (Settings) -> String?
    /// The built-in files by name, read once.
    let builtIn: [String: File]

    init(name: String, folder: @escaping @Sendable (Settings) -> String?) {
        self.name = name
        self.folder = folder
        builtIn = Bundle.module.resourceURL.map { Self.read(folder: $0.appendingPathComponent(name).path) } ?? [:]
    }

    static let field = WebApp(name: "field") { $0.fieldAppFolder }
    static let screen = WebApp(name: "screen") { $0.screenAppFolder }
    static let report = WebApp(name: "report") { $0.reportAppFolder }

    /// Every servable file directly in `folder`.
    static func read(folder: String) -> [String: File] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        var files: [String: File] = [:]
        for name in names { if let f = file(name, in: folder) { files[name] = f } }
        return files
    }

    static func isFileName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && !name.hasPrefix(".")
            && name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0) }
    }

    private static func file(_ name: String, in folder: String) -> File? {
        guard isFileName(name), let type = mediaTypes[String(name.split(separator: ".").last ?? "")],
              let data = FileManager.default.contents(atPath: folder + "/" + name) else { return nil }
        return File(data: data, mediaType: type, etag: "\"\(Hex.encode(SHA256.hash(data: data)).prefix(32))\"")
    }

    func file(_ name: String, app: Application) -> File? {
        if let folder = folder(app.settings) { return Self.file(name, in: folder) }
        return builtIn[name]
    }

    /// `GET /<app>` and `GET /<app>/`: the app's shell. Without the trailing slash the browser
    /// is sent to it, so the page lies inside the service worker's scope (`/<app>/`) and its
    /// relative URLs resolve under it; the query string goes along.
    func shell(_ req: Request) async throws -> Response {
        guard req.url.path.hasSuffix("/") else {
            return req.redirect(to: "/\(name)/" + (req.url.query.map { "?" + $0 } ?? ""), redirectType: .permanent)
        }
        return try serve("index.html", req)
    }

    /// `GET /<app>/{file}`.
    func asset(_ req: Request) async throws -> Response {
        try serve(req.parameters.get("file") ?? "", req)
    }

    /// A file with its entity tag, gzip-compressed when asked; `If-None-Match` with the same tag
    /// answers 304. Always revalidated (`no-cache`): the field app's service worker keeps the
    /// copy a phone uses offline, and a new server's files reach browsers at their next start.
    func serve(_ file: String, _ req: Request) throws -> Response {
        guard let f = self.file(file, app: req.application) else {
            throw DomainError(.notFound, field: "file", reason: "the \(name) app has no file \(file)")
        }
        let response: Response
        if req.headers.first(name: .ifNoneMatch) == f.etag {
            response = Response(status: .notModified)
        } else {
            response = Response(status: .ok, body: .init(data: f.data))
            response.headers.replaceOrAdd(name: .contentType, value: f.mediaType)
        }
        // Compressed for browsers that ask (the field app's ~160 KB are ~50 KB on the wire). Only
        // these files: they carry no secret a compressed size could leak (BREACH), unlike pages
        // with a CSRF token beside reflected input.
        response.headers.responseCompression = .enable
        response.headers.replaceOrAdd(name: .eTag, value: f.etag)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-cache")
        return response
    }
}

import Vapor

/// Headers every response carries, errors and redirects included (it runs outermost):
///
/// - `Content-Security-Policy`: scripts, styles, images, fonts and connections from this server
///   only; no inline script or style, no plugins, no `<base>`, forms post here only, and no
///   framing (`frame-ancestors 'none'`). Pages load their scripts from `/assets/…` and their
///   colours from classes in `/assets/app.css`. `data:` and `blob:` images are allowed for
///   previews of a photo before it is uploaded.
/// - `X-Content-Type-Options: nosniff`: an uploaded photo or export is never run as a script.
/// - `X-Frame-Options: DENY`: framing refused by browsers that predate `frame-ancestors`.
/// - `Referrer-Policy: same-origin`: an SMS link's token never leaves in a `Referer`.
struct SecurityHeadersMiddleware: AsyncMiddleware {
    /// The policy; with an intranet tile server (`SAFEGRID_MAP_TILES`) its origin may serve images too.
    let contentSecurityPolicy: String

    init(tileOrigin: String? = nil) {
        contentSecurityPolicy = Self.policy(imageSources: tileOrigin.map { [$0] } ?? [])
    }

    /// The policy with `imageSources` (origins) allowed for images besides this server.
    static func policy(imageSources: [String] = []) -> String {
        [
            "default-src 'self'", "script-src 'self'", "style-src 'self'",
            (["img-src 'self' data: blob:"] + imageSources).joined(separator: " "),
            "connect-src 'self'", "font-src 'self'", "object-src 'none'", "base-uri 'none'",
            "form-action 'self'", "frame-ancestors 'none'",
        ].joined(separator: "; ")
    }

    static let contentSecurityPolicy = policy()

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let response: Response
        do {
            response = try await next.respond(to: request)
        } catch {
            // Errors thrown past the problem middleware (none should be) still get the headers.
            response = Response(status: (error as? any AbortError)?.status ?? .internalServerError)
        }
        Self.apply(to: &response.headers, policy: contentSecurityPolicy)
        return response
    }

    static func apply(to headers: inout HTTPHeaders, policy: String = contentSecurityPolicy) {
        headers.replaceOrAdd(name: "Content-Security-Policy", value: policy)
        headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        headers.replaceOrAdd(name: "X-Frame-Options", value: "DENY")
        headers.replaceOrAdd(name: "Referrer-Policy", value: "same-origin")
    }
}

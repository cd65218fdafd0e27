import Vapor

/// A path that exists with other methods answers `405 Method Not Allowed` with an `Allow` header
/// (RFC 9110 §15.5.6), not 404: a client learns it used the wrong method, not a wrong path.
/// Only consulted when routing found nothing, so matched requests pay nothing.
struct MethodNotAllowedMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch let notFound as RouteNotFound {
            let allowed = Self.methods(for: request.url.path, in: request.application.routes)
            guard !allowed.isEmpty else { throw notFound }
            throw Abort(.methodNotAllowed, headers: ["Allow": allowed.joined(separator: ", ")],
                        reason: "\(request.method.rawValue) is not allowed here; allowed: \(allowed.joined(separator: ", "))")
        }
    }

    /// The methods of the routes whose path matches `path`, sorted (`GET` implies `HEAD`).
    static func methods(for path: String, in routes: Routes) -> [String] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        var found = Set<String>()
        for route in routes.all where matches(route.path, segments) {
            found.insert(route.method.rawValue)
            if route.method == .GET { found.insert("HEAD") }
        }
        return found.sorted()
    }

    static func matches(_ pattern: [PathComponent], _ segments: [String]) -> Bool {
        var i = 0
        for component in pattern {
            switch component {
            case .catchall: return i < segments.count
            case .constant(let c):
                guard i < segments.count, segments[i] == c else { return false }
            case .parameter, .anything:
                guard i < segments.count else { return false }
            }
            i += 1
        }
        return i == segments.count
    }
}

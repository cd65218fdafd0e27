import Foundation
import SafeGridCore
import Vapor

/// `safegrid user unlock USERNAME` lifts a sign-in lockout.
/// `safegrid user create USERNAME --role ROLE --area CODE [--name 名字] [--department D]`:
/// makes an account from the shell — the way to the first district admin. The password comes
/// from `SAFEGRID_PASSWORD` or, when unset, is generated and printed once.
struct UserCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "action", help: "create, or unlock (lift a sign-in lockout)")
        var action: String
        @Argument(name: "username", help: "3-32 characters of a-z 0-9 . _ -")
        var username: String
        @Option(name: "role", help: "districtAdmin (default), townAdmin, departmentInspector, villageOfficer, gridWorker, microGridWorker, viewer")
        var role: String?
        @Option(name: "area", help: "home area code (default 330109, the district)")
        var area: String?
        @Option(name: "name", help: "display name")
        var name: String?
        @Option(name: "department", help: "department of an inspector, e.g. fireRescue")
        var department: String?
        init() {}
    }

    var help: String { "Make an account (e.g. the first district admin); password from SAFEGRID_PASSWORD or printed once" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        if signature.action == "unlock" {
            // Lifts a sign-in lockout (LoginThrottle) at once, e.g. after someone locked an admin out.
            let name = signature.username.trimmingCharacters(in: .whitespaces).lowercased()
            try await app.writeGate.transaction(on: app.db, changesCampaign: false) { sql in
                try await AccountStore(sql: sql).clearFailures(name)
            }
            context.console.print("\(name) may sign in again")
            return
        }
        guard signature.action == "create" else {
            throw Abort(.badRequest, reason: "usage: safegrid user create USERNAME [--role districtAdmin] [--area 330109] | unlock USERNAME")
        }
        let username = try AccountRules.username(signature.username)
        guard let role = Role(rawValue: signature.role ?? Role.districtAdmin.rawValue) else {
            throw Abort(.badRequest, reason: "--role must be one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var department: Department? = nil
        if let d = signature.department {
            guard let dep = Department(rawValue: d) else {
                throw Abort(.badRequest, reason: "--department must be one of \(Department.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            department = dep
        }
        let code = signature.area ?? BundledAreas.districtCode
        guard let area = try await CampaignQueries(sql: app.sql, scope: .everything).area(code) else {
            throw Abort(.badRequest, reason: "--area: no area with code \(code)")
        }
        try AccountRules.checkPlacement(role: role, area: area, department: department)
        // Read here, not in Settings: a one-off secret the running server has no use for.
        let given = Environment.get(Settings.Variable.password.rawValue)
        let password = given ?? AuthSessions.randomToken(bytes: 12)
        try AccountRules.checkPassword(password, username: username)
        let account = Account(id: UUID(), username: username, displayName: signature.name ?? username, role: role,
                              areaCode: code, department: department)
        let hash = try app.password.hash(password)
        let now = app.services.now()
        try await app.writeGate.transaction(on: app.db, changesCampaign: false) { sql in
            let store = AccountStore(sql: sql)
            if try await store.user(username: username) != nil { throw Abort(.conflict, reason: "the user name \(username) is taken") }
            try await store.insert(account, passwordHash: hash, at: now)
        }
        context.console.print("made \(role.rawValue) \(username) for area \(code)")
        if given == nil { context.console.print("password (shown once): \(password)") }
    }
}

import Foundation
import Plot
import SafeGridCore
import Vapor

/// Shared page frame and small view helpers. Pages speak Chinese first, English second; times
/// are shown in Asia/Shanghai.
enum Layout {
    /// The person the page is rendered for (set by ``Authenticator`` for the request's task):
    /// the header shows their name and role and a sign-out form with the session's CSRF token.
    @TaskLocal static var signedIn: SignedIn?

    /// The hidden anti-forgery field every form of a signed-in page carries.
    static func csrfField() -> Node<HTML.FormContext> {
        .input(.type(.hidden), .name("_csrf"), .value(signedIn?.csrfToken ?? ""))
    }

    /// An error as a page, for browsers (the API answers problem+json).
    static func errorPage(status: HTTPResponseStatus, detail: String, forParty: Bool = false) -> Response {
        let title = switch status.code {
        case 404: "找不到页面"
        case 403: "链接无效"
        case 410: "链接已过期"
        case 413: "文件太大"
        case 400..<500: "请求有误"
        default: "服务器出错"
        }
        let help: Node<HTML.BodyContext> = forParty
            ? .p(.text("请返回短信中的链接重试；如链接已过期，请联系网格员或检查人员重新发送。"))
            : .p(.a(.href("/"), .text("返回一屏归集 Back to the dashboard")))
        let response = page(title: title, subtitle: "\(status.code) \(status.reasonPhrase)", forParty: forParty,
                            nodes: [.p(.text(detail)), help])
        response.status = status
        return response
    }

    static func page(title: String, subtitle: String, _ content: Node<HTML.BodyContext>...) -> Response {
        page(title: title, subtitle: subtitle, nodes: content)
    }

    /// - Parameter forParty: a page for the responsible party (through the SMS link): no links
    ///   into the town's internal pages.
    static func page(title: String, subtitle: String, forParty: Bool = false, nodes content: [Node<HTML.BodyContext>]) -> Response {
        let html = HTML(
            .lang(.chinese),
            .head(
                .meta(.charset(.utf8)),
                .meta(.name("viewport"), .content("width=device-width, initial-scale=1")),
                .element(named: "title", nodes: [.text("\(title) · SafeGrid")]),
                .stylesheet("/assets/app.css")
            ),
            .body(
                .if(forParty, .header(.class("top"), .span(.class("brand"), .text("瓜沥镇除险保安 整改服务"))),
                    else: .header(.class("top"),
                                  .a(.href("/"), .class("brand"), .text("SafeGrid 除险保安")),
                                  .nav(.a(.href(signedIn.map { AccountsController.home($0.account) } ?? "/"), .text("一屏归集 Dashboard")),
                                       .a(.href("/key-hazards"), .text("重点企业 Key")),
                                       .a(.href("/performance"), .text("绩效 Ranking")),
                                       .if(signedIn?.account.role.carriesTasks ?? false, .a(.href("/tasks"), .text("任务 Tasks"))),
                                       .if(signedIn?.account.role.writes ?? false, .a(.href("/field/"), .class("field"), .text("现场 Field app"))),
                                       .if(signedIn?.account.role.administers ?? false, .a(.href("/imports"), .text("导入 Import"))),
                                       .a(.href("/messages"), .text("短信 Messages"))),
                                  .unwrap(signedIn) { s in
                                      .form(.class("who"), .method(.post), .action("/logout"),
                                            .span(.text("\(s.account.displayName) · \(s.account.role.zh)")),
                                            .input(.type(.hidden), .name("_csrf"), .value(s.csrfToken)),
                                            .button(.type(.submit), .text("退出 Sign out")))
                                  })),
                .main(
                    .h1(.text(title), .span(.class("en"), .text(subtitle))),
                    .group(content)
                ),
                .footer(.p(.text("时间均为北京时间 (Asia/Shanghai) · Times in Asia/Shanghai")))
            )
        )
        let response = Response(status: .ok, body: .init(string: html.render()))
        response.headers.contentType = .html
        return response
    }

    /// `2024-10-16 09:30` in Asia/Shanghai.
    static func time(_ d: Date?) -> String {
        guard let d else { return "—" }
        let s = Timestamp.format(d)
        return String(s.prefix(16)).replacingOccurrences(of: "T", with: " ")
    }

    static func swatch(_ c: SubjectColour?) -> Node<HTML.BodyContext> {
        guard let c else { return .span(.class("swatch none"), .text("未检查 Not inspected")) }
        return .span(.class("swatch \(swatchClass(c))"), .text(c.zh))
    }

    /// `c-serious-inProgress`: the class that gives a swatch its colour (the page carries no
    /// inline style; the Content-Security-Policy allows none).
    static func swatchClass(_ c: SubjectColour) -> String { "c-" + c.key.replacingOccurrences(of: ".", with: "-") }

    /// One rule per colour, appended to ``css``.
    static let swatchCSS = SubjectColour.all.map { ".\(swatchClass($0)){--c:\($0.hex)}" }.joined()

    static func stat(_ label: String, _ value: String, _ en: String) -> Node<HTML.BodyContext> {
        .div(.class("stat"), .div(.class("v"), .text(value)), .div(.class("l"), .text(label), .span(.class("en"), .text(en))))
    }

    static func svg(_ markup: String) -> Node<HTML.BodyContext> { .div(.class("chart-box"), .raw(markup)) }

    static let css = """
    :root{--ink:#1d2733;--muted:#5d6b7a;--line:#dfe4ea;--bg:#f6f8fa;--accent:#0b5cad}
    *{box-sizing:border-box}body{margin:0;font:15px/1.5 "PingFang SC","Noto Sans CJK SC","Microsoft YaHei",system-ui,sans-serif;color:var(--ink);background:var(--bg)}
    header.top{display:flex;gap:1.5rem;align-items:center;padding:.6rem 1.2rem;background:#0f2a47;color:#fff}
    header.top a{color:#fff;text-decoration:none}header.top form.who{margin-left:auto;display:flex;gap:.6rem;align-items:center}header.top form.who button{font-size:.85rem;padding:.2rem .7rem;background:transparent;border:1px solid #fff}header.top .brand{font-weight:700}header.top nav{display:flex;gap:1rem}
    main{max-width:1280px;margin:0 auto;padding:1rem 1.2rem}h1{font-size:1.5rem;margin:.4rem 0 1rem}h2{font-size:1.15rem;margin:1.4rem 0 .6rem}
    .en{color:var(--muted);font-size:.8em;font-weight:400;margin-left:.5em}
    .grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:1rem}
    .card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:.8rem 1rem}
    .card h3{margin:.1rem 0 .6rem;font-size:1.05rem}.stats{display:flex;flex-wrap:wrap;gap:.8rem}
    .stat .v{font-size:1.5rem;font-weight:700;font-variant-numeric:tabular-nums}.stat .l{font-size:.8rem;color:var(--muted)}
    .rate{color:var(--accent)}table{border-collapse:collapse;width:100%;background:#fff;font-variant-numeric:tabular-nums}
    th,td{border-bottom:1px solid var(--line);padding:.35rem .5rem;text-align:left;vertical-align:top}th{background:#eef2f6;font-weight:600;font-size:.85rem}
    td.n,th.n{text-align:right}.swatch{display:inline-block;padding:0 .5em;border-radius:4px;border-left:1.1em solid var(--c);background:#fff;border-top:1px solid var(--line);border-right:1px solid var(--line);border-bottom:1px solid var(--line);font-size:.85rem}
    .swatch.none{border-left-color:#ccc}.chart{width:100%;height:auto;font-size:12px}.chart .label{fill:var(--ink)}.chart .value{fill:var(--ink);font-weight:600}.chart .axis{fill:var(--muted);font-size:10px}
    .chart-box{background:#fff;border:1px solid var(--line);border-radius:8px;padding:.6rem}
    .state-open,.state-rebound{color:#b71c1c}.state-rectifying{color:#e65100}.state-rectified{color:#2e7d32}.state-closedDown{color:#616161}
    .overdue{color:#b71c1c;font-weight:600}dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;background:#fff;border:1px solid var(--line);border-radius:8px;padding:.8rem 1rem}
    dl.kv dt{color:var(--muted)}dl.kv dd{margin:0}ol.timeline{list-style:none;padding:0;margin:0}ol.timeline li{border-left:3px solid var(--line);padding:.2rem .8rem;margin-left:.3rem}
    .crumbs{font-size:.9rem;margin-bottom:.4rem}.crumbs a{margin-right:.4rem}footer{color:var(--muted);font-size:.8rem;text-align:center;padding:1rem}
    form label{display:block;margin:.5rem 0}form input[type=text],form input[type=tel],form input[type=password],form textarea{display:block;width:100%;max-width:420px;font-size:1rem;padding:.4rem;border:1px solid var(--line);border-radius:6px}
    canvas.pad{display:block;width:100%;max-width:640px;height:220px;border:2px dashed #8aa;border-radius:8px;background:#fff;touch-action:none}
    .actions{display:flex;gap:1rem;margin:.8rem 0}.actions button,form button{font-size:1rem;padding:.5rem 1.2rem;border-radius:6px;border:1px solid #0b5cad;background:#0b5cad;color:#fff}
    .actions button#clear{background:#fff;color:#0b5cad}.status{color:#b71c1c}.ok{color:#2e7d32;font-weight:600}
    .notice .number{text-align:right;font-weight:600}.signature{max-width:320px;border-bottom:1px solid #333}img.evidence{max-width:240px;max-height:240px;image-orientation:from-image;border:1px solid var(--line);margin:.2rem}
    @media print{header.top,footer,.no-print{display:none}body{background:#fff}main{max-width:none}}
    header.top nav a{white-space:nowrap}
    @media (max-width:600px){main{padding:.6rem}h1{font-size:1.2rem}.stat .v{font-size:1.2rem}
    header.top{flex-wrap:wrap;gap:.3rem .8rem;padding:.5rem .8rem}header.top nav{order:3;width:100%;overflow-x:auto;gap:.9rem;padding-bottom:.2rem}
    header.top form.who{margin-left:auto}header.top form.who span{display:none}
    header.top nav a,header.top form.who button,.actions button,form button{min-height:44px;display:inline-flex;align-items:center}
    table{display:block;overflow-x:auto}}
    """
}

import Plot
import Vapor

/// `/login`: the sign-in form (user name, password), with its anti-forgery token and the page
/// to return to as hidden fields.
enum LoginPage {
    /// - Parameters:
    ///   - message: why the last attempt failed, shown above the form.
    ///   - csrf: the token also set as the form's cookie (double submit).
    ///   - next: a local path checked by ``AccountsController/safeNext(_:)``.
    static func render(message: String?, csrf: String, next: String) -> Response {
        Layout.page(title: "登录", subtitle: "Sign in", nodes: [
            .if(message != nil, .p(.class("status"), .text(message ?? ""))),
            .form(.method(.post), .action("/login"),
                  .input(.type(.hidden), .name("_csrf"), .value(csrf)),
                  .input(.type(.hidden), .name("next"), .value(next)),
                  .label(.text("用户名 User name"), .input(.type(.text), .name("username"), .attribute(named: "autocomplete", value: "username"),
                                                          .attribute(named: "autocapitalize", value: "none"), .required(true))),
                  .label(.text("密码 Password"), .input(.type(.password), .name("password"),
                                                       .attribute(named: "autocomplete", value: "current-password"), .required(true))),
                  .button(.type(.submit), .text("登录 Sign in"))),
        ])
    }
}

import Vapor

extension Request {
    /// Whether this request may see responsible parties' phone numbers in full. Every export and
    /// page that shows a party's phone asks this one property; when it is `false` the number is
    /// shown as ``SafeGridCore/PhoneNumber/masked`` (`138****0000`).
    ///
    /// For now everyone may: accounts and roles (issue: accounts, auth and jurisdiction) will
    /// decide it, replacing this file with the role rule.
    var revealsPhoneNumbers: Bool { true }
}

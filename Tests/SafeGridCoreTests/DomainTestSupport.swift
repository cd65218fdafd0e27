import Foundation
@testable import SafeGridCore

/// A day from `"YYYY-MM-DD"` (a test's literal; crashes on a typo).
func shanghaiDay(_ s: String) -> CalendarDate { try! CalendarDate(s) }

/// The field a ``DomainError`` thrown by `body` names; `nil` when `body` succeeds;
/// `"not a DomainError: …"` for another error.
func domainErrorField(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch let error as DomainError {
        return error.field
    } catch {
        return "not a DomainError: \(error)"
    }
}

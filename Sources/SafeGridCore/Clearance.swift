import Foundation

/// 前置入口管 (the article's "front-entry control"): whether a licensing system may grant a
/// subject a permit. A subject is **blocked** while it is closed down (关停), has any open
/// hazard (open, rectifying or rebound — found and not yet verified rectified), or has never
/// been inspected; otherwise it has **passed**.
public enum Clearance {
    public enum Verdict: String, Codable, Sendable, Hashable {
        case passed, blocked
    }

    /// The verdict and its reason (zh · en), checked in this order: closed down, open hazards,
    /// never inspected.
    /// - Parameters:
    ///   - openHazards: hazards of the subject in an open state.
    ///   - closedDownOn: the Asia/Shanghai day it was closed down, if it was.
    ///   - inspected: whether any inspection of the subject is recorded.
    public static func decide(openHazards: Int, closedDownOn: CalendarDate?, inspected: Bool) -> (result: Verdict, reason: String) {
        if let day = closedDownOn { return (.blocked, "已关停 closed down on \(day)") }
        if openHazards > 0 { return (.blocked, "\(openHazards) 处隐患未整改 open hazards") }
        if !inspected { return (.blocked, "尚未检查 not inspected yet") }
        return (.passed, "无未整改隐患 no open hazards")
    }
}

import Crypto
import Foundation

/// The canonical form of a signed inspection record — what the responsible party signs on the
/// inspector's phone: the visit, every item result and every hazard with its severity and
/// deadline. Its SHA-256 is stored with the signature; recomputing it later shows whether the
/// record still says what was signed.
public struct InspectionRecord: Sendable, Equatable {
    public struct SignedResult: Sendable, Equatable {
        public let itemCode: String
        public let outcome: String
        public let hazardID: UUID?
        public init(itemCode: String, outcome: String, hazardID: UUID?) {
            self.itemCode = itemCode
            self.outcome = outcome
            self.hazardID = hazardID
        }
    }

    public struct Hazard: Sendable, Equatable {
        public let id: UUID
        public let itemCode: String
        public let severity: String
        /// The deadline as signed; a later re-inspection may set a new one (then the record
        /// no longer matches, which the notice page shows).
        public let dueAt: Date
        public init(id: UUID, itemCode: String, severity: String, dueAt: Date) {
            self.id = id
            self.itemCode = itemCode
            self.severity = severity
            self.dueAt = dueAt
        }
    }

    public let inspectionID: UUID
    public let subjectID: UUID
    public let inspectedAt: Date
    public let checklistVersion: Int
    public let results: [SignedResult]
    public let hazards: [Hazard]
    /// Who inspected: the inspector and the team as `name·department` lines.
    public let inspector: String
    public let team: [String]
    /// Notes per item code.
    public let notes: [String: String]

    public init(inspectionID: UUID, subjectID: UUID, inspectedAt: Date, checklistVersion: Int,
                results: [SignedResult], hazards: [Hazard], inspector: String = "", team: [String] = [],
                notes: [String: String] = [:]) {
        self.inspector = inspector
        self.team = team
        self.notes = notes
        self.inspectionID = inspectionID
        self.subjectID = subjectID
        self.inspectedAt = inspectedAt
        self.checklistVersion = checklistVersion
        self.results = results
        self.hazards = hazards
    }

    /// Lines in a fixed order (results and hazards sorted by item code), fields separated by
    /// U+001F, lines by U+001E; times as whole milliseconds since 1970 UTC; ids lowercase.
    public var canonical: String {
        let id = { (u: UUID?) in u?.uuidString.lowercased() ?? "-" }
        var lines = ["safegrid.inspection.v1", id(inspectionID), id(subjectID),
                     String(EventChain.millis(inspectedAt)), String(checklistVersion), "I" + inspector]
        for member in team { lines.append("T" + member) }
        for (code, note) in notes.sorted(by: { $0.key < $1.key }) { lines.append(["N", code, note].joined(separator: "\u{1F}")) }
        for r in results.sorted(by: { $0.itemCode < $1.itemCode }) {
            lines.append(["R", r.itemCode, r.outcome, id(r.hazardID)].joined(separator: "\u{1F}"))
        }
        for h in hazards.sorted(by: { ($0.itemCode, $0.id.uuidString) < ($1.itemCode, $1.id.uuidString) }) {
            lines.append(["H", id(h.id), h.itemCode, h.severity, String(EventChain.millis(h.dueAt))].joined(separator: "\u{1F}"))
        }
        return lines.joined(separator: "\u{1E}")
    }

    /// SHA-256 of ``canonical`` as lowercase hex (64 characters).
    public var sha256: String {
        Hex.encode(SHA256.hash(data: Data(canonical.utf8)))
    }
}

/// What a signature binds together: the record's hash, who signed, when, where, and the image.
/// Stored at signing; recomputed on the notice page to show whether any of it changed.
public enum SignatureSeal {
    public static func sha256(recordSHA256: String, signerName: String, signerPhone: String, signedAt: Date,
                              latitude: Double?, longitude: Double?, imageSHA256: String) -> String {
        let position = [latitude, longitude].map { $0.map { String(format: "%.7f", $0) } ?? "-" }.joined(separator: ",")
        let text = ["safegrid.signature.v1", recordSHA256, signerName, signerPhone,
                    String(EventChain.millis(signedAt)), position, imageSHA256].joined(separator: "\u{1F}")
        return Hex.encode(SHA256.hash(data: Data(text.utf8)))
    }
}

/// 整改通知书 numbers: `<town>整改〔<year>〕<sequence>号`, e.g. `瓜沥整改〔2026〕00001号` — numbered
/// per town and calendar year (Asia/Shanghai), five digits, the town's name without 镇/街道.
public enum NoticeNumber {
    /// The part shared by a town's notices of one year (`瓜沥整改〔2026〕`).
    public static func prefix(townName: String, year: Int) -> String {
        let short = townName.replacingOccurrences(of: "街道", with: "").replacingOccurrences(of: "镇", with: "")
        return "\(short)整改〔\(year)〕"
    }

    /// The `sequence`-th (1-based) notice number of that town and year.
    public static func make(townName: String, year: Int, sequence: Int) -> String {
        prefix(townName: townName, year: year) + String(format: "%05d", sequence) + "号"
    }
}

import Foundation

/// A text in the two UI languages.
public struct LocalizedText: Codable, Hashable, Sendable {
    public let zh: String
    public let en: String
    public init(zh: String, en: String) { self.zh = zh; self.en = en }
}

/// One line of the unified checklist (一张表): a condition that, when found, is a hazard.
public struct ChecklistItem: Codable, Hashable, Sendable, Identifiable {
    /// Stable code, `^[A-Z]+-[0-9]{2}$` (e.g. `FIRE-03`), unique within a version.
    public let code: String
    /// The hazard as the inspector reads it, in Chinese.
    public let zh: String
    public let en: String
    /// The department that owns the item and signs its hazards off.
    public let department: Department
    public let category: HazardCategory
    public let defaultSeverity: Severity
    /// Default rectification period in calendar days (Asia/Shanghai); 0 = fixed the same day
    /// (即查即改).
    public let defaultDays: Int
    /// The law, regulation or standard the item rests on (e.g. GB 35181-2025, 消防法 第十六条).
    public let legalBasis: String
    public let subjectKinds: [SubjectKind]

    public var id: String { code }

    public func applies(to kind: SubjectKind) -> Bool { subjectKinds.contains(kind) }

    public init(code: String, zh: String, en: String, department: Department, category: HazardCategory,
                defaultSeverity: Severity, defaultDays: Int, legalBasis: String, subjectKinds: [SubjectKind]) {
        self.code = code
        self.zh = zh
        self.en = en
        self.department = department
        self.category = category
        self.defaultSeverity = defaultSeverity
        self.defaultDays = defaultDays
        self.legalBasis = legalBasis
        self.subjectKinds = subjectKinds
    }
}

/// A version of the unified checklist. Inspections record the version they used; a published
/// version never changes, a new one gets the next number.
public struct Checklist: Codable, Hashable, Sendable {
    public let version: Int
    public let title: LocalizedText
    /// Calendar date (Asia/Shanghai) from which the version applies, `YYYY-MM-DD`.
    public let publishedOn: String
    public let items: [ChecklistItem]

    public init(version: Int, title: LocalizedText, publishedOn: String, items: [ChecklistItem]) {
        self.version = version
        self.title = title
        self.publishedOn = publishedOn
        self.items = items
    }

    public func item(_ code: String) -> ChecklistItem? { items.first { $0.code == code } }

    /// The index of the item with `code`, searching from `start` to the end and then from the
    /// beginning: results given in checklist order are found in one step each, so a visit costs
    /// O(items) rather than O(items²).
    func index(of code: String, from start: Int) -> Int? {
        let start = min(max(0, start), items.count)
        if let i = items[start...].firstIndex(where: { $0.code == code }) { return i }
        return items[..<start].firstIndex { $0.code == code }
    }

    public func items(for kind: SubjectKind) -> [ChecklistItem] { items.filter { $0.applies(to: kind) } }

    /// Checks the rules every version must keep.
    /// - Throws: ``InvalidValue`` for a duplicate or malformed code, an item for no subject kind,
    ///   negative days, an empty text or legal basis.
    public func validate() throws(InvalidValue) {
        guard version >= 1 else { throw InvalidValue("checklist version must be ≥ 1") }
        var codes = Set<String>()
        for item in items {
            guard Self.isValidCode(item.code) else { throw InvalidValue("item code \(item.code) must look like FIRE-01") }
            guard codes.insert(item.code).inserted else { throw InvalidValue("item code \(item.code) appears twice") }
            guard !item.subjectKinds.isEmpty else { throw InvalidValue("item \(item.code) applies to no subject kind") }
            guard item.defaultDays >= 0 else { throw InvalidValue("item \(item.code) has negative default days") }
            guard !item.zh.isEmpty, !item.en.isEmpty, !item.legalBasis.isEmpty else {
                throw InvalidValue("item \(item.code) lacks a text or a legal basis")
            }
        }
    }

    static func isValidCode(_ code: String) -> Bool {
        let parts = code.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let head = parts.first, let tail = parts.last else { return false }
        return !head.isEmpty && head.allSatisfy { $0.isASCII && $0.isUppercase }
            && tail.count == 2 && tail.allSatisfy(\.isASCIIDigitCharacter)
    }

    /// The default checklist shipped with SafeGrid (`Resources/checklist-v1.json`).
    /// - Throws: ``InvalidValue`` if the resource is missing, not decodable or invalid.
    public static func bundledDefault() throws(InvalidValue) -> Checklist {
        guard let url = Bundle.module.url(forResource: "checklist-v1", withExtension: "json", subdirectory: "Resources")
                ?? Bundle.module.url(forResource: "checklist-v1", withExtension: "json"),
              let data = try? Data(contentsOf: url) else {
            throw InvalidValue("bundled checklist-v1.json is missing")
        }
        let checklist: Checklist
        do { checklist = try JSONDecoder().decode(Checklist.self, from: data) } catch {
            throw InvalidValue("bundled checklist-v1.json does not decode: \(error)")
        }
        try checklist.validate()
        return checklist
    }
}

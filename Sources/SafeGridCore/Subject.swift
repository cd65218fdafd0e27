import Foundation

/// 当事人: the person who signs on site and receives the SMS.
public struct ResponsibleParty: Codable, Hashable, Sendable {
    public let name: String
    /// Mobile (SMS target) or landline (stored, never texted).
    public let phone: PhoneNumber

    public init(name: String, phone: PhoneNumber) {
        self.name = name
        self.phone = phone
    }
}

/// An inspected object (市场主体 and others). A factory-in-factory (厂中厂) is an enterprise whose
/// `parentId` names the plant it sits in; an enterprise in a small-micro park names the park.
public struct Subject: Codable, Hashable, Sendable, Identifiable {
    public let id: UUID
    public let kind: SubjectKind
    public let name: String
    public let address: String
    /// 统一社会信用代码 (GB 32100-2015); required for enterprises.
    public let creditCode: CreditCode?
    /// 规上企业 (above designated size); enterprises only.
    public let aboveScale: Bool
    /// Number of rooms (间); rental housing only, ≥ 1.
    public let rooms: Int?
    public let parentId: UUID?
    /// The 17-digit code of the micro-grid the subject lies in.
    public let microGridCode: String
    public let party: ResponsibleParty
    public let location: GeoPoint?

    public init(id: UUID, kind: SubjectKind, name: String, address: String, creditCode: CreditCode?,
                aboveScale: Bool, rooms: Int?, parentId: UUID?, microGridCode: String,
                party: ResponsibleParty, location: GeoPoint?) {
        self.id = id
        self.kind = kind
        self.name = name
        self.address = address
        self.creditCode = creditCode
        self.aboveScale = aboveScale
        self.rooms = rooms
        self.parentId = parentId
        self.microGridCode = microGridCode
        self.party = party
        self.location = location
    }

    /// Checks the rules that depend on the subject alone (the app checks that the micro-grid
    /// and the parent exist).
    /// - Throws: ``DomainError`` `.invalid` on `name`, `address`, `creditCode` (missing for an
    ///   enterprise), `aboveScale` (set on a non-enterprise), `rooms` (missing or < 1 for rental
    ///   housing, set on another kind), `parentId` (itself), `microGridCode` (not 17 digits),
    ///   `party.name`, `location` (outside 萧山区 by more than the tolerance, or axes swapped).
    public func validate(boundary: DistrictBoundary?) throws(DomainError) {
        func blank(_ s: String) -> Bool { s.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
        if blank(name) { throw .invalid("name", "a subject needs a name") }
        try TextRules.check(name, "name", max: TextRules.subjectName)
        if blank(address) { throw .invalid("address", "a subject needs an address") }
        try TextRules.check(address, "address", max: TextRules.address)
        if kind == .enterprise, creditCode == nil {
            throw .invalid("creditCode", "an enterprise needs its unified social credit code (统一社会信用代码)")
        }
        if aboveScale, kind != .enterprise { throw .invalid("aboveScale", "only an enterprise can be above designated size") }
        switch (kind, rooms) {
        case (.rentalHousing, nil): throw .invalid("rooms", "rental housing needs its number of rooms")
        case (.rentalHousing, let r?) where r < 1 || r > 10_000:
            throw .invalid("rooms", "rooms must be between 1 and 10000, got \(r)")
        case (.rentalHousing, _), (_, nil): break
        default: throw .invalid("rooms", "only rental housing has rooms")
        }
        if parentId == id { throw .invalid("parentId", "a subject cannot sit inside itself") }
        if microGridCode.count != AreaLevel.microGrid.codeLength || !microGridCode.allSatisfy(\.isASCIIDigitCharacter) {
            throw .invalid("microGridCode", "a micro-grid code has 17 digits, got \(microGridCode)")
        }
        if blank(party.name) { throw .invalid("party.name", "the responsible party needs a name") }
        try TextRules.check(party.name, "party.name", max: TextRules.personName)
        if let location, let boundary {
            do { try boundary.check(location) } catch { throw .invalid("location", error) }
        }
    }
}

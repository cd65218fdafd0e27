/// 动态分色管 (article: "按照极严重隐患、较严重隐患、一般隐患、整改到位、已关停等5种类别，以及
/// 未整改、整改中、隐患反弹等3种情形，分别赋以不同颜色，做到实时更新、动态调整").
public enum ColourCategory: String, Codable, CaseIterable, Sendable, Hashable {
    case extremelySevere   // 极严重隐患
    case serious           // 较严重隐患
    case general           // 一般隐患
    case rectified         // 整改到位
    case closedDown        // 已关停

    public var zh: String {
        switch self {
        case .extremelySevere: "极严重隐患"
        case .serious: "较严重隐患"
        case .general: "一般隐患"
        case .rectified: "整改到位"
        case .closedDown: "已关停"
        }
    }

    public var en: String {
        switch self {
        case .extremelySevere: "Extremely severe hazard"
        case .serious: "Serious hazard"
        case .general: "General hazard"
        case .rectified: "Rectified"
        case .closedDown: "Closed down"
        }
    }

    public init(_ severity: Severity) {
        switch severity {
        case .extremelySevere: self = .extremelySevere
        case .serious: self = .serious
        case .general: self = .general
        }
    }
}

/// The situation of a subject that still has open hazards.
public enum ColourSituation: String, Codable, CaseIterable, Sendable, Hashable {
    case notRectified   // 未整改
    case inProgress     // 整改中
    case rebound        // 隐患反弹

    public var zh: String {
        switch self {
        case .notRectified: "未整改"
        case .inProgress: "整改中"
        case .rebound: "隐患反弹"
        }
    }

    public var en: String {
        switch self {
        case .notRectified: "Not rectified"
        case .inProgress: "Rectification in progress"
        case .rebound: "Rebound"
        }
    }
}

/// A subject's colour: a category and, for the three hazard categories, a situation.
/// 3 × 3 + 2 = 11 colours in all (``SubjectColour/all``).
public struct SubjectColour: Codable, Hashable, Sendable, CustomStringConvertible {
    public let category: ColourCategory
    /// Non-nil exactly when `category` is one of the three hazard categories.
    public let situation: ColourSituation?

    public init(category: ColourCategory, situation: ColourSituation?) {
        self.category = category
        self.situation = situation
    }

    /// Stable key used in the database and the API: `"serious.inProgress"`, `"rectified"`.
    public var key: String { situation.map { "\(category.rawValue).\($0.rawValue)" } ?? category.rawValue }

    /// Parses a ``key``.
    public init?(key: String) {
        let parts = key.split(separator: ".").map(String.init)
        guard let category = parts.first.flatMap(ColourCategory.init(rawValue:)) else { return nil }
        let hazardous = category != .rectified && category != .closedDown
        if hazardous {
            guard parts.count == 2, let s = ColourSituation(rawValue: parts[1]) else { return nil }
            self.init(category: category, situation: s)
        } else {
            guard parts.count == 1 else { return nil }
            self.init(category: category, situation: nil)
        }
    }

    public var description: String { key }

    public var zh: String { situation.map { "\(category.zh)·\($0.zh)" } ?? category.zh }
    public var en: String { situation.map { "\(category.en) · \($0.en)" } ?? category.en }

    /// Display colour (sRGB hex). Hue carries the category (red, orange, yellow, green, grey),
    /// lightness the situation: not rectified is the full colour, in progress a lighter tint,
    /// rebound a darker shade — so a rebound stands out on the map even when small.
    public var hex: String {
        switch (category, situation) {
        case (.extremelySevere, .notRectified?): "#C62828"
        case (.extremelySevere, .inProgress?): "#EF9A9A"
        case (.extremelySevere, .rebound?): "#6D0F0F"
        case (.serious, .notRectified?): "#EF6C00"
        case (.serious, .inProgress?): "#FFCC80"
        case (.serious, .rebound?): "#8A3B00"
        case (.general, .notRectified?): "#F9C80E"
        case (.general, .inProgress?): "#FFF1A8"
        case (.general, .rebound?): "#8C7A00"
        case (.rectified, _): "#2E7D32"
        default: "#757575"
        }
    }

    /// All 11 colours, most urgent first.
    public static let all: [SubjectColour] =
        [ColourCategory.extremelySevere, .serious, .general].flatMap { c in
            ColourSituation.allCases.map { SubjectColour(category: c, situation: $0) }
        } + [SubjectColour(category: .rectified, situation: nil), SubjectColour(category: .closedDown, situation: nil)]
}

/// The colour rule. Written once here; the app recomputes a subject's colour with it in the
/// same transaction as every event that touches the subject's hazards.
public enum ColourRule {
    /// The colour of an inspected subject.
    ///
    /// - Category: 已关停 if the subject is closed down; else the highest severity among its open
    ///   hazards (open, rectifying, rebound), where a hazard marked overdue counts one level
    ///   higher (general → serious → extremely severe: rectification progress is part of the
    ///   article's rule); else 整改到位 (every hazard found is rectified, or none was found).
    /// - Situation (hazard categories only), first that holds:
    ///   隐患反弹 if any open hazard has come back after rectification (`reboundCount > 0`);
    ///   整改中 if any open hazard is being rectified, or at least one of the subject's hazards is
    ///   already rectified (work on the list has begun); 未整改 otherwise.
    public static func colour(closedDown: Bool, hazards: [HazardStatus]) -> SubjectColour {
        if closedDown { return SubjectColour(category: .closedDown, situation: nil) }
        let open = hazards.filter { $0.state.isOpen }
        guard let worst = open.map(effectiveSeverity).max() else {
            return SubjectColour(category: .rectified, situation: nil)
        }
        let situation: ColourSituation
        if open.contains(where: { $0.reboundCount > 0 }) {
            situation = .rebound
        } else if open.contains(where: { $0.state == .rectifying }) || hazards.contains(where: { $0.state == .rectified }) {
            situation = .inProgress
        } else {
            situation = .notRectified
        }
        return SubjectColour(category: ColourCategory(worst), situation: situation)
    }

    /// The severity a hazard counts with for colours: one level higher while marked overdue.
    public static func effectiveSeverity(_ h: HazardStatus) -> Severity {
        guard h.overdueSince != nil else { return h.severity }
        switch h.severity {
        case .general: return .serious
        case .serious, .extremelySevere: return .extremelySevere
        }
    }
}

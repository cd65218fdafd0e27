// The field's vocabulary (../shared/GLOSSARY.md). Raw values are the stable strings used in the
// database, the JSON API and CSV files; `zh` and `en` are the labels shown to people.

/// What an inspection visits (市场主体 and other inspected objects).
/// A factory-in-factory (厂中厂) is not a kind of its own: it is a subject whose `parentId`
/// names the plant it sits in.
public enum SubjectKind: String, Codable, CaseIterable, Sendable, Hashable {
    case enterprise          // 企业
    case streetShop          // 沿街店铺
    case rentalHousing       // 出租房 (counted in rooms, 间)
    case smallMicroPark      // 小微园区

    public var zh: String {
        switch self {
        case .enterprise: "企业"
        case .streetShop: "沿街店铺"
        case .rentalHousing: "出租房"
        case .smallMicroPark: "小微园区"
        }
    }

    public var en: String {
        switch self {
        case .enterprise: "Enterprise"
        case .streetShop: "Street-front shop"
        case .rentalHousing: "Rental housing"
        case .smallMicroPark: "Small and micro enterprise park"
        }
    }
}

/// Hazard severity. `general` and `serious` follow 一般隐患 of 安全生产事故隐患排查治理暂行规定
/// (SAWS Order 16, 2008), split by risk; `extremelySevere` stands for 重大隐患 / 重大火灾隐患
/// (GB 35181). Ordered: `general < serious < extremelySevere`.
public enum Severity: String, Codable, CaseIterable, Sendable, Hashable, Comparable {
    case general
    case serious
    case extremelySevere

    public var rank: Int {
        switch self {
        case .general: 1
        case .serious: 2
        case .extremelySevere: 3
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }

    public var zh: String {
        switch self {
        case .general: "一般"
        case .serious: "较严重"
        case .extremelySevere: "极严重"
        }
    }

    public var en: String {
        switch self {
        case .general: "General"
        case .serious: "Serious"
        case .extremelySevere: "Extremely severe"
        }
    }
}

/// The departments of the joint enforcement team (综合执法组), 8 in the article.
public enum Department: String, Codable, CaseIterable, Sendable, Hashable {
    case fireRescue              // 消防救援
    case emergencyManagement     // 应急管理
    case marketSupervision       // 市场监管
    case housingConstruction     // 住建
    case publicSecurity          // 公安
    case naturalResources        // 自然资源
    case ecologyEnvironment      // 生态环境
    case comprehensiveEnforcement // 综合执法

    public var zh: String {
        switch self {
        case .fireRescue: "消防救援"
        case .emergencyManagement: "应急管理"
        case .marketSupervision: "市场监管"
        case .housingConstruction: "住房和城乡建设"
        case .publicSecurity: "公安"
        case .naturalResources: "自然资源和规划"
        case .ecologyEnvironment: "生态环境"
        case .comprehensiveEnforcement: "综合行政执法"
        }
    }

    public var en: String {
        switch self {
        case .fireRescue: "Fire rescue"
        case .emergencyManagement: "Emergency management"
        case .marketSupervision: "Market supervision"
        case .housingConstruction: "Housing and construction"
        case .publicSecurity: "Public security"
        case .naturalResources: "Natural resources"
        case .ecologyEnvironment: "Ecology and environment"
        case .comprehensiveEnforcement: "Comprehensive law enforcement"
        }
    }
}

/// What kind of hazard a checklist item finds. Used for filtering and for the dashboard.
public enum HazardCategory: String, Codable, CaseIterable, Sendable, Hashable {
    case electrical          // 电气线路
    case evBattery           // 电动车 / 充电
    case evacuation          // 疏散通道 / 安全出口
    case buildingFireRating  // 建筑耐火 / 防火分隔
    case firefightingEquipment // 消防设施器材
    case fireAccess          // 消防车道 / 救援窗口
    case threeInOne          // 三合一场所
    case hazardousChemicals  // 危险化学品
    case productionSafety    // 安全生产 (机械, 有限空间, 粉尘)
    case gas                 // 燃气
    case illegalBuilding     // 违法建筑
    case management          // 安全管理制度 / 培训
    case environment         // 生态环境

    public var zh: String {
        switch self {
        case .electrical: "电气线路"
        case .evBattery: "电动自行车"
        case .evacuation: "安全疏散"
        case .buildingFireRating: "建筑防火"
        case .firefightingEquipment: "消防设施"
        case .fireAccess: "消防车道与救援"
        case .threeInOne: "三合一场所"
        case .hazardousChemicals: "危险化学品"
        case .productionSafety: "安全生产"
        case .gas: "燃气安全"
        case .illegalBuilding: "违法建筑"
        case .management: "安全管理"
        case .environment: "生态环境"
        }
    }

    public var en: String {
        switch self {
        case .electrical: "Electrical wiring"
        case .evBattery: "E-bikes and charging"
        case .evacuation: "Evacuation"
        case .buildingFireRating: "Building fire protection"
        case .firefightingEquipment: "Firefighting equipment"
        case .fireAccess: "Fire lanes and rescue"
        case .threeInOne: "Three-in-one premises"
        case .hazardousChemicals: "Hazardous chemicals"
        case .productionSafety: "Production safety"
        case .gas: "Gas safety"
        case .illegalBuilding: "Illegal building"
        case .management: "Safety management"
        case .environment: "Ecology and environment"
        }
    }
}

/// 即查即改 (fixed on the spot, due the same day) or 限期整改 (fixed by a deadline).
public enum RectificationMode: String, Codable, CaseIterable, Sendable, Hashable {
    case onSpot
    case byDeadline

    public var zh: String { self == .onSpot ? "即查即改" : "限期整改" }
    public var en: String { self == .onSpot ? "Fixed on the spot" : "Fixed by a deadline" }
}

import CSV
import Foundation
import SafeGridCore
import XMLCoder
import ZIPFoundation

// MARK: - Codable shapes of the parts (attribute keys listed in `attributes`)

/// Encodes the listed keys as XML attributes, the others as elements.
protocol XMLAttributes: Encodable, DynamicNodeEncoding {
    static var attributes: Set<String> { get }
}

extension XMLAttributes {
    static func nodeEncoding(for key: CodingKey) -> XMLEncoder.NodeEncoding {
        attributes.contains(key.stringValue) ? .attribute : .element
    }
}

struct ContentTypes: Encodable {
    struct DefaultType: XMLAttributes {
        static let attributes: Set<String> = ["Extension", "ContentType"]
        let `extension`: String
        let contentType: String
        enum CodingKeys: String, CodingKey { case `extension` = "Extension", contentType = "ContentType" }
    }
    struct OverrideType: XMLAttributes {
        static let attributes: Set<String> = ["PartName", "ContentType"]
        let partName: String
        let contentType: String
        enum CodingKeys: String, CodingKey { case partName = "PartName", contentType = "ContentType" }
    }
    let defaults: [DefaultType]
    let overrides: [OverrideType]
    enum CodingKeys: String, CodingKey { case defaults = "Default", overrides = "Override" }
}

struct Relationships: Encodable {
    struct Relationship: XMLAttributes {
        static let attributes: Set<String> = ["Id", "Type", "Target"]
        let id: String
        let type: String
        let target: String
        enum CodingKeys: String, CodingKey { case id = "Id", type = "Type", target = "Target" }
    }
    let relationship: [Relationship]
    enum CodingKeys: String, CodingKey { case relationship = "Relationship" }
}

struct WorkbookXML: Encodable {
    struct Sheets: Encodable { let sheet: [Sheet] }
    struct Sheet: XMLAttributes {
        static let attributes: Set<String> = ["name", "sheetId", "r:id"]
        let name: String
        let sheetId: Int
        let rid: String
        enum CodingKeys: String, CodingKey { case name, sheetId, rid = "r:id" }
    }
    let sheets: Sheets
}

/// `<t xml:space="preserve">…</t>`.
struct TextNode: XMLAttributes {
    static let attributes: Set<String> = ["xml:space"]
    let space: String?
    let value: String
    init(_ value: String) {
        self.value = value
        let needsPreserve = value.first.map(\.isWhitespace) == true || value.last.map(\.isWhitespace) == true || value.contains("\n") || value.contains("\t")
        space = needsPreserve ? "preserve" : nil
    }
    enum CodingKeys: String, CodingKey { case space = "xml:space", value = "" }
}

struct SST: XMLAttributes {
    static let attributes: Set<String> = ["count", "uniqueCount"]
    struct Item: Encodable { let t: TextNode }
    let count: Int
    let uniqueCount: Int
    let si: [Item]
}

struct WorksheetXML: Encodable {
    struct SheetViews: Encodable { let sheetView: SheetView }
    struct SheetView: XMLAttributes {
        static let attributes: Set<String> = ["workbookViewId"]
        let workbookViewId: Int
        let pane: Pane?
    }
    struct Pane: XMLAttributes {
        static let attributes: Set<String> = ["ySplit", "topLeftCell", "activePane", "state"]
        let ySplit: Int
        let topLeftCell: String
        let activePane: String
        let state: String
    }
    struct Cols: Encodable { let col: [Col] }
    struct Col: XMLAttributes {
        static let attributes: Set<String> = ["min", "max", "width", "customWidth"]
        let min: Int
        let max: Int
        let width: Double
        let customWidth: Int
    }
    struct SheetData: Encodable { let row: [Row] }
    struct Row: XMLAttributes {
        static let attributes: Set<String> = ["r"]
        let r: Int
        let c: [Cell]
    }
    struct Cell: XMLAttributes {
        static let attributes: Set<String> = ["r", "s", "t"]
        let r: String?
        var s: Int? = nil
        var t: String? = nil
        let v: String
    }
    struct AutoFilter: XMLAttributes {
        static let attributes: Set<String> = ["ref"]
        let ref: String
    }
    let sheetViews: SheetViews
    let cols: Cols?
    let sheetData: SheetData
    let autoFilter: AutoFilter?
}

struct StyleSheet: Encodable {
    struct NumFmts: XMLAttributes {
        static let attributes: Set<String> = ["count"]
        let count: Int
        let numFmt: [NumFmt]
    }
    struct NumFmt: XMLAttributes {
        static let attributes: Set<String> = ["numFmtId", "formatCode"]
        let numFmtId: Int
        let formatCode: String
    }
    struct Fonts: XMLAttributes {
        static let attributes: Set<String> = ["count"]
        let count: Int
        let font: [Font]
    }
    struct Font: Encodable {
        let b: Empty?
        let sz: Val
        let name: Val
        let charset: Val?
    }
    struct Empty: Encodable {}
    struct Val: XMLAttributes {
        static let attributes: Set<String> = ["val"]
        let val: String
    }
    struct Fills: XMLAttributes {
        static let attributes: Set<String> = ["count"]
        let count: Int
        let fill: [Fill]
    }
    struct Fill: Encodable { let patternFill: PatternFill }
    struct PatternFill: XMLAttributes {
        static let attributes: Set<String> = ["patternType"]
        let patternType: String
    }
    struct Borders: XMLAttributes {
        static let attributes: Set<String> = ["count"]
        let count: Int
        let border: [Border]
    }
    struct Border: Encodable {
        let left: Empty, right: Empty, top: Empty, bottom: Empty, diagonal: Empty
    }
    struct Xfs: XMLAttributes {
        static let attributes: Set<String> = ["count"]
        let count: Int
        let xf: [Xf]
    }
    struct Xf: XMLAttributes {
        static let attributes: Set<String> = ["numFmtId", "fontId", "fillId", "borderId", "xfId", "applyNumberFormat", "applyFont", "quotePrefix"]
        let numFmtId: Int
        let fontId: Int
        let fillId: Int
        let borderId: Int
        var xfId: Int? = 0
        var applyNumberFormat: Int? = nil
        var applyFont: Int? = nil
        var quotePrefix: Int? = nil
    }
    struct CellStyles: XMLAttributes {
        static let attributes: Set<String> = ["count"]
        let count: Int
        let cellStyle: CellStyle
    }
    struct CellStyle: XMLAttributes {
        static let attributes: Set<String> = ["name", "xfId", "builtinId"]
        let name: String
        let xfId: Int
        let builtinId: Int
    }

    let numFmts: NumFmts
    let fonts: Fonts
    let fills: Fills
    let borders: Borders
    let cellStyleXfs: Xfs
    let cellXfs: Xfs
    let cellStyles: CellStyles

    /// Fonts: 0 = 等线 11 (Excel's default for zh-CN), 1 = the same, bold. Number formats:
    /// 164 = `yyyy-mm-dd`, 165 = `yyyy-mm-dd hh:mm`. cellXfs in ``XLSXWriter/Style`` order.
    static let standard: StyleSheet = {
        let font = Font(b: nil, sz: Val(val: "11"), name: Val(val: "等线"), charset: Val(val: "134"))
        let bold = Font(b: Empty(), sz: Val(val: "11"), name: Val(val: "等线"), charset: Val(val: "134"))
        let none = Empty()
        let xfs = [
            Xf(numFmtId: 0, fontId: 0, fillId: 0, borderId: 0),
            Xf(numFmtId: 164, fontId: 0, fillId: 0, borderId: 0, applyNumberFormat: 1),
            Xf(numFmtId: 165, fontId: 0, fillId: 0, borderId: 0, applyNumberFormat: 1),
            Xf(numFmtId: 0, fontId: 1, fillId: 0, borderId: 0, applyFont: 1),
            Xf(numFmtId: 0, fontId: 0, fillId: 0, borderId: 0, quotePrefix: 1),
        ]
        return StyleSheet(
            numFmts: NumFmts(count: 2, numFmt: [NumFmt(numFmtId: 164, formatCode: "yyyy-mm-dd"),
                                                NumFmt(numFmtId: 165, formatCode: "yyyy-mm-dd hh:mm")]),
            fonts: Fonts(count: 2, font: [font, bold]),
            fills: Fills(count: 2, fill: [Fill(patternFill: PatternFill(patternType: "none")),
                                          Fill(patternFill: PatternFill(patternType: "gray125"))]),
            borders: Borders(count: 1, border: [Border(left: none, right: none, top: none, bottom: none, diagonal: none)]),
            cellStyleXfs: Xfs(count: 1, xf: [Xf(numFmtId: 0, fontId: 0, fillId: 0, borderId: 0, xfId: nil)]),
            cellXfs: Xfs(count: xfs.count, xf: xfs),
            cellStyles: CellStyles(count: 1, cellStyle: CellStyle(name: "Normal", xfId: 0, builtinId: 0)))
    }()
}

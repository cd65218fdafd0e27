import Foundation
import SafeGridCore
import ZIPFoundation
@testable import SafeGridLedger

/// Test fixtures are made here, in code: ZIP packages from XML text, CSV bytes in each encoding.
enum Fixture {
    /// A ZIP archive of the given parts (deflated), made with ZIPFoundation.
    static func zip(_ parts: [(String, String)]) throws -> Data {
        try zipData(parts.map { ($0.0, Data($0.1.utf8)) })
    }

    static func zipData(_ parts: [(String, Data)]) throws -> Data {
        let archive = try Archive(data: Data(), accessMode: .create)
        for (path, data) in parts {
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { pos, size in
                data.subdata(in: Int(pos)..<Int(pos) + size)
            }
        }
        return archive.data!
    }

    static let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    static let rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

    /// A workbook: sheets (name, sheetData inner XML, extra XML after sheetData, state),
    /// shared strings, custom number formats and cellXfs numFmtIds, 1904 flag.
    static func workbook(sheets: [(name: String, rows: String, after: String, state: String?)],
                         sharedStrings: [String] = [], richSharedStrings: [String] = [],
                         numFmts: [(Int, String)] = [], xfs: [Int] = [0], date1904: Bool = false,
                         prefix: String = "") throws -> Data {
        let p = prefix.isEmpty ? "" : prefix + ":"
        let xmlnsDecl = prefix.isEmpty ? "xmlns=\"\(main)\"" : "xmlns:\(prefix)=\"\(main)\""
        var parts: [(String, String)] = []
        parts.append(("[Content_Types].xml", """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>
            """))
        parts.append(("_rels/.rels", """
            <?xml version="1.0" encoding="UTF-8"?>
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="\(rel)/officeDocument" Target="xl/workbook.xml"/></Relationships>
            """))
        let sheetElems = sheets.enumerated().map { i, s in
            "<\(p)sheet name=\"\(s.name)\" sheetId=\"\(i + 1)\" r:id=\"rId\(i + 1)\"\(s.state.map { " state=\"\($0)\"" } ?? "")/>"
        }.joined()
        parts.append(("xl/workbook.xml", """
            <?xml version="1.0" encoding="UTF-8"?>
            <\(p)workbook \(xmlnsDecl) xmlns:r="\(rel)">
              <\(p)workbookPr\(date1904 ? " date1904=\"1\"" : "")/>
              <\(p)sheets>\(sheetElems)</\(p)sheets>
            </\(p)workbook>
            """))
        var rels = sheets.indices.map { "<Relationship Id=\"rId\($0 + 1)\" Type=\"\(rel)/worksheet\" Target=\"worksheets/sheet\($0 + 1).xml\"/>" }
        rels.append("<Relationship Id=\"rIdS\" Type=\"\(rel)/sharedStrings\" Target=\"sharedStrings.xml\"/>")
        rels.append("<Relationship Id=\"rIdT\" Type=\"\(rel)/styles\" Target=\"/xl/styles.xml\"/>")
        parts.append(("xl/_rels/workbook.xml.rels", """
            <?xml version="1.0" encoding="UTF-8"?>
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\(rels.joined())</Relationships>
            """))
        for (i, s) in sheets.enumerated() {
            parts.append(("xl/worksheets/sheet\(i + 1).xml", """
                <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
                <\(p)worksheet \(xmlnsDecl) xmlns:r="\(rel)">
                  <\(p)sheetData>
                \(s.rows)
                  </\(p)sheetData>
                \(s.after)
                </\(p)worksheet>
                """))
        }
        let si = sharedStrings.map { "<\(p)si><\(p)t xml:space=\"preserve\">\(escape($0))</\(p)t></\(p)si>" } + richSharedStrings
        parts.append(("xl/sharedStrings.xml", """
            <?xml version="1.0" encoding="UTF-8"?>
            <\(p)sst \(xmlnsDecl) count="\(si.count)" uniqueCount="\(si.count)">\(si.joined())</\(p)sst>
            """))
        let fmts = numFmts.map { "<\(p)numFmt numFmtId=\"\($0.0)\" formatCode=\"\(escape($0.1))\"/>" }.joined()
        let xf = xfs.map { "<\(p)xf numFmtId=\"\($0)\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>" }.joined()
        parts.append(("xl/styles.xml", """
            <?xml version="1.0" encoding="UTF-8"?>
            <\(p)styleSheet \(xmlnsDecl)><\(p)numFmts count="\(numFmts.count)">\(fmts)</\(p)numFmts><\(p)cellXfs count="\(xfs.count)">\(xf)</\(p)cellXfs></\(p)styleSheet>
            """))
        return try zip(parts)
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// GB18030 bytes of `text`, by Foundation (checked against known bytes in the tests).
    static func gb18030(_ text: String) -> Data {
        text.data(using: String.Encoding(rawValue: 0x8000_0632))!
    }

    /// A valid credit code from a 17-character body.
    static func creditCode(_ body: String) -> String {
        body + String(CreditCode.checkCharacter(for: body)!)
    }

    static func areas() throws -> [Area] { try BundledAreas.load() }
}

func reason(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch let e as InvalidValue {
        return e.reason
    } catch let e as LedgerFileError {
        return e.reason
    } catch {
        return "unexpected \(error)"
    }
}

func fileError(_ body: () throws -> Void) -> LedgerFileError? {
    do {
        try body()
        return nil
    } catch let e as LedgerFileError {
        return e
    } catch {
        return nil
    }
}

func day(_ s: String) -> CalendarDate { try! CalendarDate(s) }

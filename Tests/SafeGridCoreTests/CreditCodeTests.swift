import Foundation
import XCTest
@testable import SafeGridCore

// Vectors were computed with an independent Python implementation of GB 32100-2015 §4.3 and
// GB 11714-1997 (not copied from memory).
final class CreditCodeTests: XCTestCase {
    private func reason(_ raw: String) -> String? {
        do {
            _ = try CreditCode(raw)
            return nil
        } catch {
            return error.reason
        }
    }

    func testValidCodes() throws {
        for raw in ["914403001922038216", "91330109MA2B3C4D1C", "91330109123456788J",
                    "12110000000000000K", "533301007A8B9C0D03", "Y1330109MA27U8K93G",
                    "9133010910000018XE", "91330109100000040T", "91330000MA27U8K91Q"] {
            let code = try CreditCode(raw)
            XCTAssertEqual(code.value, raw)
            XCTAssertEqual(code.description, raw)
        }
    }

    func testCheckCharacter() {
        XCTAssertEqual(CreditCode.checkCharacter(for: "91440300192203821"), "6")
        XCTAssertEqual(CreditCode.checkCharacter(for: "91330000MA27U8K91"), "Q")
        XCTAssertEqual(CreditCode.checkCharacter(for: "9133010910000018X"), "E")
        XCTAssertEqual(CreditCode.checkCharacter(for: "12110000000000000"), "K")
        XCTAssertNil(CreditCode.checkCharacter(for: "9133010910000018"))   // 16 chars
        XCTAssertNil(CreditCode.checkCharacter(for: "91330109O0000018X"))  // letter O
        XCTAssertNil(CreditCode.checkCharacter(for: "91330000ma27u8k91"))  // not normalised
    }

    func testOrganizationCheckCharacter() {
        XCTAssertEqual(CreditCode.organizationCheckCharacter(for: "19220382"), "1")
        XCTAssertEqual(CreditCode.organizationCheckCharacter(for: "MA2B3C4D"), "1")
        XCTAssertEqual(CreditCode.organizationCheckCharacter(for: "12345678"), "8")
        XCTAssertEqual(CreditCode.organizationCheckCharacter(for: "10000018"), "X")
        XCTAssertEqual(CreditCode.organizationCheckCharacter(for: "10000004"), "0")
        XCTAssertNil(CreditCode.organizationCheckCharacter(for: "1234567"))
    }

    func testMake() throws {
        XCTAssertEqual(CreditCode.make(division: "330109", organizationSerial: "MA2B3C4D").value,
                       "91330109MA2B3C4D1C")
        XCTAssertEqual(CreditCode.make(division: "330109", organizationSerial: "12345678").value,
                       "91330109123456788J")
        XCTAssertEqual(CreditCode.make(registration: "1", type: "2", division: "110000",
                                       organizationSerial: "00000000").value, "12110000000000000K")
        XCTAssertEqual(CreditCode.make(registration: "5", type: "3", division: "330100",
                                       organizationSerial: "7A8B9C0D").value, "533301007A8B9C0D03")
        // GB 11714 check "X" lands in position 17 and is fine for GB 32100.
        let x = CreditCode.make(division: "330109", organizationSerial: "10000018")
        XCTAssertEqual(x.value, "9133010910000018XE")
        XCTAssertEqual(try CreditCode(x.value), x)
        XCTAssertEqual(x.divisionCode, "330109")
    }

    func testDivisionCode() throws {
        XCTAssertEqual(try CreditCode("914403001922038216").divisionCode, "440300")
        XCTAssertEqual(try CreditCode("12110000000000000K").divisionCode, "110000")
    }

    func testNormalisation() throws {
        XCTAssertEqual(try CreditCode("  91330109ma2b3c4d1c \n").value, "91330109MA2B3C4D1C")
        XCTAssertEqual(try CreditCode("９１３３０１０９ＭＡ２Ｂ３Ｃ４Ｄ１Ｃ").value, "91330109MA2B3C4D1C")
        XCTAssertEqual(try CreditCode("\u{3000}91330109ｍａ2B3C4D1c").value, "91330109MA2B3C4D1C")
    }

    func testWrongCheckCharacter() {
        XCTAssertEqual(reason("91330109MA2B3C4D1D"),
                       "check character (position 18) should be 'C', found 'D'; the code is mistyped")
        XCTAssertEqual(reason("914403001922038217"),
                       "check character (position 18) should be '6', found '7'; the code is mistyped")
        // A transposition in the body changes the expected check character.
        XCTAssertNotNil(reason("914403001922083216"))
    }

    func testWrongLength() {
        XCTAssertEqual(reason("91330109MA2B3C4D1"), "credit code must be 18 characters long, found 17")
        XCTAssertEqual(reason("91330109MA2B3C4D1CC"), "credit code must be 18 characters long, found 19")
        XCTAssertEqual(reason("   "),
                       "credit code is empty; expected the 18-character unified social credit code from the business licence")
    }

    func testForbiddenLetters() {
        XCTAssertEqual(reason("91330109MAOB3C4D1C"),
                       "character 'O' at position 11 is not allowed in a credit code (the letter O is never used; did you mean the digit 0?)")
        for (raw, letter) in [("I1330109MA2B3C4D1C", "I"), ("91330109MA2B3C4D1Z", "Z"),
                              ("91330109SA2B3C4D1C", "S"), ("91330109MA2B3C4V1C", "V"),
                              ("91330109MA2B3C4D1-", "-")] {
            let r = reason(raw)
            XCTAssertNotNil(r)
            XCTAssertTrue(r?.contains("'\(letter)'") ?? false, r ?? "")
        }
    }

    func testCodable() throws {
        let code = try CreditCode("914403001922038216")
        let data = try JSONEncoder().encode([code])
        XCTAssertEqual(String(decoding: data, as: UTF8.self), #"["914403001922038216"]"#)
        XCTAssertEqual(try JSONDecoder().decode([CreditCode].self, from: data), [code])
        XCTAssertThrowsError(try JSONDecoder().decode([CreditCode].self, from: Data(#"["914403001922038217"]"#.utf8)))
    }
}

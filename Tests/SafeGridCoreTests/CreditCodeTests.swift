import Foundation
import Testing
@testable import SafeGridCore

// Vectors were computed with an independent Python implementation of GB 32100-2015 §4.3 and
// GB 11714-1997 (not copied from memory).
@Suite struct CreditCodeTests {
    private func reason(_ raw: String) -> String? {
        do {
            _ = try CreditCode(raw)
            return nil
        } catch {
            return error.reason
        }
    }

    @Test func validCodes() throws {
        for raw in ["914403001922038216", "91330109MA2B3C4D1C", "91330109123456788J",
                    "12110000000000000K", "533301007A8B9C0D03", "Y1330109MA27U8K93G",
                    "9133010910000018XE", "91330109100000040T", "91330000MA27U8K91Q"] {
            let code = try CreditCode(raw)
            #expect(code.value == raw)
            #expect(code.description == raw)
        }
    }

    @Test func checkCharacter() {
        #expect(CreditCode.checkCharacter(for: "91440300192203821") == "6")
        #expect(CreditCode.checkCharacter(for: "91330000MA27U8K91") == "Q")
        #expect(CreditCode.checkCharacter(for: "9133010910000018X") == "E")
        #expect(CreditCode.checkCharacter(for: "12110000000000000") == "K")
        #expect(CreditCode.checkCharacter(for: "9133010910000018") == nil)   // 16 chars
        #expect(CreditCode.checkCharacter(for: "91330109O0000018X") == nil)  // letter O
        #expect(CreditCode.checkCharacter(for: "91330000ma27u8k91") == nil)  // not normalised
    }

    @Test func organizationCheckCharacter() {
        #expect(CreditCode.organizationCheckCharacter(for: "19220382") == "1")
        #expect(CreditCode.organizationCheckCharacter(for: "MA2B3C4D") == "1")
        #expect(CreditCode.organizationCheckCharacter(for: "12345678") == "8")
        #expect(CreditCode.organizationCheckCharacter(for: "10000018") == "X")
        #expect(CreditCode.organizationCheckCharacter(for: "10000004") == "0")
        #expect(CreditCode.organizationCheckCharacter(for: "1234567") == nil)
    }

    @Test func make() throws {
        #expect(CreditCode.make(division: "330109", organizationSerial: "MA2B3C4D").value ==
                "91330109MA2B3C4D1C")
        #expect(CreditCode.make(division: "330109", organizationSerial: "12345678").value ==
                "91330109123456788J")
        #expect(CreditCode.make(registration: "1", type: "2", division: "110000",
                                organizationSerial: "00000000").value == "12110000000000000K")
        #expect(CreditCode.make(registration: "5", type: "3", division: "330100",
                                organizationSerial: "7A8B9C0D").value == "533301007A8B9C0D03")
        // GB 11714 check "X" lands in position 17 and is fine for GB 32100.
        let x = CreditCode.make(division: "330109", organizationSerial: "10000018")
        #expect(x.value == "9133010910000018XE")
        #expect(try CreditCode(x.value) == x)
        #expect(x.divisionCode == "330109")
    }

    @Test func divisionCode() throws {
        #expect(try CreditCode("914403001922038216").divisionCode == "440300")
        #expect(try CreditCode("12110000000000000K").divisionCode == "110000")
    }

    @Test func normalisation() throws {
        #expect(try CreditCode("  91330109ma2b3c4d1c \n").value == "91330109MA2B3C4D1C")
        #expect(try CreditCode("９１３３０１０９ＭＡ２Ｂ３Ｃ４Ｄ１Ｃ").value == "91330109MA2B3C4D1C")
        #expect(try CreditCode("\u{3000}91330109ｍａ2B3C4D1c").value == "91330109MA2B3C4D1C")
    }

    @Test func wrongCheckCharacter() {
        #expect(reason("91330109MA2B3C4D1D") ==
                "check character (position 18) should be 'C', found 'D'; the code is mistyped")
        #expect(reason("914403001922038217") ==
                "check character (position 18) should be '6', found '7'; the code is mistyped")
        // A transposition in the body changes the expected check character.
        #expect(reason("914403001922083216") != nil)
    }

    @Test func wrongLength() {
        #expect(reason("91330109MA2B3C4D1") == "credit code must be 18 characters long, found 17")
        #expect(reason("91330109MA2B3C4D1CC") == "credit code must be 18 characters long, found 19")
        #expect(reason("   ") ==
                "credit code is empty; expected the 18-character unified social credit code from the business licence")
    }

    @Test func forbiddenLetters() {
        #expect(reason("91330109MAOB3C4D1C") ==
                "character 'O' at position 11 is not allowed in a credit code (the letter O is never used; did you mean the digit 0?)")
        for (raw, letter) in [("I1330109MA2B3C4D1C", "I"), ("91330109MA2B3C4D1Z", "Z"),
                              ("91330109SA2B3C4D1C", "S"), ("91330109MA2B3C4V1C", "V"),
                              ("91330109MA2B3C4D1-", "-")] {
            let r = reason(raw)
            #expect(r != nil)
            #expect(r?.contains("'\(letter)'") ?? false, "\(r ?? "")")
        }
    }

    @Test func codable() throws {
        let code = try CreditCode("914403001922038216")
        let data = try JSONEncoder().encode([code])
        #expect(String(decoding: data, as: UTF8.self) == #"["914403001922038216"]"#)
        #expect(try JSONDecoder().decode([CreditCode].self, from: data) == [code])
        #expect(throws: (any Error).self) { try JSONDecoder().decode([CreditCode].self, from: Data(#"["914403001922038217"]"#.utf8)) }
    }
}

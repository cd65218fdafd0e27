import Foundation
import XCTest
@testable import SafeGridCore

final class PhoneNumberTests: XCTestCase {
    private func reason(_ raw: String) -> String? {
        do {
            _ = try PhoneNumber(raw)
            return nil
        } catch {
            return error.reason
        }
    }

    func testMobileSpellingsAreEqual() throws {
        let expected = PhoneNumber.mobile("13800000000")
        for raw in ["+86 138 0000 0000", "13800000000", "138-0000-0000", "0086 13800000000",
                    "８６１３８００００００００", "8613800000000", "+86-138-0000-0000", "(+86)138.0000.0000",
                    " 138\u{00A0}0000\u{00A0}0000 ", "＋８６　１３８－００００－００００", "0086-13800000000"] {
            XCTAssertEqual(try PhoneNumber(raw), expected, raw)
        }
    }

    func testMobileProperties() throws {
        let p = try PhoneNumber("+86 138 0000 0000")
        XCTAssertEqual(p.stored, "13800000000")
        XCTAssertEqual(p.e164, "+8613800000000")
        XCTAssertEqual(p.display, "138 0000 0000")
        XCTAssertEqual(p.masked, "138****0000")
        XCTAssertTrue(p.isSMSCapable)
        XCTAssertNil(p.areaCode)
        XCTAssertEqual(try PhoneNumber("15912345678").masked, "159****5678")
    }

    func testAllMobilePrefixesValid() throws {
        for prefix in ["130", "138", "147", "150", "166", "170", "177", "180", "190", "191", "199"] {
            let raw = prefix + "12345678"
            XCTAssertEqual(try PhoneNumber(raw), .mobile(raw))
        }
    }

    func testMobileRejections() {
        XCTAssertEqual(reason("12345678901"), "unknown mobile prefix '12…'; mobile numbers start with 13 to 19")
        XCTAssertEqual(reason("10086000000"), "unknown mobile prefix '10…'; mobile numbers start with 13 to 19")
        XCTAssertEqual(reason("1380000000"), "too few digits for a mobile number: 10, expected 11")
        XCTAssertEqual(reason("138000000001"), "too many digits for a mobile number: 12, expected 11")
        XCTAssertEqual(reason("abc"), "phone number contains letters ('a'); use digits only, e.g. 13800000000 or 0571-82345678")
        XCTAssertEqual(reason("138O0000000"), "phone number contains letters ('O'); use digits only, e.g. 13800000000 or 0571-82345678")
        XCTAssertEqual(reason(""), "phone number is empty")
        XCTAssertEqual(reason("   "), "phone number is empty")
        XCTAssertEqual(reason("+1 650 253 0000"), "only mainland China numbers (+86) are supported, got '+16502530000'")
        XCTAssertEqual(reason("13800000000转12"), "mobile numbers have no extension, but '12' was given")
        XCTAssertNotNil(reason("138*0000*0000"))
        XCTAssertNotNil(reason("+86"))
    }

    func testLandlineSpellingsAreEqual() throws {
        let expected = PhoneNumber.landline("0571-82345678")
        for raw in ["0571-82345678", "(0571)82345678", "057182345678", "0571 8234 5678",
                    "+86 571 8234 5678", "+86 (0)571 8234 5678", "0086 571 82345678", "86 571 8234 5678",
                    "（０５７１）８２３４５６７８", "0571.8234.5678", "0571-8234-5678"] {
            XCTAssertEqual(try PhoneNumber(raw), expected, raw)
        }
    }

    func testLandlineProperties() throws {
        let p = try PhoneNumber("(0571)82345678")
        XCTAssertEqual(p.stored, "0571-82345678")
        XCTAssertEqual(p.e164, "+8657182345678")
        XCTAssertEqual(p.display, "0571-82345678")
        XCTAssertEqual(p.masked, "0571-****5678")
        XCTAssertFalse(p.isSMSCapable)
        XCTAssertEqual(p.areaCode, "0571")
        XCTAssertEqual(p.localNumber, "82345678")
        XCTAssertNil(p.phoneExtension)

        let seven = try PhoneNumber("0571 8234567")
        XCTAssertEqual(seven.stored, "0571-8234567")
        XCTAssertEqual(seven.masked, "0571-***4567")
    }

    func testThreeDigitAreaCodes() throws {
        XCTAssertEqual(try PhoneNumber("01062345678"), .landline("010-62345678"))
        XCTAssertEqual(try PhoneNumber("+86 10 6234 5678"), .landline("010-62345678"))
        XCTAssertEqual(try PhoneNumber("021-62345678"), .landline("021-62345678"))
        XCTAssertEqual(try PhoneNumber("(029)8234567"), .landline("029-8234567"))
        XCTAssertEqual(try PhoneNumber("020 8888 8888").e164, "+862088888888")
        XCTAssertEqual(try PhoneNumber("010-62345678").masked, "010-****5678")
    }

    func testExtensions() throws {
        let expected = PhoneNumber.landline("0571-82345678-123")
        for raw in ["0571-82345678-123", "0571-82345678转123", "0571 8234 5678 ext 123",
                    "057182345678 ext.123", "(0571)82345678 EXT:123", "0571-82345678分机123",
                    "+86 571 8234 5678-123", "0571-8234-5678-123"] {
            XCTAssertEqual(try PhoneNumber(raw), expected, raw)
        }
        let p = try PhoneNumber("0571-82345678转123")
        XCTAssertEqual(p.phoneExtension, "123")
        XCTAssertEqual(p.localNumber, "82345678")
        XCTAssertEqual(p.e164, "+8657182345678")
        XCTAssertEqual(p.masked, "0571-****5678")
        XCTAssertFalse(p.isSMSCapable)
        XCTAssertEqual(reason("0571-82345678转"), "extension '' must be 1 to 6 digits")
        XCTAssertEqual(reason("0571-82345678转1234567"), "extension '1234567' must be 1 to 6 digits")
    }

    func testLandlineRejections() {
        XCTAssertEqual(reason("0571-823456"),
                       "too few digits after area code 0571: 6, expected a 7 or 8 digit local number")
        XCTAssertEqual(reason("0571-823456789"),
                       "too many digits after area code 0571: 9, expected a 7 or 8 digit local number")
        XCTAssertEqual(reason("0571-02345678"),
                       "local number '02345678' after area code 0571 cannot start with 0 or 1")
        XCTAssertEqual(reason("011-62345678"),
                       "unknown area code '0116'; area codes are 010, 020–029 or 0 plus 3 digits such as 0571")
        XCTAssertEqual(reason("82345678"), "landline number '82345678' needs its area code, e.g. 0571-82345678")
        XCTAssertEqual(reason("00441234567890"), "only mainland China numbers (+86) are supported, got '00441234567890'")
        XCTAssertNotNil(reason("0"))
    }

    func testLandlinesNeverSMSCapable() throws {
        for raw in ["0571-82345678", "010-62345678", "0571-82345678-1"] {
            XCTAssertFalse(try PhoneNumber(raw).isSMSCapable)
        }
    }

    func testStoredRoundTrip() throws {
        for raw in ["+86 138 0000 0000", "(0571)82345678", "010 6234 5678", "0571-82345678转88", "19912345678"] {
            let p = try PhoneNumber(raw)
            XCTAssertEqual(try PhoneNumber(stored: p.stored), p)
        }
        XCTAssertThrowsError(try PhoneNumber(stored: "138 0000 0000")) { error in
            XCTAssertEqual((error as? InvalidValue)?.reason,
                           "'138 0000 0000' is not a canonical stored phone number; expected '13800000000'")
        }
        XCTAssertThrowsError(try PhoneNumber(stored: "12345"))
    }

    func testCodable() throws {
        let values = [try PhoneNumber("138 0000 0000"), try PhoneNumber("(0571)82345678-9")]
        let data = try JSONEncoder().encode(values)
        XCTAssertEqual(String(decoding: data, as: UTF8.self), #"["13800000000","0571-82345678-9"]"#)
        XCTAssertEqual(try JSONDecoder().decode([PhoneNumber].self, from: data), values)
        XCTAssertEqual(try JSONDecoder().decode([PhoneNumber].self, from: Data(#"["+86 138 0000 0000"]"#.utf8)),
                       [.mobile("13800000000")])
        XCTAssertThrowsError(try JSONDecoder().decode([PhoneNumber].self, from: Data(#"["12345678901"]"#.utf8)))
    }
}

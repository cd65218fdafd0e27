import Foundation
import Testing
@testable import SafeGridCore

@Suite struct PhoneNumberTests {
    private func reason(_ raw: String) -> String? {
        do {
            _ = try PhoneNumber(raw)
            return nil
        } catch {
            return error.reason
        }
    }

    @Test func mobileSpellingsAreEqual() throws {
        let expected = PhoneNumber.mobile("13800000000")
        for raw in ["+86 138 0000 0000", "13800000000", "138-0000-0000", "0086 13800000000",
                    "８６１３８００００００００", "8613800000000", "+86-138-0000-0000", "(+86)138.0000.0000",
                    " 138\u{00A0}0000\u{00A0}0000 ", "＋８６　１３８－００００－００００", "0086-13800000000"] {
            #expect(try PhoneNumber(raw) == expected, "\(raw)")
        }
    }

    @Test func mobileProperties() throws {
        let p = try PhoneNumber("+86 138 0000 0000")
        #expect(p.stored == "13800000000")
        #expect(p.e164 == "+8613800000000")
        #expect(p.display == "138 0000 0000")
        #expect(p.masked == "138****0000")
        #expect(p.isSMSCapable)
        #expect(p.areaCode == nil)
        #expect(try PhoneNumber("15912345678").masked == "159****5678")
    }

    @Test func allMobilePrefixesValid() throws {
        for prefix in ["130", "138", "147", "150", "166", "170", "177", "180", "190", "191", "199"] {
            let raw = prefix + "12345678"
            #expect(try PhoneNumber(raw) == .mobile(raw))
        }
    }

    @Test func mobileRejections() {
        #expect(reason("12345678901") == "unknown mobile prefix '12…'; mobile numbers start with 13 to 19")
        #expect(reason("10086000000") == "unknown mobile prefix '10…'; mobile numbers start with 13 to 19")
        #expect(reason("1380000000") == "too few digits for a mobile number: 10, expected 11")
        #expect(reason("138000000001") == "too many digits for a mobile number: 12, expected 11")
        #expect(reason("abc") == "phone number contains letters ('a'); use digits only, e.g. 13800000000 or 0571-82345678")
        #expect(reason("138O0000000") == "phone number contains letters ('O'); use digits only, e.g. 13800000000 or 0571-82345678")
        #expect(reason("") == "phone number is empty")
        #expect(reason("   ") == "phone number is empty")
        #expect(reason("+1 650 253 0000") == "only mainland China numbers (+86) are supported, got '+16502530000'")
        #expect(reason("13800000000转12") == "mobile numbers have no extension, but '12' was given")
        #expect(reason("138*0000*0000") != nil)
        #expect(reason("+86") != nil)
    }

    @Test func landlineSpellingsAreEqual() throws {
        let expected = PhoneNumber.landline("0571-82345678")
        for raw in ["0571-82345678", "(0571)82345678", "057182345678", "0571 8234 5678",
                    "+86 571 8234 5678", "+86 (0)571 8234 5678", "0086 571 82345678", "86 571 8234 5678",
                    "（０５７１）８２３４５６７８", "0571.8234.5678", "0571-8234-5678"] {
            #expect(try PhoneNumber(raw) == expected, "\(raw)")
        }
    }

    @Test func landlineProperties() throws {
        let p = try PhoneNumber("(0571)82345678")
        #expect(p.stored == "0571-82345678")
        #expect(p.e164 == "+8657182345678")
        #expect(p.display == "0571-82345678")
        #expect(p.masked == "0571-****5678")
        #expect(!p.isSMSCapable)
        #expect(p.areaCode == "0571")
        #expect(p.localNumber == "82345678")
        #expect(p.phoneExtension == nil)

        let seven = try PhoneNumber("0571 8234567")
        #expect(seven.stored == "0571-8234567")
        #expect(seven.masked == "0571-***4567")
    }

    @Test func threeDigitAreaCodes() throws {
        #expect(try PhoneNumber("01062345678") == .landline("010-62345678"))
        #expect(try PhoneNumber("+86 10 6234 5678") == .landline("010-62345678"))
        #expect(try PhoneNumber("021-62345678") == .landline("021-62345678"))
        #expect(try PhoneNumber("(029)8234567") == .landline("029-8234567"))
        #expect(try PhoneNumber("020 8888 8888").e164 == "+862088888888")
        #expect(try PhoneNumber("010-62345678").masked == "010-****5678")
    }

    @Test func extensions() throws {
        let expected = PhoneNumber.landline("0571-82345678-123")
        for raw in ["0571-82345678-123", "0571-82345678转123", "0571 8234 5678 ext 123",
                    "057182345678 ext.123", "(0571)82345678 EXT:123", "0571-82345678分机123",
                    "+86 571 8234 5678-123", "0571-8234-5678-123"] {
            #expect(try PhoneNumber(raw) == expected, "\(raw)")
        }
        let p = try PhoneNumber("0571-82345678转123")
        #expect(p.phoneExtension == "123")
        #expect(p.localNumber == "82345678")
        #expect(p.e164 == "+8657182345678")
        #expect(p.masked == "0571-****5678")
        #expect(!p.isSMSCapable)
        #expect(reason("0571-82345678转") == "extension '' must be 1 to 6 digits")
        #expect(reason("0571-82345678转1234567") == "extension '1234567' must be 1 to 6 digits")
    }

    @Test func landlineRejections() {
        #expect(reason("0571-823456") ==
                "too few digits after area code 0571: 6, expected a 7 or 8 digit local number")
        #expect(reason("0571-823456789") ==
                "too many digits after area code 0571: 9, expected a 7 or 8 digit local number")
        #expect(reason("0571-02345678") ==
                "local number '02345678' after area code 0571 cannot start with 0 or 1")
        #expect(reason("011-62345678") ==
                "unknown area code '0116'; area codes are 010, 020–029 or 0 plus 3 digits such as 0571")
        #expect(reason("82345678") == "landline number '82345678' needs its area code, e.g. 0571-82345678")
        #expect(reason("00441234567890") == "only mainland China numbers (+86) are supported, got '00441234567890'")
        #expect(reason("0") != nil)
    }

    @Test func landlinesNeverSMSCapable() throws {
        for raw in ["0571-82345678", "010-62345678", "0571-82345678-1"] {
            #expect(!(try PhoneNumber(raw).isSMSCapable))
        }
    }

    @Test func storedRoundTrip() throws {
        for raw in ["+86 138 0000 0000", "(0571)82345678", "010 6234 5678", "0571-82345678转88", "19912345678"] {
            let p = try PhoneNumber(raw)
            #expect(try PhoneNumber(stored: p.stored) == p)
        }
        if let error = #expect(throws: (any Error).self, performing: { try PhoneNumber(stored: "138 0000 0000") }) {
            #expect((error as? InvalidValue)?.reason ==
                    "'138 0000 0000' is not a canonical stored phone number; expected '13800000000'")
        }
        #expect(throws: (any Error).self) { try PhoneNumber(stored: "12345") }
    }

    @Test func codable() throws {
        let values = [try PhoneNumber("138 0000 0000"), try PhoneNumber("(0571)82345678-9")]
        let data = try JSONEncoder().encode(values)
        #expect(String(decoding: data, as: UTF8.self) == #"["13800000000","0571-82345678-9"]"#)
        #expect(try JSONDecoder().decode([PhoneNumber].self, from: data) == values)
        #expect(try JSONDecoder().decode([PhoneNumber].self, from: Data(#"["+86 138 0000 0000"]"#.utf8)) ==
                [.mobile("13800000000")])
        #expect(throws: (any Error).self) { try JSONDecoder().decode([PhoneNumber].self, from: Data(#"["12345678901"]"#.utf8)) }
    }
}

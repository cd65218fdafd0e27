import Crypto
import Foundation
import Testing
@testable import SafeGridCore

@Suite struct HexTests {
    @Test func bytesBecomeTwoLowerCaseDigitsEach() {
        #expect(Hex.encode([0x00, 0x0f, 0xa0, 0xff]) == "000fa0ff")
        #expect(Hex.encode([UInt8]()) == "")
    }

    /// The SHA-256 of "abc" (FIPS 180-2, appendix B.1).
    @Test func aDigestAsHex() {
        #expect(Hex.encode(SHA256.hash(data: Data("abc".utf8))) ==
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}

import Crypto
import Foundation
import XCTest
@testable import SafeGridCore

final class HexTests: XCTestCase {
    func testBytesBecomeTwoLowerCaseDigitsEach() {
        XCTAssertEqual(Hex.encode([0x00, 0x0f, 0xa0, 0xff]), "000fa0ff")
        XCTAssertEqual(Hex.encode([UInt8]()), "")
    }

    /// The SHA-256 of "abc" (FIPS 180-2, appendix B.1).
    func testADigestAsHex() {
        XCTAssertEqual(Hex.encode(SHA256.hash(data: Data("abc".utf8))),
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}

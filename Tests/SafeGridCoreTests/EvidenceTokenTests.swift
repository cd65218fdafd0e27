import Crypto
import Foundation
import Testing
@testable import SafeGridCore

@Suite struct EvidenceTokenTests {
    private let subject = UUID(uuidString: "12345678-9ABC-DEF0-1234-56789ABCDEF0")!
    private let expiry = Date(timeIntervalSince1970: 1_797_000_000) // 2026-12-11T22:40:00+08:00
    private let fixedKeyHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

    private func reason(_ token: String, key: SymmetricKey, now: Date) -> String? {
        do {
            _ = try EvidenceToken.verify(token, key: key, now: now)
            return nil
        } catch {
            return error.reason
        }
    }

    private let malformed = "the link is malformed: expected a 43-character token of letters, digits, '-' and '_'"
    private let forged = "the link is not valid: its signature does not match"

    @Test func knownVector() throws {
        // Computed independently: base64url(uuid ‖ BE32(1797000000) ‖ HMAC-SHA256(key, …)[0..<12]).
        let key = try EvidenceToken.makeKey(hex: fixedKeyHex)
        let token = EvidenceToken(subjectID: subject, expiresAt: expiry).signed(key: key)
        #expect(token == "EjRWeJq83vASNFZ4mrze8GscC0DokM6mDR3Bx8jkHzE")
        #expect(token.count == 43)
        #expect(EvidenceToken.length == 43)
    }

    @Test func roundTrip() throws {
        let key = try EvidenceToken.makeKey(hex: EvidenceToken.newKeyHex())
        for _ in 0..<50 {
            let original = EvidenceToken(subjectID: UUID(), expiresAt: expiry.addingTimeInterval(0.75))
            #expect(original.expiresAt == expiry) // whole seconds, rounded down
            let token = original.signed(key: key)
            #expect(token.count == 43)
            #expect(token.utf8.allSatisfy { c in
                (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D || c == 0x5F
            }, "\(token)")
            let back = try EvidenceToken.verify(token, key: key, now: expiry.addingTimeInterval(-1))
            #expect(back == original)
            #expect(back.subjectID == original.subjectID)
        }
    }

    @Test func tamperingAnyCharacterFails() throws {
        let key = try EvidenceToken.makeKey(hex: fixedKeyHex)
        let token = Array(EvidenceToken(subjectID: subject, expiresAt: expiry).signed(key: key))
        let now = expiry.addingTimeInterval(-3600)
        for i in token.indices {
            for replacement in ["A", "B", "z", "0", "-", "_"] where Character(replacement) != token[i] {
                var t = token
                t[i] = Character(replacement)
                let r = reason(String(t), key: key, now: now)
                #expect(r == forged || r == malformed, "position \(i): \(r ?? "accepted")")
            }
        }
        var t = token
        t[10] = t[10] == "A" ? "B" : "A"
        #expect(reason(String(t), key: key, now: now) == forged)
        // Pushing the expiry into the future (bytes 16–19 = characters 21–26) is caught by the MAC.
        t = token
        t[22] = t[22] == "z" ? "y" : "z"
        #expect(reason(String(t), key: key, now: now) == forged)
    }

    @Test func otherKeyIsForged() throws {
        let key = try EvidenceToken.makeKey(hex: fixedKeyHex)
        let other = try EvidenceToken.makeKey(hex: EvidenceToken.newKeyHex())
        let token = EvidenceToken(subjectID: subject, expiresAt: expiry).signed(key: key)
        #expect(reason(token, key: other, now: expiry.addingTimeInterval(-60)) == forged)
    }

    @Test func expired() throws {
        let key = try EvidenceToken.makeKey(hex: fixedKeyHex)
        let token = EvidenceToken(subjectID: subject, expiresAt: expiry).signed(key: key)
        #expect(reason(token, key: key, now: expiry.addingTimeInterval(-0.001)) == nil)
        #expect(reason(token, key: key, now: expiry) == "the link expired on 2026-12-11T22:40:00+08:00")
        #expect(reason(token, key: key, now: expiry.addingTimeInterval(86_400 * 30)) ==
                "the link expired on 2026-12-11T22:40:00+08:00")
        // A forged token is reported as forged even when it would also have expired.
        let other = try EvidenceToken.makeKey(hex: EvidenceToken.newKeyHex())
        #expect(reason(token, key: other, now: expiry.addingTimeInterval(60)) == forged)
    }

    @Test func malformedTokens() throws {
        let key = try EvidenceToken.makeKey(hex: fixedKeyHex)
        let good = EvidenceToken(subjectID: subject, expiresAt: expiry).signed(key: key)
        let now = expiry.addingTimeInterval(-60)
        for bad in ["", "abc", good + "A", String(good.dropLast()), good + "=", String(repeating: "中", count: 43),
                    good.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
                        .replacingOccurrences(of: "E", with: "+"),
                    String(repeating: "A", count: 42) + "=", " " + String(good.dropFirst()),
                    String(repeating: "x", count: 10_000)] {
            #expect(reason(bad, key: key, now: now) == malformed, "\(bad)")
        }
        // The last character carries 4 bits and 2 unused bits that must be 0 ("E" = 000100 is
        // canonical; "F" = 000101 decodes to the same bytes but is not).
        #expect(good.last == "E")
        #expect(reason(String(good.dropLast()) + "F", key: key, now: now) == malformed)
    }

    @Test func expiryClamping() {
        #expect(EvidenceToken(subjectID: subject, expiresAt: Date(timeIntervalSince1970: -5)).expiresAt ==
                Date(timeIntervalSince1970: 0))
        #expect(EvidenceToken(subjectID: subject, expiresAt: Date(timeIntervalSince1970: 1e12)).expiresAt ==
                Date(timeIntervalSince1970: Double(UInt32.max)))
    }

    @Test func keys() throws {
        let hex = EvidenceToken.newKeyHex()
        #expect(hex.count == 64)
        #expect(hex.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        #expect(hex != EvidenceToken.newKeyHex())
        #expect(try EvidenceToken.makeKey(hex: hex).bitCount == 256)

        // Case and surrounding white space do not matter.
        let upper = try EvidenceToken.makeKey(hex: "  " + fixedKeyHex.uppercased() + "\n")
        let lower = try EvidenceToken.makeKey(hex: fixedKeyHex)
        let t = EvidenceToken(subjectID: subject, expiresAt: expiry)
        #expect(t.signed(key: upper) == t.signed(key: lower))

        for (bad, expected) in [
            ("", "the token key must be 64 hexadecimal digits (32 bytes), found 0 characters"),
            (String(fixedKeyHex.dropLast(2)), "the token key must be 64 hexadecimal digits (32 bytes), found 62 characters"),
            (fixedKeyHex + "00", "the token key must be 64 hexadecimal digits (32 bytes), found 66 characters"),
            (String(fixedKeyHex.dropLast()) + "g", "the token key must be hexadecimal digits 0-9 and a-f"),
        ] {
            if let error = #expect(throws: (any Error).self, performing: { try EvidenceToken.makeKey(hex: bad) }) {
                #expect((error as? InvalidValue)?.reason == expected)
            }
        }
    }
}

import Crypto
import Foundation
import Testing
@testable import SafeGridCore

@Suite struct IoTSignatureTests {
    private let secret = SymmetricKey(data: Array("guali-platform-secret".utf8))
    private let body = Array(#"{"events":[{"id":"e1","device":"SD-0001","kind":"smoke","at":"2024-10-16T09:30:00+08:00"}]}"#.utf8)
    /// Computed independently:
    /// `printf '%s' '1729042200.<body>' | openssl dgst -sha256 -hmac 'guali-platform-secret'`
    /// (and the same with Python's hmac module).
    private let knownSignature = "49984877c19548e4bf9f27ecaf6e6fc69943975d2fb1ed56868f1fc1677a83e2"
    /// `printf '%s' '1729042200.' | openssl dgst -sha256 -hmac 'guali-platform-secret'`: an empty body.
    private let emptyBodySignature = "da1be82a228504cceb470c14fa5b0f10af0b5399f063cf20cef2f0c698a81fb2"
    private let signedAt: Int64 = 1_729_042_200
    private var now: Date { Date(timeIntervalSince1970: Double(signedAt)) }

    private func failure(body: [UInt8]? = nil, signature: String?, timestamp: String?, now: Date? = nil,
                         secret: SymmetricKey? = nil) -> IoTSignatureError? {
        do {
            try IoTSignature.verify(body: body ?? self.body, signature: signature, timestamp: timestamp,
                                    secret: secret ?? self.secret, now: now ?? self.now)
            return nil
        } catch {
            return error
        }
    }

    @Test func knownVector() {
        #expect(IoTSignature.sign(body: body, timestamp: signedAt, secret: secret) == knownSignature)
        #expect(IoTSignature.sign(body: Data(body), timestamp: signedAt, secret: secret) == knownSignature)
        #expect(IoTSignature.sign(body: [UInt8](), timestamp: signedAt, secret: secret) == emptyBodySignature)
    }

    @Test func acceptsTheKnownRequest() throws {
        let at = try IoTSignature.verify(body: body, signature: knownSignature, timestamp: "1729042200", secret: secret, now: now)
        #expect(at == now)
        // Case carries no information.
        #expect(failure(signature: knownSignature.uppercased(), timestamp: "1729042200") == nil)
        #expect(IoTSignature.timestampValue(now.addingTimeInterval(0.9)) == "1729042200")
    }

    @Test func replayWindowEdges() {
        // Signed at signedAt; the server's clock moves around it.
        for (offset, expected) in [(-300, nil), (300, nil), (-301, IoTSignatureError.outsideReplayWindow(skewSeconds: 301)),
                                   (301, .outsideReplayWindow(skewSeconds: -301)), (0, nil)] as [(Double, IoTSignatureError?)] {
            #expect(failure(signature: knownSignature, timestamp: "1729042200", now: now.addingTimeInterval(offset)) == expected,
                    "server clock \(offset) s from the timestamp")
        }
        // A fraction of a second on the server's clock is dropped: 300.9 s later is still 300.
        #expect(failure(signature: knownSignature, timestamp: "1729042200", now: now.addingTimeInterval(300.9)) == nil)
        // A narrower window.
        #expect(throws: IoTSignatureError.outsideReplayWindow(skewSeconds: -61)) {
            try IoTSignature.verify(body: body, signature: knownSignature, timestamp: "1729042200", secret: secret,
                                    now: now.addingTimeInterval(61), replayWindow: 60)
        }
        #expect(IoTSignature.defaultReplayWindow == 300)
    }

    @Test func missingAndMalformedHeaders() {
        #expect(failure(signature: nil, timestamp: "1729042200") == .missingSignature)
        #expect(failure(signature: "", timestamp: "1729042200") == .missingSignature)
        #expect(failure(signature: String(knownSignature.dropLast()), timestamp: "1729042200") == .malformedSignature)
        #expect(failure(signature: "sha256=" + knownSignature, timestamp: "1729042200") == .malformedSignature)
        #expect(failure(signature: String(knownSignature.dropLast()) + "g", timestamp: "1729042200") == .malformedSignature)
        #expect(failure(signature: knownSignature, timestamp: nil) == .missingTimestamp)
        #expect(failure(signature: knownSignature, timestamp: "") == .missingTimestamp)
        for bad in ["+1729042200", "-1729042200", "1729042200.0", " 1729042200", "2024-10-16T09:30:00+08:00",
                    "1729042200000", "１７２９０４２２００"] {
            #expect(failure(signature: knownSignature, timestamp: bad) == .malformedTimestamp, "\(bad)")
        }
    }

    @Test func badSignatures() {
        // Another key, a changed body, a changed timestamp (within the window), a flipped digit.
        #expect(failure(signature: knownSignature, timestamp: "1729042200",
                        secret: SymmetricKey(data: Array("another-platform".utf8))) == .badSignature)
        var changed = body
        changed[changed.count - 3] ^= 0x01
        #expect(failure(body: changed, signature: knownSignature, timestamp: "1729042200") == .badSignature)
        #expect(failure(signature: knownSignature, timestamp: "1729042201") == .badSignature)
        let flipped = (knownSignature.first == "0" ? "1" : "0") + knownSignature.dropFirst()
        #expect(failure(signature: flipped, timestamp: "1729042200") == .badSignature)
        // Leading zeros are part of what was signed.
        #expect(failure(signature: knownSignature, timestamp: "01729042200") == .badSignature)
    }

    @Test func messagesNameTheHeader() {
        let all: [IoTSignatureError] = [.missingSignature, .malformedSignature, .missingTimestamp, .malformedTimestamp,
                                        .outsideReplayWindow(skewSeconds: -400), .badSignature]
        for error in all {
            #expect(error.message.contains(error.header), "\(error)")
        }
        #expect(IoTSignatureError.badSignature.header == "X-SafeGrid-Signature")
        #expect(IoTSignatureError.malformedTimestamp.header == "X-SafeGrid-Timestamp")
        #expect(IoTSignatureError.outsideReplayWindow(skewSeconds: -400).message.contains("400 seconds old"))
        #expect(IoTSignatureError.outsideReplayWindow(skewSeconds: 400).message.contains("400 seconds in the future"))
    }

    @Test func roundTripWithRandomKeys() throws {
        for _ in 0..<20 {
            let key = SymmetricKey(size: .bits256)
            let payload = (0..<Int.random(in: 0...2048)).map { _ in UInt8.random(in: 0...255) }
            let sig = IoTSignature.sign(body: payload, timestamp: signedAt, secret: key)
            #expect(sig.count == 64)
            #expect(sig == sig.lowercased())
            try IoTSignature.verify(body: payload, signature: sig, timestamp: String(signedAt), secret: key, now: now)
        }
    }
}

import Crypto
import Foundation
import Testing

@testable import SwitchboardCore

struct HMACSHA256Tests {
    /// Keys of every interesting length (empty, short, one block, longer than a block) against `Crypto.HMAC`.
    @Test(arguments: [0, 1, 31, 63, 64, 65, 200])
    func matchesCryptoHMAC(keyLength: Int) {
        var generator = SystemRandomNumberGenerator()
        for messageLength in [0, 1, 55, 64, 900, 4_096] {
            let key = (0..<keyLength).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let message = (0..<messageLength).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var ours = HMACSHA256(key: key)
            message.withUnsafeBytes { ours.update($0) }
            let reference = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key))
            #expect(Array(ours.finalize()) == Array(reference))
        }
    }

    @Test func comparisonNeedsEveryByte() {
        var hmac = HMACSHA256(key: Array("k".utf8))
        hmac.update("message")
        let mac = hmac.finalize()
        let hex = Array(mac.map { String(format: "%02x", $0) }.joined().utf8)
        #expect(HMACSHA256.constantTimeEquals(mac, hex: hex))
        for index in [0, 1, 62, 63] {
            var changed = hex
            changed[index] = changed[index] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
            #expect(!HMACSHA256.constantTimeEquals(mac, hex: changed))
            // Not a lowercase hex digit: never a match, whatever it would decode to.
            changed[index] = UInt8(ascii: "A")
            #expect(!HMACSHA256.constantTimeEquals(mac, hex: changed))
        }
        #expect(!HMACSHA256.constantTimeEquals(mac, hex: hex.prefix(62)))
    }

    @Test(arguments: [
        ("+14155550999", "+141****0999"), ("+13125550987", "+131****0987"), ("+442071234567", "+442*****4567"),
        ("+12345678", "+1***5678"), ("+1234", "+**34"), ("", "-"), ("+1415555099é", "+141****099é"),
        ("123456", "**3456"), ("+", "+"), ("+1", "+*"),
    ])
    func phoneNumbersAreMasked(_ number: String, _ masked: String) {
        #expect(PhoneMask.mask(number) == masked)
    }
}

import Crypto
import Foundation
import Testing

@testable import SwitchboardCore

struct WebhookVerifierTests {
    static let key = "whsec_c2VjcmV0LWtleQ"
    static let now = Date(timeIntervalSince1970: 1_760_000_000)
    static let timestamp = "1760000000"
    static let requestID = "req-123"
    static let body = Data(#"{"id":"3eafefd0","local_phone_number":"+14155550100"}"#.utf8)

    /// HMAC-SHA256 computed here with swift-crypto directly, not through `WebhookVerifier`.
    static func independentSignature(key: String, requestID: String, timestamp: String, body: Data) -> String {
        let material = key.hasPrefix("whsec_") ? String(key.dropFirst(6)) : key
        let mac = HMAC<SHA256>.authenticationCode(
            for: Data("\(requestID).\(timestamp).".utf8) + body, using: SymmetricKey(data: Data(material.utf8))
        )
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    struct Delivery: Sendable, CustomTestStringConvertible {
        var what: String
        var requestID: String? = WebhookVerifierTests.requestID
        var timestamp: String? = WebhookVerifierTests.timestamp
        var signature: String?
        var body: Data = WebhookVerifierTests.body
        var testDescription: String { what }

        static func signed(
            _ what: String, key: String = WebhookVerifierTests.key, timestamp: String = WebhookVerifierTests.timestamp,
            body: Data = WebhookVerifierTests.body
        ) -> Delivery {
            Delivery(
                what: what, timestamp: timestamp,
                signature: independentSignature(key: key, requestID: WebhookVerifierTests.requestID, timestamp: timestamp, body: body),
                body: body
            )
        }
    }

    func verify(_ delivery: Delivery, keys: [String] = [Self.key]) throws {
        let verifier = try WebhookVerifier(keys: keys)
        let bytes = Array(delivery.body)
        try bytes.withUnsafeBytes { bytes in
            try verifier.verify(
                requestID: delivery.requestID, timestamp: delivery.timestamp, signature: delivery.signature,
                body: bytes, now: Self.now
            )
        }
    }

    @Test(arguments: [
        Delivery.signed("a fresh delivery"),
        Delivery.signed("300 s old (edge of the window)", timestamp: "1759999700"),
        Delivery.signed("300 s ahead (edge of the window)", timestamp: "1760000300"),
        Delivery.signed("key given without the whsec_ prefix", key: "c2VjcmV0LWtleQ"),
        Delivery.signed("empty body", body: Data()),
    ])
    func validDeliveryIsAccepted(_ delivery: Delivery) throws {
        try verify(delivery)
    }

    static let refused: [(Delivery, SignatureError)] = {
        var uppercase = Delivery.signed("uppercase hex")
        uppercase.signature = "sha256=" + uppercase.signature!.dropFirst(7).uppercased()
        var noPrefix = Delivery.signed("no sha256= prefix")
        noPrefix.signature = String(noPrefix.signature!.dropFirst(7))
        var changedBody = Delivery.signed("body changed by one byte")
        changedBody.body[changedBody.body.count - 2] ^= 0x01
        var emptyBody = Delivery.signed("signed body replaced by an empty one")
        emptyBody.body = Data()
        var noID = Delivery.signed("request ID missing")
        noID.requestID = nil
        var noTimestamp = Delivery.signed("timestamp missing")
        noTimestamp.timestamp = nil
        var noSignature = Delivery.signed("signature missing")
        noSignature.signature = nil
        var otherID = Delivery.signed("request ID changed")
        otherID.requestID = "req-124"
        var longID = Delivery.signed("request ID of 257 bytes")
        longID.requestID = String(repeating: "r", count: 257)
        var short = Delivery.signed("signature truncated")
        short.signature = String(short.signature!.dropLast(2))
        return [
            (Delivery.signed("wrong key", key: "whsec_another-key"), .mismatch),
            (noID, .missingHeader("X-Inkbox-Request-ID")),
            (noTimestamp, .missingHeader("X-Inkbox-Timestamp")),
            (noSignature, .missingHeader("X-Inkbox-Signature")),
            (longID, .malformedRequestID),
            (noPrefix, .malformedSignature),
            (uppercase, .malformedSignature),
            (short, .malformedSignature),
            (Delivery.signed("non-numeric timestamp", timestamp: "1760000000.5"), .malformedTimestamp),
            (Delivery.signed("negative timestamp", timestamp: "-1760000000"), .malformedTimestamp),
            (Delivery.signed("301 s old", timestamp: "1759999699"), .staleTimestamp(skew: -301)),
            (Delivery.signed("301 s in the future", timestamp: "1760000301"), .staleTimestamp(skew: 301)),
            (changedBody, .mismatch),
            (emptyBody, .mismatch),
            (otherID, .mismatch),
        ]
    }()

    @Test(arguments: refused)
    func badDeliveryIsRefused(_ delivery: Delivery, expected: SignatureError) {
        #expect(throws: expected) { try verify(delivery) }
    }

    @Test func anyRotatedKeyIsAccepted() throws {
        let delivery = Delivery.signed("signed with the new key", key: "whsec_new")
        try verify(delivery, keys: ["whsec_old", "whsec_new"])
        #expect(throws: SignatureError.mismatch) { try verify(delivery, keys: ["whsec_old"]) }
    }

    @Test func ownSignatureMatchesAnIndependentHMAC() throws {
        let verifier = try WebhookVerifier(keys: [Self.key])
        let signature = verifier.signature(requestID: Self.requestID, timestamp: Self.timestamp, body: Self.body)
        #expect(signature == Self.independentSignature(key: Self.key, requestID: Self.requestID, timestamp: Self.timestamp, body: Self.body))
    }

    @Test(arguments: [[String](), [""], ["whsec_"], ["  \n"]])
    func unusableKeysAreRefused(_ keys: [String]) {
        #expect(throws: SigningKeyError.self) { try WebhookVerifier(keys: keys) }
    }

    @Test func errorMessagesNeverContainTheKey() {
        let errors: [SignatureError] = [
            .missingHeader("X-Inkbox-Signature"), .malformedSignature, .malformedTimestamp, .staleTimestamp(skew: 999),
            .mismatch,
        ]
        for error in errors { #expect(!error.description.contains("c2VjcmV0")) }
    }
}

import Crypto
import Foundation

/// Proves a webhook came from Inkbox: HMAC-SHA256 over `{request_id}.{timestamp}.{raw body}` (docs/http.md).
///
/// Several keys may be valid at once (rotation); a delivery passes when any of them produced the signature.
/// Comparison is constant-time.
public struct WebhookVerifier: Sendable {
    /// Maximum distance between the delivery's timestamp and now, in seconds, either direction.
    public static let tolerance: Int64 = 300

    /// Longest accepted request ID (Inkbox sends UUIDs); bounds what the retry cache holds per entry.
    public static let maxRequestIDLength = 256

    public static let requestIDHeader = "X-Inkbox-Request-ID"
    public static let timestampHeader = "X-Inkbox-Timestamp"
    public static let signatureHeader = "X-Inkbox-Signature"

    /// One HMAC state per key, already keyed: copying it per delivery skips the key schedule.
    private let keyed: [HMACSHA256]

    /// - Parameter keys: signing keys as Inkbox shows them; an optional `whsec_` prefix is removed.
    public init(keys: [String]) throws(SigningKeyError) {
        let cleaned = keys.map(Self.keyMaterial)
        guard !cleaned.isEmpty, cleaned.allSatisfy({ !$0.isEmpty }) else { throw SigningKeyError() }
        self.keyed = cleaned.map { HMACSHA256(key: Array($0.utf8)) }
    }

    /// The key's bytes as HMAC uses them: surrounding whitespace and a `whsec_` prefix removed.
    static func keyMaterial(_ key: String) -> String {
        let trimmed = key.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.hasPrefix("whsec_") ? String(trimmed.dropFirst(6)) : trimmed
    }

    /// Throws unless the headers carry a fresh signature of `body` by one of the keys.
    public func verify(
        requestID: String?, timestamp: String?, signature: String?, body: UnsafeRawBufferPointer, now: Date = Date()
    ) throws(SignatureError) {
        try verify(
            Self.checkHeaders(requestID: requestID, timestamp: timestamp, signature: signature, now: now), body: body
        )
    }

    /// Throws unless `headers`, already checked by ``checkHeaders(requestID:timestamp:signature:now:)``, carry a
    /// signature of `body` by one of the keys.
    public func verify(_ headers: SignedHeaders, body: UnsafeRawBufferPointer) throws(SignatureError) {
        var matched = false
        for initial in keyed {
            var hmac = initial
            hmac.update(headers.requestID)
            hmac.update(".")
            hmac.update(headers.timestamp)
            hmac.update(".")
            hmac.update(body)
            // Check every key, so timing does not say which one matched.
            let mac = hmac.finalize()
            matched = headers.signature.withBytes(after: 7) { HMACSHA256.constantTimeEquals(mac, hex: $0) } || matched
        }
        guard matched else { throw .mismatch }
    }

    /// The three signature headers of a delivery, checked for everything that does not need the body.
    public struct SignedHeaders: Sendable {
        public let requestID: String
        public let timestamp: String
        /// The signature header: `sha256=` and 64 lowercase hex digits, compared as it is, never decoded into a copy.
        let signature: String
    }

    /// Throws unless the three headers are present, well formed and the timestamp is inside the window: everything
    /// that can be checked before the body has been read.
    public static func checkHeaders(
        requestID: String?, timestamp: String?, signature: String?, now: Date = Date()
    ) throws(SignatureError) -> SignedHeaders {
        guard let requestID, !requestID.isEmpty else { throw .missingHeader(Self.requestIDHeader) }
        guard requestID.utf8.count <= Self.maxRequestIDLength else { throw .malformedRequestID }
        guard let timestamp, !timestamp.isEmpty else { throw .missingHeader(Self.timestampHeader) }
        guard let signature, !signature.isEmpty else { throw .missingHeader(Self.signatureHeader) }
        guard Self.isWellFormed(signature: signature) else { throw .malformedSignature }
        guard timestamp.utf8.count <= 18, timestamp.allUTF8({ $0 >= 0x30 && $0 <= 0x39 }),
            let seconds = Int64(timestamp)
        else { throw .malformedTimestamp }
        let skew = seconds - Int64(now.timeIntervalSince1970.rounded(.down))
        guard abs(skew) <= Self.tolerance else { throw .staleTimestamp(skew: skew) }
        return SignedHeaders(requestID: requestID, timestamp: timestamp, signature: signature)
    }

    /// The signature header for a delivery, as Inkbox would send it: `sha256=<lowercase hex>` with the first key.
    public func signature(requestID: String, timestamp: String, body: some DataProtocol) -> String {
        var hmac = keyed[0]
        hmac.update("\(requestID).\(timestamp).")
        Array(body).withUnsafeBytes { hmac.update($0) }
        return "sha256=" + hmac.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// Whether the header is `sha256=` and 64 lowercase hex digits.
    static func isWellFormed(signature header: String) -> Bool {
        header.utf8.count == 71 && header.hasPrefix("sha256=")
            && header.withBytes(after: 7) { $0.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) } }
    }
}

/// No usable signing key was given.
public struct SigningKeyError: Error, Sendable, CustomStringConvertible {
    public var description: String {
        "no signing key: set SWITCHBOARD_SIGNING_KEY (comma-separated for rotation) or pass --signing-key-file FILE"
    }
}

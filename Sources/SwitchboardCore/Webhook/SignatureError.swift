/// Why a webhook delivery was refused as not coming from Inkbox; answered with 401.
///
/// Messages say what was wrong with the request without revealing anything about the keys.
public enum SignatureError: Error, Sendable, Hashable, CustomStringConvertible {
    case missingHeader(String)
    /// The request ID is longer than `WebhookVerifier.maxRequestIDLength` bytes.
    case malformedRequestID
    /// The signature is not `sha256=` followed by 64 lowercase hex digits.
    case malformedSignature
    /// The timestamp is not Unix seconds in digits.
    case malformedTimestamp
    /// The timestamp is further from now than the tolerance, in either direction.
    case staleTimestamp(skew: Int64)
    /// No configured key produces this signature.
    case mismatch

    public var description: String {
        switch self {
        case .missingHeader(let name): "missing \(name) header"
        case .malformedRequestID: "X-Inkbox-Request-ID longer than \(WebhookVerifier.maxRequestIDLength) bytes"
        case .malformedSignature: "malformed X-Inkbox-Signature (expected sha256= and 64 lowercase hex digits)"
        case .malformedTimestamp: "malformed X-Inkbox-Timestamp (expected Unix seconds)"
        case .staleTimestamp(let skew):
            "X-Inkbox-Timestamp is \(abs(skew)) s in the \(skew > 0 ? "future" : "past"), outside the \(WebhookVerifier.tolerance) s window"
        case .mismatch: "signature does not match"
        }
    }
}

import Foundation
import SwitchboardCore

/// Signs WebSocket probes the way Inkbox signs its connection to an agent backend (docs/routes.md#health-checks).
///
/// Inkbox opens the backend's WebSocket with the call's context as JSON in `X-Call-Context`, and signs that header's
/// value exactly like a webhook body: `X-Inkbox-Request-ID`, `X-Inkbox-Timestamp` (Unix seconds) and
/// `X-Inkbox-Signature: sha256=<hex>`, an HMAC-SHA256 over `{request_id}.{timestamp}.{X-Call-Context}`. A probe with
/// `sign: true` sends a synthetic context, marked `"probe": true`, signed with the first signing key.
public struct ProbeSigner: Sendable {
    private let verifier: WebhookVerifier

    /// Nil without a usable key.
    public init?(keys: [String]) {
        guard let first = keys.first, let verifier = try? WebhookVerifier(keys: [first]) else { return nil }
        self.verifier = verifier
    }

    /// The synthetic call context of one probe: the fields a backend reads from a real one, without a call.
    static func callContext(requestID: String) -> String {
        #"{"call_id":"\#(requestID)","direction":"inbound","local_phone_number":null,"probe":true,"#
            + #""remote_phone_number":null,"source":"switchboard-health"}"#
    }

    /// The header lines of one signed probe: context, request ID, timestamp and signature.
    func headerLines(requestID: String = "probe-" + UUID().uuidString.lowercased(), now: Date = Date()) -> [String] {
        let context = Self.callContext(requestID: requestID)
        let timestamp = String(Int(now.timeIntervalSince1970))
        let signature = verifier.signature(requestID: requestID, timestamp: timestamp, body: Array(context.utf8))
        return [
            "X-Call-Context: \(context)",
            "\(WebhookVerifier.requestIDHeader): \(requestID)",
            "\(WebhookVerifier.timestampHeader): \(timestamp)",
            "\(WebhookVerifier.signatureHeader): \(signature)",
        ]
    }
}

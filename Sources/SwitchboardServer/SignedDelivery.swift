import HTTPTypes
import Hummingbird
import NIOCore
import SwitchboardCore

/// Reads and verifies a signed Inkbox delivery: the body within its size limit, then the `X-Inkbox-*` signature.
///
/// Shared by the incoming-call webhook and the events endpoint, so both refuse exactly the same way
/// (docs/http.md#answers).
struct SignedDelivery: Sendable {
    let verifier: WebhookVerifier
    let maxBodySize: Int

    static let requestIDField = HTTPField.Name(WebhookVerifier.requestIDHeader)!
    static let timestampField = HTTPField.Name(WebhookVerifier.timestampHeader)!
    static let signatureField = HTTPField.Name(WebhookVerifier.signatureHeader)!

    /// Why a delivery was refused before its content was looked at.
    struct Refusal: Error {
        var status: HTTPResponse.Status
        /// The `outcome` label value.
        var outcome: String
        var message: String
    }

    /// The whole body, or a refusal: 413 past `maxBodySize` (announced or actual), 400 when it cannot be read.
    func body(of request: inout Request) async -> Result<ByteBuffer, Refusal> {
        let tooLarge = Refusal(status: .contentTooLarge, outcome: "too_large", message: "body larger than \(maxBodySize) bytes")
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxBodySize {
            return .failure(tooLarge)
        }
        do {
            return .success(try await request.collectBody(upTo: maxBodySize))
        } catch let error as HTTPError where error.status == .contentTooLarge {
            return .failure(tooLarge)
        } catch {
            return .failure(Refusal(status: .badRequest, outcome: "bad_request", message: "could not read the request body"))
        }
    }

    /// Checks the signature headers against `body`; a refusal (401) says what was wrong.
    func verify(_ headers: HTTPFields, body: UnsafeRawBufferPointer) -> Refusal? {
        do {
            try verifier.verify(
                requestID: headers[Self.requestIDField], timestamp: headers[Self.timestampField],
                signature: headers[Self.signatureField], body: body
            )
            return nil
        } catch {
            return Refusal(status: .unauthorized, outcome: "unauthorized", message: error.description)
        }
    }
}

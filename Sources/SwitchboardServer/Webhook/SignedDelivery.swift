import HTTPTypes
import Hummingbird
import Logging
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

    /// A delivery whose signature headers passed the checks that need no body, with the whole body.
    typealias Delivery = (headers: WebhookVerifier.SignedHeaders, body: ByteBuffer)

    /// Why a delivery was refused before its content was looked at.
    struct Refusal: Error {
        var status: HTTPResponse.Status
        /// The `outcome` label value.
        var outcome: String
        var message: String
        /// The body may be unread: the connection closes after the answer, so it is never read and discarded.
        var closing = false
    }

    /// The checked signature headers and the whole body, or a refusal. Before a byte of the body is read: 401 when
    /// the `X-Inkbox-*` headers are missing, malformed or outside the time window, 413 when `Content-Length` is over
    /// `maxBodySize`; while reading, 413 past `maxBodySize` and 400 when the body cannot be read. Each of these
    /// closes the connection.
    @inline(never)
    func read(_ request: Request) async -> Result<Delivery, Refusal> {
        let headers: WebhookVerifier.SignedHeaders
        switch check(request.headers) {
        case .success(let checked): headers = checked
        case .failure(let refusal): return .failure(refusal)
        }
        do {
            return .success((headers, try await request.body.collect(upTo: maxBodySize)))
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            // `NIOTooManyBytesError` when a body without a `Content-Length` (chunked) passes the limit as it is read.
            return .failure(tooLarge())
        } catch {
            return .failure(
                Refusal(status: .badRequest, outcome: "bad_request", message: "could not read the request body", closing: true)
            )
        }
    }

    /// The signature headers, checked, and the declared length against `maxBodySize`: what is known before the
    /// body. Out of line, so its temporaries are on the thread's stack, not in the task's frame of ``read(_:)``.
    @inline(never)
    private func check(_ fields: HTTPFields) -> Result<WebhookVerifier.SignedHeaders, Refusal> {
        let fields = Fields(fields)
        let headers: WebhookVerifier.SignedHeaders
        do {
            headers = try WebhookVerifier.checkHeaders(
                requestID: fields.requestID, timestamp: fields.timestamp, signature: fields.signature
            )
        } catch {
            return .failure(Refusal(status: .unauthorized, outcome: "unauthorized", message: error.description, closing: true))
        }
        if let length = fields.contentLength.flatMap({ Int($0) }), length > maxBodySize {
            return .failure(tooLarge())
        }
        return .success(headers)
    }

    /// Worded only when refused: building the message for every delivery cost an allocation each.
    private func tooLarge() -> Refusal {
        Refusal(
            status: .contentTooLarge, outcome: "too_large", message: "body larger than \(maxBodySize) bytes",
            closing: true
        )
    }

    /// The header values a delivery is checked by, read in one pass over the request's fields (`HTTPFields`'
    /// subscript scans them and builds a string on every lookup). A field sent twice reads as its values joined with
    /// ", ", as that subscript gives it, which no check accepts.
    struct Fields {
        var requestID: String?
        var timestamp: String?
        var signature: String?
        var contentLength: String?

        init(_ headers: HTTPFields) {
            for field in headers {
                switch field.name {
                case SignedDelivery.requestIDField: Self.add(field.value, to: &requestID)
                case SignedDelivery.timestampField: Self.add(field.value, to: &timestamp)
                case SignedDelivery.signatureField: Self.add(field.value, to: &signature)
                case .contentLength: Self.add(field.value, to: &contentLength)
                default: break
                }
            }
        }

        private static func add(_ value: String, to slot: inout String?) {
            slot = slot.map { $0 + ", " + value } ?? value
        }
    }

    /// Checks the signature in `headers` (from ``read(_:)``) against `body`; a refusal (401) says what was wrong.
    func verify(_ headers: WebhookVerifier.SignedHeaders, body: UnsafeRawBufferPointer) -> Refusal? {
        do {
            try verifier.verify(headers, body: body)
            return nil
        } catch {
            return Refusal(status: .unauthorized, outcome: "unauthorized", message: error.description)
        }
    }
}

extension SignedDelivery {
    /// A refusal's answer, as an error so a `Result` can carry it out of a handler's checks.
    struct Refused: Error {
        var response: Response
    }

    /// The answer to a refused delivery: a JSON error, closing the connection when the body may be unread, and a
    /// `notice` line. Strangers choose how many refusals there are, so `lines` bounds the lines; the ones left out
    /// are counted (`switchboard_log_lines_suppressed_total`) and the next line says how many.
    static func refusal(
        _ refusal: Refusal, requestID: String?, event: Logger.Message, lines: TokenBucket, metrics: SwitchboardMetrics,
        logger: Logger
    ) -> Response {
        switch lines.take() {
        case .allowed(let suppressedBefore):
            var metadata: Logger.Metadata = [
                "status": "\(refusal.status.code)", "reason": "\(refusal.message)",
                "request_id": .string(LogSafe.requestID(requestID)),
            ]
            if suppressedBefore > 0 { metadata["suppressed"] = "\(suppressedBefore)" }
            logger.notice(event, metadata: metadata)
        case .suppressed:
            metrics.logLineSuppressed()
        }
        var response = JSONResponse.error(refusal.status, refusal.message)
        if refusal.closing { response.headers[.connection] = "close" }
        return response
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import SwitchboardCore

/// `POST /webhooks/incoming-call`: verifies the delivery, routes the call, answers (docs/http.md).
///
/// After the body has arrived the handler does no I/O and never waits: verification, parsing and the decision
/// are computation over the request and the current `RoutingState.Snapshot`.
struct WebhookController: Sendable {
    let verifier: WebhookVerifier
    let cache: DeliveryCache
    let state: RoutingState
    let metrics: SwitchboardMetrics
    let decisions: DecisionLog
    let logger: Logger
    let maxBodySize: Int
    /// Bounds the `webhook refused` lines (docs/http.md, "Logs").
    let refusalLines = TokenBucket(perSecond: 20, burst: 40)

    static let requestIDField = HTTPField.Name(WebhookVerifier.requestIDHeader)!
    static let timestampField = HTTPField.Name(WebhookVerifier.timestampHeader)!
    static let signatureField = HTTPField.Name(WebhookVerifier.signatureHeader)!

    /// Serves `path`: POST is the webhook, every other method (TRACE, PROPFIND, QUERY, … too) 405.
    func addRoutes<Context: RequestContext>(to router: Router<Context>, path: String) {
        router.add(middleware: PostOnlyMiddleware(paths: [path]))
        router.post(RouterPath(path)) { request, context in await self.handle(request, context: context) }
    }

    func handle(_ request: Request, context: some RequestContext) async -> Response {
        let started = ContinuousClock.now
        // Refused before a byte of the body is read: the connection is closed after the answer, so a stranger's
        // body is never read and discarded.
        do {
            try WebhookVerifier.checkHeaders(
                requestID: request.headers[Self.requestIDField], timestamp: request.headers[Self.timestampField],
                signature: request.headers[Self.signatureField]
            )
        } catch {
            return refuse(.unauthorized, "unauthorized", error.description, request, started, closing: true)
        }
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxBodySize {
            return refuse(
                .contentTooLarge, "too_large", "body larger than \(maxBodySize) bytes", request, started, closing: true
            )
        }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: maxBodySize)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            return refuse(
                .contentTooLarge, "too_large", "body larger than \(maxBodySize) bytes", request, started, closing: true
            )
        } catch {
            return refuse(.badRequest, "bad_request", "could not read the request body", request, started, closing: true)
        }
        return body.withUnsafeReadableBytes { bytes in respond(request, body: bytes, started: started) }
    }

    private func respond(_ request: Request, body: UnsafeRawBufferPointer, started: ContinuousClock.Instant) -> Response {
        let headers = request.headers
        let requestIDHeader = headers[Self.requestIDField]
        do {
            try verifier.verify(
                requestID: requestIDHeader, timestamp: headers[Self.timestampField], signature: headers[Self.signatureField],
                body: body
            )
        } catch {
            return refuse(.unauthorized, "unauthorized", error.description, request, started)
        }
        let requestID = requestIDHeader ?? ""
        let digest = DeliveryCache.digest(body)
        switch cache.lookup(requestID: requestID, digest: digest) {
        case .hit(let decision):
            return answer(decision, requestID: requestID, call: nil, started: started)
        case .conflict:
            return refuse(.conflict, "conflict", "request ID already used with a different body", request, started)
        case .miss:
            break
        }
        let call: IncomingCall
        do {
            call = try IncomingCall(json: body)
        } catch {
            return refuse(.badRequest, "bad_request", error.description, request, started)
        }
        let snapshot = state.snapshot
        let decision = snapshot.table.decide(call, health: snapshot.health)
        switch cache.store(requestID: requestID, digest: digest, decision: decision) {
        case .miss:
            return answer(decision, requestID: requestID, call: call, started: started)
        case .hit(let first):
            return answer(first, requestID: requestID, call: nil, started: started)
        case .conflict:
            return refuse(.conflict, "conflict", "request ID already used with a different body", request, started)
        }
    }

    /// Answers with `decision`: a fresh one (with the `call` it was made for) is counted and logged as a decision,
    /// a retry's (`call` nil) only as a webhook.
    private func answer(
        _ decision: RouteDecision, requestID: String, call: IncomingCall?, started: ContinuousClock.Instant
    ) -> Response {
        let response = JSONResponse.body(.ok, decision.answer.json)
        let duration = ContinuousClock.now - started
        metrics.webhook(outcome: decision.answer.outcome, duration: duration)
        if let call {
            metrics.decision(route: decision.route, backend: decision.backend)
            decisions.record(requestID: requestID, call: call, decision: decision, duration: duration)
        } else {
            logger.info(
                "retried delivery answered as before", metadata: ["request_id": .string(LogSafe.requestID(requestID))]
            )
        }
        return response
    }

    /// A refusal; `closing` when the body may be unread, so the connection closes after the answer.
    private func refuse(
        _ status: HTTPResponse.Status, _ outcome: String, _ message: String, _ request: Request,
        _ started: ContinuousClock.Instant, closing: Bool = false
    ) -> Response {
        metrics.webhook(outcome: outcome, duration: ContinuousClock.now - started)
        // Strangers choose how many refusals there are: a bucket bounds their lines, the rest are counted.
        switch refusalLines.take() {
        case .allowed(let suppressedBefore):
            var metadata: Logger.Metadata = [
                "status": "\(status.code)", "reason": "\(message)",
                "request_id": .string(LogSafe.requestID(request.headers[Self.requestIDField])),
            ]
            if suppressedBefore > 0 { metadata["suppressed"] = "\(suppressedBefore)" }
            logger.notice("webhook refused", metadata: metadata)
        case .suppressed:
            metrics.logLineSuppressed()
        }
        var response = JSONResponse.error(status, message)
        if closing { response.headers[.connection] = "close" }
        return response
    }
}

/// Answers 405 with `Allow: POST` for any method but POST on the webhook paths, including methods the router does
/// not know (TRACE, PROPFIND, QUERY), which would otherwise be 404.
struct PostOnlyMiddleware<Context: RequestContext>: RouterMiddleware {
    let paths: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard request.method != .post, paths.contains(request.uri.path) else { return try await next(request, context) }
        var response = JSONResponse.error(.methodNotAllowed, "use POST")
        response.headers[.allow] = "POST"
        response.headers[.connection] = "close"
        return response
    }
}

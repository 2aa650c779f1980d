import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import SwitchboardCore

/// `POST /webhooks/incoming-call`: verifies the delivery, routes the call, answers (docs/http.md).
///
/// After the body has arrived, verification, parsing and the decision are computation over the request and the
/// current `RoutingState.Snapshot`. With the in-memory ledger the handler does no I/O and never waits; with a
/// shared store it waits for one database statement, at most `--store-budget`.
struct WebhookController: Sendable {
    let delivery: SignedDelivery
    let state: RoutingState
    let ledger: any CallLedger
    /// Queues a record of each decision, with a store and call records on.
    let recorder: CallRecorder?
    let metrics: SwitchboardMetrics
    let capacityMetrics: CapacityMetrics
    let decisions: DecisionLog
    /// The time `time:` and `calendar:` conditions see.
    let clock: @Sendable () -> Date
    let logger: Logger
    /// Bounds the `webhook refused` lines (docs/http.md, "Logs").
    let refusalLines = TokenBucket(perSecond: 20, burst: 40)

    /// Serves `POST path` (with ``PostOnlyMiddleware`` on the router, every other method is 405).
    func addRoutes<Context: RequestContext>(to router: Router<Context>, path: String) {
        router.post(RouterPath(path)) { request, context in await self.handle(request, context: context) }
    }

    func handle(_ request: Request, context: some RequestContext) async -> Response {
        let started = ContinuousClock.now
        // Costs a level check unless trace is on; lets an operator (and the shutdown test) see a request in flight.
        logger.trace(
            "webhook request started",
            metadata: ["request_id": .string(LogSafe.requestID(request.headers[SignedDelivery.requestIDField]))]
        )
        var request = request
        let (headers, body): (WebhookVerifier.SignedHeaders, ByteBuffer)
        switch await delivery.read(&request) {
        case .success(let read): (headers, body) = read
        case .failure(let refusal):
            return refuse(refusal.status, refusal.outcome, refusal.message, request, started, closing: refusal.closing)
        }
        return await respond(request, headers, body: body, started: started)
    }

    private func respond(
        _ request: Request, _ headers: WebhookVerifier.SignedHeaders, body: ByteBuffer, started: ContinuousClock.Instant
    ) async -> Response {
        if let refusal = body.withUnsafeReadableBytes({ delivery.verify(headers, body: $0) }) {
            return refuse(refusal.status, refusal.outcome, refusal.message, request, started)
        }
        let requestID = headers.requestID
        let (parsed, digest) = body.withUnsafeReadableBytes { bytes in
            (Result { () throws(BodyError) in try IncomingCall(json: bytes) }, DeliveryCache.digest(bytes))
        }
        let call: IncomingCall
        switch parsed {
        case .success(let value): call = value
        case .failure(let error): return refuse(.badRequest, "bad_request", error.description, request, started)
        }
        // Decides and takes the chosen backend's slot in one step (docs/routes.md#call-limits).
        let snapshot = state.snapshot, instant = clock()
        switch await ledger.route(call, requestID: requestID, digest: digest, in: snapshot, at: instant) {
        case .fresh(let decision):
            recorder?.record(requestID: requestID, call: call, decision: decision, snapshot: snapshot, at: instant)
            return answer(decision, requestID: requestID, call: call, started: started)
        case .retry(let first):
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
        let response = JSONResponse.answer(decision.answer)
        let duration = ContinuousClock.now - started
        metrics.webhook(outcome: decision.answer.outcome, duration: duration)
        if let call {
            metrics.decision(route: decision.route, backend: decision.backend)
            for skipped in decision.skipped where skipped.reason == .full {
                capacityMetrics.overflow(backend: skipped.backend)
            }
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
        return SignedDelivery.refusal(
            status, message, request, closing: closing, event: "webhook refused", lines: refusalLines, metrics: metrics,
            logger: logger
        )
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

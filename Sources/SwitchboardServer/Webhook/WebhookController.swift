import Crypto
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

    /// Reads, checks, decides and answers. The work around the two waits (the body, the ledger) is done in functions
    /// that do not suspend, kept out of line: their temporaries live on the thread's stack while they run. In an
    /// async function's frame they would take task-allocator memory, which the task of each keep-alive connection
    /// keeps for the connection's whole life (docs/performance.md#memory-per-connection).
    func handle(_ request: Request, context: some RequestContext) async -> Response {
        let started = ContinuousClock.now
        traceStart(request)
        let checked: Result<Checked, SignedDelivery.Refused>
        switch await delivery.read(request) {
        case .success(let (headers, body)): checked = check(headers, body: body, started: started)
        case .failure(let refusal):
            checked = .failure(refused(refusal, requestID: request.headers[SignedDelivery.requestIDField], started))
        }
        switch checked {
        case .success(let checked): return await decide(checked, started: started)
        case .failure(let refused): return refused.response
        }
    }

    /// Costs a level check unless trace is on; lets an operator (and the shutdown test) see a request in flight.
    @inline(never)
    private func traceStart(_ request: Request) {
        logger.trace(
            "webhook request started",
            metadata: ["request_id": .string(LogSafe.requestID(request.headers[SignedDelivery.requestIDField]))]
        )
    }

    /// A verified, parsed delivery, ready for the ledger.
    private struct Checked {
        var requestID: String
        var call: IncomingCall
        var digest: SHA256Digest
        var snapshot: RoutingState.Snapshot
        var instant: Date
    }

    /// Verifies the signature and reads the call: a 401 or 400 answer, or what the ledger needs.
    @inline(never)
    private func check(
        _ headers: WebhookVerifier.SignedHeaders, body: ByteBuffer, started: ContinuousClock.Instant
    ) -> Result<Checked, SignedDelivery.Refused> {
        if let refusal = body.withUnsafeReadableBytes({ delivery.verify(headers, body: $0) }) {
            return .failure(refused(refusal, requestID: headers.requestID, started))
        }
        let (parsed, digest) = body.withUnsafeReadableBytes { bytes in
            (Result { () throws(BodyError) in try IncomingCall(json: bytes) }, DeliveryCache.digest(bytes))
        }
        switch parsed {
        case .success(let call):
            let checked = Checked(
                requestID: headers.requestID, call: call, digest: digest, snapshot: state.snapshot, instant: clock()
            )
            return .success(checked)
        case .failure(let error):
            let refusal = SignedDelivery.Refusal(status: .badRequest, outcome: "bad_request", message: error.description)
            return .failure(refused(refusal, requestID: headers.requestID, started))
        }
    }

    /// Decides and takes the chosen backend's slot in one step (docs/routes.md#call-limits), then answers.
    @inline(never)
    private func decide(_ checked: Checked, started: ContinuousClock.Instant) async -> Response {
        let routed = await ledger.route(
            checked.call, requestID: checked.requestID, digest: checked.digest, in: checked.snapshot,
            at: checked.instant
        )
        return finish(routed, checked, started: started)
    }

    /// The answer to what the ledger decided.
    @inline(never)
    private func finish(_ routed: Routed, _ checked: Checked, started: ContinuousClock.Instant) -> Response {
        switch routed {
        case .fresh(let decision):
            recorder?.record(
                requestID: checked.requestID, call: checked.call, decision: decision, snapshot: checked.snapshot,
                at: checked.instant
            )
            return answer(decision, requestID: checked.requestID, call: checked.call, started: started)
        case .retry(let first):
            return answer(first, requestID: checked.requestID, call: nil, started: started)
        case .conflict:
            let refusal = SignedDelivery.Refusal(
                status: .conflict, outcome: "conflict", message: "request ID already used with a different body"
            )
            return refused(refusal, requestID: checked.requestID, started).response
        }
    }

    /// Answers with `decision`: a fresh one (with the `call` it was made for) is counted and logged as a decision,
    /// a retry's (`call` nil) only as a webhook.
    @inline(never)
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

    /// A refusal, counted and (within the line budget) logged; it closes the connection when the body may be unread.
    @inline(never)
    private func refused(
        _ refusal: SignedDelivery.Refusal, requestID: String?, _ started: ContinuousClock.Instant
    ) -> SignedDelivery.Refused {
        metrics.webhook(outcome: refusal.outcome, duration: ContinuousClock.now - started)
        return SignedDelivery.Refused(
            response: SignedDelivery.refusal(
                refusal, requestID: requestID, event: "webhook refused", lines: refusalLines, metrics: metrics,
                logger: logger
            )
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

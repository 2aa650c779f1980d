import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import SwitchboardCore

/// `POST /webhooks/events`: Inkbox's signed events, `{id, event_type, timestamp, data}` (docs/http.md#the-events-endpoint).
///
/// Verified exactly like the incoming-call webhook (``SignedDelivery``). `call.ended` releases the slot the call
/// holds (``CallLedger``, shared by every replica with a store); every other event type is acknowledged and counted, so one Inkbox subscription
/// URL can serve several consumers. Events are replayable: a second `call.ended`, or one for a call that holds no
/// slot, is accepted and changes nothing.
struct EventsController: Sendable {
    let delivery: SignedDelivery
    let ledger: any CallLedger
    /// Completes the call's record, with a store and call records on.
    let recorder: CallRecorder?
    let metrics: CapacityMetrics
    /// Counts refusal lines the bucket suppressed.
    let refusals: SwitchboardMetrics
    let logger: Logger
    /// Bounds the `event refused` lines, as the webhook bounds its own (docs/http.md, "Logs").
    let refusalLines = TokenBucket(perSecond: 20, burst: 40)

    /// Serves `POST path` (with ``PostOnlyMiddleware`` on the router, every other method is 405).
    func addRoutes(to router: Router<some RequestContext>, path: String) {
        router.post(RouterPath(path)) { request, _ in await self.handle(request) }
    }

    /// Reads, checks, releases and answers; the work around the waits is kept out of line, as the webhook's is
    /// (``WebhookController/handle(_:context:)``).
    func handle(_ request: Request) async -> Response {
        let checked: Result<EventEnvelope, SignedDelivery.Refused>
        switch await delivery.read(request) {
        case .success(let (headers, body)): checked = check(headers, body: body)
        case .failure(let refusal):
            checked = .failure(refused(refusal, type: nil, requestID: request.headers[SignedDelivery.requestIDField]))
        }
        switch checked {
        case .success(let event): return await apply(event)
        case .failure(let refused): return refused.response
        }
    }

    /// Verifies the signature and reads the event: a 401 or 400 answer, or the event.
    @inline(never)
    private func check(
        _ headers: WebhookVerifier.SignedHeaders, body: ByteBuffer
    ) -> Result<EventEnvelope, SignedDelivery.Refused> {
        if let refusal = body.withUnsafeReadableBytes({ delivery.verify(headers, body: $0) }) {
            return .failure(refused(refusal, type: nil, requestID: headers.requestID))
        }
        switch body.withUnsafeReadableBytes({ bytes in Result { () throws(EnvelopeError) in try EventEnvelope(json: bytes) } }) {
        case .success(let event): return .success(event)
        case .failure(let error):
            let refusal = SignedDelivery.Refusal(status: .badRequest, outcome: "bad_request", message: error.description)
            return .failure(refused(refusal, type: error.eventType, requestID: headers.requestID))
        }
    }

    /// Releases the call's slot for a `call.ended`; acknowledges any other event.
    @inline(never)
    private func apply(_ event: EventEnvelope) async -> Response {
        guard event.type == EventEnvelope.callEnded, let callID = event.callID else {
            logger.debug("event acknowledged", metadata: ["event_id": .string(event.id), "type": .string(event.type)])
            return answer(event, outcome: "acknowledged")
        }
        let release = await ledger.release(callID: callID)
        recorder?.ended(callID: callID, duration: event.durationSeconds)
        logger.info(
            "call ended",
            metadata: ["event_id": .string(event.id), "call_id": .string(callID), "slot": .string(release.rawValue)]
        )
        return answer(event, outcome: release == .released ? "released" : "unknown_call")
    }

    /// Counts the event and answers 200 with its outcome.
    @inline(never)
    private func answer(_ event: EventEnvelope, outcome: String) -> Response {
        metrics.event(type: event.type, outcome: outcome)
        return JSONResponse.body(.ok, #"{"received":true,"outcome":"\#(outcome)"}"#)
    }

    /// A refusal, counted and (within the line budget) logged.
    @inline(never)
    private func refused(
        _ refusal: SignedDelivery.Refusal, type: String?, requestID: String?
    ) -> SignedDelivery.Refused {
        metrics.event(type: type, outcome: refusal.outcome)
        return SignedDelivery.Refused(
            response: SignedDelivery.refusal(
                refusal, requestID: requestID, event: "event refused", lines: refusalLines, metrics: refusals,
                logger: logger
            )
        )
    }
}

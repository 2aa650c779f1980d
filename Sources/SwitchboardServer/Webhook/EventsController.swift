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

    func handle(_ request: Request) async -> Response {
        var request = request
        let (headers, body): (WebhookVerifier.SignedHeaders, ByteBuffer)
        switch await delivery.read(&request) {
        case .success(let read): (headers, body) = read
        case .failure(let refusal): return refuse(refusal, type: nil, request)
        }
        if let refusal = body.withUnsafeReadableBytes({ delivery.verify(headers, body: $0) }) {
            return refuse(refusal, type: nil, request)
        }
        let event: EventEnvelope
        switch body.withUnsafeReadableBytes({ bytes in Result { () throws(EnvelopeError) in try EventEnvelope(json: bytes) } }) {
        case .success(let read): event = read
        case .failure(let error):
            let refusal = SignedDelivery.Refusal(status: .badRequest, outcome: "bad_request", message: error.description)
            return refuse(refusal, type: error.eventType, request)
        }
        let outcome: String
        if event.type == EventEnvelope.callEnded, let callID = event.callID {
            let release = await ledger.release(callID: callID)
            recorder?.ended(callID: callID, duration: event.durationSeconds)
            outcome = release == .released ? "released" : "unknown_call"
            logger.info(
                "call ended",
                metadata: ["event_id": .string(event.id), "call_id": .string(callID), "slot": .string(release.rawValue)]
            )
        } else {
            outcome = "acknowledged"
            logger.debug("event acknowledged", metadata: ["event_id": .string(event.id), "type": .string(event.type)])
        }
        metrics.event(type: event.type, outcome: outcome)
        return JSONResponse.body(.ok, #"{"received":true,"outcome":"\#(outcome)"}"#)
    }

    private func refuse(_ refusal: SignedDelivery.Refusal, type: String?, _ request: Request) -> Response {
        metrics.event(type: type, outcome: refusal.outcome)
        return SignedDelivery.refusal(
            refusal.status, refusal.message, request, closing: refusal.closing, event: "event refused",
            lines: refusalLines, metrics: refusals, logger: logger
        )
    }
}

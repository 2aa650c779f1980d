import Foundation
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
        let event: InkboxEvent
        do {
            event = try InkboxEvent(json: Data(body.readableBytesView))
        } catch {
            let refusal = SignedDelivery.Refusal(status: .badRequest, outcome: "bad_request", message: error.description)
            return refuse(refusal, type: error.eventType, request)
        }
        let outcome: String
        if event.type == InkboxEvent.callEnded, let callID = event.callID {
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

/// The envelope of an Inkbox event: `{id, event_type, timestamp, data}`.
struct InkboxEvent: Sendable {
    static let callEnded = "call.ended"

    var id: String
    var type: String
    var timestamp: String
    /// `data.call.id`; required for `call.ended`.
    var callID: String?
    /// `data.call.duration_seconds` of a `call.ended`, when it carries one.
    var durationSeconds: Int?

    /// Reads the envelope; a problem names the field.
    init(json: Data) throws(EnvelopeError) {
        guard let object = try? JSONSerialization.jsonObject(with: json, options: []) else {
            throw EnvelopeError("body is not valid JSON")
        }
        guard let fields = object as? [String: Any] else { throw EnvelopeError("body is not a JSON object") }
        let type = fields["event_type"] as? String
        guard let id = fields["id"] as? String, !id.isEmpty else {
            throw EnvelopeError("missing or non-string 'id'", eventType: type)
        }
        guard let type, !type.isEmpty else { throw EnvelopeError("missing or non-string 'event_type'") }
        guard let timestamp = fields["timestamp"] as? String, !timestamp.isEmpty else {
            throw EnvelopeError("missing or non-string 'timestamp'", eventType: type)
        }
        guard let data = fields["data"] as? [String: Any] else {
            throw EnvelopeError("missing or non-object 'data'", eventType: type)
        }
        self.id = id
        self.type = type
        self.timestamp = timestamp
        if type == Self.callEnded {
            guard let call = data["call"] as? [String: Any], let callID = call["id"] as? String, !callID.isEmpty else {
                throw EnvelopeError("call.ended without a string 'data.call.id'", eventType: type)
            }
            self.callID = callID
            durationSeconds = call["duration_seconds"] as? Int
        }
    }
}

/// Why an event body was refused (400).
struct EnvelopeError: Error, CustomStringConvertible {
    var description: String
    /// The `event_type`, when it could be read (for the metric label).
    var eventType: String?

    init(_ description: String, eventType: String? = nil) {
        self.description = description
        self.eventType = eventType
    }
}

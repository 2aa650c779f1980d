import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A stand-in for the part of the Inkbox REST API that `switchboard inkbox` uses, on a loopback port, faithful to
/// its documented shapes: `GET /api/v1/phone/numbers` answers a JSON array of phone numbers (the SDK's
/// `PhoneNumber`), `PATCH /api/v1/phone/numbers/{id}` applies the fields present and answers the number,
/// authentication is `X-API-Key`, errors are `{"detail": …}` (422: a list of `{loc, msg, type}`).
///
/// Every request is recorded (method, path, `X-API-Key`, body) so a test can check exactly what was sent, and
/// `failNext` makes the next requests fail with a status (429 or 5xx) to exercise retries.
public final class FakeInkboxAPI: Sendable {
    public struct Recorded: Sendable, Hashable {
        public var method: String
        public var path: String
        public var apiKey: String?
        public var body: String

        public init(method: String, path: String, apiKey: String?, body: String) {
            self.method = method
            self.path = path
            self.apiKey = apiKey
            self.body = body
        }
    }

    public static let apiKey = "ik_test_0123456789"

    private struct State {
        var numbers: [[String: String?]]
        var requests: [Recorded] = []
        var failures: [Int] = []
    }

    private let state: Mutex<State>

    /// - Parameter numbers: `(id, number, action, webhook URL, client WebSocket URL)` of each number.
    public init(numbers: [(id: String, number: String, action: String, webhook: String?, websocket: String?)]) {
        state = Mutex(State(numbers: numbers.map { number in
            [
                "id": number.id, "number": number.number, "type": "local", "status": "active",
                "incoming_call_action": number.action, "incoming_call_webhook_url": number.webhook,
                "client_websocket_url": number.websocket, "incoming_text_webhook_url": nil,
                "agent_identity_id": nil, "created_at": "2026-03-09T00:00:00Z", "updated_at": "2026-03-09T00:00:00Z",
            ]
        }))
    }

    /// Every request received so far, in order.
    public var requests: [Recorded] { state.withLock { $0.requests } }

    /// The next `statuses.count` requests are answered with these statuses (`{"detail": …}` bodies).
    public func failNext(_ statuses: [Int]) {
        state.withLock { $0.failures += statuses }
    }

    /// A number's current `(action, webhook URL, client WebSocket URL)`.
    public func destination(of number: String) -> (action: String?, webhook: String?, websocket: String?)? {
        state.withLock { state in
            state.numbers.first { $0["number"] == .some(number) }.map {
                ($0["incoming_call_action"] ?? nil, $0["incoming_call_webhook_url"] ?? nil, $0["client_websocket_url"] ?? nil)
            }
        }
    }

    /// Serves on a loopback port for the duration of `body`, which gets the API base URL (`http://127.0.0.1:P/api/v1`).
    public func serve<T: Sendable>(_ body: @Sendable (_ base: String) async throws -> T) async throws -> T {
        let router = Router()
        router.get("/api/v1/phone/numbers") { request, context in try await self.handle(request, context, id: nil) }
        router.patch("/api/v1/phone/numbers/:id") { request, context in
            try await self.handle(request, context, id: context.parameters.get("id"))
        }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) }, logger: quietLogger
        )
        let group = ServiceGroup(services: [app], gracefulShutdownSignals: [], cancellationSignals: [], logger: quietLogger)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw CancellationError() }
            let result: Result<T, any Error>
            do {
                result = .success(try await body("http://127.0.0.1:\(port)/api/v1"))
            } catch {
                result = .failure(error)
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return try result.get()
        }
    }

    private func handle(_ request: Request, _ context: some RequestContext, id: String?) async throws -> Response {
        let body = try await request.body.collect(upTo: 1 << 20)
        let text = String(buffer: body)
        let key = request.headers[.init("X-API-Key")!]
        return state.withLock { state -> Response in
            state.requests.append(Recorded(method: "\(request.method)", path: request.uri.path, apiKey: key, body: text))
            if !state.failures.isEmpty {
                let status = state.failures.removeFirst()
                return Self.json(["detail": "simulated \(status)"], status: HTTPResponse.Status(code: status))
            }
            guard key == Self.apiKey else { return Self.json(["detail": "Invalid API key"], status: .unauthorized) }
            guard let id else { return Self.json(state.numbers.map(Self.plain), status: .ok) }
            guard let index = state.numbers.firstIndex(where: { $0["id"] == .some(id) }) else {
                return Self.json(["detail": "Phone number not found"], status: .notFound)
            }
            guard let change = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] else {
                return Self.json(["detail": "body must be a JSON object"], status: .badRequest)
            }
            var number = state.numbers[index]
            for (field, value) in change {
                guard ["incoming_call_action", "incoming_call_webhook_url", "client_websocket_url"].contains(field) else {
                    return Self.validation(field, "extra fields not permitted")
                }
                number[field] = value as? String
            }
            if let action = number["incoming_call_action"] ?? nil,
                !["webhook", "auto_accept", "auto_reject"].contains(action)
            {
                return Self.validation("incoming_call_action", "must be webhook, auto_accept or auto_reject")
            }
            if number["incoming_call_action"] == .some("webhook") {
                guard let url = number["incoming_call_webhook_url"] ?? nil, url.hasPrefix("https://") else {
                    return Self.validation("incoming_call_webhook_url", "an https URL is required when the action is webhook")
                }
            }
            state.numbers[index] = number
            return Self.json(Self.plain(number), status: .ok)
        }
    }

    /// A number as JSON: absent values as `null`.
    private static func plain(_ number: [String: String?]) -> [String: Any] {
        number.mapValues { value -> Any in value ?? NSNull() }
    }

    private static func validation(_ field: String, _ message: String) -> Response {
        json(["detail": [["loc": ["body", field], "msg": message, "type": "value_error"]]], status: .unprocessableContent)
    }

    private static func json(_ object: Any, status: HTTPResponse.Status) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data("{}".utf8)
        return Response(
            status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}

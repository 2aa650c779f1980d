import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import SwitchboardCore
import SwitchboardServer
import SwitchboardTestSupport

/// A real Switchboard for one test, its routes in a temporary file: on loopback sockets (both listeners on port 0),
/// or in-process through Hummingbird's router test client where sockets are not the point (`.router`: nothing
/// listens, and the health checker, watcher and lease sweeper do not run).
struct LiveSwitchboard: Sendable {
    static let key = "whsec_live-test-key"

    enum Transport {
        /// Real listeners on loopback ports, every service running.
        case sockets
        /// The routers only, called in-process.
        case router
    }

    /// An answer, whichever transport carried it.
    struct Response: Sendable {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var body: ByteBuffer

        var text: String { String(buffer: body) }

        /// The body as a JSON object.
        var json: [String: Any] {
            ((try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any]) ?? [:]
        }
    }

    typealias Send = @Sendable (Switchboard.Listener, HTTPRequest.Method, String, HTTPFields, Data?) async throws -> Response

    let switchboard: Switchboard
    /// The listeners' ports (0 with `.router`).
    let webhookPort: Int
    let adminPort: Int
    let routesPath: String
    private let send: Send

    /// Starts Switchboard, runs `body`, then shuts it down (cancelling the service group, which drains gracefully).
    static func with<Value: Sendable>(
        routes: String,
        transport: Transport = .sockets,
        adminToken: String? = nil,
        watchRoutes: Bool = false,
        logger: Logger = quietLogger,
        configure: @Sendable (inout ServerConfiguration) -> Void = { _ in },
        _ body: @Sendable (LiveSwitchboard) async throws -> Value
    ) async throws -> Value {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("routes.yaml").path
        try routes.write(toFile: path, atomically: true, encoding: .utf8)
        return try await with(
            routesFile: path, transport: transport, adminToken: adminToken, watchRoutes: watchRoutes, logger: logger,
            configure: configure, body
        )
    }

    /// Like `with(routes:)`, for a routes file that already exists.
    static func with<Value: Sendable>(
        routesFile path: String,
        transport: Transport = .sockets,
        adminToken: String? = nil,
        watchRoutes: Bool = false,
        logger: Logger = quietLogger,
        configure: @Sendable (inout ServerConfiguration) -> Void = { _ in },
        _ body: @Sendable (LiveSwitchboard) async throws -> Value
    ) async throws -> Value {
        var configuration = ServerConfiguration(
            routesPath: path,
            listen: .init(host: "127.0.0.1", port: 0),
            adminListen: .init(host: "127.0.0.1", port: 0),
            signingKeys: [key],
            adminToken: adminToken,
            watchRoutes: watchRoutes
        )
        configure(&configuration)
        let switchboard = try Switchboard(configuration: configuration, logger: logger)
        if transport == .router {
            return try await Application(router: switchboard.webhookRouter()).test(.router) { webhook in
                try await Application(router: switchboard.adminRouter()).test(.router) { admin in
                    let send: Send = { listener, method, path, headers, body in
                        let client: any TestClientProtocol = listener == .webhook ? webhook : admin
                        let response = try await client.execute(
                            uri: path, method: method, headers: headers, body: body.map { ByteBuffer(bytes: $0) }
                        )
                        return Response(status: response.status, headers: response.headers, body: response.body)
                    }
                    return try await body(
                        LiveSwitchboard(switchboard: switchboard, webhookPort: 0, adminPort: 0, routesPath: path, send: send)
                    )
                }
            }
        }
        let (ports, continuation) = AsyncStream.makeStream(of: (Switchboard.Listener, Int).self)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await switchboard.run { listener, port in continuation.yield((listener, port)) }
            }
            var webhook = 0, admin = 0
            for await (listener, port) in ports {
                if listener == .webhook { webhook = port } else { admin = port }
                if webhook != 0, admin != 0 { break }
            }
            let ports = [Switchboard.Listener.webhook: webhook, .admin: admin]
            let send: Send = { listener, method, path, headers, body in
                try await TestClient.withClient(host: "127.0.0.1", port: ports[listener]!) { client in
                    let response = try await client.execute(
                        .init(path, method: method, headers: headers, body: body.map { ByteBuffer(bytes: $0) })
                    )
                    return Response(status: response.status, headers: response.headers, body: response.body ?? ByteBuffer())
                }
            }
            let live = LiveSwitchboard(
                switchboard: switchboard, webhookPort: webhook, adminPort: admin, routesPath: path, send: send
            )
            do {
                let value = try await body(live)
                group.cancelAll()
                return value
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }

    /// Sends a webhook, signed with the test key unless `headers` says otherwise.
    func post(
        _ body: Data, requestID: String = UUID().uuidString, timestamp: Date = Date(), key: String = LiveSwitchboard.key,
        headers extra: HTTPFields = [:], path: String = "/webhooks/incoming-call"
    ) async throws -> Response {
        var headers = Self.signedHeaders(body, requestID: requestID, timestamp: timestamp, key: key)
        for field in extra { headers[field.name] = field.value }
        return try await request(.post, path, headers: headers, body: body)
    }

    /// Sends an event to the events endpoint, signed with the test key.
    func event(_ body: Data, requestID: String = UUID().uuidString, key: String = LiveSwitchboard.key)
        async throws -> Response
    {
        try await post(body, requestID: requestID, key: key, path: "/webhooks/events")
    }

    /// The backend named in the answer to a call with this `id` (the first label of the URL's host), or
    /// `number_default` / `reject`.
    func answer(callID: String, requestID: String = UUID().uuidString) async throws -> String {
        let json = try await post(Fixture.incomingCall(id: callID), requestID: requestID).json
        if let url = json["client_websocket_url"] as? String {
            return URL(string: url)?.host?.split(separator: ".").first.map(String.init) ?? url
        }
        return json["action"] as? String == "reject" ? "reject" : "number_default"
    }

    /// One backend's entry in `/status`.
    func backendStatus(_ name: String) async throws -> [String: Any] {
        let backends = try await admin(.get, "/status").json["backends"] as? [[String: Any]] ?? []
        return backends.first { $0["name"] as? String == name } ?? [:]
    }

    static func signedHeaders(_ body: Data, requestID: String, timestamp: Date = Date(), key: String = key) -> HTTPFields {
        let stamp = String(Int(timestamp.timeIntervalSince1970))
        let signature = try! WebhookVerifier(keys: [key]).signature(requestID: requestID, timestamp: stamp, body: body)
        return [
            HTTPField.Name("X-Inkbox-Request-ID")!: requestID,
            HTTPField.Name("X-Inkbox-Timestamp")!: stamp,
            HTTPField.Name("X-Inkbox-Signature")!: signature,
            .contentType: "application/json",
        ]
    }

    func admin(_ method: HTTPRequest.Method, _ path: String, headers: HTTPFields = [:]) async throws -> Response {
        try await request(method, path, headers: headers, body: nil, listener: .admin)
    }

    /// Sends a request as given (no signing) to one listener.
    func request(
        _ method: HTTPRequest.Method, _ path: String, headers: HTTPFields, body: Data?,
        listener: Switchboard.Listener = .webhook
    ) async throws -> Response {
        try await send(listener, method, path, headers, body)
    }
}

import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import SwitchboardCore
import SwitchboardServer
import SwitchboardTestSupport

/// A real Switchboard on loopback ports for one test: routes in a temporary file, both listeners on port 0.
struct LiveSwitchboard: Sendable {
    static let key = "whsec_live-test-key"

    let switchboard: Switchboard
    let webhookPort: Int
    let adminPort: Int
    let routesPath: String

    /// Starts Switchboard, runs `body`, then shuts it down (cancelling the service group, which drains gracefully).
    static func with<Value: Sendable>(
        routes: String,
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
            routesFile: path, adminToken: adminToken, watchRoutes: watchRoutes, logger: logger, configure: configure, body
        )
    }

    /// Like `with(routes:)`, for a routes file that already exists.
    static func with<Value: Sendable>(
        routesFile path: String,
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
            let live = LiveSwitchboard(switchboard: switchboard, webhookPort: webhook, adminPort: admin, routesPath: path)
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
    ) async throws -> TestClient.Response {
        var headers = Self.signedHeaders(body, requestID: requestID, timestamp: timestamp, key: key)
        for field in extra { headers[field.name] = field.value }
        return try await request(.post, path, headers: headers, body: body, port: webhookPort)
    }

    /// Sends an event to the events endpoint, signed with the test key.
    func event(_ body: Data, requestID: String = UUID().uuidString, key: String = LiveSwitchboard.key)
        async throws -> TestClient.Response
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

    func admin(_ method: HTTPRequest.Method, _ path: String, headers: HTTPFields = [:]) async throws -> TestClient.Response {
        try await request(method, path, headers: headers, body: nil, port: adminPort)
    }

    func request(
        _ method: HTTPRequest.Method, _ path: String, headers: HTTPFields, body: Data?, port: Int
    ) async throws -> TestClient.Response {
        try await TestClient.withClient(host: "127.0.0.1", port: port) { client in
            try await client.execute(
                .init(path, method: method, headers: headers, body: body.map { ByteBuffer(bytes: $0) })
            )
        }
    }
}

extension TestClient.Response {
    var text: String { body.map { String(buffer: $0) } ?? "" }

    /// The body as a JSON object.
    var json: [String: Any] {
        (body.flatMap { try? JSONSerialization.jsonObject(with: Data($0.readableBytesView)) } as? [String: Any]) ?? [:]
    }
}

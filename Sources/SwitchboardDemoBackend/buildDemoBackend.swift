import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import SwitchboardCore
import Synchronization

/// Builds the demo WebSocket agent backend: a stand-in for a real voice agent in demos, tests and benchmarks.
///
/// - Any request with WebSocket upgrade headers (on `/` or any other path, so backend URLs with a path or
///   query work) is upgraded; text and binary frames are echoed back.
/// - `GET /healthz` answers 200 `ok`; `GET /` answers 200 with the backend's name.
/// - With `signingKeys`, an upgrade must carry `X-Call-Context` and `X-Inkbox-Request-ID`, `X-Inkbox-Timestamp` and
///   `X-Inkbox-Signature` over `{request_id}.{timestamp}.{X-Call-Context}`, as Inkbox sends them; any other upgrade
///   gets 401 `{"error":"…"}`.
/// - `GET /report` answers the backend's self-report (`configuration.report`, for `report: json` checks);
///   `POST /report` replaces it with the request body, as is, so demos and tests can change it at runtime.
/// - On graceful shutdown, open WebSockets get a close frame and are dropped after one second at most.
///
/// The result is a Hummingbird application, hence a `Service`: `runService()` runs it until SIGTERM or
/// SIGINT and then shuts down gracefully.
///
/// ```swift
/// let app = buildDemoBackend(configuration: .init(port: 9001, name: "support-a"))
/// try await app.runService()
/// ```
/// - Parameters:
///   - configuration: address, port and name.
///   - logger: the application's logger (Hummingbird's default when nil).
///   - onServerRunning: called with the bound port once the server accepts connections.
public func buildDemoBackend(
    configuration: DemoBackendConfiguration,
    logger: Logger? = nil,
    onServerRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let name = configuration.name
    let verifier = configuration.signingKeys.isEmpty ? nil : try? WebhookVerifier(keys: configuration.signingKeys)
    let router = Router()
    router.get("/healthz") { _, _ in "ok" }
    router.get("/") { _, _ in name }
    let report = Mutex(configuration.report)
    router.get("/report") { _, _ in
        Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: report.withLock { $0 }))
        )
    }
    router.post("/report") { request, _ in
        let body = try await request.body.collect(upTo: 4096)
        report.withLock { $0 = String(buffer: body) }
        return Response(status: .noContent)
    }
    return Application(
        router: router,
        server: .http1WebSocketUpgrade(configuration: .init(ws: .init(closeTimeout: .seconds(1)))) { request, channel, logger in
            if let verifier {
                do {
                    try verifyCallContext(request, verifier)
                } catch {
                    logger.notice("unsigned or badly signed WebSocket upgrade refused", metadata: ["reason": "\(error)"])
                    await refuseUnauthorized(channel)
                    return .dontUpgrade
                }
            }
            return .upgrade([:]) { inbound, outbound, _ in
                // On graceful shutdown stop echoing: the server then sends a close frame and drops clients
                // that do not answer it within `closeTimeout`, so SIGTERM never waits on an idle caller.
                try await cancelWhenGracefulShutdown {
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        switch message {
                        case .text(let text): try await outbound.write(.text(text))
                        case .binary(let bytes): try await outbound.write(.binary(bytes))
                        }
                    }
                }
            }
        },
        configuration: ApplicationConfiguration(
            address: .hostname(configuration.host, port: configuration.port),
            serverName: name
        ),
        onServerRunning: { channel in
            await onServerRunning(channel.localAddress?.port ?? configuration.port)
        },
        logger: logger
    )
}

/// Checks the signature Inkbox puts on its connection to a backend: the webhook scheme over `X-Call-Context`.
private func verifyCallContext(_ request: HTTPRequest, _ verifier: WebhookVerifier) throws {
    func header(_ name: String) -> String? { HTTPField.Name(name).flatMap { request.headerFields[$0] } }
    guard let context = header("X-Call-Context") else { throw SignatureError.missingHeader("X-Call-Context") }
    var bytes = Array(context.utf8)
    try bytes.withUnsafeMutableBytes { body in
        try verifier.verify(
            requestID: header(WebhookVerifier.requestIDHeader), timestamp: header(WebhookVerifier.timestampHeader),
            signature: header(WebhookVerifier.signatureHeader), body: UnsafeRawBufferPointer(body)
        )
    }
}

/// Answers 401 and closes. A refused upgrade would otherwise get Hummingbird's fixed `400` (written after this, on
/// the closed channel, it goes nowhere), so the answer is written below the HTTP encoder, as raw bytes.
private func refuseUnauthorized(_ channel: any Channel) async {
    let body = #"{"error":"a signed X-Call-Context is required"}"#
    let response = "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
        + "Connection: close\r\n\r\n" + body
    try? await channel.eventLoop.submit {
        let context = try channel.pipeline.syncOperations.context(handlerType: HTTPResponseEncoder.self)
        context.writeAndFlush(NIOAny(ByteBuffer(string: response)), promise: nil)
        context.close(promise: nil)
    }.get()
}

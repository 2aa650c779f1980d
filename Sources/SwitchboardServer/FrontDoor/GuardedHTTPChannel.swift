import HummingbirdCore
import Logging
import NIOCore
import NIOSSL

/// Hummingbird's HTTP/1.1 child channel with Switchboard's limits around it: the connection cap, the head and body
/// deadlines, the idle timeout (Hummingbird's own), and TLS when the listener has a certificate.
struct GuardedHTTPChannel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = HTTP1Channel.Value

    private let base: HTTP1Channel
    let registry: ConnectionRegistry
    /// The listener's certificate pair, or nil for plain HTTP.
    let certificates: CertificateStore?
    private let onClosed: @Sendable (_ reason: String) -> Void

    /// - Parameters:
    ///   - responder: the application's responder, from `HTTPServerBuilder`.
    ///   - limits: the listener's timeouts and cap.
    ///   - registry: where open connections are counted; sized from `limits.maxConnections`.
    ///   - onClosed: told why Switchboard closed a connection itself (`limit`, `header_timeout`, `body_timeout`).
    init(
        responder: @escaping HTTPChannelHandler.Responder, limits: ListenerLimits, registry: ConnectionRegistry,
        certificates: CertificateStore?, onClosed: @escaping @Sendable (String) -> Void
    ) {
        let header = limits.headerTimeout, body = limits.bodyTimeout
        base = HTTP1Channel(
            responder: responder,
            configuration: .init(
                additionalChannelHandlers: [
                    RequestDeadlineHandler(headerTimeout: header, bodyTimeout: body) { onClosed($0.rawValue) }
                ],
                idleTimeout: TimeAmount(limits.idleTimeout)
            )
        )
        self.registry = registry
        self.certificates = certificates
        self.onClosed = onClosed
    }

    var responder: HTTPChannelHandler.Responder { base.responder }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        guard registry.admit(channel) else {
            // Over the cap: close at once (the client sees the connection end) rather than leave it waiting.
            onClosed("limit")
            channel.close(promise: nil)
            return channel.eventLoop.makeFailedFuture(ConnectionLimitReached())
        }
        guard let certificates else { return base.setup(channel: channel, logger: logger) }
        // The context current when the connection is accepted: a reload affects only later connections.
        let context = certificates.context
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

/// A connection was refused because its listener was at its cap.
struct ConnectionLimitReached: Error {}

extension HTTPServerBuilder {
    /// HTTP/1.1 with Switchboard's limits (`GuardedHTTPChannel`).
    static func guarded(
        limits: ListenerLimits, registry: ConnectionRegistry, certificates: CertificateStore?,
        onClosed: @escaping @Sendable (String) -> Void
    ) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            GuardedHTTPChannel(
                responder: responder, limits: limits, registry: registry, certificates: certificates,
                onClosed: onClosed
            )
        }
    }
}

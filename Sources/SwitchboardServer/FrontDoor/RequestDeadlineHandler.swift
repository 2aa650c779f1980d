import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Closes a connection whose request head or body does not arrive in time, and one whose response says
/// `Connection: close` once that response is written (docs/http.md, "Limits").
///
/// The head deadline runs from the moment the connection opens (a TLS handshake counts against it); between
/// keep-alive requests Hummingbird's idle timeout applies. The body deadline runs from the end of the head to the
/// end of the body, however the bytes trickle in. One instance per connection, used on its event loop only.
final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// Which deadline passed.
    enum Phase: String, Sendable {
        case header = "header_timeout"
        case body = "body_timeout"
    }

    private let headerTimeout: TimeAmount
    private let bodyTimeout: TimeAmount
    private let onTimeout: @Sendable (Phase) -> Void
    private var deadline: Scheduled<Void>?
    /// When the body of the request being read is due; its timer is armed at the end of the read that brought the
    /// head, and only if the body has not ended by then (a webhook's head and body usually arrive in one read).
    private var bodyDue: NIODeadline?
    private var started = false
    private var closeAfterResponse = false

    init(headerTimeout: Duration, bodyTimeout: Duration, onTimeout: @escaping @Sendable (Phase) -> Void) {
        self.headerTimeout = TimeAmount(headerTimeout)
        self.bodyTimeout = TimeAmount(bodyTimeout)
        self.onTimeout = onTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancel()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancel()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            cancel()
            bodyDue = .now() + bodyTimeout
        case .body: break
        case .end: cancel()
        }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if let bodyDue, deadline == nil { arm(.body, at: bodyDue, context) }
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let response):
            // ASCII case-insensitive, without building a lowercased copy for every response.
            if let value = response.headerFields[.connection],
                value.utf8.elementsEqual("close".utf8, by: { $0 | 0x20 == $1 })
            {
                closeAfterResponse = true
            }
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            guard closeAfterResponse else { return context.write(data, promise: promise) }
            // The request's body may be unread: close rather than read and discard it.
            cancel()
            context.writeAndFlush(data, promise: promise)
            context.close(promise: nil)
        }
    }

    private func start(_ context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        arm(.header, at: .now() + headerTimeout, context)
    }

    private func arm(_ phase: Phase, at due: NIODeadline, _ context: ChannelHandlerContext) {
        let onTimeout = onTimeout
        deadline = context.eventLoop.assumeIsolated().scheduleTask(deadline: due) {
            onTimeout(phase)
            context.close(promise: nil)
        }
    }

    private func cancel() {
        deadline?.cancel()
        deadline = nil
        bodyDue = nil
    }
}

@available(*, unavailable)
extension RequestDeadlineHandler: Sendable {}

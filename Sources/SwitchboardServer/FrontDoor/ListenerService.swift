import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// Serves one router on one address: what Hummingbird's `Application` does for a request, less two things.
///
/// - No task wakes every second to keep the `Date` header fresh: ``HTTPDate`` formats it when a response needs it.
///   An idle listener has no timer at all (docs/performance.md#idle-cpu).
/// - No logger made per request with a generated `hb.request.id`. Nothing here logs through the request's logger;
///   Switchboard's lines carry Inkbox's request ID. It cost every webhook a copy of the logger's metadata.
///
/// Everything else is as `Application` does it: the router's answer, or 500 for an error it did not turn into one;
/// a request the parser refused gets Hummingbird's 400.
struct ListenerService<Responder: HTTPResponder>: Service
where Responder.Context: InitializableFromSource<ApplicationRequestContextSource> {
    let responder: Responder
    let server: HTTPServerBuilder
    let address: BindAddress
    let onServerRunning: @Sendable (any Channel) async -> Void
    let logger: Logger

    /// The response could not be written because the request turned out malformed while it was: the connection
    /// closes without a second answer (Hummingbird closes on any error but its parser's).
    private struct ParseErrorWhileWriting: Error {}

    func run() async throws {
        let responder = responder
        let logger = logger
        let service = try server.buildServer(
            configuration: HummingbirdCore.ServerConfiguration(address: address),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            logger: logger
        ) { (request, responseWriter: consuming ResponseWriter, channel) in
            let context = Responder.Context(source: .init(channel: channel, logger: logger))
            var response: Response
            do {
                response = try await responder.respond(to: request, context: context)
            } catch let error as HTTPParserError {
                throw error
            } catch {
                logger.debug("request failed with an error the router did not answer", metadata: ["error": "\(error)"])
                response = Response(status: .internalServerError, body: .init())
            }
            response.headers[.date] = HTTPDate.shared.value()
            do {
                try await responseWriter.write(response: response.head, body: response.body)
            } catch is HTTPParserError {
                throw ParseErrorWhileWriting()
            }
        } onServerRunning: {
            await onServerRunning($0)
        }
        try await service.run()
    }
}

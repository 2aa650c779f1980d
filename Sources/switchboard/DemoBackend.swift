import ArgumentParser
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import SwitchboardDemoBackend
import SwitchboardServer
import UnixSignals

/// `switchboard demo-backend`: a tiny WebSocket agent backend for demos, tests and benchmarks.
struct DemoBackend: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-backend",
        abstract: "Run a demo WebSocket agent backend: upgrade on /, echo, GET /healthz."
    )

    @Option(help: "HOST:PORT to listen on.")
    var listen = ServerConfiguration.Address(host: "127.0.0.1", port: 9001)

    @Option(help: "The backend's name (shown on GET / and in the Server header).")
    var name = "demo"

    func run() async throws {
        let address = listen
        let logger = makeLogger(format: .text, level: .notice)
        let app = buildDemoBackend(
            configuration: .init(host: address.host, port: address.port, name: name),
            logger: logger,
            onServerRunning: { port in
                // Unbuffered, so a supervising process sees it at once even through a pipe.
                FileHandle.standardOutput.write(Data("demo-backend \(name) listening on \(address.host):\(port)\n".utf8))
            }
        )
        let group = ServiceGroup(
            services: [LogSink.standardOutput, app], gracefulShutdownSignals: [.sigterm, .sigint],
            cancellationSignals: [], logger: logger
        )
        try await group.run()
    }
}

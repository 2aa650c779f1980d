import ArgumentParser
import Foundation
import Hummingbird
import Logging
import SwitchboardDemoBackend
import SwitchboardServer

/// `switchboard demo-backend`: a tiny WebSocket agent backend for demos, tests and benchmarks.
struct DemoBackend: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-backend",
        abstract: "Run a demo WebSocket agent backend: upgrade on /, echo, GET /healthz."
    )

    @Option(help: "HOST:PORT to listen on.")
    var listen = "127.0.0.1:9001"

    @Option(help: "The backend's name (shown on GET / and in the Server header).")
    var name = "demo"

    func run() async throws {
        guard let address = ServerConfiguration.Address(listen) else {
            throw ValidationError("--listen must be HOST:PORT, not '\(listen)'")
        }
        let app = buildDemoBackend(
            configuration: .init(host: address.host, port: address.port, name: name),
            logger: makeLogger(format: .text, level: .notice),
            onServerRunning: { port in
                // Unbuffered, so a supervising process sees it at once even through a pipe.
                FileHandle.standardOutput.write(Data("demo-backend \(name) listening on \(address.host):\(port)\n".utf8))
            }
        )
        defer { LogSink.standardOutput.flush() }
        try await app.runService()
    }
}

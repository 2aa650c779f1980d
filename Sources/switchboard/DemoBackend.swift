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

    @Flag(
        name: .customLong("require-signature"),
        help: "Refuse (401) WebSocket upgrades without an X-Call-Context signed with SWITCHBOARD_SIGNING_KEY."
    )
    var requireSignature = false

    @Option(name: .customLong("report-status"), help: "Serve GET /report with this status: ok, draining or full.")
    var reportStatus: String?

    @Option(name: .customLong("report-load"), help: "Serve GET /report with this load, 0.0 to 1.0.")
    var reportLoad: Double?

    @Option(name: .customLong("report-max-calls"), help: "Serve GET /report with this max_calls.")
    var reportMaxCalls: Int?

    func validate() throws {
        if let reportStatus, !["ok", "draining", "full"].contains(reportStatus) {
            throw ValidationError("--report-status must be ok, draining or full")
        }
        if let reportLoad, !(0...1).contains(reportLoad) { throw ValidationError("--report-load must be from 0 to 1") }
        if let reportMaxCalls, reportMaxCalls < 0 { throw ValidationError("--report-max-calls must be 0 or more") }
    }

    func run() async throws {
        let address = listen
        var keys: [String] = []
        if requireSignature {
            keys = environmentSigningKeys()
            guard !keys.isEmpty else {
                printError("--require-signature needs SWITCHBOARD_SIGNING_KEY=whsec_… (comma-separated for rotation)")
                throw ExitCode(2)
            }
        }
        let logger = makeLogger(format: .text, level: .notice)
        let app = buildDemoBackend(
            configuration: .init(
                host: address.host, port: address.port, name: name, signingKeys: keys,
                report: DemoBackendConfiguration.report(status: reportStatus ?? "ok", load: reportLoad, maxCalls: reportMaxCalls)
            ),
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

import ArgumentParser
import Foundation
import Logging
import SwitchboardCore
import SwitchboardServer
import UnixSignals

/// `switchboard serve`: the webhook and admin listeners, health checking and hot reload.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Answer Inkbox incoming-call webhooks.",
        discussion: """
            Signing keys come from SWITCHBOARD_SIGNING_KEY (comma-separated for rotation) or --signing-key-file. \
            SWITCHBOARD_ADMIN_TOKEN, when set, protects the admin listener. SIGTERM or SIGINT drain in-flight \
            requests and exit 0; SIGHUP reloads the routes file.
            """
    )

    @Option(help: "The routes file.")
    var routes = "routes.yaml"

    @Option(help: "HOST:PORT for the webhook listener.")
    var listen = ServerConfiguration.Address(host: "0.0.0.0", port: 8080)

    @Option(name: .customLong("admin-listen"), help: "HOST:PORT for the admin listener (/metrics, /status, …).")
    var adminListen = ServerConfiguration.Address(host: "127.0.0.1", port: 9090)

    @Option(name: .customLong("webhook-path"), help: "Path of the webhook endpoint.")
    var webhookPath = "/webhooks/incoming-call"

    @Option(name: .customLong("events-path"), help: "Path of the events endpoint (call.ended releases call slots).")
    var eventsPath = "/webhooks/events"

    @Option(name: .customLong("signing-key-file"), help: "A file holding one signing key (instead of the environment).")
    var signingKeyFile: String?

    @Option(name: .customLong("log-format"), help: "text or json.")
    var logFormat = LogFormat.text

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = Logger.Level.info

    func validate() throws {
        guard webhookPath.hasPrefix("/") else { throw ValidationError("--webhook-path must start with /") }
        guard eventsPath.hasPrefix("/") else { throw ValidationError("--events-path must start with /") }
        guard eventsPath != webhookPath else { throw ValidationError("--events-path must differ from --webhook-path") }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let keys = try signingKeys(environment)
        let logger = makeLogger(format: logFormat, level: logLevel)
        let configuration = ServerConfiguration(
            routesPath: routes,
            listen: listen,
            adminListen: adminListen,
            webhookPath: webhookPath,
            eventsPath: eventsPath,
            signingKeys: keys,
            adminToken: environment["SWITCHBOARD_ADMIN_TOKEN"].flatMap { $0.isEmpty ? nil : $0 },
            environment: environment
        )
        // Log lines are batched; write out what is left however `run` ends (the sink's service does it too).
        defer { LogSink.standardOutput.flush() }
        let switchboard: Switchboard
        do {
            switchboard = try Switchboard(configuration: configuration, logger: logger)
        } catch let error as ConfigError {
            for diagnostic in error.diagnostics { printError(diagnostic.description) }
            printError("\(routes): invalid, not starting")
            throw ExitCode(1)
        }
        try await switchboard.run(gracefulShutdownSignals: [.sigterm, .sigint], startingWith: [LogSink.standardOutput]) {
            listener, port in
            let address = listener == .webhook ? configuration.listen : configuration.adminListen
            logger.notice(
                "listening",
                metadata: ["listener": "\(listener)", "address": "\(address.host):\(port)",
                           "path": "\(listener == .webhook ? webhookPath : "/")"]
            )
        }
        logger.notice("stopped")
    }

    /// The keys from `--signing-key-file` or `SWITCHBOARD_SIGNING_KEY`; exits 2 with advice when there are none.
    private func signingKeys(_ environment: [String: String]) throws -> [String] {
        var keys: [String]
        if let signingKeyFile {
            guard let text = try? String(contentsOfFile: signingKeyFile, encoding: .utf8) else {
                printError("cannot read --signing-key-file \(signingKeyFile)")
                throw ExitCode(2)
            }
            keys = [text.trimmingCharacters(in: .whitespacesAndNewlines)]
        } else {
            keys = (environment["SWITCHBOARD_SIGNING_KEY"] ?? "").split(separator: ",").map {
                $0.trimmingCharacters(in: .whitespaces)
            }
        }
        keys = keys.filter { !$0.isEmpty }
        guard !keys.isEmpty else {
            printError(
                "no signing key: set SWITCHBOARD_SIGNING_KEY=whsec_… (comma-separated for rotation) "
                    + "or pass --signing-key-file FILE; Inkbox shows the key in the number's webhook settings"
            )
            throw ExitCode(2)
        }
        return keys
    }
}

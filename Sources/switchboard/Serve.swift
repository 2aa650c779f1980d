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
            SWITCHBOARD_ADMIN_TOKEN, when set, protects the admin listener (required for a non-loopback \
            --admin-listen unless --admin-insecure). SIGTERM or SIGINT drain in-flight requests (at most \
            --shutdown-timeout) and exit 0; SIGHUP reloads the routes file and the TLS certificates.
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

    @Option(name: .customLong("idle-timeout"), help: "Close a keep-alive connection idle this long (both listeners).")
    var idleTimeout = DurationArgument("60s")

    @Option(name: .customLong("header-timeout"), help: "Close a connection whose request head takes longer.")
    var headerTimeout = DurationArgument("10s")

    @Option(name: .customLong("body-timeout"), help: "Close a connection whose request body takes longer.")
    var bodyTimeout = DurationArgument("10s")

    @Option(name: .customLong("max-connections"), help: "Most connections open at once on the webhook listener.")
    var maxConnections = 10_000

    @Option(name: .customLong("admin-max-connections"), help: "Most connections open at once on the admin listener.")
    var adminMaxConnections = 64

    @Option(
        name: .customLong("shutdown-timeout"),
        help: "On SIGTERM/SIGINT, close connections still open after this long and exit."
    )
    var shutdownTimeout = DurationArgument("10s")

    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain: serve HTTPS on the webhook listener.")
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key for --tls-cert.")
    var tlsKey: String?

    @Option(name: .customLong("admin-tls-cert"), help: "PEM certificate chain: serve HTTPS on the admin listener.")
    var adminTLSCert: String?

    @Option(name: .customLong("admin-tls-key"), help: "PEM private key for --admin-tls-cert.")
    var adminTLSKey: String?

    @Flag(
        name: .customLong("admin-insecure"),
        help: "Allow a non-loopback --admin-listen without SWITCHBOARD_ADMIN_TOKEN."
    )
    var adminInsecure = false

    @OptionGroup var storeOptions: StoreOptions

    @Option(
        name: .customLong("store-unavailable"),
        help: "With --store, when the store does not answer: local (decide from this replica's counts) or reject."
    )
    var storeUnavailable = StoreSettings.Unavailable.local

    @Option(name: .customLong("store-pool-size"), help: "With --store, database connections at most.")
    var storePoolSize = 10

    @Option(
        name: .customLong("store-budget"),
        help: "With --store, how long one database operation on the webhook's path may take before the policy applies."
    )
    var storeBudget = DurationArgument("150ms")

    @Option(name: .customLong("replica-id"), help: "With --store, this replica's name (default: host name and process ID).")
    var replicaID: String?

    @Flag(
        name: .customLong("call-records"), inversion: .prefixedNo,
        help: "With --store, keep a record of every decision for `switchboard calls` and the operator page."
    )
    var callRecords = true

    @Option(name: .customLong("call-records-retention"), help: "With --store, how long call records are kept (30d, 12h).")
    var callRecordsRetention = DurationArgument("30d")

    @Option(
        name: .customLong("call-records-queue"),
        help: "With --store, call records waiting to be written at most; past it new ones are dropped and counted."
    )
    var callRecordsQueue = CallRecordSettings().queueCapacity

    @Flag(
        name: .customLong("store-full-numbers"),
        help: "With --store, keep full phone numbers in call records (default: masked, as in the logs)."
    )
    var storeFullNumbers = false

    @Option(name: .customLong("log-format"), help: "text or json.")
    var logFormat = LogFormat.text

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = Logger.Level.info

    func validate() throws {
        guard webhookPath.hasPrefix("/") else { throw ValidationError("--webhook-path must start with /") }
        guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
        guard (adminTLSCert == nil) == (adminTLSKey == nil) else {
            throw ValidationError("--admin-tls-cert and --admin-tls-key go together")
        }
        guard maxConnections > 0, adminMaxConnections > 0 else {
            throw ValidationError("--max-connections and --admin-max-connections must be at least 1")
        }
        for (flag, value) in [("--header-timeout", headerTimeout), ("--body-timeout", bodyTimeout),
                              ("--idle-timeout", idleTimeout)] where value.duration <= .zero {
            throw ValidationError("\(flag) must be longer than 0")
        }
        guard storePoolSize > 0 else { throw ValidationError("--store-pool-size must be at least 1") }
        guard storeBudget.duration > .zero else { throw ValidationError("--store-budget must be longer than 0") }
        guard callRecordsRetention.duration > .zero else {
            throw ValidationError("--call-records-retention must be longer than 0")
        }
        guard callRecordsQueue > 0 else { throw ValidationError("--call-records-queue must be at least 1") }
        guard eventsPath.hasPrefix("/") else { throw ValidationError("--events-path must start with /") }
        guard eventsPath != webhookPath else { throw ValidationError("--events-path must differ from --webhook-path") }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let keys = try signingKeys(environment)
        let adminToken = environment["SWITCHBOARD_ADMIN_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        if adminToken == nil, !adminListen.isLoopback, !adminInsecure {
            printError(
                "refusing to start: --admin-listen \(adminListen) is reachable from other machines and "
                    + "SWITCHBOARD_ADMIN_TOKEN is not set, so anyone could read /status and /metrics and reload the "
                    + "routes; set SWITCHBOARD_ADMIN_TOKEN, listen on 127.0.0.1, or pass --admin-insecure"
            )
            throw ExitCode(2)
        }
        let logger = makeLogger(format: logFormat, level: logLevel)
        var configuration = ServerConfiguration(
            routesPath: routes,
            listen: listen,
            adminListen: adminListen,
            webhookPath: webhookPath,
            eventsPath: eventsPath,
            signingKeys: keys,
            adminToken: adminToken,
            environment: environment
        )
        configuration.shutdownTimeout = shutdownTimeout.duration
        if let url = try storeOptions.url(environment) {
            var store = StoreSettings(
                url: url, replicaID: replicaID ?? StoreSettings.defaultReplicaID, version: switchboardVersion
            )
            store.unavailable = storeUnavailable
            store.poolSize = storePoolSize
            store.budget = storeBudget.duration
            if callRecords {
                var records = CallRecordSettings()
                records.fullNumbers = storeFullNumbers
                records.retention = callRecordsRetention.duration
                records.queueCapacity = callRecordsQueue
                store.records = records
            } else {
                store.records = nil
            }
            configuration.store = store
        }
        if let tlsCert, let tlsKey { configuration.webhookTLS = .init(certificate: tlsCert, key: tlsKey) }
        if let adminTLSCert, let adminTLSKey { configuration.adminTLS = .init(certificate: adminTLSCert, key: adminTLSKey) }
        configuration.adminLimits = ListenerLimits(
            idleTimeout: idleTimeout.duration, headerTimeout: headerTimeout.duration, bodyTimeout: bodyTimeout.duration,
            maxConnections: adminMaxConnections
        )
        configuration.webhookLimits = ListenerLimits(
            idleTimeout: idleTimeout.duration, headerTimeout: headerTimeout.duration, bodyTimeout: bodyTimeout.duration,
            maxConnections: maxConnections
        )
        if let descriptorLimit = DescriptorBudget.raiseLimit() {
            configuration.adminLimits.maxConnections = DescriptorBudget.adminCap(
                requested: adminMaxConnections, descriptorLimit: descriptorLimit
            )
            configuration.webhookLimits.maxConnections = DescriptorBudget.webhookCap(
                requested: maxConnections, adminCap: configuration.adminLimits.maxConnections,
                descriptorLimit: descriptorLimit
            )
            if configuration.webhookLimits.maxConnections < maxConnections {
                logger.warning(
                    "connection cap lowered to fit the file-descriptor limit",
                    metadata: [
                        "max_connections": "\(configuration.webhookLimits.maxConnections)",
                        "requested": "\(maxConnections)", "descriptor_limit": "\(descriptorLimit)",
                        "admin_max_connections": "\(configuration.adminLimits.maxConnections)",
                    ]
                )
            }
        }
        // Log lines are batched; write out what is left however `run` ends (the sink's service does it too).
        defer { LogSink.standardOutput.flush() }
        let switchboard: Switchboard
        do {
            switchboard = try Switchboard(configuration: configuration, logger: logger)
        } catch let error as ConfigError {
            for diagnostic in error.diagnostics { printError(diagnostic.description) }
            printError("\(routes): invalid, not starting")
            throw ExitCode(1)
        } catch let error as CertificateError {
            printError("\(error); not starting")
            throw ExitCode(2)
        } catch let error as StoreURLError {
            printError("\(error); not starting")
            throw ExitCode(2)
        }
        do {
            try await run(switchboard, logger: logger)
        } catch let error as StoreError {
            printError("store: \(error); not starting")
            throw ExitCode(1)
        }
        logger.notice("stopped")
    }

    private func run(_ switchboard: Switchboard, logger: Logger) async throws {
        try await switchboard.run(gracefulShutdownSignals: [.sigterm, .sigint], startingWith: [LogSink.standardOutput]) {
            listener, port in
            let address = listener == .webhook ? listen : adminListen
            logger.notice(
                "listening",
                metadata: ["listener": "\(listener)", "address": "\(address.host):\(port)",
                           "path": "\(listener == .webhook ? webhookPath : "/")"]
            )
        }
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
            keys = environmentSigningKeys(environment)
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

/// A duration flag (`250ms`, `10s`, `1.5m`), shown in `--help` as written.
struct DurationArgument: ExpressibleByArgument {
    var duration: Duration
    var text: String

    init(_ text: String) {
        self.init(argument: text)!
    }

    init?(argument: String) {
        guard let duration = Duration(parsing: argument) else { return nil }
        self.duration = duration
        text = argument
    }

    var defaultValueDescription: String { text }
}

import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import SwitchboardCore
import SwitchboardHealth
import UnixSignals

/// The running router: both listeners, the health checker and the reload triggers, as one `ServiceGroup`.
///
/// ```swift
/// let switchboard = try Switchboard(configuration: configuration, logger: logger)
/// try await switchboard.run(gracefulShutdownSignals: [.sigterm, .sigint])
/// ```
public struct Switchboard: Sendable {
    /// Which listener `onListening` reports.
    public enum Listener: Sendable {
        case webhook
        case admin
    }

    public let configuration: ServerConfiguration
    public let state: RoutingState
    public let metrics: SwitchboardMetrics
    public let checker: HealthChecker
    public let reloader: RoutesReloader
    public let decisions: DecisionLog
    /// Recent probe latencies per backend, for the operator page.
    public let probeHistory: ProbeHistory
    let verifier: WebhookVerifier
    let cache: DeliveryCache
    let logger: Logger

    /// Loads the routes file and prepares every component; nothing listens or probes until `run`.
    /// - Throws: `SigningKeyError` without a usable key, `ConfigError` for an invalid routes file.
    public init(configuration: ServerConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        verifier = try WebhookVerifier(keys: configuration.signingKeys)
        let table = try RoutingTable.load(path: configuration.routesPath, environment: configuration.environment)
        for warning in table.warnings { logger.warning("\(warning)") }
        let state = RoutingState(table: table)
        let metrics = SwitchboardMetrics()
        let probeHistory = ProbeHistory()
        let checker = HealthChecker(
            targets: table.probeTargets,
            logger: logger,
            onProbe: { target, result in
                metrics.probe(backend: target.name, result: result)
                probeHistory.record(backend: target.name, result: result)
            },
            onChange: { states in
                state.apply(states: states)
                probeHistory.retain(states.keys)
                metrics.backends(states)
            }
        )
        metrics.backends(checker.states())
        self.state = state
        self.metrics = metrics
        self.probeHistory = probeHistory
        self.checker = checker
        self.reloader = RoutesReloader(
            path: configuration.routesPath, environment: configuration.environment, state: state, checker: checker,
            metrics: metrics, logger: logger
        )
        decisions = DecisionLog(logger: logger)
        cache = DeliveryCache(capacity: configuration.deliveryCacheCapacity)
    }

    /// Serves until a graceful shutdown (one of `gracefulShutdownSignals`, or task cancellation): then stops
    /// accepting, finishes in-flight requests, stops probing and returns.
    /// - Parameters:
    ///   - gracefulShutdownSignals: signals that start a graceful shutdown.
    ///   - services: services that start before Switchboard's own and stop after them, such as the `LogSink`.
    ///   - onListening: called with each listener's bound port once it accepts connections.
    public func run(
        gracefulShutdownSignals: [UnixSignal] = [],
        startingWith services: [any Service] = [],
        onListening: @escaping @Sendable (Listener, Int) async -> Void = { _, _ in }
    ) async throws {
        let webhookRouter = Router()
        WebhookController(
            verifier: verifier, cache: cache, state: state, metrics: metrics, decisions: decisions, logger: logger,
            maxBodySize: configuration.maxBodySize
        ).addRoutes(to: webhookRouter, path: configuration.webhookPath)
        let webhookApp = Application(
            router: webhookRouter,
            configuration: .init(address: .hostname(configuration.listen.host, port: configuration.listen.port)),
            onServerRunning: { channel in await onListening(.webhook, channel.localAddress?.port ?? 0) },
            logger: logger
        )

        let adminRouter = Router()
        AdminController(
            state: state, checker: checker, reloader: reloader, metrics: metrics, decisions: decisions,
            token: configuration.adminToken, probeHistory: probeHistory
        ).addRoutes(to: adminRouter)
        let adminApp = Application(
            router: adminRouter,
            configuration: .init(address: .hostname(configuration.adminListen.host, port: configuration.adminListen.port)),
            onServerRunning: { channel in await onListening(.admin, channel.localAddress?.port ?? 0) },
            logger: logger
        )

        var services = services + [checker, HangupReloader(reloader: reloader)]
        if configuration.watchRoutes {
            services.append(RoutesWatcher(path: configuration.routesPath, reloader: reloader, logger: logger))
        }
        // Shutdown runs in reverse: the webhook listener drains first, probing stops last.
        services += [adminApp, webhookApp]
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: gracefulShutdownSignals, logger: logger)
        )
        try await group.run()
    }
}

/// Reloads the routes file on `SIGHUP`.
struct HangupReloader: Service {
    let reloader: RoutesReloader

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            await reloader.reload(reason: "SIGHUP")
        }
    }
}

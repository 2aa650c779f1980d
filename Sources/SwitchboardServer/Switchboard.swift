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
    /// Live calls per backend, drain flags and retry answers: this process's own, or shared through the store.
    public let ledger: any CallLedger
    /// The shared store, with `--store`.
    public let store: PostgresLedger?
    /// Writes call records to the store, with `--store` and call records on.
    let recorder: CallRecorder?
    let capacityMetrics: CapacityMetrics
    /// The webhook listener's certificate pair (`--tls-cert`), nil for plain HTTP.
    public let webhookCertificates: CertificateStore?
    /// The admin listener's certificate pair (`--admin-tls-cert`), nil for plain HTTP.
    public let adminCertificates: CertificateStore?
    /// Recent probe latencies per backend, for the operator page.
    public let probeHistory: ProbeHistory
    let verifier: WebhookVerifier
    let logger: Logger

    /// Loads the routes file and prepares every component; nothing listens or probes until `run`.
    /// - Throws: `SigningKeyError` without a usable key, `ConfigError` for an invalid routes file,
    ///   `CertificateError` for a certificate pair that cannot be used, `StoreURLError` for a store URL that
    ///   cannot be used.
    public init(configuration: ServerConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        verifier = try WebhookVerifier(keys: configuration.signingKeys)
        webhookCertificates = try configuration.webhookTLS.map { files throws(CertificateError) in
            try CertificateStore(files: files)
        }
        adminCertificates = try configuration.adminTLS.map { files throws(CertificateError) in
            try CertificateStore(files: files)
        }
        let loadedAt = Date(), started = ContinuousClock.now
        let table = try RoutingTable.load(path: configuration.routesPath, environment: configuration.environment)
        for warning in table.warnings { logger.warning("\(warning)") }
        let state = RoutingState(table: table, loadedAt: loadedAt)
        state.recordReload(trigger: "startup", at: loadedAt, success: true, duration: started.duration(to: .now))
        let metrics = SwitchboardMetrics()
        let probeHistory = ProbeHistory()
        let checker = HealthChecker(
            targets: table.probeTargets,
            logger: logger,
            signingKeys: configuration.signingKeys,
            onProbe: { target, result in
                metrics.probe(backend: target.name, result: result)
                probeHistory.record(backend: target.name, result: result)
            },
            onChange: { states in
                state.apply(states: states)
                probeHistory.retain(states.keys)
                metrics.backends(states)
            },
            onReports: { reports in state.apply(reports: reports) }
        )
        metrics.backends(checker.states())
        metrics.follow(table)
        self.state = state
        self.metrics = metrics
        self.probeHistory = probeHistory
        self.checker = checker
        let cache = DeliveryCache(capacity: configuration.deliveryCacheCapacity)
        var memory: CapacityLedger?
        if let settings = configuration.store {
            let store = try PostgresLedger(
                settings: settings, metrics: StoreMetrics(registry: metrics.registry), logger: logger, cache: cache
            )
            self.store = store
            ledger = store
            recorder = settings.records.map { CallRecorder(ledger: store, settings: $0) }
        } else {
            let ledger = CapacityLedger(cache: cache)
            memory = ledger
            store = nil
            recorder = nil
            self.ledger = ledger
        }
        self.reloader = RoutesReloader(
            path: configuration.routesPath, environment: configuration.environment, state: state, checker: checker,
            metrics: metrics, logger: logger
        ) { [memory] table in memory?.retain(Set(table.backends.map(\.name))) }
        decisions = DecisionLog(logger: logger)
        capacityMetrics = CapacityMetrics(registry: metrics.registry)
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
        // The store (or the in-memory ledger's sweeper) stops after the listeners, so in-flight calls finish.
        var services = services
        if let store {
            services.append(StoreSync(ledger: store) { [state] in
                let snapshot = state.snapshot
                return Dictionary(
                    uniqueKeysWithValues: snapshot.table.backends.indices.map { (snapshot.table.backends[$0].name, snapshot.health[$0]) }
                )
            })
            // After the store's service, so it stops before the pool does and can write what is queued.
            if let recorder { services.append(recorder) }
        } else if let ledger = ledger as? CapacityLedger {
            services.append(CapacitySweeper(ledger: ledger, logger: logger))
        }
        services += [
            checker, MemoryReclaimer(logger: logger),
            HangupReloader(reloader: reloader, reloadCertificates: { reloadCertificates(trigger: "SIGHUP") }),
        ]
        if configuration.watchRoutes {
            services.append(RoutesWatcher(path: configuration.routesPath, reloader: reloader, state: state, logger: logger))
            let certificateFiles = [webhookCertificates, adminCertificates].compactMap { $0?.files }
            if !certificateFiles.isEmpty {
                services.append(CertificateWatcher(
                    paths: certificateFiles.flatMap { [$0.certificate, $0.key] },
                    reload: { reloadCertificates(trigger: "file change") }, logger: logger
                ))
            }
        }
        // Shutdown runs in reverse: the webhook listener drains first, probing stops last. Both listeners close
        // what is still open once the shutdown has lasted `shutdownTimeout`.
        let shutdownClock = ShutdownClock(timeout: configuration.shutdownTimeout)
        services += [
            listener(
                .admin, router: adminRouter(), at: configuration.adminListen, limits: configuration.adminLimits,
                certificates: adminCertificates, clock: shutdownClock, onListening: onListening
            ),
            listener(
                .webhook, router: webhookRouter(), at: configuration.listen, limits: configuration.webhookLimits,
                certificates: webhookCertificates, clock: shutdownClock, onListening: onListening
            ),
        ]
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: gracefulShutdownSignals, logger: logger)
        )
        try await group.run()
    }

    /// One listener serving `router`, which closes what it still has open once a graceful shutdown has lasted
    /// `--shutdown-timeout`.
    private func listener(
        _ which: Listener, router: Router<BasicRequestContext>, at address: ServerConfiguration.Address,
        limits: ListenerLimits, certificates: CertificateStore?, clock: ShutdownClock,
        onListening: @escaping @Sendable (Listener, Int) async -> Void
    ) -> BoundedShutdown {
        let name = which == .webhook ? "webhook" : "admin"
        let connections = ConnectionRegistry(limit: limits.maxConnections)
        let metrics = metrics
        let service = ListenerService(
            responder: router.buildResponder(),
            server: .guarded(limits: limits, registry: connections, certificates: certificates) { reason in
                metrics.connectionClosed(listener: name, reason: reason)
            },
            address: .hostname(address.host, port: address.port),
            onServerRunning: { channel in await onListening(which, channel.localAddress?.port ?? 0) },
            logger: logger
        )
        return BoundedShutdown(listener: service, name: name, connections: connections, clock: clock, logger: logger)
    }
}

/// Reloads the routes file and the certificate pairs on `SIGHUP`.
struct HangupReloader: Service {
    let reloader: RoutesReloader
    var reloadCertificates: @Sendable () -> Void = {}

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            await reloader.reload(reason: "SIGHUP")
            reloadCertificates()
        }
    }
}

extension Switchboard {
    /// Reads every listener's certificate pair again (`SIGHUP`, `POST /admin/reload`, a file watcher): new
    /// connections use the new pair, open ones keep theirs; a pair that fails to load leaves the current one in
    /// place, logged, shown in `/status` and counted in `switchboard_tls_reloads_total{result="failure"}`.
    /// Nothing happens for a plain-HTTP listener.
    public func reloadCertificates(trigger: String = "api") {
        for (listener, store) in [("webhook", webhookCertificates), ("admin", adminCertificates)] {
            guard let store else { continue }
            switch store.reload() {
            case .success(let status):
                metrics.tlsReload(listener: listener, success: true)
                logger.info(
                    "certificate reloaded",
                    metadata: ["listener": "\(listener)", "trigger": "\(trigger)",
                               "not_after": "\(status.notAfter.formatted(.iso8601))"]
                )
            case .failure(let error):
                metrics.tlsReload(listener: listener, success: false)
                logger.error(
                    "certificate reload failed; the current certificate stays",
                    metadata: ["listener": "\(listener)", "trigger": "\(trigger)", "error": "\(error)"]
                )
            }
        }
    }
}

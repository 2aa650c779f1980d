import CoreMetrics
import Metrics
import Prometheus
import SwitchboardCore
import SwitchboardHealth
import Synchronization

/// Switchboard's Prometheus metrics (names and labels in docs/http.md), recorded through swift-metrics.
///
/// Each instance owns its registry, so tests and several servers in one process never share counters and
/// nothing global is bootstrapped.
public final class SwitchboardMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let webhooks: [String: CoreMetrics.Counter]
    private let webhookDuration: CoreMetrics.Timer
    private let reloads: [Bool: CoreMetrics.Counter]
    private let logLinesSuppressed: CoreMetrics.Counter
    /// The labelled counters made so far, and the backend and route names of the running table (nil before the
    /// first `follow`): per-backend and per-route series outside them are removed on a reload and never created
    /// again (a result or decision still in flight from the old table is dropped). One lock, taken once per decision.
    private let dynamic = Mutex<(counters: [CounterKey: CoreMetrics.Counter], names: Names?)>(([:], nil))
    private typealias Names = (backends: Set<String>, routes: Set<String>)
    /// `switchboard_backend_up` and `switchboard_probe_duration_seconds`, one series per backend.
    private let backendSeries = BackendSeries()

    /// `outcome` label values of `switchboard_webhooks_total`.
    public static let outcomes = ["answer", "reject", "unauthorized", "bad_request", "conflict", "too_large"]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = [
            "switchboard_webhook_duration_seconds": [
                .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
                .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(50), .milliseconds(250),
            ],
        ]
        self.factory = factory
        webhooks = Dictionary(uniqueKeysWithValues: Self.outcomes.map { outcome in
            (outcome, CoreMetrics.Counter(label: "switchboard_webhooks_total", dimensions: [("outcome", outcome)], factory: factory))
        })
        webhookDuration = CoreMetrics.Timer(label: "switchboard_webhook_duration_seconds", dimensions: [], factory: factory)
        logLinesSuppressed = CoreMetrics.Counter(label: "switchboard_log_lines_suppressed_total", dimensions: [], factory: factory)
        reloads = [
            true: CoreMetrics.Counter(label: "switchboard_reloads_total", dimensions: [("result", "success")], factory: factory),
            false: CoreMetrics.Counter(label: "switchboard_reloads_total", dimensions: [("result", "failure")], factory: factory),
        ]
    }

    /// Counts one webhook by outcome and records its handling time.
    func webhook(outcome: String, duration: Duration) {
        webhooks[outcome]?.increment()
        webhookDuration.record(duration: duration)
    }

    func decision(route: String?, backend: String?) {
        counter("switchboard_decisions_total", ("route", route ?? "none"), ("backend", backend ?? "none")) { names in
            Self.isCurrent(backend: backend, route: route, in: names)
        }?.increment()
    }

    /// Makes the per-backend and per-route series follow a newly installed table: the probe, failure and decision
    /// series of backends and routes it no longer has are removed from `/metrics` (`switchboard_backend_up` follows
    /// the health checker's map).
    func follow(backends: Set<String>, routes: Set<String>) {
        backendSeries.keepDurations(of: backends)
        let removedCounters = dynamic.withLock { dynamic in
            dynamic.names = (backends, routes)
            let gone = dynamic.counters.filter { key, _ in
                switch key.label {
                case "switchboard_probe_failures_total":
                    return !backends.contains(key.first)
                case "switchboard_decisions_total":
                    return (key.first != "none" && !routes.contains(key.first))
                        || (key.second != "none" && !backends.contains(key.second))
                default:
                    return false
                }
            }
            for key in gone.keys { dynamic.counters[key] = nil }
            return Array(gone.values)
        }
        for counter in removedCounters { counter.destroy() }
    }

    func follow(_ table: RoutingTable) {
        follow(backends: Set(table.backends.map(\.name)), routes: Set(table.routes.map(\.name)))
    }

    /// Whether the names belong to the running table (always true before the first `follow`).
    private static func isCurrent(backend: String?, route: String?, in names: Names?) -> Bool {
        guard let names else { return true }
        return (backend.map { names.backends.contains($0) } ?? true) && (route.map { names.routes.contains($0) } ?? true)
    }

    func reload(success: Bool) {
        reloads[success]?.increment()
    }

    /// Sets `switchboard_backend_up` for every backend and removes the gauges of backends no longer configured.
    func backends(_ states: [String: BackendState]) {
        backendSeries.setUp(states.mapValues(\.isEligible))
    }

    func probe(backend: String, result: ProbeResult) {
        guard dynamic.withLock({ Self.isCurrent(backend: backend, route: nil, in: $0.names) }) else { return }
        backendSeries.recordDuration(result.latency, backend: backend)
        if let reason = result.failure {
            counter("switchboard_probe_failures_total", ("backend", backend), ("reason", reason.rawValue)) { names in
                Self.isCurrent(backend: backend, route: nil, in: names)
            }?.increment()
        }
    }

    /// Counts a connection Switchboard closed itself: `reason` is `limit`, `header_timeout` or `body_timeout`.
    func connectionClosed(listener: String, reason: String) {
        counter("switchboard_connections_closed_total", ("listener", listener), ("reason", reason))?.increment()
    }

    /// Counts a certificate reload (`switchboard_tls_reloads_total{listener,result}`).
    func tlsReload(listener: String, success: Bool) {
        counter("switchboard_tls_reloads_total", ("listener", listener), ("result", success ? "success" : "failure"))?
            .increment()
    }

    /// Counts a log line dropped by a rate limit (`switchboard_log_lines_suppressed_total`).
    func logLineSuppressed() {
        logLinesSuppressed.increment()
    }

    /// The Prometheus text exposition.
    public func render() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        backendSeries.emit(into: &buffer)
        return buffer
    }

    /// A labelled counter by its two label values (hashing them, without building a string per call).
    private struct CounterKey: Hashable {
        var label: String
        var first: String
        var second: String
    }

    /// The counter, made on first use; nil when `wanted` (given the running table's names) says no.
    private func counter(
        _ label: String, _ first: (String, String), _ second: (String, String),
        if wanted: (Names?) -> Bool = { _ in true }
    ) -> CoreMetrics.Counter? {
        let key = CounterKey(label: label, first: first.1, second: second.1)
        return dynamic.withLock { dynamic in
            guard wanted(dynamic.names) else { return nil }
            if let counter = dynamic.counters[key] { return counter }
            let counter = CoreMetrics.Counter(label: label, dimensions: [first, second], factory: factory)
            dynamic.counters[key] = counter
            return counter
        }
    }
}

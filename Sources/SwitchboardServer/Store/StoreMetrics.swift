import CoreMetrics
import Metrics
import Prometheus
import Synchronization

/// The shared store's metrics (docs/http.md#metrics): whether it is available, what each operation costs, and
/// the calls decided without it, and the call records written and dropped.
public final class StoreMetrics: Sendable {
    /// The operations timed in `switchboard_store_operation_duration_seconds{operation}`.
    static let operations = ["route", "take", "release", "drain", "occupancy", "refresh", "heartbeat", "reconcile", "records"]

    private let up: CoreMetrics.Gauge
    private let durations: [String: CoreMetrics.Timer]
    private let failures: [String: CoreMetrics.Counter]
    private let fallbacks: [StoreSettings.Unavailable: CoreMetrics.Counter]
    /// Entries per statement of the batched operations, `route` and `release`: how much concurrent requests share.
    private let batchSizes: [String: CoreMetrics.Recorder]
    private let writtenRecords: CoreMetrics.Counter
    private let droppedRecords: CoreMetrics.Counter

    public init(registry: PrometheusCollectorRegistry) {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["switchboard_store_operation_duration_seconds"] = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(150),
        ]
        factory.valueHistogramBuckets["switchboard_store_batch_size"] = [1, 2, 4, 8, 16, 32, 64]
        batchSizes = Dictionary(uniqueKeysWithValues: ["route", "release"].map { name in
            (name, CoreMetrics.Recorder(
                label: "switchboard_store_batch_size", dimensions: [("operation", name)], aggregate: true,
                factory: factory
            ))
        })
        up = CoreMetrics.Gauge(label: "switchboard_store_up", dimensions: [], factory: factory)
        durations = Dictionary(uniqueKeysWithValues: Self.operations.map { name in
            (name, CoreMetrics.Timer(
                label: "switchboard_store_operation_duration_seconds", dimensions: [("operation", name)], factory: factory
            ))
        })
        failures = Dictionary(uniqueKeysWithValues: Self.operations.map { name in
            (name, CoreMetrics.Counter(
                label: "switchboard_store_operation_failures_total", dimensions: [("operation", name)], factory: factory
            ))
        })
        fallbacks = Dictionary(uniqueKeysWithValues: StoreSettings.Unavailable.allCases.map { policy in
            (policy, CoreMetrics.Counter(
                label: "switchboard_store_fallback_decisions_total", dimensions: [("policy", policy.rawValue)],
                factory: factory
            ))
        })
        writtenRecords = CoreMetrics.Counter(label: "switchboard_call_records_written_total", dimensions: [], factory: factory)
        droppedRecords = CoreMetrics.Counter(label: "switchboard_call_records_dropped_total", dimensions: [], factory: factory)
        up.record(0)
    }

    func available(_ available: Bool) { up.record(available ? 1 : 0) }

    func operation(_ name: String, duration: Duration) { durations[name]?.record(duration: duration) }

    func failure(_ name: String) { failures[name]?.increment() }

    func batch(_ name: String, size: Int) { batchSizes[name]?.record(size) }

    func fallback(policy: StoreSettings.Unavailable) { fallbacks[policy]?.increment() }

    /// Call records (and completions) written to the store.
    func recordsWritten(_ count: Int) { writtenRecords.increment(by: count) }

    /// A call record (or completion) dropped: the queue was full.
    func recordsDropped() { droppedRecords.increment() }
}

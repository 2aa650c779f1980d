import CoreMetrics
import Prometheus
import SwitchboardCore
import Synchronization

/// The capacity metrics (docs/http.md#metrics): events by type and outcome, overflows, and per-backend live calls
/// and limits.
///
/// The two gauges are set from the ledger when `/metrics` is scraped, so taking and releasing slots costs the
/// request path nothing.
public final class CapacityMetrics: Sendable {
    private let factory: PrometheusMetricsFactory
    private let counters = Mutex<[Key: CoreMetrics.Counter]>([:])
    private let gauges = Mutex<[Key: CoreMetrics.Gauge]>([:])
    /// Event types seen so far; past `maxEventTypes` new ones are counted as `other`.
    private let eventTypes = Mutex<Set<String>>([])
    static let maxEventTypes = 32

    private struct Key: Hashable {
        var label: String
        var first: String
        var second: String = ""
    }

    init(registry: PrometheusCollectorRegistry) {
        factory = PrometheusMetricsFactory(registry: registry)
    }

    /// Counts one request to the events endpoint.
    func event(type: String?, outcome: String) {
        let type = type.map(label(forEventType:)) ?? "none"
        counter(Key(label: "switchboard_events_total", first: type, second: outcome)) {
            [("type", type), ("outcome", outcome)]
        }.increment()
    }

    /// Counts a call that could not go to `backend` because it was full.
    func overflow(backend: String) {
        counter(Key(label: "switchboard_capacity_overflows_total", first: backend)) { [("backend", backend)] }.increment()
    }

    /// Sets `switchboard_backend_active_calls` for every backend of the table and `switchboard_backend_max_calls`
    /// for those with a limit; removes the series of backends (and limits) no longer there.
    func refresh(table: RoutingTable, health: HealthView, occupancies: [String: Occupancy]) {
        var wanted: [Key: Int] = [:]
        for (index, backend) in table.backends.enumerated() {
            wanted[Key(label: "switchboard_backend_active_calls", first: backend.name)] =
                occupancies[backend.name]?.active ?? 0
            if let limit = table.limit(of: index, health: health) {
                wanted[Key(label: "switchboard_backend_max_calls", first: backend.name)] = limit
            }
        }
        gauges.withLock { gauges in
            for (key, gauge) in gauges where wanted[key] == nil {
                gauge.destroy()
                gauges[key] = nil
            }
            for (key, value) in wanted {
                let gauge = gauges[key] ?? CoreMetrics.Gauge(label: key.label, dimensions: [("backend", key.first)], factory: factory)
                gauges[key] = gauge
                gauge.record(value)
            }
        }
    }

    /// The event type as a label: itself when it looks like an event type and fewer than `maxEventTypes` have
    /// been seen, else `other` (the body is signed, but labels must stay few).
    private func label(forEventType type: String) -> String {
        let allowed = type.utf8.count <= 64 && !type.isEmpty
            && type.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 46 || $0 == 95 || $0 == 45 }
        guard allowed else { return "other" }
        return eventTypes.withLock { seen in
            if seen.contains(type) { return type }
            guard seen.count < Self.maxEventTypes else { return "other" }
            seen.insert(type)
            return type
        }
    }

    private func counter(_ key: Key, dimensions: () -> [(String, String)]) -> CoreMetrics.Counter {
        counters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = CoreMetrics.Counter(label: key.label, dimensions: dimensions(), factory: factory)
            counters[key] = counter
            return counter
        }
    }
}

import SwitchboardCore
import SwitchboardHealth
import Synchronization

/// The latencies of each backend's recent probes, for the operator page's sparklines (`recent_latencies_ms` in
/// `/status`).
///
/// Bounded: at most `capacity` results per backend, and only backends of the running table (`retain`).
public final class ProbeHistory: Sendable {
    public let capacity: Int
    private let rings: Mutex<[String: Ring]>

    struct Ring {
        /// Milliseconds; nil for a failed probe.
        var values: [Double?] = []
        var next = 0

        mutating func append(_ value: Double?, capacity: Int) {
            if values.count < capacity {
                values.append(value)
            } else {
                values[next] = value
            }
            next = (next + 1) % capacity
        }
    }

    public init(capacity: Int = 60) {
        self.capacity = max(1, capacity)
        rings = Mutex([:])
    }

    func record(backend: String, result: ProbeResult) {
        // Microsecond precision is plenty for a sparkline and keeps `/status` short.
        let value: Double? = result.ok ? (result.latency.milliseconds * 1_000).rounded() / 1_000 : nil
        rings.withLock { rings in
            rings[backend, default: Ring()].append(value, capacity: capacity)
        }
    }

    /// Forgets backends that are not in `names` (removed by a reload).
    func retain(_ names: some Sequence<String>) {
        let keep = Set(names)
        rings.withLock { rings in rings = rings.filter { keep.contains($0.key) } }
    }

    /// A backend's recent probe latencies in milliseconds, oldest first; nil for a failed probe.
    public func latencies(of backend: String) -> [Double?] {
        rings.withLock { rings in
            guard let ring = rings[backend] else { return [] }
            guard ring.values.count == capacity else { return ring.values }
            return Array(ring.values[ring.next...] + ring.values[..<ring.next])
        }
    }
}

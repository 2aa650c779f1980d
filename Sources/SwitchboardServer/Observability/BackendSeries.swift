import Prometheus
import Synchronization

/// The per-backend series of `/metrics`, `switchboard_backend_up` and `switchboard_probe_duration_seconds`, kept and
/// written here rather than registered series by series in the Prometheus registry.
///
/// Registering one more labelled series copies its family's whole map of series (swift-prometheus 2.4), so a table
/// of 10,000 backends spent seconds of start-up registering them (docs/performance.md, "Start-up"). The text is
/// the registry's: the same lines, label and number formats and cumulative buckets.
final class BackendSeries: Sendable {
    static let upName = "switchboard_backend_up"
    static let durationName = "switchboard_probe_duration_seconds"
    /// The probe duration buckets' upper bounds.
    static let bounds: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5),
    ]

    private struct Durations {
        /// Results at or under each bound (cumulative, as Prometheus buckets are).
        var buckets = [Int](repeating: 0, count: BackendSeries.bounds.count)
        var sum: Duration = .zero
        var count = 0

        mutating func record(_ duration: Duration) {
            for index in buckets.indices where BackendSeries.bounds[index] >= duration { buckets[index] += 1 }
            sum += duration
            count += 1
        }
    }

    private struct Series {
        var up: [String: Bool] = [:]
        var durations: [String: Durations] = [:]
    }

    private let series = Mutex(Series())

    /// Sets `switchboard_backend_up` of exactly these backends (eligible or not); others lose theirs.
    func setUp(_ eligible: [String: Bool]) {
        series.withLock { $0.up = eligible }
    }

    /// Records one probe's duration for `backend`.
    func recordDuration(_ duration: Duration, backend: String) {
        series.withLock { series in
            series.durations[backend, default: Durations()].record(duration)
        }
    }

    /// Removes the duration series of backends not in `backends`.
    func keepDurations(of backends: Set<String>) {
        series.withLock { series in
            series.durations = series.durations.filter { backends.contains($0.key) }
        }
    }

    /// Appends both families in the exposition format, as the registry writes them.
    func emit(into buffer: inout [UInt8]) {
        let series = series.withLock { $0 }
        if !series.up.isEmpty {
            buffer.append(contentsOf: "# TYPE \(Self.upName) gauge\n".utf8)
            for (backend, eligible) in series.up.sorted(by: { $0.key < $1.key }) {
                buffer.append(contentsOf: "\(Self.upName){backend=\"\(backend)\"} \(eligible ? "1.0" : "0.0")\n".utf8)
            }
        }
        if !series.durations.isEmpty {
            buffer.append(contentsOf: "# TYPE \(Self.durationName) histogram\n".utf8)
            for (backend, durations) in series.durations.sorted(by: { $0.key < $1.key }) {
                let name = Self.durationName, labels = "backend=\"\(backend)\""
                for (bound, count) in zip(Self.bounds, durations.buckets) {
                    let le = bound.bucketRepresentation
                    buffer.append(contentsOf: "\(name)_bucket{\(labels),le=\"\(le)\"} \(count)\n".utf8)
                }
                buffer.append(contentsOf: "\(name)_bucket{\(labels),le=\"+Inf\"} \(durations.count)\n".utf8)
                buffer.append(contentsOf: "\(name)_sum{\(labels)} \(durations.sum.bucketRepresentation)\n".utf8)
                buffer.append(contentsOf: "\(name)_count{\(labels)} \(durations.count)\n".utf8)
            }
        }
    }
}

import CoreMetrics
import Metrics
import Prometheus
import Testing

@testable import SwitchboardServer

struct BackendSeriesTests {
    /// The series read exactly as the Prometheus registry writes the same gauges and timers made through swift-metrics,
    /// as they were before (lines compared as sets: the registry writes series in no fixed order).
    @Test func seriesReadAsTheRegistryWritesThem() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = [BackendSeries.durationName: BackendSeries.bounds]
        let series = BackendSeries()
        let durations: [(String, Duration)] = [
            ("a", .microseconds(800)), ("a", .milliseconds(30)), ("b", .seconds(7)), ("a", .milliseconds(5)),
        ]
        for (backend, duration) in durations {
            CoreMetrics.Timer(label: BackendSeries.durationName, dimensions: [("backend", backend)], factory: factory)
                .record(duration: duration)
            series.recordDuration(duration, backend: backend)
        }
        for (backend, eligible) in [("a", true), ("b", false)] {
            CoreMetrics.Gauge(label: BackendSeries.upName, dimensions: [("backend", backend)], factory: factory)
                .record(eligible ? 1 : 0)
        }
        series.setUp(["a": true, "b": false])
        var expected: [UInt8] = []
        registry.emit(into: &expected)
        var written: [UInt8] = []
        series.emit(into: &written)
        let lines = { (bytes: [UInt8]) in Set(String(decoding: bytes, as: UTF8.self).split(separator: "\n")) }
        #expect(lines(written) == lines(expected))
        #expect(lines(written).contains(#"switchboard_probe_duration_seconds_bucket{backend="a",le="0.005"} 2"#))
    }

    @Test func removedBackendsLoseTheirSeries() {
        let series = BackendSeries()
        series.recordDuration(.milliseconds(2), backend: "gone")
        series.setUp(["gone": true, "kept": true])
        series.setUp(["kept": true])
        series.keepDurations(of: ["kept"])
        var written: [UInt8] = []
        series.emit(into: &written)
        #expect(
            String(decoding: written, as: UTF8.self)
                == "# TYPE switchboard_backend_up gauge\nswitchboard_backend_up{backend=\"kept\"} 1.0\n"
        )
    }
}

import Foundation
import SwitchboardCore
import Testing

@testable import SwitchboardHealth

struct BackendRecordTests {
    private let timing = HealthTiming(
        interval: .seconds(2), timeout: .seconds(1), rise: 2, fall: 3, fastInterval: .milliseconds(500), jitter: 0.1)
    private let ok = ProbeResult.success(latency: .milliseconds(1))
    private let refused = ProbeResult.failure(.refused, "connection refused", latency: .milliseconds(1))

    private func record() -> BackendRecord {
        BackendRecord(id: 1, target: target("a", .websocket, "ws://127.0.0.1:1/", timing: timing))
    }

    /// Applies `results` in order and returns the state after each.
    private func states(_ results: [ProbeResult], from start: BackendRecord? = nil) -> [BackendState] {
        var record = start ?? record()
        return results.map { result in
            _ = record.apply(result)
            return record.status.state
        }
    }

    @Test func unknownRisesAfterRiseSuccesses() {
        #expect(states([ok, ok, ok]) == [.unknown, .healthy, .healthy])
    }

    @Test func unknownFallsAfterFallFailures() {
        #expect(states([refused, refused, refused]) == [.unknown, .unknown, .unhealthy])
    }

    @Test func healthyFallsOnlyOnConsecutiveFailures() {
        #expect(states([ok, ok, refused, refused, ok, refused, refused, refused]) == [
            .unknown, .healthy, .healthy, .healthy, .healthy, .healthy, .healthy, .unhealthy,
        ])
    }

    @Test func unhealthyRisesAfterRiseSuccesses() {
        #expect(states([refused, refused, refused, ok, refused, ok, ok]).suffix(4) == [
            .unhealthy, .unhealthy, .unhealthy, .healthy,
        ])
    }

    @Test func applyReportsOnlyRealChanges() {
        var record = record()
        let changes = [record.apply(ok), record.apply(ok), record.apply(ok)]
        #expect(changes == [false, true, false])
        #expect(record.status.consecutiveSuccesses == 3)
        #expect(record.status.lastProbe == ok)
    }

    @Test func cadenceIsFastWhileUnknownOrDisagreeing() {
        var record = record()
        #expect(record.nextDelay(random: 0) == .milliseconds(500))  // unknown
        _ = record.apply(ok)
        _ = record.apply(ok)
        #expect(record.nextDelay(random: 0) == .seconds(2))  // healthy and agreeing
        _ = record.apply(refused)
        #expect(record.nextDelay(random: 0) == .milliseconds(500))  // healthy but failing
    }

    @Test(arguments: [0.0, 0.5, 0.999])
    func jitterOnlyShortensTheInterval(_ random: Double) {
        var record = record()
        _ = record.apply(ok)
        _ = record.apply(ok)
        let delay = record.nextDelay(random: random)
        #expect(delay <= .seconds(2))
        #expect(delay >= .milliseconds(1800))
    }
}

import SwitchboardCore

/// One backend as the health checker tracks it: its verdict, counters and probe cadence.
///
/// The state machine: `unknown` becomes `healthy` after `rise` consecutive successes or `unhealthy`
/// after `fall` consecutive failures; `healthy` falls after `fall` consecutive failures; `unhealthy`
/// rises after `rise` consecutive successes.
struct BackendRecord: Sendable {
    /// Identifies this record across reloads; a target that changed gets a new record.
    let id: UInt64
    let target: ProbeTarget
    private(set) var status: BackendStatus
    /// A probe for this record is running in the engine.
    var inFlight = false
    /// Bumped whenever the record is (re)scheduled, so stale queue entries can be recognised.
    var stamp: UInt64 = 0

    init(id: UInt64, target: ProbeTarget) {
        self.id = id
        self.target = target
        self.status = BackendStatus(name: target.name, url: target.check.url)
    }

    /// Counts one result and moves the state; returns true when the state changed.
    mutating func apply(_ result: ProbeResult) -> Bool {
        let timing = target.check.timing
        status.lastProbe = result
        status.report = result.report
        if result.ok {
            status.consecutiveSuccesses += 1
            status.consecutiveFailures = 0
        } else {
            status.consecutiveFailures += 1
            status.consecutiveSuccesses = 0
        }
        let before = status.state
        let rise = max(1, timing.rise)
        let fall = max(1, timing.fall)
        switch status.state {
        case .unknown:
            if status.consecutiveSuccesses >= rise {
                status.state = .healthy
            } else if status.consecutiveFailures >= fall {
                status.state = .unhealthy
            }
        case .healthy:
            if status.consecutiveFailures >= fall { status.state = .unhealthy }
        case .unhealthy:
            if status.consecutiveSuccesses >= rise { status.state = .healthy }
        }
        return status.state != before
    }

    /// Whether the record is settled: its state is known and the last result agrees with it.
    /// An unsettled backend is probed every `fastInterval`, a settled one every `interval`.
    var isSettled: Bool {
        switch status.state {
        case .unknown: false
        case .healthy: status.lastProbe?.ok ?? true
        case .unhealthy: !(status.lastProbe?.ok ?? false)
        }
    }

    /// The time from the start of the last probe to the start of the next.
    ///
    /// Jitter only shortens the interval (`interval × (1 − jitter × random)`), so it spreads probes over
    /// time without ever delaying detection beyond the configured interval. Counting from the previous
    /// probe's start means a probe that timed out is followed at once by the fast re-probe.
    /// - Parameter random: a number in `0..<1`.
    func nextDelay(random: Double) -> Duration {
        let timing = target.check.timing
        let base = isSettled ? timing.interval : timing.fastInterval
        let jitter = min(max(timing.jitter, 0), 1)
        return max(.zero, base * (1 - jitter * random))
    }
}

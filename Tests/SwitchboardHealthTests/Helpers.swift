import SwitchboardCore
import SwitchboardHealth

/// Short timings so state machine tests finish in well under a second per transition.
let fastTiming = HealthTiming(
    interval: .milliseconds(100),
    timeout: .milliseconds(300),
    rise: 2,
    fall: 2,
    fastInterval: .milliseconds(40),
    jitter: 0.1
)

/// For probes expected to finish (succeed, or fail for another reason than a timeout): a timeout far above what
/// they need, so a busy machine cannot turn them into timeouts.
let patientTiming = HealthTiming(
    interval: .milliseconds(100), timeout: .seconds(5), rise: 2, fall: 2, fastInterval: .milliseconds(40), jitter: 0.1
)

func target(
    _ name: String,
    _ kind: HealthCheck.Kind,
    _ url: String,
    timing: HealthTiming = fastTiming
) -> ProbeTarget {
    ProbeTarget(name: name, check: HealthCheck(kind: kind, url: url, timing: timing))
}

/// Runs `checker` in the background for the duration of `body`, then cancels it and waits for it to stop.
func running<T: Sendable>(_ checker: HealthChecker, _ body: () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await checker.run() }
        defer { tasks.cancelAll() }
        return try await body()
    }
}

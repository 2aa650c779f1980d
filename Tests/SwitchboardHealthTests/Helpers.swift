import SwitchboardCore
import SwitchboardHealth

/// Short intervals so state machine tests finish in well under a second per transition. The timeout is generous:
/// a probe that should succeed or fail for another reason must never time out on a busy machine.
let fastTiming = HealthTiming(
    interval: .milliseconds(100),
    timeout: .seconds(5),
    rise: 2,
    fall: 2,
    fastInterval: .milliseconds(40),
    jitter: 0.1
)

/// For targets that never answer (a silent server), whose probes are meant to time out: a short timeout keeps
/// those tests fast, and nothing else about them depends on speed.
let hangTiming: HealthTiming = {
    var timing = fastTiming
    timing.timeout = .milliseconds(300)
    return timing
}()

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

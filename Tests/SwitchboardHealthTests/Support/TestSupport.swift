import Foundation
import Logging
import ServiceLifecycle
import SwitchboardCore
import SwitchboardDemoBackend
import SwitchboardHealth

/// A logger that drops everything (tests never bootstrap the global logging system).
let quietLogger = Logger(label: "switchboard.health.tests", factory: { _ in SwiftLogNoOpLogHandler() })

/// Short timings so state machine tests finish in well under a second per transition.
let fastTiming = HealthTiming(
    interval: .milliseconds(100),
    timeout: .milliseconds(300),
    rise: 2,
    fall: 2,
    fastInterval: .milliseconds(40),
    jitter: 0.1
)

func target(
    _ name: String,
    _ kind: HealthCheck.Kind,
    _ url: String,
    timing: HealthTiming = fastTiming
) -> ProbeTarget {
    ProbeTarget(name: name, check: HealthCheck(kind: kind, url: url, timing: timing))
}

/// Polls `condition` every 20 ms for at most `seconds`; true as soon as it holds. A bounded loop, not a
/// speed assertion: the limit is far above what the behaviour needs.
func eventually(within seconds: Int = 5, _ condition: () -> Bool) async -> Bool {
    for _ in 0..<(seconds * 50) {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}

/// Runs a demo backend on `127.0.0.1:0` for the duration of `body`, then shuts it down gracefully.
func withDemoBackend<T: Sendable>(
    name: String = "demo",
    _ body: @Sendable (_ port: Int) async throws -> T
) async throws -> T {
    let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
    let app = buildDemoBackend(configuration: .init(host: "127.0.0.1", port: 0, name: name), logger: quietLogger) {
        port in
        portContinuation.yield(port)
    }
    let group = ServiceGroup(services: [app], gracefulShutdownSignals: [], cancellationSignals: [], logger: quietLogger)
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        let result: Result<T, any Error>
        do {
            result = .success(try await body(port))
        } catch {
            result = .failure(error)
        }
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
        return try result.get()
    }
}

/// Runs `checker` in the background for the duration of `body`, then cancels it and waits for it to stop.
func running<T: Sendable>(_ checker: HealthChecker, _ body: () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await checker.run() }
        defer { tasks.cancelAll() }
        return try await body()
    }
}

/// Runs blocking socket code on its own thread: blocking a cooperative thread (there are only as many as
/// cores) can starve the very server the code talks to, whose handlers run on the same pool.
func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

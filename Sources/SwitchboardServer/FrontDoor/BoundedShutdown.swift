import Logging
import ServiceLifecycle
import Synchronization

/// When a graceful shutdown started, shared by every listener so they all stop by the same deadline.
final class ShutdownClock: Sendable {
    let timeout: Duration
    private let started = Mutex<ContinuousClock.Instant?>(nil)

    init(timeout: Duration) {
        self.timeout = timeout
    }

    /// The instant by which every connection must be gone; fixed by the first caller.
    func deadline() -> ContinuousClock.Instant {
        started.withLock { started in
            if started == nil { started = .now }
            return started! + timeout
        }
    }
}

/// Runs a listener and, once a graceful shutdown has lasted `--shutdown-timeout`, closes the connections it still
/// has open (a body still trickling in, a slow response), so the listener — and the process — stop in bounded time.
struct BoundedShutdown: Service {
    let listener: any Service
    let name: String
    let connections: ConnectionRegistry
    let clock: ShutdownClock
    let logger: Logger

    func run() async throws {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await listener.run()
                return true
            }
            group.addTask {
                do {
                    try await gracefulShutdown()
                    try await Task.sleep(until: clock.deadline(), clock: .continuous)
                } catch {
                    return false  // cancelled: the listener ended first, or the whole group is being cancelled
                }
                let closed = connections.closeAll()
                if closed > 0 {
                    logger.notice(
                        "shutdown timeout reached, closing connections",
                        metadata: ["listener": "\(name)", "connections": "\(closed)"]
                    )
                }
                return false
            }
            while let listenerEnded = try await group.next() {
                if listenerEnded { break }
            }
            group.cancelAll()
        }
    }
}

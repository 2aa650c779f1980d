import Logging
import ServiceLifecycle
import SwitchboardCore
import Synchronization

/// Expires call leases past their `max_call_duration` (the leases of backends a reload removed are dropped by the
/// reload itself).
///
/// Sleeps until the earliest lease's deadline, or without a timer while no lease is held; a lease that expires
/// earlier than every other wakes it (``CapacityLedger/earlierDeadline``). An idle server is never woken by it.
struct CapacitySweeper: Service {
    let ledger: CapacityLedger
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                for (callID, backend) in ledger.expire() {
                    logger.info(
                        "call slot expired without call.ended",
                        metadata: ["call_id": .string(callID), "backend": .string(backend)]
                    )
                }
                await sleep(until: ledger.nextExpiry)
            }
        }
    }

    /// Until `deadline` (never, when nil) or an earlier deadline arrives, whichever comes first.
    private func sleep(until deadline: ContinuousClock.Instant?) async {
        await withTaskGroup(of: Void.self) { group in
            if let deadline {
                group.addTask { try? await Task.sleep(until: deadline, clock: .continuous) }
            }
            group.addTask { await ledger.earlierDeadline.wait() }
            await group.next()
            group.cancelAll()
        }
    }
}

/// A one-slot signal between tasks: ``signal()`` wakes the task in ``wait()``, or the next one to call it.
final class Wakeup: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns at the next signal (at once if one came since the last wait), or when the task is cancelled.
    func wait() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = state.withLock { state -> Bool in
                    if state.pending || Task.isCancelled {
                        state.pending = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }
}

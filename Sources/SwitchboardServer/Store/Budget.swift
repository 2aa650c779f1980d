import NIOCore
import PostgresNIO
import SwitchboardCore
import Synchronization

/// Runs `operation` but waits for it at most `budget`: the caller is answered at the deadline even when the
/// operation is still waiting on a database that stopped answering. The operation goes on in its own task
/// (cancelled at the deadline) and its late result is dropped. The deadline is a timer on an event loop, not a
/// second task. Cancelling the caller ends the wait the same way, with a `CancellationError`.
public func withBudget<Value: Sendable>(
    _ budget: Duration, _ operation: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    let race = BudgetRace<Value>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            race.start(continuation, budget: budget, operation)
        }
    } onCancel: {
        race.cancel()
    }
}

/// The operation's task, the deadline's timer and the caller's cancellation; whichever comes first resumes the
/// caller and stops the others.
private final class BudgetRace<Value: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Value, any Error>?
        var work: Task<Void, Never>?
        var timer: Scheduled<Void>?
        /// The caller was cancelled, perhaps before the race started.
        var cancelled = false
    }

    private let state = Mutex(State())

    func start(
        _ continuation: CheckedContinuation<Value, any Error>, budget: Duration,
        _ operation: @escaping @Sendable () async throws -> Value
    ) {
        let cancelled = state.withLock { state in
            state.continuation = continuation
            return state.cancelled
        }
        guard !cancelled else { return finish(.failure(CancellationError())) }
        let timer = PostgresClient.defaultEventLoopGroup.next().scheduleTask(in: .microseconds(budget.wholeMicroseconds)) {
            self.finish(.failure(BudgetExceeded(budget: budget)))
        }
        let work = Task {
            do { self.finish(.success(try await operation())) } catch { self.finish(.failure(error)) }
        }
        let finished = state.withLock { state in
            state.timer = timer
            state.work = work
            return state.continuation == nil
        }
        if finished {
            timer.cancel()
            work.cancel()
        }
    }

    func cancel() {
        state.withLock { $0.cancelled = true }
        finish(.failure(CancellationError()))
    }

    private func finish(_ result: Result<Value, any Error>) {
        let (continuation, work, timer) = state.withLock { state in
            defer { state.continuation = nil }
            return (state.continuation, state.work, state.timer)
        }
        guard let continuation else { return }
        continuation.resume(with: result)
        work?.cancel()
        timer?.cancel()
    }
}

/// The store did not answer within the operation budget (`--store-budget`).
public struct BudgetExceeded: Error, CustomStringConvertible {
    var budget: Duration

    public var description: String { "no answer within \(budget.wholeMilliseconds) ms" }
}

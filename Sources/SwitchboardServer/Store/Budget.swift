import SwitchboardCore
import Synchronization

/// Runs `operation` but waits for it at most `budget`: the caller is answered at the deadline even when the
/// operation is still waiting on a database that stopped answering. The operation goes on in its own task
/// (cancelled at the deadline) and its late result is dropped.
public func withBudget<Value: Sendable>(
    _ budget: Duration, _ operation: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    let race = BudgetRace<Value>()
    return try await withCheckedThrowingContinuation { continuation in
        race.start(continuation, budget: budget, operation)
    }
}

/// The operation's task and the deadline's timer; whichever ends first resumes the caller and cancels the other.
private final class BudgetRace<Value: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Value, any Error>?
        var work: Task<Void, Never>?
        var timer: Task<Void, Never>?
    }

    private let state = Mutex(State())

    func start(
        _ continuation: CheckedContinuation<Value, any Error>, budget: Duration,
        _ operation: @escaping @Sendable () async throws -> Value
    ) {
        state.withLock { $0.continuation = continuation }
        let timer = Task {
            guard (try? await Task.sleep(for: budget)) != nil else { return }
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

    private func finish(_ result: Result<Value, any Error>) {
        let (continuation, tasks) = state.withLock { state in
            defer { state.continuation = nil }
            return (state.continuation, [state.work, state.timer])
        }
        guard let continuation else { return }
        continuation.resume(with: result)
        for task in tasks { task?.cancel() }
    }
}

/// The store did not answer within the operation budget (`--store-budget`).
public struct BudgetExceeded: Error, CustomStringConvertible {
    var budget: Duration

    public var description: String { "no answer within \(budget.wholeMilliseconds) ms" }
}

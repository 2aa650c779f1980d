import Testing

@testable import SwitchboardServer

/// `withBudget`, the bound on every wait for the store: a deadline, or the caller's cancellation, ends the wait and
/// cancels the operation still waiting on the database.
@Suite(.timeLimit(.minutes(1)))
struct BudgetTests {
    /// An operation that waits until it is cancelled, and says so on `cancelled`.
    static func waitsForever(_ cancelled: AsyncStream<Void>.Continuation) -> @Sendable () async throws -> Int {
        {
            do {
                try await Task.sleep(for: .seconds(3_600))
            } catch {
                cancelled.yield()
                throw error
            }
            return 1
        }
    }

    @Test func anOperationPastItsBudgetIsAnsweredAtTheDeadlineAndCancelled() async throws {
        let (cancelled, continuation) = AsyncStream.makeStream(of: Void.self)
        await #expect(throws: BudgetExceeded.self) {
            try await withBudget(.milliseconds(50), Self.waitsForever(continuation))
        }
        var iterator = cancelled.makeAsyncIterator()
        #expect(await iterator.next() != nil)
    }

    @Test func aCancelledCallerStopsWaitingAndTheOperationIsCancelled() async throws {
        let (cancelled, continuation) = AsyncStream.makeStream(of: Void.self)
        let (started, startedContinuation) = AsyncStream.makeStream(of: Void.self)
        let operation = Self.waitsForever(continuation)
        let caller = Task {
            try await withBudget(.seconds(3_600)) {
                startedContinuation.yield()
                return try await operation()
            }
        }
        var startedIterator = started.makeAsyncIterator()
        _ = await startedIterator.next()
        caller.cancel()
        await #expect(throws: CancellationError.self) { try await caller.value }
        var iterator = cancelled.makeAsyncIterator()
        #expect(await iterator.next() != nil)
    }

    @Test func aCallerCancelledBeforeItStartsDoesNotWait() async throws {
        let caller = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await withBudget(.seconds(3_600)) { try await Task.sleep(for: .seconds(3_600)) }
        }
        await #expect(throws: CancellationError.self) { try await caller.value }
    }

    @Test func anOperationWithinItsBudgetGivesItsValue() async throws {
        #expect(try await withBudget(.seconds(3_600)) { 42 } == 42)
    }
}

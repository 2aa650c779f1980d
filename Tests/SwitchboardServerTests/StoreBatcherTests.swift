import Synchronization
import Testing

@testable import SwitchboardServer

/// The batcher that carries concurrent store operations in one statement, with a stand-in for the database.
@Suite(.timeLimit(.minutes(1)))
struct StoreBatcherTests {
    /// A database stand-in: records each batch, and holds the first one until ``open()``.
    final class Database: Sendable {
        private struct State {
            var batches: [[Int]] = []
            var gate: CheckedContinuation<Void, Never>?
            var open = false
            /// Whether the held batch's task was cancelled, once it is let go.
            var heldWasCancelled: Bool?
        }

        private let state = Mutex(State())

        var batches: [[Int]] { state.withLock { $0.batches } }
        var heldWasCancelled: Bool? { state.withLock { $0.heldWasCancelled } }

        /// Each entry's answer is ten times the entry.
        func send(_ entries: [Int]) async -> [Int] {
            let first = state.withLock { state in
                state.batches.append(entries)
                return state.batches.count == 1 && !state.open
            }
            if first {
                await withCheckedContinuation { continuation in
                    let opened = state.withLock { state in
                        if !state.open { state.gate = continuation }
                        return state.open
                    }
                    if opened { continuation.resume() }
                }
                state.withLock { $0.heldWasCancelled = Task.isCancelled }
            }
            return entries.map { $0 * 10 }
        }

        func open() {
            let gate = state.withLock { state in
                state.open = true
                defer { state.gate = nil }
                return state.gate
            }
            gate?.resume()
        }
    }

    @Test func entriesQueuedWhileABatchIsInFlightGoTogetherAndEachGetsItsOwnAnswer() async throws {
        let database = Database()
        let batcher = StoreBatcher<Int, Int>(budget: .seconds(30), maxBatch: 64, maxInFlight: 1) { entries in
            #expect(entries.allSatisfy { $0.remaining > .zero && $0.remaining <= .seconds(30) })
            return await database.send(entries.map(\.entry))
        }
        async let first = batcher.submit(0)
        try await until { database.batches.count == 1 }
        let answers = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for entry in 1...100 {
                group.addTask { (entry, try await batcher.submit(entry)) }
            }
            try await until { batcher.queued == 100 }
            database.open()
            return try await group.reduce(into: [Int: Int]()) { answers, answer in
                #expect(answers.updateValue(answer.1, forKey: answer.0) == nil)
            }
        }
        #expect(try await first == 0)
        #expect(answers == Dictionary(uniqueKeysWithValues: (1...100).map { ($0, $0 * 10) }))
        // The one in flight, then the queue in order, at most 64 a batch.
        #expect(database.batches.map(\.count) == [1, 64, 36])
        #expect(database.batches.dropFirst().joined().sorted() == Array(1...100))
    }

    @Test func anEntryPastItsBudgetIsAnsweredAndItsStuckBatchHoldsUpNoOther() async throws {
        let database = Database()
        let batcher = StoreBatcher<Int, Int>(budget: .milliseconds(50), maxBatch: 64, maxInFlight: 1) { entries in
            await database.send(entries.map(\.entry))
        }
        let started = ContinuousClock.now
        await #expect(throws: BudgetExceeded.self) { try await batcher.submit(1) }
        #expect(started.duration(to: .now) >= .milliseconds(50))
        // The first batch still hangs, yet no longer counts as in flight: the next entry is sent meanwhile.
        async let second = try? batcher.submit(2)
        try await until { database.batches.count == 2 }
        #expect(database.batches == [[1], [2]])
        database.open()
        _ = await second
        // The given-up batch was cancelled.
        try await until { database.heldWasCancelled != nil }
        #expect(database.heldWasCancelled == true)
    }

    @Test func aFailedBatchFailsEachOfItsEntries() async throws {
        struct Refused: Error {}
        let batcher = StoreBatcher<Int, Int>(budget: .seconds(30), maxBatch: 64, maxInFlight: 1) { _ in throw Refused() }
        await #expect(throws: Refused.self) { try await batcher.submit(1) }
        await #expect(throws: Refused.self) { try await batcher.submit(2) }
    }

    /// Waits until `condition` holds, yielding between checks.
    private func until(_ condition: () -> Bool) async throws {
        while !condition() {
            try Task.checkCancellation()
            await Task.yield()
        }
    }
}

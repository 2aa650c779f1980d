import Synchronization
import Testing

@testable import SwitchboardServer

/// The batcher that carries concurrent store operations in one statement, with a stand-in for the database.
@Suite(.timeLimit(.minutes(1)))
struct StoreBatcherTests {
    /// A database stand-in: records each batch, and holds the first one until ``open()``.
    final class Database: Sendable {
        private let state = Mutex<(batches: [[Int]], gate: CheckedContinuation<Void, Never>?, open: Bool)>(([], nil, false))

        var batches: [[Int]] { state.withLock { $0.batches } }

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
        let cancelled = Mutex(false)
        let calls = Mutex(0)
        let batcher = StoreBatcher<Int, Int>(budget: .milliseconds(50), maxBatch: 64, maxInFlight: 1) { entries in
            guard calls.withLock({ $0 += 1; return $0 }) > 1 else {
                // A database that stopped answering: the batch waits until it is given up.
                await withTaskCancellationHandler {
                    try? await Task.sleep(for: .seconds(3600))
                } onCancel: {
                    cancelled.withLock { $0 = true }
                }
                return []
            }
            return entries.map(\.entry)
        }
        let started = ContinuousClock.now
        await #expect(throws: BudgetExceeded.self) { try await batcher.submit(1) }
        #expect(started.duration(to: .now) >= .milliseconds(50))
        #expect(cancelled.withLock { $0 })
        // The stuck batch no longer counts as in flight: the next entry goes at once.
        #expect(try await batcher.submit(2) == 2)
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

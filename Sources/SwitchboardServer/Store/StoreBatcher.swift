import NIOCore
import PostgresNIO
import SwitchboardCore
import Synchronization

/// Sends the store operations of concurrent requests together: while `maxInFlight` statements are on their way,
/// later entries queue, and the next statement carries up to `maxBatch` of them (one round trip, one transaction,
/// one commit for all). Under light load every entry goes alone, at once.
///
/// Each entry still waits at most `budget`: one event-loop timer, armed for the oldest waiting entry, answers those
/// past their deadline with ``BudgetExceeded`` whether they are queued or sent; a late answer is dropped. A batch
/// whose every entry gave up is cancelled and stops counting as in flight, so a database that stopped answering
/// never holds up the batches after it (the pool bounds what it holds). Entries are answered by resuming their
/// continuations directly: no task per entry, one per batch. A continuation is resumed only by whoever removed its
/// waiter from the state under the lock, so exactly once: unchecked continuations, without a checked one's
/// allocation per entry.
final class StoreBatcher<Entry: Sendable, Answer: Sendable>: Sendable {
    /// Sends one batch; answers one value per entry, in order.
    typealias Send = @Sendable ([Sent]) async throws -> [Answer]

    /// An entry as a batch carries it.
    struct Sent: Sendable {
        var entry: Entry
        /// How much longer its caller waits, from when the batch is sent: work for it past that is not waited for.
        var remaining: Duration
    }

    private struct Waiter {
        var continuation: UnsafeContinuation<Answer, any Error>
        var deadline: NIODeadline
        /// The batch that carries it, once sent.
        var batch: UInt64?
    }

    private struct Batch {
        /// Its entries still waiting for the answer.
        var waiting: Int
        var task: Task<Void, Never>?
    }

    private struct State {
        var nextID: UInt64 = 0
        var waiters: [UInt64: Waiter] = [:]
        /// Entries not sent yet, oldest first.
        var queued = CircularBuffer<(id: UInt64, entry: Entry)>()
        /// Every waiter in the order they came, so in the order of their deadlines (one budget for all); answered
        /// ones are dropped when the timer passes them.
        var deadlines = CircularBuffer<UInt64>()
        var timerArmed = false
        var batches: [UInt64: Batch] = [:]
    }

    private let budget: Duration
    private let maxBatch: Int
    private let maxInFlight: Int
    private let send: Send
    private let state = Mutex(State())

    init(budget: Duration, maxBatch: Int, maxInFlight: Int, send: @escaping Send) {
        self.budget = budget
        self.maxBatch = maxBatch
        self.maxInFlight = maxInFlight
        self.send = send
    }

    /// Entries not sent yet.
    var queued: Int { state.withLock { $0.queued.count } }

    /// The entry's answer, from the batch that carried it.
    /// - Throws: ``BudgetExceeded`` past the budget, or the batch's error.
    func submit(_ entry: Entry) async throws -> Answer {
        try await withUnsafeThrowingContinuation { continuation in
            let (armAt, batch) = state.withLock { state -> (NIODeadline?, (UInt64, [(id: UInt64, sent: Sent)])?) in
                let id = state.nextID
                state.nextID += 1
                let deadline = NIODeadline.now() + .microseconds(budget.wholeMicroseconds)
                state.waiters[id] = Waiter(continuation: continuation, deadline: deadline)
                state.queued.append((id, entry))
                state.deadlines.append(id)
                var armAt: NIODeadline?
                if !state.timerArmed {
                    state.timerArmed = true
                    armAt = deadline
                }
                return (armAt, takeBatch(&state))
            }
            if let armAt { arm(at: armAt) }
            if let (id, entries) = batch { start(id, entries) }
        }
    }

    // MARK: Batches

    /// The next batch to send, when fewer than `maxInFlight` are on their way: queued entries that still wait.
    private func takeBatch(_ state: inout State) -> (UInt64, [(id: UInt64, sent: Sent)])? {
        guard state.batches.count < maxInFlight else { return nil }
        let now = NIODeadline.now()
        var entries: [(id: UInt64, sent: Sent)] = []
        while entries.count < maxBatch, let next = state.queued.popFirst() {
            guard let waiter = state.waiters[next.id] else { continue }
            let remaining = Duration.nanoseconds((waiter.deadline - now).nanoseconds)
            entries.append((next.id, Sent(entry: next.entry, remaining: remaining)))
        }
        guard !entries.isEmpty else { return nil }
        let id = state.nextID
        state.nextID += 1
        for entry in entries { state.waiters[entry.id]?.batch = id }
        state.batches[id] = Batch(waiting: entries.count)
        return (id, entries)
    }

    private func start(_ batch: UInt64, _ entries: [(id: UInt64, sent: Sent)]) {
        let task = Task {
            let result: Result<[Answer], any Error>
            do {
                let answers = try await send(entries.map(\.sent))
                guard answers.count == entries.count else {
                    throw StoreError("a batch of \(entries.count) came back with \(answers.count) answers")
                }
                result = .success(answers)
            } catch {
                result = .failure(error)
            }
            finish(batch, entries.map(\.id), result)
        }
        // Given up already (its entries' budget ran out before it started): it is cancelled all the same.
        let abandoned = state.withLock { state in
            state.batches[batch]?.task = task
            return state.batches[batch] == nil
        }
        if abandoned { task.cancel() }
    }

    /// Answers the batch's entries that still wait, then sends the next batch.
    private func finish(_ batch: UInt64, _ ids: [UInt64], _ result: Result<[Answer], any Error>) {
        let (continuations, next) = state.withLock { state in
            guard state.batches.removeValue(forKey: batch) != nil else {
                return ([UnsafeContinuation<Answer, any Error>?](), takeBatch(&state))
            }
            return (ids.map { state.waiters.removeValue(forKey: $0)?.continuation }, takeBatch(&state))
        }
        for (index, continuation) in continuations.enumerated() {
            continuation?.resume(with: result.map { $0[index] })
        }
        if let (id, entries) = next { start(id, entries) }
    }

    // MARK: Deadlines

    private func arm(at deadline: NIODeadline) {
        _ = PostgresClient.defaultEventLoopGroup.next().scheduleTask(deadline: deadline) { self.expire() }
    }

    /// Answers every entry past its deadline with ``BudgetExceeded``, gives up batches none of whose entries wait
    /// any more, and arms the timer for the oldest entry left.
    private func expire() {
        let (expired, abandoned, armAt, next) = state.withLock { state in
            let now = NIODeadline.now()
            var expired: [UnsafeContinuation<Answer, any Error>] = []
            var abandoned: [Task<Void, Never>] = []
            while let id = state.deadlines.first {
                guard let waiter = state.waiters[id] else {
                    state.deadlines.removeFirst()
                    continue
                }
                guard waiter.deadline <= now else { break }
                state.deadlines.removeFirst()
                state.waiters[id] = nil
                expired.append(waiter.continuation)
                if let batch = waiter.batch {
                    state.batches[batch]?.waiting -= 1
                    if state.batches[batch]?.waiting == 0, let gone = state.batches.removeValue(forKey: batch) {
                        if let task = gone.task { abandoned.append(task) }
                    }
                }
            }
            while let first = state.queued.first, state.waiters[first.id] == nil { state.queued.removeFirst() }
            let armAt = state.deadlines.first.flatMap { state.waiters[$0]?.deadline }
            state.timerArmed = armAt != nil
            return (expired, abandoned, armAt, takeBatch(&state))
        }
        for task in abandoned { task.cancel() }
        let error = BudgetExceeded(budget: budget)
        for continuation in expired { continuation.resume(throwing: error) }
        if let armAt { arm(at: armAt) }
        if let (id, entries) = next { start(id, entries) }
    }
}

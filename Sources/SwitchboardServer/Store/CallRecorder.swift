import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import SwitchboardCore
import Synchronization

/// Writes a call record for every decision, and completes it with its `call.ended`, in `switchboard_calls`
/// (docs/operations.md#call-records).
///
/// The request path only appends to a bounded queue: a writer task sends the queue in batches (one statement
/// each), so a slow or absent store never delays an answer. A full queue drops new records, counted in
/// `switchboard_call_records_dropped_total`, with one log line when it starts dropping and one when it recovers.
/// Records wait in the queue while the store is unavailable and are written when it returns.
///
/// The record's reason is the decision's explanation, in the words `switchboard explain` uses, worked out by the
/// writer from the routing snapshot the call was decided with.
public final class CallRecorder: Service, Sendable {
    /// A decision waiting to be written.
    struct Decided: Sendable {
        var at: Date
        var requestID: String
        var call: IncomingCall
        var decision: RouteDecision
        var snapshot: RoutingState.Snapshot
    }

    /// A `call.ended` waiting to complete its record.
    struct Ended: Sendable {
        var callID: String
        var at: Date
        var duration: Int?
    }

    private struct Queue {
        var decided: [Decided] = []
        var ended: [Ended] = []
        /// Entries taken by the writer and not settled yet: they count against the capacity, so a batch the store
        /// refused always fits back.
        var inFlight = 0
        /// Entries dropped since the queue filled up; nil while it has room.
        var dropped: Int?
        var count: Int { decided.count + ended.count + inFlight }
    }

    /// How long the writer lets a batch fill after its first record.
    static let gather: Duration = .milliseconds(100)

    let ledger: PostgresLedger
    let settings: CallRecordSettings
    private let queue = Mutex(Queue())
    private let wakeup = Wakeup()
    private let stopping = Atomic<Bool>(false)

    init(ledger: PostgresLedger, settings: CallRecordSettings) {
        self.ledger = ledger
        self.settings = settings
    }

    private var logger: Logger { ledger.logger }
    private var metrics: StoreMetrics { ledger.metrics }

    // MARK: The request path

    /// Queues the record of a fresh decision; never waits.
    func record(
        requestID: String, call: IncomingCall, decision: RouteDecision, snapshot: RoutingState.Snapshot, at: Date
    ) {
        let decided = Decided(at: at, requestID: requestID, call: call, decision: decision, snapshot: snapshot)
        enqueue { $0.decided.append(decided) }
    }

    /// Queues the completion of a call's record by its `call.ended`; never waits.
    func ended(callID: String, duration: Int?, at: Date = Date()) {
        enqueue { $0.ended.append(Ended(callID: callID, at: at, duration: duration)) }
    }

    private enum Enqueued {
        case added
        /// Added after a spell of dropping `dropped` entries.
        case recovered(dropped: Int)
        case dropped(first: Bool)
    }

    private func enqueue(_ add: (inout Queue) -> Void) {
        let enqueued = queue.withLock { queue -> Enqueued in
            guard queue.count < settings.queueCapacity else {
                queue.dropped = (queue.dropped ?? 0) + 1
                return .dropped(first: queue.dropped == 1)
            }
            add(&queue)
            defer { queue.dropped = nil }
            return queue.dropped.map { .recovered(dropped: $0) } ?? .added
        }
        switch enqueued {
        case .added:
            wakeup.signal()
        case .recovered(let dropped):
            wakeup.signal()
            logger.warning("call records queue has room again", metadata: ["dropped": "\(dropped)"])
        case .dropped(let first):
            metrics.recordsDropped()
            guard first else { return }
            logger.warning(
                "call records queue full; dropping records until the store catches up",
                metadata: ["capacity": "\(settings.queueCapacity)"]
            )
        }
    }

    // MARK: The writer

    /// Writes records as they arrive and deletes old ones now and then; at a graceful shutdown, writes what is
    /// queued for ``shutdownWrite`` at most, a batch already on its way included, and logs what it could not write.
    public func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.sweepPeriodically() }
            await withTaskGroup(of: Void.self) { writer in
                writer.addTask { await self.write() }
                writer.addTask {
                    guard (try? await gracefulShutdown()) != nil else { return }
                    self.stopping.store(true, ordering: .relaxed)
                    self.wakeup.signal()
                    try? await Task.sleep(for: Self.shutdownWrite)
                }
                // The queue written out, or the time up: either way the other task ends.
                await writer.next()
                writer.cancelAll()
            }
            group.cancelAll()
        }
        let unwritten = queue.withLock { $0.decided.count + $0.ended.count }
        if unwritten > 0 {
            logger.warning("call records not written before shutdown", metadata: ["records": "\(unwritten)"])
        }
    }

    /// How long a graceful shutdown waits for the queue to be written.
    static let shutdownWrite: Duration = .seconds(3)

    private func write() async {
        while !Task.isCancelled {
            if stopping.load(ordering: .relaxed) {
                if queue.withLock({ $0.count == 0 }) { break }
            } else {
                await wakeup.wait()
                // Records come in bursts under load: a moment's wait lets a batch fill, so the database gets fewer,
                // larger statements. `--follow` sees them this much later.
                if queue.withLock({ $0.count < settings.batchSize }) { try? await Task.sleep(for: Self.gather) }
            }
            let (decided, ended) = take()
            guard !decided.isEmpty || !ended.isEmpty else { continue }
            do {
                try await flush(decided, ended)
                queue.withLock { $0.inFlight = 0 }
                metrics.recordsWritten(decided.count + ended.count)
            } catch {
                // Back to the front of the queue, where its room was kept.
                queue.withLock { queue in
                    queue.inFlight = 0
                    queue.decided.insert(contentsOf: decided, at: 0)
                    queue.ended.insert(contentsOf: ended, at: 0)
                }
                if stopping.load(ordering: .relaxed) { break }
                try? await Task.sleep(for: ledger.settings.refreshInterval)
            }
            if queue.withLock({ $0.count > 0 }) { wakeup.signal() }
        }
    }

    /// Up to one batch from the queue, marked in flight.
    private func take() -> ([Decided], [Ended]) {
        queue.withLock { queue in
            let decided = Array(queue.decided.prefix(settings.batchSize))
            queue.decided.removeFirst(decided.count)
            let ended = Array(queue.ended.prefix(settings.batchSize))
            queue.ended.removeFirst(ended.count)
            queue.inFlight = decided.count + ended.count
            return (decided, ended)
        }
    }

    /// Writes one batch: the records, then the completions (a replayed `call.ended` changes nothing).
    private func flush(_ decided: [Decided], _ ended: [Ended]) async throws {
        let rows = decided.isEmpty ? nil : CallRecordRows(decided, counts: ledger.occupancies(), settings: settings)
        try await ledger.operation("records", budget: .seconds(10)) { [ledger] in
            if let rows {
                try await ledger.client.query(rows.insert(replica: ledger.settings.replicaID), logger: ledger.logger)
            }
            guard !ended.isEmpty else { return }
            try await ledger.client.query(
                """
                INSERT INTO switchboard_call_ends (call_id, ended_at, duration_seconds)
                SELECT call_id, at, duration
                FROM unnest(\(ended.map(\.callID)), \(ended.map(\.at)), \(NullableArray(ended.map(\.duration))))
                    AS u(call_id, at, duration)
                ON CONFLICT (call_id) DO NOTHING
                """, logger: ledger.logger
            )
        }
    }

    // MARK: Retention

    /// Key of the advisory lock held while deleting old records ("SWBR").
    static let retentionLockKey: Int64 = 0x5357_4252

    /// Deletes old records once the store is first reached, then every ``CallRecordSettings/sweepInterval``.
    private func sweepPeriodically() async {
        while !Task.isCancelled, !ledger.isAvailable {
            guard (try? await Task.sleep(for: ledger.settings.refreshInterval)) != nil else { return }
        }
        while !Task.isCancelled {
            do {
                if let deleted = try await sweep(), deleted > 0 {
                    logger.info("old call records deleted", metadata: ["deleted": "\(deleted)"])
                }
            } catch {
                logger.debug("call records not swept", metadata: ["error": "\(PostgresLedger.describe(error))"])
            }
            guard (try? await Task.sleep(for: settings.sweepInterval)) != nil else { return }
        }
    }

    /// Deletes records older than the retention, `batch` rows per statement so no statement holds many locks,
    /// while holding an advisory lock so one replica at a time does; returns the rows deleted, nil when another
    /// replica holds the lock.
    @discardableResult
    func sweep(batch: Int = 1_000, maxBatches: Int = 1_000) async throws -> Int? {
        let retention = settings.retention.wholeMilliseconds
        let logger = logger
        return try await ledger.client.withConnection { connection in
            let locked = try await connection.query(
                "SELECT pg_try_advisory_lock(\(Self.retentionLockKey))", logger: logger
            ).collect().first?.decode(Bool.self)
            guard locked == true else { return nil }
            // Rows of `table` whose `time` is past the retention, found by `key`, a batch at a time.
            func deleteOld(_ table: String, key: String, time: String) async throws -> Int {
                var deleted = 0
                for _ in 0..<maxBatches {
                    let rows = try await connection.query(
                        PostgresQuery(unsafeSQL: """
                            DELETE FROM \(table) WHERE \(key) IN (
                                SELECT \(key) FROM \(table)
                                WHERE \(time) < now() - \(retention) * interval '1 millisecond' LIMIT \(batch))
                            RETURNING 1
                            """), logger: logger
                    ).collect()
                    deleted += rows.count
                    if rows.count < batch { break }
                }
                return deleted
            }
            do {
                let deleted = try await deleteOld("switchboard_calls", key: "id", time: "decided_at")
                // A completion ends after its record was decided, so it goes in this sweep or the next.
                _ = try await deleteOld("switchboard_call_ends", key: "call_id", time: "ended_at")
                _ = try await connection.query("SELECT pg_advisory_unlock(\(Self.retentionLockKey))", logger: logger)
                return deleted
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.retentionLockKey))", logger: logger)
                throw error
            }
        }
    }
}

/// Call records as `serve` keeps them (`--call-records`, `--store-full-numbers`, `--call-records-retention`).
public struct CallRecordSettings: Sendable {
    /// Keep the full caller and called numbers beside the masked ones (`--store-full-numbers`).
    public var fullNumbers = false
    /// Records older than this are deleted (`--call-records-retention`; default 30 days).
    public var retention: Duration = .seconds(30 * 86_400)
    /// Records waiting to be written at most; past it new ones are dropped (`--call-records-queue`).
    public var queueCapacity = 20_000
    /// Records per statement at most.
    var batchSize = 500
    /// How often a replica tries to delete old records.
    public var sweepInterval: Duration = .seconds(300)

    public init() {}
}

/// The columns of a batch of records, as arrays for one `INSERT … SELECT FROM unnest(…)`.
struct CallRecordRows {
    var decidedAt: [Date] = []
    var requestID: [String] = []
    var callID: [String?] = []
    var caller: [String] = []
    var number: [String] = []
    var callerFull: [String?] = []
    var numberFull: [String?] = []
    var route: [String?] = []
    var backend: [String?] = []
    var outcome: [String] = []
    var reason: [String] = []
    var tableVersion: [String] = []

    init(_ records: [CallRecorder.Decided], counts: [String: Occupancy], settings: CallRecordSettings) {
        for record in records {
            decidedAt.append(record.at)
            requestID.append(record.requestID)
            callID.append(record.call.id)
            caller.append(PhoneMask.mask(record.call.caller))
            number.append(PhoneMask.mask(record.call.number))
            callerFull.append(settings.fullNumbers ? record.call.caller : nil)
            numberFull.append(settings.fullNumbers ? record.call.number : nil)
            route.append(record.decision.route)
            backend.append(record.decision.backend)
            outcome.append(Self.outcome(record.decision.answer))
            reason.append(Self.reason(record, counts: counts))
            tableVersion.append(record.snapshot.table.version)
        }
    }

    func insert(replica: String) -> PostgresQuery {
        """
        WITH inserted AS (
            INSERT INTO switchboard_calls (decided_at, request_id, call_id, caller, number, caller_full, number_full,
                route, backend, outcome, reason, replica, table_version)
            SELECT x.decided_at, x.request_id, x.call_id, x.caller, x.number, x.caller_full, x.number_full, x.route,
                x.backend, x.outcome, x.reason, \(replica), x.table_version
            FROM unnest(\(decidedAt), \(requestID), \(NullableArray(callID)), \(caller), \(number),
                        \(NullableArray(callerFull)), \(NullableArray(numberFull)), \(NullableArray(route)),
                        \(NullableArray(backend)), \(outcome), \(reason), \(tableVersion))
                AS x(decided_at, request_id, call_id, caller, number, caller_full, number_full, route, backend,
                     outcome, reason, table_version)
            RETURNING id
        )
        SELECT pg_notify('\(unescaped: CallRecords.channel)', max(id)::text) FROM inserted
        """
    }

    /// `answer` (a backend's URL), `number_default` (the number's own default agent) or `reject`: the decision
    /// lines' `outcome`, with the number's default told apart.
    static func outcome(_ answer: WebhookAnswer) -> String {
        switch answer {
        case .answer: "answer"
        case .numberDefault: "number_default"
        case .reject: "reject"
        }
    }

    /// The decision's explanation, one step per line: the snapshot it was made with, the backends it passed over
    /// as full or draining, the pool member it chose, and the other backends' counts as last read (capped below
    /// their limit, as the decision saw them).
    static func reason(_ record: CallRecorder.Decided, counts: [String: Occupancy]) -> String {
        let table = record.snapshot.table, health = record.snapshot.health
        var passedOver: [String: Availability] = [:]
        for skipped in record.decision.skipped { passedOver[skipped.backend] = skipped.reason }
        let explanation = table.explain(record.call, health: health, at: record.at, occupancy: { index in
            let name = table.backends[index].name
            let limit = table.limit(of: index, health: health)
            var occupancy = counts[name] ?? .idle
            switch passedOver[name] {
            case .full: return Occupancy(active: limit ?? occupancy.active, draining: false)
            case .draining: return Occupancy(active: occupancy.active, draining: true)
            default:
                occupancy.draining = false
                if let limit, limit > 0 { occupancy.active = min(occupancy.active, limit - 1) }
                return occupancy
            }
        }, chosen: record.decision.backend, skippedRoutes: false)
        return explanation.steps.joined(separator: "\n")
    }
}

import Crypto
import Foundation
import Logging
import PostgresNIO
import SwitchboardCore
import Synchronization

/// The ``CallLedger`` every replica shares through PostgreSQL (`serve --store`; docs/operations.md#shared-state).
///
/// - Call slots are rows of `switchboard_leases`, taken by one statement (`switchboard_route_batch`) that locks the
///   backend's row while it counts: replicas deciding at once never put a backend over its `max_calls`.
/// - Drain flags are rows of `switchboard_backends`; retry answers are rows of `switchboard_deliveries`.
/// - Decisions read counts and drain flags from a view refreshed every ``StoreSettings/refreshInterval``
///   (``StoreSync``); the database has the last word when the slot is taken, and a backend it finds full is
///   passed over and the call decided again.
///
/// Concurrent webhooks and `call.ended` events go to the database in batches (``StoreBatcher``): one statement,
/// one round trip and one commit for up to ``maxBatch`` of them. Webhooks are batched per chosen backend, so a
/// batch holds one backend's lock and batches for different backends run side by side, as single calls did.
///
/// Each database operation on the request path waits at most ``StoreSettings/budget``. When one fails, the store
/// is *unavailable* until ``StoreSync`` reaches it again: calls are then decided by the
/// ``StoreSettings/Unavailable`` policy, from the last counts seen plus this replica's own calls since
/// (``local``), and written back when the store returns.
public final class PostgresLedger: CallLedger {
    let client: PostgresClient
    let settings: StoreSettings
    let metrics: StoreMetrics
    let logger: Logger
    /// Calls answered while the store is unavailable, and the answers this replica gave (its retry cache).
    let local: CapacityLedger
    let view: Mutex<StoreView>
    /// `switchboard_route_batch`: the webhooks waiting for the database, sent together, by chosen backend (`""`:
    /// none). A name is added the first time a decision chooses it: the table's names, at most.
    private let routes = Mutex<[String: StoreBatcher<RouteEntry, RouteOutcome>]>([:])
    /// The `call.ended` events waiting for the database: the backend whose slot each one freed.
    private let releases: StoreBatcher<String, String?>

    /// Entries in one statement at most: enough to carry a burst in a few round trips, few enough that one
    /// transaction holds its locks briefly.
    static let maxBatch = 64
    /// Statements of one batcher on their way at once: one. Two batches for one backend would only queue for its
    /// row lock in the database, and a release batch costs the database about as much for one call as for ten, so
    /// whatever arrives while a statement is on its way goes together in the next (measured in
    /// docs/performance.md#webhook-cost: a second statement in flight cost throughput and CPU).
    static let inFlight = 1

    public init(settings: StoreSettings, metrics: StoreMetrics, logger: Logger, cache: DeliveryCache = DeliveryCache())
        throws(StoreURLError)
    {
        self.settings = settings
        self.metrics = metrics
        self.logger = logger
        // The pool logs every failed connection attempt at `info`; during an outage that is a line per retry, where
        // the ledger logs one per change of state. Its lines show from `warning` up, or all of them at `debug`.
        var poolLogger = logger
        if poolLogger.logLevel > .debug { poolLogger.logLevel = max(poolLogger.logLevel, .warning) }
        client = PostgresClient(configuration: try settings.clientConfiguration(), backgroundLogger: poolLogger)
        local = CapacityLedger(cache: cache)
        view = Mutex(StoreView())
        releases = StoreBatcher(budget: settings.budget, maxBatch: Self.maxBatch, maxInFlight: Self.inFlight) {
            [client, logger, metrics] batch in
            metrics.batch("release", size: batch.count)
            return try await Self.release(batch.map(\.entry), client: client, logger: logger)
        }
    }

    public func route(
        _ call: IncomingCall, requestID: String, digest: SHA256Digest, in snapshot: RoutingState.Snapshot,
        at instant: Date
    ) async -> Routed {
        switch local.cache.lookup(requestID: requestID, digest: digest) {
        case .hit(let decision): return .retry(decision)
        case .conflict: return .conflict
        case .miss: break
        }
        guard isAvailable else {
            return decideWithoutStore(call, requestID: requestID, digest: digest, in: snapshot, at: instant)
        }
        do {
            return try await decideAndStore(call, requestID: requestID, digest: digest, in: snapshot, at: instant)
        } catch {
            markUnavailable(error)
            return decideWithoutStore(call, requestID: requestID, digest: digest, in: snapshot, at: instant)
        }
    }

    public func release(callID: String) async -> CallRelease {
        let local = local.releaseSlot(callID: callID)
        guard isAvailable else {
            remember(release: callID)
            return local
        }
        do {
            // The call is marked ended as well: a replica that answered it without the store (cut off, or over its
            // budget) must not write its slot back afterwards.
            let backend = try await measured("release") { try await self.releases.submit(callID) }
            if let backend { view.withLock { $0.released(backend) } }
            return backend != nil ? .released : local
        } catch {
            markUnavailable(error)
            remember(release: callID)
            return local
        }
    }

    public func setDraining(_ backend: String, _ draining: Bool) async throws(LedgerError) {
        guard isAvailable else {
            throw LedgerError(
                "the store is unavailable, so the drain could not reach every replica; try again once /status shows it available"
            )
        }
        do {
            try await operation("drain") {
                try await self.client.query(
                    """
                    INSERT INTO switchboard_backends (name, draining, changed_at) VALUES (\(backend), \(draining), now())
                    ON CONFLICT (name) DO UPDATE SET draining = excluded.draining, changed_at = now()
                    """, logger: self.logger
                )
            }
            view.withLock { $0.setDraining(backend, draining) }
        } catch {
            markUnavailable(error)
            throw LedgerError("the store did not take the drain (\(Self.describe(error))); nothing changed")
        }
    }

    public func occupancy(of backend: String) async -> Occupancy {
        if isAvailable, let fresh = try? await operation("occupancy", { try await self.count(backend) }) {
            return fresh
        }
        return occupancies()[backend] ?? .idle
    }

    public func occupancies() -> [String: Occupancy] {
        let (counts, available) = view.withLock { ($0.counts, $0.availability == .available) }
        guard !available else { return counts }
        return counts.merging(local.occupancies()) { shared, own in
            Occupancy(active: shared.active + own.active, draining: shared.draining || own.draining)
        }
    }

    /// Whether request-path operations go to the database now.
    var isAvailable: Bool { view.withLock { $0.availability == .available } }

    /// The store's state for `/status`, `/readyz` and the operator page.
    public var status: StoreStatus {
        view.withLock { view in
            StoreStatus(
                url: settings.url.description, availability: view.availability, since: view.since,
                lastError: view.lastError, policy: settings.unavailable, replicaID: settings.replicaID,
                replicas: view.replicas
            )
        }
    }

    // MARK: Deciding

    /// Decides with the shared counts, then in one statement (`switchboard_route_batch`, shared with the webhooks
    /// deciding for the same backend meanwhile) finds an earlier answer to the delivery, or takes the slot and stores
    /// the answer. A backend the database finds full or draining is passed
    /// over and the call decided again, at most once per backend.
    ///
    /// The counts and drain flags read between refreshes may be stale, so they never make a backend full or
    /// draining by themselves (a call ended or an undrain at another replica would otherwise be refused for up to
    /// a refresh): the database says when it is. They still order `least_loaded`. They are read one backend at a
    /// time, never copied: a copy held across the wait would make every count update copy the whole table.
    private func decideAndStore(
        _ call: IncomingCall, requestID: String, digest: SHA256Digest, in snapshot: RoutingState.Snapshot,
        at instant: Date
    ) async throws -> Routed {
        let table = snapshot.table
        let hex = digest.hexString
        var overrides: [String: Occupancy] = [:]
        func occupancy(_ index: Int) -> Occupancy {
            let name = table.backends[index].name
            if let known = overrides[name] { return known }
            var cached = view.withLock { $0.counts[name] } ?? .idle
            cached.draining = false
            if let limit = table.limit(of: index, health: snapshot.health), limit > 0 {
                cached.active = min(cached.active, limit - 1)
            }
            return cached
        }
        for _ in 0...table.backends.count {
            let decision = table.decide(call, health: snapshot.health, at: instant, occupancy: occupancy)
            let index = decision.backend.flatMap { table.backendIndex(named: $0) }
            let limit = index.flatMap { table.limit(of: $0, health: snapshot.health) }
            let lifetime = index.map { table.backends[$0].maxCallDuration } ?? Backend.defaultMaxCallDuration
            let (action, url) = StoredDelivery.columns(decision.answer)
            let entry = RouteEntry(
                requestID: requestID, digest: hex, call: call.id, backend: decision.backend, limit: limit,
                lifetime: lifetime.wholeMilliseconds, route: decision.route, action: action, url: url
            )
            let batcher = routeBatcher(for: decision.backend ?? "")
            let routed = try await measured("route") { try await batcher.submit(entry) }
            let (outcome, stored) = (routed.outcome, routed.stored)
            switch (outcome, decision.backend) {
            case ("fresh", let backend):
                if let backend { view.withLock { $0.took(backend) } }
                _ = local.cache.store(requestID: requestID, digest: digest, decision: decision)
                return .fresh(decision)
            case ("retry", _):
                guard let stored else { return .conflict }
                _ = local.cache.store(requestID: requestID, digest: digest, decision: stored.decision)
                return .retry(stored.decision)
            case ("full", let backend?):
                overrides[backend] = Occupancy(active: limit ?? 0, draining: false)
            case ("draining", let backend?):
                overrides[backend] = Occupancy(active: view.withLock { $0.counts[backend]?.active } ?? 0, draining: true)
            case ("expired", _):
                throw BudgetExceeded(budget: settings.budget)
            case ("raced", _):
                guard let stored else { return .conflict }
                return try await yield(to: stored, call: call, decision: decision, digest: hex, snapshot: snapshot)
            default:
                return .conflict
            }
        }
        // Every backend the table could choose was passed over, and still one was chosen (panic): refuse the call.
        return .fresh(RouteDecision(route: nil, backend: nil, answer: .reject))
    }

    /// The decision while the store is unavailable, by the `--store-unavailable` policy.
    private func decideWithoutStore(
        _ call: IncomingCall, requestID: String, digest: SHA256Digest, in snapshot: RoutingState.Snapshot,
        at instant: Date
    ) -> Routed {
        metrics.fallback(policy: settings.unavailable)
        switch settings.unavailable {
        case .reject:
            return .fresh(RouteDecision(route: nil, backend: nil, answer: .reject))
        case .local:
            let baseline = view.withLock { $0.counts }
            return local.route(
                call, requestID: requestID, digest: digest, in: snapshot, at: instant, now: .now, baseline: baseline
            )
        }
    }

    /// A concurrent delivery of the same request ID on another replica stored its answer first: answer the same,
    /// and leave the call's slot where that answer put it.
    private func yield(
        to first: StoredDelivery, call: IncomingCall, decision: RouteDecision, digest: String,
        snapshot: RoutingState.Snapshot
    ) async throws -> Routed {
        guard let callID = call.id, let ours = decision.backend else {
            return first.digest == digest ? .retry(first.decision) : .conflict
        }
        if first.digest == digest, let theirs = first.decision.backend {
            guard theirs != ours else { return .retry(first.decision) }
            let lifetime = snapshot.table.maxCallDuration(of: theirs)
            _ = try await operation("take") {
                try await self.take(callID: callID, backend: theirs, limit: nil, lifetime: lifetime)
            }
            return .retry(first.decision)
        }
        try await operation("release") {
            try await self.client.query(
                "DELETE FROM switchboard_leases WHERE call_id = \(callID) AND backend = \(ours)", logger: self.logger
            )
        }
        return first.digest == digest ? .retry(first.decision) : .conflict
    }

    // MARK: Statements

    private func take(callID: String, backend: String, limit: Int?, lifetime: Duration) async throws -> String {
        let rows = try await client.query(
            """
            SELECT switchboard_take_slot(\(callID), \(backend), \(limit), \(lifetime.wholeMilliseconds), \(settings.replicaID))
            """, logger: logger
        ).collect()
        return try rows.first?.decode(String.self) ?? "full"
    }

    /// The batcher of the webhooks whose decision chose `backend`.
    private func routeBatcher(for backend: String) -> StoreBatcher<RouteEntry, RouteOutcome> {
        routes.withLock { routes in
            if let batcher = routes[backend] { return batcher }
            let batcher = StoreBatcher<RouteEntry, RouteOutcome>(
                budget: settings.budget, maxBatch: Self.maxBatch, maxInFlight: Self.inFlight
            ) { [client, logger, settings, metrics] entries in
                metrics.batch("route", size: entries.count)
                return try await Self.route(entries, client: client, settings: settings, logger: logger)
            }
            routes[backend] = batcher
            return batcher
        }
    }

    /// One batch of webhooks through `switchboard_route_batch`: each entry's outcome, in order.
    private static func route(
        _ entries: [StoreBatcher<RouteEntry, RouteOutcome>.Sent], client: PostgresClient, settings: StoreSettings,
        logger: Logger
    ) async throws -> [RouteOutcome] {
        let statement = RouteBatchStatement(
            entries: entries, ttl: settings.deliveryTTL.wholeMilliseconds, replica: settings.replicaID
        )
        var outcomes = [RouteOutcome](repeating: RouteOutcome(outcome: "fresh"), count: entries.count)
        for try await (index, outcome) in try await client.execute(statement, logger: logger) {
            guard outcomes.indices.contains(index - 1) else { throw StoreError("switchboard_route_batch: no entry \(index)") }
            outcomes[index - 1] = outcome
        }
        return outcomes
    }

    /// One batch of `call.ended` events: each call's slot deleted and the call marked ended; the backend whose slot
    /// each entry freed (the first of the batch's entries for one call ID).
    ///
    /// The call IDs go sorted, so two batches ending the same calls take their rows in one order.
    private static func release(_ callIDs: [String], client: PostgresClient, logger: Logger) async throws -> [String?] {
        var freed: [String: String] = [:]
        let statement = ReleaseBatchStatement(callIDs: Array(Set(callIDs)).sorted())
        for try await (callID, backend) in try await client.execute(statement, logger: logger) {
            freed[callID] = backend
        }
        return callIDs.map { freed.removeValue(forKey: $0) }
    }

    /// A backend's live calls and drain flag, read from the database now.
    private func count(_ backend: String) async throws -> Occupancy {
        let rows = try await client.query(
            """
            SELECT (SELECT count(*) FROM switchboard_leases WHERE backend = \(backend) AND expires_at > now()),
                   coalesce((SELECT draining FROM switchboard_backends WHERE name = \(backend)), false)
            """, logger: logger
        ).collect()
        guard let (active, draining) = try rows.first?.decode((Int, Bool).self) else { return .idle }
        return Occupancy(active: active, draining: draining)
    }

    // MARK: Availability

    /// Runs one database operation within `budget` (default `--store-budget`), timed in
    /// `switchboard_store_operation_duration_seconds`.
    @discardableResult
    func operation<Value: Sendable>(
        _ name: String, budget: Duration? = nil, _ body: @escaping @Sendable () async throws -> Value
    ) async throws -> Value {
        try await measured(name) { try await withBudget(budget ?? self.settings.budget, body) }
    }

    /// Waits for one operation that keeps its own budget (a batcher's), timed in
    /// `switchboard_store_operation_duration_seconds`; a success ends a run of timeouts.
    private func measured<Value: Sendable>(
        _ name: String, _ wait: () async throws -> Value
    ) async throws -> Value {
        let started = ContinuousClock.now
        do {
            let value = try await wait()
            view.withLock { $0.consecutiveTimeouts = 0 }
            metrics.operation(name, duration: started.duration(to: .now))
            return value
        } catch {
            // A caller that stopped waiting (a shutdown) is not a failure of the store.
            if !(error is CancellationError) { metrics.failure(name) }
            throw error
        }
    }

    /// Marks the store unavailable after a failed operation: one log line for the change, not one per request.
    ///
    /// An operation that only ran out of budget counts once ``StoreView/timeoutsBeforeUnavailable`` did so in a row
    /// (a burst that queues on the pool is not an outage); its own call is decided without the store all the same,
    /// and ``StoreSync`` writes that decision back.
    func markUnavailable(_ error: any Error) {
        // A caller that stopped waiting (a shutdown) says nothing of the store.
        guard !(error is CancellationError) else { return }
        let changed = view.withLock { view -> Bool in
            guard view.availability != .unavailable else { return false }
            if error is BudgetExceeded {
                view.consecutiveTimeouts += 1
                guard view.consecutiveTimeouts >= StoreView.timeoutsBeforeUnavailable else { return false }
            }
            view.consecutiveTimeouts = 0
            view.availability = .unavailable
            view.since = Date()
            view.lastError = Self.describe(error)
            return true
        }
        guard changed else { return }
        metrics.available(false)
        logger.error(
            "store unavailable; deciding by the --store-unavailable policy until it answers again",
            metadata: ["store": "\(settings.url)", "policy": "\(settings.unavailable.rawValue)",
                       "error": "\(Self.describe(error))"]
        )
    }

    /// A `call.ended` seen while the store is unavailable, applied to it when it returns.
    private func remember(release callID: String) {
        view.withLock { view in
            guard view.pendingReleases.count < StoreView.maxPendingReleases else { return }
            view.pendingReleases.insert(callID)
        }
    }

    /// A database error in words that hold neither the URL nor the password.
    public static func describe(_ error: any Error) -> String {
        switch error {
        case let error as PSQLError:
            if let message = error.serverInfo?[.message] { return "database error: \(message)" }
            return "database error: \(error.code)"
        case let error as BudgetExceeded: return error.description
        case let error as StoreError: return error.description
        default: return "\(type(of: error))"
        }
    }
}

/// What the request path and `/status` know of the store between refreshes.
struct StoreView {
    /// Releases kept for the store's return at most; past it they wait for their lease's expiry.
    static let maxPendingReleases = 100_000
    /// Operations over budget in a row that make the store unavailable; any error but a timeout does at once.
    static let timeoutsBeforeUnavailable = 3

    var availability: StoreAvailability = .connecting
    var since = Date()
    var lastError: String?
    /// Live calls and drain flags of every backend the store knows, as last refreshed (plus this replica's takes).
    var counts: [String: Occupancy] = [:]
    /// What this replica changed while a refresh was on its way: its read may have been taken before these were
    /// committed, so they are applied again on top of it (nil: no refresh on its way). Applying a slot taken twice
    /// counts it twice until the next refresh; a release is not applied again, so a count read too early stays high
    /// until the next refresh. Both err towards full, never past a limit, and neither outlives the next refresh.
    var sinceRefreshStarted: (taken: [String: Int], drains: [String: Bool])?
    var replicas: [ReplicaRecord] = []
    /// Call IDs whose `call.ended` arrived while the store was unavailable.
    var pendingReleases: Set<String> = []
    var consecutiveTimeouts = 0

    /// This replica took a slot of `backend` in the database.
    mutating func took(_ backend: String) {
        counts[backend, default: .idle].active += 1
        sinceRefreshStarted?.taken[backend, default: 0] += 1
    }

    /// This replica freed a slot of `backend` in the database.
    mutating func released(_ backend: String) {
        counts[backend]?.active -= 1
    }

    /// This replica set `backend`'s drain flag in the database.
    mutating func setDraining(_ backend: String, _ draining: Bool) {
        counts[backend, default: .idle].draining = draining
        sinceRefreshStarted?.drains[backend] = draining
    }

    /// A refresh's read is on its way from now.
    mutating func refreshStarted() {
        sinceRefreshStarted = ([:], [:])
    }

    /// The refresh's read arrived (nil: it failed): the counts are what it read plus what this replica changed
    /// meanwhile.
    mutating func refreshed(_ read: [String: Occupancy]?) {
        defer { sinceRefreshStarted = nil }
        guard let read else { return }
        counts = read
        guard let changed = sinceRefreshStarted else { return }
        for (backend, taken) in changed.taken { counts[backend, default: .idle].active += taken }
        for (backend, draining) in changed.drains { counts[backend, default: .idle].draining = draining }
    }
}

/// A delivery's answer as `switchboard_deliveries` keeps it.
struct StoredDelivery {
    var digest: String
    var decision: RouteDecision

    init(digest: String, route: String?, backend: String?, action: String, url: String?) {
        self.digest = digest
        let answer: WebhookAnswer =
            switch (action, url) {
            case ("answer", let url?): .answer(url: url)
            case ("answer", nil): .numberDefault
            default: .reject
            }
        decision = RouteDecision(route: route, backend: backend, answer: answer)
    }

    static func columns(_ answer: WebhookAnswer) -> (action: String, url: String?) {
        switch answer {
        case .answer(let url): ("answer", url)
        case .numberDefault: ("answer", nil)
        case .reject: ("reject", nil)
        }
    }
}

extension SHA256Digest {
    /// Lowercase hex, as `switchboard_deliveries.digest` holds it.
    var hexString: String {
        String(unsafeUninitializedCapacity: 2 * Self.byteCount) { buffer in
            let digits: StaticString = "0123456789abcdef"
            var at = 0
            for byte in self {
                buffer[at] = digits.utf8Start[Int(byte >> 4)]
                buffer[at + 1] = digits.utf8Start[Int(byte & 0xF)]
                at += 2
            }
            return at
        }
    }
}

/// One webhook's part of a `switchboard_route_batch` statement: the decision to store and the slot to take.
struct RouteEntry: Sendable {
    var requestID: String
    var digest: String
    var call: String?
    var backend: String?
    var limit: Int?
    var lifetime: Int64
    var route: String?
    var action: String
    var url: String?
}

/// One entry's outcome in `switchboard_route_batch` (as `switchboard_route` answers, or `expired`), and the
/// delivery's answer when the row carries one.
struct RouteOutcome: Sendable {
    var outcome: String
    var stored: StoredDelivery?
}

/// `switchboard_route_batch`, prepared once per connection: a batch's one statement is parsed and planned once, not
/// for every batch. Each column of the entries goes as one array.
struct RouteBatchStatement: PostgresPreparedStatement {
    static let sql = "SELECT * FROM switchboard_route_batch($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    static let bindingDataTypes: [PostgresDataType] = [
        .textArray, .textArray, .int8, .textArray, .textArray, .int8Array, .int8Array, .text, .textArray, .textArray,
        .textArray, .int8Array,
    ]

    var entries: [StoreBatcher<RouteEntry, RouteOutcome>.Sent]
    var ttl: Int64
    var replica: String

    func makeBindings() throws -> PostgresBindings {
        let entries = entries.map(\.entry)
        var bindings = PostgresBindings(capacity: 12)
        bindings.append(entries.map(\.requestID))
        bindings.append(entries.map(\.digest))
        bindings.append(ttl)
        bindings.append(NullableArray(entries.map(\.call)))
        bindings.append(NullableArray(entries.map(\.backend)))
        bindings.append(NullableArray(entries.map { $0.limit.map(Int64.init) }))
        bindings.append(entries.map(\.lifetime))
        bindings.append(replica)
        bindings.append(NullableArray(entries.map(\.route)))
        bindings.append(entries.map(\.action))
        bindings.append(NullableArray(entries.map(\.url)))
        bindings.append(self.entries.map { $0.remaining.wholeMicroseconds })
        return bindings
    }

    /// The entry's 1-based index and its outcome.
    func decodeRow(_ row: PostgresRow) throws -> (Int, RouteOutcome) {
        let (index, outcome, found, route, backend, foundAction, foundURL) = try row.decode(
            (Int, String, String?, String?, String?, String?, String?).self
        )
        guard let found, let foundAction else { return (index, RouteOutcome(outcome: outcome)) }
        let stored = StoredDelivery(digest: found, route: route, backend: backend, action: foundAction, url: foundURL)
        return (index, RouteOutcome(outcome: outcome, stored: stored))
    }
}

/// A batch of `call.ended` events in one statement: the calls' slots deleted and the calls marked ended (a replica
/// that answered one without the store must not write its slot back afterwards).
struct ReleaseBatchStatement: PostgresPreparedStatement {
    static let sql = "SELECT call_id, backend FROM switchboard_release_many($1)"
    static let bindingDataTypes: [PostgresDataType] = [.textArray]

    var callIDs: [String]

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(callIDs)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> (String, String) { try row.decode((String, String).self) }
}

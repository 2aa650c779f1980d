import Crypto
import Foundation
import Logging
import SwitchboardCore
import Synchronization

/// One process's ``CallLedger``, in memory: live calls per backend, as leases keyed by call ID, the operators'
/// drain flags (docs/routes.md#call-limits) and the answers given to recent deliveries (``DeliveryCache``).
///
/// Every answered call takes a slot on its backend; a verified `call.ended` releases it, or the lease expires
/// after the backend's `max_call_duration`. Routing decisions that can take a slot run under this ledger's lock
/// (``decide(_:in:at:now:)``), so the check "below the limit" and the taking of the slot are one step: two
/// concurrent calls can never both take a backend's last slot. The lock is held for the decision only (pure
/// computation, no I/O).
///
/// Backends are keyed by name, so leases and drain flags survive a reload by themselves; ``retain(_:)`` drops
/// those of backends a reload removed. Nothing is persisted: a restarted process starts with no leases; replicas
/// that must share their counts use a ``PostgresLedger``.
public final class CapacityLedger: CallLedger {
    struct Lease {
        var backend: String
        var expires: ContinuousClock.Instant
    }

    struct Entry {
        var active = 0
        var draining = false
    }

    struct State {
        var leases: [String: Lease] = [:]
        var backends: [String: Entry] = [:]
        /// The earliest `expires` among leases (or later); nil when there are none.
        var nextExpiry: ContinuousClock.Instant?
    }

    private let state = Mutex(State())
    /// The answers given to recent deliveries, for retries.
    let cache: DeliveryCache
    /// Signalled when a lease is taken that expires before every other: the sweeper sleeps until the earliest.
    let earlierDeadline = Wakeup()

    public init(cache: DeliveryCache = DeliveryCache()) {
        self.cache = cache
    }

    public func route(
        _ call: IncomingCall, requestID: String, digest: SHA256Digest, in snapshot: RoutingState.Snapshot,
        at instant: Date
    ) async -> Routed {
        route(call, requestID: requestID, digest: digest, in: snapshot, at: instant, now: .now)
    }

    /// ``route(_:requestID:digest:in:at:)`` at `now`, without suspending. Kept out of line, so its temporaries
    /// are on the thread's stack rather than in the calling task's frame.
    /// - Parameter baseline: calls counted elsewhere, added to this ledger's own (a ``PostgresLedger`` deciding
    ///   while its store is unavailable passes the counts it last read).
    @inline(never)
    func route(
        _ call: IncomingCall, requestID: String, digest: SHA256Digest, in snapshot: RoutingState.Snapshot,
        at instant: Date = Date(), now: ContinuousClock.Instant, baseline: [String: Occupancy] = [:]
    ) -> Routed {
        switch cache.lookup(requestID: requestID, digest: digest, now: now) {
        case .hit(let decision): return .retry(decision)
        case .conflict: return .conflict
        case .miss: break
        }
        let decision = decide(call, in: snapshot, at: instant, now: now, baseline: baseline)
        switch cache.store(requestID: requestID, digest: digest, decision: decision, now: now) {
        case .miss:
            return .fresh(decision)
        case .hit(let first):
            // A concurrent identical delivery answered first: its backend holds the call's slot.
            if let callID = call.id, first.backend != decision.backend {
                assign(callID: callID, to: first.backend, lifetime: snapshot.table.maxCallDuration(of: first.backend))
            }
            return .retry(first)
        case .conflict:
            if let callID = call.id, decision.backend != nil { releaseSlot(callID: callID) }
            return .conflict
        }
    }

    /// Decides the call against `snapshot` with every backend's live calls and drain flag, and takes a slot on
    /// the chosen backend for the call's `id`, atomically.
    ///
    /// A call already holding a slot (the same `id` delivered again under another request ID) keeps one slot,
    /// moved to the new backend if the decision differs. A call without an `id` takes no slot.
    public func decide(
        _ call: IncomingCall, in snapshot: RoutingState.Snapshot, at instant: Date = Date(),
        now: ContinuousClock.Instant = .now, baseline: [String: Occupancy] = [:]
    ) -> RouteDecision {
        // The table is read through the snapshot, never copied: a copy would retain each of its arrays, shared
        // by every request.
        let (decision, earlier) = state.withLock { state in
            let decision = snapshot.table.decide(call, health: snapshot.health, at: instant) { index in
                let name = snapshot.table.backends[index].name
                let own = state.backends[name].map { Occupancy(active: $0.active, draining: $0.draining) } ?? .idle
                guard !baseline.isEmpty, let base = baseline[name] else { return own }
                return Occupancy(active: base.active + own.active, draining: base.draining || own.draining)
            }
            guard let name = decision.backend, let callID = call.id,
                let index = snapshot.table.backendIndex(named: name)
            else {
                return (decision, false)
            }
            let lifetime = snapshot.table.backends[index].maxCallDuration
            return (decision, Self.take(&state, callID: callID, backend: name, until: now + lifetime))
        }
        if earlier { earlierDeadline.signal() }
        return decision
    }

    /// Makes the call's slot belong to `backend` (nil: release it). Used when a concurrent identical delivery
    /// won the race to the retry cache and its answer is the one sent.
    func assign(callID: String, to backend: String?, lifetime: Duration, now: ContinuousClock.Instant = .now) {
        let earlier = state.withLock { state -> Bool in
            guard let backend else {
                Self.release(&state, callID: callID)
                return false
            }
            return Self.take(&state, callID: callID, backend: backend, until: now + lifetime)
        }
        if earlier { earlierDeadline.signal() }
    }

    public func release(callID: String) async -> CallRelease {
        releaseSlot(callID: callID)
    }

    /// Releases the call's slot, without suspending; harmless when there is none.
    @discardableResult
    func releaseSlot(callID: String) -> CallRelease {
        state.withLock { state in Self.release(&state, callID: callID) ? .released : .unknown }
    }

    public func setDraining(_ backend: String, _ draining: Bool) {
        state.withLock { state in
            state.backends[backend, default: Entry()].draining = draining
        }
    }

    public func occupancy(of backend: String) async -> Occupancy {
        state.withLock { state in
            state.backends[backend].map { Occupancy(active: $0.active, draining: $0.draining) } ?? .idle
        }
    }

    /// Every backend's occupancy by name, in one lock.
    public func occupancies() -> [String: Occupancy] {
        state.withLock { state in
            state.backends.mapValues { Occupancy(active: $0.active, draining: $0.draining) }
        }
    }

    /// Forgets backends not in `names` (a reload removed them): their leases and drain flags.
    func retain(_ names: Set<String>) {
        state.withLock { state in
            guard state.backends.keys.contains(where: { !names.contains($0) }) else { return }
            state.backends = state.backends.filter { names.contains($0.key) }
            state.leases = state.leases.filter { names.contains($0.value.backend) }
        }
    }

    /// Releases every lease past its expiry; returns them (call ID, backend) for the log.
    func expire(now: ContinuousClock.Instant = .now) -> [(callID: String, backend: String)] {
        state.withLock { state in
            guard let next = state.nextExpiry, next <= now else { return [] }
            var expired: [(String, String)] = []
            var earliest: ContinuousClock.Instant?
            for (callID, lease) in state.leases {
                if lease.expires <= now {
                    expired.append((callID, lease.backend))
                } else if earliest.map({ lease.expires < $0 }) ?? true {
                    earliest = lease.expires
                }
            }
            for (callID, _) in expired { Self.release(&state, callID: callID) }
            state.nextExpiry = earliest
            return expired
        }
    }

    /// Every live lease: call ID, backend and the lifetime it has left (a ``PostgresLedger`` writes them back).
    func leases(now: ContinuousClock.Instant = .now) -> [(callID: String, backend: String, remaining: Duration)] {
        state.withLock { state in
            state.leases.map { ($0.key, $0.value.backend, max(.zero, $0.value.expires - now)) }
        }
    }

    /// When the earliest lease expires (or later); nil with none.
    var nextExpiry: ContinuousClock.Instant? { state.withLock { $0.nextExpiry } }

    /// Live leases in total (for tests and logs).
    public var leaseCount: Int { state.withLock { $0.leases.count } }

    /// Takes the slot; true when the lease expires before every other (the sweeper must wake earlier).
    @discardableResult
    private static func take(
        _ state: inout State, callID: String, backend: String, until expires: ContinuousClock.Instant
    ) -> Bool {
        if let existing = state.leases[callID] {
            if existing.backend == backend { return false }
            release(&state, callID: callID)
        }
        state.leases[callID] = Lease(backend: backend, expires: expires)
        state.backends[backend, default: Entry()].active += 1
        guard state.nextExpiry.map({ expires < $0 }) ?? true else { return false }
        state.nextExpiry = expires
        return true
    }

    @discardableResult
    private static func release(_ state: inout State, callID: String) -> Bool {
        guard let lease = state.leases.removeValue(forKey: callID) else { return false }
        if let entry = state.backends[lease.backend] {
            state.backends[lease.backend]?.active = max(0, entry.active - 1)
        }
        return true
    }
}

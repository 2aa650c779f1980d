import Crypto
import Synchronization

/// Remembers recent answers by Inkbox request ID, so a retried delivery gets the identical answer (docs/http.md).
///
/// Keyed by request ID and a digest of the body: the same ID with the same body is a retry (whatever its
/// timestamp), the same ID with another body is a conflict. Bounded in entries (oldest evicted first) and in
/// time (entries expire after `ttl`), so memory stays flat however many distinct IDs arrive.
public final class DeliveryCache: Sendable {
    public enum Lookup: Sendable, Hashable {
        case miss
        /// A retry: the decision given the first time.
        case hit(RouteDecision)
        /// The same request ID was seen with a different body.
        case conflict
    }

    private struct Entry {
        var digest: SHA256Digest
        var decision: RouteDecision
        var storedAt: ContinuousClock.Instant
        /// Its position in `State.order`.
        var slot: Int
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// Insertion order as a ring of IDs; `head` is the oldest.
        var order: [String?]
        var head = 0
        var count = 0
    }

    /// Twice the signature window, so a retry re-signed late still finds its answer.
    public static let defaultTTL: Duration = .seconds(2 * WebhookVerifier.tolerance)

    public let capacity: Int
    public let ttl: Duration
    private let state: Mutex<State>

    /// - Parameters:
    ///   - capacity: most entries kept.
    ///   - ttl: how long an answer is remembered.
    public init(capacity: Int = 50_000, ttl: Duration = DeliveryCache.defaultTTL) {
        precondition(capacity > 0, "capacity must be positive")
        self.capacity = capacity
        self.ttl = ttl
        self.state = Mutex(State(order: Array(repeating: nil, count: capacity)))
    }

    public static func digest(_ body: UnsafeRawBufferPointer) -> SHA256Digest {
        var hash = SHA256()
        hash.update(bufferPointer: body)
        return hash.finalize()
    }

    public func lookup(requestID: String, digest: SHA256Digest, now: ContinuousClock.Instant = .now) -> Lookup {
        state.withLock { state in
            guard let entry = state.entries[requestID], now - entry.storedAt < ttl else { return .miss }
            return entry.digest == digest ? .hit(entry.decision) : .conflict
        }
    }

    /// Stores a fresh decision. When a concurrent delivery of the same ID stored first, returns what it stored
    /// (`.hit` or `.conflict`) so both get the same answer; otherwise `.miss`.
    public func store(
        requestID: String, digest: SHA256Digest, decision: RouteDecision, now: ContinuousClock.Instant = .now
    ) -> Lookup {
        state.withLock { state in
            if let entry = state.entries[requestID], now - entry.storedAt < ttl {
                return entry.digest == digest ? .hit(entry.decision) : .conflict
            }
            // Drop expired entries from the old end, then make room.
            while state.count > 0,
                state.order[state.head].flatMap({ state.entries[$0] }).map({ $0.slot != state.head || now - $0.storedAt >= ttl }) ?? true
            {
                Self.evictOldest(&state, capacity: capacity)
            }
            if state.count == capacity { Self.evictOldest(&state, capacity: capacity) }
            let slot = (state.head + state.count) % capacity
            state.order[slot] = requestID
            state.count += 1
            state.entries[requestID] = Entry(digest: digest, decision: decision, storedAt: now, slot: slot)
            return .miss
        }
    }

    /// Entries currently held.
    public var count: Int { state.withLock { $0.entries.count } }

    private static func evictOldest(_ state: inout State, capacity: Int) {
        if let id = state.order[state.head] {
            // An expired ID stored again sits in a newer slot; only the entry that owns this slot goes.
            if state.entries[id]?.slot == state.head { state.entries[id] = nil }
            state.order[state.head] = nil
        }
        state.head = (state.head + 1) % capacity
        state.count -= 1
    }
}

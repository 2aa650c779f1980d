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

    /// A remembered answer. Entries sit in `State.entries` in the order they were stored, a ring once it is full.
    private struct Entry {
        var requestID: String
        var hash: Int
        var digest: SHA256Digest
        var decision: RouteDecision
        var storedAt: ContinuousClock.Instant
        /// False once evicted or stored again in a newer entry: its place in the ring waits for its turn to go.
        var live: Bool
    }

    /// The ring of entries, and an open-addressing index over its live ones: each request ID is hashed once per
    /// lookup or store, and nothing is allocated once the ring is full.
    private struct State {
        var entries: [Entry] = []
        /// The oldest entry's place in the ring, and how many places from it are taken (live or not).
        var head = 0
        var used = 0
        var live = 0
        /// Linear probing, at most half full so probes stay short. A bucket is 0 when empty, else ``Bucket``: the
        /// entry's ring place and the low half of its hash, so a probe compares hashes without reading the entries
        /// (each one a cache miss in a ring of megabytes) and reads an entry only when its hash matches.
        var buckets = [UInt64](repeating: 0, count: 16)
        var mask: Int { buckets.count - 1 }
    }

    /// A bucket's two halves: the low 32 bits of the entry's hash (all a bucket's position depends on, the table
    /// being smaller than 2³² buckets) and its ring place plus one.
    private enum Bucket {
        static func make(place: Int, hash: Int) -> UInt64 {
            UInt64(UInt32(truncatingIfNeeded: hash)) << 32 | UInt64(place + 1)
        }
        static func place(_ bucket: UInt64) -> Int { Int(bucket & 0xFFFF_FFFF) - 1 }
        static func hash(_ bucket: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: bucket >> 32) }
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
        precondition(capacity > 0 && capacity < 1 << 30, "capacity must be positive and below 2^30")
        self.capacity = capacity
        self.ttl = ttl
        self.state = Mutex(State())
    }

    public static func digest(_ body: UnsafeRawBufferPointer) -> SHA256Digest {
        var hash = SHA256()
        hash.update(bufferPointer: body)
        return hash.finalize()
    }

    public func lookup(requestID: String, digest: SHA256Digest, now: ContinuousClock.Instant = .now) -> Lookup {
        let hash = requestID.hashValue
        return state.withLock { state in
            guard let (_, place) = Self.find(requestID, hash: hash, in: state),
                now - state.entries[place].storedAt < ttl
            else { return .miss }
            return state.entries[place].digest == digest ? .hit(state.entries[place].decision) : .conflict
        }
    }

    /// Stores a fresh decision. When a concurrent delivery of the same ID stored first, returns what it stored
    /// (`.hit` or `.conflict`) so both get the same answer; otherwise `.miss`.
    public func store(
        requestID: String, digest: SHA256Digest, decision: RouteDecision, now: ContinuousClock.Instant = .now
    ) -> Lookup {
        let hash = requestID.hashValue
        return state.withLock { state in
            if let (bucket, place) = Self.find(requestID, hash: hash, in: state) {
                if now - state.entries[place].storedAt < ttl {
                    return state.entries[place].digest == digest ? .hit(state.entries[place].decision) : .conflict
                }
                Self.unlink(bucket: bucket, place: place, &state)
            }
            // Drop expired and superseded entries from the old end, then make room.
            while state.used > 0, !state.entries[state.head].live || now - state.entries[state.head].storedAt >= ttl {
                evictOldest(&state)
            }
            if state.used == capacity { evictOldest(&state) }
            if 2 * (state.live + 1) > state.buckets.count { Self.grow(&state) }
            let place = (state.head + state.used) % capacity
            let entry = Entry(
                requestID: requestID, hash: hash, digest: digest, decision: decision, storedAt: now, live: true
            )
            if place == state.entries.count { state.entries.append(entry) } else { state.entries[place] = entry }
            state.used += 1
            state.live += 1
            Self.index(place, hash: hash, &state)
            return .miss
        }
    }

    /// Entries currently held.
    public var count: Int { state.withLock { $0.live } }

    // MARK: The index

    /// The bucket and ring place of the live entry for `requestID`.
    private static func find(_ requestID: String, hash: Int, in state: State) -> (bucket: Int, place: Int)? {
        let low = UInt32(truncatingIfNeeded: hash)
        var bucket = hash & state.mask
        while state.buckets[bucket] != 0 {
            if Bucket.hash(state.buckets[bucket]) == low {
                let place = Bucket.place(state.buckets[bucket])
                if state.entries[place].hash == hash, state.entries[place].requestID == requestID {
                    return (bucket, place)
                }
            }
            bucket = (bucket + 1) & state.mask
        }
        return nil
    }

    private static func index(_ place: Int, hash: Int, _ state: inout State) {
        var bucket = hash & state.mask
        while state.buckets[bucket] != 0 { bucket = (bucket + 1) & state.mask }
        state.buckets[bucket] = Bucket.make(place: place, hash: hash)
    }

    /// Takes a live entry out of the index; its place in the ring stays until the ring reaches it.
    private static func unlink(bucket: Int, place: Int, _ state: inout State) {
        state.entries[place].live = false
        state.live -= 1
        // Backward-shift deletion: every entry after the hole that could sit in it moves up, so no probe for a
        // later entry ever stops early at an empty bucket.
        var hole = bucket
        var next = (bucket + 1) & state.mask
        while state.buckets[next] != 0 {
            let home = Int(Bucket.hash(state.buckets[next])) & state.mask
            if (next - home) & state.mask >= (next - hole) & state.mask {
                state.buckets[hole] = state.buckets[next]
                hole = next
            }
            next = (next + 1) & state.mask
        }
        state.buckets[hole] = 0
    }

    /// Twice the buckets, the live entries indexed again.
    private static func grow(_ state: inout State) {
        state.buckets = [UInt64](repeating: 0, count: 2 * state.buckets.count)
        for place in state.entries.indices where state.entries[place].live {
            index(place, hash: state.entries[place].hash, &state)
        }
    }

    private func evictOldest(_ state: inout State) {
        let head = state.head
        if state.entries[head].live {
            var bucket = state.entries[head].hash & state.mask
            while Bucket.place(state.buckets[bucket]) != head { bucket = (bucket + 1) & state.mask }
            Self.unlink(bucket: bucket, place: head, &state)
        }
        state.head = (head + 1) % capacity
        state.used -= 1
    }
}

import Foundation
import Synchronization

/// Picks one member of a pool per call, following a `Strategy`.
///
/// Selectors belong to one loaded table; cursors restart with each reload. Only `round_robin` and `weighted`
/// keep state, in an `Atomic` and a `Mutex` respectively, so concurrent decisions never block for long.
final class PoolSelector: Sendable {
    let strategy: Strategy
    let members: [Int]
    let weights: [Int]
    /// `StableHash` of each member's name, for `sticky`.
    private let memberHashes: [UInt64]
    private let cursor = Atomic<Int>(0)
    private let currentWeights: Mutex<[Int]>

    /// - Parameters:
    ///   - members: indices into `backends`, in pool order.
    ///   - backends: the table's backends, for the members' names (`sticky`) and weights.
    init(strategy: Strategy, members: [Int], backends: [Backend]) {
        self.strategy = strategy
        self.members = members
        self.weights = members.map { backends[$0].weight }
        self.memberHashes = members.map { StableHash.hash(backends[$0].name) }
        self.currentWeights = Mutex(Array(repeating: 0, count: members.count))
    }

    /// The chosen backend index, or nil when no member is eligible.
    /// - Parameters:
    ///   - key: the value `sticky` hashes (the caller).
    ///   - eligible: whether a backend index may take calls.
    ///   - utilisation: a backend's utilisation from 0 (idle) to 1 (full), for `least_loaded`.
    ///   - advance: false to only look: the choice the next call would get, leaving the cursors where they are
    ///     (`explain` against a running table).
    func select(
        key: String?, eligible: (Int) -> Bool, utilisation: (Int) -> Double = { _ in 0 }, advance: Bool = true
    ) -> Int? {
        switch strategy {
        case .leastLoaded:
            // Lowest utilisation; the first in member order wins a tie, so the answer is deterministic.
            var best: Int?
            var bestLoad = Double.infinity
            for member in members where eligible(member) {
                let load = utilisation(member)
                if load < bestLoad {
                    bestLoad = load
                    best = member
                }
            }
            return best
        case .priority:
            return members.first(where: eligible)
        case .roundRobin:
            let count = members.reduce(0) { $0 + (eligible($1) ? 1 : 0) }
            guard count > 0 else { return nil }
            let position = advance ? cursor.wrappingAdd(1, ordering: .relaxed).oldValue : cursor.load(ordering: .relaxed)
            var skip = position % count
            if skip < 0 { skip += count }
            for member in members where eligible(member) {
                if skip == 0 { return member }
                skip -= 1
            }
            return nil
        case .weighted:
            return currentWeights.withLock { current in
                guard advance else {
                    var copy = current
                    return Self.smoothWeighted(&copy, members: members, weights: weights, eligible: eligible)
                }
                return Self.smoothWeighted(&current, members: members, weights: weights, eligible: eligible)
            }
        case .sticky:
            let keyHash = StableHash.hash(key ?? "")
            var best = -1
            var bestScore = -Double.infinity
            for slot in members.indices where eligible(members[slot]) {
                let score = Self.rendezvousScore(keyHash: keyHash, memberHash: memberHashes[slot], weight: weights[slot])
                if score > bestScore {
                    bestScore = score
                    best = slot
                }
            }
            return best >= 0 ? members[best] : nil
        }
    }

    /// Smooth weighted round robin (nginx): raise every eligible member by its weight, pick the highest, lower it
    /// by the total. `current` holds the members' running weights.
    private static func smoothWeighted(
        _ current: inout [Int], members: [Int], weights: [Int], eligible: (Int) -> Bool
    ) -> Int? {
        var total = 0
        var best = -1
        for slot in members.indices where eligible(members[slot]) {
            current[slot] += weights[slot]
            total += weights[slot]
            if best < 0 || current[slot] > current[best] { best = slot }
        }
        guard best >= 0 else { return nil }
        current[best] -= total
        return members[best]
    }

    /// Weighted rendezvous score `-w / ln(u)` with `u` uniform in (0, 1) from the pair's hash: the member with the
    /// highest score wins, each with probability proportional to its weight, and removing one member moves only the
    /// keys it had.
    static func rendezvousScore(keyHash: UInt64, memberHash: UInt64, weight: Int) -> Double {
        let mixed = StableHash.mix(keyHash ^ memberHash)
        let unit = (Double(mixed >> 11) + 0.5) / 9_007_199_254_740_992  // 2^53
        return -Double(weight) / log(unit)
    }
}

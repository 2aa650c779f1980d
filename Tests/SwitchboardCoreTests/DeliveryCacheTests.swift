import Crypto
import Foundation
import Testing

@testable import SwitchboardCore

struct DeliveryCacheTests {
    static let answer = RouteDecision(route: "r", backend: "b", answer: .answer(url: "wss://b/calls"))
    static let other = RouteDecision(route: "r2", backend: nil, answer: .reject)

    static func digest(_ text: String) -> SHA256Digest { SHA256.hash(data: Data(text.utf8)) }

    @Test func retryGetsTheFirstAnswer() {
        let cache = DeliveryCache(capacity: 10)
        let start = ContinuousClock.now
        #expect(cache.lookup(requestID: "a", digest: Self.digest("body"), now: start) == .miss)
        #expect(cache.store(requestID: "a", digest: Self.digest("body"), decision: Self.answer, now: start) == .miss)
        #expect(cache.lookup(requestID: "a", digest: Self.digest("body"), now: start + .seconds(299)) == .hit(Self.answer))
    }

    @Test func sameIDWithAnotherBodyIsAConflict() {
        let cache = DeliveryCache(capacity: 10)
        _ = cache.store(requestID: "a", digest: Self.digest("body"), decision: Self.answer)
        #expect(cache.lookup(requestID: "a", digest: Self.digest("other body")) == .conflict)
    }

    @Test func concurrentStoreKeepsTheFirstDecision() {
        let cache = DeliveryCache(capacity: 10)
        _ = cache.store(requestID: "a", digest: Self.digest("body"), decision: Self.answer)
        #expect(cache.store(requestID: "a", digest: Self.digest("body"), decision: Self.other) == .hit(Self.answer))
    }

    @Test func entriesExpire() {
        let cache = DeliveryCache(capacity: 10, ttl: .seconds(600))
        let start = ContinuousClock.now
        _ = cache.store(requestID: "a", digest: Self.digest("body"), decision: Self.answer, now: start)
        #expect(cache.lookup(requestID: "a", digest: Self.digest("other"), now: start + .seconds(601)) == .miss)
        // Storing again after expiry works, and the stale ring slot does not evict the new entry later.
        _ = cache.store(requestID: "a", digest: Self.digest("new"), decision: Self.other, now: start + .seconds(601))
        _ = cache.store(requestID: "b", digest: Self.digest("b"), decision: Self.other, now: start + .seconds(1000))
        #expect(cache.lookup(requestID: "a", digest: Self.digest("new"), now: start + .seconds(1100)) == .hit(Self.other))
        // And it expires in its turn.
        _ = cache.store(requestID: "c", digest: Self.digest("c"), decision: Self.other, now: start + .seconds(1300))
        #expect(cache.lookup(requestID: "a", digest: Self.digest("new"), now: start + .seconds(1300)) == .miss)
    }

    @Test func oldestEntriesAreEvictedAtCapacity() {
        let cache = DeliveryCache(capacity: 3)
        for id in ["a", "b", "c", "d"] { _ = cache.store(requestID: id, digest: Self.digest(id), decision: Self.answer) }
        #expect(cache.count == 3)
        #expect(cache.lookup(requestID: "a", digest: Self.digest("a")) == .miss)
        #expect(cache.lookup(requestID: "d", digest: Self.digest("d")) == .hit(Self.answer))
    }

    @Test func staysBoundedAfterAMillionDistinctIDs() {
        let cache = DeliveryCache(capacity: 10_000)
        let digest = Self.digest("body")
        let start = ContinuousClock.now
        for index in 0..<1_000_000 {
            _ = cache.store(
                requestID: "request-\(index)", digest: digest, decision: Self.answer,
                now: start + .milliseconds(index)
            )
            if index % 100_000 == 0 { #expect(cache.count <= 10_000) }
        }
        #expect(cache.count == 10_000)
        // By then every entry older than the ttl (600 s = 600,000 stores) has gone as well.
        #expect(cache.lookup(requestID: "request-999999", digest: digest, now: start + .milliseconds(999_999)) == .hit(Self.answer))
        #expect(cache.lookup(requestID: "request-989999", digest: digest, now: start + .milliseconds(999_999)) == .miss)
    }
}

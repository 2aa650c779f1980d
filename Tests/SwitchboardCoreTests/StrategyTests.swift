import Testing

@testable import SwitchboardCore

struct StrategyTests {
    static func pool(_ strategy: String, weights: [Int] = [1, 1, 1], panic: Bool = false) throws -> RoutingTable {
        let backends = weights.enumerated().map { "  m\($0.offset): { url: \"ws://m\($0.offset)\", weight: \($0.element) }" }
        let members = weights.indices.map { "m\($0)" }.joined(separator: ", ")
        return try Fixtures.table("""
            version: 1
            backends:
            \(backends.joined(separator: "\n"))
            pools:
              p: { strategy: \(strategy), members: [\(members)], panic: \(panic) }
            routes:
              - { name: all, to: p }
            """)
    }

    static func health(_ table: RoutingTable, down: Set<String>) -> HealthView {
        HealthView(eligible: table.backends.map { !down.contains($0.name) })
    }

    static func picks(_ table: RoutingTable, _ count: Int, down: Set<String> = [], caller: String = "+1") -> [String] {
        (0..<count).map { _ in
            table.decide(.call(caller: caller), health: health(table, down: down)).backend ?? "-"
        }
    }

    @Test func priorityFailsOverInOrder() throws {
        let table = try Self.pool("priority")
        #expect(Self.picks(table, 3) == ["m0", "m0", "m0"])
        #expect(Self.picks(table, 2, down: ["m0"]) == ["m1", "m1"])
        #expect(Self.picks(table, 2, down: ["m0", "m1"]) == ["m2", "m2"])
    }

    /// `explain` against a running table (GET /admin/explain) shows what the next call would get and moves no cursor.
    @Test(arguments: ["round_robin", "weighted"])
    func explainLeavesCursorsWhereTheyAre(strategy: String) throws {
        let table = try Self.pool(strategy, weights: [1, 2, 1])
        let first = Self.picks(table, 1)
        let explained = (0..<5).map { _ in
            table.explain(.call(caller: "+1"), health: Self.health(table, down: [])).decision.backend ?? "-"
        }
        let next = Self.picks(table, 1)
        #expect(Set(explained).count == 1)
        #expect(explained.first.map { [$0] } == next)
        let fresh = try Self.pool(strategy, weights: [1, 2, 1])
        #expect(Self.picks(fresh, 2) == first + next)
    }

    @Test func roundRobinTakesHealthyMembersInTurn() throws {
        let table = try Self.pool("round_robin")
        #expect(Self.picks(table, 6) == ["m0", "m1", "m2", "m0", "m1", "m2"])
        let withDown = Self.picks(table, 4, down: ["m1"])
        #expect(Set(withDown) == ["m0", "m2"])
        #expect(withDown.filter { $0 == "m0" }.count == 2)
    }

    @Test func weightedIsSmoothWeightedRoundRobin() throws {
        // nginx's example: weights 5, 1, 1 give a a b a c a a — spread, not bursts.
        let table = try Self.pool("weighted", weights: [5, 1, 1])
        #expect(Self.picks(table, 7) == ["m0", "m0", "m1", "m0", "m2", "m0", "m0"])
        let many = Self.picks(table, 700)
        #expect(many.filter { $0 == "m0" }.count == 500)
        #expect(many.filter { $0 == "m1" }.count == 100)
        // A down member's share goes to the others in proportion.
        let withDown = Self.picks(table, 600, down: ["m0"])
        #expect(withDown.filter { $0 == "m1" }.count == 300)
    }

    @Test func panicChoosesAsIfAllWereHealthy() throws {
        let calm = try Self.pool("priority")
        #expect(calm.decide(.call(), health: Self.health(calm, down: ["m0", "m1", "m2"])).answer == .reject)
        let panicking = try Self.pool("priority", panic: true)
        let decision = panicking.decide(.call(), health: Self.health(panicking, down: ["m0", "m1", "m2"]))
        #expect(decision.backend == "m0")
        #expect(decision.answer == .answer(url: "ws://m0"))
    }

    @Test func stickyKeepsACallerOnItsBackend() throws {
        let table = try Self.pool("sticky")
        let again = try Self.pool("sticky")
        for index in 0..<200 {
            let caller = "+1312555\(1000 + index)"
            let first = Self.picks(table, 1, caller: caller)[0]
            #expect(Self.picks(table, 5, caller: caller) == Array(repeating: first, count: 5))
            // Another replica, with no shared state, answers the same.
            #expect(Self.picks(again, 1, caller: caller) == [first])
        }
    }

    /// Property test over many random member sets and callers: when one member goes down, only its callers move,
    /// and they spread over the others in proportion to weight.
    @Test func stickyMovesOnlyTheCallersOfAFailedMember() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            let count = Int.random(in: 3...6, using: &generator)
            let weights = (0..<count).map { _ in Int.random(in: 1...4, using: &generator) }
            let table = try Self.pool("sticky", weights: weights)
            let failed = "m\(Int.random(in: 0..<count, using: &generator))"
            let callers = (0..<6_000).map { _ in "+1\(UInt64.random(in: 2_000_000_000...9_999_999_999, using: &generator))" }
            var moved: [String: Int] = [:]
            var share: [String: Int] = [:]
            for caller in callers {
                let before = Self.picks(table, 1, caller: caller)[0]
                let after = Self.picks(table, 1, down: [failed], caller: caller)[0]
                share[before, default: 0] += 1
                if before == failed {
                    #expect(after != failed)
                    moved[after, default: 0] += 1
                } else {
                    #expect(after == before, "a caller of a healthy member moved")
                }
            }
            // Shares follow weights (within 3 points of the expected fraction).
            let total = Double(weights.reduce(0, +))
            for (index, weight) in weights.enumerated() {
                let expected = Double(weight) / total
                let actual = Double(share["m\(index)", default: 0]) / Double(callers.count)
                #expect(abs(actual - expected) < 0.03, "weights \(weights): m\(index) got \(actual), expected \(expected)")
            }
            // The failed member's callers spread over the rest by weight.
            let movedTotal = Double(moved.values.reduce(0, +))
            let remaining = total - Double(weights[Int(failed.dropFirst())!])
            guard movedTotal >= 500 else { continue }
            for (index, weight) in weights.enumerated() where "m\(index)" != failed {
                let expected = Double(weight) / remaining
                let actual = Double(moved["m\(index)", default: 0]) / movedTotal
                #expect(abs(actual - expected) < 0.07, "weights \(weights), \(failed) down: m\(index) got \(actual), expected \(expected)")
            }
        }
    }

    @Test func routeStrategyOverridesThePoolsOwn() throws {
        let table = try Fixtures.table("""
            version: 1
            backends: { a: { url: "ws://a" }, b: { url: "ws://b" } }
            pools: { p: { strategy: priority, members: [a, b] } }
            routes:
              - { name: rr, when: { caller: "+1*" }, to: p, strategy: round_robin }
              - { name: plain, to: p }
            """)
        let rr = (0..<4).map { _ in table.decide(.call(caller: "+1555"), health: .allEligible(2)).backend }
        #expect(rr == ["a", "b", "a", "b"])
        let plain = (0..<2).map { _ in table.decide(.call(caller: "+4420"), health: .allEligible(2)).backend }
        #expect(plain == ["a", "a"])
    }
}

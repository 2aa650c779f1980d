import Foundation
import Testing

@testable import SwitchboardCore

/// Call limits, drain flags, self-reports and `least_loaded` in the routing engine (docs/routes.md#call-limits).
struct CapacityTests {
    static func pool(_ strategy: String, limits: [Int?], fallback: String = "number_default") throws -> RoutingTable {
        let backends = limits.enumerated().map { index, limit in
            "  m\(index): { url: \"ws://m\(index)\"\(limit.map { ", max_calls: \($0)" } ?? "") }"
        }
        let members = limits.indices.map { "m\($0)" }.joined(separator: ", ")
        return try Fixtures.table("""
            version: 1
            backends:
            \(backends.joined(separator: "\n"))
            pools:
              p: { strategy: \(strategy), members: [\(members)], fallback: \(fallback) }
            routes:
              - { name: all, to: p }
            """)
    }

    /// Decides with `active[i]` live calls on member `i` and the given members drained.
    static func decide(
        _ table: RoutingTable, active: [Int], draining: Set<Int> = [], caller: String = "+14155550999",
        health: HealthView? = nil
    ) -> RouteDecision {
        table.decide(.call(caller: caller), health: health ?? .allEligible(table.backends.count)) { index in
            Occupancy(active: active[index], draining: draining.contains(index))
        }
    }

    @Test(arguments: ["priority", "round_robin", "weighted", "sticky", "least_loaded"])
    func everyStrategySkipsAFullMemberLikeADownOne(_ strategy: String) throws {
        let table = try Self.pool(strategy, limits: [1, 1, 1])
        for _ in 0..<6 {
            let decision = Self.decide(table, active: [1, 0, 1])
            #expect(decision.backend == "m1")
            #expect(decision.skipped.allSatisfy { $0.reason == .full && $0.backend != "m1" })
            #expect(decision.skipped.contains(SkippedBackend(backend: "m0", reason: .full)) || strategy != "priority")
        }
        // Draining members are skipped the same way; every member unavailable means the pool's fallback.
        #expect(Self.decide(table, active: [0, 0, 0], draining: [0, 2]).backend == "m1")
        let exhausted = Self.decide(table, active: [1, 0, 1], draining: [1])
        #expect(exhausted.answer == .numberDefault)
        #expect(exhausted.skipped.map(\.reason).sorted { $0.rawValue < $1.rawValue } == [.draining, .full, .full])
    }

    @Test func stickyCallersMoveWhileFullAndComeBack() throws {
        let table = try Self.pool("sticky", limits: [5, 5, 5])
        let callers = (0..<300).map { "+1415555\(String(format: "%04d", $0))" }
        let home = callers.map { Self.decide(table, active: [0, 0, 0], caller: $0).backend }
        let whileFull = callers.map { Self.decide(table, active: [0, 5, 0], caller: $0).backend }
        for (before, during) in zip(home, whileFull) {
            // Only the full member's callers move.
            if before != "m1" { #expect(during == before) } else { #expect(during != "m1") }
        }
        #expect(callers.map { Self.decide(table, active: [0, 4, 0], caller: $0).backend } == home)
    }

    @Test func panicNeverOverridesLimitsOrDrain() throws {
        let table = try Fixtures.table("""
            version: 1
            backends:
              a: { url: "ws://a", max_calls: 1 }
              b: { url: "ws://b" }
            pools:
              p: { strategy: priority, members: [a, b], panic: true, fallback: reject }
            routes:
              - { name: all, to: p }
            """)
        let down = HealthView(eligible: [false, false])
        #expect(Self.decide(table, active: [0, 0], health: down).backend == "a")
        #expect(Self.decide(table, active: [1, 0], health: down).backend == "b")
        #expect(Self.decide(table, active: [1, 0], draining: [1], health: down).answer == .reject)
    }

    /// Property: each pick has the lowest utilisation among available members (first in order on a tie), and no
    /// member ever holds more calls than its limit, over random limits and random releases.
    @Test func leastLoadedPicksTheLowestUtilisation() throws {
        var generator = SplitMix(seed: 0x5eed)
        for _ in 0..<200 {
            let count = Int.random(in: 2...5, using: &generator)
            let limits = (0..<count).map { _ in Int.random(in: 1...8, using: &generator) }
            let table = try Self.pool("least_loaded", limits: limits)
            var active = Array(repeating: 0, count: count)
            for _ in 0..<60 {
                if Bool.random(using: &generator), let busy = active.indices.filter({ active[$0] > 0 }).randomElement(using: &generator) {
                    active[busy] -= 1
                    continue
                }
                let decision = Self.decide(table, active: active)
                let open = active.indices.filter { active[$0] < limits[$0] }
                guard let chosen = decision.backend.flatMap({ table.backendIndex(named: $0) }) else {
                    #expect(open.isEmpty)
                    #expect(decision.answer == .numberDefault)
                    continue
                }
                let utilisation = { (index: Int) in Double(active[index]) / Double(limits[index]) }
                let lowest = open.min { utilisation($0) < utilisation($1) }
                #expect(chosen == lowest)
                active[chosen] += 1
                #expect(active[chosen] <= limits[chosen])
            }
        }
    }

    @Test func leastLoadedUsesReportedLoadAndExplainShowsEachMember() throws {
        let table = try Self.pool("least_loaded", limits: [4, 4])
        let reports: [BackendReport?] = [BackendReport(load: 0.1), BackendReport(load: 0.6)]
        let health = HealthView(eligible: [true, true], reports: reports)
        // m0: max(2/4, 0.1) = 0.5; m1: max(0/4, 0.6) = 0.6.
        #expect(Self.decide(table, active: [2, 0], health: health).backend == "m0")
        #expect(Self.decide(table, active: [3, 0], health: health).backend == "m1")
        let explanation = table.explain(.call(caller: "+1"), health: health) { $0 == 1 ? Occupancy(active: 4) : Occupancy(active: 2) }
        #expect(explanation.steps.contains("pool 'p' members: m0 2/4 calls, load 0.50; m1 full (4/4 calls)"))
        #expect(explanation.steps.contains("pool 'p' (least_loaded) chose 'm0'"))
    }

    @Test func reportedStatusAndMaxCallsOverrideTheTable() throws {
        let table = try Self.pool("priority", limits: [10, nil])
        let full = HealthView(eligible: [true, true], reports: [BackendReport(status: .full), nil])
        #expect(Self.decide(table, active: [0, 0], health: full).skipped == [SkippedBackend(backend: "m0", reason: .full)])
        let draining = HealthView(eligible: [true, true], reports: [BackendReport(status: .draining), nil])
        #expect(Self.decide(table, active: [0, 0], health: draining).backend == "m1")
        let smaller = HealthView(eligible: [true, true], reports: [BackendReport(maxCalls: 2), nil])
        #expect(Self.decide(table, active: [2, 0], health: smaller).backend == "m1")
        #expect(table.limit(of: 0, health: smaller) == 2)
        #expect(table.availability(of: 0, health: smaller, occupancy: Occupancy(active: 2)) == .full)
    }

    @Test func aFullDirectTargetSaysFullAndFallsBack() throws {
        let table = try Fixtures.table("""
            version: 1
            backends:
              a: { url: "ws://a", max_calls: 2, fallback: b }
              b: { url: "ws://b" }
            routes:
              - { name: all, to: a }
            """)
        let explanation = table.explain(.call(caller: "+1"), health: .allEligible(2)) { _ in Occupancy(active: 2) }
        #expect(explanation.steps.contains("backend 'a' is full (2/2 calls)"))
        #expect(explanation.decision.backend == "b")
    }

    @Test func limitsAreReadAndChecked() throws {
        let table = try Fixtures.table("""
            version: 1
            backends:
              a: { url: "ws://a", max_calls: 8, max_call_duration: 90m }
              b: { url: "ws://b", health: { check: http, report: json } }
            routes:
              - { name: all, to: a }
            """)
        #expect(table.backends[0].maxCalls == 8)
        #expect(table.backends[0].maxCallDuration == .seconds(5400))
        #expect(table.backends[1].maxCalls == nil)
        #expect(table.backends[1].maxCallDuration == .seconds(7200))
        #expect(table.backends[1].check.readsReport)
        let problems = Fixtures.problems("""
            version: 1
            backends:
              a: { url: "ws://a", max_calls: -1, max_call_duration: 0s }
              b: { url: "ws://b", health: { check: websocket, report: json } }
              c: { url: "ws://c", health: { check: http, report: xml } }
            routes:
              - { name: all, to: a }
            """)
        #expect(problems == [
            "routes.yaml:3:34: max_calls must be an integer from 0 to 1000000, not '-1'",
            "routes.yaml:3:57: max_call_duration must be more than 0",
            "routes.yaml:4:51: 'report' applies only to check: http",
            "routes.yaml:5:54: unknown report 'xml' (use json or none)",
        ])
    }

    @Test func leastLoadedWarnsAboutMembersWithoutLoad() throws {
        let table = try Fixtures.table("""
            version: 1
            backends:
              a: { url: "ws://a", max_calls: 2 }
              b: { url: "ws://b" }
            pools:
              p: { strategy: least_loaded, members: [a, b] }
            routes:
              - { name: all, to: p }
            """)
        #expect(table.warnings.map(\.description) == [
            "routes.yaml:6:18: warning: least_loaded: 'b' has neither max_calls nor a health report, so its load always reads 0"
        ])
    }

    @Test(arguments: [
        (#"{}"#, BackendReport()),
        (#"{"status":"full","load":0.5,"max_calls":12}"#, BackendReport(status: .full, load: 0.5, maxCalls: 12)),
        (#"{"status":"draining","extra":[1]}"#, BackendReport(status: .draining)),
        (#"{"load":1,"max_calls":null}"#, BackendReport(load: 1)),
    ])
    func reportsAreRead(_ body: String, _ expected: BackendReport) throws {
        #expect(try BackendReport(json: Array(body.utf8)) == expected)
    }

    @Test(arguments: [
        ("ok", "report is not JSON"),
        ("[]", "report is not a JSON object"),
        (#"{"status":"busy"}"#, #"report status must be "ok", "draining" or "full""#),
        (#"{"load":1.5}"#, "report load must be a number from 0 to 1"),
        (#"{"load":"0.5"}"#, "report load must be a number from 0 to 1"),
        (#"{"load":true}"#, "report load must be a number from 0 to 1"),
        (#"{"max_calls":2.5}"#, "report max_calls must be a whole number from 0 to 1000000"),
    ])
    func malformedReportsAreRefused(_ body: String, _ message: String) {
        #expect(throws: ReportError.self) { try BackendReport(json: Array(body.utf8)) }
        do {
            _ = try BackendReport(json: Array(body.utf8))
        } catch {
            #expect(error.description == message)
        }
    }
}

/// A seeded generator, so a failing property run can be repeated.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

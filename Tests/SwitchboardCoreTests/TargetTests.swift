import Foundation
import Testing

@testable import SwitchboardCore

struct TargetTests {
    /// A table exercising every rung of the fallback ladder.
    static let yaml = """
        version: 1
        numbers:
          "+14155550100": { team: support }
        backends:
          primary: { url: "wss://primary/calls?call={call.id}&from={caller}", fallback: backup }
          backup: { url: "wss://backup/{number.team}/{route}/{backend}" }
          lonely: { url: "wss://lonely" }
          spare: { url: "wss://spare" }
        pools:
          pool: { members: [primary, backup], fallback: number_default }
          bare: { members: [lonely] }
        routes:
          - { name: blocked, when: { caller: "+1900*" }, to: reject }
          - { name: direct, when: { caller: "+1111*" }, to: primary }
          - { name: pooled, when: { caller: "+1222*" }, to: pool }
          - { name: with-route-fallback, when: { caller: "+1333*" }, to: bare, fallback: spare }
          - { name: to-default, when: { caller: "+1444*" }, to: number_default }
          - { name: to-top, when: { caller: "+1555*" }, to: lonely }
        fallback: spare
        """

    static func decide(_ caller: String, down: Set<String> = []) throws -> RouteDecision {
        let table = try Fixtures.table(yaml)
        let health = HealthView(eligible: table.backends.map { !down.contains($0.name) })
        return table.decide(IncomingCall(id: "c/1", number: "+14155550100", caller: caller), health: health)
    }

    @Test func rejectTargetRejects() throws {
        #expect(try Self.decide("+19005550100") == RouteDecision(route: "blocked", backend: nil, answer: .reject))
        #expect(WebhookAnswer.reject.json == #"{"action":"reject"}"#)
    }

    @Test func urlTemplatesArePercentEncoded() throws {
        let decision = try Self.decide("+11115550100")
        #expect(decision.backend == "primary")
        #expect(decision.answer == .answer(url: "wss://primary/calls?call=c%2F1&from=%2B11115550100"))
        #expect(decision.answer.json == #"{"action":"answer","client_websocket_url":"wss://primary/calls?call=c%2F1&from=%2B11115550100"}"#)
    }

    @Test func backendFallbackTakesOverWhenItIsDown() throws {
        let decision = try Self.decide("+11115550100", down: ["primary"])
        #expect(decision == RouteDecision(route: "direct", backend: "backup", answer: .answer(url: "wss://backup/support/direct/backup")))
    }

    @Test func poolFallsBackToNumberDefault() throws {
        #expect(try Self.decide("+12225550100").backend == "primary")
        #expect(try Self.decide("+12225550100", down: ["primary"]).backend == "backup")
        let decision = try Self.decide("+12225550100", down: ["primary", "backup"])
        #expect(decision == RouteDecision(route: "pooled", backend: nil, answer: .numberDefault))
        // The key is absent, not null.
        #expect(decision.answer.json == #"{"action":"answer"}"#)
    }

    @Test func routeFallbackComesBeforeTheTopLevel() throws {
        #expect(try Self.decide("+13335550100", down: ["lonely"]).backend == "spare")
    }

    @Test func topLevelFallbackThenReject() throws {
        #expect(try Self.decide("+15555550100", down: ["lonely"]).backend == "spare")
        let exhausted = try Self.decide("+15555550100", down: ["lonely", "spare"])
        #expect(exhausted == RouteDecision(route: "to-top", backend: nil, answer: .reject))
    }

    @Test func noMatchingRouteUsesTheTopLevelFallback() throws {
        #expect(try Self.decide("+16665550100") == RouteDecision(route: nil, backend: "spare", answer: .answer(url: "wss://spare")))
    }

    @Test func numberDefaultTarget() throws {
        #expect(try Self.decide("+14445550100").answer == .numberDefault)
    }

    @Test func explainNamesEveryStep() throws {
        let table = try Fixtures.table(Self.yaml)
        var eligible = Array(repeating: true, count: table.backends.count)
        eligible[table.backendIndex(named: "primary")!] = false
        eligible[table.backendIndex(named: "backup")!] = false
        let explanation = table.explain(.call(caller: "+12225550100"), health: HealthView(eligible: eligible))
        #expect(explanation.skipped.map(\.route) == ["blocked", "direct"])
        #expect(explanation.skipped[0].condition == #"caller: "+1900*""#)
        #expect(explanation.skipped[0].reason == #"caller is "+12225550100""#)
        #expect(explanation.matchedRoute == "pooled")
        #expect(explanation.steps == [
            "route 'pooled' → pool", "pool 'pool': no healthy member", "pool 'pool' fallback → number_default",
        ])
        #expect(explanation.decision.answer == .numberDefault)
    }

    /// The route index must never change which route wins: `decide` (indexed) and `explain` (every route in order)
    /// agree on random tables and calls.
    @Test func indexedDecisionsMatchALinearScan() throws {
        var generator = SystemRandomNumberGenerator()
        let numbers = (0..<8).map { "+1415555010\($0)" }
        let callers = (0..<8).map { "+1312555099\($0)" }
        for _ in 0..<30 {
            var routes: [String] = []
            for index in 0..<25 {
                let number = numbers.randomElement(using: &generator)!
                let caller = callers.randomElement(using: &generator)!
                let when = [
                    #"{ number: "\#(number)" }"#,
                    #"{ caller: "\#(caller)" }"#,
                    #"{ number: ["\#(number)", "\#(numbers.randomElement(using: &generator)!)"], caller: "+1312*" }"#,
                    #"{ caller: ["\#(caller)"], number: { not: "\#(number)" } }"#,
                    #"{ caller: "+131255509\#(Int.random(in: 0...9, using: &generator))?" }"#,
                    #"{ split: { percent: 50 } }"#,
                ].randomElement(using: &generator)!
                routes.append("  - { name: r\(index), when: \(when), to: a }")
            }
            let table = try Fixtures.table("version: 1\nbackends: { a: { url: \"ws://a\" } }\nroutes:\n" + routes.joined(separator: "\n"))
            for number in numbers {
                for caller in callers {
                    let call = IncomingCall.call(caller: caller, number: number)
                    #expect(table.decide(call, health: .allEligible(1)).route == table.explain(call, health: .allEligible(1)).matchedRoute)
                }
            }
        }
    }

    /// The real fixture through a realistic table: the repository's own routes.yaml.
    @Test func realFixtureThroughTheRepositoryTable() throws {
        let table = try RoutingTable.load(path: RoutesFileValidationTests.repositoryFile("routes.yaml"), environment: [:])
        let call = IncomingCall.fixture
        let explanation = table.explain(call, health: .allEligible(table.backends.count))
        #expect(explanation.matchedRoute == "known-callers")
        #expect(explanation.decision.backend != nil)
        guard case .answer(let url) = explanation.decision.answer else {
            Issue.record("expected an answer with a URL")
            return
        }
        #expect(url.contains("call=3eafefd0-a22f-4e9b-9eb1-8d59e3d9b85f"))
        #expect(url.contains("route=known-callers"))
        #expect(table.decide(call, health: .allEligible(table.backends.count)) == explanation.decision)
        // With the whole support pool down the number's default answers.
        let down = HealthView(eligible: table.backends.map { !["support-a", "support-b"].contains($0.name) })
        #expect(table.decide(call, health: down).answer == .numberDefault)
    }
}

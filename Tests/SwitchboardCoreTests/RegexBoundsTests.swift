import Foundation
import Testing

@testable import SwitchboardCore

/// Regexes run on what strangers send: bounded in input and in time.
@Suite(.timeLimit(.minutes(1)))
struct RegexBoundsTests {
    @Test(arguments: [
        ("(a+)+", true), (#"(\w*x)*"#, true), ("((a|b)+)+", true), (#"(\d+)+$"#, true), ("(a+){2}", true),
        ("(a|b)+", false), (#"^\+44(20|7)"#, false), ("[a+]+", false), ("(ab){2,}", false), ("a+b*", false),
        (#"\(a+\)+"#, false),
    ])
    func nestedQuantifiersAreFound(pattern: String, nested: Bool) {
        #expect(RegexPattern.hasNestedQuantifier(pattern) == nested)
    }

    @Test func validateWarnsAboutNestedQuantifiers() throws {
        let table = try RoutingTable(yaml: """
            version: 1
            routes:
              - { name: slow, when: { caller.contact: { regex: "^(a+)+$" } }, to: reject }
            """)
        #expect(table.warnings.map(\.description) == [
            "routes.yaml:3:52: warning: regex '^(a+)+$' repeats a group that holds a repetition: it can take "
                + "exponential time on some inputs (catastrophic backtracking); a match is stopped after 10 ms and "
                + "counts as no match"
        ])
    }

    @Test func aRegexNeverRunsOnMoreThan256Characters() throws {
        let regex = try RegexPattern("x$")
        #expect(regex.matches(String(repeating: "a", count: 255) + "x"))
        #expect(!regex.matches(String(repeating: "a", count: 256) + "x"))
        #expect(!(try RegexPattern("^a").matches(String(repeating: "a", count: 10_000))))
        #expect(try RegexPattern("^é{256}$").matches(String(repeating: "é", count: 256)))
    }

    /// `^(a+)+$` against `aaaa…b` backtracks exponentially; the decision still returns (the match is stopped) and
    /// routes as if the condition did not match.
    @Test func aPathologicalPatternCannotStallTheDecision() throws {
        let table = try RoutingTable(yaml: """
            version: 1
            backends:
              a: { url: "wss://a.example/calls", health: { check: none } }
            routes:
              - { name: slow, when: { caller.contact: { regex: "^(a+)+$" } }, to: reject }
              - { name: everyone, to: a }
            """)
        var call = IncomingCall(id: "call-1")
        // The longest value a regex runs on, built to make `(a+)+` backtrack: stopped at its time budget.
        call.contactName = String(repeating: "a", count: 255) + "b"
        #expect(table.decide(call, health: HealthView(eligible: [true])).route == "everyone")
        // Longer values are not searched at all.
        call.contactName = String(repeating: "a", count: 10_000) + "b"
        #expect(table.decide(call, health: HealthView(eligible: [true])).route == "everyone")
        call.contactName = "aaaa"
        #expect(table.decide(call, health: HealthView(eligible: [true])).route == "slow")
    }
}

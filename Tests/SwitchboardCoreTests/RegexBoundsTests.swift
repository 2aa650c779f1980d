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

    @Test(arguments: [
        (#"^\+44(20|7)"#, "+44"), (#"^\+33123[0-9]+$"#, "+33123"), ("^ab?c", "a"), ("^abc*", "ab"), ("^ab{2}", "a"),
        ("^Mr. ", "Mr"), ("^a[|]b", "a"), ("^a|b", ""), ("(^a)|b", ""), ("abc", ""), ("^(?i)abc", ""), (#"^\d+"#, ""),
        (#"^\Qa.b\E"#, ""), ("^é", ""),
    ])
    func anchoredPatternsHaveALiteralPrefix(pattern: String, prefix: String) {
        #expect(RegexPattern.anchoredPrefix(pattern) == Array(prefix.utf8))
    }

    /// Turning values away by the prefix never changes a result: the same answers as the regex run on every value.
    @Test func thePrefixNeverChangesWhatMatches() throws {
        let patterns = [#"^\+44(20|7)"#, "^ab?c", "^abc*$", #"^\+1 ?415"#, "^a|b", "^A-B/C", "^x{0}y", "^Mr. X"]
        let values = [
            "+44207", "+447", "+4420", "+33", "ac", "abc", "abcc", "ab", "+1415", "+1 415", "b", "A-B/C", "y", "xy",
            "Mr. X", "Mrs X", "", "é",
        ]
        for pattern in patterns {
            let regex = try RegexPattern(pattern)
            let plain = try NSRegularExpression(pattern: pattern)
            for value in values {
                let expected = plain.firstMatch(in: value, range: NSRange(value.startIndex..., in: value)) != nil
                #expect(regex.matches(value) == expected, "\(pattern) on \(value)")
            }
        }
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

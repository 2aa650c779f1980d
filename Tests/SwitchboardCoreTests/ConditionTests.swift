import Foundation
import SwitchboardTestSupport
import Testing

@testable import SwitchboardCore

/// One `when:` entry against one call: does the route match?
struct ConditionTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var when: String
        var call: IncomingCall
        var matches: Bool
        var testDescription: String { "\(when) → \(matches)" }

        init(_ when: String, _ call: IncomingCall, _ matches: Bool) {
            self.when = when
            self.call = call
            self.matches = matches
        }

        /// Against the real fixture.
        init(_ when: String, _ matches: Bool) {
            self.init(when, .fixture, matches)
        }
    }

    static func matches(_ when: String, _ call: IncomingCall, at date: Date = Date()) throws -> Bool {
        let yaml = """
            version: 1
            numbers:
              "+14155550100": { team: support, language: en, floor: "3" }
            backends:
              a: { url: "ws://a" }
            routes:
              - name: r
                when: \(when)
                to: a
            """
        let table = try Fixtures.table(yaml)
        return table.decide(call, health: .allEligible(1), at: date).route == "r"
    }

    static let cases: [Case] = [
        // Strings: exact and glob, whole value.
        Case(#"{ caller: "+14155550999" }"#, true),
        Case(#"{ caller: "+1415555099" }"#, false),
        Case(#"{ caller: "+1415*" }"#, true),
        Case(#"{ caller: "*0999" }"#, true),
        Case(#"{ caller: "+1415555099?" }"#, true),
        Case(#"{ caller: "+1415555099??" }"#, false),
        Case(#"{ caller: "+44*" }"#, false),
        Case(#"{ caller: +14155550999 }"#, true),  // unquoted numbers are read as written
        // Lists: any item.
        Case(#"{ caller: ["+1900*", "+14155550999"] }"#, true),
        Case(#"{ caller: ["+1900*", "+14155550998"] }"#, false),
        Case(#"{ caller: ["+1900*", { regex: "0999$" }] }"#, true),
        // Regex (search; anchor with ^ $), not.
        Case(#"{ caller: { regex: "^\\+1415" } }"#, true),
        Case(#"{ caller: { regex: "555" } }"#, true),
        Case(#"{ caller: { regex: "^555" } }"#, false),
        Case(#"{ caller: { not: "+1900*" } }"#, true),
        Case(#"{ caller: { not: ["+1415*"] } }"#, false),
        Case(#"{ caller.contact: { not: "Jane Doe" } }"#, false),
        // Comparisons on numbers.
        Case("{ rate_limit.calls_remaining: { gt: 10 } }", true),
        Case("{ rate_limit.calls_remaining: { lt: 10 } }", false),
        Case("{ rate_limit.calls_remaining: { ge: 96, le: 96 } }", true),
        Case("{ rate_limit.calls_remaining: { ge: 50, lt: 96 } }", false),
        Case("{ rate_limit.calls_remaining: 96 }", true),
        Case("{ rate_limit.minutes_remaining: { lt: 300 } }", true),
        Case("{ rate_limit.minutes_remaining: 287.5 }", true),
        Case("{ number.floor: { ge: 3 } }", true),
        // Booleans.
        Case("{ caller.known: true }", true),
        Case("{ caller.known: false }", false),
        Case("{ caller.known: false }", .call(), true),
        Case("{ call.tts: true }", false),  // null in the fixture: absent, never matches
        Case("{ call.tts: { not: true } }", false),
        Case("{ call.tts: true }", IncomingCall(id: "x", useInkboxTTS: true), true),
        Case("{ call.stt: false }", IncomingCall(id: "x", useInkboxSTT: false), true),
        // Every caller and number attribute.
        Case(#"{ caller.contact: "Jane Doe" }"#, true),
        Case(#"{ caller.contact: "Jane*" }"#, true),
        Case(#"{ caller.agent: concierge }"#, true),
        Case(#"{ caller.calling_code: "1" }"#, true),
        Case(#"{ caller.calling_code: "44" }"#, .call(caller: "+442071234567"), true),
        Case("{ caller.country: US }", true),
        Case("{ caller.country: CA }", .call(caller: "+14165550100"), true),
        Case("{ caller.country: GB }", .call(caller: "+442071234567"), true),
        Case("{ caller.country: US }", .call(caller: "not a number"), false),
        Case(#"{ number: "+14155550100" }"#, true),
        Case("{ number.team: support }", true),
        Case("{ number.language: [es, fr] }", false),
        Case("{ number.team: support }", .call(number: "+19995550000"), false),  // not under numbers:
        Case("{ number: \"+1*\" }", .call(number: nil), false),  // null called number
        Case("{ call.id: 3eafefd0-* }", true),
        // AND of keys, OR with any.
        Case("{ caller.known: true, number.team: sales }", false),
        Case("{ any: [ { number.team: sales }, { caller.agent: concierge } ] }", true),
        Case("{ any: [ { number.team: sales }, { caller.agent: nobody } ] }", false),
        Case("{ any: [ { number.team: support, caller.known: false } ] }", false),
        // split: 0 % never, 100 % always.
        Case("{ split: { percent: 0 } }", false),
        Case("{ split: { percent: 100 } }", true),
        Case("{ split: { percent: 100, by: caller.contact } }", .call(), false),  // absent value
    ]

    @Test(arguments: cases)
    func conditionMatchesAsWritten(_ testCase: Case) throws {
        #expect(try Self.matches(testCase.when, testCase.call) == testCase.matches)
    }

    static func instant(_ text: String) -> Date { try! Date(text, strategy: .iso8601) }

    @Test(arguments: [
        // 2026-01-14 is a Wednesday. New York is UTC-5 in January.
        ("2026-01-14T15:00:00Z", "{ zone: America/New_York, days: mon-fri, between: \"09:00-17:30\" }", true),
        ("2026-01-14T13:59:00Z", "{ zone: America/New_York, days: mon-fri, between: \"09:00-17:30\" }", false),
        ("2026-01-14T22:29:00Z", "{ zone: America/New_York, days: mon-fri, between: \"09:00-17:30\" }", true),
        ("2026-01-14T22:30:00Z", "{ zone: America/New_York, days: mon-fri, between: \"09:00-17:30\" }", false),
        ("2026-01-17T15:00:00Z", "{ zone: America/New_York, days: mon-fri, between: \"09:00-17:30\" }", false),
        ("2026-07-15T13:30:00Z", "{ zone: America/New_York, between: \"09:00-17:30\" }", true),  // summer time: UTC-4
        ("2026-01-17T15:00:00Z", "{ zone: UTC, days: [sat, sun] }", true),
        ("2026-01-14T15:00:00Z", "{ zone: UTC, days: [sat, sun] }", false),
        ("2026-01-17T15:00:00Z", "{ zone: UTC, days: fri-mon }", true),  // a range may wrap
        // Crossing midnight: Friday 22:00 to Saturday 06:00 belongs to Friday.
        ("2026-01-16T23:00:00Z", "{ zone: UTC, days: fri, between: \"22:00-06:00\" }", true),
        ("2026-01-17T05:59:00Z", "{ zone: UTC, days: fri, between: \"22:00-06:00\" }", true),
        ("2026-01-17T06:00:00Z", "{ zone: UTC, days: fri, between: \"22:00-06:00\" }", false),
        ("2026-01-17T23:00:00Z", "{ zone: UTC, days: fri, between: \"22:00-06:00\" }", false),
        ("2026-01-16T05:00:00Z", "{ zone: UTC, days: fri, between: \"22:00-06:00\" }", false),
        ("2026-01-15T23:59:00Z", "{ zone: UTC, between: \"00:00-24:00\" }", true),
        ("2026-01-14T20:00:00Z", "{ zone: Asia/Kolkata, days: thu, between: \"01:00-02:00\" }", true),  // +05:30
    ])
    func timeWindows(_ instant: String, _ window: String, _ expected: Bool) throws {
        #expect(try Self.matches("{ time: \(window) }", .fixture, at: Self.instant(instant)) == expected)
    }

    @Test func splitSelectsAStableShareOfCallers() throws {
        let yaml = """
            version: 1
            backends: { canary: { url: "ws://c" }, stable: { url: "ws://s" } }
            routes:
              - { name: canary, when: { split: { percent: 10, by: caller } }, to: canary }
              - { name: stable, to: stable }
            """
        let table = try Fixtures.table(yaml)
        let again = try Fixtures.table(yaml)
        var canary = 0
        for index in 0..<20_000 {
            let call = IncomingCall.call(caller: "+1415\(1_000_000 + index)")
            let decision = table.decide(call, health: .allEligible(2))
            // The same caller gets the same answer from an independently loaded table (another replica).
            #expect(again.decide(call, health: .allEligible(2)).route == decision.route)
            if decision.route == "canary" { canary += 1 }
        }
        // 10 % ± 1 point over 20,000 callers.
        #expect((1_800...2_200).contains(canary), "\(canary)")
    }

    @Test func splitBucketsAreFixedAcrossProcesses() {
        // Literal values: a change to the hash would move callers between canary and stable on upgrade.
        #expect(Condition.bucket(of: .string("+14155550999")) == 2962)
        #expect(Condition.bucket(of: .string("+442071234567")) == 7414)
    }
}

extension IncomingCall {
    /// The real Inkbox fixture.
    static var fixture: IncomingCall { try! IncomingCall(json: Fixture.incomingCall) }
}

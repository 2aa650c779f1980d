import Foundation
import Testing

@testable import SwitchboardCore

struct RoutesFileValidationTests {
    static let header = """
        version: 1
        numbers:
          "+14155550100": { team: support }
        backends:
          a: { url: "wss://a.example.com/calls" }
          b: { url: "wss://b.example.com/calls" }
        pools:
          p: { members: [a, b] }

        """

    struct Case: Sendable, CustomTestStringConvertible {
        var what: String
        var yaml: String
        /// The exact diagnostic, `FILE:LINE:COL: message` (or a prefix of the message ending in …).
        var expected: String
        var environment: [String: String] = [:]
        var testDescription: String { what }
    }

    /// Each broken table and the precise diagnostic it gets. Line 9 is the first line after `header`.
    static let cases: [Case] = [
        Case(what: "unknown top-level key", yaml: header + "routs: []\nroutes: []\n",
             expected: "routes.yaml:9:1: unknown key 'routs' in routes file (did you mean 'routes'?)"),
        Case(what: "unknown key in a route", yaml: header + "routes:\n  - name: r\n    too: a\n    to: a\n",
             expected: "routes.yaml:11:5: unknown key 'too' in route (did you mean 'to'?)"),
        Case(what: "unknown attribute in when", yaml: header + "routes:\n  - name: r\n    when: { callr: x }\n    to: a\n",
             expected: "routes.yaml:11:13: unknown key 'callr' in when (did you mean 'caller'?)"),
        Case(what: "unknown number attribute", yaml: header + "routes:\n  - name: r\n    when: { number.tean: x }\n    to: a\n",
             expected: "routes.yaml:11:13: unknown key 'number.tean' in when (no number under 'numbers:' defines 'tean') (did you mean 'number.team'?)"),
        Case(what: "wrong type for a condition", yaml: header + "routes:\n  - name: r\n    when: { caller.known: maybe }\n    to: a\n",
             expected: "routes.yaml:11:27: caller.known takes true or false, not 'maybe'"),
        Case(what: "bad duration", yaml: "version: 1\nhealth: { interval: 2 }\nroutes: []\n",
             expected: "routes.yaml:2:21: interval: bad duration '2' (use a number with ms, s, m or h, like 500ms or 2s)"),
        Case(what: "unknown target", yaml: header + "routes:\n  - name: r\n    to: supprt\n",
             expected: "routes.yaml:11:9: to: unknown backend or pool 'supprt'"),
        Case(what: "unknown pool member", yaml: "version: 1\nbackends:\n  a: { url: \"ws://a\" }\npools:\n  p: { members: [a, z] }\nroutes: []\n",
             expected: "routes.yaml:5:21: pool member 'z' is not a backend"),
        Case(what: "empty pool, beside another problem", yaml: "version: 1\npools:\n  p: { members: [] }\nroutes: [{ name: r, to: ghost }]\n",
             expected: "routes.yaml:3:3: pool 'p' has no members"),
        Case(what: "pool without members", yaml: "version: 1\npools:\n  p: { strategy: priority }\nroutes: []\n",
             expected: "routes.yaml:3:3: pool 'p' needs 'members:'"),
        Case(what: "fallback loop", yaml: "version: 1\nbackends:\n  a: { url: \"ws://a\", fallback: p }\npools:\n  p: { members: [a], fallback: a }\nroutes: []\n",
             expected: "routes.yaml:3:3: fallback loop: a → p → a"),
        Case(what: "bad regex", yaml: header + "routes:\n  - name: r\n    when: { caller: { regex: \"+1(\" } }\n    to: a\n",
             expected: "routes.yaml:11:30: bad regex '+1(': …"),
        Case(what: "unknown time zone", yaml: header + "routes:\n  - name: r\n    when: { time: { zone: Mars/Olympus } }\n    to: a\n",
             expected: "routes.yaml:11:27: unknown time zone 'Mars/Olympus' (use an IANA name like America/New_York)"),
        Case(what: "bad time window", yaml: header + "routes:\n  - name: r\n    when: { time: { zone: UTC, between: \"9-17\" } }\n    to: a\n",
             expected: "routes.yaml:11:41: between must be HH:MM-HH:MM with two different times, like 09:00-17:30, not '9-17'"),
        Case(what: "bad day", yaml: header + "routes:\n  - name: r\n    when: { time: { zone: UTC, days: monday-friday } }\n    to: a\n",
             expected: "routes.yaml:11:38: days: 'monday-friday' is not a day (mon, tue, …) or a range like mon-fri"),
        Case(what: "duplicate number", yaml: "version: 1\nnumbers:\n  \"+14155550100\": {}\n  +14155550100: {}\nroutes: []\n",
             expected: "routes.yaml:4:3: duplicate number '+14155550100' (first at 3:3)"),
        Case(what: "unset environment variable", yaml: "version: 1\nbackends:\n  a: { url: \"${A_URL}\" }\nroutes: []\n",
             expected: "routes.yaml:3:13: environment variable 'A_URL' is not set and has no default (write ${A_URL:-default})"),
        Case(what: "unknown url placeholder", yaml: "version: 1\nbackends:\n  a: { url: \"wss://a/{call.idd}\" }\nroutes: []\n",
             expected: "routes.yaml:3:13: unknown placeholder '{call.idd}' in url (known: …"),
        Case(what: "non-websocket backend url", yaml: "version: 1\nbackends:\n  a: { url: \"https://a\" }\nroutes: []\n",
             expected: "routes.yaml:3:13: url must start with ws:// or wss:// (it is what Inkbox connects to), not 'https://a'"),
        Case(what: "reserved name", yaml: "version: 1\nbackends:\n  reject: { url: \"ws://a\" }\nroutes: []\n",
             expected: "routes.yaml:3:3: 'reject' is a reserved word and cannot name a backend"),
        Case(what: "backend and pool share a name", yaml: "version: 1\nbackends:\n  a: { url: \"ws://a\" }\npools:\n  a: { members: [a] }\nroutes: []\n",
             expected: "routes.yaml:5:3: duplicate name 'a' (first at 3:3); backends and pools share one namespace"),
        Case(what: "duplicate route name", yaml: header + "routes:\n  - { name: r, to: a }\n  - { name: r, to: b }\n",
             expected: "routes.yaml:11:13: duplicate route name 'r' (first at 10:13)"),
        Case(what: "route strategy without a pool", yaml: header + "routes:\n  - { name: r, to: a, strategy: sticky }\n",
             expected: "routes.yaml:10:33: 'strategy' on a route needs 'to:' to name a pool"),
        Case(what: "unknown strategy", yaml: "version: 1\nbackends:\n  a: { url: \"ws://a\" }\npools:\n  p: { members: [a], strategy: random }\nroutes: []\n",
             expected: "routes.yaml:5:32: unknown strategy 'random' (use one of: priority, round_robin, weighted, sticky, least_loaded)"),
        Case(what: "missing version", yaml: "routes: []\n", expected: "routes.yaml:1:1: missing 'version: 1'"),
        Case(what: "YAML syntax error", yaml: "version: 1\nroutes: [\n", expected: "routes.yaml:3:1: YAML syntax: …"),
        Case(what: "expect on a websocket check", yaml: "version: 1\nbackends:\n  a: { url: \"ws://a\", health: { expect: [200] } }\nroutes: []\n",
             expected: "routes.yaml:3:33: 'expect' applies only to check: http"),
        Case(what: "regex on a boolean", yaml: header + "routes:\n  - name: r\n    when: { call.tts: { regex: x } }\n    to: a\n",
             expected: "routes.yaml:11:25: regex applies to text attributes, not call.tts"),
        Case(what: "weight out of range", yaml: "version: 1\nbackends:\n  a: { url: \"ws://a\", weight: 0 }\nroutes: []\n",
             expected: "routes.yaml:3:31: weight must be an integer from 1 to 1000000, not '0'"),
    ]

    @Test(arguments: cases)
    func brokenTableGetsAPreciseDiagnostic(_ testCase: Case) {
        let problems = Fixtures.problems(testCase.yaml, environment: testCase.environment)
        if testCase.expected.hasSuffix("…") {
            let prefix = String(testCase.expected.dropLast())
            #expect(problems.contains { $0.hasPrefix(prefix) }, "\(problems)")
        } else {
            #expect(problems.contains(testCase.expected), "\(problems)")
        }
    }

    @Test func everyProblemIsReportedInOneRun() {
        let yaml = """
            version: 1
            health: { interval: fast, timeout: 1 }
            backends:
              a: { url: "ws://a", fallback: nowhere }
            routes:
              - { name: r1, when: { callr: x }, to: a }
              - { name: r2, when: { caller: { regex: "(" } }, to: ghost }
            """
        let problems = Fixtures.problems(yaml)
        #expect(problems.count == 6, "\(problems)")
        // File order, so an operator can fix them top to bottom.
        let lines = problems.map { Int($0.split(separator: ":")[1])! }
        #expect(lines == lines.sorted())
    }

    @Test func routesAfterACatchAllAreWarnedAbout() throws {
        let table = try Fixtures.table(Self.header + "routes:\n  - { name: everything, to: a }\n  - { name: never, to: b }\n")
        #expect(table.warnings.map(\.description) == [
            "routes.yaml:11:5: warning: route 'never' can never match: route 'everything' (line 10) above it matches every call"
        ])
    }

    @Test func environmentValuesAndDefaultsAreInterpolated() throws {
        let yaml = """
            version: 1
            backends:
              a: { url: "${A_URL:-ws://default/{call.id}}" }
              b: { url: "${B_URL:-ws://unused}" }
            numbers:
              "+1": { note: "costs $$5, literally $${NOT_A_VARIABLE}" }
            routes: []
            """
        let table = try Fixtures.table(yaml, environment: ["B_URL": "wss://from-env"])
        #expect(table.backends.map(\.url.source) == ["ws://default/{call.id}", "wss://from-env"])
        #expect(table.numbers["+1"]?.values == ["costs $$5, literally ${NOT_A_VARIABLE}"])
    }

    @Test(arguments: [("500ms", 500), ("2s", 2000), ("1.5s", 1500), ("1m", 60_000), ("0.25s", 250)])
    func durationsParse(_ text: String, milliseconds: Int64) {
        #expect(ConfigReader.parseDuration(text) == .milliseconds(milliseconds))
    }

    @Test(arguments: ["2", "2 s", "s", "-1s", "2d", "1e400s"])
    func badDurationsDoNotParse(_ text: String) {
        #expect(ConfigReader.parseDuration(text) == nil)
    }

    @Test func healthSettingsCascadeFromTheTopLevel() throws {
        let yaml = """
            version: 1
            health: { interval: 5s, fall: 3 }
            backends:
              a: { url: "wss://a.example/calls?x={call.id}" }
              b:
                url: "ws://b/calls"
                health: { check: http, expect: [200, 204], headers: { X-Probe: "1" }, fall: 1, tls_verify: false }
              c: { url: "ws://c", health: { check: tcp } }
            routes: []
            """
        let table = try Fixtures.table(yaml)
        let a = table.backends[0].check, b = table.backends[1].check, c = table.backends[2].check
        #expect(a.kind == .websocket)
        #expect(a.url == "wss://a.example/calls?x=")
        #expect(a.timing.interval == .seconds(5) && a.timing.fall == 3 && a.timing.rise == 2)
        #expect(b.kind == .http(expect: [200, 204], headers: [.init(name: "X-Probe", value: "1")]))
        #expect(b.url == "http://b/calls")
        #expect(b.timing.interval == .seconds(5) && b.timing.fall == 1)
        #expect(!b.tlsVerify)
        #expect(c.kind == .tcp)
    }

    @Test func theRepositoryTableIsValid() throws {
        let table = try RoutingTable.load(path: Self.repositoryFile("routes.yaml"), environment: [:])
        #expect(table.warnings.isEmpty)
        #expect(table.routes.count >= 5)
    }

    /// Random single-byte damage to a real table never crashes the loader: it loads, or every problem is located.
    @Test func damagedTablesFailCleanly() throws {
        let original = Array(try String(contentsOfFile: Self.repositoryFile("routes.yaml"), encoding: .utf8).utf8)
        let alphabet = Array(":{}[]-,#*?&!|>'\" \n\tabz09$%".utf8)
        var generator = SystemRandomNumberGenerator()
        var failures = 0
        for _ in 0..<500 {
            let bytes = Fixtures.mutated(original, alphabet: alphabet, using: &generator)
            do {
                _ = try RoutingTable(yaml: String(decoding: bytes, as: UTF8.self), file: "routes.yaml")
            } catch {
                failures += 1
                #expect(!error.errors.isEmpty)
                for diagnostic in error.diagnostics {
                    #expect(diagnostic.location.line >= 1 && diagnostic.location.line <= bytes.count + 1)
                    #expect(diagnostic.location.column >= 1)
                }
            }
        }
        #expect(failures > 50)
    }

    static func repositoryFile(_ name: String) -> String {
        // Tests/SwitchboardCoreTests/<this file> → repository root.
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(name).path
    }
}

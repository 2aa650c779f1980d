import Benchmark
import Foundation
import SwitchboardCore
import Synchronization

// Routing decision time for the tables of docs/performance.md, and the cost of loading a large table.
// Every decision benchmark reports time per decision (scalingFactor .kilo: 1,000 decisions per iteration) and
// mallocs per decision.

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal],
        timeUnits: .nanoseconds,
        warmupIterations: 3,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 10_000
    )
    let now = Date(timeIntervalSince1970: 1_768_402_800)  // 2026-01-14T15:00:00Z, a Wednesday

    func decisions(_ name: String, _ table: RoutingTable, _ call: IncomingCall) {
        let health = HealthView.allEligible(table.backends.count)
        Benchmark(name) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(table.decide(call, health: health, at: now))
            }
        }
    }

    // (a) The repository's routes.yaml with the real Inkbox fixture.
    let repository = try! RoutingTable.load(path: Tables.repositoryFile("routes.yaml"), environment: [:])
    let fixture = try! IncomingCall(json: Data(contentsOf: URL(fileURLWithPath: Tables.repositoryFile(
        "Tests/SwitchboardTestSupport/Fixtures/phone_incoming_call.json"))))
    decisions("(a) repository routes.yaml, Inkbox fixture", repository, fixture)

    // (b) One route per called number: the first, a middle and the last number; 100 and 10,000 routes.
    for count in [100, 10_000] {
        let table = try! RoutingTable(yaml: Tables.perNumber(count))
        decisions("(b) \(count) routes by number, last", table, .init(id: "c", number: Tables.number(count - 1), caller: "+12125550100"))
        decisions("(b) \(count) routes by number, unknown number", table, .init(id: "c", number: "+19998887777", caller: "+12125550100"))
    }

    // (c) One route whose caller list holds 1,000 or 100,000 numbers.
    for count in [1_000, 100_000] {
        let table = try! RoutingTable(yaml: Tables.callerList(count))
        decisions("(c) caller list of \(count), listed caller", table, .init(id: "c", number: "+14155550100", caller: Tables.caller(count / 2)))
        decisions("(c) caller list of \(count), other caller", table, .init(id: "c", number: "+14155550100", caller: "+12125550100"))
    }

    // (d) 1,000 glob and regex routes, none of which match until the last.
    let patterns = try! RoutingTable(yaml: Tables.patterns(1_000))
    decisions("(d) 1,000 glob/regex routes, falls through all", patterns, .init(id: "c", number: "+14155550100", caller: "+12125550100"))

    // (d=) Table (d)'s scan with exact values: 1,000 routes on the caller's contact name, which is not indexed, so
    // every route is tested as in (d); none matches. The comparison for table (d) (docs/performance.md).
    let exact = try! RoutingTable(yaml: Tables.exactContacts(1_000))
    decisions("(d=) 1,000 exact routes on an unindexed attribute, falls through all", exact,
              .init(id: "c", number: "+14155550100", caller: "+12125550100", contactName: "Ada Lovelace"))

    // (e) 10,000 routes by number with max_calls on every backend, live calls read from a name-keyed map under a
    // Mutex, as the server's CapacityLedger decides (sticky and least_loaded pools).
    for strategy in ["sticky", "least_loaded"] {
        let limited = try! RoutingTable(yaml: Tables.perNumber(10_000, limited: true, strategy: strategy))
        let health = HealthView.allEligible(limited.backends.count)
        let ledger = Mutex(["a": Occupancy(active: 400), "b": Occupancy(active: 999)])
        let call = IncomingCall(id: "c", number: Tables.number(9_999), caller: "+12125550100")
        Benchmark("(e) 10,000 routes by number, max_calls on every backend, \(strategy)") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(ledger.withLock { active in
                    limited.decide(call, health: health, at: now) { active[limited.backends[$0].name] ?? .idle }
                })
            }
        }
    }

    // (f) A calendar in the matching route (weekly hours and the U.S. federal holidays file) against the same table
    // without it, at the same instant: now, inside the span the calendar precomputes when the table loads.
    let today = Date()
    let plain = try! RoutingTable(yaml: Tables.calendarTable(calendar: false))
    let withCalendar = try! RoutingTable(yaml: Tables.calendarTable(calendar: true))
    let supportCall = IncomingCall(id: "c", number: "+14155550100", caller: "+12125550100")
    for (name, table) in [("(f) team route, no calendar", plain), ("(f) team route with a calendar", withCalendar)] {
        let health = HealthView.allEligible(table.backends.count)
        Benchmark(name) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(table.decide(supportCall, health: health, at: today))
            }
        }
    }

    // Loading and validating a 10,000-route file.
    let large = Tables.perNumber(10_000)
    Benchmark("load+validate 10,000 routes", configuration: .init(scalingFactor: .one, maxIterations: 20)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try! RoutingTable(yaml: large))
        }
    }

    // The retry cache at its default capacity, full: a lookup that misses and the store of the fresh answer, as
    // each webhook does, for IDs shaped like Inkbox's.
    let ids = (0..<200_000).map { "\(UUID().uuidString.lowercased())-\($0)" }
    let digest = DeliveryCache.digest(UnsafeRawBufferPointer(start: nil, count: 0))
    let decision = RouteDecision(route: "support", backend: "support-a", answer: .answer(url: "wss://a.example/calls"))
    let cache = DeliveryCache()
    for id in ids.prefix(60_000) { _ = cache.store(requestID: id, digest: digest, decision: decision) }
    let next = Mutex(60_000)
    Benchmark("retry cache, full: lookup and store of a new ID") { benchmark in
        var at = next.withLock { $0 }
        for _ in benchmark.scaledIterations {
            let id = ids[at]
            blackHole(cache.lookup(requestID: id, digest: digest))
            blackHole(cache.store(requestID: id, digest: digest, decision: decision))
            at = at + 1 == ids.count ? 0 : at + 1
        }
        next.withLock { $0 = at }
    }

    // The webhook's other steps before the decision, on the Inkbox fixture's bytes: reading the body, and checking
    // the headers and the signature with one key.
    let body = try! Data(contentsOf: URL(fileURLWithPath: Tables.repositoryFile(
        "Tests/SwitchboardTestSupport/Fixtures/phone_incoming_call.json")))
    Benchmark("webhook body: read the Inkbox fixture") { benchmark in
        body.withUnsafeBytes { bytes in
            for _ in benchmark.scaledIterations { blackHole(try! IncomingCall(json: bytes)) }
        }
    }
    let verifier = try! WebhookVerifier(keys: ["whsec_benchmark"])
    let timestamp = String(Int(Date().timeIntervalSince1970))
    let signature = verifier.signature(requestID: ids[0], timestamp: timestamp, body: body)
    Benchmark("webhook signature: check the headers and verify the fixture's signature") { benchmark in
        body.withUnsafeBytes { bytes in
            for _ in benchmark.scaledIterations {
                blackHole(try! verifier.verify(requestID: ids[0], timestamp: timestamp, signature: signature, body: bytes))
            }
        }
    }
}

/// Generated tables.
enum Tables {
    static func repositoryFile(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(name).path
    }

    static func number(_ index: Int) -> String { "+1415\(String(format: "%07d", index))" }
    static func caller(_ index: Int) -> String { "+1212\(String(format: "%07d", index))" }

    static let header = """
        version: 1
        backends:
          a: { url: "wss://a.example/calls?call={call.id}", health: { check: none } }
          b: { url: "wss://b.example/calls", health: { check: none } }
        pools:
          p: { strategy: sticky, members: [a, b] }

        """

    static func perNumber(_ count: Int, limited: Bool = false, strategy: String = "sticky") -> String {
        (limited ? limitedHeader(strategy) : header) + "routes:\n" + (0..<count).map { "  - { name: n\($0), when: { number: \"\(number($0))\" }, to: p }" }
            .joined(separator: "\n") + "\n  - { name: default, to: number_default }\n"
    }

    static func limitedHeader(_ strategy: String) -> String {
        """
        version: 1
        backends:
          a: { url: "wss://a.example/calls?call={call.id}", health: { check: none }, max_calls: 1000 }
          b: { url: "wss://b.example/calls", health: { check: none }, max_calls: 1000 }
        pools:
          p: { strategy: \(strategy), members: [a, b] }

        """
    }

    /// Table (f): the support number's route, with or without `calendar: support` (open every day but holidays).
    static func calendarTable(calendar: Bool) -> String {
        let holidays = repositoryFile("Tests/SwitchboardTestSupport/Fixtures/us-holidays.ics")
        return header + """
            numbers:
              "+14155550100": { team: support }
            calendars:
              support:
                zone: America/New_York
                hours: { mon-sun: "00:00-24:00" }
                ics: ["\(holidays)"]
            routes:
              - name: support
                when: { number.team: support\(calendar ? ", calendar: support" : "") }
                to: p
              - { name: default, to: number_default }

            """
    }

    static func callerList(_ count: Int) -> String {
        header + "routes:\n  - name: vip\n    when:\n      caller:\n"
            + (0..<count).map { "        - \"\(caller($0))\"" }.joined(separator: "\n")
            + "\n    to: p\n  - { name: default, to: number_default }\n"
    }

    static func exactContacts(_ count: Int) -> String {
        header + "routes:\n"
            + (0..<count).map { "  - { name: e\($0), when: { caller.contact: \"Contact \($0)\" }, to: p }" }
            .joined(separator: "\n") + "\n  - { name: default, to: p }\n"
    }

    static func patterns(_ count: Int) -> String {
        header + "routes:\n" + (0..<count).map { index in
            index % 2 == 0
                ? "  - { name: g\(index), when: { caller: \"+44\(index)*\" }, to: p }"
                : "  - { name: r\(index), when: { caller: { regex: \"^\\\\+33\(index)[0-9]+$\" } }, to: p }"
        }.joined(separator: "\n") + "\n  - { name: default, to: p }\n"
    }
}

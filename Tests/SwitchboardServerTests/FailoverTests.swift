import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import ServiceLifecycle
import SwitchboardTestSupport
import Testing

@testable import SwitchboardServer

/// Health checking end to end: real backends going down and up, answers observed through the webhook.
@Suite(.timeLimit(.minutes(1)))
struct FailoverTests {
    static func routes(_ a: DemoBackendServer, _ b: DemoBackendServer, panic: Bool = false) -> String {
        """
        version: 1
        health: { interval: 100ms, fast_interval: 50ms, timeout: 300ms, rise: 1, fall: 2, jitter: 0% }
        backends:
          a: { url: "ws://127.0.0.1:\(a.port)/calls" }
          b: { url: "ws://127.0.0.1:\(b.port)/calls", health: { check: http, url: "http://127.0.0.1:\(b.port)/healthz" } }
        pools:
          pool: { strategy: priority, members: [a, b], fallback: number_default, panic: \(panic) }
        routes:
          - { name: all, to: pool }
        """
    }

    /// The answer's URL, or `number_default` when it has none.
    static func answer(_ live: LiveSwitchboard) async throws -> String {
        try await live.post(Fixture.incomingCall).json["client_websocket_url"] as? String ?? "number_default"
    }

    /// Polls the webhook (bounded: 10 s) until the answer names `expected`'s port or says number_default.
    static func eventuallyAnswers(_ live: LiveSwitchboard, _ expected: String) async throws -> Bool {
        try await eventually(within: 10) { try await answer(live).contains(expected) }
    }

    @Test func callsMoveOffADeadBackendAndComeBack() async throws {
        let a = try DemoBackendServer(name: "a"), b = try DemoBackendServer(name: "b")
        try await a.start()
        try await b.start()
        try await LiveSwitchboard.with(routes: Self.routes(a, b)) { (live) async throws -> Void in
            #expect(try await Self.eventuallyAnswers(live, ":\(a.port)/"))
            // a goes down: calls fail over to b.
            await a.stop()
            #expect(try await Self.eventuallyAnswers(live, ":\(b.port)/"))
            let status = try await live.admin(.get, "/status").json["backends"] as? [[String: Any]]
            let dead = try #require(status?.first { $0["name"] as? String == "a" })
            #expect(dead["state"] as? String == "unhealthy")
            #expect((dead["last_probe"] as? [String: Any])?["reason"] as? String == "refused")
            // a recovers: priority sends calls back to it.
            try await a.start()
            #expect(try await Self.eventuallyAnswers(live, ":\(a.port)/"))
            // Both down: the pool's fallback, the number's default.
            await a.stop()
            await b.stop()
            #expect(try await Self.eventuallyAnswers(live, "number_default"))
            let metrics = try await live.admin(.get, "/metrics").text
            #expect(metrics.contains(#"switchboard_backend_up{backend="a"} 0"#))
            #expect(metrics.contains(#"switchboard_probe_failures_total{backend="a",reason="refused"}"#))
        }
    }

    @Test func panicChoosesAmongDownMembers() async throws {
        let a = try DemoBackendServer(name: "a"), b = try DemoBackendServer(name: "b")
        try await a.start()
        try await b.start()
        try await LiveSwitchboard.with(routes: Self.routes(a, b, panic: true)) { (live) async throws -> Void in
            #expect(try await Self.eventuallyAnswers(live, ":\(a.port)/"))
            await a.stop()
            await b.stop()
            // Wait until both are seen down, then the answer is still the first member, not the fallback.
            #expect(try await eventually {
                let metrics = try await live.admin(.get, "/metrics").text
                return metrics.contains(#"switchboard_backend_up{backend="a"} 0"#)
                    && metrics.contains(#"switchboard_backend_up{backend="b"} 0"#)
            })
            #expect(try await Self.answer(live).contains(":\(a.port)/"))
        }
    }

    @Test func healthSurvivesAReloadForUnchangedBackends() async throws {
        let a = try DemoBackendServer(name: "a")
        try await a.start()
        @Sendable func table(_ backends: String) -> String {
            "version: 1\nhealth: { interval: 10s, fast_interval: 3s, rise: 1 }\nbackends:\n\(backends)\nroutes: []\n"
        }
        let original = "  a: { url: \"ws://127.0.0.1:\(a.port)/calls\" }"
        try await LiveSwitchboard.with(routes: table(original)) { (live) async throws -> Void in
            func states() async throws -> [String: String] {
                let backends = try await live.admin(.get, "/status").json["backends"] as? [[String: Any]] ?? []
                return Dictionary(uniqueKeysWithValues: backends.map { ($0["name"] as! String, $0["state"] as! String) })
            }
            #expect(try await eventually { try await states()["a"] == "healthy" })
            // Same backend plus a new one: a stays healthy at once (its next probe is seconds away), b starts unknown.
            let added = original + "\n  b: { url: \"ws://127.0.0.1:\(a.port)/other\" }"
            try table(added).write(toFile: live.routesPath, atomically: true, encoding: .utf8)
            #expect(try await live.admin(.post, "/admin/reload").status == .ok)
            #expect(try await states() == ["a": "healthy", "b": "unknown"])
            // A changed URL is a new backend as far as health goes; a removed one is gone.
            try table("  a: { url: \"ws://127.0.0.1:\(a.port)/moved\" }").write(toFile: live.routesPath, atomically: true, encoding: .utf8)
            #expect(try await live.admin(.post, "/admin/reload").status == .ok)
            #expect(try await states() == ["a": "unknown"])
            let metrics = try await live.admin(.get, "/metrics").text
            #expect(!metrics.contains(#"switchboard_backend_up{backend="b"}"#))
        }
        await a.stop()
    }

    @Test func readyOnlyAfterTheFirstProbeRound() async throws {
        // A backend that accepts connections and never answers keeps the first round open until the timeout (long
        // enough that a loaded machine still asks before it ends).
        let listener = try SilentListener()
        let routes = """
            version: 1
            health: { timeout: 4s }
            backends:
              slow: { url: "ws://127.0.0.1:\(listener.port)/calls" }
            routes:
              - { name: all, to: slow }
            """
        try await LiveSwitchboard.with(routes: routes) { (live) async throws -> Void in
            #expect(try await live.admin(.get, "/healthz").status == .ok)
            #expect(try await live.admin(.get, "/readyz").status == .serviceUnavailable)
            #expect(try await eventually(within: 15) { try await live.admin(.get, "/readyz").status == .ok })
            // A hung backend is a timeout, and the server kept answering meanwhile.
            #expect(try await live.post(Fixture.incomingCall).status == .ok)
        }
    }
}

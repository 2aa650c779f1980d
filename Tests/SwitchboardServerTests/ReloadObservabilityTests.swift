import Foundation
import HTTPTypes
import HummingbirdTesting
import InMemoryLogging
import Logging
import SwitchboardTestSupport
import Testing

@testable import SwitchboardServer

/// What `/metrics`, `/status` and the log say about reloads.
@Suite(.timeLimit(.minutes(1)))
struct ReloadObservabilityTests {
    /// A reload that removes a backend and a route removes their probe, failure and decision series too.
    @Test func seriesOfRemovedBackendsAndRoutesDisappear() async throws {
        let refusing = try RefusingPort()
        defer { refusing.close() }
        let before = """
            version: 1
            health: { interval: 100ms, fast_interval: 50ms, timeout: 300ms, rise: 1, fall: 1, jitter: 0% }
            backends:
              gone: { url: "ws://127.0.0.1:\(refusing.port)/calls" }
              kept: { url: "wss://kept.example/calls", health: { check: none } }
            routes:
              - { name: doomed, to: gone, fallback: kept }
            """
        let after = """
            version: 1
            backends:
              kept: { url: "wss://kept.example/calls", health: { check: none } }
            routes:
              - { name: staying, to: kept }
            """
        try await LiveSwitchboard.with(routes: before) { live in
            #expect(try await eventually {
                let metrics = try await live.admin(.get, "/metrics").text
                return metrics.contains(#"switchboard_probe_failures_total{backend="gone",reason="refused"}"#)
                    && metrics.contains(#"switchboard_backend_up{backend="gone"} 0"#)
            })
            _ = try await live.post(Fixture.incomingCall)
            let old = try await live.admin(.get, "/metrics").text
            #expect(old.contains(#"route="doomed""#))
            #expect(old.contains(#"switchboard_probe_duration_seconds_count{backend="gone"}"#))

            try after.write(toFile: live.routesPath, atomically: true, encoding: .utf8)
            #expect(try await live.admin(.post, "/admin/reload").status == .ok)
            _ = try await live.post(Fixture.incomingCall)
            let metrics = try await live.admin(.get, "/metrics").text
            #expect(!metrics.contains(#"backend="gone""#), "\(metrics)")
            #expect(!metrics.contains(#"route="doomed""#), "\(metrics)")
            #expect(metrics.contains(#"switchboard_decisions_total{route="staying",backend="kept"} 1"#), "\(metrics)")
            #expect(metrics.contains(#"switchboard_backend_up{backend="kept"} 1"#))
        }
    }

    static func lastReload(_ live: LiveSwitchboard) async throws -> [String: Any]? {
        (try await live.admin(.get, "/status").json["table"] as? [String: Any])?["last_reload"] as? [String: Any]
    }

    /// `/status` says which trigger loaded the table last, when, with what result and how long it took; a change
    /// that leaves the content as it was is skipped and said so at debug level.
    @Test func statusAndDebugLogTellTheTruthAboutReloads() async throws {
        let handler = InMemoryLogHandler()
        var logger = Logger(label: "test", factory: { _ in handler })
        logger.logLevel = .debug
        try await LiveSwitchboard.with(routes: Fixture.oneBackendTable("a"), watchRoutes: true, logger: logger) { live in
            let startup = try #require(try await Self.lastReload(live))
            #expect(startup["trigger"] as? String == "startup")
            #expect(startup["result"] as? String == "success")
            #expect(startup["duration_ms"] is Double)
            #expect(startup["at"] is String)

            try Fixture.oneBackendTable("b").write(toFile: live.routesPath, atomically: true, encoding: .utf8)
            #expect(try await eventually {
                let reload = try await Self.lastReload(live)
                return reload?["trigger"] as? String == "file change" && reload?["result"] as? String == "success"
            })

            // The same bytes again: the watcher sees the rename, and skips the reload.
            try Fixture.oneBackendTable("b").write(toFile: live.routesPath, atomically: true, encoding: .utf8)
            #expect(await eventually { handler.entries.contains { $0.message == "routes file content unchanged; reload skipped" } })

            // A broken file: the admin reload and the watcher's both fail, in either order.
            try "version: 1\nroutes: [".write(toFile: live.routesPath, atomically: true, encoding: .utf8)
            #expect(try await live.admin(.post, "/admin/reload").status == .unprocessableContent)
            let failed = try #require(try await Self.lastReload(live))
            #expect(["admin", "file change"].contains(failed["trigger"] as? String ?? ""))
            #expect(failed["result"] as? String == "failure")

            let messages = handler.entries.map { "\($0.level) \($0.message)" }
            #expect(messages.contains("debug watched file changed; reload debounced"))
            #expect(messages.contains("debug routes file content unchanged; reload skipped"))
            #expect(messages.filter { $0.hasSuffix("routes reloaded") }.count == 1)
        }
    }
}

import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SwitchboardTestSupport
import Testing

@testable import SwitchboardServer

/// Backends that report their own state (`health: { check: http, report: json }`), against demo backends whose
/// report changes at runtime.
@Suite(.timeLimit(.minutes(1)))
struct ReportTests {
    static func routes(_ a: DemoBackendServer, _ b: DemoBackendServer, strategy: String = "priority") -> String {
        """
        version: 1
        health: { interval: 100ms, fast_interval: 100ms, timeout: 500ms, rise: 1, fall: 1, jitter: 0% }
        backends:
          a:
            url: "ws://127.0.0.1:\(a.port)/calls?b=a"
            health: { check: http, url: "http://127.0.0.1:\(a.port)/report", report: json }
            max_calls: 10
          b:
            url: "ws://127.0.0.1:\(b.port)/calls?b=b"
            health: { check: http, url: "http://127.0.0.1:\(b.port)/report", report: json }
            max_calls: 10
        pools:
          pool: { strategy: \(strategy), members: [a, b], fallback: reject }
        routes:
          - { name: all, to: pool }
        """
    }

    /// The backend in the answer (`a`, `b`) or `reject`.
    static func answer(_ live: LiveSwitchboard, callID: String = UUID().uuidString) async throws -> String {
        let json = try await live.post(Fixture.incomingCall(id: callID)).json
        guard let url = json["client_websocket_url"] as? String else { return "reject" }
        return String(url.suffix(1))
    }

    static func report(_ live: LiveSwitchboard, _ backend: DemoBackendServer, _ body: String) async throws {
        let response = try await TestClient.withClient(host: "127.0.0.1", port: backend.port) { client in
            try await client.execute(
                .init("/report", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body))
            )
        }
        #expect(response.status == .noContent)
    }

    static func withBackends(
        strategy: String = "priority", _ body: @Sendable (LiveSwitchboard, DemoBackendServer, DemoBackendServer) async throws -> Void
    ) async throws {
        let a = try DemoBackendServer(name: "a"), b = try DemoBackendServer(name: "b")
        try await a.start()
        try await b.start()
        try await LiveSwitchboard.with(routes: Self.routes(a, b, strategy: strategy)) { live in
            try await body(live, a, b)
        }
        await a.stop()
        await b.stop()
    }

    @Test func reportedDrainingFullAndMaxCallsTakeEffectWithoutMarkingDown() async throws {
        try await Self.withBackends { live, a, _ in
            #expect(try await eventually { try await live.backendStatus("a")["report"] is [String: Any] })
            #expect(try await Self.answer(live, callID: "initial") == "a")
            #expect(try await live.event(Fixture.callEnded(id: "initial")).json["outcome"] as? String == "released")

            try await Self.report(live, a, #"{"status":"draining"}"#)
            #expect(try await eventually { try await live.backendStatus("a")["availability"] as? String == "draining" })
            #expect(try await live.backendStatus("a")["state"] as? String == "healthy")
            #expect(try await Self.answer(live) == "b")

            try await Self.report(live, a, #"{"status":"full","load":0.97}"#)
            #expect(try await eventually { try await live.backendStatus("a")["availability"] as? String == "full" })
            #expect(try await Self.answer(live) == "b")

            // A reported max_calls overrides the table's 10.
            try await Self.report(live, a, #"{"status":"ok","max_calls":1}"#)
            #expect(try await eventually { try await live.backendStatus("a")["max_calls"] as? Int == 1 })
            #expect(try await Self.answer(live, callID: "first") == "a")
            #expect(try await Self.answer(live, callID: "second") == "b")
            #expect(try await live.backendStatus("a")["availability"] as? String == "full")

            // A malformed report is a failed probe with reason `report`.
            try await Self.report(live, a, #"{"status":"sleepy"}"#)
            #expect(try await eventually { try await live.backendStatus("a")["state"] as? String == "unhealthy" })
            let probe = try #require(try await live.backendStatus("a")["last_probe"] as? [String: Any])
            #expect(probe["reason"] as? String == "report")
            let metrics = try await live.admin(.get, "/metrics").text
            #expect(metrics.contains(#"switchboard_probe_failures_total{backend="a",reason="report"}"#))
        }
    }

    @Test func leastLoadedFollowsReportedLoad() async throws {
        try await Self.withBackends(strategy: "least_loaded") { live, a, b in
            try await Self.report(live, a, #"{"load":0.9}"#)
            try await Self.report(live, b, #"{"load":0.2}"#)
            #expect(try await eventually { try await Self.answer(live) == "b" })
            try await Self.report(live, b, #"{"load":0.95}"#)
            #expect(try await eventually { try await Self.answer(live) == "a" })
        }
    }
}

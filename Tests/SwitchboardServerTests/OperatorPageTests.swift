import Foundation
import HTTPTypes
import HummingbirdTesting
import SwitchboardCore
import SwitchboardHealth
import SwitchboardTestSupport
import Testing

@testable import SwitchboardServer

/// `GET /` (the operator page), `GET /admin/explain` and the `/status` fields the page reads.
@Suite(.timeLimit(.minutes(1)))
struct OperatorPageTests {
    static let routes = """
        version: 1
        numbers:
          "+14155550100": { team: support }
        backends:
          agent-a: { url: "wss://agent-a.example/calls?call={call.id}", health: { check: none } }
          agent-b: { url: "wss://agent-b.example/calls?call={call.id}", health: { check: none } }
        pools:
          support: { strategy: priority, members: [agent-a, agent-b], fallback: number_default }
        routes:
          - { name: block-premium, when: { caller: "+1900*" }, to: reject }
          - { name: support, when: { number.team: support }, to: support }
        fallback: reject
        """

    static let explainKeys: Set<String> = [
        "answer", "backend", "caller", "matched_route", "number", "route", "skipped", "steps",
    ]

    @Test func pageIsServedWithoutTheTokenAndHoldsNoData() async throws {
        try await LiveSwitchboard.with(routes: Self.routes, adminToken: "s3cret-token") { live in
            _ = try await live.post(Fixture.incomingCall)
            let page = try await live.admin(.get, "/")
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.headers[.contentSecurityPolicy]?.contains("connect-src 'self'") == true)
            let html = page.text
            #expect(html.hasPrefix("<!doctype html>"))
            #expect(html.utf8.count < 100_000)
            #expect(html.contains("Reload now") && html.contains("explain-form"))
            // No data: nothing of the table, its health, its decisions or the token.
            let version = try RoutingTable.load(path: live.routesPath, environment: [:]).version
            for secret in ["agent-a", "block-premium", version, "+1415***0999", "3eafefd0", "s3cret-token"] {
                #expect(!html.contains(secret), "the page holds \(secret)")
            }
            // Nothing the page fetches is open without the token.
            #expect(try await live.admin(.get, "/status").status == .unauthorized)
            #expect(try await live.admin(.get, "/admin/explain?caller=%2B14155550999").status == .unauthorized)
        }
    }

    @Test func pageScriptAndStyleMatchThePolicyHashes() {
        let html = OperatorPage.document
        #expect(html.contains("<script>\(OperatorPage.script)</script>"))
        #expect(html.contains("<style>\(OperatorPage.style)</style>"))
        #expect(!html.contains("/*SCRIPT*/") && !html.contains("/*STYLE*/"))
        // No external resources of any kind (the SVG namespace is a name, not a request).
        let withoutNamespace = html.replacingOccurrences(of: "'http://www.w3.org/2000/svg'", with: "")
        #expect(!withoutNamespace.contains("http://") && !withoutNamespace.contains("https://"))
        #expect(!html.contains("src=") && !html.contains("@import") && !html.contains("url("))
    }

    @Test func explainAnswersWhatTheCLIPrints() async throws {
        try await LiveSwitchboard.with(routes: Self.routes) { live in
            let response = try await live.admin(.get, "/admin/explain?caller=+14155550999&number=%2B14155550100&down=agent-a")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            let json = response.json
            #expect(Set(json.keys) == Self.explainKeys)
            #expect(json["caller"] as? String == "+14155550999")
            #expect(json["number"] as? String == "+14155550100")
            #expect(json["matched_route"] as? String == "support")
            #expect(json["backend"] as? String == "agent-b")
            let skipped = try #require(json["skipped"] as? [[String: String]])
            #expect(skipped.map { $0["route"] } == ["block-premium"])
            #expect(skipped.first?["condition"] == #"caller: "+1900*""#)
            #expect((json["answer"] as? [String: String])?["client_websocket_url"] == "wss://agent-b.example/calls?call=")
            // Byte for byte what `switchboard explain --json` prints for the same call and table.
            let table = try RoutingTable.load(path: live.routesPath, environment: [:])
            var call = IncomingCall()
            call.caller = "+14155550999"
            call.number = "+14155550100"
            let health = try table.health(.allEligible(table.backends.count), down: ["agent-a"]).get()
            #expect(response.text == table.explain(call, health: health).json(call: call))
        }
    }

    @Test func explainUsesLiveHealthAndTheGivenInstant() async throws {
        let refusing = try RefusingPort()
        defer { refusing.close() }
        let routes = """
            version: 1
            backends:
              alive: { url: "wss://alive.example/calls", health: { check: none } }
              gone: { url: "ws://127.0.0.1:\(refusing.port)/calls", health: { check: tcp, interval: 200ms, fall: 1 } }
            pools:
              both: { strategy: priority, members: [gone, alive] }
            routes:
              - name: weekdays
                when: { time: { zone: UTC, days: mon-fri } }
                to: both
              - { name: weekend, to: alive }
            """
        try await LiveSwitchboard.with(routes: routes) { live in
            #expect(try await eventually {
                try await live.admin(.get, "/admin/explain?caller=+14155550999&at=2026-01-14T15:00:00Z").json["backend"]
                    as? String == "alive"
            })
            let weekday = try await live.admin(.get, "/admin/explain?caller=+14155550999&at=2026-01-14T15:00:00Z").json
            #expect(weekday["matched_route"] as? String == "weekdays")
            let saturday = try await live.admin(.get, "/admin/explain?number=+14155550100&at=2026-01-17T15:00:00Z").json
            #expect(saturday["matched_route"] as? String == "weekend")
            #expect((saturday["skipped"] as? [[String: String]])?.first?["route"] == "weekdays")
            #expect(saturday["caller"] is NSNull)
        }
    }

    @Test(arguments: [
        ("/admin/explain", "give caller, number or both"),
        ("/admin/explain?caller=&number=", "give caller, number or both"),
        ("/admin/explain?caller=+14155550999&at=yesterday", "at must be an ISO 8601 instant"),
        ("/admin/explain?caller=+14155550999&down=agent-a&down=ghost", "down: ghost: no such backend (backends: agent-a, agent-b)"),
    ])
    func explainRefusesBadParameters(path: String, message: String) async throws {
        try await LiveSwitchboard.with(routes: Self.routes) { live in
            let response = try await live.admin(.get, path)
            #expect(response.status == .badRequest)
            #expect(response.headers[.contentType] == "application/json")
            #expect(Set(response.json.keys) == ["error"])
            #expect((response.json["error"] as? String)?.contains(message) == true)
        }
    }

    @Test func explainNeedsTheAdminToken() async throws {
        try await LiveSwitchboard.with(routes: Self.routes, adminToken: "s3cret") { live in
            let path = "/admin/explain?caller=+14155550999&number=+14155550100"
            let refused = try await live.admin(.get, path)
            #expect(refused.status == .unauthorized)
            #expect(refused.headers[.wwwAuthenticate] == "Bearer")
            #expect(try await live.admin(.get, path, headers: [.authorization: "Bearer wrong"]).status == .unauthorized)
            let allowed = try await live.admin(.get, path, headers: [.authorization: "Bearer s3cret"])
            #expect(allowed.status == .ok)
            #expect(allowed.json["matched_route"] as? String == "support")
            // Bad parameters are only judged once the token is right.
            #expect(try await live.admin(.get, "/admin/explain").status == .unauthorized)
        }
    }

    @Test func statusListsRoutesPoolsAndDecisionsPerRoute() async throws {
        try await LiveSwitchboard.with(routes: Self.routes) { live in
            for _ in 0..<3 { _ = try await live.post(Fixture.incomingCall) }
            _ = try await live.post(Fixture.incomingCall { $0["local_phone_number"] = "+14155550177" })
            let status = try await live.admin(.get, "/status").json
            let routes = try #require(status["routes"] as? [[String: Any]])
            #expect(routes.map { $0["name"] as? String } == ["block-premium", "support"])
            #expect(routes.map { $0["target"] as? String } == ["reject", "support"])
            #expect(routes.map { $0["decisions"] as? Int } == [0, 3])
            #expect(routes.allSatisfy { $0["fallback"] is NSNull && $0["strategy"] is NSNull })
            let pools = try #require(status["pools"] as? [[String: Any]])
            #expect(pools.count == 1)
            #expect(pools.first?["name"] as? String == "support")
            #expect(pools.first?["strategy"] as? String == "priority")
            #expect(pools.first?["members"] as? [String] == ["agent-a", "agent-b"])
            #expect(pools.first?["fallback"] as? String == "number_default")
            #expect(pools.first?["panic"] as? Bool == false)
            let table = try #require(status["table"] as? [String: Any])
            #expect(table["loaded_by"] as? String == "startup")
            #expect(table["fallback"] as? String == "reject")
            #expect(table["unmatched_decisions"] as? Int == 1)
            #expect(table["last_reload_error_at"] is NSNull)

            try "version: 1\nroutes: [".write(toFile: live.routesPath, atomically: true, encoding: .utf8)
            _ = try await live.admin(.post, "/admin/reload")
            let failed = try #require(try await live.admin(.get, "/status").json["table"] as? [String: Any])
            #expect(failed["last_reload_error_at"] is String)
            #expect(failed["loaded_by"] as? String == "startup")
            try Self.routes.write(toFile: live.routesPath, atomically: true, encoding: .utf8)
            _ = try await live.admin(.post, "/admin/reload")
            let reloaded = try await live.admin(.get, "/status").json
            let after = try #require(reloaded["table"] as? [String: Any])
            #expect(after["loaded_by"] as? String == "admin")
            #expect(after["last_reload_error_at"] is NSNull)
            // Counts are since start: a reload keeps them.
            #expect((reloaded["routes"] as? [[String: Any]])?.map { $0["decisions"] as? Int } == [0, 3])
        }
    }

    @Test func statusKeepsRecentProbeLatencies() async throws {
        try await withDemoBackend { port in
            let routes = """
                version: 1
                health: { interval: 100ms, fast_interval: 100ms, timeout: 2s }
                backends:
                  demo: { url: "ws://127.0.0.1:\(port)/calls" }
                routes:
                  - { name: everyone, to: demo }
                """
            try await LiveSwitchboard.with(routes: routes) { live in
                #expect(try await eventually(within: 20) {
                    let backends = try await live.admin(.get, "/status").json["backends"] as? [[String: Any]]
                    return ((backends?.first?["recent_latencies_ms"] as? [Any])?.count ?? 0) >= 3
                })
                let backend = try #require((try await live.admin(.get, "/status").json["backends"] as? [[String: Any]])?.first)
                // A failed probe is null (a loaded machine can make one time out); the others are milliseconds.
                let latencies = try #require(backend["recent_latencies_ms"] as? [Any])
                #expect(latencies.allSatisfy { ($0 as? Double).map { $0 >= 0 } ?? ($0 is NSNull) })
                #expect(latencies.contains { $0 is Double })
                #expect(latencies.count <= live.switchboard.probeHistory.capacity)
            }
        }
    }

    @Test func probeHistoryIsBoundedAndOldestFirst() {
        let history = ProbeHistory(capacity: 3)
        for latency in 1...5 {
            history.record(backend: "a", result: .success(latency: .milliseconds(latency)))
        }
        history.record(backend: "a", result: .failure(.refused, "refused", latency: .milliseconds(9)))
        #expect(history.latencies(of: "a") == [4, 5, nil])
        history.record(backend: "b", result: .success(latency: .microseconds(1_234_567)))
        #expect(history.latencies(of: "b") == [1_234.567])
        history.retain(["b"])
        #expect(history.latencies(of: "a") == [])
        #expect(history.latencies(of: "b") == [1_234.567])
    }
}

import Foundation
import SwitchboardTestSupport
import Testing

/// Two `serve` processes on one table, as two replicas behind a load balancer: with no shared state, they must give
/// the same caller the same sticky backend and put it in the same split bucket.
@Suite(.timeLimit(.minutes(2)))
struct ReplicaTests {
    static let routes = """
        version: 1
        backends:
          a: { url: "wss://a.example/calls", health: { check: none } }
          b: { url: "wss://b.example/calls", health: { check: none }, weight: 2 }
          c: { url: "wss://c.example/calls", health: { check: none } }
          d: { url: "wss://d.example/calls", health: { check: none } }
          canary: { url: "wss://canary.example/calls", health: { check: none } }
        pools:
          agents: { strategy: sticky, members: [a, b, c, d] }
        routes:
          - { name: canary, when: { split: { percent: 30, by: caller } }, to: canary }
          - { name: everyone, to: agents }
        """

    static func start(_ routes: String) async throws -> (ChildProcess, port: Int) {
        let server = try ChildProcess(
            ["serve", "--routes", routes, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"],
            environment: ["SWITCHBOARD_SIGNING_KEY": "whsec_replicas"])
        let log = try await server.waitForOutput(containing: "listener=webhook")
        return (server, try #require(log.port(of: "webhook")))
    }

    /// The answer's URL for `caller`, sent to `port` as a signed webhook.
    static func answer(port: Int, caller: String) async throws -> String {
        let body = Fixture.incomingCall { $0["remote_phone_number"] = caller; $0["contacts"] = []; $0["id"] = caller }
        return try await SignedRequest(body: body, key: "whsec_replicas").send(port: port)
    }

    @Test func twoReplicasGiveEveryCallerTheSameAnswer() async throws {
        let scratch = try Scratch()
        let routes = try scratch.write("routes.yaml", Self.routes)
        let (first, firstPort) = try await Self.start(routes)
        let (second, secondPort) = try await Self.start(routes)
        var seen = Set<String>()
        for index in 0..<40 {
            let caller = "+1415555\(String(format: "%04d", index * 37))"
            let one = try await Self.answer(port: firstPort, caller: caller)
            let other = try await Self.answer(port: secondPort, caller: caller)
            #expect(one == other, "\(caller)")
            #expect(one.hasPrefix(#"{"action":"answer","client_websocket_url":"wss://"#), "\(one)")
            seen.insert(one)
        }
        // The callers really were spread: over the canary and several sticky members, not all on one.
        #expect(seen.contains { $0.contains("canary") })
        #expect(seen.count >= 4)
        first.signal(SIGTERM)
        second.signal(SIGTERM)
        #expect(try await first.waitForExit() == 0)
        #expect(try await second.waitForExit() == 0)
    }
}

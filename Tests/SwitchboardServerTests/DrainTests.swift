import Foundation
import HTTPTypes
import HummingbirdTesting
import SwitchboardCore
import SwitchboardTestSupport
import Testing

@testable import SwitchboardServer

/// Draining backends through the admin endpoints, and what reloads keep.
@Suite(.timeLimit(.minutes(1)))
struct DrainTests {
    static func routes(bMax: Int = 5, strategy: String = "sticky", withB: Bool = true) -> String {
        """
        version: 1
        backends:
          a: { url: "wss://a.example/calls", health: { check: none } }
        \(withB ? "  b: { url: \"wss://b.example/calls\", health: { check: none }, max_calls: \(bMax) }" : "")
        pools:
          pool: { strategy: \(strategy), members: [\(withB ? "a, b" : "a")], fallback: reject }
        routes:
          - { name: all, to: pool }
        """
    }

    /// The caller of the incoming-call fixture is sticky to `a` in this table (checked by the first assertion).
    @Test func drainMovesNewCallsKeepsLiveOnesAndReportsDrained() async throws {
        try await LiveSwitchboard.with(routes: Self.routes(), adminToken: "t0ken") { (live) async throws -> Void in
            let auth: HTTPFields = [.authorization: "Bearer t0ken"]
            let first = try await live.answer(callID: "live-1")
            let other = first == "a" ? "b" : "a"
            let denied = try await live.admin(.post, "/admin/backends/\(first)/drain")
            #expect(denied.status == .unauthorized)
            let missing = try await live.admin(.post, "/admin/backends/ghost/drain", headers: auth)
            #expect(missing.status == .notFound)
            #expect(missing.json["error"] as? String == "no backend named 'ghost' in the running table")

            let drain = try await live.admin(.post, "/admin/backends/\(first)/drain", headers: auth)
            #expect(drain.status == .ok)
            #expect(drain.json["drain"] as? String == "draining")
            #expect(drain.json["active_calls"] as? Int == 1)
            // The sticky caller moves while its backend drains; the live call keeps its slot.
            #expect(try await live.answer(callID: "new-1") == other)
            let status = try await Self.status(live, first, auth)
            #expect(status["drain"] as? String == "draining")
            #expect(status["availability"] as? String == "draining")
            #expect(status["active_calls"] as? Int == 1)

            #expect(try await live.event(Fixture.callEnded(id: "live-1")).json["outcome"] as? String == "released")
            #expect(try await Self.status(live, first, auth)["drain"] as? String == "drained")

            let undrain = try await live.admin(.post, "/admin/backends/\(first)/undrain", headers: auth)
            #expect(undrain.status == .ok)
            #expect(undrain.json["drain"] is NSNull)
            // And comes back when it is undrained.
            #expect(try await live.answer(callID: "new-2") == first)
        }
    }

    @Test func drainAndLeasesSurviveAReload() async throws {
        try await LiveSwitchboard.with(routes: Self.routes(strategy: "priority")) { (live) async throws -> Void in
            #expect(try await live.answer(callID: "c1") == "a")
            #expect(try await live.admin(.post, "/admin/backends/a/drain").status == .ok)
            #expect(try await live.answer(callID: "c2") == "b")
            #expect(try await live.answer(callID: "c3") == "b")
            // b's limit drops to its live calls: it keeps them and is full.
            try Self.routes(bMax: 2, strategy: "priority").write(toFile: live.routesPath, atomically: true, encoding: .utf8)
            #expect(try await live.admin(.post, "/admin/reload").status == .ok)
            let a = try await live.backendStatus("a")
            #expect(a["drain"] as? String == "draining")
            #expect(a["active_calls"] as? Int == 1)
            let b = try await live.backendStatus("b")
            #expect(b["active_calls"] as? Int == 2)
            #expect(b["availability"] as? String == "full")
            #expect(try await live.answer(callID: "c4") == "reject")

            // A reload that removes b drops its leases; adding it back starts from zero.
            try Self.routes(strategy: "priority", withB: false).write(toFile: live.routesPath, atomically: true, encoding: .utf8)
            #expect(try await live.admin(.post, "/admin/reload").status == .ok)
            #expect(await eventually { await live.switchboard.ledger.occupancy(of: "b").active == 0 })
            try Self.routes(bMax: 2, strategy: "priority").write(toFile: live.routesPath, atomically: true, encoding: .utf8)
            #expect(try await live.admin(.post, "/admin/reload").status == .ok)
            #expect(try await live.answer(callID: "c5") == "b")
            #expect(try await live.backendStatus("b")["active_calls"] as? Int == 1)
        }
    }

    static func status(_ live: LiveSwitchboard, _ name: String, _ auth: HTTPFields) async throws -> [String: Any] {
        let backends = try await live.admin(.get, "/status", headers: auth).json["backends"] as? [[String: Any]] ?? []
        return backends.first { $0["name"] as? String == name } ?? [:]
    }
}

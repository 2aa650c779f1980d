import Foundation
import HTTPTypes
import HummingbirdTesting
import SwitchboardTestSupport
import Testing

@testable import SwitchboardServer

/// Call limits end to end: slots taken by answered calls, released by signed `call.ended` events or by expiry.
@Suite(.timeLimit(.minutes(1)))
struct CapacityTests {
    static func routes(aMax: Int = 2, bMax: Int = 1, duration: String = "2h") -> String {
        """
        version: 1
        backends:
          a: { url: "wss://a.example/calls", health: { check: none }, max_calls: \(aMax), max_call_duration: \(duration) }
          b: { url: "wss://b.example/calls", health: { check: none }, max_calls: \(bMax) }
        pools:
          pool: { strategy: priority, members: [a, b], fallback: number_default }
        routes:
          - { name: all, to: pool }
        """
    }

    @Test func fullBackendOverflowsToTheNextMemberThenTheFallback() async throws {
        try await LiveSwitchboard.with(routes: Self.routes()) { (live) async throws -> Void in
            #expect(try await live.answer(callID: "c1") == "a")
            #expect(try await live.answer(callID: "c2") == "a")
            #expect(try await live.answer(callID: "c3") == "b")
            #expect(try await live.answer(callID: "c4") == "number_default")
            let a = try await live.backendStatus("a")
            #expect(a["availability"] as? String == "full")
            #expect(a["state"] as? String == "healthy" || a["state"] as? String == "unknown")
            #expect(a["active_calls"] as? Int == 2)
            #expect(a["max_calls"] as? Int == 2)
            let metrics = try await live.admin(.get, "/metrics").text
            #expect(metrics.contains(#"switchboard_backend_active_calls{backend="a"} 2"#))
            #expect(metrics.contains(#"switchboard_backend_max_calls{backend="a"} 2"#))
            #expect(metrics.contains(#"switchboard_backend_active_calls{backend="b"} 1"#))
            #expect(metrics.contains(#"switchboard_capacity_overflows_total{backend="a"} 2"#))
            #expect(metrics.contains(#"switchboard_capacity_overflows_total{backend="b"} 1"#))
        }
    }

    @Test func callEndedFreesASlotForTheNextCall() async throws {
        try await LiveSwitchboard.with(routes: Self.routes(aMax: 1, bMax: 1)) { (live) async throws -> Void in
            #expect(try await live.answer(callID: Self.fixtureCallID) == "a")
            #expect(try await live.answer(callID: "c2") == "b")
            // The real call.ended fixture ends the fixture's call, which holds a's slot.
            let ended = try await live.event(Fixture.callEnded)
            #expect(ended.status == .ok)
            #expect(ended.json["outcome"] as? String == "released")
            #expect(try await live.backendStatus("a")["active_calls"] as? Int == 0)
            #expect(try await live.answer(callID: "c3") == "a")
            // A replay of the same event, and an event for a call never answered here, change nothing.
            let replay = try await live.event(Fixture.callEnded)
            #expect(replay.status == .ok)
            #expect(replay.json["outcome"] as? String == "unknown_call")
            let unknown = try await live.event(Fixture.callEnded(id: "never-seen"))
            #expect(unknown.status == .ok)
            #expect(unknown.json["outcome"] as? String == "unknown_call")
            #expect(try await live.backendStatus("a")["active_calls"] as? Int == 1)
            #expect(try await live.backendStatus("b")["active_calls"] as? Int == 1)
            let metrics = try await live.admin(.get, "/metrics").text
            #expect(metrics.contains(#"switchboard_events_total{type="call.ended",outcome="released"} 1"#))
            #expect(metrics.contains(#"switchboard_events_total{type="call.ended",outcome="unknown_call"} 2"#))
        }
    }

    @Test func leaseExpiresAfterMaxCallDuration() async throws {
        // A lifetime long enough that the second call surely comes while the first lease holds, even on a machine so
        // loaded that two requests in a row are seconds apart (3 s was not), and short enough to wait for.
        try await LiveSwitchboard.with(routes: Self.routes(aMax: 1, bMax: 0, duration: "10s")) { (live) async throws -> Void in
            #expect(try await live.answer(callID: "c1") == "a")
            #expect(try await live.answer(callID: "c2") == "number_default")
            #expect(try await eventually(within: 30) { try await live.backendStatus("a")["active_calls"] as? Int == 0 })
            #expect(try await live.answer(callID: "c3") == "a")
        }
    }

    @Test func retriesTakeNoSecondSlot() async throws {
        try await LiveSwitchboard.with(routes: Self.routes(aMax: 2, bMax: 0)) { (live) async throws -> Void in
            let requestID = UUID().uuidString
            #expect(try await live.answer(callID: "c1", requestID: requestID) == "a")
            #expect(try await live.answer(callID: "c1", requestID: requestID) == "a")
            #expect(try await live.backendStatus("a")["active_calls"] as? Int == 1)
            // The same call delivered under a new request ID still holds one slot.
            #expect(try await live.answer(callID: "c1") == "a")
            #expect(try await live.backendStatus("a")["active_calls"] as? Int == 1)
        }
    }

    @Test func concurrentCallsNeverExceedTheLimit() async throws {
        try await LiveSwitchboard.with(routes: Self.routes(aMax: 5, bMax: 3)) { (live) async throws -> Void in
            let answers = try await withThrowingTaskGroup(of: String.self) { group in
                for call in 0..<24 {
                    group.addTask { try await live.answer(callID: "call-\(call)") }
                }
                return try await group.reduce(into: [String: Int]()) { $0[$1, default: 0] += 1 }
            }
            #expect(answers == ["a": 5, "b": 3, "number_default": 16])
            #expect(try await live.backendStatus("a")["active_calls"] as? Int == 5)
            #expect(try await live.backendStatus("b")["active_calls"] as? Int == 3)
        }
    }

    @Test func eventsAreVerifiedAndEnvelopesChecked() async throws {
        try await LiveSwitchboard.with(routes: Self.routes()) { (live) async throws -> Void in
            let forged = try await live.event(Fixture.callEnded, key: "whsec_someone-else")
            #expect(forged.status == .unauthorized)
            #expect(forged.json["error"] as? String == "signature does not match")
            let unsigned = try await live.request(
                .post, "/webhooks/events", headers: [.contentType: "application/json"], body: Fixture.callEnded
            )
            #expect(unsigned.status == .unauthorized)
            #expect(unsigned.json["error"] as? String == "missing X-Inkbox-Request-ID header")
            let cases: [(String, String)] = [
                ("not json", "body is not valid JSON"),
                ("[1]", "body is not a JSON object"),
                (#"{"id":"e1","timestamp":"t","data":{}}"#, "missing or non-string 'event_type'"),
                (#"{"id":"e1","event_type":"call.ended","timestamp":"t","data":{"call":{}}}"#,
                 "call.ended without a string 'data.call.id'"),
                (#"{"id":"e1","event_type":"call.started","timestamp":"t"}"#, "missing or non-object 'data'"),
            ]
            for (body, message) in cases {
                let response = try await live.event(Data(body.utf8))
                #expect(response.status == .badRequest, "\(body)")
                #expect(response.json["error"] as? String == message)
            }
            let other = try await live.event(Data(#"{"id":"e2","event_type":"call.started","timestamp":"t","data":{}}"#.utf8))
            #expect(other.status == .ok)
            #expect(other.json["outcome"] as? String == "acknowledged")
            let wrongMethod = try await live.request(.get, "/webhooks/events", headers: [:], body: nil)
            #expect(wrongMethod.status == .methodNotAllowed)
            let metrics = try await live.admin(.get, "/metrics").text
            #expect(metrics.contains(#"switchboard_events_total{type="none",outcome="unauthorized"} 2"#))
            #expect(metrics.contains(#"switchboard_events_total{type="call.started",outcome="acknowledged"} 1"#))
            #expect(metrics.contains(#"switchboard_events_total{type="call.ended",outcome="bad_request"} 1"#))
        }
    }

    /// The `id` of the incoming-call fixture, which the call.ended fixture ends.
    static let fixtureCallID = "3eafefd0-a22f-4e9b-9eb1-8d59e3d9b85f"
}

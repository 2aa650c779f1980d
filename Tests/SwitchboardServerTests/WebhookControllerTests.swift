import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SwitchboardTestSupport
import Testing

@testable import SwitchboardServer

@Suite(.timeLimit(.minutes(1)))
struct WebhookControllerTests {
    static let routes = """
        version: 1
        numbers:
          "+14155550100": { team: support }
        backends:
          a: { url: "wss://a.example/calls?call={call.id}", health: { check: none } }
          b: { url: "wss://b.example/calls", health: { check: none } }
          agents: { url: "wss://agents.example/{caller}", health: { check: none } }
        pools:
          rr: { strategy: round_robin, members: [a, b] }
        routes:
          - { name: agents, when: { caller.agent: "*" }, to: agents }
          - { name: contacts, when: { caller.known: true }, to: a }
          - { name: shared-line, when: { number: { not: "+1*" } }, to: reject }
          - { name: unknown-number, when: { number: { not: "+14155550100" } }, to: number_default }
          - { name: strangers, to: rr }
        """

    @Test func realFixtureIsAnswered() async throws {
        try await LiveSwitchboard.with(routes: Self.routes, transport: .router) { live in
            let response = try await live.post(Fixture.incomingCall)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            #expect(response.text == #"{"action":"answer","client_websocket_url":"wss://agents.example/%2B14155550999"}"#)
        }
    }

    @Test func payloadVariantsRouteAsTheirFieldsSay() async throws {
        try await LiveSwitchboard.with(routes: Self.routes, transport: .router) { live in
            // No agent, a contact with a unicode name: the contacts route.
            let contact = Fixture.incomingCall {
                $0["agent_identities"] = []
                $0["contacts"] = [["id": "1", "name": "Zoë 山田 📞", "memories": []]]
                $0["some_future_field"] = ["nested": [1, 2, 3]]
            }
            #expect(try await live.post(contact).text == #"{"action":"answer","client_websocket_url":"wss://a.example/calls?call=3eafefd0-a22f-4e9b-9eb1-8d59e3d9b85f"}"#)
            // No contacts, no agents, the number unknown to routes.yaml: the number's default.
            let stranger = Fixture.incomingCall {
                $0["agent_identities"] = []
                $0["contacts"] = []
                $0["local_phone_number"] = "+19995550100"
            }
            #expect(try await live.post(stranger).text == #"{"action":"answer"}"#)
            // A null called number (shared line) matches no number condition: `not "+1*"` does not match either,
            // so the call falls through to the pool.
            let shared = Fixture.incomingCall {
                $0["agent_identities"] = []
                $0["contacts"] = []
                $0["local_phone_number"] = NSNull()
            }
            let answer = try await live.post(shared)
            #expect(answer.status == .ok)
            #expect(["wss://a.example/calls?call=3eafefd0-a22f-4e9b-9eb1-8d59e3d9b85f", "wss://b.example/calls"]
                .contains(answer.json["client_websocket_url"] as? String ?? ""))
        }
    }

    @Test func headerNamesAreCaseInsensitive() async throws {
        try await LiveSwitchboard.with(routes: Self.routes, transport: .router) { live in
            let signed = LiveSwitchboard.signedHeaders(Fixture.incomingCall, requestID: "lower-case")
            var lowered = HTTPFields()
            for field in signed { lowered[HTTPField.Name(field.name.rawName.lowercased())!] = field.value }
            let response = try await live.request(.post, "/webhooks/incoming-call", headers: lowered, body: Fixture.incomingCall)
            #expect(response.status == .ok)
        }
    }

    /// A second copy of a signature header, even of a valid one, makes the delivery ambiguous: refused.
    @Test func duplicatedSignatureHeadersAre401() async throws {
        try await LiveSwitchboard.with(routes: Self.routes, transport: .router) { live in
            let signed = LiveSwitchboard.signedHeaders(Fixture.incomingCall, requestID: "twice")
            for name in ["X-Inkbox-Signature", "X-Inkbox-Timestamp", "X-Inkbox-Request-ID"] {
                var headers = signed
                let field = HTTPField.Name(name)!
                headers.append(HTTPField(name: field, value: headers[field]!))
                let response = try await live.request(.post, "/webhooks/incoming-call", headers: headers, body: Fixture.incomingCall)
                #expect(response.status == .unauthorized, "\(name) sent twice")
            }
            let once = try await live.request(.post, "/webhooks/incoming-call", headers: signed, body: Fixture.incomingCall)
            #expect(once.status == .ok)
        }
    }

    @Test func unsignedAndStaleDeliveriesAre401WithAJSONError() async throws {
        try await LiveSwitchboard.with(routes: Self.routes, transport: .router) { live in
            let wrongKey = try await live.post(Fixture.incomingCall, key: "whsec_wrong")
            #expect(wrongKey.status == .unauthorized)
            #expect(wrongKey.json["error"] as? String == "signature does not match")
            #expect(wrongKey.headers[.contentType] == "application/json")

            let stale = try await live.post(Fixture.incomingCall, timestamp: Date().addingTimeInterval(-301))
            #expect(stale.status == .unauthorized)
            #expect((stale.json["error"] as? String)?.contains("outside the 300 s window") == true)

            let unsigned = try await live.request(.post, "/webhooks/incoming-call", headers: [:], body: Fixture.incomingCall)
            #expect(unsigned.status == .unauthorized)
            #expect(unsigned.json["error"] as? String == "missing X-Inkbox-Request-ID header")
        }
    }

    @Test(arguments: ["[1,2]", "\"text\"", "not json", "{\"a\":", ""])
    func signedBodiesThatAreNotJSONObjectsAre400(_ body: String) async throws {
        try await LiveSwitchboard.with(routes: Self.routes, transport: .router) { live in
            let response = try await live.post(Data(body.utf8))
            #expect(response.status == .badRequest)
            #expect(response.json["error"] is String)
        }
    }

    @Test func bodyLimitIs64KiB() async throws {
        try await LiveSwitchboard.with(routes: Self.routes, transport: .router) { live in
            // The fixture padded with whitespace to exactly 65,536 bytes is valid JSON and accepted.
            var exact = Fixture.incomingCall
            exact.append(Data(repeating: UInt8(ascii: " "), count: 65_536 - exact.count))
            #expect(exact.count == 65_536)
            #expect(try await live.post(exact).status == .ok)
            exact.append(UInt8(ascii: " "))
            let tooLarge = try await live.post(exact)
            #expect(tooLarge.status == .contentTooLarge)
            #expect(tooLarge.json["error"] as? String == "body larger than 65536 bytes")
        }
    }

    @Test func otherMethodsAre405AndOtherPaths404() async throws {
        try await LiveSwitchboard.with(routes: Self.routes, transport: .router) { live in
            let get = try await live.request(.get, "/webhooks/incoming-call", headers: [:], body: nil)
            #expect(get.status == .methodNotAllowed)
            #expect(get.headers[.allow] == "POST")
            #expect(get.json["error"] as? String == "use POST")
            let other = try await live.post(Fixture.incomingCall, path: "/status")
            #expect(other.status == .notFound)
        }
    }

    @Test func retriedDeliveryGetsTheIdenticalAnswer() async throws {
        try await LiveSwitchboard.with(routes: Self.routes, transport: .router) { live in
            let stranger = Fixture.incomingCall {
                $0["agent_identities"] = []
                $0["contacts"] = []
            }
            // Round robin alternates a, b, so an identical second answer can only come from the cache.
            let first = try await live.post(stranger, requestID: "delivery-1")
            let retry = try await live.post(stranger, requestID: "delivery-1", timestamp: Date().addingTimeInterval(5))
            #expect(retry.status == .ok)
            #expect(retry.text == first.text)
            let next = try await live.post(stranger, requestID: "delivery-2")
            #expect(next.text != first.text)

            let conflict = try await live.post(Fixture.incomingCall, requestID: "delivery-1")
            #expect(conflict.status == .conflict)
            #expect(conflict.json["error"] as? String == "request ID already used with a different body")
        }
    }

    @Test func refusedDeliveriesMakeNoDecision() async throws {
        try await LiveSwitchboard.with(routes: Self.routes, transport: .router) { live in
            let stranger = Fixture.incomingCall {
                $0["agent_identities"] = []
                $0["contacts"] = []
            }
            let first = try await live.post(stranger)
            for _ in 0..<3 { _ = try await live.post(stranger, key: "whsec_wrong") }
            // The round-robin cursor did not move: the next answer is the other member.
            let second = try await live.post(stranger)
            #expect(first.text != second.text)
            let third = try await live.post(stranger)
            #expect(third.text == first.text)
            let metrics = try await live.admin(.get, "/metrics").text
            #expect(metrics.contains(#"switchboard_webhooks_total{outcome="unauthorized"} 3"#))
            #expect(metrics.contains(#"switchboard_webhooks_total{outcome="answer"} 3"#))
            #expect(metrics.contains(#"switchboard_decisions_total{route="strangers",backend="a"} 2"#))
            #expect(metrics.contains(#"switchboard_decisions_total{route="strangers",backend="b"} 1"#))
        }
    }

    /// 1,000 random bodies and headers, then the real fixture is still answered correctly.
    @Test func survivesGarbage() async throws {
        try await LiveSwitchboard.with(routes: Self.routes, transport: .router) { live in
            var generator = SystemRandomNumberGenerator()
            var statuses: [Int: Int] = [:]
            for index in 0..<1_000 {
                let length = Int.random(in: 0...2_048, using: &generator)
                var body = Data((0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) })
                if index % 4 == 0 { body = Fixture.incomingCall { $0["id"] = String(repeating: "x", count: Int.random(in: 0...500)) } }
                let printable = { (count: Int) in
                    String((0..<count).map { _ in Character(Unicode.Scalar(UInt8.random(in: 0x21...0x7E, using: &generator))) })
                }
                var headers: HTTPFields = [
                    HTTPField.Name("X-Inkbox-Request-ID")!: printable(Int.random(in: 1...80, using: &generator)),
                    HTTPField.Name("X-Inkbox-Timestamp")!: index % 3 == 0 ? String(Int(Date().timeIntervalSince1970)) : printable(12),
                    HTTPField.Name("X-Inkbox-Signature")!: index % 2 == 0 ? "sha256=" + printable(64) : printable(71),
                ]
                if index % 5 == 0 { headers = LiveSwitchboard.signedHeaders(body, requestID: "garbage-\(index)") }
                let response = try await live.request(.post, "/webhooks/incoming-call", headers: headers, body: body)
                statuses[response.status.code, default: 0] += 1
                #expect([200, 400, 401].contains(response.status.code))
                #expect(response.json["error"] is String || response.status == .ok)
            }
            #expect(statuses[401, default: 0] > 0 && statuses[400, default: 0] > 0)
            let answer = try await live.post(Fixture.incomingCall)
            #expect(answer.text == #"{"action":"answer","client_websocket_url":"wss://agents.example/%2B14155550999"}"#)
        }
    }
}

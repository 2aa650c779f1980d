import Foundation
import HTTPTypes
import HummingbirdTesting
import InMemoryLogging
import Logging
import SwitchboardTestSupport
import Testing

@testable import SwitchboardServer

/// Secrets expanded from the environment (URL userinfo, `?token=`) never leave the process.
@Suite(.timeLimit(.minutes(1)))
struct SecretRedactionTests {
    static let environment = ["AGENT_PASSWORD": "pa55-w0rd-xyz", "AGENT_TOKEN": "t0ken-abc-123"]
    static let secrets = ["pa55-w0rd-xyz", "t0ken-abc-123", "live-test-key"]

    static let routes = """
        version: 1
        backends:
          a:
            url: "wss://agent:${AGENT_PASSWORD:-x}@a.example/calls?token=${AGENT_TOKEN:-y}&call={call.id}"
            health: { check: none }
        routes:
          - { name: everyone, to: a }
        """

    static func leaks(_ text: String) -> [String] {
        secrets.filter { text.contains($0) }
    }

    @Test func statusReloadErrorsAndLogsShowNoSecret() async throws {
        let handler = InMemoryLogHandler()
        let logger = Logger(label: "test", factory: { _ in handler })
        try await LiveSwitchboard.with(
            routes: Self.routes, logger: logger, configure: { $0.environment = Self.environment }
        ) { live in
            // The webhook answer is the real URL: Inkbox needs it.
            let answer = try await live.post(Fixture.incomingCall).json["client_websocket_url"] as? String
            #expect(answer?.contains("t0ken-abc-123") == true)

            let status = try await live.admin(.get, "/status").text
            #expect(status.contains(#""url":"wss://***@a.example/calls?token=***&call={call.id}""#))
            #expect(Self.leaks(status) == [])

            // A broken reload whose error quotes the expanded URL.
            try Self.routes.replacingOccurrences(of: "wss://agent", with: "http://agent")
                .write(toFile: live.routesPath, atomically: true, encoding: .utf8)
            let reload = try await live.admin(.post, "/admin/reload")
            #expect(reload.status == .unprocessableContent)
            #expect(reload.text.contains("url must start with ws:// or wss://"))
            #expect(Self.leaks(reload.text) == [])
            let after = try await live.admin(.get, "/status").text
            #expect(after.contains("url must start with ws:// or wss://"))
            #expect(Self.leaks(after) == [])
        }
        let everything = handler.entries.map { "\($0.message) \($0.metadata)" }.joined(separator: "\n")
        #expect(everything.contains("url must start with ws:// or wss://"))
        #expect(Self.leaks(everything) == [])
    }

    @Test(arguments: ["Bearer s3cret", "bearer s3cret", "BEARER  s3cret"])
    func bearerSchemeIsCaseInsensitive(header: String) async throws {
        try await LiveSwitchboard.with(routes: Self.routes, adminToken: "s3cret") { live in
            let accepted = try await live.admin(.get, "/status", headers: [.authorization: header])
            #expect(accepted.status == .ok)
            let basic = try await live.admin(.get, "/status", headers: [.authorization: "Basic s3cret"])
            #expect(basic.status == .unauthorized)
        }
    }
}

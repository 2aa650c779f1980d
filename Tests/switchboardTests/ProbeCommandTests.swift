import Foundation
import SwitchboardTestSupport
import Testing

@Suite(.timeLimit(.minutes(1)))
struct ProbeCommandTests {
    @Test func probePrintsATableAndFailsWhenABackendIsDown() async throws {
        let scratch = try Scratch()
        let backend = try DemoBackendServer(name: "up")
        try await backend.start()
        let port = backend.port
        let refusing = try RefusingPort()
        defer { refusing.close() }
        let dead = refusing.port
        let healthy = try scratch.write("healthy.yaml", """
            version: 1
            health: { timeout: 5s }
            backends:
              ws: { url: "ws://127.0.0.1:\(port)/calls?call={call.id}" }
              web: { url: "ws://127.0.0.1:\(port)/calls", health: { check: http, url: "http://127.0.0.1:\(port)/healthz" } }
              plain: { url: "ws://127.0.0.1:\(port)/", health: { check: tcp } }
            routes: []
            """)
        let allUp = try await ChildProcess.run(["probe", "--routes", healthy])
        #expect(allUp.status == 0)
        let rows = allUp.stdout.split(separator: "\n")
        #expect(rows.first?.hasPrefix("BACKEND") == true)
        #expect(rows.filter { $0.contains("  up  ") }.count == 3)

        let mixed = try scratch.write("mixed.yaml", """
            version: 1
            health: { timeout: 5s }
            backends:
              ws: { url: "ws://127.0.0.1:\(port)/calls" }
              gone: { url: "ws://127.0.0.1:\(dead)/calls" }
            routes: []
            """)
        let someDown = try await ChildProcess.run(["probe", "--routes", mixed])
        #expect(someDown.status == 1)
        let goneRow = try #require(someDown.stdout.split(separator: "\n").first { $0.hasPrefix("gone") })
        #expect(goneRow.contains("down"))
        #expect(goneRow.contains("refused"))
        #expect(someDown.stderr.contains("1 of 2 backends down"))
        await backend.stop()
    }

    /// `demo-backend --require-signature` accepts only signed upgrades; `probe` signs `sign: true` checks with
    /// SWITCHBOARD_SIGNING_KEY.
    @Test func requireSignatureBackendPassesOnlySignedProbes() async throws {
        let refused = try await ChildProcess.run(["demo-backend", "--listen", "127.0.0.1:0", "--require-signature"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("SWITCHBOARD_SIGNING_KEY"))

        let scratch = try Scratch()
        let key = ["SWITCHBOARD_SIGNING_KEY": "whsec_strict"]
        let backend = try ChildProcess(["demo-backend", "--listen", "127.0.0.1:0", "--require-signature"], environment: key)
        defer { backend.signal(SIGTERM) }
        let line = try await backend.waitForOutput(containing: "listening on 127.0.0.1:")
        let port = try #require(line.split(separator: ":").last.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
        let routes = try scratch.write("routes.yaml", """
            version: 1
            backends:
              signed: { url: "ws://127.0.0.1:\(port)/calls", health: { check: websocket, sign: true } }
              unsigned: { url: "ws://127.0.0.1:\(port)/calls" }
            routes: []
            """)
        let round = try await ChildProcess.run(["probe", "--routes", routes], environment: key)
        #expect(round.status == 1)
        let rows = round.stdout.split(separator: "\n")
        let signed = try #require(rows.first { $0.hasPrefix("signed") })
        #expect(signed.contains("  up  "), "\(round.stdout)")
        let unsigned = try #require(rows.first { $0.hasPrefix("unsigned") })
        #expect(unsigned.contains("handshake: status 401"), "\(round.stdout)")

        // The backend's own answer to an unsigned upgrade: 401 with a JSON error.
        let response = try await blocking { () throws -> String in
            let connection = try RawConnection(port: port)
            connection.write(
                "GET /calls HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
            guard let answer = connection.readResponse() else { return "" }
            return answer.head + "\n" + answer.body
        }
        #expect(response.hasPrefix("HTTP/1.1 401"))
        #expect(response.contains(#"{"error":"a signed X-Call-Context is required"}"#))
    }
}

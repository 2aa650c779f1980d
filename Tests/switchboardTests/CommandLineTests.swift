import ArgumentParser
import Foundation
import SwitchboardTestSupport
import Testing

@testable import switchboard

@Suite(.timeLimit(.minutes(2)))
struct CommandLineTests {
    static let brokenRoutes = """
        version: 1
        backends:
          a: { url: "ws://a", fallback: nowhere }
        routes:
          - { name: r, when: { callr: x }, to: a }
        """

    @Test func argumentsParse() throws {
        let command = try SwitchboardCommand.parseAsRoot(["explain", "--routes", "r.yaml", "--caller", "+1", "--down", "a", "--down", "b"])
        let explain = try #require(command as? Explain)
        #expect(explain.down == ["a", "b"])
        #expect(explain.options.routes == "r.yaml")
        #expect(throws: (any Error).self) { try SwitchboardCommand.parseAsRoot(["serve", "--listen", "nonsense"]) }
    }

    @Test func validateExitCodes() async throws {
        let scratch = try Scratch()
        let valid = try await ChildProcess.run(["validate", Fixture.repositoryRoutes])
        #expect(valid.status == 0)
        #expect(valid.stdout.contains("valid (8 routes, 3 backends, 2 pools"))

        let broken = try scratch.write("broken.yaml", Self.brokenRoutes)
        let invalid = try await ChildProcess.run(["validate", broken])
        #expect(invalid.status == 1)
        #expect(invalid.stderr.contains("\(broken):3:33: fallback: unknown backend or pool 'nowhere'"))
        #expect(invalid.stderr.contains("\(broken):5:24: unknown key 'callr' in when (did you mean 'caller'?)"))
        #expect(invalid.stdout.isEmpty)

        let usage = try await ChildProcess.run(["validate"])
        #expect(usage.status == 2)
        #expect(usage.stderr.contains("Missing expected argument"))
    }

    @Test func serveRefusesToStartWithoutAKey() async throws {
        let result = try await ChildProcess.run(["serve", "--routes", Fixture.repositoryRoutes, "--listen", "127.0.0.1:0"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("set SWITCHBOARD_SIGNING_KEY"))
        #expect(result.stderr.contains("--signing-key-file"))
    }

    @Test func serveRefusesAnInvalidTable() async throws {
        let scratch = try Scratch()
        let broken = try scratch.write("routes.yaml", Self.brokenRoutes)
        let result = try await ChildProcess.run(
            ["serve", "--routes", broken, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"],
            environment: ["SWITCHBOARD_SIGNING_KEY": "whsec_k"]
        )
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(broken):3:33: fallback: unknown backend or pool 'nowhere'"))
    }

    @Test func explainShowsTheReasoningAndTheAnswer() async throws {
        let result = try await ChildProcess.run([
            "explain", "--routes", Fixture.repositoryRoutes, "--payload", Fixture.incomingCallPath,
            "--caller", "+19005550123", "--at", "2026-01-14T15:00:00Z",
        ])
        #expect(result.status == 0)
        #expect(result.stdout.contains("✓ block-premium"))
        #expect(result.stdout.contains(#"{"action":"reject"}"#))

        let down = try await ChildProcess.run([
            "explain", "--routes", Fixture.repositoryRoutes, "--payload", Fixture.incomingCallPath,
            "--down", "support-a", "--down", "support-b", "--json",
        ])
        #expect(down.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(down.stdout.utf8)) as? [String: Any])
        #expect(object["matched_route"] as? String == "known-callers")
        #expect(object["answer"] as? [String: String] == ["action": "answer"])
        #expect((object["skipped"] as? [[String: String]])?.first?["route"] == "block-premium")

        let unknown = try await ChildProcess.run(["explain", "--routes", Fixture.repositoryRoutes, "--down", "nope"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("no such backend"))
    }

    /// `sign` output checked with Python's hmac module: an implementation independent of ours.
    @Test func signaturesVerifyIndependently() async throws {
        let result = try await ChildProcess.run([
            "sign", "--key", "whsec_independent", "--payload", Fixture.incomingCallPath, "--request-id", "req-7",
            "--timestamp", "1760000000",
        ])
        #expect(result.status == 0)
        let headers = Dictionary(uniqueKeysWithValues: result.stdout.split(separator: "\n").map { line in
            let parts = line.split(separator: ":", maxSplits: 1)
            return (String(parts[0]), parts[1].trimmingCharacters(in: .whitespaces))
        })
        #expect(headers["X-Inkbox-Request-ID"] == "req-7")
        #expect(headers["X-Inkbox-Timestamp"] == "1760000000")
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = [
            "python3", "-c",
            "import hmac,hashlib,sys;print(hmac.new(b'independent', b'req-7.1760000000.'+open(sys.argv[1],'rb').read(), hashlib.sha256).hexdigest())",
            Fixture.incomingCallPath,
        ]
        let pipe = Pipe()
        python.standardOutput = pipe
        try python.run()
        python.waitUntilExit()
        let expected = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(expected.count == 64)
        #expect(headers["X-Inkbox-Signature"] == "sha256=\(expected)")
    }

    /// The quick-start path: demo backends, `serve`, `sign --url`, then SIGTERM everything.
    @Test func signedRequestIsAnsweredByARunningServer() async throws {
        let scratch = try Scratch()
        let backend = try ChildProcess(["demo-backend", "--listen", "127.0.0.1:0", "--name", "agent-1"])
        let line = try await backend.waitForOutput(containing: "listening on 127.0.0.1:")
        let backendPort = try #require(line.split(separator: ":").last.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
        let routes = try scratch.write("routes.yaml", """
            version: 1
            health: { timeout: 5s }
            backends:
              agent: { url: "ws://127.0.0.1:\(backendPort)/calls?call={call.id}" }
            routes:
              - { name: everyone, to: agent }
            """)
        let keyFile = try scratch.write("key", "whsec_from-file\n")
        let server = try ChildProcess([
            "serve", "--routes", routes, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
            "--signing-key-file", keyFile, "--log-format", "json",
        ])
        let log = try await server.waitForOutput(containing: #""listener":"webhook""#)
        let port = try #require(log.port(of: "webhook"))
        let answer = try await ChildProcess.run([
            "sign", "--key", "whsec_from-file", "--payload", Fixture.incomingCallPath,
            "--url", "http://127.0.0.1:\(port)/webhooks/incoming-call",
        ])
        #expect(answer.status == 0)
        #expect(answer.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            == #"{"action":"answer","client_websocket_url":"ws://127.0.0.1:\#(backendPort)/calls?call=3eafefd0-a22f-4e9b-9eb1-8d59e3d9b85f"}"#)

        let wrongKey = try await ChildProcess.run([
            "sign", "--key", "whsec_other", "--payload", Fixture.incomingCallPath,
            "--url", "http://127.0.0.1:\(port)/webhooks/incoming-call",
        ])
        #expect(wrongKey.status == 1)
        #expect(wrongKey.stdout.contains(#"{"error":"signature does not match"}"#))

        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0)
        backend.signal(SIGTERM)
        #expect(try await backend.waitForExit() == 0)
        // Every JSON log line is one JSON object; the decision line carries the masked numbers only.
        for line in server.stdout.split(separator: "\n") {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) is [String: Any], "\(line)")
        }
        #expect(server.stdout.contains(#""caller":"+141****0999""#))
        #expect(!server.stdout.contains("+14155550999"))
        #expect(!server.stdout.contains("from-file"))
    }

    @Test func serveExitsZeroOnSIGINT() async throws {
        let server = try ChildProcess(
            ["serve", "--routes", Fixture.repositoryRoutes, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"],
            environment: ["SWITCHBOARD_SIGNING_KEY": "whsec_a,whsec_b"]
        )
        try await server.waitForOutput(containing: "listener=webhook")
        server.signal(SIGINT)
        #expect(try await server.waitForExit() == 0)
    }
}

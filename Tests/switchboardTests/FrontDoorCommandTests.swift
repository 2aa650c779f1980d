import Foundation
import SwitchboardTestSupport
import Testing

/// `serve`'s limits as an operator meets them: real signals and a real descriptor limit on a child process.
@Suite(.timeLimit(.minutes(2)))
struct FrontDoorCommandTests {
    static func startServer(
        _ routes: String, _ extra: [String] = [], descriptorLimit: Int? = nil
    ) async throws -> (ChildProcess, webhook: Int, admin: Int) {
        let server = try ChildProcess(
            ["serve", "--routes", routes, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"] + extra,
            environment: ["SWITCHBOARD_SIGNING_KEY": "whsec_cli"],
            descriptorLimit: descriptorLimit
        )
        try await server.waitForOutput(containing: "listener=webhook")
        let log = try await server.waitForOutput(containing: "listener=admin")
        return (server, try #require(log.port(of: "webhook")), try #require(log.port(of: "admin")))
    }

    static func get(_ path: String, port: Int) throws -> String {
        let connection = try RawConnection(port: port)
        connection.setReadTimeout(seconds: 10)
        connection.write("GET \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        return connection.readResponse()?.body ?? ""
    }

    /// SIGTERM while a body trickles in far slower than the body deadline allows: the shutdown timeout closes the
    /// connection and the process exits 0.
    @Test func sigtermWithABodyStillTricklingExitsZeroWithinTheShutdownTimeout() async throws {
        let scratch = try Scratch()
        let routes = try scratch.write("routes.yaml", Fixture.oneBackendTable("a"))
        let (server, webhook, _) = try await Self.startServer(
            routes, ["--shutdown-timeout", "1s", "--body-timeout", "60s", "--log-level", "trace"]
        )
        let request = SignedRequest(body: Fixture.incomingCall, key: "whsec_cli", requestID: "trickle")
        let (head, body) = (request.head, request.body)
        let (inFlight, answered) = try await blocking { () throws -> (Bool, Bool) in
            let connection = try RawConnection(port: webhook)
            connection.setReadTimeout(seconds: 20)
            connection.write(Data(head.utf8) + body.prefix(10))
            // The request is in flight once its handler has started (a trace line says so); only then the signal.
            for _ in 0..<1_500 where !server.stdout.contains("webhook request started") { usleep(10_000) }
            let inFlight = server.stdout.contains("webhook request started")
            server.signal(SIGTERM)
            // One byte every 50 ms, for at most 20 s: the server gives up long before the body would be complete.
            for byte in body.dropFirst(10).prefix(400) {
                guard connection.write([byte]) else { break }
                usleep(50_000)
            }
            return (inFlight, connection.readResponse()?.head.contains("200 OK") == true)
        }
        #expect(inFlight, "the request was in flight when SIGTERM was sent")
        #expect(!answered)
        #expect(try await server.waitForExit() == 0)
        #expect(server.stdout.contains("shutdown timeout reached, closing connections"))
    }

    /// Under `ulimit -n 256`, 300 idle connections fill the webhook listener's cap (sized to leave descriptors
    /// in reserve) and are refused past it, while the admin listener answers and the probed backend stays healthy.
    @Test func idleFloodUnderALowDescriptorLimitNeverTakesDownAHealthyBackend() async throws {
        try await withDemoBackend { backendPort in
            let scratch = try Scratch()
            let routes = try scratch.write(
                "routes.yaml",
                """
                version: 1
                backends:
                  a: { url: "ws://127.0.0.1:\(backendPort)/", health: { interval: 100ms, timeout: 5s, rise: 1, fall: 1 } }
                routes:
                  - { name: all, to: a }
                """
            )
            let (server, webhook, admin) = try await Self.startServer(routes, descriptorLimit: 256)
            #expect(server.stdout.contains("connection cap lowered to fit the file-descriptor limit"))
            #expect(server.stdout.contains("max_connections=128"))
            let flood = try await blocking { () throws -> [Int32] in
                (0..<300).compactMap { _ in
                    guard let fd = try? Loopback.connect(port: webhook) else { return nil }
                    RawConnection(fd: fd).write("POST /webhooks/incoming-call HTTP/1.1\r\nHost: x\r\n")
                    return fd
                }
            }
            defer { for fd in flood { close(fd) } }
            // Probes keep succeeding: a few more rounds while the flood holds its connections.
            func successes() async throws -> Int {
                let status = try await blocking { try Self.get("/status", port: admin) }
                let json = try JSONSerialization.jsonObject(with: Data(status.utf8)) as? [String: Any]
                let backend = (json?["backends"] as? [[String: Any]])?.first
                return backend?["state"] as? String == "healthy" ? backend?["consecutive_successes"] as? Int ?? 0 : -1
            }
            #expect(try await eventually { try await successes() >= 0 })  // healthy (its first probe may be in flight)
            let before = try await successes()
            #expect(try await eventually { try await successes() > before + 3 })
            #expect(try await blocking { try Self.get("/healthz", port: admin) }.contains("ok"))
            let metrics = try await blocking { try Self.get("/metrics", port: admin) }
            #expect(metrics.contains(#"switchboard_connections_closed_total{listener="webhook",reason="limit"}"#))
            server.signal(SIGTERM)
            #expect(try await server.waitForExit() == 0)
        }
    }
}

/// Secrets and the admin listener's exposure, as the commands show them.
@Suite(.timeLimit(.minutes(1)))
struct SecretCommandTests {
    static let routes = """
        version: 1
        backends:
          a: { url: "wss://agent:${AGENT_PASSWORD}@a.example/calls?token=${AGENT_TOKEN}", health: { check: none } }
        routes:
          - { name: all, to: a }
        """
    static let environment = ["AGENT_PASSWORD": "pa55-w0rd-xyz", "AGENT_TOKEN": "t0ken-abc-123"]

    @Test func explainAndValidateShowNoSecret() async throws {
        let scratch = try Scratch()
        let routes = try scratch.write("routes.yaml", Self.routes)
        let explain = try await ChildProcess.run(
            ["explain", "--routes", routes, "--caller", "+14155550999", "--number", "+14155550100", "--json"],
            environment: Self.environment
        )
        #expect(explain.status == 0)
        #expect(explain.stdout.contains(#""client_websocket_url":"wss://***@a.example/calls?token=***""#))
        let broken = try scratch.write("broken.yaml", Self.routes.replacingOccurrences(of: "wss://", with: "http://"))
        let validate = try await ChildProcess.run(["validate", broken], environment: Self.environment)
        #expect(validate.status == 1)
        #expect(validate.stderr.contains("url must start with ws:// or wss://"))
        for output in [explain.stdout, explain.stderr, validate.stdout, validate.stderr] {
            #expect(!output.contains("pa55-w0rd-xyz"))
            #expect(!output.contains("t0ken-abc-123"))
        }
    }

    @Test func aReachableAdminListenerNeedsATokenOrAnExplicitOptOut() async throws {
        let scratch = try Scratch()
        let routes = try scratch.write("routes.yaml", Fixture.oneBackendTable("a"))
        let refused = try await ChildProcess.run(
            ["serve", "--routes", routes, "--listen", "127.0.0.1:0", "--admin-listen", "0.0.0.0:0"],
            environment: ["SWITCHBOARD_SIGNING_KEY": "whsec_cli"]
        )
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("SWITCHBOARD_ADMIN_TOKEN is not set"))
        let server = try ChildProcess(
            ["serve", "--routes", routes, "--listen", "127.0.0.1:0", "--admin-listen", "0.0.0.0:0", "--admin-insecure"],
            environment: ["SWITCHBOARD_SIGNING_KEY": "whsec_cli"]
        )
        try await server.waitForOutput(containing: "listener=admin")
        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0)
    }
}

/// `serve` over HTTPS as an operator runs it, with `sign --url https://… --ca-file` as the client.
@Suite(.timeLimit(.minutes(1)), .enabled(if: TLSServer.isAvailable))
struct HTTPSCommandTests {
    @Test func signTalksToAnHTTPSListenerAndSIGHUPRotatesTheCertificate() async throws {
        let ca = try await blocking { try TestCertificateAuthority() }
        let first = try await blocking { try ca.issue("first", days: 1) }
        let second = try await blocking { try ca.issue("second", days: 5) }
        let scratch = try Scratch()
        let routes = try scratch.write("routes.yaml", Fixture.oneBackendTable("a"))
        let chain = scratch.path("chain.pem"), key = scratch.path("key.pem")
        try FileManager.default.copyItem(atPath: first.chain, toPath: chain)
        try FileManager.default.copyItem(atPath: first.key, toPath: key)
        let (server, webhook, _) = try await FrontDoorCommandTests.startServer(
            routes, ["--tls-cert", chain, "--tls-key", key]
        )
        func sign(_ extra: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
            try await ChildProcess.run(
                ["sign", "--key", "whsec_cli", "--payload", Fixture.incomingCallPath,
                 "--url", "https://127.0.0.1:\(webhook)/webhooks/incoming-call"] + extra
            )
        }
        let trusted = try await sign(["--ca-file", ca.certificate])
        #expect(trusted.status == 0)
        #expect(trusted.stdout.contains(#""action":"answer""#))
        let untrusted = try await sign([])
        #expect(untrusted.status == 1)
        #expect(untrusted.stderr.contains("cannot send to https://127.0.0.1"))

        for (source, target) in [(second.chain, chain), (second.key, key)] {
            try FileManager.default.removeItem(atPath: target)
            try FileManager.default.copyItem(atPath: source, toPath: target)
        }
        server.signal(SIGHUP)
        try await server.waitForOutput(containing: "certificate reloaded")
        #expect(try await sign(["--ca-file", ca.certificate]).status == 0)
        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0)
    }
}

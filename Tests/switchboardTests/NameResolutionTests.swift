import Foundation
import SwitchboardTestSupport
import Testing

/// Probing with a broken name server: each child process resolves names through a private `resolv.conf` (a mount
/// namespace) that names a fake name server on a loopback address. Needs root and `unshare`, as CI has.
@Suite(.timeLimit(.minutes(1)), .enabled(if: PrivateResolver.unavailableReason == nil, "\(PrivateResolver.unavailableReason ?? "")"))
struct NameResolutionTests {
    @Test func aNameThatDoesNotResolveFailsWithReasonDNS() async throws {
        let scratch = try Scratch()
        let nameServer = try FakeNameServer(address: "127.83.83.81", behavior: .nxdomain)
        defer { nameServer.stop() }
        let routes = try scratch.write("routes.yaml", """
            version: 1
            backends:
              missing: { url: "ws://no-such-backend.switchboard.test:9000/calls" }
            routes: []
            """)
        let child = try PrivateResolver.child(["probe", "--routes", routes], nameServer: nameServer.address, scratch: scratch)
        #expect(try await child.waitForExit(timeout: .seconds(20)) == 1)
        let row = try #require(child.stdout.split(separator: "\n").first { $0.hasPrefix("missing") })
        #expect(row.contains("down"))
        #expect(row.contains("dns"))
    }

    /// One backend's name server never answers (the lookup would take 30 s); another backend stops. The stopped one
    /// is still marked down within its detection time: the stalled lookup holds up nothing but its own probe.
    @Test func aStalledLookupDoesNotStallOtherProbes() async throws {
        let scratch = try Scratch()
        let nameServer = try FakeNameServer(address: "127.83.83.82", behavior: .swallow)
        defer { nameServer.stop() }
        let backend = try DemoBackendServer(name: "alive")
        try await backend.start()
        let routes = try scratch.write("routes.yaml", """
            version: 1
            health: { interval: 300ms, fast_interval: 100ms, timeout: 300ms, rise: 1, fall: 1 }
            backends:
              stalled: { url: "ws://stalled-dns.switchboard.test:9000/calls" }
              alive: { url: "ws://127.0.0.1:\(backend.port)/calls" }
            routes:
              - { name: all, to: alive }
            """)
        let server = try PrivateResolver.child(
            ["serve", "--routes", routes, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"],
            nameServer: nameServer.address, resolverOptions: "timeout:30 attempts:1",
            environment: ["SWITCHBOARD_SIGNING_KEY": "whsec_cli"], scratch: scratch
        )
        defer { server.signal(SIGKILL) }
        let admin = try #require(try await server.waitForOutput(containing: "listener=admin").port(of: "admin"))
        @Sendable func state(_ name: String) async throws -> String? {
            let body = try await blocking { () throws -> String in
                let connection = try RawConnection(port: admin)
                connection.write("GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                return connection.readResponse()?.body ?? ""
            }
            let status = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
            let backends = status?["backends"] as? [[String: Any]] ?? []
            return backends.first { $0["name"] as? String == name }?["state"] as? String
        }
        // Several stalled lookups have timed out by the time both verdicts are in.
        #expect(try await eventually { try await state("stalled") == "unhealthy" })
        #expect(try await eventually { try await state("alive") == "healthy" })
        await backend.stop()
        // Detection: fall 1 × (interval 300 ms + timeout 300 ms), far below the 30 s lookup; 5 s is the test's bound.
        #expect(try await eventually { try await state("alive") == "unhealthy" })
        let status = try await blocking { () throws -> String in
            let connection = try RawConnection(port: admin)
            connection.write("GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return connection.readResponse()?.body ?? ""
        }
        #expect(status.contains(#""reason":"timeout""#))  // the stalled lookup's probe
        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0)
    }
}

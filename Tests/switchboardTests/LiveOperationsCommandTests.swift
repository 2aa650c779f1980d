import Foundation
import SwitchboardTestSupport
import Testing

/// `serve` as an operator runs it: real signals to a child process.
@Suite(.timeLimit(.minutes(2)))
struct LiveOperationsCommandTests {
    static func startServer(_ routes: String) async throws -> (ChildProcess, webhook: Int, admin: Int) {
        let server = try ChildProcess(
            ["serve", "--routes", routes, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--log-level", "trace"],
            environment: ["SWITCHBOARD_SIGNING_KEY": "whsec_cli"]
        )
        try await server.waitForOutput(containing: "listener=webhook")
        let log = try await server.waitForOutput(containing: "listener=admin")
        return (server, try #require(log.port(of: "webhook")), try #require(log.port(of: "admin")))
    }

    @Test func sighupReloadsTheFile() async throws {
        let scratch = try Scratch()
        let routes = try scratch.write("routes.yaml", Fixture.oneBackendTable("before"))
        let (server, _, admin) = try await Self.startServer(routes)
        _ = try scratch.write("routes.yaml", Fixture.oneBackendTable("after"))
        server.signal(SIGHUP)
        // The file watcher may reload first; the SIGHUP reload re-reads the file anyway and says so.
        let log = try await server.waitForOutput(containing: "trigger=SIGHUP")
        #expect(log.contains("routes reloaded"))
        let status = try await blocking {
            let connection = try RawConnection(port: admin)
            connection.write("GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return connection.readResponse()?.body ?? ""
        }
        #expect(status.contains(#""name":"after""#))
        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0)
    }

    /// SIGTERM while a request is half sent: the request still completes, then the process exits 0 within 10 s.
    @Test func sigtermDrainsInFlightRequests() async throws {
        let scratch = try Scratch()
        let (server, webhook, _) = try await Self.startServer(try scratch.write("routes.yaml", Fixture.oneBackendTable("a")))
        let request = SignedRequest(body: Fixture.incomingCall, key: "whsec_cli", requestID: "in-flight")
        let (head, body) = (request.head, request.body)
        let signalled = ContinuousClock.now
        let (refusedWhileDraining, response) = try await blocking { () throws -> (Bool, String) in
            let connection = try RawConnection(port: webhook)
            connection.write(Data(head.utf8) + body.prefix(100))
            // The request is in flight once the handler has started (a trace line says so); only then the signal.
            var started = false
            for _ in 0..<500 where !started {
                started = server.stdout.contains("request_id=in-flight")
                if !started { usleep(20_000) }
            }
            server.signal(SIGTERM)
            // New connections are refused once draining has started (bounded wait: 10 s)…
            var refused = false
            for _ in 0..<500 where !refused {
                refused = (try? RawConnection(port: webhook)) == nil
                if !refused { usleep(20_000) }
            }
            // …while the one in flight finishes.
            connection.write(body.dropFirst(100))
            guard let response = connection.readResponse() else { return (refused, "") }
            return (refused, response.head + "\r\n\r\n" + response.body)
        }
        #expect(refusedWhileDraining)
        #expect(response.hasPrefix("HTTP/1.1 200"))
        #expect(response.contains(#"{"action":"answer","client_websocket_url":"wss://a.example/calls"}"#))
        #expect(try await server.waitForExit(timeout: .seconds(10)) == 0)
        #expect(ContinuousClock.now - signalled < .seconds(10))
    }
}

import ArgumentParser
import Foundation
import SwitchboardTestSupport
import Testing

@testable import switchboard

/// `switchboard drain` and `undrain` against a running `serve`, as a deploy script runs them.
@Suite(.timeLimit(.minutes(2)))
struct DrainCommandTests {
    /// POSTs `body` to `path`, signed with the server's key; the response body.
    static func post(_ body: Data, to path: String, port: Int) async throws -> String {
        try await SignedRequest(path: path, body: body, key: "whsec_cli").send(port: port)
    }

    @Test func argumentsParse() throws {
        let drain = try #require(try SwitchboardCommand.parseAsRoot(["drain", "a", "--wait", "--timeout", "2h"]) as? Drain)
        #expect(drain.name == "a" && drain.wait && drain.timeout == "2h")
        #expect(drain.options.admin == "http://127.0.0.1:9090")
        let undrain = try #require(try SwitchboardCommand.parseAsRoot(["undrain", "b", "--admin", "http://h:1"]) as? Undrain)
        #expect(undrain.options.admin == "http://h:1")
        let serve = try #require(try SwitchboardCommand.parseAsRoot(["serve", "--events-path", "/events"]) as? Serve)
        #expect(serve.eventsPath == "/events")
        for bad in [
            ["drain", "a", "--timeout", "soon"], ["drain", "a", "--admin", "ftp://x"], ["drain"],
            ["serve", "--events-path", "/webhooks/incoming-call"], ["serve", "--events-path", "events"],
            ["demo-backend", "--report-status", "busy"], ["demo-backend", "--report-load", "2"],
        ] {
            #expect(throws: (any Error).self, "\(bad)") { try SwitchboardCommand.parseAsRoot(bad) }
        }
    }

    @Test func drainWaitReturnsOnceTheLastCallEnds() async throws {
        let scratch = try Scratch()
        let (server, webhook, admin) = try await LiveOperationsCommandTests.startServer(
            try scratch.write("routes.yaml", Fixture.oneBackendTable("a"))
        )
        let answer = try await Self.post(Fixture.incomingCall, to: "/webhooks/incoming-call", port: webhook)
        #expect(answer.contains("wss://a.example/calls"))

        let drain = try ChildProcess(
            ["drain", "a", "--wait", "--timeout", "30s", "--poll-interval", "50ms", "--admin", "http://127.0.0.1:\(admin)"]
        )
        try await drain.waitForOutput(containing: "a: draining, 1 live call")
        // While draining, new calls get the fallback (reject: the table has no other backend).
        let refused = try await Self.post(Fixture.incomingCall(id: "another"), to: "/webhooks/incoming-call", port: webhook)
        #expect(refused == #"{"action":"reject"}"#)
        let ended = try await Self.post(Fixture.callEnded, to: "/webhooks/events", port: webhook)
        #expect(ended.contains(#""outcome":"released""#))
        #expect(try await drain.waitForExit() == 0)
        #expect(drain.stdout.contains("a: drained, 0 live calls"))

        let undrain = try await ChildProcess.run(["undrain", "a", "--admin", "http://127.0.0.1:\(admin)"])
        #expect(undrain.status == 0)
        #expect(undrain.stdout == "a: not draining, 0 live calls\n")
        let back = try await Self.post(Fixture.incomingCall(id: "third"), to: "/webhooks/incoming-call", port: webhook)
        #expect(back.contains("wss://a.example/calls"))

        let unknown = try await ChildProcess.run(["drain", "ghost", "--admin", "http://127.0.0.1:\(admin)"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no backend named 'ghost' in the running table (HTTP 404)"))
        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0)
    }

    @Test func drainWaitTimesOut() async throws {
        let scratch = try Scratch()
        let (server, webhook, admin) = try await LiveOperationsCommandTests.startServer(
            try scratch.write("routes.yaml", Fixture.oneBackendTable("a"))
        )
        _ = try await Self.post(Fixture.incomingCall, to: "/webhooks/incoming-call", port: webhook)
        let drain = try await ChildProcess.run(
            ["drain", "a", "--wait", "--timeout", "200ms", "--poll-interval", "50ms", "--admin", "http://127.0.0.1:\(admin)"]
        )
        #expect(drain.status == 1)
        #expect(drain.stderr.contains("timed out after 200ms: a still has 1 live calls"))
        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0)
    }
}

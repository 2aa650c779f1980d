import Foundation
import HTTPTypes
import HummingbirdTesting
import SwitchboardCore
import SwitchboardTestSupport
import Testing

@testable import SwitchboardServer

/// The public listener against strangers: deadlines, the connection cap, early refusals, every method.
@Suite(.timeLimit(.minutes(1)))
struct FrontDoorTests {
    static let routes = """
        version: 1
        backends:
          a: { url: "wss://a.example/calls", health: { check: none } }
        routes:
          - { name: everyone, to: a }
        """

    /// The head and body deadlines; the one a test waits on is short, the other long, so a busy machine that is
    /// slow to read a head can never make the wrong deadline fire.
    static func deadlines(header: Duration, body: Duration) -> @Sendable (inout ServerConfiguration) -> Void {
        { configuration in
            configuration.webhookLimits.headerTimeout = header
            configuration.webhookLimits.bodyTimeout = body
        }
    }

    /// A signed request head for `body` with a declared `Content-Length` (the real body's unless given).
    static func signedHead(_ body: Data, contentLength: Int? = nil, requestID: String = UUID().uuidString) -> String {
        let headers = LiveSwitchboard.signedHeaders(body, requestID: requestID)
        var head = "POST /webhooks/incoming-call HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for field in headers { head += "\(field.name): \(field.value)\r\n" }
        return head + "Content-Length: \(contentLength ?? body.count)\r\n\r\n"
    }

    static func metrics(_ live: LiveSwitchboard) async throws -> String {
        try await live.admin(.get, "/metrics").text
    }

    @Test func slowHeaderClientIsCutOffAtItsDeadline() async throws {
        try await LiveSwitchboard.with(
            routes: Self.routes, configure: Self.deadlines(header: .milliseconds(300), body: .seconds(30))
        ) { live in
            let end = try await blocking {
                let connection = try RawConnection(port: live.webhookPort)
                connection.setReadTimeout(seconds: 10)
                connection.write("POST /webhooks/incoming-call HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                // Never the end of the head: the server closes without answering. (A close with the bytes still
                // unread, on a machine too busy to have read them, is a reset: that counts as closed too.)
                return connection.readUntilEnd()
            }
            #expect(end.byPeer, "\(end)")
            #expect(end.received == [])
            let metrics = try await Self.metrics(live)
            #expect(metrics.contains(#"switchboard_connections_closed_total{listener="webhook",reason="header_timeout"} 1"#))
        }
    }

    @Test func slowBodyClientIsCutOffAtItsDeadline() async throws {
        try await LiveSwitchboard.with(routes: Self.routes, configure: Self.deadlines(header: .seconds(30), body: .milliseconds(300))) { live in
            let body = Fixture.incomingCall
            let (closedBeforeEnd, answer) = try await blocking { () throws -> (Bool, [UInt8]?) in
                let connection = try RawConnection(port: live.webhookPort)
                connection.setReadTimeout(seconds: 10)
                connection.write(Self.signedHead(body))
                // A byte every 50 ms: the whole body would take far longer than the 300 ms deadline.
                var sent = 0
                while sent < body.count, connection.write(body[body.startIndex + sent ..< body.startIndex + sent + 1]) {
                    sent += 1
                    usleep(50_000)
                    if sent > 200 { break }  // bounded: the deadline is long past by then
                }
                return (sent < body.count, connection.readToEnd())
            }
            #expect(closedBeforeEnd)
            #expect(answer.map { String(decoding: $0, as: UTF8.self).contains("200 OK") } != true)
            #expect(try await eventually {
                try await Self.metrics(live).contains(
                    #"switchboard_connections_closed_total{listener="webhook",reason="body_timeout"} 1"#
                )
            })
        }
    }

    @Test func keepAliveRequestsWithinTheDeadlinesAreServed() async throws {
        // The connection outlives both deadlines (a pause longer than them between requests), each request arriving
        // whole well within them: the deadlines bound a request, not the connection.
        try await LiveSwitchboard.with(
            routes: Self.routes, configure: Self.deadlines(header: .seconds(2), body: .seconds(2))
        ) { live in
            let statuses = try await blocking { () throws -> [String] in
                let connection = try RawConnection(port: live.webhookPort)
                connection.setReadTimeout(seconds: 10)
                var statuses: [String] = []
                for request in 0..<3 {
                    if request > 0 { usleep(2_500_000) }
                    connection.write(Self.signedHead(Fixture.incomingCall) + String(decoding: Fixture.incomingCall, as: UTF8.self))
                    statuses.append(connection.readResponse()?.head.components(separatedBy: "\r\n").first ?? "none")
                }
                return statuses
            }
            #expect(statuses == Array(repeating: "HTTP/1.1 200 OK", count: 3))
        }
    }

    @Test func oversizedContentLengthIs413AndClosedWithoutReadingTheBody() async throws {
        try await LiveSwitchboard.with(routes: Self.routes) { live in
            let (response, rest) = try await blocking { () throws -> ((head: String, body: String)?, [UInt8]?) in
                let connection = try RawConnection(port: live.webhookPort)
                connection.setReadTimeout(seconds: 10)
                connection.write(Self.signedHead(Fixture.incomingCall, contentLength: 50_000_000))
                // Not a byte of the 50 MB is sent: the answer and the close come without it.
                return (connection.readResponse(), connection.readToEnd())
            }
            #expect(response?.head.hasPrefix("HTTP/1.1 413") == true)
            #expect(response.map { RawConnection.header("Connection", in: $0.head) } == "close")
            #expect(response?.body == #"{"error":"body larger than 65536 bytes"}"#)
            #expect(rest == [])
        }
    }

    /// A chunked body has no `Content-Length` to refuse it by: the limit applies as it is read.
    @Test func chunkedBodyPastTheLimitIs413WhileReading() async throws {
        try await LiveSwitchboard.with(routes: Self.routes) { live in
            let chunk = [UInt8](repeating: UInt8(ascii: " "), count: 65_537)
            let response = try await blocking { () throws -> (head: String, body: String)? in
                let connection = try RawConnection(port: live.webhookPort)
                connection.setReadTimeout(seconds: 10)
                let headers = LiveSwitchboard.signedHeaders(Data(chunk), requestID: UUID().uuidString)
                var head = "POST /webhooks/incoming-call HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
                for field in headers { head += "\(field.name): \(field.value)\r\n" }
                // One chunk a byte over the limit and no end: the server refuses once it has read that byte.
                connection.write(head + "\r\n" + String(chunk.count, radix: 16) + "\r\n")
                connection.write(chunk)
                return connection.readResponse()
            }
            #expect(response?.head.hasPrefix("HTTP/1.1 413") == true, "\(String(describing: response))")
            #expect(response.map { RawConnection.header("Connection", in: $0.head) } == "close")
            #expect(response?.body == #"{"error":"body larger than 65536 bytes"}"#)
        }
    }

    @Test func missingHeadersAre401BeforeTheBodyIsRead() async throws {
        try await LiveSwitchboard.with(routes: Self.routes) { live in
            let (response, rest) = try await blocking { () throws -> ((head: String, body: String)?, [UInt8]?) in
                let connection = try RawConnection(port: live.webhookPort)
                connection.setReadTimeout(seconds: 10)
                connection.write(
                    "POST /webhooks/incoming-call HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Inkbox-Request-ID: r1\r\n"
                        + "X-Inkbox-Timestamp: 1\r\nX-Inkbox-Signature: sha256=\(String(repeating: "0", count: 64))\r\n"
                        + "Content-Length: 1000\r\n\r\n"
                )
                return (connection.readResponse(), connection.readToEnd())
            }
            #expect(response?.head.hasPrefix("HTTP/1.1 401") == true)
            #expect(response?.body.contains("outside the 300 s window") == true)
            #expect(rest == [])
        }
    }

    @Test(arguments: ["GET", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND", "QUERY"])
    func everyOtherMethodIs405(method: String) async throws {
        try await LiveSwitchboard.with(routes: Self.routes) { live in
            let head = try await blocking { () throws -> String? in
                let connection = try RawConnection(port: live.webhookPort)
                connection.setReadTimeout(seconds: 10)
                connection.write("\(method) /webhooks/incoming-call HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n")
                return connection.readHead()
            }
            #expect(head?.hasPrefix("HTTP/1.1 405") == true)
            #expect(head.flatMap { RawConnection.header("Allow", in: $0) } == "POST")
        }
    }

    /// With the cap reached a new public connection is closed at once, while the admin listener and the health
    /// checker, which have their own descriptors, keep working.
    @Test func connectionCapRefusesNewConnectionsButAdminAndProbesKeepWorking() async throws {
        try await withDemoBackend { backendPort in
            let routes = """
                version: 1
                backends:
                  a: { url: "ws://127.0.0.1:\(backendPort)/", health: { interval: 100ms, rise: 1, fall: 1 } }
                routes:
                  - { name: everyone, to: a }
                """
            let configure: @Sendable (inout ServerConfiguration) -> Void = {
                $0.webhookLimits.maxConnections = 3
                $0.webhookLimits.headerTimeout = .seconds(30)  // an admitted idle connection outlives the test
            }
            try await LiveSwitchboard.with(routes: routes, configure: configure) { live in
                // Three connections, each proven admitted by an answer, held open with keep-alive.
                let held = try await blocking { () throws -> [Int32] in
                    try (0..<3).map { _ in
                        let fd = try Loopback.connect(port: live.webhookPort)
                        let connection = RawConnection(fd: fd)
                        connection.setReadTimeout(seconds: 10)
                        connection.write("GET /elsewhere HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                        _ = connection.readResponse()
                        return fd
                    }
                }
                defer { for fd in held { close(fd) } }
                // Nothing is sent (a request in flight would turn the close into a reset): the server's close
                // arrives at once, long before the 30 s head deadline an admitted connection would get.
                let refused = try await blocking { () throws -> [UInt8]? in
                    let connection = try RawConnection(port: live.webhookPort)
                    connection.setReadTimeout(seconds: 10)
                    return connection.readToEnd()
                }
                #expect(refused == [])
                #expect(try await live.admin(.get, "/healthz").status == .ok)
                let probesBefore = try await Self.successes(live)
                #expect(try await eventually { try await Self.successes(live) > probesBefore })
                let status = try await live.admin(.get, "/status").json
                #expect((status["backends"] as? [[String: Any]])?.first?["state"] as? String == "healthy")
                #expect(try await Self.metrics(live).contains(
                    #"switchboard_connections_closed_total{listener="webhook",reason="limit"} 1"#
                ))
            }
        }
    }

    static func successes(_ live: LiveSwitchboard) async throws -> Int {
        let status = try await live.admin(.get, "/status").json
        return (status["backends"] as? [[String: Any]])?.first?["consecutive_successes"] as? Int ?? 0
    }

    @Test func webhookCapLeavesDescriptorsInReserve() {
        #expect(DescriptorBudget.webhookCap(requested: 10_000, adminCap: 64, descriptorLimit: 1_048_576) == 10_000)
        #expect(DescriptorBudget.webhookCap(requested: 10_000, adminCap: 64, descriptorLimit: 1024) == 832)
        #expect(DescriptorBudget.adminCap(requested: 64, descriptorLimit: 256) == 64)
        #expect(DescriptorBudget.webhookCap(requested: 10_000, adminCap: 64, descriptorLimit: 256) == 128)
    }
}

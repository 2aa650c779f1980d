import Foundation
import HTTPTypes
import HummingbirdTesting
import InMemoryLogging
import Logging
import SwitchboardTestSupport
import Testing

@testable import SwitchboardServer

/// Refusal lines cannot be forged or flood the log.
@Suite(.timeLimit(.minutes(1)))
struct RefusalLogTests {
    @Test func bucketAllowsABurstThenARate() {
        let bucket = TokenBucket(perSecond: 10, burst: 3)
        let start = ContinuousClock.now
        #expect(bucket.take(now: start) == .allowed(suppressedBefore: 0))
        #expect(bucket.take(now: start) == .allowed(suppressedBefore: 0))
        #expect(bucket.take(now: start) == .allowed(suppressedBefore: 0))
        #expect(bucket.take(now: start) == .suppressed)
        #expect(bucket.take(now: start) == .suppressed)
        #expect(bucket.take(now: start + .milliseconds(100)) == .allowed(suppressedBefore: 2))
        #expect(bucket.take(now: start + .milliseconds(100)) == .suppressed)
    }

    @Test func oddRequestIDsAreLoggedAsAHash() async throws {
        let handler = InMemoryLogHandler()
        let logger = Logger(label: "test", factory: { _ in handler })
        try await LiveSwitchboard.with(routes: FrontDoorTests.routes, logger: logger) { live in
            _ = try await live.post(Fixture.incomingCall, requestID: "réquest", key: "whsec_wrong")
            _ = try await live.post(Fixture.incomingCall, requestID: String(repeating: "r", count: 300))
        }
        let refused = handler.entries.filter { $0.message == "webhook refused" }
        #expect(refused.count == 2)
        for entry in refused {
            #expect(entry.metadata["request_id"].map { "\($0)".hasPrefix("sha256:") } == true)
        }
    }

    @Test func aFloodOfRefusalsIsRateLimitedAndCounted() async throws {
        let handler = InMemoryLogHandler()
        let logger = Logger(label: "test", factory: { _ in handler })
        let attempts = 150
        try await LiveSwitchboard.with(routes: FrontDoorTests.routes, logger: logger) { live in
            // Well-formed headers with a wrong signature: 401 after the body, on one kept-alive connection.
            let answered = try await blocking { () throws -> Int in
                let connection = try RawConnection(port: live.webhookPort)
                connection.setReadTimeout(seconds: 10)
                var answered = 0
                for index in 0..<attempts {
                    let body = Fixture.incomingCall
                    var head = "POST /webhooks/incoming-call HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.count)\r\n"
                    let headers = LiveSwitchboard.signedHeaders(body, requestID: "flood-\(index)", key: "whsec_wrong")
                    for field in headers { head += "\(field.name): \(field.value)\r\n" }
                    connection.write(Data((head + "\r\n").utf8) + body)
                    guard connection.readResponse()?.head.hasPrefix("HTTP/1.1 401") == true else { break }
                    answered += 1
                }
                return answered
            }
            #expect(answered == attempts)
            let metrics = try await live.admin(.get, "/metrics").text
            let suppressed = metrics.split(separator: "\n")
                .first { $0.hasPrefix("switchboard_log_lines_suppressed_total ") }
                .flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
            let logged = handler.entries.filter { $0.message == "webhook refused" }.count
            #expect(suppressed > 0)
            #expect(logged + suppressed == attempts)
        }
    }
}

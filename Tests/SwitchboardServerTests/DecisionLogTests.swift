import Foundation
import Logging
import SwitchboardCore
import Testing

@testable import SwitchboardServer

/// The decision line, written straight into the line by the `LogLineHandler` and through `Logger.Metadata` by any
/// other handler (or one with metadata of its own): the same fields, in key order, numbers masked.
struct DecisionLogTests {
    static let call = IncomingCall(id: "call-1", number: "+14155550100", caller: "+14155550999")
    static let decision = RouteDecision(
        route: "vip", backend: "c", answer: .answer(url: "wss://c.example/ws"),
        skipped: [
            SkippedBackend(backend: "a", reason: .full), SkippedBackend(backend: "b", reason: .draining),
            SkippedBackend(backend: "d", reason: .full), SkippedBackend(backend: "e", reason: .down),
        ]
    )

    static func lines(format: LogFormat, handlerMetadata: Logger.Metadata = [:]) throws -> [String] {
        try LogLineHandlerTests.capture { sink in
            var handler = LogLineHandler(label: "switchboard", format: format, sink: sink)
            handler.metadata = handlerMetadata
            let log = DecisionLog(logger: Logger(label: "switchboard") { _ in handler })
            log.record(requestID: "req-1", call: call, decision: decision, duration: .microseconds(42))
            log.record(
                requestID: "req-2", call: IncomingCall(), decision: RouteDecision(route: nil, backend: nil, answer: .reject),
                duration: .microseconds(7)
            )
        }
    }

    @Test func textLinesCarryEveryFieldInKeyOrder() throws {
        let caller = PhoneMask.mask("+14155550999"), number = PhoneMask.mask("+14155550100")
        let expected = [
            " info switchboard: decision backend=c call_id=call-1 caller=\(caller) draining=b full=a,d number=\(number) "
                + "outcome=answer request_id=req-1 route=vip us=42",
            " info switchboard: decision backend=- call_id=- caller=- number=- outcome=reject request_id=req-2 route=- us=7",
        ]
        for metadata: Logger.Metadata in [[:], ["replica": "r1"]] {
            let lines = try Self.lines(format: .text, handlerMetadata: metadata)
            #expect(lines.count == 2)
            for (line, suffix) in zip(lines, expected) {
                // With metadata of its own the handler goes through Logger, which merges `replica=r1` in its place.
                let want = metadata.isEmpty ? suffix : suffix.replacingOccurrences(of: " request_id", with: " replica=r1 request_id")
                #expect(line.hasSuffix(want), "\(line)")
                #expect(!line.contains("4155550999") && !line.contains("4155550100"))
            }
        }
    }

    @Test func jsonLinesCarryTheSameFields() throws {
        for metadata: Logger.Metadata in [[:], ["replica": "r1"]] {
            let lines = try Self.lines(format: .json, handlerMetadata: metadata)
            let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: String])
            #expect(first["msg"] == "decision")
            #expect(first["backend"] == "c")
            #expect(first["full"] == "a,d")
            #expect(first["draining"] == "b")
            #expect(first["caller"] == PhoneMask.mask("+14155550999"))
            #expect(first["us"] == "42")
            #expect(first["replica"] == (metadata.isEmpty ? nil : "r1"))
            #expect(first.count == (metadata.isEmpty ? 14 : 15))
        }
    }
}

import HTTPTypes
import Hummingbird
import NIOCore
import SwitchboardCore
import Testing

@testable import SwitchboardServer

struct JSONResponseTests {
    /// Collects what a response body writes.
    final class Collector: ResponseBodyWriter, @unchecked Sendable {
        var bytes = ByteBuffer()
        func write(_ buffer: ByteBuffer) async throws { var buffer = buffer; bytes.writeBuffer(&buffer) }
        func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }

    static func body(_ response: Response) async throws -> String {
        let collector = Collector()
        try await response.body.write(collector)
        return String(buffer: collector.bytes)
    }

    /// The answer written straight into its buffer is byte for byte the JSON `WebhookAnswer` builds, and a URL that
    /// needs escaping still comes out escaped.
    @Test(arguments: [
        WebhookAnswer.answer(url: "wss://a.example/calls?call=3eafefd0-a22f-4e9b-9eb1-8d59e3d9b85f&route=support"),
        .answer(url: #"wss://a.example/"quoted"\path"#), .numberDefault, .reject,
    ])
    func answerBodyIsTheAnswersJSON(_ answer: WebhookAnswer) async throws {
        let response = JSONResponse.answer(answer)
        #expect(response.status == .ok)
        #expect(response.headers[.contentType] == "application/json")
        #expect(try await Self.body(response) == answer.json)
    }

    @Test func aURLNeedingEscapingIsEscaped() {
        #expect(WebhookAnswer.answer(url: #"wss://a/"q"\p"#).json == #"{"action":"answer","client_websocket_url":"wss://a/\"q\"\\p"}"#)
    }
}

import SwitchboardTestSupport
import Testing

@testable import SwitchboardHealth

struct UpgradeResponseTests {
    private func feed(_ lines: [String]) -> (UpgradeResponse, stoppedAt: Int?) {
        var response = UpgradeResponse()
        for (index, line) in lines.enumerated() {
            let keepGoing = Array(line.utf8).withUnsafeBytes { response.consume($0) }
            if !keepGoing { return (response, index) }
        }
        return (response, nil)
    }

    @Test func switchingProtocolsHeadStopsOnTheBlankLine() {
        let (response, stoppedAt) = feed([
            "HTTP/1.1 101 Switching Protocols\r\n",
            "Upgrade: websocket\r\n",
            "sec-websocket-ACCEPT:   s3pPLMBiTxaQ9kYGzzhZRbK+xOo=  \r\n",
            "\r\n",
            "never read\r\n",
        ])
        #expect(stoppedAt == 3)
        #expect(response == UpgradeResponse(status: 101, accept: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", complete: true))
    }

    @Test func interimContinueIsSkipped() {
        let (response, stoppedAt) = feed([
            "HTTP/1.1 100 Continue\r\n", "\r\n",
            "HTTP/1.1 500 Internal Server Error\r\n", "Content-Length: 0\r\n", "\r\n",
        ])
        #expect(stoppedAt == 4)
        #expect(response.status == 500)
        #expect(response.accept == nil)
    }

    @Test(arguments: ["HTTP/1.1 1x1 Nope\r\n", "HTTP/1.1\r\n", "\u{0}\u{1}garbage", "HTTP/1.1 10\r\n"])
    func malformedStatusLinesAreNotStatuses(_ line: String) {
        let (response, stoppedAt) = feed([line, "\r\n"])
        #expect(response.status == nil)
        #expect(stoppedAt == nil)
    }

    @Test func rfc6455SampleAcceptKey() {
        // RFC 6455 §1.3: the server's answer to the sample nonce.
        #expect(Behavior.webSocketAccept(for: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test func keysAreFreshSixteenByteNonces() {
        let first = WebSocketKey.random()
        let second = WebSocketKey.random()
        #expect(first.count == 24 && first.hasSuffix("=="))
        #expect(first != second)
    }
}

import Testing

@testable import SwitchboardHealth

struct ProbeURLTests {
    @Test(arguments: [
        ("ws://127.0.0.1:9001/calls?call=1", "http://127.0.0.1:9001/calls?call=1"),
        ("WSS://example.com/x", "https://example.com/x"),
        ("http://127.0.0.1/healthz", "http://127.0.0.1/healthz"),
        ("https://example.com", "https://example.com"),
    ])
    func webSocketSchemesBecomeHTTP(_ input: String, _ expected: String) {
        #expect(ProbeURL.http(from: input) == expected)
    }

    @Test(arguments: [
        ("ws://127.0.0.1:9001/calls", "http://127.0.0.1:9001/"),
        ("wss://user:pw@example.com/calls", "http://example.com:443/"),
        ("http://[::1]:8080", "http://[::1]:8080/"),
        ("tcp://127.0.0.1:5432", "http://127.0.0.1:5432/"),
        ("ws://example.com?x=1", "http://example.com:80/"),
    ])
    func tcpTargetsKeepHostAndPort(_ input: String, _ expected: String) {
        #expect(ProbeURL.tcp(from: input) == expected)
    }

    @Test(arguments: ["tcp://127.0.0.1", "127.0.0.1:80", "ws://:80/", "http://host:99999/", "http://host:x/"])
    func tcpTargetsWithoutHostOrPortAreRejected(_ input: String) {
        #expect(ProbeURL.tcp(from: input) == nil)
    }
}

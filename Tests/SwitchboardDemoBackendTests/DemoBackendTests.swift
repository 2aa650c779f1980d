import Foundation
import SwitchboardTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The demo agent backend, spoken to over raw sockets.
@Suite(.timeLimit(.minutes(1)))
struct DemoBackendTests {
    private func connect(_ port: Int) throws -> RawConnection {
        RawConnection(fd: try Loopback.connect(port: port))
    }

    /// A client frame: FIN, opcode, masked payload (clients must mask, RFC 6455 §5.3).
    private func clientFrame(opcode: UInt8, _ payload: [UInt8]) -> [UInt8] {
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        return [0x80 | opcode, 0x80 | UInt8(payload.count)] + mask
            + payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
    }

    @Test func upgradesAnyPathAndEchoesTextFrames() async throws {
        try await withDemoBackend { port in try await blocking { try echoSession(port) } }
    }

    private func echoSession(_ port: Int) throws {
        let connection = try connect(port)
        defer { close(connection.fd) }
        let key = Behavior.webSocketKey()
        connection.write(
            "GET /calls?call=abc HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n\r\n")
        let head = try #require(connection.readHead())
        #expect(head.hasPrefix("HTTP/1.1 101"))
        #expect(RawConnection.header("Sec-WebSocket-Accept", in: head) == Behavior.webSocketAccept(for: key))
        for message in ["hello", "¿qué tal?"] {
            let payload = Array(message.utf8)
            connection.write(clientFrame(opcode: 0x1, payload))
            let header = try #require(connection.read(count: 2))
            #expect(header == [0x81, UInt8(payload.count)])
            #expect(connection.read(count: payload.count) == payload)
        }
        connection.write(clientFrame(opcode: 0x8, [0x03, 0xE8]))  // close, 1000
        let closeHeader = try #require(connection.read(count: 2))
        #expect(closeHeader[0] == 0x88)
    }

    @Test(arguments: [("/healthz", "ok"), ("/", "agent-7")])
    func answersPlainRequests(_ path: String, _ body: String) async throws {
        try await withDemoBackend(name: "agent-7") { port in try await blocking { try get(path, body, port) } }
    }

    private func get(_ path: String, _ body: String, _ port: Int) throws {
        let connection = try connect(port)
        defer { close(connection.fd) }
        connection.write("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let head = try #require(connection.readHead())
        #expect(head.hasPrefix("HTTP/1.1 200"))
        let length = try #require(RawConnection.header("Content-Length", in: head).flatMap { Int($0) })
        #expect(connection.read(count: length).map { String(decoding: $0, as: UTF8.self) } == body)
    }

    /// A client that never answers the close frame is still dropped, so shutdown never hangs on it.
    @Test func gracefulShutdownClosesIdleWebSockets() async throws {
        let fd = try await withDemoBackend { port in
            try await blocking {
                let connection = try connect(port)
                connection.write(
                    "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Key: \(Behavior.webSocketKey())\r\nSec-WebSocket-Version: 13\r\n\r\n")
                #expect(connection.readHead()?.hasPrefix("HTTP/1.1 101") == true)
                return connection.fd
            }
        }
        defer { close(fd) }
        let rest = try await blocking { RawConnection(fd: fd).readToEnd() }
        #expect(rest?.first == 0x88)  // a close frame, then a clean end of stream
    }
}

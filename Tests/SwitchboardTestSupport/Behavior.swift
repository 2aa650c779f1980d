import Crypto
import Foundation

/// Connection handlers for `RawServer`: each is one way a backend can behave.
public enum Behavior {
    /// Answers every request on the connection (keep-alive) with the status `status()` returns at that moment.
    public static func http(_ status: @escaping @Sendable () -> Int) -> @Sendable (RawConnection) -> Void {
        { connection in
            while connection.readHead() != nil {
                connection.write("HTTP/1.1 \(status()) Whatever\r\nContent-Length: 2\r\n\r\nok")
            }
        }
    }

    /// Answers the upgrade with `101` and the accept value `accept(key)`, then waits for the client to close;
    /// `onRequest` sees the request head, `onClosed` runs when the client closed cleanly (FIN, not RST).
    public static func upgrade(
        accept: @escaping @Sendable (String) -> String = webSocketAccept(for:),
        onRequest: @escaping @Sendable (String) -> Void = { _ in },
        onClosed: @escaping @Sendable () -> Void = {}
    ) -> @Sendable (RawConnection) -> Void {
        { connection in
            guard let head = connection.readHead() else { return }
            onRequest(head)
            let key = RawConnection.header("Sec-WebSocket-Key", in: head) ?? ""
            connection.write(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Accept: \(accept(key))\r\n\r\n"
            )
            if connection.waitForClose() { onClosed() }
        }
    }

    /// Answers `200` with a body that never ends (until the client goes away).
    public static let endlessBody: @Sendable (RawConnection) -> Void = { connection in
        _ = connection.readHead()
        connection.write("HTTP/1.1 200 OK\r\nContent-Length: 1000000000000\r\n\r\n")
        let chunk = [UInt8](repeating: 0x61, count: 64 * 1024)
        while connection.write(chunk) {}
    }

    /// Accepts and never answers.
    public static let silent: @Sendable (RawConnection) -> Void = { connection in
        connection.waitForClose()
    }

    /// Answers the request with bytes that are not HTTP, then closes.
    public static let garbage: @Sendable (RawConnection) -> Void = { connection in
        _ = connection.readHead()
        connection.write("SSH-2.0-OpenSSH_9.2 not a web server\r\n\r\n")
    }

    /// Reads the request and resets the connection instead of answering.
    public static let reset: @Sendable (RawConnection) -> Void = { connection in
        _ = connection.readHead()
        connection.reset()
    }

    /// `Sec-WebSocket-Accept` for a key (RFC 6455 §4.2.2), computed independently of the code under test.
    public static func webSocketAccept(for key: String) -> String {
        Data(Insecure.SHA1.hash(data: Data((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8))).base64EncodedString()
    }

    /// A fresh random `Sec-WebSocket-Key`.
    public static func webSocketKey() -> String {
        Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
    }
}

@testable import SwitchboardHealth

/// Connection handlers for `RawServer`: each is one way a backend can behave.
enum Behavior {
    /// Answers every request on the connection (keep-alive) with the status `status()` returns at that moment.
    static func http(_ status: @escaping @Sendable () -> Int) -> @Sendable (RawConnection) -> Void {
        { connection in
            while connection.readHead() != nil {
                connection.write("HTTP/1.1 \(status()) Whatever\r\nContent-Length: 2\r\n\r\nok")
            }
        }
    }

    /// Answers the upgrade with `101` and the accept value `accept(key)`, then waits for the client to close.
    static func upgrade(
        accept: @escaping @Sendable (String) -> String = WebSocketKey.accept(for:),
        onClosed: @escaping @Sendable () -> Void = {}
    ) -> @Sendable (RawConnection) -> Void {
        { connection in
            guard let head = connection.readHead() else { return }
            let key = RawConnection.header("Sec-WebSocket-Key", in: head) ?? ""
            connection.write(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Accept: \(accept(key))\r\n\r\n"
            )
            if connection.waitForClose() { onClosed() }
        }
    }

    /// Answers `200` with a body that never ends (until the client goes away).
    static let endlessBody: @Sendable (RawConnection) -> Void = { connection in
        _ = connection.readHead()
        connection.write("HTTP/1.1 200 OK\r\nContent-Length: 1000000000000\r\n\r\n")
        let chunk = [UInt8](repeating: 0x61, count: 64 * 1024)
        while connection.write(chunk) {}
    }

    /// Accepts and never answers.
    static let silent: @Sendable (RawConnection) -> Void = { connection in
        connection.waitForClose()
    }

    /// Answers the request with bytes that are not HTTP, then closes.
    static let garbage: @Sendable (RawConnection) -> Void = { connection in
        _ = connection.readHead()
        connection.write("SSH-2.0-OpenSSH_9.2 not a web server\r\n\r\n")
    }

    /// Reads the request and resets the connection instead of answering.
    static let reset: @Sendable (RawConnection) -> Void = { connection in
        _ = connection.readHead()
        connection.reset()
    }
}

import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One accepted (or dialled) TCP connection, used by one thread at a time.
final class RawConnection {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(fd: Int32) {
        self.fd = fd
    }

    /// Reads one HTTP request or response head (through the blank line); nil at end of stream.
    func readHead() -> String? {
        let end: [UInt8] = Array("\r\n\r\n".utf8)
        while true {
            if let range = firstRange(of: end) {
                let head = buffer[..<range]
                buffer.removeSubrange(..<(range + end.count))
                return String(decoding: head, as: UTF8.self)
            }
            guard fill() else { return nil }
        }
    }

    /// Reads exactly `count` bytes; nil at end of stream.
    func read(count: Int) -> [UInt8]? {
        while buffer.count < count {
            guard fill() else { return nil }
        }
        defer { buffer.removeFirst(count) }
        return Array(buffer.prefix(count))
    }

    /// Writes all of `bytes`; false when the peer is gone.
    @discardableResult
    func write(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }

    @discardableResult
    func write(_ text: String) -> Bool {
        write(Array(text.utf8))
    }

    /// Reads and drops everything until the stream ends; true when the peer closed cleanly (FIN),
    /// false on an error (a reset, or the server being stopped).
    @discardableResult
    func waitForClose() -> Bool {
        while true {
            let count = receive()
            if count == 0 { return true }
            if count < 0 { return false }
        }
    }

    /// Everything until the peer closes cleanly; nil on an error (a reset, or the server being stopped).
    func readToEnd() -> [UInt8]? {
        while true {
            let count = receive()
            if count == 0 { return buffer }
            if count < 0 { return nil }
        }
    }

    /// Makes the server's `close` send a TCP reset instead of a FIN (`SO_LINGER` 0).
    /// The handler must return right after, so the server closes the socket.
    func reset() {
        var option = linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
    }

    /// The value of a header in a head read by `readHead`.
    static func header(_ name: String, in head: String) -> String? {
        for line in head.split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            if line[..<colon].lowercased() == name.lowercased() {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    private func fill() -> Bool {
        receive() > 0
    }

    /// One `recv` into the buffer: bytes read, 0 at end of stream, -1 on error.
    private func receive() -> Int {
        var chunk = [UInt8](repeating: 0, count: 4096)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count > 0 { buffer += chunk[..<count] }
        return count
    }

    private func firstRange(of needle: [UInt8]) -> Int? {
        guard buffer.count >= needle.count else { return nil }
        for start in 0...(buffer.count - needle.count) where buffer[start..<(start + needle.count)].elementsEqual(needle) {
            return start
        }
        return nil
    }
}

import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One TCP connection, accepted by a `RawServer` or dialled with `init(port:)`, used by one thread at a time:
/// for tests that must control exactly which bytes go out and when.
public final class RawConnection {
    public let fd: Int32
    private let owned: Bool
    private var buffer: [UInt8] = []

    /// Wraps a descriptor someone else closes (a `RawServer` connection).
    public init(fd: Int32) {
        self.fd = fd
        owned = false
    }

    /// Connects to 127.0.0.1:`port`; the connection closes when this value goes away.
    public init(port: Int) throws {
        fd = try Loopback.connect(port: port)
        owned = true
    }

    deinit {
        if owned { close(fd) }
    }

    /// Reads one HTTP request or response head (through the blank line); nil at end of stream.
    public func readHead() -> String? {
        let end: [UInt8] = Array("\r\n\r\n".utf8)
        while true {
            if let range = firstRange(of: end) {
                let head = buffer[..<range]
                buffer.removeSubrange(..<(range + end.count))
                return String(decoding: head, as: UTF8.self)
            }
            guard receive() > 0 else { return nil }
        }
    }

    /// Reads exactly `count` bytes; nil at end of stream.
    public func read(count: Int) -> [UInt8]? {
        while buffer.count < count {
            guard receive() > 0 else { return nil }
        }
        defer { buffer.removeFirst(count) }
        return Array(buffer.prefix(count))
    }

    /// Reads one HTTP response (head and a `Content-Length` body); nil when the stream ends first.
    public func readResponse() -> (head: String, body: String)? {
        guard let head = readHead() else { return nil }
        let length = Self.header("Content-Length", in: head).flatMap { Int($0) } ?? 0
        guard let body = read(count: length) else { return nil }
        return (head, String(decoding: body, as: UTF8.self))
    }

    /// Writes all of `bytes`; false when the peer is gone.
    @discardableResult
    public func write(_ bytes: some Collection<UInt8>) -> Bool {
        let bytes = Array(bytes)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }

    @discardableResult
    public func write(_ text: String) -> Bool {
        write(Array(text.utf8))
    }

    /// Reads and drops everything until the stream ends; true when the peer closed cleanly (FIN),
    /// false on an error (a reset, or the server being stopped).
    @discardableResult
    public func waitForClose() -> Bool {
        while true {
            let count = receive()
            if count == 0 { return true }
            if count < 0 { return false }
        }
    }

    /// Everything until the peer closes cleanly; nil on an error (a reset, or the server being stopped).
    public func readToEnd() -> [UInt8]? {
        while true {
            let count = receive()
            if count == 0 { return buffer }
            if count < 0 { return nil }
        }
    }

    /// How a stream ended, and what arrived before.
    public enum End: Equatable, Sendable {
        /// The peer closed (FIN).
        case closed([UInt8])
        /// The peer reset the connection (RST): a close with bytes it never read turns into one.
        case reset([UInt8])
        /// Nothing ended it within the read timeout.
        case timedOut([UInt8])

        /// The peer ended the connection, cleanly or not.
        public var byPeer: Bool {
            if case .timedOut = self { return false }
            return true
        }

        public var received: [UInt8] {
            switch self {
            case .closed(let bytes), .reset(let bytes), .timedOut(let bytes): return bytes
            }
        }
    }

    /// Reads until the stream ends, and says how it ended.
    public func readUntilEnd() -> End {
        while true {
            let count = receive()
            if count == 0 { return .closed(buffer) }
            if count < 0 { return errno == EAGAIN || errno == EWOULDBLOCK ? .timedOut(buffer) : .reset(buffer) }
        }
    }

    /// Bounds every later read: a read that waits longer than `seconds` fails as if the stream had broken
    /// (`readResponse` and `readToEnd` return nil, `waitForClose` false), so a test never hangs on a silent peer.
    public func setReadTimeout(seconds: Int) {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Makes the next `close` send a TCP reset instead of a FIN (`SO_LINGER` 0).
    public func reset() {
        var option = linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
    }

    /// The value of a header in a head read by `readHead`.
    public static func header(_ name: String, in head: String) -> String? {
        for line in head.split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            if line[..<colon].lowercased() == name.lowercased() {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    /// One `recv` into the buffer: bytes read, 0 at end of stream, -1 on error.
    private func receive() -> Int {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0, errno == EINTR { continue }
            if count > 0 { buffer += chunk[..<count] }
            return count
        }
    }

    private func firstRange(of needle: [UInt8]) -> Int? {
        guard buffer.count >= needle.count else { return nil }
        for start in 0...(buffer.count - needle.count) where buffer[start..<(start + needle.count)].elementsEqual(needle) {
            return start
        }
        return nil
    }
}

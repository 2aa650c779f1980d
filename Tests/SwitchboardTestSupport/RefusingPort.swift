import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A loopback port that refuses connections for as long as this value lives: a socket bound to it and never
/// listening. Holding the socket is what makes it race-free: a port number handed out after its socket closed can be
/// taken by a server of a test running in parallel. Call `close()` when done (a `defer` right after creating it),
/// which also keeps the value alive until then.
public final class RefusingPort: Sendable {
    public let port: Int
    private let fd: Mutex<Int32>

    public init() throws {
        let fd = try Loopback.boundSocket()
        do {
            port = try Loopback.port(of: fd)
        } catch {
            Glibc.close(fd)
            throw error
        }
        self.fd = Mutex(fd)
    }

    /// Releases the port.
    public func close() {
        fd.withLock { fd in
            if fd >= 0 { Glibc.close(fd) }
            fd = -1
        }
    }

    deinit {
        close()
    }
}

/// A loopback port that accepts TCP connections (the kernel completes the handshake into the backlog) and never
/// answers, for as long as this value lives.
public final class SilentListener: Sendable {
    public let port: Int
    private let fd: Int32

    public init() throws {
        fd = try Loopback.boundSocket()
        guard listen(fd, 128) == 0 else {
            let code = errno
            close(fd)
            throw SocketError("listen", code)
        }
        port = try Loopback.port(of: fd)
    }

    deinit {
        close(fd)
    }
}

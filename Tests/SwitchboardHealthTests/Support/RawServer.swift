import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A tiny TCP server on `127.0.0.1:0` for behaviours no real backend has on purpose: wrong handshakes,
/// garbage, resets, silence. Accepts on its own thread and runs `handler` on a thread per connection.
/// Call `stop()` when done (a `defer` right after creating it), which also keeps it alive until then.
final class RawServer: Sendable {
    private struct State {
        var open: Set<Int32> = []
        var accepted = 0
        var stopped = false
    }

    let port: Int
    private let listener: Int32
    private let state = Mutex(State())

    init(handler: @escaping @Sendable (RawConnection) -> Void) throws {
        let (listener, port) = try Self.listen()
        self.listener = listener
        self.port = port
        Thread { [self] in acceptLoop(handler) }.start()
    }

    /// Connections accepted so far.
    var accepted: Int { state.withLock { $0.accepted } }

    /// Stops accepting and cuts every open connection (unblocking handlers stuck in `read`).
    func stop() {
        state.withLock { state in
            guard !state.stopped else { return }
            state.stopped = true
            _ = shutdown(listener, Int32(SHUT_RDWR))
            for fd in state.open { _ = shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    private func acceptLoop(_ handler: @escaping @Sendable (RawConnection) -> Void) {
        while true {
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else { break }
            let admitted = state.withLock { state -> Bool in
                guard !state.stopped else { return false }
                state.open.insert(fd)
                state.accepted += 1
                return true
            }
            guard admitted else {
                close(fd)
                break
            }
            Thread { [self] in
                handler(RawConnection(fd: fd))
                state.withLock { state in  // close under the lock: `stop` never touches a reused descriptor
                    state.open.remove(fd)
                    close(fd)
                }
            }.start()
        }
        close(listener)
    }

    private static func listen() throws -> (Int32, Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawServerError.socket(errno) }
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, Glibc.listen(fd, 128) == 0 else {
            close(fd)
            throw RawServerError.socket(errno)
        }
        return (fd, try boundPort(fd))
    }
}

enum RawServerError: Error {
    case socket(Int32)
}

/// A `sockaddr_in` for 127.0.0.1.
func loopback(port: UInt16) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    return address
}

/// The port a socket is bound to.
func boundPort(_ fd: Int32) throws -> Int {
    var address = sockaddr_in()
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    guard named == 0 else { throw RawServerError.socket(errno) }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A loopback port nothing listens on: bound (so no one else gets it at that moment), then closed.
func refusingPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw RawServerError.socket(errno) }
    defer { close(fd) }
    var address = loopback(port: 0)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard bound == 0 else { throw RawServerError.socket(errno) }
    return try boundPort(fd)
}

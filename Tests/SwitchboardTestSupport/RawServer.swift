import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A tiny TCP server on `127.0.0.1:0` for behaviours no real backend has on purpose: wrong handshakes,
/// garbage, resets, silence. Accepts on its own thread and runs `handler` on a thread per connection.
/// Call `stop()` when done (a `defer` right after creating it), which also keeps it alive until then.
public final class RawServer: Sendable {
    private struct State {
        var open: Set<Int32> = []
        var accepted = 0
        var stopped = false
    }

    public let port: Int
    private let listener: Int32
    private let state = Mutex(State())

    public init(handler: @escaping @Sendable (RawConnection) -> Void) throws {
        let listener = try Loopback.boundSocket()
        guard listen(listener, 128) == 0 else {
            let code = errno
            close(listener)
            throw SocketError("listen", code)
        }
        self.listener = listener
        port = try Loopback.port(of: listener)
        Thread { [self] in acceptLoop(handler) }.start()
    }

    /// Connections accepted so far.
    public var accepted: Int { state.withLock { $0.accepted } }

    /// Stops accepting and cuts every open connection (unblocking handlers stuck in `read`).
    public func stop() {
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
}

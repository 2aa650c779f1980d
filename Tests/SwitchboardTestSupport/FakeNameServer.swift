import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A DNS server on a loopback address, port 53, that either never answers or answers every query NXDOMAIN; with
/// ``PrivateResolver`` it makes a child process's name resolution stall or fail, without touching the machine's.
///
/// The address is a rarely used loopback address (`127.83.83.x`) so a local resolver on `127.0.0.53` or
/// `127.0.0.1` is left alone. Binding port 53 needs root.
public final class FakeNameServer: Sendable {
    public enum Behavior: Sendable {
        /// Reads and drops every query: lookups wait for the resolver's whole timeout.
        case swallow
        /// Answers every query "no such name".
        case nxdomain
    }

    public let address: String
    private let descriptor: Int32
    private let stopping = Atomic<Bool>(false)
    private let finished = Mutex<Bool>(false)

    public init(address: String, behavior: Behavior) throws {
        self.address = address
        // Close-on-exec, so no child process of the test run keeps the port after this server is gone.
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError("socket", errno) }
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_port = in_port_t(53).bigEndian
        local.sin_addr.s_addr = inet_addr(address)
        var bound: Int32 = -1
        // A server of an earlier run may still be closing: retry a busy address (bounded: 2 s).
        for attempt in 0..<20 {
            bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound != 0, errno == EADDRINUSE, attempt < 19 else { break }
            usleep(100_000)
        }
        guard bound == 0 else {
            let error = errno
            close(fd)
            throw SocketError("bind \(address):53", error)
        }
        var timeout = timeval(tv_sec: 0, tv_usec: 50_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        descriptor = fd
        let thread = Thread { [self] in self.serve(behavior) }
        thread.start()
    }

    private func serve(_ behavior: Behavior) {
        var buffer = [UInt8](repeating: 0, count: 1500)
        // Bounded: 50 ms receive timeout, at most 10 minutes.
        for _ in 0..<12_000 where !stopping.load(ordering: .relaxed) {
            var peer = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let count = withUnsafeMutablePointer(to: &peer) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(descriptor, &buffer, buffer.count, 0, $0, &length) }
            }
            guard count >= 12, case .nxdomain = behavior else { continue }
            var answer = Array(buffer[0..<count])
            answer[2] = 0x80 | (answer[2] & 0x79)  // QR=1, keep opcode and RD
            answer[3] = 0x80 | 0x03  // RA=1, RCODE=NXDOMAIN
            for index in 6..<12 { answer[index] = 0 }  // no answer, authority or additional records
            _ = withUnsafePointer(to: &peer) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(descriptor, answer, answer.count, 0, $0, length) }
            }
        }
        finished.withLock { $0 = true }
    }

    deinit {
        stopping.store(true, ordering: .relaxed)
        // The thread holds `self` until it leaves its loop, so deinit runs after it: the descriptor is free.
        close(descriptor)
    }

    /// Stops answering (the thread notices within 50 ms).
    public func stop() {
        stopping.store(true, ordering: .relaxed)
    }
}

/// Runs a child process in a private mount namespace whose `/etc/resolv.conf` names one name server, so only that
/// child's name resolution goes through it (`unshare -m`, then a bind mount). Needs root and `unshare`.
public enum PrivateResolver {
    /// Why the namespace trick cannot run here, or nil when it can.
    public static var unavailableReason: String? {
        if getuid() != 0 { return "needs root (a private mount namespace and port 53)" }
        if unshare == nil { return "needs unshare (util-linux)" }
        return nil
    }

    static var unshare: URL? {
        ["/usr/bin/unshare", "/bin/unshare"].first { FileManager.default.isExecutableFile(atPath: $0) }
            .map(URL.init(fileURLWithPath:))
    }

    /// Starts `switchboard ARGUMENTS` resolving names through `nameServer` only; `resolverOptions` go on the
    /// `options` line of its resolv.conf (e.g. `timeout:30 attempts:1`).
    public static func child(
        _ arguments: [String], nameServer: String, resolverOptions: String = "", environment: [String: String] = [:],
        scratch: Scratch
    ) throws -> ChildProcess {
        guard let unshare else { throw SocketError("unshare is missing", ENOENT) }
        let resolv = try scratch.write("resolv-\(UUID().uuidString).conf", "nameserver \(nameServer)\noptions \(resolverOptions)\n")
        let script = #"mount --bind "$0" /etc/resolv.conf && exec "$@""#
        return try ChildProcess(
            ["-m", "sh", "-c", script, resolv, ChildProcess.binary.path] + arguments,
            environment: environment, executable: unshare
        )
    }
}

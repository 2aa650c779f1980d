import Foundation
import Synchronization
import SwitchboardCore
import SwitchboardHealth

#if canImport(Glibc)
import Glibc
#endif

extension Duration {
    var ms: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}

/// Every state change of the watched backend, with the time the checker reported it.
final class Transitions: Sendable {
    private let log = Mutex<[(BackendState, ContinuousClock.Instant)]>([])

    func record(_ state: BackendState) {
        let now = ContinuousClock.now
        log.withLock { log in
            if log.last?.0 != state { log.append((state, now)) }
        }
    }

    /// When the backend first reached `state` after `since` (polling every 2 ms; gives up after 30 s).
    func wait(for state: BackendState, since: ContinuousClock.Instant) async throws -> ContinuousClock.Instant {
        for _ in 0..<15_000 {
            let hit = log.withLock { log in log.first { $0.0 == state && $0.1 >= since }?.1 }
            if let hit { return hit }
            try await Task.sleep(for: .milliseconds(2))
        }
        throw BenchError("backend never became \(state) within 30 s")
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A bench-backend child process.
struct BackendProcess {
    let process: Process
    /// When the child said it accepts connections.
    let readyAt: ContinuousClock.Instant

    static func start(path: String, port: Int) throws -> BackendProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = [String(port)]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        var text = ""
        while !text.contains("ready") {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw BenchError("backend exited before it was ready") }
            text += String(decoding: chunk, as: UTF8.self)
        }
        return BackendProcess(process: process, readyAt: .now)
    }

    /// SIGKILL, and wait until the port is closed.
    func kill() {
        _ = Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func stop() { _ = Glibc.kill(process.processIdentifier, SIGSTOP) }
    func resume() { _ = Glibc.kill(process.processIdentifier, SIGCONT) }
}

/// A loopback port that was free a moment ago.
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
        }
    }
    guard ok else { throw BenchError("no free port") }
    return Int(UInt16(bigEndian: address.sin_port))
}

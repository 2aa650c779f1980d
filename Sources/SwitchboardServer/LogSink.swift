import Foundation
import Synchronization

/// Collects log lines and writes them to a file descriptor in batches.
///
/// Lines are appended under a lock in the order they were logged; a background thread writes what has gathered
/// every `interval`, and a writer whose line fills the buffer past `limit` writes it at once. Call `flush()` before
/// exiting (`serve` does); a crash can lose at most the last `interval` of lines.
public final class LogSink: Sendable {
    /// Standard output, flushed every 50 ms.
    public static let standardOutput = LogSink(descriptor: 1)

    private let descriptor: Int32
    private let interval: Duration
    private let limit: Int
    private let pending = Mutex<[UInt8]>([])
    /// Serialises writes so batches never interleave.
    private let writing = Mutex(())
    private let flusherStarted = Atomic<Bool>(false)

    public init(descriptor: Int32, interval: Duration = .milliseconds(50), limit: Int = 64 * 1024) {
        self.descriptor = descriptor
        self.interval = interval
        self.limit = limit
    }

    public func write(_ line: String) {
        startFlusher()
        let full = pending.withLock { bytes in
            bytes.append(contentsOf: line.utf8)
            return bytes.count >= limit
        }
        if full { flush() }
    }

    /// Writes everything gathered so far.
    public func flush() {
        writing.withLock { _ in
            let bytes = pending.withLock { bytes in
                let taken = bytes
                bytes = []
                bytes.reserveCapacity(limit)
                return taken
            }
            guard !bytes.isEmpty else { return }
            bytes.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let written = Foundation.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                    if written <= 0 {
                        if written < 0, errno == EINTR { continue }
                        return
                    }
                    offset += written
                }
            }
        }
    }

    private func startFlusher() {
        guard flusherStarted.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
        let thread = Thread { [self] in
            while true {
                Thread.sleep(forTimeInterval: Double(interval.components.attoseconds) / 1e18 + Double(interval.components.seconds))
                flush()
            }
        }
        thread.name = "switchboard-log-flush"
        thread.start()
    }
}

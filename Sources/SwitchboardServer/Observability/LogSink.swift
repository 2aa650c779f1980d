import Dispatch
import Foundation
import ServiceLifecycle
import SwitchboardCore
import Synchronization

/// Collects log lines in memory and writes them to a file descriptor from a writer thread of its own.
///
/// A request never writes: `write` appends under a lock and returns. While the sink runs as a `Service`, its writer
/// thread sleeps, with no timer, until a line is waiting; it then gathers lines for `interval`, or until `batch` bytes
/// have gathered, writes everything in one go and sleeps again. Only the first line after a write wakes the writer;
/// the others only append. If the output cannot keep up and more than `capacity` bytes are waiting, further lines
/// are dropped (and the count of dropped lines is logged once the output catches up) rather than letting memory grow
/// or a request block.
///
/// - Important: Put the sink first in the service group, so it stops last: on graceful shutdown it stops its thread
///   and writes out what is left, including the lines the other services logged while stopping. Without `run`, lines
///   gather until `flush()`; a crash can lose at most the last `interval` of lines.
public final class LogSink: Service, Sendable {
    /// Standard output.
    public static let standardOutput = LogSink(descriptor: 1)

    private struct Pending {
        var bytes: [UInt8] = []
        var dropped = 0
        /// The writer thread sleeps until a line is appended: the next `write` wakes it.
        var writerIdle = false
    }

    private let descriptor: Int32
    private let interval: Duration
    private let batch: Int
    private let capacity: Int
    private let pending = Mutex(Pending())
    /// Serialises writes so batches never interleave; holds the buffer last written, emptied, which becomes the
    /// pending one at the next write, so lines are appended into capacity already there instead of a buffer growing
    /// from empty after every write.
    private let writing = Mutex<[UInt8]>([])
    private let wakeup = DispatchSemaphore(value: 0)
    /// Tells a running writer thread to finish.
    private let stopping = Atomic<Bool>(false)

    public init(descriptor: Int32, interval: Duration = .milliseconds(50), batch: Int = 64 * 1024, capacity: Int = 8 << 20) {
        self.descriptor = descriptor
        self.interval = interval
        self.batch = batch
        self.capacity = capacity
    }

    public func write(_ line: String) {
        write(utf8: line.utf8)
    }

    /// Appends one line's UTF-8 bytes, newline included.
    public func write(_ line: [UInt8]) {
        write(utf8: line)
    }

    private func write(utf8 line: some Collection<UInt8>) {
        let wake = pending.withLock { pending in
            guard pending.bytes.count < capacity else {
                pending.dropped += 1
                return false
            }
            let before = pending.bytes.count
            pending.bytes.append(contentsOf: line)
            if pending.writerIdle {
                pending.writerIdle = false
                return true
            }
            return before < batch && pending.bytes.count >= batch
        }
        if wake { wakeup.signal() }
    }

    /// Runs the writer thread until graceful shutdown or cancellation, then stops it and writes out what is left.
    public func run() async throws {
        let stop: @Sendable () -> Void = { [self] in
            stopping.store(true, ordering: .relaxed)
            wakeup.signal()
        }
        let milliseconds = Int(interval.wholeMilliseconds)
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await withCheckedContinuation { (finished: CheckedContinuation<Void, Never>) in
                    let thread = Thread { [self] in
                        while !stopping.load(ordering: .relaxed) {
                            if markIdleIfNothingWaits() {
                                wakeup.wait()
                                continue
                            }
                            _ = wakeup.wait(timeout: .now() + .milliseconds(milliseconds))
                            flush()
                        }
                        finished.resume()
                    }
                    thread.name = "switchboard-log-writer"
                    thread.start()
                }
            } onCancel: {
                stop()
            }
        } onGracefulShutdown: {
            stop()
        }
        flush()
    }

    /// Whether nothing is waiting to be written; if so, the next `write` wakes the writer thread.
    private func markIdleIfNothingWaits() -> Bool {
        pending.withLock { pending in
            guard pending.bytes.isEmpty, pending.dropped == 0 else { return false }
            pending.writerIdle = true
            return true
        }
    }

    /// Writes everything gathered so far (from the calling thread).
    public func flush() {
        writing.withLock { spare in
            // The spare goes to `pending` and what was pending is written; moved, never copied, so neither buffer is
            // shared and appending to it never copies it.
            var bytes: [UInt8] = []
            swap(&bytes, &spare)
            var dropped = pending.withLock { pending in
                swap(&pending.bytes, &bytes)
                defer { pending.dropped = 0 }
                return pending.dropped
            }
            defer {
                // A burst's buffer (up to `capacity`) is not kept.
                bytes.removeAll(keepingCapacity: bytes.capacity <= batch * 4)
                spare = bytes
            }
            if dropped > 0 {
                bytes += Array("log output fell behind: \(dropped) lines dropped\n".utf8)
                dropped = 0
            }
            guard !bytes.isEmpty else { return }
            bytes.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let written = Foundation.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                    if written < 0, errno == EINTR { continue }
                    guard written > 0 else { return }
                    offset += written
                }
            }
        }
    }
}

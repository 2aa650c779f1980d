import CMalloc
import Foundation
import Logging
import ServiceLifecycle
import SwitchboardCore

/// Gives memory the allocator holds free back to the system, so the process's resident size follows what it uses
/// (docs/operations.md, "Sizing").
///
/// glibc's allocator keeps freed memory resident for reuse, in every arena a thread has used. The memory a burst
/// needed (a flood of slow TLS clients costs about 100 KiB a connection) therefore stays resident after the burst,
/// and under steady load the resident size creeps up as each arena meets its own peak, although the memory in use
/// stays flat. Every `interval`, when more than `threshold` bytes are free, `malloc_trim` releases the free pages.
/// Elsewhere than glibc the allocator reports nothing free and this does nothing.
struct MemoryReclaimer: Service {
    let logger: Logger
    var interval: Duration = .seconds(10)
    var threshold = 8 << 20

    /// What one reclaim found and did.
    struct Reclaimed: Equatable {
        /// Bytes the allocator held free.
        var free: Int
        /// The process's resident size before and after trimming (0 when unknown).
        var residentBefore: Int
        var residentAfter: Int
    }

    func run() async throws {
        // A graceful shutdown cancels the sleep, so stopping never waits for the interval.
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                let started = ContinuousClock.now
                guard let reclaimed = Self.reclaim(threshold: threshold) else { continue }
                logger.debug(
                    "free memory returned to the system",
                    metadata: [
                        "free_kib": "\(reclaimed.free >> 10)", "rss_before_kib": "\(reclaimed.residentBefore >> 10)",
                        "rss_after_kib": "\(reclaimed.residentAfter >> 10)",
                        "us": "\(started.duration(to: .now).wholeMicroseconds)",
                    ]
                )
            }
        }
    }

    /// Trims when the allocator holds at least `threshold` bytes free; nil when it held less.
    static func reclaim(threshold: Int) -> Reclaimed? {
        let free = Int(cmalloc_free_bytes())
        guard free > 0, free >= threshold else { return nil }
        let before = residentBytes()
        _ = cmalloc_trim()
        return Reclaimed(free: free, residentBefore: before, residentAfter: residentBytes())
    }

    /// The process's resident size, from `/proc/self/statm` (0 where there is none).
    static func residentBytes() -> Int {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}

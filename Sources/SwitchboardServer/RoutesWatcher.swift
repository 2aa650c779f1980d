import Crypto
import Foundation
import Logging
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// Reloads the routes file when it changes on disk.
///
/// Watches the file's directory rather than the file, so both an editor's write-to-temp-then-rename and a Kubernetes
/// ConfigMap's `..data` symlink swap are seen (either replaces the inode a file watch would hold). Bursts of events
/// are debounced, and a reload happens only when the file's content actually changed. Uses inotify on Linux and
/// falls back to polling the content elsewhere.
struct RoutesWatcher: Service {
    let path: String
    let reloader: RoutesReloader
    let logger: Logger
    /// Quiet time after the last event before reloading.
    var debounce: Duration = .milliseconds(200)
    /// How often the event queue (or, without inotify, the file) is looked at.
    var pollInterval: Duration = .milliseconds(100)

    func run() async throws {
        let directory = (path as NSString).deletingLastPathComponent
        let events = DirectoryEvents(directory: directory.isEmpty ? "." : directory)
        if events == nil { logger.warning("inotify unavailable; watching \(path) by polling its content") }
        // Cancellation (graceful shutdown) ends the loop; it is not an error.
        try? await cancelWhenGracefulShutdown {
            var lastContent = Self.digest(of: path)
            while !Task.isCancelled {
                try await Task.sleep(for: pollInterval)
                if let events {
                    guard events.drain() else { continue }
                    // Debounce: wait until the directory has been quiet for `debounce`.
                    repeat { try await Task.sleep(for: debounce) } while events.drain()
                }
                let content = Self.digest(of: path)
                guard content != lastContent, content != nil else { continue }
                lastContent = content
                await reloader.reload(reason: "file change")
            }
        }
    }

    /// A digest of the file's bytes, or nil when it cannot be read (mid-swap, deleted).
    static func digest(of path: String) -> SHA256Digest? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return SHA256.hash(data: data)
    }
}

/// A non-blocking inotify watch on one directory.
final class DirectoryEvents: Sendable {
    private let descriptor: Int32

    init?(directory: String) {
        #if canImport(Glibc)
        let descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard descriptor >= 0 else { return nil }
        let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB | IN_MODIFY)
        guard inotify_add_watch(descriptor, directory, mask) >= 0 else {
            close(descriptor)
            return nil
        }
        self.descriptor = descriptor
        #else
        return nil
        #endif
    }

    /// Reads every pending event; true when there was at least one.
    func drain() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        var sawEvent = false
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { return sawEvent }
            sawEvent = true
        }
    }

    deinit {
        close(descriptor)
    }
}

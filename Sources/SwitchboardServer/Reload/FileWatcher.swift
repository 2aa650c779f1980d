import Foundation
import Logging
import SwitchboardCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Watches a set of files with inotify and reports which of them may have changed (docs/operations.md).
///
/// Only events that can change one of the files count: an event for the file's own name, or for any link of its
/// symlink chain (a Kubernetes ConfigMap's `..data` swap, a path that is a symlink into another directory), or the
/// disappearance of a watched directory. Every other event in those directories (a log file written next to the
/// routes file, an editor's swap file) is read and dropped, and never delays a change.
///
/// A burst is debounced: the change is reported once the watched names have been quiet for
/// ``Configuration/quiet`` (200 ms), and at the latest ``Configuration/maxDelay`` (1 s) after the first relevant
/// event, however busy the file itself is. After every relevant event the chain is resolved again and the watches
/// follow it, so a directory that is deleted and recreated, or a symlink that now points elsewhere, is watched again.
///
/// One thread blocks in `poll(2)` on the inotify descriptor and a wakeup pipe, with a timeout only while a change
/// is pending: an idle watcher never wakes up. `onChange` runs on that thread, once per debounced change, with the
/// paths (as given) that may have changed; it should hand the work off and return.
///
/// ```swift
/// let watcher = FileWatcher(paths: ["routes.yaml"], logger: logger) { changed in reloads.yield(changed) }
/// try await watcher.run()  // until the task is cancelled or `stop()` is called
/// ```
public final class FileWatcher: Sendable {
    /// Debounce settings.
    public struct Configuration: Sendable {
        /// Quiet time after the last relevant event before a change is reported.
        public var quiet: Duration
        /// Longest time from the first relevant event of a burst to its report.
        public var maxDelay: Duration

        public init(quiet: Duration = .milliseconds(200), maxDelay: Duration = .seconds(1)) {
            self.quiet = quiet
            self.maxDelay = maxDelay
        }
    }

    private struct Control {
        var stopping = false
        /// Write end of the wakeup pipe while the thread runs.
        var wakeupFD: Int32?
        var onExit: CheckedContinuation<Void, any Error>?
    }

    public let paths: [String]
    let configuration: Configuration
    let logger: Logger
    let onChange: @Sendable (Set<String>) -> Void
    private let control = Mutex(Control())
    /// Times the watcher thread returned from `poll`; an idle watcher does not add to it (for tests).
    public let wakeups = Atomic<Int>(0)
    /// Times a change was reported.
    public let reports = Atomic<Int>(0)
    /// The directories currently watched, after the last resolution (for tests and debug logs).
    private let watched = Mutex<[String]>([])

    /// - Parameters:
    ///   - paths: the files to watch; relative paths are taken from the current directory. They need not exist.
    ///   - configuration: debounce settings.
    ///   - logger: where unusual conditions (no inotify, an event queue overflow) and debug traces go.
    ///   - onChange: called on the watcher thread with the paths that may have changed.
    public init(
        paths: [String], configuration: Configuration = .init(), logger: Logger,
        onChange: @escaping @Sendable (Set<String>) -> Void
    ) {
        self.paths = paths
        self.configuration = configuration
        self.logger = logger
        self.onChange = onChange
    }

    /// The directories watched right now.
    public var watchedDirectories: [String] { watched.withLock { $0 } }

    /// Runs the watcher thread until the task is cancelled or `stop()` is called.
    /// - Throws: `FileWatcherError` when inotify is unavailable.
    public func run() async throws {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                control.withLock { $0.onExit = continuation }
                let thread = Thread { [self] in self.threadMain() }
                thread.name = "switchboard-watch"
                thread.start()
            }
        } onCancel: {
            stop()
        }
    }

    /// Ends `run()`.
    public func stop() {
        control.withLock { control in
            control.stopping = true
            if let fd = control.wakeupFD {
                var byte: UInt8 = 1
                _ = write(fd, &byte, 1)
            }
        }
    }

    // MARK: Watcher thread

    private func threadMain() {
        #if canImport(Glibc)
        let inotify = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        var pipeFDs: [Int32] = [-1, -1]
        guard inotify >= 0, pipe(&pipeFDs) == 0 else {
            if inotify >= 0 { close(inotify) }
            exit(failing: FileWatcherError(message: "inotify or pipe unavailable (errno \(errno))"))
            return
        }
        for fd in pipeFDs {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        let stopping = control.withLock { control -> Bool in
            control.wakeupFD = pipeFDs[1]
            return control.stopping
        }
        var loop = WatchLoop(inotify: inotify, paths: paths)
        loop.resolve()
        watched.withLock { $0 = loop.directories }
        var first: ContinuousClock.Instant?
        var last: ContinuousClock.Instant = .now
        var changed = Set<String>()
        var ignored = 0
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while !stopping {
            var timeout: Int32 = -1
            if let first {
                let deadline = min(last + configuration.quiet, first + configuration.maxDelay)
                let left = ContinuousClock.now.duration(to: deadline)
                timeout = left <= .zero ? 0 : Int32(clamping: (left.wholeMilliseconds) + 1)
            }
            var fds = [
                pollfd(fd: inotify, events: Int16(POLLIN), revents: 0),
                pollfd(fd: pipeFDs[0], events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&fds, nfds_t(fds.count), timeout)
            wakeups.add(1, ordering: .relaxed)
            if ready < 0, errno != EINTR { break }
            if fds[1].revents != 0 { break }
            if fds[0].revents != 0 {
                let (relevant, dropped) = loop.readEvents(into: &buffer, logger: logger)
                ignored += dropped
                if !relevant.isEmpty {
                    let now = ContinuousClock.now
                    if first == nil {
                        first = now
                        logger.debug("watched file changed; reload debounced", metadata: ["paths": "\(relevant.sorted())"])
                    }
                    last = now
                    changed.formUnion(relevant)
                    // Follow the chain at once, so a file written into a new directory is not missed.
                    changed.formUnion(loop.resolve())
                    watched.withLock { $0 = loop.directories }
                }
            }
            if let start = first, ContinuousClock.now >= min(last + configuration.quiet, start + configuration.maxDelay) {
                changed.formUnion(loop.resolve())
                watched.withLock { $0 = loop.directories }
                logger.debug(
                    "watched file change settled",
                    metadata: ["paths": "\(changed.sorted())", "unrelated_events": "\(ignored)",
                               "waited_ms": "\(start.duration(to: .now).wholeMilliseconds)"]
                )
                let report = changed
                first = nil
                changed = []
                ignored = 0
                reports.add(1, ordering: .relaxed)
                onChange(report)
            }
        }
        control.withLock { control in
            control.stopping = true
            control.wakeupFD = nil
        }
        close(pipeFDs[0])
        close(pipeFDs[1])
        close(inotify)
        exit(failing: nil)
        #else
        exit(failing: FileWatcherError(message: "inotify is Linux-only"))
        #endif
    }

    private func exit(failing error: FileWatcherError?) {
        let continuation = control.withLock { control in
            defer { control.onExit = nil }
            control.stopping = true
            return control.onExit
        }
        if let error { continuation?.resume(throwing: error) } else { continuation?.resume() }
    }
}

/// The file watcher could not run.
public struct FileWatcherError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { "cannot watch files: \(message)" }
}

#if canImport(Glibc)
/// The watcher thread's state: which names in which directories matter to which path.
struct WatchLoop {
    /// A name in a directory whose changes can change a watched file.
    struct Link: Hashable {
        var directory: String
        var name: String
    }

    let inotify: Int32
    let paths: [String]
    /// For each path, the links its resolution went through.
    private(set) var links: [String: Set<Link>] = [:]
    private var directoriesByDescriptor: [Int32: Set<String>] = [:]
    private var descriptorsByDirectory: [String: Int32] = [:]

    private static let mask = UInt32(
        IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF
            | IN_MOVE_SELF | IN_ONLYDIR
    )

    init(inotify: Int32, paths: [String]) {
        self.inotify = inotify
        self.paths = paths
    }

    var directories: [String] { descriptorsByDirectory.keys.sorted() }

    /// Resolves every path's chain again and moves the watches to match; returns the paths whose chain changed.
    @discardableResult
    mutating func resolve() -> Set<String> {
        var changed = Set<String>()
        var needed = Set<String>()
        for path in paths {
            let resolved = Set(Self.links(of: path))
            if let previous = links[path], previous != resolved { changed.insert(path) }
            links[path] = resolved
            for link in resolved { needed.insert(link.directory) }
        }
        // Adding an existing watch again is cheap and returns a new descriptor when the directory was replaced.
        var byDescriptor: [Int32: Set<String>] = [:]
        var byDirectory: [String: Int32] = [:]
        for directory in needed {
            let descriptor = inotify_add_watch(inotify, directory, Self.mask)
            guard descriptor >= 0 else { continue }  // gone again; its parent's watch sees it come back
            byDescriptor[descriptor, default: []].insert(directory)
            byDirectory[directory] = descriptor
        }
        for (descriptor, _) in directoriesByDescriptor where byDescriptor[descriptor] == nil {
            _ = inotify_rm_watch(inotify, descriptor)
        }
        directoriesByDescriptor = byDescriptor
        descriptorsByDirectory = byDirectory
        return changed
    }

    /// Reads the pending events, at most `maxReads` buffers of them; returns the paths an event may have changed and
    /// how many events were unrelated.
    ///
    /// Bounded, so a neighbour writing in a watched directory without pause cannot keep the loop reading forever
    /// and a change's report waiting past its deadline; what is left stays queued for the next round.
    mutating func readEvents(into buffer: inout [UInt8], maxReads: Int = 16, logger: Logger) -> (Set<String>, Int) {
        var relevant = Set<String>()
        var unrelated = 0
        let headerSize = MemoryLayout<inotify_event>.size
        for _ in 0..<maxReads {
            let count = buffer.withUnsafeMutableBytes { read(inotify, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            var offset = 0
            buffer.withUnsafeBytes { bytes in
                while offset + headerSize <= count {
                    let descriptor = bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self)
                    let mask = bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                    let length = Int(bytes.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                    let nameBytes = bytes[(offset + headerSize)..<min(count, offset + headerSize + length)]
                    let name = String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)
                    offset += headerSize + length
                    if mask & UInt32(IN_Q_OVERFLOW) != 0 {
                        logger.warning("inotify event queue overflowed; re-reading watched files")
                        relevant.formUnion(paths)
                        continue
                    }
                    guard let directories = directoriesByDescriptor[descriptor] else {
                        unrelated += 1
                        continue
                    }
                    let selfGone = mask & UInt32(IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED) != 0
                    var matched = false
                    for (path, links) in links {
                        for link in links where directories.contains(link.directory) {
                            if selfGone || link.name == name {
                                relevant.insert(path)
                                matched = true
                            }
                        }
                    }
                    if !matched { unrelated += 1 }
                }
            }
        }
        return (relevant, unrelated)
    }

    /// The links a path's resolution goes through: every symlink on the way (by its directory and name), the
    /// final file, or the first missing component (watched in the deepest directory that exists).
    static func links(of path: String) -> [Link] {
        var pending = components(path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path)
        pending.reverse()  // a stack: the next component is last
        var prefix = "/"
        var links: [Link] = []
        var hops = 0
        while let component = pending.popLast() {
            if component.isEmpty || component == "." { continue }
            if component == ".." {
                prefix = (prefix as NSString).deletingLastPathComponent
                if prefix.isEmpty { prefix = "/" }
                continue
            }
            let candidate = prefix == "/" ? "/" + component : prefix + "/" + component
            // The entry itself, not what a link points to (lstat).
            guard let type = (try? FileManager.default.attributesOfItem(atPath: candidate))?[.type] as? FileAttributeType
            else {
                links.append(Link(directory: prefix, name: component))
                break
            }
            if type == .typeSymbolicLink {
                links.append(Link(directory: prefix, name: component))
                hops += 1
                guard hops <= 40, let target = try? FileManager.default.destinationOfSymbolicLink(atPath: candidate) else {
                    break
                }
                if target.hasPrefix("/") { prefix = "/" }
                pending += components(target).reversed()
                continue
            }
            if pending.allSatisfy({ $0.isEmpty || $0 == "." }) {
                links.append(Link(directory: prefix, name: component))
                break
            }
            prefix = candidate
        }
        return links
    }

    private static func components(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }
}
#endif

import Crypto
import Foundation
import Logging
import ServiceLifecycle

/// Reloads the routes file when it changes on disk (rules and bounds in docs/operations.md).
///
/// A ``FileWatcher`` on the routes path reports debounced changes: to the file's own name or to any link of its
/// symlink chain, however busy its directory is. A reported change reloads only when the file's content differs
/// from what the watcher last saw; an unchanged file is logged at debug level and skipped.
struct RoutesWatcher: Service {
    let path: String
    let reloader: RoutesReloader
    let logger: Logger
    var configuration = FileWatcher.Configuration()

    func run() async throws {
        let (changes, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let watcher = FileWatcher(paths: [path], configuration: configuration, logger: logger) { _ in
            continuation.yield()
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await watcher.run()
                } catch {
                    logger.error("the routes file is not watched; reload with SIGHUP or POST /admin/reload",
                                 metadata: ["error": "\(error)"])
                }
            }
            var lastContent = Self.digest(of: path)
            for await _ in changes.cancelOnGracefulShutdown() {
                let content = Self.digest(of: path)
                guard let content else {
                    logger.debug("routes file unreadable after a change; reload skipped", metadata: ["path": "\(path)"])
                    continue
                }
                guard content != lastContent else {
                    logger.debug("routes file content unchanged; reload skipped", metadata: ["path": "\(path)"])
                    continue
                }
                lastContent = content
                await reloader.reload(reason: "file change")
            }
            watcher.stop()
            try await group.waitForAll()
        }
    }

    /// A digest of the file's bytes, or nil when it cannot be read (mid-swap, deleted).
    static func digest(of path: String) -> SHA256Digest? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return SHA256.hash(data: data)
    }
}

import Crypto
import Foundation
import Logging
import ServiceLifecycle
import SwitchboardCore

/// Reloads the routes file when it, or an `.ics` file its calendars read, changes on disk (rules and bounds in
/// docs/operations.md).
///
/// A ``FileWatcher`` on those paths reports debounced changes: to a file's own name or to any link of its symlink
/// chain, however busy its directory is. A reported change reloads only when the files' content differs from what
/// the watcher last saw; an unchanged file is logged at debug level and skipped. When a reload changes the set of
/// `.ics` files, the watcher follows the new set.
struct RoutesWatcher: Service {
    let path: String
    let reloader: RoutesReloader
    /// The running table, whose `calendarFiles` are watched too.
    let state: RoutingState
    let logger: Logger
    var configuration = FileWatcher.Configuration()

    func run() async throws {
        var files = watchedFiles()
        var lastContent = Self.digest(of: files)
        while !Task.isCancelled {
            let watching = files
            let (changes, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
            let watcher = FileWatcher(paths: watching, configuration: configuration, logger: logger) { _ in
                continuation.yield()
            }
            let next: [String]? = await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    do {
                        try await watcher.run()
                    } catch {
                        logger.error(
                            "the routes file is not watched; reload with SIGHUP or POST /admin/reload",
                            metadata: ["error": "\(error)"])
                    }
                }
                defer { watcher.stop() }
                // A change may have landed while the previous watcher was replaced.
                if Self.digest(of: watching) != lastContent { continuation.yield() }
                for await _ in changes.cancelOnGracefulShutdown() {
                    let content = Self.digest(of: watching)
                    guard let content else {
                        logger.debug(
                            "routes file unreadable after a change; reload skipped", metadata: ["path": "\(path)"])
                        continue
                    }
                    guard content != lastContent else {
                        logger.debug("routes file content unchanged; reload skipped", metadata: ["path": "\(path)"])
                        continue
                    }
                    lastContent = content
                    let failure: ConfigError?
                    switch await reloader.reload(reason: "file change") {
                    case .success: failure = nil
                    case .failure(let error): failure = error
                    }
                    let wanted = watchedFiles(after: failure)
                    if wanted != watching { return wanted }
                }
                return nil
            }
            guard let next else { return }
            files = next
            // A new file may have changed since the reload read it: compare afresh (at worst one extra reload).
            lastContent = nil
            logger.debug("watching a new set of calendar files", metadata: ["files": "\(files.dropFirst())"])
        }
    }

    /// The routes file, every `.ics` file of the running table, and those a failed reload named: fixing a broken
    /// new `.ics` file reloads too.
    private func watchedFiles(after failure: ConfigError? = nil) -> [String] {
        var files = [path] + state.snapshot.table.calendarFiles
        for file in failure?.calendarFiles ?? [] where !files.contains(file) { files.append(file) }
        return files
    }

    /// A digest of the files' bytes, or nil when the routes file cannot be read (mid-swap, deleted). An `.ics` file
    /// that cannot be read counts as a change, so the reload reports it.
    static func digest(of paths: [String]) -> SHA256Digest? {
        var hasher = SHA256()
        for (position, path) in paths.enumerated() {
            guard let data = FileManager.default.contents(atPath: path) else {
                if position == 0 { return nil }
                hasher.update(data: Data("missing \(path)\n".utf8))
                continue
            }
            hasher.update(data: Data("\(data.count) \(path)\n".utf8))
            hasher.update(data: data)
        }
        return hasher.finalize()
    }
}

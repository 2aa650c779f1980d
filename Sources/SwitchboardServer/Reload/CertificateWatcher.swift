import Logging
import ServiceLifecycle

/// Reloads the HTTPS certificate pairs when their files change on disk, by the same rules as the routes file: the
/// files' own names and every link of their symlink chains (a Kubernetes Secret's `..data` swap), debounced, within
/// a bounded time (docs/operations.md#https).
///
/// A change that leaves a pair unusable (the certificate replaced before its key) keeps the current pair and says
/// why; the next change, which completes the pair, loads it.
struct CertificateWatcher: Service {
    let paths: [String]
    let reload: @Sendable () -> Void
    let logger: Logger

    func run() async throws {
        let (changes, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let watcher = FileWatcher(paths: paths, logger: logger) { _ in continuation.yield() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await watcher.run()
                } catch {
                    logger.error(
                        "certificate files are not watched; reload them with SIGHUP or POST /admin/reload",
                        metadata: ["error": "\(error)"]
                    )
                }
            }
            for await _ in changes.cancelOnGracefulShutdown() {
                reload()
            }
            watcher.stop()
            try await group.waitForAll()
        }
    }
}

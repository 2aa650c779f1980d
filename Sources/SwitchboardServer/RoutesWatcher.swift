import Logging
import ServiceLifecycle

/// Reloads the routes file when it changes on disk (filled in with the live-operations work).
struct RoutesWatcher: Service {
    let path: String
    let reloader: RoutesReloader
    let logger: Logger

    func run() async throws {
        try await gracefulShutdown()
    }
}

import Foundation
import Logging
import SwitchboardCore
import SwitchboardHealth

/// Loads `routes.yaml` again and swaps the table in when it is valid (docs/operations.md).
///
/// An actor, so reloads from a file change, `SIGHUP` and `POST /admin/reload` run one at a time. A table that
/// fails validation is never applied: the running one stays, and the error is kept for `/status` and counted in
/// `switchboard_reloads_total{result="failure"}`.
public actor RoutesReloader {
    let path: String
    let environment: [String: String]
    let state: RoutingState
    let checker: HealthChecker
    let metrics: SwitchboardMetrics
    let logger: Logger
    /// Called with each table installed (the in-memory ledger forgets the leases of backends it no longer has).
    let onInstall: @Sendable (RoutingTable) -> Void

    init(
        path: String, environment: [String: String], state: RoutingState, checker: HealthChecker,
        metrics: SwitchboardMetrics, logger: Logger, onInstall: @escaping @Sendable (RoutingTable) -> Void = { _ in }
    ) {
        self.onInstall = onInstall
        self.path = path
        self.environment = environment
        self.state = state
        self.checker = checker
        self.metrics = metrics
        self.logger = logger
    }

    /// Reads the file now, even if it did not change.
    @discardableResult
    public func reload(reason: String) -> Result<RoutingTable, ConfigError> {
        let startedAt = Date()
        let started = ContinuousClock.now
        do {
            let table = try RoutingTable.load(path: path, environment: environment)
            let previous = state.snapshot.table.version
            // Targets first: the checker carries health over for unchanged backends and reports the new map
            // (through `onChange`, synchronously), which `install` then applies to the new table in the same swap.
            checker.update(targets: table.probeTargets)
            state.install(table, trigger: reason)
            onInstall(table)
            metrics.follow(table)
            metrics.reload(success: true)
            let duration = started.duration(to: .now)
            state.recordReload(trigger: reason, at: startedAt, success: true, duration: duration)
            for warning in table.warnings { logger.warning("\(warning)") }
            logger.info(
                "routes reloaded",
                metadata: ["trigger": "\(reason)", "version": "\(table.version)", "previous": "\(previous)",
                           "routes": "\(table.routes.count)", "backends": "\(table.backends.count)",
                           "duration_ms": "\(duration.wholeMilliseconds)"]
            )
            return .success(table)
        } catch {
            state.recordReloadFailure(error.description)
            state.recordReload(trigger: reason, at: startedAt, success: false, duration: started.duration(to: .now))
            metrics.reload(success: false)
            logger.error(
                "routes reload failed; the running table stays",
                metadata: ["trigger": "\(reason)", "problems": "\(error.errors.count)"]
            )
            for diagnostic in error.diagnostics { logger.error("\(diagnostic)") }
            return .failure(error)
        }
    }
}

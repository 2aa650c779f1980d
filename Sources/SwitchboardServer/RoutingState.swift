import Foundation
import SwitchboardCore
import SwitchboardHealth
import Synchronization

/// The table and health verdicts the webhook handler reads, swapped whole under a `Mutex`.
///
/// Readers take a reference to the current `Snapshot` and work on it without holding the lock; writers
/// (reloads, health changes) build a new snapshot and swap it in. A request therefore never waits on a reload
/// or a probe, and always sees a table and a health view that belong together.
public final class RoutingState: Sendable {
    /// An immutable pairing of a table with the health of its backends.
    public final class Snapshot: Sendable {
        public let table: RoutingTable
        public let health: HealthView
        public let loadedAt: Date

        init(table: RoutingTable, health: HealthView, loadedAt: Date) {
            self.table = table
            self.health = health
            self.loadedAt = loadedAt
        }
    }

    /// The outcome of the last load of the routes file, for `/status` (`table.last_reload`).
    public struct ReloadRecord: Sendable {
        /// `startup`, `file change`, `SIGHUP` or `admin`.
        public var trigger: String
        public var at: Date
        public var success: Bool
        public var duration: Duration
    }

    private struct State {
        var snapshot: Snapshot
        var states: [String: BackendState]
        var reports: [String: BackendReport] = [:]
        var lastReloadError: String?
        var lastReload: ReloadRecord?
        var lastReloadErrorAt: Date?
        var loadedBy = "startup"
    }

    private let state: Mutex<State>

    public init(table: RoutingTable, loadedAt: Date = Date()) {
        let snapshot = Snapshot(table: table, health: .allEligible(table.backends.count), loadedAt: loadedAt)
        state = Mutex(State(snapshot: snapshot, states: [:]))
    }

    /// The current table and health, for one request.
    public var snapshot: Snapshot { state.withLock { $0.snapshot } }

    /// The error of the last failed reload, cleared by a successful one.
    public var lastReloadError: String? { state.withLock { $0.lastReloadError } }

    /// The last load of the routes file, successful or not; nil when none was recorded.
    public var lastReload: ReloadRecord? { state.withLock { $0.lastReload } }

    func recordReload(trigger: String, at: Date, success: Bool, duration: Duration) {
        state.withLock { $0.lastReload = ReloadRecord(trigger: trigger, at: at, success: success, duration: duration) }
    }
    /// When the last reload failed; nil once a reload succeeds.
    public var lastReloadErrorAt: Date? { state.withLock { $0.lastReloadErrorAt } }

    /// What loaded the running table: `startup`, or the reload's trigger (`admin`, `SIGHUP`, `file change`).
    public var loadedBy: String { state.withLock { $0.loadedBy } }

    /// Installs a newly loaded table; backends keep the health verdicts last reported for their names.
    public func install(_ table: RoutingTable, loadedAt: Date = Date(), trigger: String = "reload") {
        state.withLock { state in
            state.snapshot = Snapshot(table: table, health: Self.view(table, state), loadedAt: loadedAt)
            state.lastReloadError = nil
            state.lastReloadErrorAt = nil
            state.loadedBy = trigger
        }
    }

    public func recordReloadFailure(_ message: String, at date: Date = Date()) {
        state.withLock { state in
            state.lastReloadError = message
            state.lastReloadErrorAt = date
        }
    }

    /// Applies the health checker's verdicts (name → state) to the current table.
    public func apply(states: [String: BackendState]) {
        state.withLock { state in
            state.states = states
            let table = state.snapshot.table
            state.snapshot = Snapshot(table: table, health: Self.view(table, state), loadedAt: state.snapshot.loadedAt)
        }
    }

    /// Applies what backends with `report: json` checks last reported (name → report).
    public func apply(reports: [String: BackendReport]) {
        state.withLock { state in
            guard state.reports != reports else { return }
            state.reports = reports
            let table = state.snapshot.table
            state.snapshot = Snapshot(table: table, health: Self.view(table, state), loadedAt: state.snapshot.loadedAt)
        }
    }

    private static func view(_ table: RoutingTable, _ state: State) -> HealthView {
        HealthView(
            eligible: table.backends.map { state.states[$0.name]?.isEligible ?? true },
            reports: state.reports.isEmpty ? [] : table.backends.map { state.reports[$0.name] }
        )
    }
}

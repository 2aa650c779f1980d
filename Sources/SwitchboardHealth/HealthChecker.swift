import Logging
import ServiceLifecycle
import SwitchboardCore
import Synchronization

/// Probes every backend in the background and keeps a verdict per backend.
///
/// All probes run concurrently through one curl multi handle on one dedicated thread, started and stopped
/// inside `run()`, so neither the request path nor Swift's cooperative pool ever waits on the network.
/// Each backend follows the `rise`/`fall` state machine of ``BackendRecord``; its next probe comes after
/// `interval`, or `fastInterval` while its state is unknown or a result disagrees with it, counted from the
/// previous probe's start and shortened by `jitter`.
///
/// ```swift
/// let checker = HealthChecker(targets: targets, logger: logger) { states in table.setHealth(states) }
/// let group = ServiceGroup(services: [checker, server], logger: logger)
/// try await group.run()
/// ```
public final class HealthChecker: Service, Sendable {
    private let state: Mutex<CheckerState>
    /// The version of the last map handed to `onChange`; older maps are never delivered after newer ones.
    private let delivered = Mutex<UInt64>(0)
    /// Whether probe results changed a state or report since the last delivery, and the first-round waiters they
    /// released: the probe thread delivers once per turn (`deliverPending`), so a round of 10,000 results builds and
    /// hands over the maps a few hundred times rather than 10,000 (docs/performance.md, "Start-up").
    private let pending = Mutex<(changed: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
    private let logger: Logger
    private let onProbe: @Sendable (ProbeTarget, ProbeResult) -> Void
    private let onChange: @Sendable ([String: BackendState]) -> Void
    private let signer: ProbeSigner?
    private let onReports: @Sendable ([String: BackendReport]) -> Void

    /// - Parameters:
    ///   - targets: the backends to probe, in the order `statuses()` reports them.
    ///   - logger: state changes are logged at `info` (up) and `warning` (down).
    ///   - onProbe: called with every probe result, on the probe thread (for metrics); must not block.
    ///   - onChange: called with the full name → state map after backends' states change (once for all the
    ///     changes of one turn of the probe thread) and once per `update(targets:)`; must not block and must not
    ///     call `update(targets:)`.
    ///   - signingKeys: the first one signs `sign: true` WebSocket checks.
    ///   - onReports: called with the name → report map of `report: json` checks right after `onChange`, and
    ///     whenever a report changes; same rules as `onChange`.
    public init(
        targets: [ProbeTarget],
        logger: Logger,
        signingKeys: [String] = [],
        onProbe: @escaping @Sendable (ProbeTarget, ProbeResult) -> Void = { _, _ in },
        onChange: @escaping @Sendable ([String: BackendState]) -> Void = { _ in },
        onReports: @escaping @Sendable ([String: BackendReport]) -> Void = { _ in }
    ) {
        self.state = Mutex(CheckerState(targets: targets))
        self.logger = logger
        self.onProbe = onProbe
        self.onChange = onChange
        self.signer = ProbeSigner(keys: signingKeys)
        self.onReports = onReports
    }

    /// Probes until the task is cancelled or a graceful shutdown starts.
    ///
    /// - Important: Starts the probe thread on entry and has stopped it when it returns; in-flight probes are
    ///   abandoned without counting. Run one `run()` at a time.
    /// - Throws: ``ProbeEngineError`` when libcurl cannot start.
    public func run() async throws {
        let engine = ProbeEngine(maxConnections: state.withLock { $0.order.count }, logger: logger, signer: signer) {
            [weak self] now, work in
            self?.dueWork(at: now, into: &work)
        }
        state.withLock { state in
            state.engine = engine
            state.startRunning(now: .now)
        }
        defer {
            state.withLock { state in
                state.stopRunning()
                state.engine = nil
            }
            deliverPending()  // what the last turn left, so no waiter stays parked
        }
        try await withTaskCancellationOrGracefulShutdownHandler {
            try await engine.run()
        } onCancelOrGracefulShutdown: {
            engine.requestStop()
        }
    }

    /// Replaces the targets (hot reload) without waiting on the network.
    ///
    /// A target equal to a current one keeps its state, counters and schedule; a new one starts `unknown`
    /// and is probed within one `fastInterval`; a removed one is no longer probed (a result still in flight
    /// is ignored). Calls `onChange` once with the new map.
    public func update(targets: [ProbeTarget]) {
        let (engine, version, map, reports, resumed) = state.withLock { state in
            state.replaceTargets(targets, now: .now)
            return (state.engine, state.version, state.stateMap, state.reportMap, state.takeWaitersIfFirstRoundDone())
        }
        engine?.setMaxConnections(targets.count)
        engine?.wakeup()
        for waiter in resumed { waiter.resume() }
        deliver(map, reports, version: version)
    }

    /// Every backend's current health, in target order (for `/status`).
    public func statuses() -> [BackendStatus] {
        state.withLock { $0.statuses }
    }

    /// Every backend's current state by name (for the router's snapshot).
    public func states() -> [String: BackendState] {
        state.withLock { $0.stateMap }
    }

    /// True once every target present at start has had a result (for `/readyz`).
    public var firstRoundCompleted: Bool {
        state.withLock { $0.pendingFirstRound.isEmpty }
    }

    /// Returns once `firstRoundCompleted` is true, or when the calling task is cancelled.
    public func waitForFirstRound() async {
        let id = state.withLock { state in
            defer { state.nextWaiterID += 1 }
            return state.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let parked = state.withLock { state -> Bool in
                    guard !state.pendingFirstRound.isEmpty, !Task.isCancelled else { return false }
                    state.waiters[id] = continuation
                    return true
                }
                if !parked { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }

    // MARK: Probe thread

    /// Probes due within this window are started together: starting one a few milliseconds early costs
    /// nothing, and batching saves the probe thread most of its wakeups (one per probe otherwise).
    private static let batchWindow = Duration.milliseconds(10)

    /// The engine's scheduler: due records become probe jobs whose results come back to `complete`.
    private func dueWork(at now: ContinuousClock.Instant, into work: inout ScheduledWork) {
        deliverPending()  // the results of the previous turn (the engine turns again at once after results)
        state.withLock { state in
            state.takeDue(now: now + Self.batchWindow, into: &work) { id, check in
                ProbeJob(key: id, check: check) { [weak self] result in
                    self?.complete(id: id, started: now, result: result)
                }
            }
        }
    }

    private func complete(id: UInt64, started: ContinuousClock.Instant, result: ProbeResult?) {
        let outcome = state.withLock { $0.complete(id: id, started: started, result: result) }
        guard let (record, changed, reportChanged, resumed) = outcome, let result else { return }
        onProbe(record.target, result)
        if changed { log(record) }
        if changed || reportChanged || !resumed.isEmpty {
            pending.withLock { pending in
                pending.changed = pending.changed || changed || reportChanged
                pending.waiters += resumed
            }
        }
    }

    /// Delivers the maps once for every change since the last call, then resumes the first-round waiters released
    /// meanwhile (after the maps, so a waiter finds the routing state up to date).
    private func deliverPending() {
        let (changed, waiters) = pending.withLock { pending in
            defer { pending = (false, []) }
            return pending
        }
        if changed {
            let (version, map, reports) = state.withLock { ($0.version, $0.stateMap, $0.reportMap) }
            deliver(map, reports, version: version)
        }
        for waiter in waiters { waiter.resume() }
    }

    private func log(_ record: BackendRecord) {
        let status = record.status
        var metadata: Logger.Metadata = ["backend": "\(status.name)", "state": "\(status.state.rawValue)"]
        if let probe = status.lastProbe, let reason = probe.failure {
            metadata["reason"] = "\(reason.rawValue)"
            metadata["detail"] = "\(URLRedaction.redactURLs(in: probe.detail))"
            logger.warning("backend is down", metadata: metadata)
        } else {
            logger.info("backend is up", metadata: metadata)
        }
    }

    private func deliver(_ map: [String: BackendState], _ reports: [String: BackendReport], version: UInt64) {
        delivered.withLock { last in
            guard version > last else { return }
            last = version
            onChange(map)
            onReports(reports)
        }
    }

    /// Every backend's last report by name (`report: json` checks).
    public func reports() -> [String: BackendReport] {
        state.withLock { $0.reportMap }
    }
}

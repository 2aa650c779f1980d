import SwitchboardCore

/// A probe the engine runs: which check, and who hears the result.
struct ProbeJob: Sendable {
    /// Identifies the target across probes: the engine keeps one configured handle per key and reuses it
    /// while the check stays the same. Nil for a one-off probe (its handle is dropped afterwards).
    var key: UInt64?
    var check: HealthCheck
    /// Called exactly once, on the engine thread: with the result, or with nil when the engine stopped
    /// before the probe finished (the probe then says nothing about the backend).
    var completion: @Sendable (ProbeResult?) -> Void

    init(key: UInt64? = nil, check: HealthCheck, completion: @escaping @Sendable (ProbeResult?) -> Void) {
        self.key = key
        self.check = check
        self.completion = completion
    }
}

/// What the engine's scheduler hands it on one turn of the loop.
struct ScheduledWork {
    /// Probes to start now.
    var jobs: [ProbeJob]
    /// When the next probe falls due; nil when none is scheduled.
    var next: ContinuousClock.Instant?
    /// Keys of targets that are gone (removed or changed by a reload): their handles can be dropped.
    var retired: [UInt64] = []

    static let idle = ScheduledWork(jobs: [], next: nil)
}

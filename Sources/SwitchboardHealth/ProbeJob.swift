import SwitchboardCore

/// A probe the engine runs: which check, and who hears the result.
struct ProbeJob: Sendable {
    var check: HealthCheck
    /// Called exactly once, on the engine thread: with the result, or with nil when the engine stopped
    /// before the probe finished (the probe then says nothing about the backend).
    var completion: @Sendable (ProbeResult?) -> Void
}

/// What the engine's scheduler hands it on one turn of the loop.
struct ScheduledWork {
    /// Probes to start now.
    var jobs: [ProbeJob]
    /// When the next probe falls due; nil when none is scheduled.
    var next: ContinuousClock.Instant?

    static let idle = ScheduledWork(jobs: [], next: nil)
}

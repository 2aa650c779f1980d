import Synchronization

/// A token bucket for log lines: `burst` lines at once, then `perSecond` on average. A class, so copies of a
/// controller share one bucket; the `Mutex` makes it `Sendable`.
final class TokenBucket: Sendable {
    enum Outcome: Equatable {
        /// Write the line; `suppressedBefore` lines were dropped since the last one written.
        case allowed(suppressedBefore: Int)
        case suppressed
    }

    private let perSecond: Double
    private let burst: Double
    private let state: Mutex<(tokens: Double, last: ContinuousClock.Instant, suppressed: Int)>

    init(perSecond: Double, burst: Int) {
        self.perSecond = perSecond
        self.burst = Double(burst)
        state = Mutex((Double(burst), .now, 0))
    }

    func take(now: ContinuousClock.Instant = .now) -> Outcome {
        state.withLock { state in
            let elapsed = now - state.last
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            state.tokens = min(burst, state.tokens + max(0, seconds) * perSecond)
            state.last = now
            guard state.tokens >= 1 else {
                state.suppressed += 1
                return .suppressed
            }
            state.tokens -= 1
            defer { state.suppressed = 0 }
            return .allowed(suppressedBefore: state.suppressed)
        }
    }
}

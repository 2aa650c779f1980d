import Logging
import SwitchboardCore
import Synchronization

/// One round of health checks, for `switchboard probe`: every target probed once, all concurrently.
///
/// Runs its own probe thread for the duration of the call; `none` checks succeed without touching the
/// network. If the task is cancelled, probes still running report a `protocol` failure ("not finished").
///
/// ```swift
/// let results = await probeOnce(targets, logger: logger)
/// let anyDown = results.contains { !$0.ok }
/// ```
/// - Returns: one result per target, in input order.
/// - Parameter signingKeys: the first one signs `sign: true` WebSocket checks.
public func probeOnce(_ targets: [ProbeTarget], signingKeys: [String] = [], logger: Logger) async -> [ProbeResult] {
    guard !targets.isEmpty else { return [] }
    let round = ProbeRound(count: targets.count)
    let engine = ProbeEngine(maxConnections: targets.count, logger: logger, signer: ProbeSigner(keys: signingKeys))
    for (index, target) in targets.enumerated() {
        engine.submit(ProbeJob(check: target.check) { result in round.record(result, at: index) })
    }
    await withTaskGroup(of: Void.self) { group in
        group.addTask {
            do {
                try await engine.run()
            } catch {
                logger.error("probe round failed", metadata: ["error": "\(error)"])
            }
        }
        await round.finished()
        engine.requestStop()
    }
    return round.results
}

/// Collects the results of one round and tells the waiter when the last one is in.
private final class ProbeRound: Sendable {
    private struct Progress {
        var results: [ProbeResult?]
        var remaining: Int
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let progress: Mutex<Progress>

    init(count: Int) {
        progress = Mutex(Progress(results: Array(repeating: nil, count: count), remaining: count))
    }

    /// Records the result of target `index` (nil: the probe was abandoned).
    func record(_ result: ProbeResult?, at index: Int) {
        let notFinished = ProbeResult.failure(.protocol, "not finished", latency: .zero)
        let waiter = progress.withLock { progress -> CheckedContinuation<Void, Never>? in
            guard progress.results.indices.contains(index), progress.results[index] == nil else { return nil }
            progress.results[index] = result ?? notFinished
            progress.remaining -= 1
            guard progress.remaining == 0 else { return nil }
            defer { progress.waiter = nil }
            return progress.waiter
        }
        waiter?.resume()
    }

    /// Returns once every target has a result.
    func finished() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = progress.withLock { progress -> Bool in
                guard progress.remaining > 0 else { return true }
                progress.waiter = continuation
                return false
            }
            if done { continuation.resume() }
        }
    }

    var results: [ProbeResult] {
        progress.withLock { progress in
            progress.results.map { $0 ?? .failure(.protocol, "not finished", latency: .zero) }
        }
    }
}

import CCurl
import Foundation
import Logging
import SwitchboardCore
import Synchronization

/// Runs probes through one curl multi handle, driven by one dedicated thread.
///
/// Blocking in `poll` on Swift's cooperative pool starves other tasks, so the engine owns an OS thread for
/// the lifetime of `run()`. Other threads hand it work through a locked mailbox and an eventfd wakeup.
/// Each turn of the loop takes submitted jobs and due jobs from the scheduler, starts them (re-adding the
/// target's configured handle), completes finished probes and sleeps in ``SocketDriver/wait(until:maxMilliseconds:)``
/// until the next due probe, a socket event, a libcurl timer or a wakeup; libcurl is driven with
/// `curl_multi_socket_action`.
///
/// The engine runs once: `run()` again on a stopped engine returns at once.
final class ProbeEngine: @unchecked Sendable {
    // @unchecked Sendable: everything shared between threads sits in `mailbox` (a Mutex); `transfers`
    // and `probes` are touched only by the engine thread between its start and its exit.
    fileprivate struct Mailbox {
        var jobs: [ProbeJob] = []
        var stopping = false
        /// The engine thread's wakeup eventfd while it runs (see `SocketDriver.wakeup`).
        var wakeupFD: Int32?
        var maxConnections: Int
        var onExit: CheckedContinuation<Void, any Error>?
    }

    private let mailbox: Mutex<Mailbox>
    private let scheduler: (@Sendable (ContinuousClock.Instant, inout ScheduledWork) -> Void)?
    private let logger: Logger
    private let signer: ProbeSigner?
    /// Probes whose handle is in the multi handle, by easy handle.
    private var transfers: [UnsafeMutableRawPointer: Probe] = [:]
    /// One configured handle per job key (per target), reused for every probe of it.
    private var probes: [UInt64: Probe] = [:]
    /// Easy handles made so far (each one configured once); for tests.
    let handlesMade = Atomic<Int>(0)
    /// Waits that returned; for tests (an idle engine must not wake).
    let wakeups = Atomic<Int>(0)
    private static let maxWaitMilliseconds: Int32 = 1000

    /// - Parameters:
    ///   - maxConnections: `CURLMOPT_MAXCONNECTS`, the number of targets. `http` and `tcp` handles keep their
    ///     connection in a cache of their own; the multi handle's cache (WebSocket connections while they
    ///     run, any handle that could not get a share) is sized so no connection is closed early after a burst.
    ///   - logger: where engine failures go.
    ///   - scheduler: asked on every turn for the probes due now and when the next falls due; it fills in
    ///     the engine's `ScheduledWork`, which is emptied (keeping its capacity) before every turn.
    ///   - signer: signs `sign: true` WebSocket checks; without it they fail as `protocol` errors.
    init(
        maxConnections: Int,
        logger: Logger,
        signer: ProbeSigner? = nil,
        scheduler: (@Sendable (ContinuousClock.Instant, inout ScheduledWork) -> Void)? = nil
    ) {
        self.mailbox = Mutex(Mailbox(maxConnections: max(1, maxConnections)))
        self.signer = signer
        self.scheduler = scheduler
        self.logger = logger
    }

    /// Runs the engine thread until the task is cancelled or `requestStop()` is called.
    /// Every submitted job has its completion called before this returns.
    /// - Throws: `ProbeEngineError` when libcurl cannot create the multi handle.
    func run() async throws {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                mailbox.withLock { $0.onExit = continuation }
                let thread = Thread { [self] in self.threadMain() }
                thread.name = "switchboard-health"
                thread.start()
            }
        } onCancel: {
            requestStop()
        }
    }

    /// Queues a probe to start on the next turn. After the engine stopped, completes it with nil at once.
    func submit(_ job: ProbeJob) {
        let accepted = mailbox.withLock { box -> Bool in
            guard !box.stopping else { return false }
            box.jobs.append(job)
            box.wakeUpEngine()
            return true
        }
        if !accepted { job.completion(nil) }
    }

    /// Makes the engine thread look at its mailbox and scheduler now (after targets changed).
    func wakeup() {
        mailbox.withLock { box in
            box.wakeUpEngine()
        }
    }

    /// Resizes libcurl's connection cache (applied by the engine thread on its next turn).
    func setMaxConnections(_ count: Int) {
        mailbox.withLock { box in
            box.maxConnections = max(1, count)
            box.wakeUpEngine()
        }
    }

    /// Asks the engine thread to finish: in-flight probes are abandoned and completed with nil.
    func requestStop() {
        mailbox.withLock { box in
            box.stopping = true
            box.wakeUpEngine()
        }
    }

    // MARK: Engine thread

    private func threadMain() {
        guard CurlGlobal.initialized, let multi = curl_multi_init() else {
            logger.error("libcurl could not create a multi handle; health probes cannot run")
            exit(failing: ProbeEngineError(message: "curl_multi_init failed"))
            return
        }
        guard let driver = SocketDriver(multi: multi) else {
            _ = curl_multi_cleanup(multi)
            logger.error("no eventfd for the probe thread; health probes cannot run")
            exit(failing: ProbeEngineError(message: "eventfd failed"))
            return
        }
        var appliedMaxConnections = 0
        let alreadyStopping = mailbox.withLock { box -> Bool in
            box.wakeupFD = driver.wakeupFD
            return box.stopping
        }
        var stopping = alreadyStopping
        var work = ScheduledWork.idle
        work.jobs.reserveCapacity(64)
        while !stopping {
            let (jobs, stop, maxConnections) = mailbox.withLock { box in
                var taken: [ProbeJob] = []
                if !box.jobs.isEmpty { swap(&taken, &box.jobs) }
                return (taken, box.stopping, box.maxConnections)
            }
            if stop {
                for job in jobs { job.completion(nil) }
                break
            }
            if maxConnections != appliedMaxConnections {
                _ = ccurl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, maxConnections)
                appliedMaxConnections = maxConnections
            }
            let now = ContinuousClock.now
            // A probe completed at once may have scheduled the next one of its target: ask the scheduler again
            // before sleeping (the sleep has no timer when nothing else is scheduled).
            var completedAtOnce = 0
            for job in jobs where start(job, in: multi, at: now) { completedAtOnce += 1 }
            work.jobs.removeAll(keepingCapacity: true)
            work.retired.removeAll(keepingCapacity: true)
            work.next = nil
            scheduler?(now, &work)
            for key in work.retired { probes[key] = nil }  // a probe still running is kept by `transfers`
            for job in work.jobs where start(job, in: multi, at: now) { completedAtOnce += 1 }

            driver.runTimers()  // starts the transfers just added
            // Results may have made probes due: look again.
            if completeFinished(in: multi) + completedAtOnce > 0 { continue }
            driver.wait(until: work.next, maxMilliseconds: Self.maxWaitMilliseconds)
            wakeups.add(1, ordering: .relaxed)
            _ = completeFinished(in: multi)
            stopping = mailbox.withLock { $0.stopping }
        }
        shutDown(multi, driver)
    }

    /// Starts a probe; true when it completed at once (a `none` check, or a probe that could not start).
    private func start(_ job: ProbeJob, in multi: UnsafeMutableRawPointer, at now: ContinuousClock.Instant) -> Bool {
        if case .none = job.check.kind {
            job.completion(.success(latency: .zero))
            return true
        }
        let probe: Probe
        if let key = job.key, let kept = probes[key], !kept.isRunning, kept.check == job.check {
            probe = kept
        } else {
            switch Probe.make(for: job.check, signer: signer) {
            case .success(let made):
                handlesMade.add(1, ordering: .relaxed)
                probe = made
                // Keep it for the next probe of the key, unless the kept one is busy (one-off then).
                if let key = job.key, !(probes[key]?.isRunning ?? false) { probes[key] = made }
            case .failure(let failure):
                job.completion(failure.result)
                return true
            }
        }
        guard probe.begin(at: now, completion: job.completion) else {
            _ = probe.end()
            if let key = job.key, probes[key] === probe { probes[key] = nil }
            job.completion(.failure(.protocol, "cannot set the signed probe's headers", latency: .zero))
            return true
        }
        let added = curl_multi_add_handle(multi, probe.handle.raw)
        guard added == CURLM_OK else {
            _ = probe.end()
            if let key = job.key, probes[key] === probe { probes[key] = nil }  // do not trust it again
            job.completion(.failure(.protocol, "curl_multi_add_handle failed (\(added.rawValue))", latency: .zero))
            return true
        }
        transfers[probe.handle.raw] = probe
        return false
    }

    /// Completes every transfer libcurl reports done; returns how many.
    private func completeFinished(in multi: UnsafeMutableRawPointer) -> Int {
        var finished = 0
        var queued: Int32 = 0
        while let message = curl_multi_info_read(multi, &queued) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            let code = ccurl_msg_result(message)  // read before remove_handle invalidates the message
            guard let probe = transfers.removeValue(forKey: easy) else { continue }
            let result = probe.finish(code, at: .now)
            _ = curl_multi_remove_handle(multi, easy)
            probe.end()?(result)
            finished += 1
        }
        return finished
    }

    private func shutDown(_ multi: UnsafeMutableRawPointer, _ driver: SocketDriver) {
        for (easy, probe) in transfers {
            _ = curl_multi_remove_handle(multi, easy)
            probe.end()?(nil)
        }
        transfers.removeAll()
        probes.removeAll()  // every handle (and its share, closing kept connections) goes before the multi
        let leftover = mailbox.withLock { box -> [ProbeJob] in
            box.stopping = true
            box.wakeupFD = nil  // no wakeup may touch the eventfd after this
            defer { box.jobs.removeAll() }
            return box.jobs
        }
        for job in leftover { job.completion(nil) }
        driver.close()
        _ = curl_multi_cleanup(multi)
        exit(failing: nil)
    }

    private func exit(failing error: ProbeEngineError?) {
        let (continuation, leftover) = mailbox.withLock { box in
            box.stopping = true
            defer {
                box.onExit = nil
                box.jobs.removeAll()
            }
            return (box.onExit, box.jobs)
        }
        for job in leftover { job.completion(nil) }
        if let error { continuation?.resume(throwing: error) } else { continuation?.resume() }
    }
}

extension ProbeEngine.Mailbox {
    /// Called under the mailbox lock, so the eventfd cannot be closed under the write.
    fileprivate func wakeUpEngine() {
        if let wakeupFD { SocketDriver.wakeup(wakeupFD) }
    }
}

/// The probe engine could not run at all.
public struct ProbeEngineError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { "health probes cannot run: \(message)" }
}

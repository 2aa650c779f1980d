import SwitchboardCore

/// Everything the health checker knows, kept behind its lock and changed as a whole.
///
/// Records are scheduled only while the checker runs (`running`); a probe that finishes is rescheduled
/// from its own start. Results for records that a reload removed or replaced are ignored.
struct CheckerState {
    /// Record ids in target order.
    private(set) var order: [UInt64] = []
    private(set) var records: [UInt64: BackendRecord] = [:]
    private var queue = DueQueue()
    private var nextID: UInt64 = 1
    private(set) var running = false
    /// Targets present at start that have not had a result yet.
    private(set) var pendingFirstRound: Set<UInt64> = []
    /// Bumped on every state change and every update, so stale `onChange` deliveries can be dropped.
    private(set) var version: UInt64 = 0
    /// Ids of records a reload dropped since the scheduler last looked: the engine frees their handles.
    private var retired: [UInt64] = []
    /// Jitter and first-probe spread (no system call per draw, unlike `SystemRandomNumberGenerator`).
    private var random = FastRandom()
    var engine: ProbeEngine?
    var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    var nextWaiterID: UInt64 = 1

    init(targets: [ProbeTarget]) {
        for target in targets {
            let id = makeRecord(target)
            order.append(id)
            pendingFirstRound.insert(id)
        }
    }

    /// Backends in target order.
    var statuses: [BackendStatus] { order.compactMap { records[$0]?.status } }

    /// Name → report for every backend whose last probe carried one.
    var reportMap: [String: BackendReport] {
        var map: [String: BackendReport] = [:]
        for id in order {
            if let record = records[id], let report = record.status.report { map[record.target.name] = report }
        }
        return map
    }

    /// Name → state for every backend.
    var stateMap: [String: BackendState] {
        Dictionary(order.compactMap { records[$0].map { ($0.target.name, $0.status.state) } }) { _, last in last }
    }

    /// Replaces the target list. Targets equal to a current one keep their record (state, counters,
    /// schedule); new ones start `unknown` and, while running, are probed within one `fastInterval`.
    mutating func replaceTargets(_ targets: [ProbeTarget], now: ContinuousClock.Instant) {
        var reusable: [ProbeTarget: [UInt64]] = [:]
        for id in order {
            if let record = records[id] { reusable[record.target, default: []].append(id) }
        }
        var newOrder: [UInt64] = []
        for target in targets {
            if var ids = reusable[target], !ids.isEmpty {
                newOrder.append(ids.removeFirst())
                reusable[target] = ids
            } else {
                let id = makeRecord(target)
                newOrder.append(id)
                if running {
                    schedule(id, at: now + target.check.timing.fastInterval * Double.random(in: 0..<1, using: &random))
                }
            }
        }
        for ids in reusable.values {
            for id in ids {
                records[id] = nil
                pendingFirstRound.remove(id)
                retired.append(id)
            }
        }
        order = newOrder
        version += 1
    }

    /// Starts scheduling: first probes spread evenly over each target's `fastInterval`, so start-up is
    /// neither a burst nor slow.
    mutating func startRunning(now: ContinuousClock.Instant) {
        running = true
        queue.removeAll()
        retired.removeAll()  // a new run starts a new engine, which holds no handles yet
        for (index, id) in order.enumerated() {
            guard var record = records[id] else { continue }
            record.inFlight = false
            records[id] = record
            let spread = record.target.check.timing.fastInterval * (Double(index) / Double(max(order.count, 1)))
            schedule(id, at: now + spread)
        }
    }

    mutating func stopRunning() {
        running = false
        queue.removeAll()
    }

    /// Takes every probe due at `now` (marking it in flight) into `work.jobs` (built by `job` from the
    /// record's id and check), sets the next deadline and hands over the ids of records dropped since the
    /// last call. Appends to the caller's buffers, so a steady turn allocates no arrays.
    mutating func takeDue(
        now: ContinuousClock.Instant,
        into work: inout ScheduledWork,
        job: (UInt64, HealthCheck) -> ProbeJob
    ) {
        if !retired.isEmpty {
            work.retired.append(contentsOf: retired)
            retired.removeAll(keepingCapacity: true)
        }
        while let first = queue.first, first.due <= now {
            _ = queue.popFirst()
            guard let record = records[first.id], record.stamp == first.stamp, !record.inFlight else { continue }
            records[first.id]?.inFlight = true
            work.jobs.append(job(first.id, record.target.check))
        }
        work.next = queue.first?.due
    }

    /// Applies a finished probe of record `id` that started at `started`; nil `result` means abandoned.
    /// Returns the record after the result, whether its state changed, and the first-round waiters to resume.
    mutating func complete(
        id: UInt64,
        started: ContinuousClock.Instant,
        result: ProbeResult?
    ) -> (record: BackendRecord, changed: Bool, reportChanged: Bool, resumed: [CheckedContinuation<Void, Never>])? {
        guard var record = records[id] else { return nil }
        record.inFlight = false
        guard let result else {
            records[id] = record
            return nil
        }
        let reportBefore = record.status.report
        let changed = record.apply(result)
        let reportChanged = record.status.report != reportBefore
        records[id] = record
        if changed || reportChanged { version += 1 }
        // A `none` check only ever succeeds: once healthy there is nothing left to learn, so it is not scheduled
        // again, and an idle server with many such backends has no periodic work for them.
        let settled = record.target.check.kind == .none && record.status.state == .healthy
        if running, !settled {
            schedule(id, at: started + record.nextDelay(random: Double.random(in: 0..<1, using: &random)))
        }
        return (records[id] ?? record, changed, reportChanged, takeWaitersIfFirstRoundDone(completing: id))
    }

    /// Marks `id` as having had its first result; when that finishes the round, hands back the waiters.
    mutating func takeWaitersIfFirstRoundDone(completing id: UInt64? = nil) -> [CheckedContinuation<Void, Never>] {
        if let id { pendingFirstRound.remove(id) }
        guard pendingFirstRound.isEmpty, !waiters.isEmpty else { return [] }
        defer { waiters.removeAll() }
        return Array(waiters.values)
    }

    private mutating func makeRecord(_ target: ProbeTarget) -> UInt64 {
        let id = nextID
        nextID += 1
        records[id] = BackendRecord(id: id, target: target)
        return id
    }

    private mutating func schedule(_ id: UInt64, at due: ContinuousClock.Instant) {
        guard var record = records[id] else { return }
        record.stamp &+= 1
        records[id] = record
        queue.insert(.init(due: due, id: id, stamp: record.stamp))
    }
}

import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import SwitchboardCore
import Synchronization

/// The background half of a ``PostgresLedger``: runs its connection pool, applies the schema at start, then every
/// ``StoreSettings/refreshInterval`` reads counts and drain flags, and every few refreshes heartbeats the replica,
/// reads the replica list and sweeps expired leases and old answers. While the store is unavailable it tries it
/// again each interval and, once it answers, writes back what was decided without it.
struct StoreSync: Service {
    let ledger: PostgresLedger
    /// Backend name → up, as this replica's health checker sees it; written with each heartbeat.
    var health: @Sendable () -> [String: Bool] = { [:] }

    private var client: PostgresClient { ledger.client }
    private var settings: StoreSettings { ledger.settings }
    private var logger: Logger { ledger.logger }

    func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let started = Date()
            guard try await connect(started: started) else { return }
            var tick = 0
            while !Task.isCancelled, !Task.isShuttingDownGracefully {
                if ledger.isAvailable {
                    await refresh(heartbeat: tick % settings.heartbeatEvery == 0, started: started)
                    // Calls decided without the store while it stayed available (an operation over budget).
                    if ledger.local.leaseCount > 0 { _ = await writeBack() }
                } else if (try? await ledger.operation("refresh", { try await client.query("SELECT 1", logger: logger) })) != nil {
                    await reconcile(started: started)
                }
                // Calls answered while the store was unavailable expire here; the store sweeps its own.
                _ = ledger.local.expire()
                tick += 1
                guard (try? await Task.sleep(for: settings.refreshInterval)) != nil else { break }
            }
        }
    }

    /// Applies the schema (retrying while the database cannot be reached) and registers the replica; false when
    /// shut down first.
    /// - Throws: ``StoreError`` for a schema this binary cannot use: the replica must not start.
    private func connect(started: Date) async throws -> Bool {
        var warned = false
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                let applied = try await withBudget(.seconds(10)) {
                    try await StoreSchema.migrate(client, logger: logger)
                }
                await refresh(heartbeat: true, started: started)
                if ledger.isAvailable {
                    logger.notice(
                        "store connected",
                        metadata: ["store": "\(settings.url)", "schema": "\(StoreSchema.latest)",
                                   "applied": "\(applied.map(String.init).joined(separator: ","))",
                                   "replica": "\(settings.replicaID)"]
                    )
                    return true
                }
            } catch let error as StoreError {
                logger.critical("store refused", metadata: ["store": "\(settings.url)", "error": "\(error)"])
                throw error
            } catch {
                // Shutting down stops the pool, which fails the attempt: not the store's doing.
                if Task.isShuttingDownGracefully { break }
                if !warned {
                    logger.error(
                        "store not reachable yet; retrying (not ready until it answers)",
                        metadata: ["store": "\(settings.url)", "error": "\(PostgresLedger.describe(error))"]
                    )
                    warned = true
                }
                ledger.view.withLock { $0.lastError = PostgresLedger.describe(error) }
            }
            guard (try? await Task.sleep(for: settings.refreshInterval)) != nil else { break }
        }
        return false
    }

    /// Reads counts and drain flags (and, with `heartbeat`, the replicas, after sweeping); marks the store
    /// available when it answers, unavailable when it does not.
    private func refresh(heartbeat: Bool, started: Date) async {
        do {
            let replicas = heartbeat ? try await beat(started: started) : nil
            ledger.view.withLock { $0.refreshStarted() }
            let counts = try await ledger.operation("refresh") { try await readCounts() }
            // Replicas, counts and state change together: `/status` never lists replicas while still `connecting`.
            let changed = ledger.view.withLock { view -> Bool in
                view.refreshed(counts)
                if let replicas { view.replicas = replicas }
                guard view.availability != .available else { return false }
                view.availability = .available
                view.since = Date()
                view.lastError = nil
                return true
            }
            if changed { ledger.metrics.available(true) }
        } catch {
            ledger.view.withLock { $0.refreshed(nil) }
            ledger.markUnavailable(error)
        }
    }

    private func readCounts() async throws -> [String: Occupancy] {
        let rows = try await client.query(
            """
            SELECT b.name, b.draining,
                   (SELECT count(*) FROM switchboard_leases l WHERE l.backend = b.name AND l.expires_at > now())
            FROM switchboard_backends b
            """, logger: logger
        )
        var counts: [String: Occupancy] = [:]
        for try await (name, draining, active) in rows.decode((String, Bool, Int).self) {
            counts[name] = Occupancy(active: active, draining: draining)
        }
        return counts
    }

    /// Heartbeats this replica, sweeps what has expired, and reads the replica list.
    private func beat(started: Date) async throws -> [ReplicaRecord] {
        let health = String(decoding: try JSONSerialization.data(withJSONObject: self.health(), options: .sortedKeys), as: UTF8.self)
        return try await ledger.operation("heartbeat") { [settings, logger] in
            try await client.query(
                """
                INSERT INTO switchboard_replicas (id, version, host, started_at, heartbeat_at, health)
                VALUES (\(settings.replicaID), \(settings.version), \(ProcessInfo.processInfo.hostName), \(started), now(),
                        \(health)::jsonb)
                ON CONFLICT (id) DO UPDATE SET version = excluded.version, host = excluded.host,
                    started_at = excluded.started_at, heartbeat_at = now(), health = excluded.health
                """, logger: logger
            )
            let expired = try await client.query(
                "DELETE FROM switchboard_leases WHERE expires_at <= now() RETURNING call_id, backend", logger: logger
            ).collect()
            for row in expired {
                let (callID, backend) = try row.decode((String, String).self)
                logger.info(
                    "call slot expired without call.ended",
                    metadata: ["call_id": .string(callID), "backend": .string(backend)]
                )
            }
            try await client.query(
                """
                DELETE FROM switchboard_deliveries
                WHERE stored_at < now() - \(settings.deliveryTTL.wholeMilliseconds) * interval '1 millisecond'
                """, logger: logger
            )
            try await client.query(
                "DELETE FROM switchboard_replicas WHERE heartbeat_at < now() - interval '1 day'", logger: logger
            )
            try await client.query(
                "DELETE FROM switchboard_ended WHERE ended_at < now() - interval '1 day'", logger: logger
            )
            var replicas: [ReplicaRecord] = []
            let rows = try await client.query(
                "SELECT id, version, host, started_at, heartbeat_at, health::text FROM switchboard_replicas ORDER BY id",
                logger: logger
            )
            for try await (id, version, host, startedAt, heartbeatAt, health) in rows.decode(
                (String, String, String, Date, Date, String).self
            ) {
                let view = (try? JSONSerialization.jsonObject(with: Data(health.utf8))) as? [String: Bool] ?? [:]
                replicas.append(ReplicaRecord(
                    id: id, version: version, host: host, startedAt: startedAt, heartbeatAt: heartbeatAt, health: view
                ))
            }
            return replicas
        }
    }

    /// The store answers again: writes back the calls this replica answered without it and the `call.ended`
    /// events it received meanwhile, makes the store available, then writes back the few decided during the
    /// switch. A call already in the store is not counted twice (its call ID is the lease's key), and every
    /// written-back lease keeps its expiry.
    private func reconcile(started: Date) async {
        guard let (answered, ended) = await writeBack() else { return }
        await refresh(heartbeat: true, started: started)
        guard ledger.isAvailable, let (late, lateEnded) = await writeBack() else { return }
        logger.notice(
            "store available again; wrote back what was decided without it",
            metadata: ["calls_answered": "\(answered + late)", "calls_ended": "\(ended + lateEnded)"]
        )
    }

    /// Writes this replica's local leases and pending releases to the store; nil when it failed (they stay).
    private func writeBack() async -> (answered: Int, ended: Int)? {
        let leases = ledger.local.leases()
        let releases = ledger.view.withLock { view in
            defer { view.pendingReleases = [] }
            return Array(view.pendingReleases)
        }
        guard !leases.isEmpty || !releases.isEmpty else { return (0, 0) }
        do {
            try await ledger.operation("reconcile") { [settings, logger] in
                if !leases.isEmpty {
                    try await client.query(
                        """
                        INSERT INTO switchboard_leases (call_id, backend, replica, expires_at)
                        SELECT call_id, backend, \(settings.replicaID), now() + lifetime * interval '1 millisecond'
                        FROM unnest(\(leases.map(\.callID)), \(leases.map(\.backend)),
                                    \(leases.map { $0.remaining.wholeMilliseconds })) AS l(call_id, backend, lifetime)
                        WHERE NOT EXISTS (SELECT 1 FROM switchboard_ended e WHERE e.call_id = l.call_id)
                        ON CONFLICT (call_id) DO NOTHING
                        """, logger: logger
                    )
                }
                if !releases.isEmpty {
                    // Marked ended too, so another replica's write-back cannot bring the slot back.
                    try await client.query(
                        """
                        WITH gone AS (DELETE FROM switchboard_leases WHERE call_id = ANY(\(releases)))
                        INSERT INTO switchboard_ended (call_id) SELECT unnest(\(releases)) ON CONFLICT (call_id) DO NOTHING
                        """, logger: logger
                    )
                }
            }
        } catch {
            ledger.view.withLock { view in
                view.pendingReleases.formUnion(releases)
                view.lastError = PostgresLedger.describe(error)
            }
            return nil
        }
        for lease in leases { ledger.local.releaseSlot(callID: lease.callID) }
        return (leases.count, releases.count)
    }
}

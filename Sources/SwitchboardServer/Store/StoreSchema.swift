import Logging
import PostgresNIO

/// The shared store's tables, as numbered migrations applied in order (docs/operations.md#schema).
///
/// `serve --store` applies the missing ones at start, and so does `switchboard store migrate`; both hold a
/// PostgreSQL advisory lock while they do, so replicas starting together apply each migration once. A database
/// whose schema is newer than this binary knows is refused: an older replica must not write to tables it does
/// not understand.
public enum StoreSchema {
    /// Key of the advisory lock held while migrating ("SWBD" in ASCII).
    static let lockKey: Int64 = 0x5357_4244

    /// The migrations, version 1 first, each a list of statements. Never edit one that has shipped: add the next.
    static let migrations: [[String]] = [[
        """
        CREATE TABLE switchboard_backends (
            name text PRIMARY KEY,
            draining boolean NOT NULL DEFAULT false,
            changed_at timestamptz NOT NULL DEFAULT now()
        )
        """,
        """
        CREATE TABLE switchboard_leases (
            call_id text PRIMARY KEY,
            backend text NOT NULL,
            replica text NOT NULL,
            taken_at timestamptz NOT NULL DEFAULT now(),
            expires_at timestamptz NOT NULL
        )
        """,
        "CREATE INDEX switchboard_leases_backend ON switchboard_leases (backend, expires_at)",
        // Calls whose call.ended arrived (kept a day): a replica that answered one without the store must not
        // write its slot back afterwards.
        """
        CREATE TABLE switchboard_ended (
            call_id text PRIMARY KEY,
            ended_at timestamptz NOT NULL DEFAULT now()
        )
        """,
        "CREATE INDEX switchboard_leases_expiry ON switchboard_leases (expires_at)",
        """
        CREATE TABLE switchboard_deliveries (
            request_id text PRIMARY KEY,
            digest text NOT NULL,
            route text,
            backend text,
            action text NOT NULL,
            url text,
            stored_at timestamptz NOT NULL DEFAULT now()
        )
        """,
        "CREATE INDEX switchboard_deliveries_stored ON switchboard_deliveries (stored_at)",
        """
        CREATE TABLE switchboard_replicas (
            id text PRIMARY KEY,
            version text NOT NULL,
            host text NOT NULL,
            started_at timestamptz NOT NULL,
            heartbeat_at timestamptz NOT NULL
        )
        """,
        """
        -- Takes a slot on p_backend for p_call, atomically: the backend's row is locked while its live leases are
        -- counted, so concurrent takers of one backend run one after another and never exceed p_limit (NULL: no
        -- limit). A call that holds a slot keeps it (moved if it was on another backend). Returns 'taken', 'full'
        -- or 'draining'.
        CREATE FUNCTION switchboard_take_slot(
            p_call text, p_backend text, p_limit bigint, p_lifetime_ms bigint, p_replica text
        ) RETURNS text LANGUAGE plpgsql AS $$
        DECLARE
            v_draining boolean;
            v_active bigint;
        BEGIN
            INSERT INTO switchboard_backends (name) VALUES (p_backend) ON CONFLICT (name) DO NOTHING;
            SELECT draining INTO v_draining FROM switchboard_backends WHERE name = p_backend FOR UPDATE;
            IF EXISTS (SELECT 1 FROM switchboard_leases
                       WHERE call_id = p_call AND backend = p_backend AND expires_at > now()) THEN
                RETURN 'taken';
            END IF;
            IF v_draining THEN
                RETURN 'draining';
            END IF;
            IF p_limit IS NOT NULL THEN
                SELECT count(*) INTO v_active FROM switchboard_leases
                    WHERE backend = p_backend AND expires_at > now();
                IF v_active >= p_limit THEN
                    RETURN 'full';
                END IF;
            END IF;
            INSERT INTO switchboard_leases (call_id, backend, replica, expires_at)
                VALUES (p_call, p_backend, p_replica, now() + p_lifetime_ms * interval '1 millisecond')
                ON CONFLICT (call_id) DO UPDATE SET backend = excluded.backend, replica = excluded.replica,
                    taken_at = now(), expires_at = excluded.expires_at;
            RETURN 'taken';
        END
        $$
        """,
        """
        -- One delivery in one round trip: its earlier answer if it was answered already ('retry', or 'conflict' for
        -- another body under the same request ID); else the slot on p_backend (when the decision named one and the
        -- call has an ID) and the answer stored ('fresh'). 'full' or 'draining' when the slot could not be taken
        -- (nothing stored: the replica decides again); 'raced' when another replica stored an answer for the same
        -- request ID meanwhile (its answer is returned; the slot taken here is the caller's to settle).
        CREATE FUNCTION switchboard_route(
            p_request text, p_digest text, p_ttl_ms bigint, p_call text, p_backend text, p_limit bigint,
            p_lifetime_ms bigint, p_replica text, p_route text, p_action text, p_url text
        ) RETURNS TABLE (outcome text, digest text, route text, backend text, action text, url text)
        LANGUAGE plpgsql AS $$
        #variable_conflict use_column
        DECLARE
            v_taken text;
            v_row switchboard_deliveries%ROWTYPE;
        BEGIN
            SELECT * INTO v_row FROM switchboard_deliveries d
                WHERE d.request_id = p_request AND d.stored_at > now() - p_ttl_ms * interval '1 millisecond';
            IF FOUND THEN
                RETURN QUERY SELECT CASE WHEN v_row.digest = p_digest THEN 'retry' ELSE 'conflict' END,
                    v_row.digest, v_row.route, v_row.backend, v_row.action, v_row.url;
                RETURN;
            END IF;
            IF p_backend IS NOT NULL AND p_call IS NOT NULL THEN
                v_taken := switchboard_take_slot(p_call, p_backend, p_limit, p_lifetime_ms, p_replica);
                IF v_taken <> 'taken' THEN
                    RETURN QUERY SELECT v_taken, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text;
                    RETURN;
                END IF;
            END IF;
            INSERT INTO switchboard_deliveries AS d (request_id, digest, route, backend, action, url)
                VALUES (p_request, p_digest, p_route, p_backend, p_action, p_url)
                ON CONFLICT (request_id) DO UPDATE SET digest = excluded.digest, route = excluded.route,
                    backend = excluded.backend, action = excluded.action, url = excluded.url, stored_at = now()
                WHERE d.stored_at <= now() - p_ttl_ms * interval '1 millisecond';
            IF FOUND THEN
                RETURN QUERY SELECT 'fresh', p_digest, p_route, p_backend, p_action, p_url;
                RETURN;
            END IF;
            SELECT * INTO v_row FROM switchboard_deliveries d WHERE d.request_id = p_request;
            RETURN QUERY SELECT 'raced', v_row.digest, v_row.route, v_row.backend, v_row.action, v_row.url;
        END
        $$
        """,
    ], [
        // Version 2: switchboard_route_many, the webhooks of one batch (StoreBatcher) in one statement.
        """
        -- Several deliveries in one transaction, in the order given, each as switchboard_route decides it; one row
        -- per entry, with its 1-based index. A request ID twice in one batch is answered as a retry (or a conflict)
        -- the second time.
        --
        -- Every lock the entries may need is taken first, in one order all batches follow, so batches of several
        -- replicas never deadlock: an advisory lock per request ID and call ID (sorted by hash), then the backends'
        -- rows (sorted by name). Each backend's live leases are counted once, under its row lock, and the count
        -- kept as the batch takes slots: no other taker can add to it meanwhile, and a slot freed meanwhile only
        -- makes it an overcount (the call is refused as it would have been a moment earlier).
        --
        -- p_waits_us is how long each entry's caller waits, from when the statement was sent: an entry reached past
        -- it (the batch waited for a lock, say) is 'expired', nothing taken or stored, since its caller has decided
        -- without the store meanwhile.
        CREATE FUNCTION switchboard_route_many(
            p_requests text[], p_digests text[], p_ttl_ms bigint, p_calls text[], p_backends text[], p_limits bigint[],
            p_lifetimes_ms bigint[], p_replica text, p_routes text[], p_actions text[], p_urls text[],
            p_waits_us bigint[]
        ) RETURNS TABLE (entry integer, outcome text, digest text, route text, backend text, action text, url text)
        LANGUAGE plpgsql AS $$
        #variable_conflict use_column
        DECLARE
            v_key integer;
            v_names text[] := '{}';
            v_draining boolean[] := '{}';
            v_active bigint[] := '{}';
            v_name text;
            v_flag boolean;
            v_count bigint;
            v_at integer;
            v_row switchboard_deliveries%ROWTYPE;
        BEGIN
            FOR v_key IN SELECT DISTINCT hashtext(k) FROM unnest(p_requests || p_calls) AS k
                         WHERE k IS NOT NULL ORDER BY 1 LOOP
                PERFORM pg_advisory_xact_lock(1398227524, v_key);
            END LOOP;
            FOR v_name IN SELECT DISTINCT b FROM unnest(p_backends) AS b WHERE b IS NOT NULL ORDER BY 1 LOOP
                INSERT INTO switchboard_backends (name) VALUES (v_name) ON CONFLICT (name) DO NOTHING;
                SELECT b.draining INTO v_flag FROM switchboard_backends b WHERE b.name = v_name FOR UPDATE;
                SELECT count(*) INTO v_count FROM switchboard_leases l WHERE l.backend = v_name AND l.expires_at > now();
                v_names := v_names || v_name;
                v_draining := v_draining || v_flag;
                v_active := v_active || v_count;
            END LOOP;
            FOR i IN 1 .. coalesce(array_length(p_requests, 1), 0) LOOP
                IF clock_timestamp() > statement_timestamp() + p_waits_us[i] * interval '1 microsecond' THEN
                    RETURN QUERY SELECT i, 'expired', NULL::text, NULL::text, NULL::text, NULL::text, NULL::text;
                    CONTINUE;
                END IF;
                SELECT * INTO v_row FROM switchboard_deliveries d
                    WHERE d.request_id = p_requests[i] AND d.stored_at > now() - p_ttl_ms * interval '1 millisecond';
                IF FOUND THEN
                    RETURN QUERY SELECT i, CASE WHEN v_row.digest = p_digests[i] THEN 'retry' ELSE 'conflict' END,
                        v_row.digest, v_row.route, v_row.backend, v_row.action, v_row.url;
                    CONTINUE;
                END IF;
                IF p_backends[i] IS NOT NULL AND p_calls[i] IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM switchboard_leases l WHERE l.call_id = p_calls[i]
                                   AND l.backend = p_backends[i] AND l.expires_at > now()) THEN
                    v_at := array_position(v_names, p_backends[i]);
                    IF v_draining[v_at] THEN
                        RETURN QUERY SELECT i, 'draining', NULL::text, NULL::text, NULL::text, NULL::text, NULL::text;
                        CONTINUE;
                    END IF;
                    IF p_limits[i] IS NOT NULL AND v_active[v_at] >= p_limits[i] THEN
                        RETURN QUERY SELECT i, 'full', NULL::text, NULL::text, NULL::text, NULL::text, NULL::text;
                        CONTINUE;
                    END IF;
                    INSERT INTO switchboard_leases (call_id, backend, replica, expires_at)
                        VALUES (p_calls[i], p_backends[i], p_replica,
                                now() + p_lifetimes_ms[i] * interval '1 millisecond')
                        ON CONFLICT (call_id) DO UPDATE SET backend = excluded.backend, replica = excluded.replica,
                            taken_at = now(), expires_at = excluded.expires_at;
                    v_active[v_at] := v_active[v_at] + 1;
                END IF;
                INSERT INTO switchboard_deliveries AS d (request_id, digest, route, backend, action, url)
                    VALUES (p_requests[i], p_digests[i], p_routes[i], p_backends[i], p_actions[i], p_urls[i])
                    ON CONFLICT (request_id) DO UPDATE SET digest = excluded.digest, route = excluded.route,
                        backend = excluded.backend, action = excluded.action, url = excluded.url, stored_at = now()
                    WHERE d.stored_at <= now() - p_ttl_ms * interval '1 millisecond';
                IF FOUND THEN
                    RETURN QUERY SELECT i, 'fresh', p_digests[i], p_routes[i], p_backends[i], p_actions[i], p_urls[i];
                    CONTINUE;
                END IF;
                SELECT * INTO v_row FROM switchboard_deliveries d WHERE d.request_id = p_requests[i];
                RETURN QUERY SELECT i, 'raced', v_row.digest, v_row.route, v_row.backend, v_row.action, v_row.url;
            END LOOP;
        END
        $$
        """,
    ], [
        // Version 3: call records (docs/operations.md#call-records), and each replica's view of backend health.
        """
        CREATE TABLE switchboard_calls (
            id bigserial PRIMARY KEY,
            decided_at timestamptz NOT NULL,
            request_id text NOT NULL,
            call_id text,
            caller text NOT NULL,
            number text NOT NULL,
            caller_full text,
            number_full text,
            route text,
            backend text,
            outcome text NOT NULL,
            reason text NOT NULL,
            replica text NOT NULL,
            table_version text NOT NULL
        )
        """,
        // Completions by call.ended, kept apart and only ever inserted: a record is written once and never
        // updated (an update would write every index again), and a call.ended that arrives before its record
        // simply waits here for it.
        """
        CREATE TABLE switchboard_call_ends (
            call_id text PRIMARY KEY,
            ended_at timestamptz NOT NULL,
            duration_seconds integer
        )
        """,
        "CREATE INDEX switchboard_calls_decided ON switchboard_calls (decided_at)",
        "CREATE INDEX switchboard_calls_caller ON switchboard_calls (caller, decided_at)",
        "CREATE INDEX switchboard_calls_number ON switchboard_calls (number, decided_at)",
        """
        CREATE INDEX switchboard_calls_caller_full ON switchboard_calls (caller_full, decided_at)
            WHERE caller_full IS NOT NULL
        """,
        """
        CREATE INDEX switchboard_calls_number_full ON switchboard_calls (number_full, decided_at)
            WHERE number_full IS NOT NULL
        """,
        "CREATE INDEX switchboard_calls_backend ON switchboard_calls (backend, decided_at)",
        "CREATE INDEX switchboard_calls_call ON switchboard_calls (call_id)",
        // Backend name → true (up) or false (down), as this replica's health checker sees it.
        "ALTER TABLE switchboard_replicas ADD COLUMN health jsonb NOT NULL DEFAULT '{}'",
    ], [
        // Version 4: every lease looked up by its call ID alone, so by the primary key whatever the planner
        // estimates. The check for a call's live slot also named the backend, and a cached plan could scan the
        // backend's whole (backend, expires_at) range for it; a release of several calls by `= ANY` was planned as a
        // sequential scan once the table looked small. Both grow with the live calls.
        //
        // switchboard_route_batch is switchboard_route_many with that lookup, and rows only for the entries not
        // stored fresh (at saturation almost every entry is fresh, and each row was a message to send and decode).
        // It is a new function, so replicas of the previous release keep calling switchboard_route_many, unchanged,
        // during a rolling update; a later migration can drop that one once no such replica runs.
        """
        CREATE FUNCTION switchboard_route_batch(
            p_requests text[], p_digests text[], p_ttl_ms bigint, p_calls text[], p_backends text[], p_limits bigint[],
            p_lifetimes_ms bigint[], p_replica text, p_routes text[], p_actions text[], p_urls text[],
            p_waits_us bigint[]
        ) RETURNS TABLE (entry integer, outcome text, digest text, route text, backend text, action text, url text)
        LANGUAGE plpgsql AS $$
        #variable_conflict use_column
        DECLARE
            v_key integer;
            v_names text[] := '{}';
            v_draining boolean[] := '{}';
            v_active bigint[] := '{}';
            v_name text;
            v_flag boolean;
            v_count bigint;
            v_at integer;
            v_row switchboard_deliveries%ROWTYPE;
            v_lease switchboard_leases%ROWTYPE;
        BEGIN
            FOR v_key IN SELECT DISTINCT hashtext(k) FROM unnest(p_requests || p_calls) AS k
                         WHERE k IS NOT NULL ORDER BY 1 LOOP
                PERFORM pg_advisory_xact_lock(1398227524, v_key);
            END LOOP;
            FOR v_name IN SELECT DISTINCT b FROM unnest(p_backends) AS b WHERE b IS NOT NULL ORDER BY 1 LOOP
                INSERT INTO switchboard_backends (name) VALUES (v_name) ON CONFLICT (name) DO NOTHING;
                SELECT b.draining INTO v_flag FROM switchboard_backends b WHERE b.name = v_name FOR UPDATE;
                SELECT count(*) INTO v_count FROM switchboard_leases l WHERE l.backend = v_name AND l.expires_at > now();
                v_names := v_names || v_name;
                v_draining := v_draining || v_flag;
                v_active := v_active || v_count;
            END LOOP;
            FOR i IN 1 .. coalesce(array_length(p_requests, 1), 0) LOOP
                IF clock_timestamp() > statement_timestamp() + p_waits_us[i] * interval '1 microsecond' THEN
                    entry := i; outcome := 'expired'; RETURN NEXT;
                    CONTINUE;
                END IF;
                SELECT * INTO v_row FROM switchboard_deliveries d
                    WHERE d.request_id = p_requests[i] AND d.stored_at > now() - p_ttl_ms * interval '1 millisecond';
                IF FOUND THEN
                    entry := i;
                    outcome := CASE WHEN v_row.digest = p_digests[i] THEN 'retry' ELSE 'conflict' END;
                    digest := v_row.digest; route := v_row.route; backend := v_row.backend;
                    action := v_row.action; url := v_row.url;
                    RETURN NEXT;
                    digest := NULL; route := NULL; backend := NULL; action := NULL; url := NULL;
                    CONTINUE;
                END IF;
                IF p_backends[i] IS NOT NULL AND p_calls[i] IS NOT NULL THEN
                    SELECT * INTO v_lease FROM switchboard_leases l WHERE l.call_id = p_calls[i];
                    IF NOT FOUND OR v_lease.backend <> p_backends[i] OR v_lease.expires_at <= now() THEN
                        v_at := array_position(v_names, p_backends[i]);
                        IF v_draining[v_at] THEN
                            entry := i; outcome := 'draining'; RETURN NEXT;
                            CONTINUE;
                        END IF;
                        IF p_limits[i] IS NOT NULL AND v_active[v_at] >= p_limits[i] THEN
                            entry := i; outcome := 'full'; RETURN NEXT;
                            CONTINUE;
                        END IF;
                        INSERT INTO switchboard_leases (call_id, backend, replica, expires_at)
                            VALUES (p_calls[i], p_backends[i], p_replica,
                                    now() + p_lifetimes_ms[i] * interval '1 millisecond')
                            ON CONFLICT (call_id) DO UPDATE SET backend = excluded.backend, replica = excluded.replica,
                                taken_at = now(), expires_at = excluded.expires_at;
                        v_active[v_at] := v_active[v_at] + 1;
                    END IF;
                END IF;
                INSERT INTO switchboard_deliveries AS d (request_id, digest, route, backend, action, url)
                    VALUES (p_requests[i], p_digests[i], p_routes[i], p_backends[i], p_actions[i], p_urls[i])
                    ON CONFLICT (request_id) DO UPDATE SET digest = excluded.digest, route = excluded.route,
                        backend = excluded.backend, action = excluded.action, url = excluded.url, stored_at = now()
                    WHERE d.stored_at <= now() - p_ttl_ms * interval '1 millisecond';
                IF FOUND THEN
                    CONTINUE;  -- stored fresh: no row, the caller's default
                END IF;
                SELECT * INTO v_row FROM switchboard_deliveries d WHERE d.request_id = p_requests[i];
                entry := i; outcome := 'raced';
                digest := v_row.digest; route := v_row.route; backend := v_row.backend;
                action := v_row.action; url := v_row.url;
                RETURN NEXT;
                digest := NULL; route := NULL; backend := NULL; action := NULL; url := NULL;
            END LOOP;
        END
        $$
        """,
        """
        CREATE OR REPLACE FUNCTION switchboard_take_slot(
            p_call text, p_backend text, p_limit bigint, p_lifetime_ms bigint, p_replica text
        ) RETURNS text LANGUAGE plpgsql AS $$
        DECLARE
            v_draining boolean;
            v_active bigint;
            v_lease switchboard_leases%ROWTYPE;
        BEGIN
            INSERT INTO switchboard_backends (name) VALUES (p_backend) ON CONFLICT (name) DO NOTHING;
            SELECT draining INTO v_draining FROM switchboard_backends WHERE name = p_backend FOR UPDATE;
            SELECT * INTO v_lease FROM switchboard_leases WHERE call_id = p_call;
            IF FOUND AND v_lease.backend = p_backend AND v_lease.expires_at > now() THEN
                RETURN 'taken';
            END IF;
            IF v_draining THEN
                RETURN 'draining';
            END IF;
            IF p_limit IS NOT NULL THEN
                SELECT count(*) INTO v_active FROM switchboard_leases
                    WHERE backend = p_backend AND expires_at > now();
                IF v_active >= p_limit THEN
                    RETURN 'full';
                END IF;
            END IF;
            INSERT INTO switchboard_leases (call_id, backend, replica, expires_at)
                VALUES (p_call, p_backend, p_replica, now() + p_lifetime_ms * interval '1 millisecond')
                ON CONFLICT (call_id) DO UPDATE SET backend = excluded.backend, replica = excluded.replica,
                    taken_at = now(), expires_at = excluded.expires_at;
            RETURN 'taken';
        END
        $$
        """,
        """
        -- A batch of call.ended events: each call's slot deleted (the backend it freed returned) and every call
        -- marked ended, so a replica that answered one without the store does not write its slot back. The caller
        -- sends the IDs sorted, so two batches ending the same calls lock their rows in one order.
        CREATE FUNCTION switchboard_release_many(p_calls text[])
        RETURNS TABLE (call_id text, backend text) LANGUAGE plpgsql AS $$
        #variable_conflict use_column
        DECLARE
            v_call text;
            v_backend text;
        BEGIN
            FOREACH v_call IN ARRAY p_calls LOOP
                DELETE FROM switchboard_leases l WHERE l.call_id = v_call RETURNING l.backend INTO v_backend;
                IF FOUND THEN
                    call_id := v_call; backend := v_backend; RETURN NEXT;
                END IF;
            END LOOP;
            INSERT INTO switchboard_ended (call_id) SELECT unnest(p_calls) ON CONFLICT (call_id) DO NOTHING;
        END
        $$
        """,
    ]]

    /// The newest schema version this binary knows.
    public static var latest: Int { migrations.count }

    /// Where a database's schema stands.
    public struct Status: Sendable, Equatable, CustomStringConvertible {
        /// The applied version (0: none).
        public var version: Int
        public var latest: Int

        public var description: String {
            if version == latest { return "schema at version \(version), as this switchboard expects" }
            if version < latest { return "schema at version \(version); this switchboard needs \(latest): run `switchboard store migrate`" }
            return "schema at version \(version) is newer than this switchboard knows (\(latest)): upgrade switchboard"
        }
    }

    /// Applies the missing migrations under the advisory lock; returns the versions applied.
    /// - Throws: ``StoreError`` when the schema is newer than this binary, or a database error.
    @discardableResult
    public static func migrate(_ client: PostgresClient, logger: Logger) async throws -> [Int] {
        try await client.withConnection { connection in
            _ = try await connection.query("SELECT pg_advisory_lock(\(lockKey))", logger: logger)
            do {
                let applied = try await migrateLocked(connection, logger: logger)
                _ = try await connection.query("SELECT pg_advisory_unlock(\(lockKey))", logger: logger)
                return applied
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(lockKey))", logger: logger)
                throw error
            }
        }
    }

    /// The database's schema version against this binary's.
    public static func status(_ client: PostgresClient, logger: Logger) async throws -> Status {
        try await client.withConnection { connection in
            Status(version: try await version(connection, logger: logger), latest: latest)
        }
    }

    private static func migrateLocked(_ connection: PostgresConnection, logger: Logger) async throws -> [Int] {
        _ = try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS switchboard_migrations (
                version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())
            """, logger: logger
        )
        let current = try await version(connection, logger: logger)
        guard current <= latest else { throw StoreError(Status(version: current, latest: latest).description) }
        var applied: [Int] = []
        for version in stride(from: current + 1, through: latest, by: 1) {
            try await connection.withTransaction(logger: logger) { connection in
                for statement in migrations[version - 1] {
                    _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                _ = try await connection.query(
                    "INSERT INTO switchboard_migrations (version) VALUES (\(version))", logger: logger
                )
            }
            applied.append(version)
        }
        return applied
    }

    private static func version(_ connection: PostgresConnection, logger: Logger) async throws -> Int {
        let exists = try await connection.query(
            "SELECT to_regclass('switchboard_migrations') IS NOT NULL", logger: logger
        ).collect()
        guard try exists.first?.decode(Bool.self) == true else { return 0 }
        let rows = try await connection.query(
            "SELECT coalesce(max(version), 0)::integer FROM switchboard_migrations", logger: logger
        ).collect()
        return try rows.first?.decode(Int.self) ?? 0
    }
}

/// A problem with the shared store that an operator must fix (schema, URL); its text never holds a password.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }
}

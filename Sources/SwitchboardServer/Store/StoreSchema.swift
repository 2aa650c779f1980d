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

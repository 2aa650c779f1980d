import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A PostgreSQL database of its own for one test, on a real server.
///
/// `scripts/test.sh` starts one throwaway cluster for the whole run (`scripts/test-postgres.sh`) and exports where
/// it is (`SWITCHBOARD_TEST_PG*`); each test creates a database with a unique name on it. Run outside that script,
/// or with `private: true` (a test that stops and starts its server), the test gets a cluster of its own from the
/// same script, stopped by ``remove()``.
public final class TestDatabase: Sendable {
    public let name: String
    /// The cluster's socket directory.
    public let socketDirectory: String
    public let port: Int
    public let user: String
    /// The CA that signed the server's certificate for 127.0.0.1 (`sslmode=verify-full`).
    public let certificateAuthority: String
    /// The PostgreSQL binaries (`pg_ctl`).
    let binaries: String
    /// The cluster's directory when this test owns the cluster.
    let privateCluster: String?

    /// The repository's `scripts/test-postgres.sh`.
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/test-postgres.sh").path

    public init(private isPrivate: Bool = false) async throws {
        var environment = ProcessInfo.processInfo.environment
        if isPrivate || environment["SWITCHBOARD_TEST_PGHOST"] == nil {
            let started = try await Self.shell([Self.script, "start"])
            environment = Self.exports(started)
            privateCluster = environment["SWITCHBOARD_TEST_PGDIR"]
        } else {
            privateCluster = nil
        }
        guard let host = environment["SWITCHBOARD_TEST_PGHOST"], let port = environment["SWITCHBOARD_TEST_PGPORT"].flatMap(Int.init),
            let user = environment["SWITCHBOARD_TEST_PGUSER"], let ca = environment["SWITCHBOARD_TEST_PGCA"],
            let binaries = environment["SWITCHBOARD_TEST_PGBIN"]
        else { throw DatabaseError(message: "scripts/test-postgres.sh gave no cluster") }
        socketDirectory = host
        self.port = port
        self.user = user
        certificateAuthority = ca
        self.binaries = binaries
        name = "switchboard_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        _ = try await sql("CREATE DATABASE \(name)", database: "postgres")
    }

    /// The URL `serve --store` takes, over the socket; `password` is put in it (the server trusts local users, so
    /// any password works: tests use it to check that it is never printed).
    public func url(password: String? = nil) -> String {
        "postgres://\(user)\(password.map { ":\($0)" } ?? "")@/\(name)?host=\(socketDirectory)&port=\(port)&sslmode=disable"
    }

    /// The URL over TCP to 127.0.0.1 with TLS.
    public func tlsURL(sslmode: String, rootCertificate: String? = nil) -> String {
        "postgres://\(user)@127.0.0.1:\(port)/\(name)?sslmode=\(sslmode)"
            + (rootCertificate.map { "&sslrootcert=\($0)" } ?? "")
    }

    /// Runs `statement` with psql; returns its unaligned, tuples-only output, trimmed.
    @discardableResult
    public func sql(_ statement: String, database: String? = nil) async throws -> String {
        try await Self.shell([
            "psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", socketDirectory, "-p", "\(port)", "-U", user,
            "-d", database ?? name, "-c", statement,
        ]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Stops the server (a private cluster only), as an outage would.
    public func stopServer() async throws {
        guard let privateCluster else { throw DatabaseError(message: "only a private cluster can be stopped") }
        try await asOwner(["\(binaries)/pg_ctl", "-D", "\(privateCluster)/data", "-m", "fast", "-w", "stop"])
    }

    /// Starts it again on the same port and socket; a failure carries the end of the server's log.
    public func startServer() async throws {
        guard let privateCluster else { throw DatabaseError(message: "only a private cluster can be started") }
        do {
            try await asOwner([
                "\(binaries)/pg_ctl", "-D", "\(privateCluster)/data", "-l", "\(privateCluster)/server.log", "-w", "start",
            ])
        } catch let error as DatabaseError {
            let log = (try? String(contentsOfFile: "\(privateCluster)/server.log", encoding: .utf8)) ?? ""
            let tail = log.split(separator: "\n").suffix(10).joined(separator: "\n")
            throw DatabaseError(message: "\(error.message)\nserver.log:\n\(tail)")
        }
    }

    /// Drops the database, or stops and removes a private cluster.
    public func remove() async {
        if let privateCluster {
            _ = try? await Self.shell([Self.script, "stop", privateCluster])
        } else {
            _ = try? await sql("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", database: "postgres")
        }
    }

    private func asOwner(_ command: [String]) async throws {
        _ = try await Self.shell(getuid() == 0 ? ["runuser", "-u", user, "--"] + command : command)
    }

    /// `export A='x' B='y'` → ["A": "x", "B": "y"].
    static func exports(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) where word.contains("=") {
            let parts = word.split(separator: "=", maxSplits: 1)
            values[String(parts[0])] = String(parts[1]).trimmingCharacters(in: CharacterSet(charactersIn: "'"))
        }
        return values
    }

    /// Runs a command to completion; its standard output, or an error with both outputs.
    ///
    /// Spawned and reaped directly (`posix_spawnp`, `waitpid`): Foundation's `Process` did not always notice the
    /// exit of a script that starts a daemon (`pg_ctl start`).
    static func shell(_ command: [String]) async throws -> String {
        let scratch = try Scratch()
        let out = scratch.path("out"), err = scratch.path("err")
        let script = command.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
            + " >'\(out)' 2>'\(err)' </dev/null"
        let status = try await blocking { () throws -> Int32 in
            var pid: pid_t = 0
            let arguments = ["/bin/sh", "-c", script]
            var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
            defer { for pointer in argv { free(pointer) } }
            let spawned = posix_spawn(&pid, "/bin/sh", nil, nil, &argv, environ)
            guard spawned == 0 else { throw DatabaseError(message: "cannot start /bin/sh: \(spawned)") }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            return status
        }
        let output = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        guard status == 0 else {
            let errors = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
            throw DatabaseError(message: "\(command.joined(separator: " ")) failed:\n\(output)\(errors)")
        }
        return output
    }
}

public struct DatabaseError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

import Foundation
import NIOSSL
import PostgresNIO

/// A PostgreSQL connection URL as libpq users write it (docs/operations.md#shared-state):
/// `postgres://user:password@host:port/database?sslmode=require&sslrootcert=/etc/ssl/db-ca.pem`, or a socket
/// directory with `?host=/var/run/postgresql`.
///
/// `sslmode` is `disable`, `prefer` (the default, as in libpq), `require` (encrypted, certificate not checked),
/// `verify-ca` (signed by `sslrootcert`, or the system's roots) or `verify-full` (also the host name).
/// ``description`` never shows the password.
public struct StoreURL: Sendable, CustomStringConvertible {
    public enum SSLMode: String, Sendable, CaseIterable {
        case disable, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public enum Endpoint: Sendable, Equatable {
        case tcp(host: String, port: Int)
        /// A socket directory; the socket is `.s.PGSQL.<port>` in it.
        case socket(directory: String, port: Int)
    }

    public var endpoint: Endpoint
    public var username: String
    public var password: String?
    public var database: String?
    public var sslMode: SSLMode
    /// `sslrootcert`: the CA file that `verify-ca` and `verify-full` trust.
    public var rootCertificate: String?

    /// Reads the URL; the error names the problem without repeating the URL (it may hold a password).
    public init(_ text: String) throws(StoreURLError) {
        guard let components = URLComponents(string: text) else { throw StoreURLError("not a URL") }
        guard components.scheme == "postgres" || components.scheme == "postgresql" else {
            throw StoreURLError("the scheme must be postgres:// or postgresql://")
        }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] {
            guard let value = item.value else { throw StoreURLError("query parameter '\(item.name)' has no value") }
            query[item.name] = value
        }
        let known: Set = ["sslmode", "sslrootcert", "host", "port", "user", "password", "dbname"]
        if let unknown = query.keys.sorted().first(where: { !known.contains($0) }) {
            throw StoreURLError("unknown parameter '\(unknown)' (known: \(known.sorted().joined(separator: ", ")))")
        }
        guard let username = query["user"] ?? components.user.flatMap({ $0.removingPercentEncoding }), !username.isEmpty else {
            throw StoreURLError("no user name (postgres://USER@host/db)")
        }
        self.username = username
        password = query["password"] ?? components.password.flatMap { $0.removingPercentEncoding }
        let path = components.path.drop { $0 == "/" }
        database = query["dbname"] ?? (path.isEmpty ? nil : String(path).removingPercentEncoding)
        let portText = query["port"] ?? components.port.map(String.init) ?? "5432"
        guard let port = Int(portText), (1...65535).contains(port) else { throw StoreURLError("bad port '\(portText)'") }
        let host = query["host"] ?? components.host.flatMap { $0.removingPercentEncoding } ?? ""
        if host.hasPrefix("/") {
            endpoint = .socket(directory: host, port: port)
        } else {
            guard !host.isEmpty else { throw StoreURLError("no host (postgres://user@HOST/db, or ?host=/socket/dir)") }
            endpoint = .tcp(host: host, port: port)
        }
        let mode = query["sslmode"] ?? "prefer"
        guard let sslMode = SSLMode(rawValue: mode) else {
            throw StoreURLError(
                "sslmode must be one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", ")), not '\(mode)'"
            )
        }
        self.sslMode = sslMode
        rootCertificate = query["sslrootcert"]
        if rootCertificate != nil, sslMode != .verifyCA, sslMode != .verifyFull {
            throw StoreURLError("sslrootcert needs sslmode=verify-ca or verify-full")
        }
    }

    /// The URL with the password replaced by `***`, for logs, `/status` and errors.
    public var description: String {
        var text = "postgres://\(username)\(password == nil ? "" : ":***")@"
        switch endpoint {
        case .tcp(let host, let port): text += host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .socket: text += ""
        }
        text += "/\(database ?? "")"
        var parameters: [String] = []
        if case .socket(let directory, let port) = endpoint {
            parameters.append("host=\(directory)")
            if port != 5432 { parameters.append("port=\(port)") }
        }
        parameters.append("sslmode=\(sslMode.rawValue)")
        if let rootCertificate { parameters.append("sslrootcert=\(rootCertificate)") }
        return text + "?" + parameters.joined(separator: "&")
    }

    /// PostgresNIO's client configuration for this URL.
    /// - Throws: `StoreURLError` when the root certificate cannot be read.
    public func clientConfiguration() throws(StoreURLError) -> PostgresClient.Configuration {
        switch endpoint {
        case .socket(let directory, let port):
            // TLS over a local socket is neither offered by PostgreSQL nor needed.
            return PostgresClient.Configuration(
                unixSocketPath: "\(directory)/.s.PGSQL.\(port)", username: username, password: password,
                database: database
            )
        case .tcp(let host, let port):
            // verify-full checks the certificate against `host` (PostgresNIO sends it as the TLS server name unless
            // it is an IP address, which SNI does not allow).
            return PostgresClient.Configuration(
                host: host, port: port, username: username, password: password, database: database, tls: try tls()
            )
        }
    }

    private func tls() throws(StoreURLError) -> PostgresClient.Configuration.TLS {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch sslMode {
        case .disable: return .disable
        case .prefer, .require: tls.certificateVerification = .none
        case .verifyCA: tls.certificateVerification = .noHostnameVerification
        case .verifyFull: tls.certificateVerification = .fullVerification
        }
        if let rootCertificate {
            do {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(rootCertificate))
            } catch {
                throw StoreURLError("cannot read sslrootcert \(rootCertificate): \(error)")
            }
        }
        return sslMode == .prefer ? .prefer(tls) : .require(tls)
    }
}

/// Why a store URL was refused; never contains the URL itself.
public struct StoreURLError: Error, Sendable, CustomStringConvertible {
    public var description: String

    init(_ reason: String) { description = "store URL: \(reason)" }
}

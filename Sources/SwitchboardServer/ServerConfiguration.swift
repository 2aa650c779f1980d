import Foundation
/// Everything `switchboard serve` needs; every parameter has the documented default (docs/cli.md).
public struct ServerConfiguration: Sendable {
    /// `host:port` split for binding.
    public struct Address: Sendable, Hashable, CustomStringConvertible {
        public var host: String
        public var port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        /// Parses `HOST:PORT` (`[::1]:8080` for IPv6); nil when malformed.
        public init?(_ text: String) {
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
                (0...65535).contains(port)
            else { return nil }
            var host = String(text[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty else { return nil }
            self.init(host: host, port: port)
        }

        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

        /// Whether only this machine can reach the address: `localhost`, `127.0.0.0/8` or `::1`.
        public var isLoopback: Bool {
            let host = host.lowercased()
            return host == "localhost" || host == "::1" || host.hasPrefix("127.")
        }
    }

    public var routesPath: String
    public var listen: Address
    public var adminListen: Address
    public var webhookPath: String
    /// Where Inkbox posts its events (`call.ended` releases a call's slot).
    public var eventsPath: String
    /// Signing keys; any of them may sign a delivery (rotation).
    public var signingKeys: [String]
    /// `SWITCHBOARD_ADMIN_TOKEN`: protects the admin listener when set.
    public var adminToken: String?
    /// Largest accepted webhook body in bytes.
    public var maxBodySize: Int
    /// Most deliveries remembered for retries.
    public var deliveryCacheCapacity: Int
    /// Values for `${ENV}` in the routes file.
    public var environment: [String: String]
    /// Watch the routes file and the certificate files, and reload each on change.
    public var watchRoutes: Bool
    /// Timeouts and connection cap of the webhook listener.
    public var webhookLimits = ListenerLimits()
    /// Timeouts and connection cap of the admin listener.
    public var adminLimits = ListenerLimits.admin
    /// How long a graceful shutdown may wait for open connections before closing them.
    public var shutdownTimeout: Duration = .seconds(10)
    /// `--tls-cert`/`--tls-key`: HTTPS on the webhook listener; nil for plain HTTP.
    public var webhookTLS: CertificateStore.Files?
    /// `--admin-tls-cert`/`--admin-tls-key`: HTTPS on the admin listener; nil for plain HTTP.
    public var adminTLS: CertificateStore.Files?
    /// `--store`: call slots, drain flags and retry answers shared through PostgreSQL; nil keeps them in this
    /// process's memory.
    public var store: StoreSettings?
    /// The wall-clock time webhook decisions use for `time:` and `calendar:` conditions (tests route "on a holiday"
    /// with it; signature timestamps always use the real clock).
    public var routingClock: @Sendable () -> Date = { Date() }

    public init(
        routesPath: String = "routes.yaml",
        listen: Address = Address(host: "0.0.0.0", port: 8080),
        adminListen: Address = Address(host: "127.0.0.1", port: 9090),
        webhookPath: String = "/webhooks/incoming-call",
        eventsPath: String = "/webhooks/events",
        signingKeys: [String] = [],
        adminToken: String? = nil,
        maxBodySize: Int = 65_536,
        deliveryCacheCapacity: Int = 50_000,
        environment: [String: String] = [:],
        watchRoutes: Bool = true
    ) {
        self.routesPath = routesPath
        self.listen = listen
        self.adminListen = adminListen
        self.webhookPath = webhookPath
        self.eventsPath = eventsPath
        self.signingKeys = signingKeys
        self.adminToken = adminToken
        self.maxBodySize = maxBodySize
        self.deliveryCacheCapacity = deliveryCacheCapacity
        self.environment = environment
        self.watchRoutes = watchRoutes
    }
}

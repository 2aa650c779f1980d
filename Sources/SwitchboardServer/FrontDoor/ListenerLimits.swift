/// Timeouts and the connection cap of one listener (docs/http.md, "Limits"; flags in docs/cli.md).
public struct ListenerLimits: Sendable, Hashable {
    /// How long a keep-alive connection may sit idle between requests before it is closed.
    public var idleTimeout: Duration
    /// How long a new connection has to deliver its first request head (TLS handshake included).
    public var headerTimeout: Duration
    /// How long a request's body may take to arrive in full, counted from the end of its head.
    public var bodyTimeout: Duration
    /// Most connections open at once; a connection over the cap is accepted and closed at once.
    public var maxConnections: Int

    /// The webhook listener's defaults, like nginx's for an internet-facing server.
    public init(
        idleTimeout: Duration = .seconds(60),
        headerTimeout: Duration = .seconds(10),
        bodyTimeout: Duration = .seconds(10),
        maxConnections: Int = 10_000
    ) {
        self.idleTimeout = idleTimeout
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.maxConnections = maxConnections
    }

    /// The admin listener's defaults: the webhook listener's timeouts and a small cap.
    public static let admin = ListenerLimits(maxConnections: 64)
}

/// Where the demo agent backend listens and what it calls itself.
public struct DemoBackendConfiguration: Sendable, Hashable {
    /// Address to bind (loopback by default).
    public var host: String
    /// Port to bind; 0 picks a free one (learn it from `onServerRunning`).
    public var port: Int
    /// Reported by `GET /` and as the `Server` header, so demos can tell backends apart.
    public var name: String
    /// When not empty, a WebSocket upgrade must carry `X-Call-Context` signed with one of these keys, the way Inkbox
    /// signs its connection to a backend; any other upgrade is refused with 401.
    public var signingKeys: [String]

    /// - Parameters:
    ///   - host: address to bind.
    ///   - port: port to bind, 0 for any free port.
    ///   - name: the backend's name in answers.
    ///   - signingKeys: require a signed upgrade (any of these keys); empty accepts every upgrade.
    public init(host: String = "127.0.0.1", port: Int = 9001, name: String = "demo", signingKeys: [String] = []) {
        self.host = host
        self.port = port
        self.name = name
        self.signingKeys = signingKeys
    }
}

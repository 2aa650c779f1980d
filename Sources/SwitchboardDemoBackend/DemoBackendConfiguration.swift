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
    /// The first answer of `GET /report` (a `report: json` health check reads it); `POST /report` replaces it.
    public var report: String

    /// - Parameters:
    ///   - host: address to bind.
    ///   - port: port to bind, 0 for any free port.
    ///   - name: the backend's name in answers.
    ///   - signingKeys: require a signed upgrade (any of these keys); empty accepts every upgrade.
    ///   - report: the JSON body `GET /report` serves at first.
    public init(
        host: String = "127.0.0.1", port: Int = 9001, name: String = "demo", signingKeys: [String] = [],
        report: String = #"{"status":"ok"}"#
    ) {
        self.host = host
        self.port = port
        self.name = name
        self.signingKeys = signingKeys
        self.report = report
    }

    /// A report body from its three optional fields: `{"status":"full","load":0.5,"max_calls":8}`.
    public static func report(status: String?, load: Double?, maxCalls: Int?) -> String {
        var fields: [String] = []
        if let status { fields.append(#""status":"\#(status)""#) }
        if let load { fields.append(#""load":\#(load)"#) }
        if let maxCalls { fields.append(#""max_calls":\#(maxCalls)"#) }
        return "{" + fields.joined(separator: ",") + "}"
    }
}

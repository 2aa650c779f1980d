/// How one backend is probed: the check kind and its timing.
///
/// Built from `routes.yaml` (`health:` at the top level, overridden per backend). Two
/// checks are equal when a probe would behave identically, which is what decides whether
/// a backend's health survives a reload.
public struct HealthCheck: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// HTTP/1.1 upgrade handshake to `url`; healthy only on `101` with a correct `Sec-WebSocket-Accept`.
        case websocket
        /// `GET url`; healthy when the status is in `expect` (empty means any 2xx).
        case http(expect: [Int], headers: [Header])
        /// TCP connect only.
        case tcp
        /// Never probed, always healthy.
        case none
    }

    public struct Header: Sendable, Hashable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public var kind: Kind
    /// The URL the probe contacts (`http://`, `https://`, `ws://` or `wss://`; for `tcp` only host and port matter).
    public var url: String
    public var timing: HealthTiming
    /// Verify the peer's TLS certificate (default true).
    public var tlsVerify: Bool
    /// A PEM bundle of CA certificates to verify against instead of the system store.
    public var caFile: String?
    /// `websocket` checks: send a synthetic `X-Call-Context` signed with the first signing key, the way Inkbox
    /// signs its connection to a backend (docs/routes.md#health-checks).
    public var sign: Bool
    /// `report: json` (`http` checks): the body is the backend's own report of its state (``BackendReport``).
    public var readsReport = false

    public init(
        kind: Kind, url: String, timing: HealthTiming = .init(), tlsVerify: Bool = true, caFile: String? = nil,
        sign: Bool = false
    ) {
        self.kind = kind
        self.url = url
        self.timing = timing
        self.tlsVerify = tlsVerify
        self.caFile = caFile
        self.sign = sign
    }
}

/// Probe cadence and thresholds (`routes.yaml` `health:`); every parameter has the documented default (docs/routes.md).
public struct HealthTiming: Sendable, Hashable {
    /// Time between probes while the state is settled.
    public var interval: Duration
    /// A probe that has not finished by then fails with reason `timeout`.
    public var timeout: Duration
    /// Consecutive successes that make a backend healthy.
    public var rise: Int
    /// Consecutive failures that make a backend unhealthy.
    public var fall: Int
    /// Time between probes while the state is changing (after a result that disagrees with the state).
    public var fastInterval: Duration
    /// Random spread applied to every interval, as a fraction (0.1 = ±10 %).
    public var jitter: Double

    public init(
        interval: Duration = .seconds(2),
        timeout: Duration = .seconds(1),
        rise: Int = 2,
        fall: Int = 2,
        fastInterval: Duration = .milliseconds(500),
        jitter: Double = 0.1
    ) {
        self.interval = interval
        self.timeout = timeout
        self.rise = rise
        self.fall = fall
        self.fastInterval = fastInterval
        self.jitter = jitter
    }
}

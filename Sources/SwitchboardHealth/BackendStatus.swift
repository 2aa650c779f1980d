import Foundation
import SwitchboardCore

/// What the router knows about a backend: the health checker's verdict.
public enum BackendState: String, Sendable, Hashable, Codable {
    /// No verdict yet (just started or just added). Eligible for calls.
    case unknown
    case healthy
    case unhealthy

    /// Whether the router may send calls to a backend in this state.
    public var isEligible: Bool { self != .unhealthy }
}

/// Why a probe failed. The raw values are the `reason` labels of the probe-failure metric.
public enum ProbeFailureReason: String, Sendable, Hashable, Codable, CaseIterable {
    /// Connection refused or reset before an answer.
    case refused
    /// No complete answer within the check's timeout.
    case timeout
    /// The host name did not resolve.
    case dns
    /// TLS handshake or certificate verification failed.
    case tls
    /// An HTTP answer with a status outside `expect`.
    case status
    /// A WebSocket upgrade that did not end in `101` with the correct `Sec-WebSocket-Accept`.
    case handshake
    /// Anything else: garbage instead of HTTP, an unsupported URL, an internal curl error.
    case `protocol`
    /// `report: json`: the body is not a valid report.
    case report
}

/// The outcome of one probe. A failure is data, not a thrown error.
public struct ProbeResult: Sendable, Hashable {
    /// nil when the probe succeeded.
    public var failure: ProbeFailureReason?
    /// A short human-readable explanation (curl's message, the status seen, …); empty on success.
    public var detail: String
    /// Time from starting the probe to its result.
    public var latency: Duration
    /// When the result arrived.
    public var at: Date
    /// What the backend reported about itself (`report: json` checks that succeeded).
    public var report: BackendReport?

    public var ok: Bool { failure == nil }

    public init(failure: ProbeFailureReason?, detail: String = "", latency: Duration, at: Date = Date()) {
        self.failure = failure
        self.detail = detail
        self.latency = latency
        self.at = at
    }

    public static func success(latency: Duration, at: Date = Date(), report: BackendReport? = nil) -> ProbeResult {
        var result = ProbeResult(failure: nil, latency: latency, at: at)
        result.report = report
        return result
    }

    public static func failure(_ reason: ProbeFailureReason, _ detail: String, latency: Duration, at: Date = Date())
        -> ProbeResult
    {
        ProbeResult(failure: reason, detail: detail, latency: latency, at: at)
    }
}

/// One backend's health as `/status`, `probe` and the router see it.
public struct BackendStatus: Sendable, Hashable {
    public var name: String
    public var url: String
    public var state: BackendState
    public var lastProbe: ProbeResult?
    public var consecutiveSuccesses: Int
    public var consecutiveFailures: Int
    /// The last report of a `report: json` check; nil after a failed probe.
    public var report: BackendReport?

    public init(
        name: String,
        url: String,
        state: BackendState = .unknown,
        lastProbe: ProbeResult? = nil,
        consecutiveSuccesses: Int = 0,
        consecutiveFailures: Int = 0
    ) {
        self.name = name
        self.url = url
        self.state = state
        self.lastProbe = lastProbe
        self.consecutiveSuccesses = consecutiveSuccesses
        self.consecutiveFailures = consecutiveFailures
    }
}

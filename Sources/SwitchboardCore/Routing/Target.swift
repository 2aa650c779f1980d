/// Where a route, or a fallback, sends a call.
public enum Target: Sendable, Hashable {
    /// An index into `RoutingTable.backends`.
    case backend(Int)
    /// An index into `RoutingTable.pools`.
    case pool(Int)
    /// `{"action":"reject"}`
    case reject
    /// `{"action":"answer"}` without a URL: Inkbox uses the number's configured URL.
    case numberDefault

    static let keywords: Set<String> = ["reject", "number_default"]
}

/// A WebSocket agent server calls can be sent to.
public struct Backend: Sendable {
    public var name: String
    public var url: URLTemplate
    /// Share of calls under `weighted` and `sticky` (default 1).
    public var weight: Int
    /// Where calls go when this backend is the target and it is down.
    public var fallback: Target?
    public var check: HealthCheck
    /// Live calls this backend takes at once, per Switchboard process (`max_calls`); nil means no limit.
    public var maxCalls: Int?
    /// How long a call's slot is held when no `call.ended` releases it (`max_call_duration`, default 2 h).
    public var maxCallDuration: Duration = Backend.defaultMaxCallDuration

    public static let defaultMaxCallDuration: Duration = .seconds(2 * 3600)

    public var probeTarget: ProbeTarget { ProbeTarget(name: name, check: check) }
}

/// A group of backends with a selection strategy.
public struct Pool: Sendable {
    public var name: String
    /// Indices into `RoutingTable.backends`, in the order written.
    public var members: [Int]
    public var strategy: Strategy
    /// Where calls go when no member is healthy (and `panic` is off).
    public var fallback: Target?
    /// When no member is healthy, choose as if all were.
    public var panic: Bool
    let selector: PoolSelector
}

/// How a pool picks one of its healthy members.
public enum Strategy: String, Sendable, CaseIterable {
    /// The first healthy member in order: failover.
    case priority
    /// Healthy members in turn.
    case roundRobin = "round_robin"
    /// Smooth weighted round robin by `weight`.
    case weighted
    /// Weighted rendezvous hashing on the caller.
    case sticky
    /// The member with the lowest utilisation (live calls ÷ limit, or its reported load); ties in table order.
    case leastLoaded = "least_loaded"
}

/// The health verdict the router reads: eligibility per backend index, and what backends report about
/// themselves (`report: json`). An immutable value, swapped whole.
public struct HealthView: Sendable, Hashable {
    private var eligible: [Bool]
    /// Empty when no backend reports; else one entry per backend index.
    private var reports: [BackendReport?]

    public init(eligible: [Bool], reports: [BackendReport?] = []) {
        self.eligible = eligible
        self.reports = reports.contains { $0 != nil } ? reports : []
    }

    /// Every backend eligible (the state before any probe result).
    public static func allEligible(_ count: Int) -> HealthView { HealthView(eligible: Array(repeating: true, count: count)) }

    public subscript(backend: Int) -> Bool { backend < eligible.count ? eligible[backend] : true }

    /// The backend's last report, when its check reads one.
    public func report(_ backend: Int) -> BackendReport? { backend < reports.count ? reports[backend] : nil }

    /// This view with the given backends down as well (`explain --down`); reports are kept.
    public func withDown(_ backends: some Sequence<Int>) -> HealthView {
        var view = self
        for backend in backends where backend < view.eligible.count { view.eligible[backend] = false }
        return view
    }
}

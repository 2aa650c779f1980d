import Foundation
import PostgresNIO
import SwitchboardCore

/// How `serve` uses the shared store (`--store` and its options; docs/cli.md#serve).
public struct StoreSettings: Sendable {
    /// What a replica does with a call while the store is unavailable (`--store-unavailable`).
    public enum Unavailable: String, Sendable, CaseIterable {
        /// Decide from the counts last read from the store plus this replica's own calls since; write them back
        /// when the store returns.
        case local
        /// Reject the call.
        case reject
    }

    public var url: StoreURL
    public var unavailable: Unavailable = .local
    /// Connections to the database at most (`--store-pool-size`).
    public var poolSize = 10
    /// How long one operation on the request path may wait for the database (`--store-budget`).
    public var budget: Duration = .milliseconds(150)
    /// This replica's name in `switchboard_replicas` and in `/status` (`--replica-id`).
    public var replicaID: String
    /// The running release, shown beside the replica.
    public var version: String
    /// How often counts and drain flags are read again, and the store retried while unavailable.
    public var refreshInterval: Duration = .milliseconds(500)
    /// How often the replica heartbeats and expired leases are swept, in refreshes.
    public var heartbeatEvery = 4
    /// How long a delivery's answer is kept for retries.
    public var deliveryTTL: Duration = DeliveryCache.defaultTTL
    /// Call records (`--call-records`, on by default); nil when off.
    public var records: CallRecordSettings? = CallRecordSettings()

    public init(url: StoreURL, replicaID: String, version: String) {
        self.url = url
        self.replicaID = replicaID
        self.version = version
    }

    /// This host's name and process ID: unique among replicas on one machine, and the pod's name in Kubernetes.
    public static var defaultReplicaID: String {
        "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
    }

    func clientConfiguration() throws(StoreURLError) -> PostgresClient.Configuration {
        var configuration = try url.clientConfiguration()
        configuration.options.maximumConnections = poolSize
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }
}

/// Whether the request path uses the store.
public enum StoreAvailability: String, Sendable {
    /// Not reached yet since start (the schema is not checked yet): `/readyz` answers 503.
    case connecting
    case available
    /// An operation failed; calls follow the `--store-unavailable` policy until the store answers again.
    case unavailable
}

/// One replica as it heartbeats in `switchboard_replicas`.
public struct ReplicaRecord: Sendable, Hashable {
    public var id: String
    public var version: String
    public var host: String
    public var startedAt: Date
    public var heartbeatAt: Date
    /// Backend name → whether this replica's health checker sees it up, as of its last heartbeat.
    public var health: [String: Bool] = [:]
}

/// The store's state as `/status` shows it.
public struct StoreStatus: Sendable {
    /// The URL without its password.
    public var url: String
    public var availability: StoreAvailability
    public var since: Date
    public var lastError: String?
    public var policy: StoreSettings.Unavailable
    public var replicaID: String
    public var replicas: [ReplicaRecord]

    /// Replicas whose heartbeat is this recent count in ``healthDisagreements``; older ones may be gone.
    public static let liveReplicaWindow: TimeInterval = 30

    /// Backends that live replicas see differently (up at some, down at others), by name: the replicas of each
    /// side. A replica that does not know a backend (a table not reloaded yet) takes no side.
    public func healthDisagreements(now: Date = Date()) -> [(backend: String, up: [String], down: [String])] {
        let live = replicas.filter { now.timeIntervalSince($0.heartbeatAt) <= Self.liveReplicaWindow }
        let backends = Set(live.flatMap(\.health.keys)).sorted()
        return backends.compactMap { backend in
            let up = live.filter { $0.health[backend] == true }.map(\.id)
            let down = live.filter { $0.health[backend] == false }.map(\.id)
            return up.isEmpty || down.isEmpty ? nil : (backend, up, down)
        }
    }
}

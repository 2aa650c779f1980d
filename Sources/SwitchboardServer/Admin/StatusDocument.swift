import Foundation
import SwitchboardCore
import SwitchboardHealth

/// The `/status` JSON (shape in docs/http.md); absent values are `null`, never missing keys.
enum StatusDocument {
    static func json(
        state: RoutingState, statuses: [BackendStatus], decisions: [DecisionRecord],
        occupancies: [String: Occupancy] = [:],
        certificates: [String: CertificateStore] = [:],
        history: ProbeHistory? = nil,
        decisionsByRoute: [String?: Int] = [:],
        store: StoreStatus? = nil
    ) -> String {
        let snapshot = state.snapshot
        let byName = Dictionary(statuses.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        // `tls`: per HTTPS listener, the certificate in use and the last failed reload; null without HTTPS.
        let tls: Any = certificates.isEmpty ? NSNull() : certificates.mapValues { store -> [String: Any] in
            let status = store.status
            return [
                "certificate_not_after": timestamp(status.notAfter),
                "loaded_at": timestamp(status.loadedAt),
                "last_error": nullable(status.lastError),
            ]
        }
        var document: [String: Any] = [
            "tls": tls,
            "table": [
                "version": snapshot.table.version,
                "loaded_at": timestamp(snapshot.loadedAt),
                "last_reload_error": nullable(state.lastReloadError),
                "last_reload": nullable(state.lastReload.map { reload in
                    [
                        "trigger": reload.trigger,
                        "at": timestamp(reload.at),
                        "result": reload.success ? "success" : "failure",
                        "duration_ms": reload.duration.milliseconds,
                    ] as [String: Any]
                }),
            ],
            "backends": snapshot.table.backends.enumerated().map { index, backend in
                let status = byName[backend.name]
                let occupancy = occupancies[backend.name] ?? .idle
                let table = snapshot.table, health = snapshot.health
                return [
                    "availability": table.availability(of: index, health: health, occupancy: occupancy).rawValue,
                    "active_calls": occupancy.active,
                    "max_calls": nullable(table.limit(of: index, health: health)),
                    "load": (table.utilisation(of: index, health: health, occupancy: occupancy) * 1000).rounded() / 1000,
                    "drain": nullable(DrainController.drainState(occupancy)),
                    "report": nullable(health.report(index).map { report in
                        [
                            "status": report.status.rawValue,
                            "load": nullable(report.load),
                            "max_calls": nullable(report.maxCalls),
                        ] as [String: Any]
                    }),
                    "name": backend.name,
                    "url": backend.url.redacted,
                    "state": (status?.state ?? .unknown).rawValue,
                    "last_probe": nullable(status?.lastProbe.map { probe in
                        [
                            "ok": probe.ok,
                            "reason": nullable(probe.failure?.rawValue),
                            "latency_ms": probe.latency.milliseconds,
                            "at": timestamp(probe.at),
                        ] as [String: Any]
                    }),
                    "consecutive_successes": status?.consecutiveSuccesses ?? 0,
                    "consecutive_failures": status?.consecutiveFailures ?? 0,
                ] as [String: Any]
            },
            "decisions": decisions.map { record in
                [
                    "at": timestamp(record.at),
                    "request_id": record.requestID,
                    "call_id": nullable(record.callID),
                    "caller": record.caller,
                    "number": record.number,
                    "route": nullable(record.route),
                    "backend": nullable(record.backend),
                    "outcome": record.outcome,
                ] as [String: Any]
            },
        ]
        addTableOrder(to: &document, table: snapshot.table, state: state, history: history, decisionsByRoute: decisionsByRoute)
        addStore(to: &document, store)
        let data = try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])
        return data.map { String(decoding: $0, as: UTF8.self) } ?? #"{"error":"status could not be encoded"}"#
    }

    /// Additions for the operator page (docs/http.md): how the table was loaded, probe latency history, and
    /// the pools and routes in table order with decisions per route since start.
    private static func addTableOrder(
        to document: inout [String: Any], table: RoutingTable, state: RoutingState, history: ProbeHistory?,
        decisionsByRoute: [String?: Int]
    ) {
        if var summary = document["table"] as? [String: Any] {
            summary["loaded_by"] = state.loadedBy
            summary["last_reload_error_at"] = nullable(state.lastReloadErrorAt.map(timestamp))
            summary["fallback"] = table.name(of: table.fallback)
            summary["unmatched_decisions"] = decisionsByRoute[nil] ?? 0
            document["table"] = summary
        }
        if let history, let backends = document["backends"] as? [[String: Any]] {
            document["backends"] = backends.map { backend in
                var backend = backend
                let name = backend["name"] as? String ?? ""
                backend["recent_latencies_ms"] = history.latencies(of: name).map { nullable($0) }
                return backend
            }
        }
        document["pools"] = table.pools.map { pool in
            [
                "name": pool.name,
                "strategy": pool.strategy.rawValue,
                "members": pool.members.map { table.backends[$0].name },
                "fallback": nullable(pool.fallback.map { table.name(of: $0) }),
                "panic": pool.panic,
            ] as [String: Any]
        }
        document["routes"] = table.routes.map { route in
            [
                "name": route.name,
                "target": table.name(of: route.target),
                "strategy": nullable(route.strategy?.rawValue),
                "fallback": nullable(route.fallback.map { table.name(of: $0) }),
                "decisions": decisionsByRoute[route.name] ?? 0,
            ] as [String: Any]
        }
    }

    /// `store` (null without one) and `replicas`: every replica sharing the store, this one marked `self`;
    /// without a store, only this process.
    private static func addStore(to document: inout [String: Any], _ store: StoreStatus?) {
        guard let store else {
            document["store"] = NSNull()
            document["replicas"] = [] as [Any]
            return
        }
        document["store"] = [
            "url": store.url,
            "state": store.availability.rawValue,
            "since": timestamp(store.since),
            "last_error": nullable(store.lastError),
            "unavailable_policy": store.policy.rawValue,
            "health_disagreements": store.healthDisagreements().map { disagreement in
                ["backend": disagreement.backend, "up": disagreement.up, "down": disagreement.down] as [String: Any]
            },
        ] as [String: Any]
        document["replicas"] = store.replicas.map { replica in
            [
                "id": replica.id,
                "version": replica.version,
                "host": replica.host,
                "started_at": timestamp(replica.startedAt),
                "heartbeat_at": timestamp(replica.heartbeatAt),
                "self": replica.id == store.replicaID,
                "backends_down": replica.health.filter { !$0.value }.keys.sorted(),
            ] as [String: Any]
        }
    }

    private static func nullable(_ value: Any?) -> Any { value ?? NSNull() }

    private static func timestamp(_ date: Date) -> String { date.formatted(.iso8601) }
}

import Foundation
import SwitchboardCore
import SwitchboardHealth

/// The `/status` JSON (shape in docs/http.md); absent values are `null`, never missing keys.
enum StatusDocument {
    static func json(
        state: RoutingState, statuses: [BackendStatus], decisions: [DecisionRecord],
        occupancies: [String: Occupancy] = [:],
        certificates: [String: CertificateStore] = [:]
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
        let document: [String: Any] = [
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
        let data = try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])
        return data.map { String(decoding: $0, as: UTF8.self) } ?? #"{"error":"status could not be encoded"}"#
    }

    private static func nullable(_ value: Any?) -> Any { value ?? NSNull() }

    private static func timestamp(_ date: Date) -> String { date.formatted(.iso8601) }
}

import Foundation
import SwitchboardCore
import SwitchboardHealth

/// The `/status` JSON (shape in docs/http.md); absent values are `null`, never missing keys.
enum StatusDocument {
    static func json(state: RoutingState, statuses: [BackendStatus], decisions: [DecisionRecord]) -> String {
        let snapshot = state.snapshot
        let byName = Dictionary(statuses.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        let document: [String: Any] = [
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
            "backends": snapshot.table.backends.map { backend in
                let status = byName[backend.name]
                return [
                    "name": backend.name,
                    "url": backend.url.source,
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

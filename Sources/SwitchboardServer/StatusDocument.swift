import Foundation
import SwitchboardCore

/// The `/status` JSON (SPEC §6 shape).
struct StatusDocument: Encodable {
    struct Table: Encodable {
        var version: String
        var loadedAt: Date
        var lastReloadError: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(version, forKey: .version)
            try container.encode(loadedAt, forKey: .loadedAt)
            try container.encode(lastReloadError, forKey: .lastReloadError)
        }

        enum CodingKeys: String, CodingKey {
            case version
            case loadedAt = "loaded_at"
            case lastReloadError = "last_reload_error"
        }
    }

    struct Probe: Encodable {
        var ok: Bool
        var reason: String?
        var latencyMs: Double
        var at: Date

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(ok, forKey: .ok)
            try container.encode(reason, forKey: .reason)
            try container.encode(latencyMs, forKey: .latencyMs)
            try container.encode(at, forKey: .at)
        }

        enum CodingKeys: String, CodingKey {
            case ok, reason, at
            case latencyMs = "latency_ms"
        }
    }

    struct Backend: Encodable {
        var name: String
        var url: String
        var state: String
        var lastProbe: Probe?
        var consecutiveSuccesses: Int
        var consecutiveFailures: Int

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(url, forKey: .url)
            try container.encode(state, forKey: .state)
            try container.encode(lastProbe, forKey: .lastProbe)
            try container.encode(consecutiveSuccesses, forKey: .consecutiveSuccesses)
            try container.encode(consecutiveFailures, forKey: .consecutiveFailures)
        }

        enum CodingKeys: String, CodingKey {
            case name, url, state
            case lastProbe = "last_probe"
            case consecutiveSuccesses = "consecutive_successes"
            case consecutiveFailures = "consecutive_failures"
        }
    }

    struct Decision: Encodable {
        var record: DecisionRecord

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(record.at, forKey: .at)
            try container.encode(record.requestID, forKey: .requestID)
            try container.encode(record.callID, forKey: .callID)
            try container.encode(record.caller, forKey: .caller)
            try container.encode(record.number, forKey: .number)
            try container.encode(record.route, forKey: .route)
            try container.encode(record.backend, forKey: .backend)
            try container.encode(record.outcome, forKey: .outcome)
        }

        enum CodingKeys: String, CodingKey {
            case at, caller, number, route, backend, outcome
            case requestID = "request_id"
            case callID = "call_id"
        }
    }

    var table: Table
    var backends: [Backend]
    var decisions: [Decision]

    init(state: RoutingState, statuses: [BackendStatus], decisions: [DecisionRecord]) {
        let snapshot = state.snapshot
        table = Table(version: snapshot.table.version, loadedAt: snapshot.loadedAt, lastReloadError: state.lastReloadError)
        let byName = Dictionary(statuses.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        backends = snapshot.table.backends.map { backend in
            let status = byName[backend.name]
            return Backend(
                name: backend.name, url: backend.url.source, state: (status?.state ?? .unknown).rawValue,
                lastProbe: status?.lastProbe.map { probe in
                    Probe(
                        ok: probe.ok, reason: probe.failure?.rawValue,
                        latencyMs: Double(DecisionLog.microseconds(probe.latency)) / 1000, at: probe.at
                    )
                },
                consecutiveSuccesses: status?.consecutiveSuccesses ?? 0,
                consecutiveFailures: status?.consecutiveFailures ?? 0
            )
        }
        self.decisions = decisions.map(Decision.init)
    }

    func json() -> String {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(self)) ?? Data(#"{"error":"status could not be encoded"}"#.utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

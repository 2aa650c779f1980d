import Foundation

extension Explanation {
    /// The decision trace as one JSON object with sorted keys: what `switchboard explain --json` prints and
    /// `GET /admin/explain` answers (docs/cli.md, docs/http.md).
    ///
    /// Keys: `caller`, `number` (as given, `null` when absent), `matched_route`, `skipped` (`route`, `condition`,
    /// `reason` for each earlier route, in table order), `steps` (how the target resolved), `route`, `backend` and
    /// `answer` (the exact webhook answer, as an object).
    public func json(call: IncomingCall) -> String {
        let answer = (try? JSONSerialization.jsonObject(with: Data(redactedAnswer.utf8))) ?? [:]
        let object: [String: Any] = [
            "caller": call.caller ?? NSNull(),
            "number": call.number ?? NSNull(),
            "matched_route": matchedRoute ?? NSNull(),
            "skipped": skipped.map { ["route": $0.route, "condition": $0.condition, "reason": $0.reason] },
            "steps": steps,
            "route": decision.route ?? NSNull(),
            "backend": decision.backend ?? NSNull(),
            "answer": answer,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}

extension Explanation {
    /// The answer's JSON with the backend URL's userinfo and query values hidden: an explanation may be pasted
    /// anywhere, so it never shows a secret expanded from the environment.
    public var redactedAnswer: String {
        guard case .answer(let url) = decision.answer else { return decision.answer.json }
        return WebhookAnswer.answer(url: URLRedaction.redact(url)).json
    }
}

extension RoutingTable {
    /// `health` with the named backends treated as down, for `explain --down` and `GET /admin/explain`.
    /// - Returns: nil with the first name that is not a backend of this table.
    public func health(_ health: HealthView, down names: [String]) -> Result<HealthView, UnknownBackend> {
        var indices: [Int] = []
        for name in names {
            guard let index = backendIndex(named: name) else { return .failure(UnknownBackend(name: name, table: self)) }
            indices.append(index)
        }
        return .success(health.withDown(indices))
    }
}

/// A backend name that the table does not have.
public struct UnknownBackend: Error, Sendable, CustomStringConvertible {
    public var name: String
    /// Every backend of the table, in table order.
    public var known: [String]

    init(name: String, table: RoutingTable) {
        self.name = name
        self.known = table.backends.map(\.name)
    }

    public var description: String { "\(name): no such backend (backends: \(known.joined(separator: ", ")))" }
}

import ArgumentParser
import Foundation
import SwitchboardCore

/// `switchboard explain`: which route a call matches, why the earlier ones did not, and the exact answer.
struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show how a call would be routed: the matched route, why earlier routes failed, the answer."
    )

    @OptionGroup var options: RoutesOptions

    @Option(help: "The caller's number (remote_phone_number).")
    var caller: String?

    @Option(help: "The called Inkbox number (local_phone_number).")
    var number: String?

    @Option(help: "A webhook body to route; --caller and --number override its numbers.")
    var payload: String?

    @Option(help: "The instant to route at, ISO 8601 (2026-01-14T15:00:00Z). Default: now.")
    var at: String?

    @Option(help: "Treat this backend as down (repeat for several).")
    var down: [String] = []

    @Flag(help: "Print one JSON object for scripts.")
    var json = false

    func run() throws {
        let table = try options.load()
        var call = IncomingCall()
        if let payload {
            guard let data = FileManager.default.contents(atPath: payload) else {
                throw ValidationError("cannot read --payload \(payload)")
            }
            do {
                call = try IncomingCall(json: data)
            } catch {
                throw ValidationError("--payload \(payload) is not a webhook body: \(error)")
            }
        }
        if let caller { call.caller = caller }
        if let number { call.number = number }
        var instant = Date()
        if let at {
            guard let parsed = try? Date(at, strategy: .iso8601) else {
                throw ValidationError("--at must be an ISO 8601 instant like 2026-01-14T15:00:00Z, not '\(at)'")
            }
            instant = parsed
        }
        var eligible = Array(repeating: true, count: table.backends.count)
        for name in down {
            guard let index = table.backendIndex(named: name) else {
                let names = table.backends.map(\.name).joined(separator: ", ")
                throw ValidationError("--down \(name): no such backend (backends: \(names))")
            }
            eligible[index] = false
        }
        let explanation = table.explain(call, health: HealthView(eligible: eligible), at: instant)
        print(json ? ExplainReport.json(explanation, call: call) : ExplainReport.text(explanation, call: call, down: down))
    }
}

/// Renders an `Explanation` for a person or for a script.
enum ExplainReport {
    static func text(_ explanation: Explanation, call: IncomingCall, down: [String]) -> String {
        var lines = ["call: caller \(call.caller ?? "(none)") → number \(call.number ?? "(none)")"]
        if !down.isEmpty { lines.append("down: \(down.joined(separator: ", "))") }
        lines.append("")
        lines.append("routes:")
        for skipped in explanation.skipped {
            lines.append("  ✗ \(skipped.route): \(skipped.condition) — \(skipped.reason)")
        }
        if let matched = explanation.matchedRoute {
            lines.append("  ✓ \(matched)")
        } else {
            lines.append("  (no route matched)")
        }
        lines.append("")
        lines.append("resolution:")
        lines += explanation.steps.map { "  \($0)" }
        lines.append("")
        lines.append("answer:")
        lines.append(redactedAnswer(explanation))
        return lines.joined(separator: "\n")
    }

    /// The answer's JSON with the backend URL's userinfo and query values hidden: explain output may be pasted
    /// anywhere, so it never shows a secret expanded from the environment.
    static func redactedAnswer(_ explanation: Explanation) -> String {
        guard case .answer(let url) = explanation.decision.answer else { return explanation.decision.answer.json }
        return WebhookAnswer.answer(url: URLRedaction.redact(url)).json
    }

    static func json(_ explanation: Explanation, call: IncomingCall) -> String {
        let answer = (try? JSONSerialization.jsonObject(with: Data(redactedAnswer(explanation).utf8))) ?? [:]
        let object: [String: Any] = [
            "caller": call.caller ?? NSNull(),
            "number": call.number ?? NSNull(),
            "matched_route": explanation.matchedRoute ?? NSNull(),
            "skipped": explanation.skipped.map { ["route": $0.route, "condition": $0.condition, "reason": $0.reason] },
            "steps": explanation.steps,
            "route": explanation.decision.route ?? NSNull(),
            "backend": explanation.decision.backend ?? NSNull(),
            "answer": answer,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}

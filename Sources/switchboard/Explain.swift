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
        let health: HealthView
        switch table.health(.allEligible(table.backends.count), down: down) {
        case .success(let view): health = view
        case .failure(let unknown): throw ValidationError("--down \(unknown)")
        }
        let explanation = table.explain(call, health: health, at: instant)
        print(json ? explanation.json(call: call) : ExplainReport.text(explanation, call: call, down: down))
    }
}

/// Renders an `Explanation` for a person (`Explanation.json(call:)` renders it for a script).
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
        lines.append(explanation.redactedAnswer)
        return lines.joined(separator: "\n")
    }
}

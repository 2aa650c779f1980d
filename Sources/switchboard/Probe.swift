import ArgumentParser
import Foundation
import Logging
import SwitchboardCore
import SwitchboardHealth

/// `switchboard probe`: one round of health checks, printed as a table; exit 1 when any backend is down.
struct Probe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one round of health checks and print a table; exit 1 if any backend is down."
    )

    @OptionGroup var options: RoutesOptions

    func run() async throws {
        let table = try options.load()
        let targets = table.probeTargets
        let results = await probeOnce(targets, signingKeys: environmentSigningKeys(), logger: Logger(label: "switchboard.probe", factory: { _ in SwiftLogNoOpLogHandler() }))
        var rows = [["BACKEND", "CHECK", "RESULT", "LATENCY", "REASON"]]
        for (target, result) in zip(targets, results) {
            rows.append([
                target.name,
                "\(Self.kindName(target.check.kind)) \(target.check.kind == .none ? "" : URLRedaction.redact(target.check.url))",
                result.ok ? "up" : "down",
                String(format: "%.1f ms", result.latency.milliseconds),
                result.failure.map { "\($0.rawValue): \(URLRedaction.redactURLs(in: result.detail))" } ?? "",
            ])
        }
        printTable(rows)
        let downCount = results.filter { !$0.ok }.count
        if downCount > 0 {
            printError("\(downCount) of \(results.count) backends down")
            throw ExitCode(1)
        }
    }

    static func kindName(_ kind: HealthCheck.Kind) -> String {
        switch kind {
        case .websocket: "websocket"
        case .http: "http"
        case .tcp: "tcp"
        case .none: "none"
        }
    }
}

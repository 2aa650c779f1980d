import ArgumentParser
import Foundation

/// `switchboard`: routes Inkbox incoming-call webhooks to healthy WebSocket agent backends.
@main
struct SwitchboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboard",
        abstract: "Routes Inkbox incoming-call webhooks to healthy WebSocket agent backends.",
        version: switchboardVersion,
        subcommands: [
            Serve.self, Validate.self, Explain.self, Probe.self, Sign.self, DemoBackend.self, Drain.self, Undrain.self,
            Inkbox.self, Store.self, Calls.self, ShowCalendar.self,
        ]
    )

    /// Runs the command; argument errors exit 2 (docs/cli.md) instead of ArgumentParser's 64.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            guard code == .validationFailure else { exit(withError: error) }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(2)
        }
    }
}

/// The release this binary is (printed by `switchboard --version`, and in release archive names).
let switchboardVersion = "0.2.0"

/// The keys in `SWITCHBOARD_SIGNING_KEY` (comma-separated during a rotation), trimmed, empty ones dropped.
func environmentSigningKeys(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
    (environment["SWITCHBOARD_SIGNING_KEY"] ?? "").split(separator: ",")
        .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}

/// Writes a line to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

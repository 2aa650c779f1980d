import ArgumentParser
import Foundation
import SwitchboardCore

/// `switchboard validate FILE`: exit 0 when valid, 1 when not (every problem on stderr), 2 on usage errors.
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a routes file and report every problem as FILE:LINE:COL: message."
    )

    @Argument(help: "The routes file.")
    var file: String

    func run() throws {
        do {
            let table = try RoutingTable.load(path: file)
            for warning in table.warnings { printError(warning.description) }
            print(
                "\(file): valid (\(table.routes.count) routes, \(table.backends.count) backends, "
                    + "\(table.pools.count) pools, version \(table.version))"
            )
        } catch {
            for diagnostic in error.diagnostics { printError(diagnostic.description) }
            let count = error.errors.count
            printError("\(file): invalid (\(count) problem\(count == 1 ? "" : "s"))")
            throw ExitCode(1)
        }
    }
}

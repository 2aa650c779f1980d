import ArgumentParser
import SwitchboardCore

/// `--routes FILE`, shared by the commands that read a routing table.
struct RoutesOptions: ParsableArguments {
    @Option(help: "The routes file.")
    var routes = "routes.yaml"

    /// Loads the table; an invalid one prints every problem and exits 1.
    func load() throws -> RoutingTable {
        try Self.load(routes)
    }

    /// Loads the table at `path`; an invalid one prints every problem and exits 1.
    static func load(_ path: String) throws -> RoutingTable {
        do {
            let table = try RoutingTable.load(path: path)
            for warning in table.warnings { printError(warning.description) }
            return table
        } catch {
            for diagnostic in error.diagnostics { printError(diagnostic.description) }
            throw ExitCode(1)
        }
    }
}

import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import SwitchboardServer

/// `--store URL` (or `SWITCHBOARD_STORE_URL`), shared by `serve` and the `store` commands.
struct StoreOptions: ParsableArguments {
    @Option(
        name: .customLong("store"),
        help: ArgumentHelp(
            "PostgreSQL URL shared by every replica (postgres://user:password@host:5432/db?sslmode=require); "
                + "default: SWITCHBOARD_STORE_URL, else call slots stay in this process.",
            valueName: "url"
        )
    )
    var store: String?

    /// The URL from `--store` or the environment; nil when neither is set. A malformed one exits 2 with a reason
    /// that never repeats the URL.
    func url(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> StoreURL? {
        guard let text = store ?? environment["SWITCHBOARD_STORE_URL"].flatMap({ $0.isEmpty ? nil : $0 }) else {
            return nil
        }
        do {
            return try StoreURL(text)
        } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
    }

    /// The URL, required (the `store` commands); exits 2 without one.
    func requiredURL() throws -> StoreURL {
        guard let url = try url() else {
            printError("no store: pass --store postgres://… or set SWITCHBOARD_STORE_URL")
            throw ExitCode(2)
        }
        return url
    }
}

/// `switchboard store migrate|check`: the shared store's schema, for operators who apply it separately.
struct Store: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply or check the shared store's schema.",
        subcommands: [Migrate.self, Check.self]
    )

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply the schema migrations this switchboard knows (serve --store also does at start)."
        )

        @OptionGroup var options: StoreOptions

        func run() async throws {
            let url = try options.requiredURL()
            let applied = try await withStoreClient(url) { client, logger in
                try await StoreSchema.migrate(client, logger: logger)
            }
            print(
                applied.isEmpty
                    ? "\(url): schema already at version \(StoreSchema.latest)"
                    : "\(url): applied \(applied.map { "version \($0)" }.joined(separator: ", ")); schema at version \(StoreSchema.latest)"
            )
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Say whether the store is reachable and its schema is the one this switchboard expects.",
            discussion: "Exit 0 when it is, 1 when the schema is older or newer, 3 when the store cannot be reached."
        )

        @OptionGroup var options: StoreOptions

        func run() async throws {
            let url = try options.requiredURL()
            let status = try await withStoreClient(url) { client, logger in
                try await StoreSchema.status(client, logger: logger)
            }
            print("\(url): \(status)")
            if status.version != status.latest { throw ExitCode(1) }
        }
    }
}

/// Runs `body` with a client for `url`, for `budget` at most (nil: as long as it takes); a store that cannot be
/// reached exits 3, a schema problem 1, each with a message that holds no password.
func withStoreClient<Value: Sendable>(
    _ url: StoreURL, budget: Duration? = .seconds(10),
    _ body: @escaping @Sendable (PostgresClient, Logger) async throws -> Value
) async throws -> Value {
    let logger = Logger(label: "switchboard.store") { _ in SwiftLogNoOpLogHandler() }
    let client: PostgresClient
    do {
        var configuration = try url.clientConfiguration()
        configuration.options.connectTimeout = .seconds(10)
        client = PostgresClient(configuration: configuration)
    } catch {
        printError("\(error)")
        throw ExitCode(2)
    }
    let outcome: Result<Value, any Error> = await withTaskGroup(of: Void.self) { group in
        group.addTask { await client.run() }
        defer { group.cancelAll() }
        do {
            // The pool waits for a connection as long as it is asked to: the deadline is ours.
            guard let budget else { return .success(try await body(client, logger)) }
            return .success(try await withBudget(budget) { try await body(client, logger) })
        } catch {
            return .failure(error)
        }
    }
    switch outcome {
    case .success(let value):
        return value
    case .failure(let error as StoreError):
        printError("\(url): \(error)")
        throw ExitCode(1)
    case .failure(let error):
        printError("\(url): cannot use the store: \(PostgresLedger.describe(error))")
        throw ExitCode(3)
    }
}
extension StoreSettings.Unavailable: ExpressibleByArgument {}

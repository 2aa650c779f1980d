import ArgumentParser
import Foundation
import SwitchboardCore
import SwitchboardInkbox

/// `switchboard inkbox`: point the organisation's Inkbox numbers at Switchboard, and check that they stay there.
struct Inkbox: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Set up Inkbox numbers against the Inkbox API (key from INKBOX_API_KEY).",
        subcommands: [InkboxNumbers.self, InkboxAttach.self, InkboxDetach.self, InkboxDrift.self]
    )
}

/// `--api-base` and the API key, shared by every `inkbox` subcommand.
struct InkboxOptions: ParsableArguments {
    @Option(name: .customLong("api-base"), help: "The Inkbox API's base URL.")
    var apiBase = InkboxClient.defaultBase

    /// A client with the key from `INKBOX_API_KEY`; exits 2 saying how to set it when it is missing.
    func client() throws -> InkboxClient {
        guard let key = ProcessInfo.processInfo.environment["INKBOX_API_KEY"], !key.isEmpty else {
            printError("no API key: set INKBOX_API_KEY to an Inkbox organisation API key (Inkbox console → API keys)")
            throw ExitCode(2)
        }
        return InkboxClient(apiKey: key, base: apiBase)
    }
}

/// Runs an API call; an `InkboxError` is printed as it is worded and exits 1.
func reporting<T>(_ body: () async throws(InkboxError) -> T) async throws -> T {
    do {
        return try await body()
    } catch {
        printError("error: \(error.description)")
        throw ExitCode(1)
    }
}

/// Where a number's calls go now, in words: `webhook https://…`, `auto_accept wss://…`, `auto_reject`.
func destination(_ number: PhoneNumber) -> String {
    switch number.incomingCallAction {
    case "webhook": return "webhook \(number.incomingCallWebhookURL ?? "(no URL)")"
    case "auto_accept": return "auto_accept \(number.clientWebsocketURL ?? "(no URL)")"
    default: return number.incomingCallAction
    }
}

struct InkboxNumbers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "numbers",
        abstract: "List the organisation's phone numbers, where their calls go, and whether a routes file names them."
    )

    @OptionGroup var inkbox: InkboxOptions

    @Option(help: "A routes file: adds a column saying whether it names each number.")
    var routes: String?

    @Flag(help: "Print a JSON array instead of a table.")
    var json = false

    func run() async throws {
        let client = try inkbox.client()
        let named = try routes.map { try RoutesOptions.load($0).namedNumbers }
        let numbers = try await reporting { () async throws(InkboxError) in try await client.numbers() }
        if json {
            let objects: [[String: Any]] = numbers.map { number in
                var object: [String: Any] = [
                    "id": number.id, "number": number.number, "incoming_call_action": number.incomingCallAction,
                    "incoming_call_webhook_url": number.incomingCallWebhookURL ?? NSNull(),
                    "client_websocket_url": number.clientWebsocketURL ?? NSNull(),
                ]
                if let named { object["routed"] = named.contains(number.number) }
                return object
            }
            let data = try JSONSerialization.data(withJSONObject: objects, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        var rows = [["NUMBER", "ID", "ACTION", "DESTINATION"] + (named == nil ? [] : ["ROUTED"])]
        for number in numbers {
            let target = number.incomingCallAction == "webhook" ? number.incomingCallWebhookURL : number.clientWebsocketURL
            rows.append(
                [number.number, number.id, number.incomingCallAction, target ?? "-"]
                    + (named.map { [$0.contains(number.number) ? "yes" : "no"] } ?? [])
            )
        }
        printTable(rows)
    }
}

struct InkboxAttach: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attach",
        abstract: "Send the incoming calls of numbers to Switchboard's webhook URL.",
        discussion: "Sets incoming_call_action to webhook and incoming_call_webhook_url to --webhook-url."
    )

    @OptionGroup var inkbox: InkboxOptions

    @Option(name: .customLong("webhook-url"), help: "Switchboard's public webhook URL (https://…/webhooks/incoming-call).")
    var webhookURL: String

    @Option(name: .customLong("number"), help: "A number to attach, E.164 (repeat for several).")
    var numbers: [String] = []

    @Flag(name: .customLong("all-in-table"), help: "Attach every number the routes file names.")
    var allInTable = false

    @Option(help: "The routes file, for --all-in-table.")
    var routes = "routes.yaml"

    @Flag(name: .customLong("dry-run"), help: "Print what would change; change nothing.")
    var dryRun = false

    func validate() throws {
        guard webhookURL.hasPrefix("https://") else {
            throw ValidationError("--webhook-url must be an https:// URL: Inkbox only delivers webhooks over HTTPS")
        }
        guard allInTable != !numbers.isEmpty else { throw ValidationError("give --number (repeatable) or --all-in-table") }
    }

    func run() async throws {
        let client = try inkbox.client()
        let wanted = allInTable ? try RoutesOptions.load(routes).namedNumbers : Set(numbers)
        try await apply(.attach(webhookURL: webhookURL), to: wanted, client: client, dryRun: dryRun)
    }
}

struct InkboxDetach: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detach",
        abstract: "Stop sending numbers' calls to a webhook: accept them on a WebSocket URL, or reject them.",
        discussion: "Sets incoming_call_action and clears incoming_call_webhook_url."
    )

    enum Action: String, ExpressibleByArgument, CaseIterable {
        case autoAccept = "auto_accept"
        case autoReject = "auto_reject"
    }

    @OptionGroup var inkbox: InkboxOptions

    @Option(name: .customLong("number"), help: "A number to detach, E.164 (repeat for several).")
    var numbers: [String] = []

    @Option(help: "auto_accept (connect calls to --client-websocket-url or the number's own) or auto_reject.")
    var action: Action

    @Option(name: .customLong("client-websocket-url"), help: "With auto_accept: the wss:// URL Inkbox connects calls to.")
    var clientWebsocketURL: String?

    @Flag(name: .customLong("dry-run"), help: "Print what would change; change nothing.")
    var dryRun = false

    func validate() throws {
        guard !numbers.isEmpty else { throw ValidationError("give at least one --number") }
        if let clientWebsocketURL {
            guard action == .autoAccept else { throw ValidationError("--client-websocket-url goes with --action auto_accept") }
            guard clientWebsocketURL.hasPrefix("wss://") || clientWebsocketURL.hasPrefix("ws://") else {
                throw ValidationError("--client-websocket-url must be a ws:// or wss:// URL")
            }
        }
    }

    func run() async throws {
        let client = try inkbox.client()
        var change = PhoneNumberUpdate(incomingCallAction: action.rawValue, incomingCallWebhookURL: .some(nil))
        if let clientWebsocketURL { change.clientWebsocketURL = .some(clientWebsocketURL) }
        try await apply(change, to: Set(numbers), client: client, dryRun: dryRun)
    }
}

/// Applies `change` to each of `wanted` that it would change, printing one line per number; exits 1 if a number is
/// unknown to the organisation or an update fails (after the others are done).
func apply(_ change: PhoneNumberUpdate, to wanted: Set<String>, client: InkboxClient, dryRun: Bool) async throws {
    let numbers = try await reporting { () async throws(InkboxError) in try await client.numbers() }
    let byNumber = Dictionary(numbers.map { ($0.number, $0) }, uniquingKeysWith: { first, _ in first })
    var failed = false
    for wanted in wanted.sorted() {
        guard let number = byNumber[wanted] else {
            printError("\(wanted): not a number of this organisation")
            failed = true
            continue
        }
        let after = change.applied(to: number)
        guard after != number else {
            print("\(number.number): unchanged (\(destination(number)))")
            continue
        }
        if dryRun {
            print("\(number.number): would change \(destination(number)) → \(destination(after))")
            continue
        }
        do {
            let updated = try await client.update(id: number.id, change)
            print("\(number.number): \(destination(number)) → \(destination(updated))")
        } catch {
            printError("\(number.number): \(error.description)")
            failed = true
        }
    }
    if failed { throw ExitCode(1) }
}

struct InkboxDrift: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drift",
        abstract: "Compare the numbers a routes file names with the numbers attached to the webhook URL; exit 1 on drift.",
        discussion: "For cron and CI: exit 0 when they agree, 1 when they do not, 2 on a usage error."
    )

    @OptionGroup var inkbox: InkboxOptions

    @Option(help: "The routes file.")
    var routes = "routes.yaml"

    @Option(name: .customLong("webhook-url"), help: "Switchboard's public webhook URL.")
    var webhookURL: String

    func run() async throws {
        let client = try inkbox.client()
        let named = try RoutesOptions.load(routes).namedNumbers
        let numbers = try await reporting { () async throws(InkboxError) in try await client.numbers() }
        let drift = Drift(numbers: numbers, named: named, webhookURL: webhookURL)
        for number in drift.notAttached {
            print("not attached: \(number.number) is named by \(routes) but goes to \(destination(number))")
        }
        for number in drift.unknown {
            print("unknown: \(number) is named by \(routes) but is not a number of this organisation")
        }
        for number in drift.attachedNotRouted {
            print("not routed: \(number.number) is attached to \(webhookURL) but \(routes) does not name it")
        }
        guard drift.isEmpty else {
            printError(
                "drift: \(drift.notAttached.count) not attached, \(drift.unknown.count) unknown, "
                    + "\(drift.attachedNotRouted.count) not routed")
            throw ExitCode(1)
        }
        print("no drift: the \(named.count) numbers \(routes) names are attached to \(webhookURL), and no others")
    }
}

import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SwitchboardCore

/// Where the admin listener is and how to authenticate (`--admin`, `SWITCHBOARD_ADMIN_TOKEN`).
struct AdminOptions: ParsableArguments {
    @Option(help: "The admin listener's base URL.")
    var admin = "http://127.0.0.1:9090"

    func validate() throws {
        guard let url = URL(string: admin), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
            throw ValidationError("--admin must be an http:// or https:// URL, like http://127.0.0.1:9090")
        }
    }
}

/// `switchboard drain NAME`: no new calls for a backend; with `--wait`, returns once its live calls have ended.
struct Drain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stop sending new calls to a backend; with --wait, exit 0 once its live calls have ended."
    )

    @Argument(help: "The backend's name in routes.yaml.")
    var name: String

    @OptionGroup var options: AdminOptions

    @Flag(help: "Wait until the backend holds no live calls.")
    var wait = false

    @Option(help: "With --wait: give up after this long and exit 1 (e.g. 90s, 30m, 2h).")
    var timeout = "30m"

    @Option(name: .customLong("poll-interval"), help: "With --wait: how often to ask.")
    var pollInterval = "1s"

    func validate() throws {
        guard let timeout = Duration(parsing: timeout), timeout > .zero else {
            throw ValidationError("--timeout: bad duration '\(timeout)' (use a number with ms, s, m or h, like 30m)")
        }
        guard let poll = Duration(parsing: pollInterval), poll > .zero else {
            throw ValidationError("--poll-interval: bad duration '\(pollInterval)' (use a number with ms, s, m or h)")
        }
    }

    func run() async throws {
        try await CommandFailure.exitOnFailure { try await drain() }
    }

    private func drain() async throws {
        let client = AdminClient(base: options.admin)
        var state = try await client.send(.POST, "/admin/backends/\(AdminClient.escape(name))/drain")
        say(state.line)
        guard wait else { return }
        let deadline = ContinuousClock.now + Duration(parsing: timeout)!
        let poll = Duration(parsing: pollInterval)!
        while state.drain != "drained" {
            guard state.drain == "draining" else { throw CommandFailure("\(name) was undrained while waiting") }
            guard ContinuousClock.now + poll <= deadline else {
                throw CommandFailure("timed out after \(timeout): \(name) still has \(state.activeCalls) live calls")
            }
            try await Task.sleep(for: poll)
            let next = try await client.send(.GET, "/admin/backends/\(AdminClient.escape(name))")
            if next.activeCalls != state.activeCalls || next.drain != state.drain { say(next.line) }
            state = next
        }
    }
}

/// `switchboard undrain NAME`: the backend takes new calls again.
struct Undrain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Send new calls to a drained backend again.")

    @Argument(help: "The backend's name in routes.yaml.")
    var name: String

    @OptionGroup var options: AdminOptions

    func run() async throws {
        try await CommandFailure.exitOnFailure {
            let state = try await AdminClient(base: options.admin).send(.POST, "/admin/backends/\(AdminClient.escape(name))/undrain")
            say(state.line)
        }
    }
}

/// Prints a line at once, even into a pipe (a deploy script follows the progress).
private func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// A failure the command reports on stderr before exiting 1.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }

    /// Runs `body`; a `CommandFailure` is printed on stderr and exits 1.
    static func exitOnFailure(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let failure as CommandFailure {
            printError(failure.description)
            throw ExitCode(1)
        }
    }
}

/// Calls the admin listener's backend endpoints with AsyncHTTPClient.
struct AdminClient {
    let base: String

    /// A backend's drain state as the admin endpoints answer it.
    struct BackendDrain {
        var backend: String
        var drain: String?
        var activeCalls: Int

        /// `a: draining, 3 live calls`
        var line: String {
            "\(backend): \(drain ?? "not draining"), \(activeCalls) live call\(activeCalls == 1 ? "" : "s")"
        }
    }

    static func escape(_ name: String) -> String {
        name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? name
    }

    func send(_ method: HTTPMethod, _ path: String) async throws -> BackendDrain {
        var request = HTTPClientRequest(url: base.hasSuffix("/") ? String(base.dropLast()) + path : base + path)
        request.method = method
        if let token = ProcessInfo.processInfo.environment["SWITCHBOARD_ADMIN_TOKEN"], !token.isEmpty {
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
        }
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            body = try await response.body.collect(upTo: 1 << 20)
        } catch {
            throw CommandFailure("cannot reach the admin listener at \(base): \(error)")
        }
        let object = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:]
        guard response.status == .ok else {
            let message = object["error"] as? String ?? "HTTP \(response.status.code)"
            throw CommandFailure("\(message) (HTTP \(response.status.code))")
        }
        guard let backend = object["backend"] as? String, let active = object["active_calls"] as? Int else {
            throw CommandFailure("unexpected answer from \(base)\(path)")
        }
        return BackendDrain(backend: backend, drain: object["drain"] as? String, activeCalls: active)
    }
}

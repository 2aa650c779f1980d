import Foundation
import Logging
import ServiceLifecycle
import SwitchboardDemoBackend
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The demo agent backend on a loopback port for one test, which the test can stop and start again on the same
/// port (to make a backend go down and come back).
///
/// The port is reserved for the value's whole life by a socket bound with `SO_REUSEADDR` and never listening: the
/// demo backend (Hummingbird also sets `SO_REUSEADDR`) binds it beside the reservation, while no other test's
/// port-0 bind can be handed the same port between a `stop()` and the next `start()`. While stopped, the port
/// refuses connections.
public final class DemoBackendServer: Sendable {
    public let name: String
    public let port: Int
    /// Keys an upgrade must be signed with (`--require-signature`); empty accepts every upgrade.
    public let signingKeys: [String]
    private let reservation: Int32
    private let running = Mutex<(group: ServiceGroup, task: Task<Void, any Error>)?>(nil)

    public init(name: String = "demo", signingKeys: [String] = []) throws {
        self.name = name
        self.signingKeys = signingKeys
        reservation = try Loopback.boundSocket(reuseAddress: true)
        do {
            port = try Loopback.port(of: reservation)
        } catch {
            close(reservation)
            throw error
        }
    }

    deinit {
        close(reservation)
    }

    /// Starts listening and returns once the backend accepts connections.
    public func start() async throws {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = buildDemoBackend(
            configuration: .init(host: "127.0.0.1", port: port, name: name, signingKeys: signingKeys), logger: quietLogger
        ) { continuation.yield($0) }
        let group = ServiceGroup(services: [app], gracefulShutdownSignals: [], cancellationSignals: [], logger: quietLogger)
        let task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard await iterator.next() != nil else {
            throw SocketError("demo backend did not start on port \(port)", 0)
        }
        running.withLock { $0 = (group, task) }
    }

    /// Stops gracefully and returns once the port refuses connections.
    public func stop() async {
        guard let (group, task) = running.withLock({ value in defer { value = nil }; return value }) else { return }
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}

/// Runs a demo backend on a loopback port for the duration of `body`, then shuts it down gracefully.
public func withDemoBackend<T: Sendable>(
    name: String = "demo",
    _ body: @Sendable (_ port: Int) async throws -> T
) async throws -> T {
    let backend = try DemoBackendServer(name: name)
    try await backend.start()
    let result: Result<T, any Error>
    do {
        result = .success(try await body(backend.port))
    } catch {
        result = .failure(error)
    }
    await backend.stop()
    return try result.get()
}

import Foundation
import HTTPTypes
import HummingbirdTesting
import InMemoryLogging
import Logging
import SwitchboardTestSupport
import Synchronization
import Testing

@testable import SwitchboardServer

@Suite(.timeLimit(.minutes(1)))
struct LiveOperationsTests {
    static func routes(backend: String) -> String {
        """
        version: 1
        backends:
          \(backend): { url: "wss://\(backend).example/calls", health: { check: none } }
        routes:
          - { name: everyone, to: \(backend) }
        """
    }

    static func backendAnswered(_ live: LiveSwitchboard) async throws -> String? {
        let answer = try await live.post(Fixture.incomingCall).json["client_websocket_url"] as? String
        return answer.flatMap { URL(string: $0)?.host?.split(separator: ".").first.map(String.init) }
    }

    @Test func adminReloadIsSynchronous() async throws {
        try await LiveSwitchboard.with(routes: Self.routes(backend: "old")) { live in
            #expect(try await Self.backendAnswered(live) == "old")
            try Self.routes(backend: "new").write(toFile: live.routesPath, atomically: true, encoding: .utf8)
            let reload = try await live.admin(.post, "/admin/reload")
            #expect(reload.status == .ok)
            #expect(reload.json["reloaded"] as? Bool == true)
            // The very next webhook sees the new table.
            #expect(try await Self.backendAnswered(live) == "new")

            try "version: 1\nroutes:\n  - { name: x, to: ghost }\n".write(toFile: live.routesPath, atomically: true, encoding: .utf8)
            let broken = try await live.admin(.post, "/admin/reload")
            #expect(broken.status == .unprocessableContent)
            #expect((broken.json["error"] as? String)?.contains("routes.yaml:3:20: to: unknown backend or pool 'ghost'") == true)
            // The running table stays, and /status and /metrics say what happened.
            #expect(try await Self.backendAnswered(live) == "new")
            let status = try await live.admin(.get, "/status").json
            let table = try #require(status["table"] as? [String: Any])
            #expect((table["last_reload_error"] as? String)?.contains("unknown backend or pool 'ghost'") == true)
            let metrics = try await live.admin(.get, "/metrics").text
            #expect(metrics.contains(#"switchboard_reloads_total{result="success"} 1"#))
            #expect(metrics.contains(#"switchboard_reloads_total{result="failure"} 1"#))
        }
    }

    @Test func fileChangesAreReloaded() async throws {
        try await LiveSwitchboard.with(routes: Self.routes(backend: "old"), watchRoutes: true) { live in
            let before = try await live.admin(.get, "/status").json["table"] as? [String: Any]
            // An editor's save: write a temporary file, rename it over the original.
            try Self.routes(backend: "renamed").write(toFile: live.routesPath, atomically: true, encoding: .utf8)
            #expect(try await eventually { try await Self.backendAnswered(live) == "renamed" })
            let after = try await live.admin(.get, "/status").json["table"] as? [String: Any]
            #expect(after?["version"] as? String != before?["version"] as? String)
            // An in-place write.
            let handle = try #require(FileHandle(forWritingAtPath: live.routesPath))
            try handle.truncate(atOffset: 0)
            try handle.write(contentsOf: Data(Self.routes(backend: "inplace").utf8))
            try handle.close()
            #expect(try await eventually { try await Self.backendAnswered(live) == "inplace" })
            // A broken save keeps the running table.
            try "version: 1\nroutes: [".write(toFile: live.routesPath, atomically: true, encoding: .utf8)
            #expect(try await eventually {
                let metrics = try await live.admin(.get, "/metrics").text
                return metrics.contains(#"switchboard_reloads_total{result="failure"} 1"#)
            })
            #expect(try await Self.backendAnswered(live) == "inplace")
        }
    }

    /// `serve > serve.log` beside `routes.yaml`: a file written continuously in the same directory never holds a
    /// reload back; the renamed-in table answers within the watcher's bound (at most 1 s after the rename).
    @Test func busyDirectoryDoesNotStarveAReload() async throws {
        try await LiveSwitchboard.with(routes: Self.routes(backend: "old"), watchRoutes: true) { live in
            let log = (live.routesPath as NSString).deletingLastPathComponent + "/serve.log"
            let writing = StopFlag()
            let writer = Task.detached {
                let deadline = ContinuousClock.now + .seconds(30)
                for line in 0..<1_000_000 where !writing.done && ContinuousClock.now < deadline {
                    // Open, append, close: every line is an event in the watched directory.
                    guard let handle = FileHandle(forWritingAtPath: log) ?? {
                        _ = FileManager.default.createFile(atPath: log, contents: nil)
                        return FileHandle(forWritingAtPath: log)
                    }() else { break }
                    _ = try? handle.seekToEnd()
                    try? handle.write(contentsOf: Data("webhook \(line)\n".utf8))
                    try? handle.close()
                    if line % 50 == 0 { try? await Task.sleep(for: .milliseconds(1)) }
                }
            }
            defer { writing.finish() }
            #expect(try await Self.backendAnswered(live) == "old")
            try Self.routes(backend: "new").write(toFile: live.routesPath, atomically: true, encoding: .utf8)
            #expect(try await eventually { try await Self.backendAnswered(live) == "new" })
            writing.finish()
            await writer.value
        }
    }

    /// A Kubernetes ConfigMap volume: `routes.yaml → ..data/routes.yaml`, `..data → ..<timestamp>`, updated by
    /// swapping the `..data` symlink with a rename.
    @Test func configMapSymlinkSwapIsReloaded() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("configmap-\(UUID().uuidString)")
        let files = FileManager.default
        try files.createDirectory(at: directory.appendingPathComponent("..2026_01"), withIntermediateDirectories: true)
        defer { try? files.removeItem(at: directory) }
        try Self.routes(backend: "first").write(
            to: directory.appendingPathComponent("..2026_01/routes.yaml"), atomically: true, encoding: .utf8
        )
        try files.createSymbolicLink(atPath: directory.appendingPathComponent("..data").path, withDestinationPath: "..2026_01")
        try files.createSymbolicLink(atPath: directory.appendingPathComponent("routes.yaml").path, withDestinationPath: "..data/routes.yaml")

        try await LiveSwitchboard.with(routesFile: directory.appendingPathComponent("routes.yaml").path, watchRoutes: true) { live in
            #expect(try await Self.backendAnswered(live) == "first")
            try files.createDirectory(at: directory.appendingPathComponent("..2026_02"), withIntermediateDirectories: true)
            try Self.routes(backend: "second").write(
                to: directory.appendingPathComponent("..2026_02/routes.yaml"), atomically: true, encoding: .utf8
            )
            try files.createSymbolicLink(atPath: directory.appendingPathComponent("..data_tmp").path, withDestinationPath: "..2026_02")
            #expect(rename(directory.appendingPathComponent("..data_tmp").path, directory.appendingPathComponent("..data").path) == 0)
            #expect(try await eventually { try await Self.backendAnswered(live) == "second" })
        }
    }

    /// 50 reloads while clients send webhooks continuously: not one answer other than 200.
    @Test func noRequestFailsDuringReloads() async throws {
        try await LiveSwitchboard.with(routes: Self.routes(backend: "b0")) { live in
            let failures = try await withThrowingTaskGroup(of: Int.self) { group in
                let deadline = ContinuousClock.now + .seconds(20)
                let reloading = StopFlag()
                for _ in 0..<4 {
                    group.addTask {
                        var failures = 0
                        while !reloading.done, ContinuousClock.now < deadline {
                            if try await live.post(Fixture.incomingCall).status != .ok { failures += 1 }
                        }
                        return failures
                    }
                }
                group.addTask {
                    var failures = 0
                    for index in 1...50 {
                        try Self.routes(backend: "b\(index)").write(toFile: live.routesPath, atomically: true, encoding: .utf8)
                        if try await live.admin(.post, "/admin/reload").status != .ok { failures += 1 }
                    }
                    reloading.finish()
                    return failures
                }
                return try await group.reduce(0, +)
            }
            #expect(failures == 0)
            #expect(try await Self.backendAnswered(live) == "b50")
            let metrics = try await live.admin(.get, "/metrics").text
            #expect(metrics.contains(#"switchboard_reloads_total{result="success"} 50"#))
            #expect(metrics.contains(#"switchboard_webhooks_total{outcome="bad_request"} 0"#))
        }
    }

    @Test func adminTokenProtectsAllButProbes() async throws {
        try await LiveSwitchboard.with(routes: Self.routes(backend: "a"), adminToken: "s3cret") { live in
            #expect(try await live.admin(.get, "/healthz").status == .ok)
            for path in ["/metrics", "/status"] {
                let refused = try await live.admin(.get, path)
                #expect(refused.status == .unauthorized)
                #expect(refused.json["error"] is String)
                #expect(try await live.admin(.get, path, headers: [.authorization: "Bearer wrong"]).status == .unauthorized)
                #expect(try await live.admin(.get, path, headers: [.authorization: "Bearer s3cret"]).status == .ok)
            }
            #expect(try await live.admin(.post, "/admin/reload").status == .unauthorized)
            #expect(try await live.admin(.post, "/admin/reload", headers: [.authorization: "Bearer s3cret"]).status == .ok)
        }
    }

    @Test func statusShowsTableBackendsAndMaskedDecisions() async throws {
        try await LiveSwitchboard.with(routes: Self.routes(backend: "a")) { live in
            _ = try await live.post(Fixture.incomingCall, requestID: "status-1")
            let status = try await live.admin(.get, "/status").json
            let table = try #require(status["table"] as? [String: Any])
            #expect((table["version"] as? String)?.count == 16)
            #expect(table["loaded_at"] is String)
            #expect(table.keys.contains("last_reload_error"))
            let backends = try #require(status["backends"] as? [[String: Any]])
            #expect(backends.map { $0["name"] as? String } == ["a"])
            #expect(try await eventually {
                let backend = (try await live.admin(.get, "/status").json["backends"] as? [[String: Any]])?.first
                return backend?["state"] as? String == "healthy"
            })
            let decisions = try #require(status["decisions"] as? [[String: Any]])
            let decision = try #require(decisions.last)
            #expect(decision["request_id"] as? String == "status-1")
            #expect(decision["call_id"] as? String == "3eafefd0-a22f-4e9b-9eb1-8d59e3d9b85f")
            #expect(decision["caller"] as? String == "+141****0999")
            #expect(decision["number"] as? String == "+141****0100")
            #expect(decision["route"] as? String == "everyone")
            #expect(decision["backend"] as? String == "a")
            #expect(decision["outcome"] as? String == "answer")
        }
    }

    @Test func oneMaskedLogLinePerDecision() async throws {
        let handler = InMemoryLogHandler()
        let logger = Logger(label: "test", factory: { _ in handler })
        try await LiveSwitchboard.with(routes: Self.routes(backend: "a"), logger: logger) { live in
            _ = try await live.post(Fixture.incomingCall, requestID: "log-1")
            _ = try await live.post(Fixture.incomingCall, requestID: "log-1")  // a retry: no second decision
            _ = try await live.post(Fixture.incomingCall, requestID: "log-2", key: "whsec_wrong")
        }
        let entries = handler.entries
        let decisions = entries.filter { $0.metadata["call_id"] != nil }
        #expect(decisions.count == 1)
        let line = try #require(decisions.first)
        #expect(line.metadata["request_id"] == "log-1")
        #expect(line.metadata["route"] == "everyone")
        #expect(line.metadata["backend"] == "a")
        #expect(line.metadata["caller"] == "+141****0999")
        #expect(line.metadata["us"].flatMap { Int("\($0)") } != nil)
        let everything = entries.map { "\($0.message) \($0.metadata)" }.joined(separator: "\n")
        #expect(!everything.contains("+14155550999"))
        #expect(!everything.contains("+14155550100"))
        #expect(!everything.contains("live-test-key"))
        #expect(entries.contains { $0.message == "webhook refused" && $0.metadata["request_id"] == "log-2" })
    }
}

/// Tells the client tasks that the reloads are over.
final class StopFlag: Sendable {
    private let flag = Mutex(false)
    var done: Bool { flag.withLock { $0 } }
    func finish() { flag.withLock { $0 = true } }
}

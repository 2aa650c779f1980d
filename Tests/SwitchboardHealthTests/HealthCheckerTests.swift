import ServiceLifecycle
import SwitchboardCore
import SwitchboardHealth
import Synchronization
import SwitchboardTestSupport
import Testing

/// The background checker against real servers: state machine, reasons, reloads, lifecycle.
@Suite(.timeLimit(.minutes(1)))
struct HealthCheckerTests {
    private func state(_ checker: HealthChecker, _ name: String) -> BackendState? {
        checker.states()[name]
    }

    private func status(_ checker: HealthChecker, _ name: String) -> BackendStatus? {
        checker.statuses().first { $0.name == name }
    }

    @Test func flappingBackendGoesDownAndComesBack() async throws {
        let code = Mutex(200)
        let server = try RawServer(handler: Behavior.http { code.withLock { $0 } })
        defer { server.stop() }
        let seen = Mutex<[BackendState]>([])
        let checker = HealthChecker(
            targets: [target("flap", .http(expect: [], headers: []), "http://127.0.0.1:\(server.port)/")],
            logger: quietLogger,
            onChange: { states in
                guard let state = states["flap"] else { return }
                seen.withLock { if $0.last != state { $0.append(state) } }
            })
        try await running(checker) {
            #expect(await eventually { state(checker, "flap") == .healthy })
            code.withLock { $0 = 500 }
            #expect(await eventually { state(checker, "flap") == .unhealthy })
            let down = try #require(status(checker, "flap"))
            #expect(down.lastProbe?.failure == .status)
            #expect(down.consecutiveFailures >= 2)
            code.withLock { $0 = 200 }
            #expect(await eventually { state(checker, "flap") == .healthy })
        }
        #expect(seen.withLock { $0 } == [.healthy, .unhealthy, .healthy])
    }

    @Test func everyFailureKeepsItsReason() async throws {
        let wrongAccept = try RawServer(handler: Behavior.upgrade(accept: { _ in "bm90IHRoZSByaWdodCBrZXk=" }))
        defer { wrongAccept.stop() }
        let silent = try RawServer(handler: Behavior.silent)
        defer { silent.stop() }
        let garbage = try RawServer(handler: Behavior.garbage)
        defer { garbage.stop() }
        let refusing = try RefusingPort()
        defer { refusing.close() }
        let expected: [String: ProbeFailureReason] = [
            "refused": .refused, "timeout": .timeout, "handshake": .handshake, "protocol": .protocol,
        ]
        let checker = HealthChecker(
            targets: [
                target("refused", .websocket, "ws://127.0.0.1:\(refusing.port)/"),
                target("timeout", .websocket, "ws://127.0.0.1:\(silent.port)/", timing: hangTiming),
                target("handshake", .websocket, "ws://127.0.0.1:\(wrongAccept.port)/"),
                target("protocol", .http(expect: [], headers: []), "http://127.0.0.1:\(garbage.port)/"),
            ], logger: quietLogger)
        try await running(checker) {
            #expect(await eventually { checker.states() == expected.mapValues { _ in .unhealthy } })
        }
        let reasons = Dictionary(uniqueKeysWithValues: checker.statuses().map { ($0.name, $0.lastProbe?.failure) })
        #expect(reasons == expected)
    }

    @Test func stoppedDemoBackendIsDetectedAndRefused() async throws {
        let backend = try DemoBackendServer()
        try await backend.start()
        let checker = HealthChecker(
            targets: [target("demo", .websocket, "ws://127.0.0.1:\(backend.port)/calls")], logger: quietLogger)
        try await running(checker) {
            #expect(await eventually { state(checker, "demo") == .healthy })
            await backend.stop()
            #expect(await eventually { state(checker, "demo") == .unhealthy })
            #expect(status(checker, "demo")?.lastProbe?.failure == .refused, "port \(backend.port)")
        }
        await backend.stop()  // keeps the port reserved until here
    }

    @Test func updateKeepsStateOfUnchangedTargetsOnly() async throws {
        let server = try RawServer(handler: Behavior.http { 200 })
        defer { server.stop() }
        // New and changed targets are probed against a server that holds its answer until the gate opens, so their
        // state before any result can be read without a race.
        let gate = Gate()
        let held = try RawServer(handler: Behavior.http {
            gate.wait()
            return 200
        })
        defer {
            gate.open()
            held.stop()
        }
        let url = "http://127.0.0.1:\(server.port)/"
        let heldURL = "http://127.0.0.1:\(held.port)/"
        let maps = Mutex<[[String: BackendState]]>([])
        let checker = HealthChecker(
            targets: [target("a", .http(expect: [], headers: []), url), target("b", .tcp, url)],
            logger: quietLogger,
            onChange: { map in maps.withLock { $0.append(map) } })
        try await running(checker) {
            #expect(await eventually { checker.states() == ["a": .healthy, "b": .healthy] })
            let before = try #require(status(checker, "a"))
            let changed = target("b", .http(expect: [204], headers: []), heldURL)
            let added = target("c", .http(expect: [], headers: []), heldURL)
            checker.update(targets: [added, changed, target("a", .http(expect: [], headers: []), url)])
            let after = checker.statuses()
            #expect(after.map(\.name) == ["c", "b", "a"])
            #expect(after[2].state == .healthy)
            #expect(after[2].consecutiveSuccesses >= before.consecutiveSuccesses)
            #expect(after[1].state == .unknown && after[1].lastProbe == nil)
            #expect(maps.withLock { $0.last } == ["a": .healthy, "b": .unknown, "c": .unknown])
            gate.open()
            #expect(await eventually { checker.states() == ["a": .healthy, "b": .unhealthy, "c": .healthy] })
        }
    }

    /// A `none` backend is "probed" until it is healthy and then left alone, while a real check keeps its cadence.
    @Test func noneBackendsAreNotProbedOnceHealthy() async throws {
        let server = try RawServer(handler: Behavior.http { 200 })
        defer { server.stop() }
        let probes = Mutex<[String: Int]>([:])
        let checker = HealthChecker(
            targets: [
                target("idle", .none, "ws://127.0.0.1:1/"),
                target("real", .http(expect: [], headers: []), "http://127.0.0.1:\(server.port)/"),
            ],
            logger: quietLogger,
            onProbe: { target, _ in probes.withLock { $0[target.name, default: 0] += 1 } })
        try await running(checker) {
            #expect(await eventually { checker.states()["idle"] == .healthy })
            let idleAtHealthy = probes.withLock { $0["idle"] ?? 0 }
            #expect(idleAtHealthy == fastTiming.rise)
            // Ten more rounds of the real check (the clock here), and not one more of the idle one.
            let realAtHealthy = probes.withLock { $0["real"] ?? 0 }
            #expect(await eventually { probes.withLock { $0["real"] ?? 0 } >= realAtHealthy + 10 })
            #expect(probes.withLock { $0["idle"] ?? 0 } == idleAtHealthy)
        }
    }

    /// With only a `none` backend nothing is ever in flight, and the probe thread sleeps with no timer: each result,
    /// completed at once, must still get the next probe scheduled until the backend is healthy.
    @Test func noneBackendsAloneBecomeHealthy() async throws {
        let checker = HealthChecker(
            targets: [target("x", .none, "ws://127.0.0.1:1/")],
            logger: quietLogger
        )
        try await running(checker) {
            #expect(await eventually { checker.states() == ["x": .healthy] })
        }
    }

    @Test func removedTargetIsNoLongerProbed() async throws {
        let kept = try RawServer(handler: Behavior.upgrade())
        defer { kept.stop() }
        let removed = try RawServer(handler: Behavior.upgrade())
        defer { removed.stop() }
        let keptTarget = target("kept", .websocket, "ws://127.0.0.1:\(kept.port)/")
        let checker = HealthChecker(
            targets: [keptTarget, target("removed", .websocket, "ws://127.0.0.1:\(removed.port)/")],
            logger: quietLogger)
        try await running(checker) {
            #expect(await eventually { removed.accepted >= 2 })
            checker.update(targets: [keptTarget])
            let removedAtUpdate = removed.accepted
            let keptAtUpdate = kept.accepted
            #expect(await eventually { kept.accepted >= keptAtUpdate + 3 })
            #expect(removed.accepted <= removedAtUpdate + 1)  // at most the probe that was already in flight
            #expect(checker.statuses().map(\.name) == ["kept"])
        }
    }

    @Test func httpChecksReuseTheirConnection() async throws {
        let server = try RawServer(handler: Behavior.http { 200 })
        defer { server.stop() }
        let probes = Mutex(0)
        let checker = HealthChecker(
            targets: [target("h", .http(expect: [], headers: []), "http://127.0.0.1:\(server.port)/")],
            logger: quietLogger,
            onProbe: { _, result in if result.ok { probes.withLock { $0 += 1 } } })
        try await running(checker) {
            #expect(await eventually { probes.withLock { $0 } >= 6 })
        }
        #expect(server.accepted == 1)
    }

    @Test func webSocketChecksUseANewConnectionEachTime() async throws {
        let server = try RawServer(handler: Behavior.upgrade())
        defer { server.stop() }
        let probes = Mutex(0)
        let checker = HealthChecker(
            targets: [target("w", .websocket, "ws://127.0.0.1:\(server.port)/")], logger: quietLogger,
            onProbe: { _, result in if result.ok { probes.withLock { $0 += 1 } } })
        try await running(checker) {
            #expect(await eventually { probes.withLock { $0 } >= 4 })
        }
        #expect(server.accepted >= 4)
    }

    @Test func firstRoundCompletesOnceEveryTargetHasAResult() async throws {
        let silent = try RawServer(handler: Behavior.silent)
        defer { silent.stop() }
        let healthy = try RawServer(handler: Behavior.http { 200 })
        defer { healthy.stop() }
        let checker = HealthChecker(
            targets: [
                target("slow", .http(expect: [], headers: []), "http://127.0.0.1:\(silent.port)/", timing: hangTiming),
                target("fast", .http(expect: [], headers: []), "http://127.0.0.1:\(healthy.port)/"),
                target("none", .none, "ws://127.0.0.1:1/"),
            ], logger: quietLogger)
        #expect(!checker.firstRoundCompleted)
        try await running(checker) {
            await checker.waitForFirstRound()
            #expect(checker.firstRoundCompleted)
            #expect(checker.statuses().allSatisfy { $0.lastProbe != nil })
            #expect(status(checker, "slow")?.lastProbe?.failure == .timeout)
        }
    }

    @Test func gracefulShutdownStopsTheChecker() async throws {
        let server = try RawServer(handler: Behavior.silent)
        defer { server.stop() }
        let checker = HealthChecker(
            targets: [target("hang", .websocket, "ws://127.0.0.1:\(server.port)/", timing: hangTiming)], logger: quietLogger)
        let group = ServiceGroup(services: [checker], gracefulShutdownSignals: [], cancellationSignals: [], logger: quietLogger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            #expect(await eventually { server.accepted >= 1 })  // a probe is in flight
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(status(checker, "hang")?.state != .healthy)
    }
}

/// Reloads and the handles the checker keeps per target.
@Suite(.timeLimit(.minutes(1)))
struct HealthCheckerReloadHandleTests {
    @Test func reloadedURLIsProbedWithAFreshHandleAndTheOldConnectionCloses() async throws {
        let oldClosed = Mutex(false)
        let old = try RawServer(handler: { connection in
            while connection.readHead() != nil {
                _ = connection.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            }
            oldClosed.withLock { $0 = true }  // the client closed the kept-alive connection
        })
        defer { old.stop() }
        let new = try RawServer(handler: Behavior.http { 500 })
        defer { new.stop() }
        let checker = HealthChecker(
            targets: [target("x", .http(expect: [], headers: []), "http://127.0.0.1:\(old.port)/")],
            logger: quietLogger)
        try await running(checker) {
            #expect(await eventually { checker.states()["x"] == .healthy })
            checker.update(targets: [target("x", .http(expect: [], headers: []), "http://127.0.0.1:\(new.port)/")])
            #expect(await eventually { checker.states()["x"] == .unhealthy })
            #expect(checker.statuses().first?.lastProbe?.failure == .status)
            // The retired handle took its cached connection with it.
            #expect(await eventually { oldClosed.withLock { $0 } })
        }
        #expect(old.accepted == 1)
        #expect(new.accepted == 1)
    }
}

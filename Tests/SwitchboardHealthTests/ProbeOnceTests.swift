import SwitchboardCore
import Synchronization
import SwitchboardTestSupport
import Testing

@testable import SwitchboardHealth

/// Every check kind against real servers on loopback, one round at a time.
@Suite(.timeLimit(.minutes(1)))
struct ProbeOnceTests {
    private func probe(_ kind: HealthCheck.Kind, _ url: String, timing: HealthTiming = fastTiming) async -> ProbeResult {
        let results = await probeOnce([target("t", kind, url, timing: timing)], logger: quietLogger)
        return results[0]
    }

    @Test func demoBackendPassesEveryCheckKind() async throws {
        // Room for a loaded machine (the demo backend shares the cores with the rest of the suite).
        let timing = HealthTiming(timeout: .seconds(5))
        try await withDemoBackend { port in
            let results = await probeOnce(
                [
                    target("ws", .websocket, "ws://127.0.0.1:\(port)/calls?call=c1", timing: timing),
                    target("http", .http(expect: [], headers: []), "http://127.0.0.1:\(port)/healthz", timing: timing),
                    target(
                        "http-200", .http(expect: [200], headers: [.init(name: "X-Probe", value: "1")]),
                        "ws://127.0.0.1:\(port)/healthz", timing: timing),
                    target("tcp", .tcp, "ws://127.0.0.1:\(port)/calls", timing: timing),
                    target("none", .none, "ws://127.0.0.1:\(port)/"),
                ], logger: quietLogger)
            #expect(results.count == 5)
            for result in results {
                #expect(result.ok, "\(result)")
            }
        }
    }

    @Test func wrongAcceptKeyIsAHandshakeFailure() async throws {
        let server = try RawServer(handler: Behavior.upgrade(accept: { _ in "AAAAAAAAAAAAAAAAAAAAAAAAAAA=" }))
        defer { server.stop() }
        let result = await probe(.websocket, "ws://127.0.0.1:\(server.port)/")
        #expect(result.failure == .handshake)
        #expect(result.detail.contains("wrong Sec-WebSocket-Accept"))
    }

    @Test func upgradeAnsweredWithoutSwitchingIsAHandshakeFailure() async throws {
        let server = try RawServer(handler: Behavior.http { 200 })
        defer { server.stop() }
        let result = await probe(.websocket, "ws://127.0.0.1:\(server.port)/")
        #expect(result.failure == .handshake)
        #expect(result.detail == "status 200, expected 101")
    }

    @Test(arguments: [(500, [Int]()), (200, [204]), (302, [])])
    func statusOutsideExpectIsAStatusFailure(_ status: Int, _ expect: [Int]) async throws {
        let server = try RawServer(handler: Behavior.http { status })
        defer { server.stop() }
        let result = await probe(.http(expect: expect, headers: []), "http://127.0.0.1:\(server.port)/healthz")
        #expect(result.failure == .status)
        #expect(result.detail.hasPrefix("status \(status)"))
    }

    @Test func statusInExpectIsHealthy() async throws {
        let server = try RawServer(handler: Behavior.http { 503 })
        defer { server.stop() }
        let result = await probe(.http(expect: [200, 503], headers: []), "http://127.0.0.1:\(server.port)/")
        #expect(result.ok)
    }

    @Test(arguments: [HealthCheck.Kind.websocket, .http(expect: [], headers: []), .tcp])
    func closedPortIsRefused(_ kind: HealthCheck.Kind) async throws {
        let refusing = try RefusingPort()
        defer { refusing.close() }
        let port = refusing.port
        let result = await probe(kind, "ws://127.0.0.1:\(port)/")
        #expect(result.failure == .refused, "\(result)")
    }

    @Test func endlessBodyIsJudgedByItsStatus() async throws {
        let server = try RawServer(handler: Behavior.endlessBody)
        defer { server.stop() }
        let result = await probe(.http(expect: [], headers: []), "http://127.0.0.1:\(server.port)/")
        #expect(result.ok, "\(result)")
    }

    @Test(arguments: [HealthCheck.Kind.websocket, .http(expect: [], headers: [])])
    func silentServerTimesOut(_ kind: HealthCheck.Kind) async throws {
        let server = try RawServer(handler: Behavior.silent)
        defer { server.stop() }
        let result = await probe(kind, "ws://127.0.0.1:\(server.port)/", timing: hangTiming)
        #expect(result.failure == .timeout, "\(result)")
        // It waited for the timeout rather than failing at once (libcurl's ms timers may fire a hair early).
        #expect(result.latency >= hangTiming.timeout - .milliseconds(20))
    }

    @Test(arguments: [HealthCheck.Kind.websocket, .http(expect: [], headers: [])])
    func garbageIsAProtocolFailure(_ kind: HealthCheck.Kind) async throws {
        let server = try RawServer(handler: Behavior.garbage)
        defer { server.stop() }
        let result = await probe(kind, "ws://127.0.0.1:\(server.port)/")
        #expect(result.failure == .protocol, "\(result)")
        #expect(!result.detail.isEmpty)
    }

    @Test(arguments: [HealthCheck.Kind.websocket, .http(expect: [], headers: [])])
    func resetBeforeAnAnswerIsRefused(_ kind: HealthCheck.Kind) async throws {
        let server = try RawServer(handler: Behavior.reset)
        defer { server.stop() }
        let result = await probe(kind, "ws://127.0.0.1:\(server.port)/")
        #expect(result.failure == .refused, "\(result)")
    }

    @Test func webSocketProbeClosesItsConnectionRightAfterTheHandshake() async throws {
        let closed = Mutex(0)
        let server = try RawServer(handler: Behavior.upgrade(onClosed: { closed.withLock { $0 += 1 } }))
        defer { server.stop() }
        let result = await probe(.websocket, "ws://127.0.0.1:\(server.port)/")
        #expect(result.ok, "\(result)")
        #expect(await eventually { closed.withLock { $0 } == 1 })
    }

    @Test func tcpCheckOnlyConnects() async throws {
        let server = try RawServer(handler: Behavior.silent)
        defer { server.stop() }
        let result = await probe(.tcp, "tcp://127.0.0.1:\(server.port)")
        #expect(result.ok, "\(result)")
        #expect(server.accepted == 1)
    }

    @Test func tcpCheckWithoutAPortCannotRun() async {
        let result = await probe(.tcp, "tcp://127.0.0.1")
        #expect(result.failure == .protocol)
    }

    @Test func noneCheckNeverTouchesTheNetwork() async throws {
        let server = try RawServer(handler: Behavior.http { 200 })
        defer { server.stop() }
        let result = await probe(.none, "http://127.0.0.1:\(server.port)/")
        #expect(result.ok)
        #expect(server.accepted == 0)
    }

    @Test func resultsComeBackInInputOrder() async throws {
        let healthy = try RawServer(handler: Behavior.http { 200 })
        defer { healthy.stop() }
        let failing = try RawServer(handler: Behavior.http { 500 })
        defer { failing.stop() }
        let refusing = try RefusingPort()
        defer { refusing.close() }
        let kinds: [(String, ProbeFailureReason?)] = [
            ("http://127.0.0.1:\(failing.port)/", .status), ("http://127.0.0.1:\(healthy.port)/", nil),
            ("http://127.0.0.1:\(refusing.port)/", .refused), ("http://127.0.0.1:\(healthy.port)/x", nil),
        ]
        let targets = kinds.enumerated().map { target("t\($0.offset)", .http(expect: [], headers: []), $0.element.0) }
        let results = await probeOnce(targets, logger: quietLogger)
        #expect(results.map(\.failure) == kinds.map(\.1))
    }

    @Test func emptyRoundIsEmpty() async {
        #expect(await probeOnce([], logger: quietLogger).isEmpty)
    }
}

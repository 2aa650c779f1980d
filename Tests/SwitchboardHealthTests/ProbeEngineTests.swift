import Foundation
import SwitchboardCore
import Synchronization
import SwitchboardTestSupport
import Testing

@testable import SwitchboardHealth

/// The engine keeps one configured handle per job key: reuse must never hide a failure or a changed check.
@Suite(.timeLimit(.minutes(1)))
struct ProbeEngineTests {
    /// Runs `body` against a running engine, then stops it and waits for its thread to finish.
    private func withEngine<T: Sendable>(_ body: (ProbeEngine) async throws -> T) async throws -> T {
        let engine = ProbeEngine(maxConnections: 8, logger: quietLogger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await engine.run() }
            let result: Result<T, any Error>
            do { result = .success(try await body(engine)) } catch { result = .failure(error) }
            engine.requestStop()
            try await group.waitForAll()
            return try result.get()
        }
    }

    /// One probe of `check` under `key`, waited for.
    private func probe(_ engine: ProbeEngine, key: UInt64?, _ check: HealthCheck) async -> ProbeResult? {
        await withCheckedContinuation { continuation in
            engine.submit(ProbeJob(key: key, check: check) { continuation.resume(returning: $0) })
        }
    }

    private func check(_ kind: HealthCheck.Kind, _ url: String, timing: HealthTiming = fastTiming) -> HealthCheck {
        HealthCheck(kind: kind, url: url, timing: timing)
    }

    /// With nothing in flight and nothing scheduled the engine thread sleeps until work arrives (it used to wake
    /// every second); a submitted probe still wakes it.
    @Test func idleEngineSleepsUntilWorkArrives() async throws {
        try await withEngine { engine in
            #expect(await probe(engine, key: 1, check(.none, "")) != nil)
            let settled = engine.wakeups.load(ordering: .relaxed)
            // Long enough for a one-second timer to fire twice; not a speed assertion. The one wakeup allowed is
            // the submission's, when the engine took the job before waiting for it.
            try await Task.sleep(for: .milliseconds(2500))
            #expect(engine.wakeups.load(ordering: .relaxed) <= settled + 1)
            #expect(await probe(engine, key: 1, check(.none, "")) != nil)
        }
    }

    @Test func keptHandleStillDetectsEveryFailureOnEveryProbe() async throws {
        let wrongAccept = try RawServer(handler: Behavior.upgrade(accept: { _ in "AAAAAAAAAAAAAAAAAAAAAAAAAAA=" }))
        defer { wrongAccept.stop() }
        let silent = try RawServer(handler: Behavior.silent)
        defer { silent.stop() }
        let failing = try RawServer(handler: Behavior.http { 500 })
        defer { failing.stop() }
        let refusing = try RefusingPort()
        defer { refusing.close() }
        let cases: [(HealthCheck, ProbeFailureReason)] = [
            (check(.websocket, "ws://127.0.0.1:\(wrongAccept.port)/"), .handshake),
            (check(.websocket, "ws://127.0.0.1:\(refusing.port)/"), .refused),
            (check(.websocket, "ws://127.0.0.1:\(silent.port)/", timing: hangTiming), .timeout),
            (check(.http(expect: [], headers: []), "http://127.0.0.1:\(refusing.port)/"), .refused),
            (check(.http(expect: [], headers: []), "http://127.0.0.1:\(silent.port)/", timing: hangTiming), .timeout),
            (check(.http(expect: [], headers: []), "http://127.0.0.1:\(failing.port)/"), .status),
            (check(.tcp, "tcp://127.0.0.1:\(refusing.port)"), .refused),
        ]
        let made = try await withEngine { engine in
            for (key, (check, reason)) in cases.enumerated() {
                for round in 1...3 {
                    let result = await probe(engine, key: UInt64(key), check)
                    #expect(result?.failure == reason, "\(check.kind) \(check.url) round \(round): \(String(describing: result))")
                }
            }
            return engine.handlesMade.load(ordering: .relaxed)
        }
        #expect(made == cases.count)  // one handle per key, configured once, used three times
        #expect(wrongAccept.accepted == 3)  // every WebSocket probe still opened its own connection
        #expect(failing.accepted == 1)  // every HTTP probe reused the one connection
    }

    @Test func everyWebSocketProbeSendsAFreshKeyAndChecksTheAnswerToThatKey() async throws {
        // Answers every handshake with the accept value of the first key it ever saw: right once, stale after.
        let keys = Mutex<[String]>([])
        let server = try RawServer(handler: Behavior.upgrade(accept: { key in
            let first = keys.withLock { keys in
                keys.append(key)
                return keys[0]
            }
            return Behavior.webSocketAccept(for: first)
        }))
        defer { server.stop() }
        let webSocket = check(.websocket, "ws://127.0.0.1:\(server.port)/")
        let (results, made) = try await withEngine { engine in
            var results: [ProbeResult?] = []
            for _ in 0..<3 { results.append(await probe(engine, key: 7, webSocket)) }
            return (results, engine.handlesMade.load(ordering: .relaxed))
        }
        #expect(made == 1)
        #expect(results.map { $0?.failure } == [nil, .handshake, .handshake])
        #expect(results.last??.detail == "101 with a wrong Sec-WebSocket-Accept")
        let seen = keys.withLock { $0 }
        #expect(seen.count == 3)
        #expect(Set(seen).count == 3, "keys repeated: \(seen)")
        #expect(seen.allSatisfy { $0.utf8.count == 24 && $0.hasSuffix("==") })
    }

    @Test func changedCheckUnderTheSameKeyGetsAFreshHandle() async throws {
        let old = try RawServer(handler: Behavior.http { 200 })
        defer { old.stop() }
        let new = try RawServer(handler: Behavior.http { 503 })
        defer { new.stop() }
        let (results, made) = try await withEngine { engine in
            let first = await probe(engine, key: 1, check(.http(expect: [], headers: []), "http://127.0.0.1:\(old.port)/"))
            let second = await probe(engine, key: 1, check(.http(expect: [], headers: []), "http://127.0.0.1:\(new.port)/"))
            return ([first, second], engine.handlesMade.load(ordering: .relaxed))
        }
        #expect(made == 2)
        #expect(results[0]?.ok == true)
        #expect(results[1]?.failure == .status)
        #expect(new.accepted == 1)
    }

    @Test func oneOffProbesNeverShareAHandle() async throws {
        let server = try RawServer(handler: Behavior.http { 200 })
        defer { server.stop() }
        let made = try await withEngine { engine in
            for _ in 0..<3 {
                let result = await probe(engine, key: nil, check(.http(expect: [], headers: []), "http://127.0.0.1:\(server.port)/"))
                #expect(result?.ok == true)
            }
            return engine.handlesMade.load(ordering: .relaxed)
        }
        #expect(made == 3)
    }

    @Test func fastRandomIsFixedBySeedAndSpreads() {
        var first = FastRandom(seed: 42)
        var second = FastRandom(seed: 42)
        var other = FastRandom(seed: 43)
        let a = (0..<64).map { _ in first.next() }
        #expect(a == (0..<64).map { _ in second.next() })
        #expect(a != (0..<64).map { _ in other.next() })
        #expect(Set(a).count == 64)
        var generator = FastRandom(seed: 1)
        let draws = (0..<10_000).map { _ in Double.random(in: 0..<1, using: &generator) }
        #expect(draws.allSatisfy { (0..<1).contains($0) })
        #expect(draws.filter { $0 < 0.5 }.count > 4_500 && draws.filter { $0 < 0.5 }.count < 5_500)
    }

    @Test func base64MatchesFoundation() {
        var generator = FastRandom(seed: 9)
        for count in 0..<25 {
            let bytes = (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            var output = [UInt8](repeating: 0, count: (count + 2) / 3 * 4)
            bytes.withUnsafeBytes { input in
                output.withUnsafeMutableBufferPointer { Base64.encode(input, into: $0.baseAddress!) }
            }
            #expect(String(decoding: output, as: UTF8.self) == Data(bytes).base64EncodedString())
        }
    }
}

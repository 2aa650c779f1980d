import Foundation
import SwitchboardCore
import SwitchboardTestSupport
import Synchronization
import Testing

@testable import SwitchboardHealth

/// `sign: true` WebSocket checks: the probe connects the way Inkbox does, with a signed `X-Call-Context`.
@Suite(.timeLimit(.minutes(1)))
struct SignedProbeTests {
    static let key = "whsec_probe-signing-key"
    /// Room for a loaded machine: these tests are about what is sent, not how fast.
    static let timing = HealthTiming(timeout: .seconds(5))

    static func signed(_ name: String, _ url: String) -> ProbeTarget {
        var target = target(name, .websocket, url, timing: timing)
        target.check.sign = true
        return target
    }

    @Test func aBackendThatRequiresASignatureRefusesUnsignedProbesAndPassesSignedOnes() async throws {
        let backend = try DemoBackendServer(name: "strict", signingKeys: [Self.key])
        try await backend.start()
        let url = "ws://127.0.0.1:\(backend.port)/calls?call=probe"
        let results = await probeOnce(
            [target("unsigned", .websocket, url, timing: Self.timing), Self.signed("signed", url)], signingKeys: [Self.key], logger: quietLogger
        )
        #expect(results[0].failure == .handshake, "\(results[0])")
        #expect(results[0].detail.contains("401"))
        #expect(results[1].ok, "\(results[1])")
        // Signed with a key the backend does not know.
        let wrongKey = await probeOnce([Self.signed("signed", url)], signingKeys: ["whsec_other"], logger: quietLogger)
        #expect(wrongKey[0].failure == .handshake, "\(wrongKey[0])")
        // No key at all: the check cannot run.
        let noKey = await probeOnce([Self.signed("signed", url)], logger: quietLogger)
        #expect(noKey[0].failure == .protocol)
        #expect(noKey[0].detail.contains("signing key"))
        await backend.stop()
    }

    /// What a backend sees: a call context marked as a probe, signed over `{request_id}.{timestamp}.{context}`, a
    /// fresh request ID on every probe, and a clean close (FIN, not RST) after the handshake.
    @Test func signedHeadersAreWhatInkboxSends() async throws {
        let heads = Mutex<[String]>([])
        let cleanCloses = Mutex(0)
        let server = try RawServer(handler: Behavior.upgrade(
            onRequest: { head in heads.withLock { $0.append(head) } },
            onClosed: { cleanCloses.withLock { $0 += 1 } }
        ))
        defer { server.stop() }
        let url = "ws://127.0.0.1:\(server.port)/"
        for _ in 0..<2 {
            let result = await probeOnce([Self.signed("signed", url)], signingKeys: [Self.key, "whsec_next"], logger: quietLogger)
            #expect(result[0].ok, "\(result[0])")
        }
        #expect(await eventually { cleanCloses.withLock { $0 } == 2 })
        let requests = heads.withLock { $0 }
        #expect(requests.count == 2)
        var requestIDs = Set<String>()
        for head in requests {
            let context = try #require(RawConnection.header("X-Call-Context", in: head))
            let requestID = try #require(RawConnection.header("X-Inkbox-Request-ID", in: head))
            let timestamp = try #require(RawConnection.header("X-Inkbox-Timestamp", in: head))
            let signature = try #require(RawConnection.header("X-Inkbox-Signature", in: head))
            requestIDs.insert(requestID)
            // Verified with the first key only, independently of the signer.
            var bytes = Array(context.utf8)
            try bytes.withUnsafeMutableBytes { body in
                try WebhookVerifier(keys: [Self.key]).verify(
                    requestID: requestID, timestamp: timestamp, signature: signature, body: UnsafeRawBufferPointer(body)
                )
            }
            let object = try #require(try JSONSerialization.jsonObject(with: Data(context.utf8)) as? [String: Any])
            #expect(object["probe"] as? Bool == true)
            #expect(object["call_id"] as? String == requestID)
            #expect(object["direction"] as? String == "inbound")
            #expect(object["source"] as? String == "switchboard-health")
        }
        #expect(requestIDs.count == 2)
    }
}

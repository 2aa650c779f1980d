import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import NIOSSL
import SwitchboardCore
import SwitchboardTestSupport
import Synchronization
import Testing

@testable import SwitchboardServer

/// HTTPS on the webhook listener: a real handshake against a test CA, and certificate rotation.
@Suite(.timeLimit(.minutes(1)), .enabled(if: TLSServer.isAvailable))
struct HTTPSTests {
    static func client(trusting ca: String) -> TestClient.Configuration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(ca)
        return .init(tlsConfiguration: tls, serverName: "localhost")  // NIOSSL refuses an IP address as SNI
    }

    /// One signed webhook over a new HTTPS connection; its status code (0 when the request failed).
    static func post(_ live: LiveSwitchboard, ca: String) async -> Int {
        let body = Fixture.incomingCall
        let headers = LiveSwitchboard.signedHeaders(body, requestID: UUID().uuidString)
        do {
            return try await TestClient.withClient(host: "127.0.0.1", port: live.webhookPort, configuration: client(trusting: ca)) {
                try await $0.execute(.init("/webhooks/incoming-call", method: .post, headers: headers, body: ByteBuffer(bytes: body)))
            }.status.code
        } catch {
            return 0
        }
    }

    static func tlsStatus(_ live: LiveSwitchboard) async throws -> [String: Any] {
        let status = try await live.admin(.get, "/status").json
        return (status["tls"] as? [String: Any])?["webhook"] as? [String: Any] ?? [:]
    }

    /// Replaces a file the way cert-manager or an editor does: a new file renamed over the old one.
    static func replace(_ path: String, with source: String) throws {
        let temporary = path + ".new"
        try? FileManager.default.removeItem(atPath: temporary)
        try FileManager.default.copyItem(atPath: source, toPath: temporary)
        _ = rename(temporary, path)
    }

    /// Replaces the files `chain` and `key` with `pair`'s, each with ``replace(_:with:)``.
    static func install(_ pair: (chain: String, key: String), chain: String, key: String) throws {
        try replace(chain, with: pair.chain)
        try replace(key, with: pair.key)
    }

    @Test func webhooksAreAnsweredOverHTTPSWithAFullChain() async throws {
        let ca = try await blocking { try TestCertificateAuthority() }
        let first = try await blocking { try ca.issue("first") }
        try await LiveSwitchboard.with(routes: FrontDoorTests.routes, configure: {
            $0.webhookTLS = .init(certificate: first.chain, key: first.key)
        }) { live in
            #expect(await Self.post(live, ca: ca.certificate) == 200)
            // Plain HTTP on the HTTPS port gets no answer.
            let plain = try? await live.post(Fixture.incomingCall)
            #expect(plain?.status != .ok)
            let tls = try await Self.tlsStatus(live)
            #expect(tls["certificate_not_after"] is String)
            #expect(tls["last_error"] is NSNull)
        }
    }

    /// A client sends webhooks without pause, each on a new connection, while the pair is replaced twice and
    /// reloaded (`reloadCertificates()`, as `SIGHUP` and a file watcher call it, and `POST /admin/reload`); a
    /// connection opened before the rotation keeps working after it. Not one request fails.
    @Test func rotationDropsNoRequest() async throws {
        let ca = try await blocking { try TestCertificateAuthority() }
        let first = try await blocking { try ca.issue("first", days: 1) }
        let second = try await blocking { try ca.issue("second", days: 5) }
        let third = try await blocking { try ca.issue("third", days: 9) }
        let scratch = try Scratch()
        let chain = scratch.path("chain.pem"), key = scratch.path("key.pem")
        try Self.install(first, chain: chain, key: key)
        try await LiveSwitchboard.with(routes: FrontDoorTests.routes, configure: {
            $0.webhookTLS = .init(certificate: chain, key: key)
        }) { live in
            let before = try await Self.tlsStatus(live)["certificate_not_after"] as? String
            try await TestClient.withClient(
                host: "127.0.0.1", port: live.webhookPort, configuration: Self.client(trusting: ca.certificate)
            ) { held in
                let body = Fixture.incomingCall
                func postOnHeld() async throws -> HTTPResponse.Status {
                    let headers = LiveSwitchboard.signedHeaders(body, requestID: UUID().uuidString)
                    return try await held.execute(
                        .init("/webhooks/incoming-call", method: .post, headers: headers, body: ByteBuffer(bytes: body))
                    ).status
                }
                #expect(try await postOnHeld() == .ok)
                let rotated = Flag()
                async let sent = Self.sendContinuously(live, ca: ca.certificate, until: rotated)
                try Self.install(second, chain: chain, key: key)
                live.switchboard.reloadCertificates(trigger: "test")
                try Self.install(third, chain: chain, key: key)
                _ = try await live.admin(.post, "/admin/reload")
                rotated.set()
                let statuses = await sent
                #expect(statuses.count >= 10)
                #expect(statuses.allSatisfy { $0 == 200 })
                // The connection opened before the rotation still works.
                #expect(try await postOnHeld() == .ok)
            }
            let after = try await Self.tlsStatus(live)
            #expect(after["certificate_not_after"] as? String != before)
            #expect(after["last_error"] is NSNull)
            let metrics = try await live.admin(.get, "/metrics").text
            #expect(metrics.contains(#"switchboard_tls_reloads_total{listener="webhook",result="success"} 2"#))
        }
    }

    final class Flag: Sendable {
        private let value = Atomic(false)
        func set() { value.store(true, ordering: .releasing) }
        var isSet: Bool { value.load(ordering: .acquiring) }
    }

    /// Webhooks one after another, each on a new connection, until 10 after `flag` is set (at most 200).
    static func sendContinuously(_ live: LiveSwitchboard, ca: String, until flag: Flag) async -> [Int] {
        var statuses: [Int] = []
        var afterFlag = 0
        while statuses.count < 200, afterFlag < 10 {
            statuses.append(await post(live, ca: ca))
            if flag.isSet { afterFlag += 1 }
        }
        return statuses
    }

    @Test func aBrokenNewPairKeepsTheCurrentOne() async throws {
        let ca = try await blocking { try TestCertificateAuthority() }
        let first = try await blocking { try ca.issue("first") }
        let other = try await blocking { try ca.issue("other") }
        let scratch = try Scratch()
        let chain = scratch.path("chain.pem"), key = scratch.path("key.pem")
        try Self.install(first, chain: chain, key: key)
        try await LiveSwitchboard.with(routes: FrontDoorTests.routes, configure: {
            $0.webhookTLS = .init(certificate: chain, key: key)
        }) { live in
            // A key that does not belong to the certificate, then a certificate file that is not PEM.
            try Self.replace(key, with: other.key)
            #expect(try await live.admin(.post, "/admin/reload").status == .ok)  // the routes reloaded fine
            #expect(await Self.post(live, ca: ca.certificate) == 200)
            #expect((try await Self.tlsStatus(live)["last_error"] as? String)?.contains("does not fit") == true)
            try "not a certificate".write(toFile: chain, atomically: true, encoding: .utf8)
            live.switchboard.reloadCertificates(trigger: "test")
            #expect(await Self.post(live, ca: ca.certificate) == 200)
            #expect((try await Self.tlsStatus(live)["last_error"] as? String)?.contains(chain) == true)
            let metrics = try await live.admin(.get, "/metrics").text
            #expect(metrics.contains(#"switchboard_tls_reloads_total{listener="webhook",result="failure"} 2"#))
        }
    }

    /// A Kubernetes Secret mounted as a directory: `tls.crt` and `tls.key` are links through `..data`, which the
    /// kubelet points at a new directory when the Secret changes. The watcher loads the new pair by itself.
    @Test func aSecretSymlinkSwapIsLoadedWithoutASignal() async throws {
        let ca = try await blocking { try TestCertificateAuthority() }
        let first = try await blocking { try ca.issue("first", days: 1) }
        let second = try await blocking { try ca.issue("second", days: 7) }
        let scratch = try Scratch()
        @Sendable func version(_ name: String, _ pair: (chain: String, key: String)) throws {
            try FileManager.default.createDirectory(atPath: scratch.path(name), withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: pair.chain, toPath: scratch.path("\(name)/tls.crt"))
            try FileManager.default.copyItem(atPath: pair.key, toPath: scratch.path("\(name)/tls.key"))
        }
        try version("..2026_01", first)
        try FileManager.default.createSymbolicLink(atPath: scratch.path("..data"), withDestinationPath: "..2026_01")
        try FileManager.default.createSymbolicLink(atPath: scratch.path("tls.crt"), withDestinationPath: "..data/tls.crt")
        try FileManager.default.createSymbolicLink(atPath: scratch.path("tls.key"), withDestinationPath: "..data/tls.key")
        try await LiveSwitchboard.with(routes: FrontDoorTests.routes, watchRoutes: true, configure: {
            $0.webhookTLS = .init(certificate: scratch.path("tls.crt"), key: scratch.path("tls.key"))
        }) { live in
            let before = try await Self.tlsStatus(live)["certificate_not_after"] as? String
            #expect(await Self.post(live, ca: ca.certificate) == 200)
            // The kubelet's swap: a new directory, a new link, renamed over `..data` in one step.
            try version("..2026_02", second)
            try FileManager.default.createSymbolicLink(atPath: scratch.path("..data_tmp"), withDestinationPath: "..2026_02")
            _ = rename(scratch.path("..data_tmp"), scratch.path("..data"))
            #expect(try await eventually(within: 10) {
                try await Self.tlsStatus(live)["certificate_not_after"] as? String != before
            })
            #expect(await Self.post(live, ca: ca.certificate) == 200)
            let metrics = try await live.admin(.get, "/metrics").text
            #expect(metrics.contains(#"switchboard_tls_reloads_total{listener="webhook",result="success"}"#))
        }
    }
}

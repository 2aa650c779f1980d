import SwitchboardCore
import SwitchboardHealth
import SwitchboardTestSupport
import Testing

/// TLS is verified by default; `tlsVerify: false` and `caFile` change that. Against `openssl s_server`.
@Suite(.timeLimit(.minutes(1)), .enabled(if: TLSServer.isAvailable, "needs the openssl command"))
struct ProbeTLSTests {
    /// Which certificates the probe trusts.
    private enum Trust {
        case system, anything, theServer, file(String)
    }

    private func probe(_ kind: HealthCheck.Kind, trusting trust: Trust = .system) async throws -> ProbeResult {
        let server = try await TLSServer.start()
        var check = HealthCheck(kind: kind, url: "https://127.0.0.1:\(server.port)/")
        switch trust {
        case .system: break
        case .anything: check.tlsVerify = false
        case .theServer: check.caFile = server.certificate
        case .file(let path): check.caFile = path
        }
        let result = await probeOnce([ProbeTarget(name: "tls", check: check)], logger: quietLogger)[0]
        await server.stop()
        return result
    }

    @Test func selfSignedCertificateFailsByDefault() async throws {
        let result = try await probe(.http(expect: [], headers: []))
        #expect(result.failure == .tls, "\(result)")
    }

    @Test func tlsVerifyFalseAcceptsAnyCertificate() async throws {
        let result = try await probe(.http(expect: [], headers: []), trusting: .anything)
        #expect(result.ok, "\(result)")
    }

    @Test func caFileTrustsTheServersIssuer() async throws {
        let result = try await probe(.http(expect: [200], headers: []), trusting: .theServer)
        #expect(result.ok, "\(result)")
    }

    @Test func missingCAFileIsATLSFailure() async throws {
        let result = try await probe(.http(expect: [], headers: []), trusting: .file("/nonexistent/ca.pem"))
        #expect(result.failure == .tls, "\(result)")
    }

    @Test func secureWebSocketCheckSpeaksTLS() async throws {
        // s_server answers the upgrade with a plain 200: the TLS part worked, the handshake did not.
        let result = try await probe(.websocket, trusting: .anything)
        #expect(result.failure == .handshake, "\(result)")
        #expect(result.detail == "status 200, expected 101")
    }
}

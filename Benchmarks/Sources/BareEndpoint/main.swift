import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import NIOCore
import NIOSSL

// The baseline for Benchmarks/scripts/webhook.sh: the same Hummingbird stack Switchboard uses, the same route, a body
// read with the same limit, and a fixed JSON answer — no verification, parsing or routing.
//
//   BareEndpoint PORT [CERT.pem KEY.pem]     with a certificate and key, HTTPS with NIOSSL's default server
//                                            configuration, as `switchboard serve --tls-cert --tls-key` uses
//
// BARE_IDLE_TIMEOUT=SECONDS adds Hummingbird's idle timeout, as `serve` always has one (`--idle-timeout`).
let arguments = CommandLine.arguments
let port = arguments.count > 1 ? Int(arguments[1]) ?? 8081 : 8081
let answer = #"{"action":"answer","client_websocket_url":"ws://127.0.0.1:9001/calls"}"#
let router = Router()
router.post("/webhooks/incoming-call") { request, _ -> Response in
    var request = request
    _ = try await request.collectBody(upTo: 65_536)
    return Response(
        status: .ok,
        headers: [.contentType: "application/json"],
        body: ResponseBody(byteBuffer: ByteBuffer(string: answer))
    )
}
let configuration = ApplicationConfiguration(address: .hostname("127.0.0.1", port: port))
let idleSeconds = ProcessInfo.processInfo.environment["BARE_IDLE_TIMEOUT"].flatMap { Int64($0) }
let http1: HTTPServerBuilder = .http1(configuration: .init(idleTimeout: idleSeconds.map { .seconds($0) }))
let server: HTTPServerBuilder = arguments.count > 3
    ? try .tls(
        http1,
        tlsConfiguration: TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(arguments[2]).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: arguments[3], format: .pem))
        )
    )
    : http1
try await Application(router: router, server: server, configuration: configuration).runService()

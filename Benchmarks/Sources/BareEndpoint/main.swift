import Hummingbird

// The baseline for Benchmarks/scripts/webhook.sh: the same Hummingbird stack Switchboard uses, the same route, a body read
// with the same limit, and a fixed JSON answer — no verification, parsing or routing.
let port = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 8081 : 8081
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
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()

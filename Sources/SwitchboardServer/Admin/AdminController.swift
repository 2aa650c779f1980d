import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SwitchboardCore
import SwitchboardHealth

/// The admin listener: `/healthz`, `/readyz`, `/metrics`, `/status`, `POST /admin/reload`, `GET /admin/explain`,
/// `GET /admin/calls` and the operator page at `/` (docs/http.md).
struct AdminController: Sendable {
    let state: RoutingState
    let checker: HealthChecker
    let reloader: RoutesReloader
    let metrics: SwitchboardMetrics
    let decisions: DecisionLog
    let ledger: any CallLedger
    /// The shared store, with `--store`: `/readyz` waits for it once, `/status` shows it and the replicas.
    let store: PostgresLedger?
    /// Whether the store keeps call records (`GET /admin/calls`).
    let callRecords: Bool
    let capacityMetrics: CapacityMetrics
    /// When set, everything but `/healthz` and `/readyz` needs `Authorization: Bearer <token>`.
    let token: String?
    let probeHistory: ProbeHistory
    /// Reloads the listeners' certificate pairs, with the routes on `POST /admin/reload`.
    var reloadCertificates: @Sendable () -> Void = {}
    /// The HTTPS listeners' certificate pairs, by listener, for `/status`.
    var certificates: [String: CertificateStore] = [:]

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("/healthz") { _, _ in JSONResponse.body(.ok, #"{"status":"ok"}"#) }
        router.get("/readyz") { _, _ in
            guard checker.firstRoundCompleted else {
                return JSONResponse.error(.serviceUnavailable, "first probe round not finished")
            }
            // A store that was reached once and then blipped keeps the replica ready: it answers by its
            // --store-unavailable policy, and every replica shares the store, so turning them all unready would
            // leave Inkbox nobody to ask (docs/operations.md#when-the-store-is-unavailable).
            guard let store = store?.status else { return JSONResponse.body(.ok, #"{"ready":true}"#) }
            guard store.availability != .connecting else {
                return JSONResponse.error(.serviceUnavailable, "store not reached yet")
            }
            return JSONResponse.body(.ok, #"{"ready":true,"store":"\#(store.availability.rawValue)"}"#)
        }
        // The operator page holds no data (it fetches `/status` with the token), so it is served without one. Built
        // here, so its files are read when the server starts rather than on the first request.
        let operatorPage = OperatorPage.response()
        router.get("/") { _, _ in operatorPage }
        let protected = router.group().add(middleware: BearerTokenMiddleware(token: token))
        protected.get("/metrics") { _, _ in
            let snapshot = state.snapshot
            capacityMetrics.refresh(table: snapshot.table, health: snapshot.health, occupancies: ledger.occupancies())
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.render()))
            )
        }
        protected.get("/status") { _, _ in
            JSONResponse.body(
                .ok,
                StatusDocument.json(
                    state: state, statuses: checker.statuses(), decisions: decisions.last,
                    occupancies: ledger.occupancies(), certificates: certificates, history: probeHistory,
                    decisionsByRoute: decisions.decisionsByRoute, store: store?.status
                )
            )
        }
        protected.get("/admin/explain") { request, _ in
            let query = request.uri.queryParameters
            return Self.explain(
                caller: query["caller"].map(String.init), number: query["number"].map(String.init),
                at: query["at"].map(String.init), down: query[values: "down"].map(String.init), snapshot: state.snapshot,
                ledger: ledger
            )
        }
        protected.post("/admin/reload") { _, _ in
            let result = await reloader.reload(reason: "admin")
            reloadCertificates()
            switch result {
            case .success(let table):
                return JSONResponse.body(.ok, #"{"reloaded":true,"version":"\#(table.version)"}"#)
            case .failure(let error):
                return JSONResponse.error(.unprocessableContent, error.description)
            }
        }
        protected.get("/admin/calls") { request, _ in
            var parameters: [String: String] = [:]
            for (name, value) in request.uri.queryParameters where !value.isEmpty {
                parameters[String(name)] = String(value)
            }
            return await Self.calls(parameters, store: callRecords ? store : nil)
        }
        DrainController(state: state, ledger: ledger).addRoutes(to: protected)
    }
}

/// Refuses requests without the admin token; a no-op when no token is configured.
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard let token else { return try await next(request, context) }
        // The scheme is case-insensitive (RFC 9110 §11.1): `Bearer`, `bearer` and `BEARER` all work.
        let presented = Self.bearerToken(request.headers[.authorization] ?? "") ?? ""
        // Compare digests so the comparison takes the same time whatever the presented value.
        let expected = SHA256.hash(data: Data(token.utf8))
        guard SHA256.hash(data: Data(presented.utf8)) == expected else {
            var response = JSONResponse.error(.unauthorized, "missing or wrong admin token (Authorization: Bearer …)")
            response.headers[.wwwAuthenticate] = "Bearer"
            return response
        }
        return try await next(request, context)
    }

    /// The credentials of `Bearer <token>`, the scheme matched case-insensitively; nil for another scheme.
    static func bearerToken(_ header: String) -> Substring? {
        let trimmed = header.drop { $0 == " " }
        guard let space = trimmed.firstIndex(of: " "), trimmed[..<space].lowercased() == "bearer" else { return nil }
        return trimmed[space...].drop { $0 == " " }
    }
}

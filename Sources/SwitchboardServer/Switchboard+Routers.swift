import Hummingbird

extension Switchboard {
    /// The public listener's routes: `POST` on the webhook and events paths; every other method there is 405.
    ///
    /// `run` serves it; tests can also drive it in-process (`Application(router:).test(.router)`).
    public func webhookRouter() -> Router<BasicRequestContext> {
        let router = Router()
        let delivery = SignedDelivery(verifier: verifier, maxBodySize: configuration.maxBodySize)
        WebhookController(
            delivery: delivery, state: state, ledger: ledger, recorder: recorder, metrics: metrics,
            capacityMetrics: capacityMetrics, decisions: decisions, clock: configuration.routingClock, logger: logger
        ).addRoutes(to: router, path: configuration.webhookPath)
        EventsController(
            delivery: delivery, ledger: ledger, recorder: recorder, metrics: capacityMetrics, refusals: metrics, logger: logger
        ).addRoutes(to: router, path: configuration.eventsPath)
        // Both signed endpoints answer every method but POST with 405, including ones the router does not know.
        // Added after the routes, the middleware wraps only the router's not-found answer, so a POST never runs it.
        router.add(middleware: PostOnlyMiddleware(paths: [configuration.webhookPath, configuration.eventsPath]))
        return router
    }

    /// The admin listener's routes (docs/http.md#admin-listener).
    public func adminRouter() -> Router<BasicRequestContext> {
        let router = Router()
        AdminController(
            state: state, checker: checker, reloader: reloader, metrics: metrics, decisions: decisions, ledger: ledger,
            store: store, callRecords: recorder != nil, capacityMetrics: capacityMetrics, token: configuration.adminToken, probeHistory: probeHistory,
            reloadCertificates: { self.reloadCertificates(trigger: "admin") },
            certificates: ["webhook": webhookCertificates, "admin": adminCertificates].compactMapValues { $0 }
        ).addRoutes(to: router)
        return router
    }
}

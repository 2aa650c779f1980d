import Foundation
import Hummingbird
import SwitchboardCore

extension AdminController {
    /// `GET /admin/explain?caller=…&number=…[&at=…][&down=NAME…]`: the decision trace of `switchboard explain
    /// --json`, against the running table and live health (docs/http.md).
    /// Empty parameters count as absent.
    static func explain(
        caller: String?, number: String?, at: String?, down: [String], snapshot: RoutingState.Snapshot,
        ledger: any CallLedger
    ) -> Response {
        func value(_ parameter: String?) -> String? { parameter?.isEmpty == false ? parameter : nil }
        var call = IncomingCall()
        call.caller = value(caller)
        call.number = value(number)
        guard call.caller != nil || call.number != nil else {
            return JSONResponse.error(
                .badRequest, "give caller, number or both: /admin/explain?caller=+14155550999&number=+14155550100"
            )
        }
        var instant = Date()
        if let at = value(at) {
            guard let parsed = try? Date(at, strategy: .iso8601) else {
                return JSONResponse.error(.badRequest, "at must be an ISO 8601 instant like 2026-01-14T15:00:00Z, not '\(at)'")
            }
            instant = parsed
        }
        let down = down.filter { !$0.isEmpty }
        let table = snapshot.table
        switch table.health(snapshot.health, down: down) {
        case .success(let health):
            // Live calls and drain flags count too: the answer is the one the next call would get.
            let explanation = ledger.explain(call, in: snapshot, health: health, at: instant)
            return JSONResponse.body(.ok, explanation.json(call: call))
        case .failure(let unknown):
            return JSONResponse.error(.badRequest, "down: \(unknown)")
        }
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import SwitchboardCore

/// `POST /admin/backends/{name}/drain`, `/undrain` and `GET /admin/backends/{name}` on the admin listener (docs/http.md#drain-and-undrain).
///
/// A draining backend gets no new calls and keeps its live ones; it is `drained` once it holds none. The flag is
/// kept by name in the ``CallLedger``, so it survives reloads; with a store it applies to every replica and
/// survives restarts.
struct DrainController: Sendable {
    let state: RoutingState
    let ledger: any CallLedger

    func addRoutes(to group: RouterGroup<some RequestContext>) {
        group.post("/admin/backends/:name/drain") { _, context in
            await respond(context.parameters.get("name"), draining: true)
        }
        group.post("/admin/backends/:name/undrain") { _, context in
            await respond(context.parameters.get("name"), draining: false)
        }
        group.get("/admin/backends/:name") { _, context in
            await respond(context.parameters.get("name"), draining: nil)
        }
    }

    /// Sets the flag (nil: only reads it) and answers with the backend's drain state.
    private func respond(_ name: String?, draining: Bool?) async -> Response {
        let table = state.snapshot.table
        guard let name, table.backendIndex(named: name) != nil else {
            return JSONResponse.error(.notFound, "no backend named '\(name ?? "")' in the running table")
        }
        if let draining {
            do {
                try await ledger.setDraining(name, draining)
            } catch {
                return JSONResponse.error(.serviceUnavailable, error.description)
            }
        }
        return JSONResponse.body(.ok, Self.json(name: name, occupancy: await ledger.occupancy(of: name)))
    }

    /// `{"backend":"a","drain":"draining","active_calls":3}`; `drain` is `draining`, `drained` or null.
    static func json(name: String, occupancy: Occupancy) -> String {
        var json = #"{"backend":""#
        JSONString.appendEscaped(name, to: &json)
        let drain = drainState(occupancy).map { #""\#($0)""# } ?? "null"
        json += #"","drain":\#(drain),"active_calls":\#(occupancy.active)}"#
        return json
    }

    /// `draining` while live calls remain, `drained` at zero; nil when not drained by an operator.
    static func drainState(_ occupancy: Occupancy) -> String? {
        guard occupancy.draining else { return nil }
        return occupancy.active > 0 ? "draining" : "drained"
    }
}

import Logging
import ServiceLifecycle
import SwitchboardCore

/// Expires call leases past their `max_call_duration` and forgets the leases of backends a reload removed.
///
/// Runs every `tick` (100 ms by default), so a lease is released at most one tick after it expires. Each tick is
/// a comparison unless a lease is due or the table changed.
struct CapacitySweeper: Service {
    let ledger: CapacityLedger
    let state: RoutingState
    let logger: Logger
    var tick: Duration = .milliseconds(100)

    func run() async throws {
        var version: String?
        var backends = 0
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let table = state.snapshot.table
            if table.version != version || table.backends.count != backends {
                version = table.version
                backends = table.backends.count
                ledger.retain(Set(table.backends.map(\.name)))
            }
            for (callID, backend) in ledger.expire() {
                logger.info(
                    "call slot expired without call.ended",
                    metadata: ["call_id": .string(callID), "backend": .string(backend)]
                )
            }
            try? await Task.sleep(for: tick)
        }
    }
}

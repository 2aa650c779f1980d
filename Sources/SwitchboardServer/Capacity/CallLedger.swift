import Crypto
import Foundation
import SwitchboardCore

/// How a call slot is taken and given back, and where drain flags and retry answers live
/// (docs/operations.md#shared-state).
///
/// Two implementations: ``CapacityLedger``, one process's memory (the default), and ``PostgresLedger``, a
/// PostgreSQL database every replica shares (`serve --store`). The webhook and events endpoints, drain and
/// `/status` use only this protocol.
public protocol CallLedger: Sendable {
    /// Decides a new delivery and takes the chosen backend's slot for the call, as one step: no two deliveries
    /// can both take a backend's last slot. A delivery already answered (same request ID, same body digest) gets
    /// the first answer again; the same request ID with another body is a ``Routed/conflict``. `instant` is the time
    /// `time:` and `calendar:` conditions see.
    func route(
        _ call: IncomingCall, requestID: String, digest: SHA256Digest, in snapshot: RoutingState.Snapshot,
        at instant: Date
    ) async -> Routed

    /// Gives the call's slot back (a verified `call.ended`); harmless when there is none.
    func release(callID: String) async -> CallRelease

    /// Drains (`true`) or undrains a backend by name.
    func setDraining(_ backend: String, _ draining: Bool) async throws(LedgerError)

    /// A backend's live calls and drain flag, as fresh as the ledger can tell (`GET /admin/backends/{name}`,
    /// `switchboard drain --wait`).
    func occupancy(of backend: String) async -> Occupancy

    /// Every backend's occupancy by name, without waiting (for `/status`, `/metrics` and `explain`).
    func occupancies() -> [String: Occupancy]
}

extension CallLedger {
    /// Explains the call as ``route(_:requestID:digest:in:at:)`` would decide it, with the ledger's current counts,
    /// without taking a slot.
    /// - Parameters:
    ///   - health: instead of the snapshot's (`explain --down`).
    ///   - at: the instant for `time:` and `calendar:` conditions.
    public func explain(
        _ call: IncomingCall, in snapshot: RoutingState.Snapshot, health: HealthView? = nil, at instant: Date = Date()
    ) -> Explanation {
        let table = snapshot.table
        let counts = occupancies()
        return table.explain(call, health: health ?? snapshot.health, at: instant) { index in
            counts[table.backends[index].name] ?? .idle
        }
    }
}

/// What ``CallLedger/route(_:requestID:digest:in:at:)`` answered.
public enum Routed: Sendable, Hashable {
    /// A new decision for this delivery; its backend's slot is taken.
    case fresh(RouteDecision)
    /// A retry: the decision given the first time (by this replica or another one).
    case retry(RouteDecision)
    /// The request ID was already used with a different body.
    case conflict
}

/// What releasing a call's slot did.
public enum CallRelease: String, Sendable {
    /// A lease was held for the call and is gone now.
    case released
    /// No lease for this call: never answered, already released (a replay), or expired.
    case unknown
}

/// Why a ledger could not carry out an operator's change.
public struct LedgerError: Error, Sendable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }
}

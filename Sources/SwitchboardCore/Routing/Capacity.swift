import Foundation

/// Whether a backend may take a new call, and if not, why (docs/routes.md#call-limits).
public enum Availability: String, Sendable, Hashable {
    /// Healthy (or not yet probed), not draining, below its limit.
    case available
    /// The health checker says unhealthy.
    case down
    /// At its `max_calls`, or it reports `"status": "full"`.
    case full
    /// Drained by an operator, or it reports `"status": "draining"`.
    case draining
}

/// A backend's live calls as the server's ledger counts them, read during one decision.
public struct Occupancy: Sendable, Hashable {
    /// Calls answered to this backend whose slot is still held.
    public var active: Int
    /// An operator drained it (`POST /admin/backends/{name}/drain`).
    public var draining: Bool

    public init(active: Int = 0, draining: Bool = false) {
        self.active = active
        self.draining = draining
    }

    /// No live calls, not draining: what `explain` and `validate` assume.
    public static let idle = Occupancy()
}

/// What a backend says about itself in the body of its `http` check (`report: json`), every field optional:
/// `{"status": "ok" | "draining" | "full", "load": 0.0-1.0, "max_calls": N}`.
public struct BackendReport: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable {
        case ok
        case draining
        case full
    }

    public var status: Status
    /// Utilisation from 0 to 1, used by `least_loaded`.
    public var load: Double?
    /// Overrides the table's `max_calls`.
    public var maxCalls: Int?

    public init(status: Status = .ok, load: Double? = nil, maxCalls: Int? = nil) {
        self.status = status
        self.load = load
        self.maxCalls = maxCalls
    }

    /// Reads a report body; throws a message naming the first problem.
    public init(json: some Collection<UInt8>) throws(ReportError) {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(json), options: [])
        } catch {
            throw ReportError("report is not JSON")
        }
        guard let fields = object as? [String: Any] else { throw ReportError("report is not a JSON object") }
        self.init()
        if let value = fields["status"], !(value is NSNull) {
            guard let text = value as? String, let status = Status(rawValue: text) else {
                throw ReportError("report status must be \"ok\", \"draining\" or \"full\"")
            }
            self.status = status
        }
        if let value = fields["load"], !(value is NSNull) {
            guard let number = value as? NSNumber, !Self.isBool(number), (0...1).contains(number.doubleValue) else {
                throw ReportError("report load must be a number from 0 to 1")
            }
            load = number.doubleValue
        }
        if let value = fields["max_calls"], !(value is NSNull) {
            guard let number = value as? NSNumber, !Self.isBool(number), number.doubleValue >= 0,
                number.doubleValue <= 1_000_000, number.doubleValue == number.doubleValue.rounded()
            else {
                throw ReportError("report max_calls must be a whole number from 0 to 1000000")
            }
            maxCalls = number.intValue
        }
    }

    private static func isBool(_ number: NSNumber) -> Bool {
        // JSON `true`/`false` arrive as NSNumber of C type `char`; numbers never do.
        String(cString: number.objCType) == "c"
    }
}

/// Why a report body was refused.
public struct ReportError: Error, Sendable, CustomStringConvertible {
    public var description: String

    init(_ description: String) { self.description = description }
}

extension RoutingTable {
    /// The limit in force for `backend`: its reported `max_calls`, else the table's; nil means none.
    public func limit(of backend: Int, health: HealthView) -> Int? {
        health.report(backend)?.maxCalls ?? backends[backend].maxCalls
    }

    /// How long a call answered to the backend named `name` holds its slot without a `call.ended`.
    public func maxCallDuration(of name: String?) -> Duration {
        name.flatMap { backendIndex(named: $0) }.map { backends[$0].maxCallDuration } ?? Backend.defaultMaxCallDuration
    }

    /// Whether `backend` may take a new call.
    public func availability(of backend: Int, health: HealthView, occupancy: Occupancy) -> Availability {
        guard health[backend] else { return .down }
        return admission(of: backend, health: health, occupancy: occupancy)
    }

    /// Availability ignoring health (what `panic` uses): draining and limits still apply.
    func admission(of backend: Int, health: HealthView, occupancy: Occupancy) -> Availability {
        let report = health.report(backend)
        if occupancy.draining || report?.status == .draining { return .draining }
        if report?.status == .full { return .full }
        if let limit = limit(of: backend, health: health), occupancy.active >= limit { return .full }
        return .available
    }

    /// Utilisation for `least_loaded`: the larger of live calls ÷ limit and the reported load; 0 with neither.
    public func utilisation(of backend: Int, health: HealthView, occupancy: Occupancy) -> Double {
        var value = 0.0
        if let limit = limit(of: backend, health: health) {
            value = limit > 0 ? Double(occupancy.active) / Double(limit) : 1
        }
        if let load = health.report(backend)?.load { value = max(value, load) }
        return value
    }
}

/// What the health checker probes for one backend. Health carries over a reload for a target that
/// compares equal (same name, same check).
public struct ProbeTarget: Sendable, Hashable {
    public var name: String
    public var check: HealthCheck

    public init(name: String, check: HealthCheck) {
        self.name = name
        self.check = check
    }
}

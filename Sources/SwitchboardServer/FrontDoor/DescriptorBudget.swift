#if canImport(Glibc)
import Glibc
#endif

/// Sizes the webhook listener's connection cap from the process's file-descriptor limit, keeping descriptors in
/// reserve for the admin listener, the health checker's probes, the routes watcher and the log (docs/operations.md,
/// "Connection limits").
public enum DescriptorBudget {
    /// Descriptors kept for everything but the two listeners' connections: probes, inotify, epoll, the log.
    public static let baseReserve = 128

    /// Raises the soft `RLIMIT_NOFILE` to the hard limit and returns the soft limit now in force (nil when it
    /// cannot be read).
    public static func raiseLimit() -> Int? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)  // RLIM_INFINITY (all ones) clamps to Int.max
    }

    /// The webhook listener's cap under `descriptorLimit`: the requested cap, or what the limit leaves after the
    /// admin listener's cap and `baseReserve` (at most half the limit is reserved), whichever is smaller.
    public static func webhookCap(requested: Int, adminCap: Int, descriptorLimit: Int) -> Int {
        let reserve = min(baseReserve + adminCap, descriptorLimit / 2)
        return max(1, min(requested, descriptorLimit - reserve))
    }

    /// The admin listener's cap under `descriptorLimit`: at most a quarter of the limit.
    public static func adminCap(requested: Int, descriptorLimit: Int) -> Int {
        max(1, min(requested, descriptorLimit / 4))
    }
}

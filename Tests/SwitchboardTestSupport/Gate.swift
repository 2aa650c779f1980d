import Dispatch
import Synchronization

/// Holds threads in `wait()` until `open()`: lets a test freeze a server's answer while it looks at the state
/// before the answer, instead of hoping to look fast enough.
public final class Gate: Sendable {
    private let isOpen = Mutex(false)
    private let semaphore = DispatchSemaphore(value: 0)

    public init() {}

    /// Returns once the gate is open (at once when it already is).
    public func wait() {
        guard !isOpen.withLock({ $0 }) else { return }
        semaphore.wait()
        semaphore.signal()  // pass it on to the next waiter
    }

    public func open() {
        let wasOpen = isOpen.withLock { isOpen in
            defer { isOpen = true }
            return isOpen
        }
        if !wasOpen { semaphore.signal() }
    }
}

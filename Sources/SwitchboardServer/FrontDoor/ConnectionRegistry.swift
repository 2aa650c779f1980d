import NIOCore
import Synchronization

/// The open connections of one listener: enforces its cap and closes every one of them when shutdown runs out of
/// time.
final class ConnectionRegistry: Sendable {
    let limit: Int
    /// Keyed by channel identity; the `Mutex` makes the class `Sendable`.
    private let open = Mutex<[ObjectIdentifier: any Channel]>([:])

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    var count: Int { open.withLock { $0.count } }

    /// Records `channel` until it closes; false, recording nothing, when the listener is at its cap.
    func admit(_ channel: any Channel) -> Bool {
        let key = ObjectIdentifier(channel)
        let admitted = open.withLock { open in
            guard open.count < limit else { return false }
            open[key] = channel
            return true
        }
        guard admitted else { return false }
        channel.closeFuture.whenComplete { _ in self.open.withLock { _ = $0.removeValue(forKey: key) } }
        return true
    }

    /// Closes every open connection, whatever it is doing; returns how many there were.
    @discardableResult
    func closeAll() -> Int {
        let channels = open.withLock { Array($0.values) }
        for channel in channels { channel.close(promise: nil) }
        return channels.count
    }
}

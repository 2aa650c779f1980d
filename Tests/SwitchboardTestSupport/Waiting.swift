import Foundation
import Logging

/// A logger that drops everything (tests never bootstrap the global logging system).
public let quietLogger = Logger(label: "switchboard.tests", factory: { _ in SwiftLogNoOpLogHandler() })

/// Polls `condition` every 20 ms for at most `seconds`; true as soon as it holds. A bounded loop, not a speed
/// assertion: the limit is far above what the behaviour needs.
public func eventually(within seconds: Int = 5, _ condition: () async throws -> Bool) async rethrows -> Bool {
    for _ in 0..<(seconds * 50) {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

/// Runs blocking socket code on its own thread: blocking a cooperative thread (there are only as many as cores)
/// can starve the very server the code talks to, whose handlers run on the same pool.
public func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The built `switchboard` binary run as a child process, with its output captured as it arrives.
public final class ChildProcess: Sendable {
    /// `.build/<triple>/debug/switchboard`, beside the test bundle.
    public static let binary: URL = {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("switchboard")
    }()

    private let process: Process
    private let output = Captured()
    private let errors = Captured()

    /// Bytes read from one pipe so far, and whether the pipe has reached its end.
    private final class Captured: Sendable {
        let state = Mutex((data: Data(), ended: false))
        var text: String { state.withLock { String(decoding: $0.data, as: UTF8.self) } }
        var ended: Bool { state.withLock { $0.ended } }
    }

    /// Starts `switchboard ARGUMENTS`. The child inherits this environment without any `SWITCHBOARD_*` variable,
    /// plus `environment`. `executable` replaces the `switchboard` binary (for a wrapper such as `unshare`); with
    /// `descriptorLimit` it starts under `ulimit -n` (soft and hard limit) of that value.
    public init(
        _ arguments: [String], environment: [String: String] = [:], directory: URL? = nil, executable: URL = binary,
        descriptorLimit: Int? = nil
    ) throws {
        let process = Process()
        if let descriptorLimit {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "ulimit -n \(descriptorLimit) && exec \"$0\" \"$@\"", executable.path] + arguments
        } else {
            process.executableURL = executable
            process.arguments = arguments
        }
        let base = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SWITCHBOARD_") }
        process.environment = base.merging(environment) { _, new in new }
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        self.process = process
        // Plain reader threads, not `readabilityHandler`: its dispatch read sources have crashed test runs on Linux.
        Self.drain(out.fileHandleForReading, into: output)
        Self.drain(err.fileHandleForReading, into: errors)
        try process.run()
    }

    /// Reads `handle` on a thread of its own until end of file.
    private static func drain(_ handle: FileHandle, into captured: Captured) {
        let descriptor = handle.fileDescriptor
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 16_384)
            while true {
                let count = read(descriptor, &buffer, buffer.count)
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                captured.state.withLock { $0.data.append(contentsOf: buffer[0..<count]) }
            }
            captured.state.withLock { $0.ended = true }
            _ = handle  // keeps the descriptor open while reading
        }
        thread.start()
    }

    public var stdout: String { output.text }
    public var stderr: String { errors.text }
    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    /// Runs to completion (at most `timeout`) and returns the exit status and everything the child printed.
    public static func run(
        _ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(30)
    ) async throws -> (status: Int32, stdout: String, stderr: String) {
        let child = try ChildProcess(arguments, environment: environment)
        let status = try await child.waitForExit(timeout: timeout)
        return (status, child.stdout, child.stderr)
    }

    /// Polls the combined output until `text` appears; returns the output.
    @discardableResult
    public func waitForOutput(containing text: String, timeout: Duration = .seconds(15)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let all = stdout + stderr
            if all.contains(text) { return all }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        let all = stdout + stderr
        if all.contains(text) { return all }
        throw ChildError(message: "'\(text)' did not appear; output so far:\n\(stdout)\n\(stderr)")
    }

    public func signal(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits for the child to exit and for both of its pipes to reach their end (so `stdout` and `stderr` hold
    /// everything it wrote); returns its exit status.
    public func waitForExit(timeout: Duration = .seconds(15)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning || !output.ended || !errors.ended {
            guard ContinuousClock.now < deadline else {
                kill(process.processIdentifier, SIGKILL)
                // The end of what it printed says where it stuck.
                let tail = (stdout + stderr).split(separator: "\n").suffix(30).joined(separator: "\n")
                throw ChildError(message: "still running after \(timeout); its last lines:\n\(tail)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    public struct ChildError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }
}

/// A temporary directory for one test's files, removed when the value goes away.
public final class Scratch: Sendable {
    public let directory: URL

    public init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Writes `text` to `name` in the directory (atomically: a new file renamed over the old) and returns its path.
    @discardableResult
    public func write(_ name: String, _ text: String) throws -> String {
        let path = self.path(name)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    public func path(_ name: String) -> String {
        directory.appendingPathComponent(name).path
    }
}

extension String {
    /// The port in a text log line like `address=127.0.0.1:41234 listener=webhook`, or in a JSON log line with
    /// `"listener":"webhook"` and `"address":"127.0.0.1:41234"`.
    public func port(of listener: String) -> Int? {
        for line in split(separator: "\n") {
            if line.contains("listener=\(listener)"),
                let range = line.range(of: #"address=[^ ]+:(\d+)"#, options: .regularExpression)
            {
                return Int(line[range].split(separator: ":").last ?? "")
            }
            if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                object["listener"] as? String == listener, let address = object["address"] as? String
            {
                return Int(address.split(separator: ":").last ?? "")
            }
        }
        return nil
    }
}

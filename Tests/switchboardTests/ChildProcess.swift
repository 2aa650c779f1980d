import Foundation
import Synchronization

/// The built `switchboard` binary run as a child process, with its output captured as it arrives.
final class ChildProcess: Sendable {
    /// `.build/<triple>/debug/switchboard`, beside the test bundle.
    static let binary: URL = {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("switchboard")
    }()

    private let process: Process
    private let output = Captured()
    private let errors = Captured()

    /// Bytes read from one pipe so far.
    final class Captured: Sendable {
        let data = Mutex(Data())
    }

    init(_ arguments: [String], environment: [String: String] = [:], directory: URL? = nil) throws {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        var base = ProcessInfo.processInfo.environment
        base["SWITCHBOARD_SIGNING_KEY"] = nil
        base["SWITCHBOARD_ADMIN_TOKEN"] = nil
        process.environment = base.merging(environment) { _, new in new }
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        self.process = process
        // Plain reader threads, not `readabilityHandler`: its dispatch read sources have crashed test runs here.
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
                captured.data.withLock { $0.append(contentsOf: buffer[0..<count]) }
            }
            _ = handle  // keeps the descriptor open while reading
        }
        thread.start()
    }

    var stdout: String { output.data.withLock { String(decoding: $0, as: UTF8.self) } }
    var stderr: String { errors.data.withLock { String(decoding: $0, as: UTF8.self) } }
    var pid: Int32 { process.processIdentifier }

    /// Runs to completion (at most `timeout`) and returns the exit status.
    static func run(
        _ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(30)
    ) async throws -> (status: Int32, stdout: String, stderr: String) {
        let child = try ChildProcess(arguments, environment: environment)
        let status = try await child.waitForExit(timeout: timeout)
        // Let the pipes drain.
        try await Task.sleep(for: .milliseconds(50))
        return (status, child.stdout, child.stderr)
    }

    /// Polls the combined output until `text` appears; returns the output.
    @discardableResult
    func waitForOutput(containing text: String, timeout: Duration = .seconds(15)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let all = stdout + stderr
            if all.contains(text) { return all }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ChildError(message: "'\(text)' did not appear; output so far:\n\(stdout)\n\(stderr)")
    }

    func signal(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    func waitForExit(timeout: Duration = .seconds(15)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                process.terminate()
                throw ChildError(message: "still running after \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    struct ChildError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}

/// Temporary files for one test.
struct Scratch {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ text: String) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("SwitchboardCoreTests/Fixtures/phone_incoming_call.json").path
    static let repositoryRoutes = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("routes.yaml").path
}

extension String {
    /// The port in a log line like `address=127.0.0.1:41234 listener=webhook`.
    func port(of listener: String) -> Int? {
        for line in split(separator: "\n") where line.contains("listener=\(listener)") {
            guard let range = line.range(of: #"address=[^ ]+:(\d+)"#, options: .regularExpression) else { continue }
            return Int(line[range].split(separator: ":").last!)
        }
        return nil
    }
}

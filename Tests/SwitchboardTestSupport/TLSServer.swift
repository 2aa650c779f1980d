import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `openssl s_server -www` on `127.0.0.1:0` with a fresh self-signed certificate for 127.0.0.1:
/// a real TLS peer without adding a TLS stack to the test target. It answers `GET` with `200`.
/// Process handling blocks, so it runs on its own threads (see `blocking`), never on the cooperative pool.
public final class TLSServer: Sendable {
    public static let openssl = "/usr/bin/openssl"
    public static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: openssl) }

    public let port: Int
    /// The PEM certificate, usable as a CA file (it is its own issuer).
    public let certificate: String
    private let process: Process
    private let directory: URL

    /// Generates the certificate, starts the server and learns its port.
    public static func start() async throws -> TLSServer {
        try await blocking { try TLSServer() }
    }

    private init() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sb-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let certificate = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        try Self.run([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
            "-subj", "/CN=switchboard-test", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", key, "-out", certificate,
        ])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.openssl)
        process.arguments = ["s_server", "-accept", "127.0.0.1:0", "-www", "-cert", certificate, "-key", key]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = Pipe()
        try process.run()
        let reader = output.fileHandleForReading
        var text = ""
        while !text.contains("ACCEPT") || !text.hasSuffix("\n") {
            let chunk = reader.availableData
            guard !chunk.isEmpty else {
                kill(process.processIdentifier, SIGKILL)
                throw SocketError("openssl s_server did not start", 0)
            }
            text += String(decoding: chunk, as: UTF8.self)
        }
        // "ACCEPT 127.0.0.1:PORT"
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("ACCEPT") }),
            let port = line.split(separator: ":").last.flatMap({ Int($0) })
        else {
            kill(process.processIdentifier, SIGKILL)
            throw SocketError("openssl s_server did not start", 0)
        }
        self.port = port
        self.certificate = certificate
        self.process = process
        self.directory = directory
    }

    /// Kills the server (SIGKILL: a child spawned from a thread that blocks signals may not see SIGTERM).
    public func stop() async {
        let (process, directory) = (self.process, self.directory)
        _ = try? await blocking {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    private static func run(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: openssl)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw SocketError("openssl \(arguments.first ?? "")", process.terminationStatus) }
    }
}

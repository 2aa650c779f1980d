import Foundation

/// A private CA made with `openssl` for one test, issuing server certificates for 127.0.0.1: PEM files in a
/// scratch directory, removed when the value goes away. `openssl` blocks, so call it from `blocking`.
public final class TestCertificateAuthority: Sendable {
    public let directory: URL
    /// The CA certificate, to trust on the client side.
    public let certificate: String
    private let key: String

    public init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sb-ca-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        certificate = directory.appendingPathComponent("ca.pem").path
        key = directory.appendingPathComponent("ca-key.pem").path
        try Self.openssl([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
            "-subj", "/CN=switchboard-test-ca", "-keyout", key, "-out", certificate,
        ])
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Issues a certificate for 127.0.0.1 and `localhost` valid `days` days (so two issues differ in `notAfter`); returns the
    /// paths of the full chain (leaf, then the CA) and of the key, named after `name`.
    public func issue(_ name: String, days: Int = 1) throws -> (chain: String, key: String) {
        let leafKey = directory.appendingPathComponent("\(name)-key.pem").path
        let request = directory.appendingPathComponent("\(name).csr").path
        let leaf = directory.appendingPathComponent("\(name)-leaf.pem").path
        let chain = directory.appendingPathComponent("\(name)-chain.pem").path
        let extensions = directory.appendingPathComponent("\(name).ext").path
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\n".write(toFile: extensions, atomically: true, encoding: .utf8)
        try Self.openssl([
            "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-subj", "/CN=127.0.0.1", "-keyout", leafKey, "-out", request,
        ])
        try Self.openssl([
            "x509", "-req", "-in", request, "-CA", certificate, "-CAkey", key, "-CAcreateserial",
            "-days", "\(days)", "-extfile", extensions, "-out", leaf,
        ])
        let pem = try String(contentsOfFile: leaf, encoding: .utf8) + String(contentsOfFile: certificate, encoding: .utf8)
        try pem.write(toFile: chain, atomically: true, encoding: .utf8)
        return (chain, leafKey)
    }

    private static func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TLSServer.openssl)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw SocketError("openssl \(arguments.first ?? "")", process.terminationStatus)
        }
    }
}

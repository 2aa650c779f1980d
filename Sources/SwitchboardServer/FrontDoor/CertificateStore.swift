import Foundation
import NIOSSL
import Synchronization

/// The PEM certificate chain and private key of one HTTPS listener, and the TLS context built from them.
///
/// Each new connection takes `context` as it is accepted, so `reload()` changes the pair for new connections only:
/// open ones keep the context they started with. A pair that fails to load leaves the current one in place and is
/// reported in `/status`, the log and `switchboard_tls_reloads_total{result="failure"}` (docs/operations.md, "HTTPS").
public final class CertificateStore: Sendable {
    /// Where a listener's pair is read from.
    public struct Files: Sendable, Hashable {
        public var certificate: String
        public var key: String

        public init(certificate: String, key: String) {
            self.certificate = certificate
            self.key = key
        }
    }

    /// What `/status` shows about the pair in use.
    public struct Status: Sendable {
        public var notAfter: Date
        public var loadedAt: Date
        public var lastError: String?
    }

    public let files: Files
    private let state: Mutex<(context: NIOSSLContext, status: Status)>

    /// Loads the pair; throws `CertificateError` saying what is wrong with it.
    public init(files: Files) throws(CertificateError) {
        self.files = files
        let (context, notAfter) = try Self.load(files)
        state = Mutex((context, Status(notAfter: notAfter, loadedAt: Date(), lastError: nil)))
    }

    /// The context for a connection being accepted now.
    var context: NIOSSLContext { state.withLock { $0.context } }

    public var status: Status { state.withLock { $0.status } }

    /// Reads the files again; on success new connections use the new pair, on failure the current pair stays.
    @discardableResult
    public func reload() -> Result<Status, CertificateError> {
        do {
            let (context, notAfter) = try Self.load(files)
            return .success(state.withLock { state in
                state = (context, Status(notAfter: notAfter, loadedAt: Date(), lastError: nil))
                return state.status
            })
        } catch {
            state.withLock { $0.status.lastError = error.description }
            return .failure(error)
        }
    }

    private static func load(_ files: Files) throws(CertificateError) -> (NIOSSLContext, Date) {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(files.certificate)
        } catch {
            throw CertificateError("cannot read the certificate chain \(files.certificate): \(error)")
        }
        guard let leaf = chain.first else {
            throw CertificateError("no PEM certificate in \(files.certificate)")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: files.key, format: .pem)
        } catch {
            throw CertificateError("cannot read the private key \(files.key): \(error)")
        }
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key)
        )
        do {
            let context = try NIOSSLContext(configuration: configuration)
            return (context, Date(timeIntervalSince1970: TimeInterval(leaf.notValidAfter)))
        } catch {
            throw CertificateError(
                "the private key \(files.key) does not fit the certificate \(files.certificate): \(error)"
            )
        }
    }
}

/// A certificate/key pair that cannot be used, and why.
public struct CertificateError: Error, Sendable, CustomStringConvertible {
    public var description: String

    init(_ description: String) {
        self.description = description
    }
}

import Crypto
import Foundation

/// A webhook or event POST signed the way Inkbox signs it (HMAC-SHA256 over `{request_id}.{timestamp}.{body}`,
/// keyed with the key without its `whsec_` prefix), computed here independently of the code under test, for tests
/// that talk to a `serve` child process over a raw socket.
public struct SignedRequest: Sendable {
    public var head: String
    public var body: Data

    public init(
        path: String = "/webhooks/incoming-call", body: Data, key: String, requestID: String = UUID().uuidString,
        timestamp: Date = Date()
    ) {
        let stamp = String(Int(timestamp.timeIntervalSince1970))
        let secret = key.hasPrefix("whsec_") ? String(key.dropFirst("whsec_".count)) : key
        let mac = HMAC<SHA256>.authenticationCode(
            for: Data("\(requestID).\(stamp).".utf8) + body, using: SymmetricKey(data: Data(secret.utf8))
        )
        let signature = "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
        head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(body.count)\r\nX-Inkbox-Request-ID: \(requestID)\r\nX-Inkbox-Timestamp: \(stamp)\r\n"
            + "X-Inkbox-Signature: \(signature)\r\nConnection: close\r\n\r\n"
        self.body = body
    }

    /// The whole request as it goes on the wire.
    public var bytes: Data { Data(head.utf8) + body }

    /// Sends the request on a new connection to 127.0.0.1:`port` and returns the answer's body ("" when none came).
    public func send(port: Int) async throws -> String {
        let bytes = bytes
        return try await blocking {
            let connection = try RawConnection(port: port)
            connection.write(bytes)
            return connection.readResponse()?.body ?? ""
        }
    }
}

import CCurl
import Crypto
import Foundation
import SwitchboardCore

extension Probe {
    /// An HTTP/1.1 GET with the WebSocket upgrade headers, on a new connection that is closed afterwards.
    ///
    /// libcurl 7.88 would treat the frames after a `101` as body and hold the transfer open until the
    /// timeout, so the header callback ends the transfer on the blank line after the final status line
    /// (libcurl then reports `CURLE_WRITE_ERROR`, which `finishWebSocket` reads as "head complete").
    func configureWebSocket() -> [CURLcode] {
        let key = WebSocketKey.random()
        expectedAccept = WebSocketKey.accept(for: key)
        let context = Unmanaged.passUnretained(self).toOpaque()
        return [
            handle.set(CURLOPT_URL, ProbeURL.http(from: job.check.url)),
            handle.set(CURLOPT_HTTPGET, 1),
            handle.set(CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1),
            handle.set(CURLOPT_FRESH_CONNECT, 1),
            handle.set(CURLOPT_FORBID_REUSE, 1),
            handle.setHeaders([
                "Upgrade: websocket",
                "Connection: Upgrade",
                "Sec-WebSocket-Key: \(key)",
                "Sec-WebSocket-Version: 13",
            ]),
            handle.set(CURLOPT_HEADERDATA, pointer: context),
            handle.set(CURLOPT_HEADERFUNCTION, callback: upgradeHeaderLine),
        ]
    }

    /// Healthy only on `101` with the correct `Sec-WebSocket-Accept`.
    func finishWebSocket(_ code: CURLcode, latency: Duration) -> ProbeResult {
        guard upgrade.complete || code == CURLE_OK else { return failure(code, latency: latency) }
        let status = upgrade.status ?? handle.responseCode
        guard let status else { return .failure(.protocol, "no HTTP status in the answer", latency: latency) }
        guard status == 101 else {
            return .failure(.handshake, "status \(status), expected 101", latency: latency)
        }
        guard let accept = upgrade.accept else {
            return .failure(.handshake, "101 without Sec-WebSocket-Accept", latency: latency)
        }
        guard accept == expectedAccept else {
            return .failure(.handshake, "101 with a wrong Sec-WebSocket-Accept", latency: latency)
        }
        return .success(latency: latency)
    }
}

/// `CURLOPT_HEADERFUNCTION` for WebSocket probes: feeds each line to the probe's `UpgradeResponse` and
/// returns a short count (ending the transfer) once the final response head is complete.
private let upgradeHeaderLine: curl_write_callback = { buffer, size, count, context in
    let length = size &* count
    guard let buffer, let context else { return 0 }
    let probe = Unmanaged<Probe>.fromOpaque(context).takeUnretainedValue()
    let line = UnsafeRawBufferPointer(start: buffer, count: length)
    return probe.upgrade.consume(line) ? length : 0
}

/// The key and expected answer of a WebSocket opening handshake (RFC 6455 §4.2.2).
enum WebSocketKey {
    static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// A fresh `Sec-WebSocket-Key`: 16 random bytes, base64-encoded.
    static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString()
    }

    /// The `Sec-WebSocket-Accept` a correct server derives from `key`: base64(SHA1(key + GUID)).
    static func accept(for key: String) -> String {
        Data(Insecure.SHA1.hash(data: Data((key + guid).utf8))).base64EncodedString()
    }
}

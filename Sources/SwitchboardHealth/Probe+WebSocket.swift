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
    /// The header list is built once; every probe writes a fresh key into it (`WebSocketHandshake`).
    func configureWebSocket() -> [CURLcode] {
        let context = Unmanaged.passUnretained(self).toOpaque()
        let headers = handle.setHeaders(Self.upgradeLines + (signer?.headerLines() ?? []))
        if headers == CURLE_OK {
            webSocket = WebSocketHandshake(headerList: handle.headerList)
            if webSocket == nil { return [CURLE_OUT_OF_MEMORY] }
        }
        return [
            handle.set(CURLOPT_URL, ProbeURL.http(from: check.url)),
            handle.set(CURLOPT_HTTPGET, 1),
            handle.set(CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1),
            handle.set(CURLOPT_FRESH_CONNECT, 1),
            handle.set(CURLOPT_FORBID_REUSE, 1),
            headers,
            handle.set(CURLOPT_HEADERDATA, pointer: context),
            handle.set(CURLOPT_HEADERFUNCTION, callback: upgradeHeaderLine),
        ]
    }

    /// The upgrade request's own header lines; the key is a placeholder that every probe overwrites.
    static let upgradeLines = [
        "Upgrade: websocket",
        "Connection: Upgrade",
        WebSocketHandshake.keyPrefix + String(repeating: "A", count: WebSocketHandshake.keyLength - 2) + "==",
        "Sec-WebSocket-Version: 13",
    ]

    /// Signed checks: a new header list with a fresh request ID, timestamp and signature, and a new key in it.
    /// Returns false when libcurl could not take the list (the probe then fails as a `protocol` error).
    func renewSignedHeaders() -> Bool {
        guard let signer else { return true }
        guard handle.setHeaders(Self.upgradeLines + signer.headerLines()) == CURLE_OK else { return false }
        return webSocket?.attach(to: handle.headerList) ?? false
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
        guard let webSocket, webSocket.accepts(accept) else {
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

/// The key of a WebSocket check's next handshake, written in place into the `Sec-WebSocket-Key` line of
/// its handle's header list (libcurl reads the list when it sends the request, never copies it), and the
/// `Sec-WebSocket-Accept` that key calls for. No allocation and no system call per probe: the 16 key bytes
/// come from a generator seeded once from the system, and the answer is hashed from a stack buffer.
struct WebSocketHandshake {
    static let keyPrefix = "Sec-WebSocket-Key: "
    /// base64 of 16 bytes.
    static let keyLength = 24
    /// base64 of a 20-byte SHA-1.
    static let acceptLength = 28

    /// The 24 key characters inside the header list's `Sec-WebSocket-Key` line (owned by the handle).
    private var key: UnsafeMutablePointer<UInt8>
    private var generator = FastRandom()
    /// The answer a correct server gives for the current key.
    private(set) var expectedAccept = [UInt8](repeating: 0, count: acceptLength)

    /// Finds the key line in `headerList`; nil when there is none of the right length.
    init?(headerList: UnsafeMutablePointer<curl_slist>?) {
        guard let key = Self.keyCharacters(in: headerList) else { return nil }
        self.key = key
        renewKey()
    }

    /// Moves to the key line of a new header list (after the old one was replaced) and writes a fresh key into it.
    mutating func attach(to headerList: UnsafeMutablePointer<curl_slist>?) -> Bool {
        guard let key = Self.keyCharacters(in: headerList) else { return false }
        self.key = key
        renewKey()
        return true
    }

    private static func keyCharacters(in headerList: UnsafeMutablePointer<curl_slist>?) -> UnsafeMutablePointer<UInt8>? {
        var node = headerList
        while let current = node {
            if let data = current.pointee.data {
                let line = UnsafeMutableRawPointer(data).assumingMemoryBound(to: UInt8.self)
                let length = strlen(data)
                let prefix = Self.keyPrefix.utf8
                if length == prefix.count + Self.keyLength,
                    prefix.elementsEqual(UnsafeBufferPointer(start: line, count: prefix.count))
                {
                    return line + prefix.count
                }
            }
            node = current.pointee.next
        }
        return nil
    }

    /// A new random key in the header list, and its expected answer.
    mutating func renewKey() {
        let characters = key
        var random = (generator.next(), generator.next())
        withUnsafeBytes(of: &random) { bytes in
            Base64.encode(UnsafeRawBufferPointer(rebasing: bytes[0..<16]), into: characters)
        }
        let written = UnsafeRawBufferPointer(start: characters, count: Self.keyLength)
        expectedAccept.withUnsafeMutableBufferPointer { accept in
            WebSocketKey.accept(forKey: written, into: accept.baseAddress!)
        }
    }

    /// The current key, as the server sees it.
    var currentKey: String {
        String(decoding: UnsafeBufferPointer(start: key, count: Self.keyLength), as: UTF8.self)
    }

    /// Whether `accept` (the header value) is the answer to the current key.
    func accepts(_ accept: String) -> Bool {
        accept.utf8.elementsEqual(expectedAccept)
    }
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

    /// `accept(for:)` on raw bytes: writes the 28 characters of base64(SHA1(key + GUID)) to `output`.
    static func accept(forKey key: UnsafeRawBufferPointer, into output: UnsafeMutablePointer<UInt8>) {
        var hasher = Insecure.SHA1()
        hasher.update(bufferPointer: key)
        var guid = guid
        guid.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        let digest = hasher.finalize()
        digest.withUnsafeBytes { Base64.encode($0, into: output) }
    }
}

/// Standard base64 with padding, into a caller's buffer of `4 × ⌈count / 3⌉` bytes.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutablePointer<UInt8>) {
        alphabet.withUnsafeBufferPointer { table in
            var out = output
            var index = 0
            while index + 3 <= input.count {
                let value = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
                out[0] = table[Int(value >> 18 & 63)]
                out[1] = table[Int(value >> 12 & 63)]
                out[2] = table[Int(value >> 6 & 63)]
                out[3] = table[Int(value & 63)]
                out += 4
                index += 3
            }
            let rest = input.count - index
            guard rest > 0 else { return }
            let value = UInt32(input[index]) << 16 | (rest == 2 ? UInt32(input[index + 1]) << 8 : 0)
            out[0] = table[Int(value >> 18 & 63)]
            out[1] = table[Int(value >> 12 & 63)]
            out[2] = rest == 2 ? table[Int(value >> 6 & 63)] : UInt8(ascii: "=")
            out[3] = UInt8(ascii: "=")
        }
    }
}

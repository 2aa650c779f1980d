import Crypto

/// HMAC-SHA256 (RFC 2104) over swift-crypto's SHA-256, keyed once and reused.
///
/// `Crypto.HMAC` only takes `DataProtocol` input, whose generic path cost about a microsecond per webhook in
/// metadata lookups; this keeps the two keyed SHA-256 states and feeds them raw buffers. Verified against
/// `Crypto.HMAC` and Python's `hmac` in the tests.
struct HMACSHA256: Sendable {
    private var inner: SHA256
    private var outer: SHA256

    init(key: some Collection<UInt8>) {
        var block = [UInt8](repeating: 0, count: 64)
        if key.count > 64 {
            block.replaceSubrange(0..<32, with: Array(SHA256.hash(data: Array(key))))
        } else {
            block.replaceSubrange(0..<key.count, with: key)
        }
        inner = SHA256()
        outer = SHA256()
        inner.update(data: block.map { $0 ^ 0x36 })
        outer.update(data: block.map { $0 ^ 0x5c })
    }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        inner.update(bufferPointer: bytes)
    }

    mutating func update(_ text: String) {
        var text = text
        text.withUTF8 { inner.update(bufferPointer: UnsafeRawBufferPointer($0)) }
    }

    /// The 32-byte MAC.
    func finalize() -> SHA256Digest {
        var outer = outer
        inner.finalize().withUnsafeBytes { outer.update(bufferPointer: $0) }
        return outer.finalize()
    }

    /// Compares a MAC with expected bytes in time independent of where they differ. Reads the digest's bytes in
    /// place (iterating a digest copies it into an array).
    static func constantTimeEquals(_ mac: SHA256Digest, _ expected: [UInt8]) -> Bool {
        guard expected.count == SHA256Digest.byteCount else { return false }
        return mac.withUnsafeBytes { mac in
            var difference: UInt8 = 0
            for index in 0..<SHA256Digest.byteCount { difference |= mac[index] ^ expected[index] }
            return difference == 0
        }
    }
}

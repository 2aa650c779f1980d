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

    /// Compares a MAC with its 64 lowercase hex digits in time independent of where they differ, decoding the digits
    /// as it goes and reading the digest in place: nothing is copied or allocated. Anything but 64 lowercase hex
    /// digits never matches.
    static func constantTimeEquals(_ mac: SHA256Digest, hex: some Collection<UInt8>) -> Bool {
        guard hex.count == 2 * SHA256Digest.byteCount else { return false }
        return mac.withUnsafeBytes { mac in
            var difference: UInt16 = 0
            var at = hex.startIndex
            for index in 0..<SHA256Digest.byteCount {
                let high = nibble(hex[at])
                at = hex.index(after: at)
                let low = nibble(hex[at])
                at = hex.index(after: at)
                difference |= UInt16(mac[index]) ^ (high << 4 | low)
            }
            return difference == 0
        }
    }

    /// A lowercase hex digit's value; 0x100 for any other byte, which no byte of a MAC equals.
    private static func nibble(_ digit: UInt8) -> UInt16 {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt16(digit - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt16(digit - UInt8(ascii: "a") + 10)
        default: 0x100
        }
    }
}

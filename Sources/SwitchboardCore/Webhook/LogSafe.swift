import Crypto

/// Untrusted header values made safe to log: a request ID is logged as sent only when it is printable ASCII of at
/// most 256 bytes; anything else is logged as `sha256:` and 12 hex digits of its hash, so a stranger cannot forge
/// or flood a log line through it while equal values still match.
public enum LogSafe {
    public static let maxLength = 256

    public static func requestID(_ value: String?) -> String {
        guard let value, !value.isEmpty else { return "-" }
        let utf8 = value.utf8
        if utf8.count <= maxLength, value.allUTF8({ $0 >= 0x20 && $0 < 0x7F }) { return value }
        let digest = SHA256.hash(data: Array(utf8))
        return "sha256:" + digest.prefix(6).map { byte in
            let hex = Array("0123456789abcdef".utf8)
            return String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]], as: UTF8.self)
        }.joined()
    }
}

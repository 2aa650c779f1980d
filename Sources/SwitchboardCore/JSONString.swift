/// JSON string escaping for the answers and documents Switchboard writes by hand (no encoder on the hot path).
public enum JSONString {
    /// Whether `text` holds a character that must be escaped inside a JSON string literal.
    public static func needsEscaping(_ text: String) -> Bool {
        !text.allUTF8 { $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
    }

    /// Appends `text` escaped for use inside a JSON string literal (RFC 8259 §7).
    public static func appendEscaped(_ text: String, to out: inout String) {
        // Most text (URLs, IDs, masked numbers) needs no escaping: append it whole.
        if !needsEscaping(text) {
            out += text
            return
        }
        var escaped: [UInt8] = []
        appendEscaped(text, to: &escaped)
        out += String(decoding: escaped, as: UTF8.self)
    }

    /// Appends the UTF-8 of `text` escaped for use inside a JSON string literal.
    public static func appendEscaped(_ text: String, to out: inout [UInt8]) {
        if !needsEscaping(text) {
            out.append(contentsOf: text.utf8)
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
            case UInt8(ascii: "\n"): out.append(contentsOf: "\\n".utf8)
            case UInt8(ascii: "\r"): out.append(contentsOf: "\\r".utf8)
            case UInt8(ascii: "\t"): out.append(contentsOf: "\\t".utf8)
            case ..<0x20:
                let hex: StaticString = "0123456789abcdef"
                out.append(contentsOf: "\\u00".utf8)
                out.append(hex.utf8Start[Int(byte >> 4)])
                out.append(hex.utf8Start[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
    }
}
